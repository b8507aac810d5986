#!/usr/bin/env python3
"""The server of stdio_server.py over Streamable HTTP, with an event store, for Spate's
*client* tests (resumption included). Runs with the mcp 2.x venv only.

Usage: $SPATE_PY2 interop/python/http_server.py [--retry-ms N]

It binds 127.0.0.1 on a port the OS picks and prints `listening on http://127.0.0.1:PORT/mcp`
as its first line on stdout, then serves until killed.

Contract: every tool, resource and prompt of stdio_server.py (same exact strings), plus

  slow_poll {n: integer, close_after: integer, delay_ms?: integer = 20}
      for i in 1..=n: an info log "poll i/n" and, when the request carried a progressToken,
      progress i of n (message "poll i/n"), delay_ms apart; right after step `close_after`
      the server closes the request's SSE stream (SEP-1699, `ctx.close_sse_stream()`), so
      the client only sees the rest, and the text "Polled <n>", if it resumes the stream
      with GET + Last-Event-ID after the `retry` hint (--retry-ms, default 300).

Every message bound for an SSE stream is kept in an in-memory event store (ids
"<stream>:<seq>"), so a resumption replays exactly what followed the client's last event id
on that stream and then goes on live.
"""

from __future__ import annotations

import argparse
import itertools
import socket
import sys

import anyio
import uvicorn
from mcp.server.mcpserver import Context
from mcp.server.streamable_http import EventCallback, EventMessage, EventStore

from stdio_server import server


class MemoryEventStore(EventStore):
    """Events per stream in arrival order; ids name their stream, so replay never crosses."""

    def __init__(self) -> None:
        self._events: dict[str, list[tuple[str, object]]] = {}
        self._seq = itertools.count(1)

    async def store_event(self, stream_id, message):  # type: ignore[override]
        event_id = f"{stream_id}:{next(self._seq)}"
        self._events.setdefault(stream_id, []).append((event_id, message))
        return event_id

    async def replay_events_after(self, last_event_id, send_callback: EventCallback):  # type: ignore[override]
        stream_id, _, _ = str(last_event_id).rpartition(":")
        events = self._events.get(stream_id)
        if events is None:
            return None
        ids = [event_id for event_id, _ in events]
        if last_event_id not in ids:
            return None
        for event_id, message in events[ids.index(last_event_id) + 1 :]:
            if message is not None:
                await send_callback(EventMessage(message, event_id))
        return stream_id


@server.tool(description="Count to n with progress and logs; closes the SSE stream after step close_after")
async def slow_poll(n: int, close_after: int, ctx: Context, delay_ms: int = 20) -> str:
    for i in range(1, n + 1):
        await ctx.log("info", f"poll {i}/{n}", logger_name="slow_poll")
        await ctx.report_progress(i, n, f"poll {i}/{n}")
        if i == close_after:
            await ctx.close_sse_stream()
        await anyio.sleep(delay_ms / 1000)
    return f"Polled {n}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--retry-ms", type=int, default=300)
    args = parser.parse_args()
    app = server.streamable_http_app(event_store=MemoryEventStore(), retry_interval=args.retry_ms)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)  # connections queue from now on, before uvicorn starts accepting
    port = sock.getsockname()[1]
    print(f"listening on http://127.0.0.1:{port}/mcp", flush=True)
    config = uvicorn.Config(app, log_level="warning")
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    sys.exit(main())
