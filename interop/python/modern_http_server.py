#!/usr/bin/env python3
"""The server of stdio_server.py over Streamable HTTP, with tools for Spate's *client* tests of
the 2026-07-28 era (multi round-trip requests, subscriptions/listen). Runs with the mcp 2.x
venv only; the SDK's MCPServer serves both eras on one endpoint.

Usage: $SPATE_PY2 interop/python/modern_http_server.py

It binds 127.0.0.1 on a port the OS picks and prints `listening on http://127.0.0.1:PORT/mcp`
as its first line on stdout, then serves until killed.

Contract: every tool, resource and prompt of stdio_server.py (same exact strings), plus

  touch {uri: string}
      publishes notifications/resources/updated for `uri` to the subscriptions/listen
      streams that asked for it, then returns the text "touched <uri>".
  grow {}
      publishes notifications/tools/list_changed to the listen streams that asked for it,
      then returns the text "grown".
  confirm {question: string}
      a multi round-trip tool: without an answer it returns an InputRequiredResult whose
      inputRequests hold one form elicitation under the key "confirm" (message = question,
      requestedSchema {"type": "object", "properties": {"ok": {"type": "boolean",
      "default": true}}}) and requestState "asked:<question>"; on the retry carrying
      inputResponses["confirm"] and that exact requestState it returns the text
      "confirmed <action> ok=<content.ok as JSON>", e.g. `confirmed accept ok=true`.
"""

from __future__ import annotations

import json
import socket
import sys
from typing import Any

import uvicorn
from mcp.server.mcpserver import Context
from mcp_types import ElicitRequest, ElicitRequestFormParams, InputRequiredResult

from stdio_server import server, wire

CONFIRM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"ok": {"type": "boolean", "default": True}},
}


@server.tool(description="Announce that the resource at uri changed")
async def touch(uri: str, ctx: Context) -> str:
    await ctx.notify_resource_updated(uri)
    return f"touched {uri}"


@server.tool(description="Announce that the tool list changed")
async def grow(ctx: Context) -> str:
    await ctx.notify_tools_changed()
    return "grown"


@server.tool(description="Ask for a confirmation in a multi round-trip request")
async def confirm(question: str, ctx: Context) -> str | InputRequiredResult:
    responses = ctx.input_responses or {}
    answer = responses.get("confirm")
    if answer is None or ctx.request_state != f"asked:{question}":
        request = ElicitRequest(params=ElicitRequestFormParams(message=question, requested_schema=CONFIRM_SCHEMA))
        return InputRequiredResult(input_requests={"confirm": request}, request_state=f"asked:{question}")
    answer = wire(answer)
    ok = json.dumps((answer.get("content") or {}).get("ok"))
    return f"confirmed {answer['action']} ok={ok}"


def main() -> None:
    app = server.streamable_http_app()
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
