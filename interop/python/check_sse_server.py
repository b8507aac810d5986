#!/usr/bin/env python3
"""Drive an MCP server over the old HTTP+SSE transport (2024-11-05) with the official Python
SDK's `mcp.client.sse.sse_client` and check it.

Usage:
    <venv>/bin/python check_sse_server.py [--timeout S] [--verbose] [--path /sse]
                                          (--url URL | -- COMMAND [ARGS...])

for example
    .interop/py1/bin/python interop/python/check_sse_server.py -- target/debug/spate serve --listen 127.0.0.1:0

The server is started, found (first `http://HOST:PORT` it prints; give it port 0) and stopped
exactly as by check_http_server.py, whose checks this one reuses. Runs under mcp 2.x and 1.x.

Expectations (the old transport of `spate serve --listen`; see interop/README.md):
  * GET <path> answers 200 text/event-stream, its first event `endpoint` names the POST URI
    (the SDK follows it); every client message POSTed there gets 202;
  * initialize succeeds and names the server; ping answers;
  * tools/list has calculate, process_files, ask_model, confirm_action;
  * calculate {a: 10, b: 20} -> text exactly "Result: 30";
  * process_files {files: [a.txt, b.txt, c.txt], delay_ms: 50} -> exactly 3 progress
    notifications in order, total 3; 3 info logs "Processing document i/3"; "Done...";
  * ask_model (sampling) and confirm_action (form elicitation, accept then decline) round trip
    over the one SSE stream, as in check_http_server.py;
  * no transport errors; no request is answered on the POST itself (all answers arrive on
    the stream).

Exit status 0 when every expectation holds; 1 with a "FAIL:" line naming the step otherwise
(also on the hard --timeout, default 60 s); 2 for bad usage.
"""

from __future__ import annotations

import sys

import check_http_server as h
from mcp import ClientSession
from mcp.client.sse import sse_client

h.set_tag(f"[py-sse-check mcp {h.SDK_VERSION}]")


async def run_checks(url: str, _expect_mode: str) -> None:
    rec = h.Recorder()
    tap = h.HttpTap()
    h.step("connect (GET /sse, endpoint event)")
    async with sse_client(url, httpx_client_factory=tap.client_factory()) as (read, write):
        gets = [e for e in tap.exchanges if e["http"] == "GET"]
        h.expect(len(gets) == 1, f"expected one GET of the SSE endpoint, saw {h.short(tap.exchanges, 1000)}")
        h.expect_answered_as(gets[0], "text/event-stream", f"GET {url}")
        async with ClientSession(read, write, **rec.session_kwargs()) as session:
            await h.check_initialize(session)
            posts = [e for e in tap.exchanges if e["http"] == "POST"]
            h.expect(bool(posts), "initialize was not POSTed (SDK did not follow the endpoint event?)")
            info_path = posts[0]["path"]
            h.info(f"endpoint ok: GET {gets[0]['path']} -> SSE, messages POSTed to {info_path}")

            await h.check_tools_list(session)
            await h.check_calculate(session)
            h.info("calculate ok: 'Result: 30'")
            values = await h.check_process_files(session, rec)
            h.info(f"process_files ok: progress {values} of 3, 3 info logs, in order")
            await h.check_ask_model(session, rec)
            h.info(f"ask_model ok: one sampling round trip, 'Model ({h.MODEL}) said: ...'")
            await h.check_confirm_action(session, rec)
            h.info("confirm_action ok: accept returned the content, decline was reported")

            h.step("POSTs")
            for e in tap.exchanges:
                if e["http"] != "POST":
                    continue
                h.expect(
                    e["status"] == 202,
                    f"POST {e['rpc_method'] or e['rpc_kind']} to {e['path']} got HTTP {e['status']} {e['type']!r}; "
                    "the old transport accepts every message with 202 and answers on the stream",
                )
                h.expect(e["path"] == info_path, f"POSTs went to two paths: {info_path} and {e['path']}")
            h.expect(len(gets) == len([e for e in tap.exchanges if e["http"] == "GET"]), "the SDK opened a second GET")
            h.expect(not rec.transport_errors, f"transport errors seen: {rec.transport_errors}")
            h.step("close")


if __name__ == "__main__":
    sys.exit(h.run_main(sys.argv[1:], __doc__ or "", "/sse", run_checks))
