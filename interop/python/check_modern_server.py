#!/usr/bin/env python3
"""Drive an MCP server in the stateless 2026-07-28 era with the official Python SDK's
high-level `mcp.Client` (mcp 2.x only) and check it, wire included.

Usage:
    <venv>/bin/python check_modern_server.py [--timeout S] [--verbose]
                                             (--url URL | -- COMMAND [ARGS...])

for example
    .interop/py2/bin/python interop/python/check_modern_server.py -- \\
        target/debug/spate serve --listen 127.0.0.1:0

The server is started, found (first `http://HOST:PORT` it prints; give it port 0) and stopped
exactly as by check_http_server.py, whose helpers this check reuses; the endpoint is that
address plus /mcp. Every HTTP exchange is recorded: the httpx event hook sees the headers
both ways and the request body, and a pass-through wrapper around the httpx transport keeps
each response body exactly as the client read it (JSON or SSE), so what the SDK does on its
own (the input_required retries, the discover probe) is checked on the wire.

Expectations (the 2026-07-28 contract of `spate serve --listen`; see interop/README.md):
  1. `mcp.Client` in its default mode "auto" (log_level "info", sampling, elicitation and
     logging callbacks) negotiates protocol_version 2026-07-28: its first POST is
     server/discover, answered 200 with supportedVersions naming 2026-07-28 and capabilities
     declaring tools; `initialize` is never sent; no request carries an Mcp-Session-Id and no
     response returns one; every exchange is a POST of a request (the era has no client
     notifications, no responses to server requests, no GET stream and no DELETE), answered
     200, carrying `MCP-Protocol-Version: 2026-07-28` and an `Mcp-Method` header equal to the
     body's method, with `_meta` protocolVersion 2026-07-28;
  2. tools/list has calculate, process_files, ask_model, confirm_action; calculate
     {a: 10, b: 20} -> text exactly "Result: 30";
  3. process_files {files: [a.txt, b.txt, c.txt], delay_ms: 50} with a progress callback ->
     exactly 3 progress updates, strictly increasing, total 3, the last 3, and 3 info logs
     "Processing document i/3" in order (the request carries `_meta` logLevel "info"; the
     logs are in its answer stream). The same call on a second `mcp.Client` WITHOUT log_level
     (its requests carry no logLevel) -> the same 3 progress updates but NO log at all, not
     in the callback and not on the wire;
  4. confirm_action {action: "deploy"} -> the elicitation callback runs exactly once (form,
     boolean `confirm` default false, string `note`); accepting returns "User accept:
     <content>"; declining a second call returns "User decline: ...". On the wire each call
     is exactly 2 tools/call POSTs: the first answered (no server-to-client request in its
     body) with resultType "input_required", one `elicitation/create` in inputRequests and a
     requestState string; the second repeats the arguments, carries inputResponses for exactly
     those keys and that requestState unchanged, and is answered with the final result;
  5. ask_model {prompt} -> the same two-POST flow with one `sampling/createMessage`; the
     sampling callback runs exactly once and the text is "Model (<model>) said: <reply>";
  6. resources/list + read demo://readme, prompts/list + prompts/get summarize work too;
  7. `client.listen(resource_subscriptions=["demo://clock"])` is acknowledged with that uri
     honored, and within 8 s of the acknowledgement an update event for demo://clock arrives
     (the demo server changes it every 5 s); on the wire the listen POST is answered as
     text/event-stream whose every frame carries `_meta`
     "io.modelcontextprotocol/subscriptionId" = the listen request's id;
  8. while that listen stream is open, in the same server process, a legacy `ClientSession`
     initializes at 2025-11-25, gets an Mcp-Session-Id, and calculate answers "Result: 30":
     both eras at once;
  9. no transport errors reach either client's message handler.

Exit status 0 when every expectation holds; 1 with a "FAIL:" line naming the step and the
expectation otherwise (also on the hard --timeout, default 60 s); 2 for bad usage, including
running it under mcp 1.x (which has no `mcp.Client`).
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import anyio
import mcp
import mcp.types as types

import check_http_server as h
from check_http_server import (
    ACCEPTED,
    MODEL,
    PROMPT,
    HttpTap,
    Recorder,
    call_post,
    check_ask_model,
    check_calculate,
    check_confirm_action,
    check_initialize,
    check_process_files,
    check_resources_prompts,
    check_tools_list,
    debug,
    expect,
    expect_answered_as,
    info,
    open_session,
    run_main,
    set_tag,
    short,
    step,
    texts,
    wait_until,
    wire,
)

set_tag(f"[py-modern-check mcp {h.SDK_VERSION}]")

MODERN = "2026-07-28"
LEGACY = "2025-11-25"
PROTOCOL_VERSION_KEY = "io.modelcontextprotocol/protocolVersion"
LOG_LEVEL_KEY = "io.modelcontextprotocol/logLevel"
SUBSCRIPTION_ID_KEY = "io.modelcontextprotocol/subscriptionId"
CLOCK = "demo://clock"
CLOCK_WITHIN = 8.0  # seconds from the acknowledgement; the demo clock ticks every 5 s
CLIENT_INFO = {"name": "spate-interop-py-modern-check", "version": "1.0"}


# ---- the tap: HttpTap plus request and response bodies -----------------------------------------


class ModernTap(HttpTap):
    """HttpTap that also keeps the request body, the `Mcp-Method` header and the response body.

    The body is recorded by `BodyTee` (see `http_client`), a pass-through around the response's
    raw byte stream, so it fills as the SDK reads (an SSE answer chunk by chunk, in real time)
    and the timing the client sees is unchanged; reading it in the event hook instead would
    block on a stream.
    """

    async def on_response(self, response: Any) -> None:
        await super().on_response(response)
        entry = self.exchanges[-1]
        request = response.request
        body: Any = None
        if request.method == "POST":
            try:
                body = json.loads(request.content or b"null")
            except (ValueError, TypeError):
                body = None
        entry["request_body"] = body if isinstance(body, dict) else {}
        entry["method_sent"] = request.headers.get("mcp-method")
        entry["body_chunks"] = getattr(response, "_spate_check_body", None)
        entry["encoding"] = response.headers.get("content-encoding")

    def http_client(self) -> Any:
        """A client with the SDK's default timeouts whose every exchange lands in this tap."""
        import httpx2  # the transport library of mcp 2.x
        from mcp.shared._httpx_utils import MCP_DEFAULT_SSE_READ_TIMEOUT, MCP_DEFAULT_TIMEOUT

        class BodyTee(httpx2.AsyncByteStream):
            def __init__(self, inner: Any, sink: list[bytes]) -> None:
                self.inner, self.sink = inner, sink

            async def __aiter__(self) -> Any:
                async for chunk in self.inner:
                    self.sink.append(chunk)
                    yield chunk

            async def aclose(self) -> None:
                await self.inner.aclose()

        class BodyTap(httpx2.AsyncBaseTransport):
            def __init__(self) -> None:
                self.inner = httpx2.AsyncHTTPTransport()

            async def handle_async_request(self, request: Any) -> Any:
                response = await self.inner.handle_async_request(request)
                sink: list[bytes] = []
                response.stream = BodyTee(response.stream, sink)
                response._spate_check_body = sink  # read back by on_response (same object)
                return response

            async def aclose(self) -> None:
                await self.inner.aclose()

        return httpx2.AsyncClient(
            timeout=httpx2.Timeout(MCP_DEFAULT_TIMEOUT, read=MCP_DEFAULT_SSE_READ_TIMEOUT),
            transport=BodyTap(),
            event_hooks={"request": [], "response": [self.on_response]},
        )


def brief(entry: Any) -> Any:
    """An exchange (or a list of them) without the bodies, for failure messages."""
    if isinstance(entry, list):
        return [brief(e) for e in entry]
    return {k: v for k, v in entry.items() if k not in ("body_chunks", "request_body", "encoding")}


def body_messages(entry: dict[str, Any]) -> list[Any]:
    """The JSON-RPC messages of a response body read so far (a JSON body or SSE `data:`)."""
    chunks = entry.get("body_chunks")
    expect(chunks is not None, f"no body recorded for {short(brief(entry))} (tap broken?)")
    expect(
        not entry.get("encoding"),
        f"{entry['rpc_method']}: the body is Content-Encoding {entry.get('encoding')!r}; this tap reads raw bytes",
    )
    raw = b"".join(chunks).decode("utf-8", "replace")
    if not raw.strip():
        return []
    if entry["type"] == "application/json":
        try:
            parsed = json.loads(raw)
        except ValueError:
            raise h.CheckFailure(f"{entry['rpc_method']} answered application/json that is not JSON: {raw[:300]!r}")
        return parsed if isinstance(parsed, list) else [parsed]
    messages: list[Any] = []
    data: list[str] = []
    for line in raw.replace("\r\n", "\n").replace("\r", "\n").split("\n") + [""]:
        if line == "":
            if data:
                text = "\n".join(data)
                try:
                    messages.append(json.loads(text))
                except ValueError:
                    raise h.CheckFailure(f"{entry['rpc_method']}: an SSE event's data is not JSON: {text[:300]!r}")
                data = []
        elif line.startswith("data:"):
            data.append(line[5:][1:] if line[5:].startswith(" ") else line[5:])
    return messages


def answer_of(entry: dict[str, Any]) -> dict[str, Any]:
    """The JSON-RPC response in `entry`'s body to the request it carried."""
    rid = entry["rpc_id"]
    found = [m for m in body_messages(entry) if isinstance(m, dict) and m.get("id") == rid and "method" not in m]
    expect(len(found) == 1, f"{entry['rpc_method']} (id {rid!r}): expected one response in the body, found {short(found, 800)}")
    return found[0]


def params_of(entry: dict[str, Any]) -> dict[str, Any]:
    params = entry["request_body"].get("params")
    return params if isinstance(params, dict) else {}


def meta_of(entry: dict[str, Any]) -> dict[str, Any]:
    meta = params_of(entry).get("_meta")
    return meta if isinstance(meta, dict) else {}


# ---- wire checks ---------------------------------------------------------------------------------


def check_discover(tap: ModernTap, client: Any, who: str) -> None:
    """Expectation 1, as far as connecting goes: discover probed and adopted, no handshake."""
    expect(
        client.protocol_version == MODERN,
        f"{who}: mcp.Client negotiated protocol_version {client.protocol_version!r}, expected {MODERN!r} "
        f"(the server refused server/discover and the client fell back to initialize?); exchanges: "
        f"{short([(e['http'], e['rpc_method'], e['status'], e['session_got']) for e in tap.exchanges])}; "
        f"the discover answer: {short(body_messages(tap.exchanges[0]) if tap.exchanges else None)}",
    )
    expect(bool(tap.exchanges), f"{who}: no HTTP exchange recorded")
    first = tap.exchanges[0]
    expect(
        first["http"] == "POST" and first["rpc_method"] == "server/discover",
        f"{who}: the first exchange should be POST server/discover, was {short(brief(first))}",
    )
    expect(first["status"] == 200, f"{who}: server/discover got HTTP {first['status']}, expected 200: {short(brief(first))}")
    expect(first["session_got"] is None, f"{who}: the server/discover response returned Mcp-Session-Id {first['session_got']!r}")
    answer = answer_of(first)
    result = answer.get("result")
    expect(isinstance(result, dict), f"{who}: server/discover was not answered with a result: {short(answer)}")
    versions = result.get("supportedVersions")
    expect(isinstance(versions, list) and MODERN in versions, f"{who}: discover supportedVersions {versions!r} lack {MODERN}")
    expect("tools" in (result.get("capabilities") or {}), f"{who}: discover capabilities lack tools: {short(result)}")
    inits = [e for e in tap.exchanges if e["rpc_method"] == "initialize"]
    expect(not inits, f"{who}: initialize was sent although discover succeeded: {short(brief(inits))}")
    server_info = client.server_info
    name = f"{server_info.name} {server_info.version}" if server_info is not None else "(anonymous)"
    info(f"{who} discover ok: protocol {client.protocol_version}, server {name}, supportedVersions {versions}")


def check_modern_wire(tap: ModernTap, who: str, log_level: str | None) -> None:
    """Expectation 1 over everything the client sent: stateless, headers and `_meta` right."""
    step(f"{who}: wire (no session, headers, _meta)")
    expect(bool(tap.exchanges), f"{who}: no HTTP exchange recorded")
    for e in tap.exchanges:
        what = f"{who}: {e['http']} {e['rpc_method'] or e['rpc_kind'] or ''}".rstrip()
        expect(e["http"] == "POST", f"{what}: a 2026-07-28 client makes only POSTs (no GET stream, no DELETE): {short(brief(e))}")
        expect(
            e["rpc_kind"] == "request",
            f"{what}: the client POSTed a {e['rpc_kind'] or 'non-JSON-RPC'} message; 2026-07-28 has no client "
            f"notifications and no responses to server requests (did the server send one?): {short(brief(e))}",
        )
        expect(e["rpc_method"] != "initialize", f"{what}: initialize sent on a 2026-07-28 connection")
        expect(e["session_sent"] is None, f"{what}: the request carried Mcp-Session-Id {e['session_sent']!r}")
        expect(e["session_got"] is None, f"{what}: the response returned Mcp-Session-Id {e['session_got']!r}; 2026-07-28 has no sessions")
        expect(e["status"] == 200, f"{what}: HTTP {e['status']} {e['type']!r}, expected 200: {short(brief(e))}")
        expect(e["version_sent"] == MODERN, f"{what}: sent MCP-Protocol-Version {e['version_sent']!r}, expected {MODERN!r}")
        expect(
            e["method_sent"] == e["rpc_method"],
            f"{what}: Mcp-Method header {e['method_sent']!r} differs from the body's method {e['rpc_method']!r}",
        )
        meta = meta_of(e)
        expect(meta.get(PROTOCOL_VERSION_KEY) == MODERN, f"{what}: _meta {PROTOCOL_VERSION_KEY} is {meta.get(PROTOCOL_VERSION_KEY)!r}")
        if e["rpc_method"] != "server/discover":
            expect(
                meta.get(LOG_LEVEL_KEY) == log_level,
                f"{what}: _meta {LOG_LEVEL_KEY} is {meta.get(LOG_LEVEL_KEY)!r}, expected {log_level!r} "
                "(the client's log_level option)",
            )
        if e["rpc_method"] != "subscriptions/listen":  # a listen answer ends only when the stream does
            answer = answer_of(e)
            expect("result" in answer or "error" in answer, f"{what}: answer has neither result nor error: {short(answer)}")
    methods = sorted({e["rpc_method"] for e in tap.exchanges})
    info(
        f"{who} wire ok: {len(tap.exchanges)} POSTs ({', '.join(methods)}), all 200, "
        f"MCP-Protocol-Version {MODERN}, Mcp-Method = body method, no Mcp-Session-Id"
    )


def tool_posts(tap: ModernTap, mark: int, tool: str, arguments: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        e
        for e in tap.since(mark)
        if e["rpc_method"] == "tools/call"
        and params_of(e).get("name") == tool
        and params_of(e).get("arguments") == arguments
    ]


def check_input_required_rounds(
    tap: ModernTap, mark: int, tool: str, arguments: dict[str, Any], input_method: str
) -> dict[str, Any]:
    """One tool call resolved in exactly two POSTs: input_required, then the retry with inputResponses.

    Returns the input response the client sent (for the caller to compare with its callback).
    """
    posts = tool_posts(tap, mark, tool, arguments)
    expect(
        len(posts) == 2,
        f"tools/call {tool} {short(arguments)}: expected exactly 2 POSTs (input_required, then the retry), saw "
        f"{len(posts)}: {short([(p['rpc_id'], p['status'], p['type']) for p in posts])}",
    )
    first, second = posts
    for e in posts:
        expect(e["status"] == 200, f"tools/call {tool}: HTTP {e['status']} on {short(brief(e))}")
    first_params = params_of(first)
    expect(
        "inputResponses" not in first_params and "requestState" not in first_params,
        f"tools/call {tool}: the first POST already carries inputResponses/requestState: {short(first_params)}",
    )
    server_requests = [m for m in body_messages(first) if isinstance(m, dict) and "method" in m and "id" in m]
    expect(
        not server_requests,
        f"tools/call {tool}: the server sent a server-to-client request on a 2026-07-28 answer stream instead of "
        f"answering input_required: {short(server_requests)}",
    )
    answer = answer_of(first)
    result = answer.get("result")
    expect(isinstance(result, dict), f"tools/call {tool}: the first POST was not answered with a result: {short(answer)}")
    expect(
        result.get("resultType") == "input_required",
        f"tools/call {tool}: the first answer's resultType is {result.get('resultType')!r}, expected 'input_required': {short(result)}",
    )
    requests = result.get("inputRequests")
    expect(isinstance(requests, dict) and len(requests) == 1, f"tools/call {tool}: expected one entry in inputRequests: {short(result)}")
    key, request = next(iter(requests.items()))
    expect(
        isinstance(request, dict) and request.get("method") == input_method,
        f"tools/call {tool}: inputRequests[{key!r}] should be {input_method}: {short(request)}",
    )
    state = result.get("requestState")
    expect(isinstance(state, str) and state != "", f"tools/call {tool}: requestState should be a non-empty string: {short(result)}")

    second_params = params_of(second)
    responses = second_params.get("inputResponses")
    expect(
        isinstance(responses, dict) and sorted(responses) == [key],
        f"tools/call {tool}: the retry's inputResponses should answer exactly [{key!r}]: {short(second_params)}",
    )
    expect(
        second_params.get("requestState") == state,
        f"tools/call {tool}: the retry's requestState differs from the one the server sent "
        f"({short(second_params.get('requestState'), 80)} vs {short(state, 80)})",
    )
    final = answer_of(second)
    final_result = final.get("result")
    expect(isinstance(final_result, dict), f"tools/call {tool}: the retry was not answered with a result: {short(final)}")
    expect(
        final_result.get("resultType", "complete") == "complete" and "content" in final_result,
        f"tools/call {tool}: the retry should be answered with the final result: {short(final_result)}",
    )
    debug(f"{tool}: input_required {key} -> retry ids {first['rpc_id']!r}, {second['rpc_id']!r}")
    return responses[key]


# ---- the steps -----------------------------------------------------------------------------------


def client_kwargs(rec: Recorder) -> dict[str, Any]:
    kwargs = rec.session_kwargs()
    kwargs["client_info"] = types.Implementation(**CLIENT_INFO)
    return kwargs


async def check_process_files_unlogged(url: str) -> None:
    """Expectation 3, second half: without log_level, progress still flows and logs do not."""
    step("second mcp.Client without log_level: connect")
    rec = Recorder()
    tap = ModernTap()
    async with tap.http_client() as http:
        from mcp.client.streamable_http import streamable_http_client

        async with mcp.Client(streamable_http_client(url, http_client=http), **client_kwargs(rec)) as client:
            check_discover(tap, client, "client without log_level")
            step("second mcp.Client without log_level: tools/call process_files")
            progress: list[tuple[float, float | None, str | None]] = []

            async def on_progress(value: float, total: float | None, message: str | None) -> None:
                progress.append((value, total, message))
                debug(f"progress {value}/{total} {message!r} (no log_level)")

            mark = tap.mark()
            result = wire(
                await client.call_tool(
                    "process_files", {"files": ["a.txt", "b.txt", "c.txt"], "delay_ms": 50}, progress_callback=on_progress
                )
            )
            await wait_until(lambda: len(progress) >= 3, 3.0)
            await anyio.sleep(0.2)  # a late log would land here
            expect(not result.get("isError", False), f"process_files returned isError: {short(result)}")
            got = texts(result)
            expect(bool(got) and got[0].startswith("Done"), f"process_files text should start with 'Done', got {got!r}")
            expect(len(progress) == 3, f"process_files without log_level: expected exactly 3 progress updates, got {progress}")
            values = [p[0] for p in progress]
            expect(all(a < b for a, b in zip(values, values[1:])), f"progress not strictly increasing: {values}")
            expect(all(p[1] == 3 for p in progress) and values[-1] == 3, f"progress should run to 3 of total 3: {progress}")
            expect(
                not rec.logs,
                f"a client that set no log_level got {len(rec.logs)} log(s): {short(rec.logs, 800)}; 2026-07-28 "
                "servers send notifications/message only to requests that opt in with _meta logLevel",
            )
            post = call_post(tap, mark, "process_files")
            expect(LOG_LEVEL_KEY not in meta_of(post), f"the SDK sent a logLevel without log_level: {short(meta_of(post))}")
            wire_logs = [m for m in body_messages(post) if isinstance(m, dict) and m.get("method") == "notifications/message"]
            expect(not wire_logs, f"process_files without logLevel: the answer stream still carries logs: {short(wire_logs, 800)}")
            expect(not rec.transport_errors, f"transport errors seen: {rec.transport_errors}")
            info(f"process_files without log_level ok: progress {values} of 3, no log in the callback or on the wire")
    check_modern_wire(tap, "client without log_level", None)


async def check_legacy_alongside(url: str) -> None:
    """Expectation 8: a 2025-11-25 session in the same server while the listen stream is open."""
    step("legacy ClientSession alongside the listen stream: initialize")
    rec = Recorder()
    tap = HttpTap()
    async with open_session(url, rec, tap) as session:
        init = await check_initialize(session)
        expect(init["protocolVersion"] == LEGACY, f"legacy initialize negotiated {init['protocolVersion']!r}, expected {LEGACY!r}")
        init_posts = [e for e in tap.exchanges if e["rpc_method"] == "initialize"]
        expect(len(init_posts) == 1 and init_posts[0]["status"] == 200, f"legacy initialize POST: {short(brief(init_posts))}")
        session_id = init_posts[0]["session_got"]
        expect(bool(session_id), f"the legacy initialize response has no Mcp-Session-Id: {short(brief(init_posts[0]))}")
        step("legacy ClientSession alongside the listen stream: tools/call calculate")
        mark = tap.mark()
        await check_calculate(session)
        post = call_post(tap, mark, "calculate")
        expect(post["status"] == 200, f"legacy calculate POST got HTTP {post['status']}")
        expect(
            post["session_sent"] == session_id,
            f"legacy calculate sent Mcp-Session-Id {post['session_sent']!r}, expected {session_id!r}",
        )
        expect(post["version_sent"] == LEGACY, f"legacy calculate sent MCP-Protocol-Version {post['version_sent']!r}")
        expect(not rec.transport_errors, f"legacy session transport errors: {rec.transport_errors}")
    info(f"legacy session alongside ok: initialize {LEGACY}, Mcp-Session-Id {session_id[:8]}..., calculate 'Result: 30'")


async def check_listen(client: Any, tap: ModernTap, url: str) -> None:
    """Expectations 7 and 8: the listen stream, and a legacy session while it is open."""
    from mcp.client.subscriptions import ResourceUpdated

    step(f"subscriptions/listen {CLOCK} (acknowledgement)")
    mark = tap.mark()
    events: list[Any] = []
    async with client.listen(resource_subscriptions=[CLOCK]) as sub:
        acked = time.monotonic()
        honored = list(sub.honored.resource_subscriptions or [])
        expect(CLOCK in honored, f"listen acknowledged without honoring {CLOCK}: honored {sub.honored!r}")
        info(f"listen ok: acknowledged, subscription {sub.subscription_id!r} honors {honored}")

        await check_legacy_alongside(url)

        step(f"subscriptions/listen {CLOCK} (update within {CLOCK_WITHIN:.0f} s)")
        with anyio.move_on_after(max(CLOCK_WITHIN - (time.monotonic() - acked), 0.05)):
            async for event in sub:
                events.append(event)
                debug(f"listen event {event!r}")
                if isinstance(event, ResourceUpdated) and event.uri == CLOCK:
                    break
        waited = time.monotonic() - acked
        hits = [e for e in events if isinstance(e, ResourceUpdated) and e.uri == CLOCK]
        expect(bool(hits), f"no update event for {CLOCK} within {CLOCK_WITHIN:.0f} s of the acknowledgement; events: {events!r}")
        subscription_id = sub.subscription_id

    step("subscriptions/listen (wire)")
    posts = [e for e in tap.since(mark) if e["rpc_method"] == "subscriptions/listen"]
    expect(len(posts) == 1, f"expected one subscriptions/listen POST, saw {short(brief(posts))}")
    post = posts[0]
    expect(post["rpc_id"] == subscription_id, f"listen POST id {post['rpc_id']!r} is not the subscription id {subscription_id!r}")
    expect_answered_as(post, "text/event-stream", "subscriptions/listen")
    frames = body_messages(post)
    expect(bool(frames), "the listen stream's body is empty although events were delivered (tap broken?)")
    expect(
        frames[0].get("method") == "notifications/subscriptions/acknowledged",
        f"the listen stream should start with notifications/subscriptions/acknowledged: {short(frames[0])}",
    )
    for frame in frames:
        meta = (frame.get("params") or {}).get("_meta") or {}
        expect(
            meta.get(SUBSCRIPTION_ID_KEY) == subscription_id,
            f"a listen frame lacks _meta {SUBSCRIPTION_ID_KEY} = {subscription_id!r}: {short(frame)}",
        )
    updates = [f for f in frames if f.get("method") == "notifications/resources/updated" and (f.get("params") or {}).get("uri") == CLOCK]
    expect(bool(updates), f"no notifications/resources/updated for {CLOCK} on the listen stream: {short(frames, 800)}")
    info(f"listen update ok: {CLOCK} updated {waited:.1f} s after the acknowledgement; {len(frames)} frames, all tagged {subscription_id!r}")


async def run_checks(url: str, _expect_mode: str) -> None:
    from mcp.client.streamable_http import streamable_http_client

    rec = Recorder()
    tap = ModernTap()
    step("connect (mcp.Client mode auto, log_level info)")
    async with tap.http_client() as http:
        async with mcp.Client(streamable_http_client(url, http_client=http), log_level="info", **client_kwargs(rec)) as client:
            check_discover(tap, client, "client")

            await check_tools_list(client)
            mark = tap.mark()
            await check_calculate(client)
            post = call_post(tap, mark, "calculate")
            info(f"calculate ok: 'Result: 30' (answered as {post['type']})")

            mark = tap.mark()
            values = await check_process_files(client, rec)
            post = call_post(tap, mark, "process_files")
            wire_logs = [m for m in body_messages(post) if isinstance(m, dict) and m.get("method") == "notifications/message"]
            expect(len(wire_logs) == 3, f"process_files with logLevel info: expected 3 logs on the answer stream, saw {short(wire_logs, 800)}")
            info(f"process_files ok: progress {values} of 3, 3 info logs in order (opted in with logLevel info)")

            await check_process_files_unlogged(url)

            mark = tap.mark()
            before = len(rec.elicitations)
            await check_confirm_action(client, rec)
            sent = check_input_required_rounds(tap, mark, "confirm_action", {"action": "deploy"}, "elicitation/create")
            expect(
                sent == {"action": "accept", "content": ACCEPTED},
                f"confirm_action: the retry should carry the callback's accept {short(ACCEPTED)}, carried {short(sent)}",
            )
            sent = check_input_required_rounds(tap, mark, "confirm_action", {"action": "delete everything"}, "elicitation/create")
            expect(sent.get("action") == "decline", f"confirm_action (decline): the retry carried {short(sent)}")
            expect(len(rec.elicitations) == before + 2, f"expected one elicitation per confirm_action call, got {len(rec.elicitations) - before}")
            info("confirm_action ok: input_required -> elicitation (once per call) -> retry with inputResponses and the same requestState; accept and decline")

            mark = tap.mark()
            await check_ask_model(client, rec)
            sent = check_input_required_rounds(tap, mark, "ask_model", {"prompt": PROMPT}, "sampling/createMessage")
            expect(sent.get("model") == MODEL, f"ask_model: the retry should carry the callback's reply (model {MODEL!r}): {short(sent)}")
            info(f"ask_model ok: input_required -> one sampling callback -> retry; 'Model ({MODEL}) said: ...'")

            await check_resources_prompts(client)

            await check_listen(client, tap, url)

            step("transport errors")
            expect(not rec.transport_errors, f"transport errors seen: {rec.transport_errors}")
            step("close")
    check_modern_wire(tap, "client", "info")


def main(argv: list[str]) -> int:
    if not hasattr(mcp, "Client"):
        print(
            f"{h.TAG} this check needs mcp 2.x (mcp.Client with server/discover); this venv has mcp {h.SDK_VERSION}",
            file=sys.stderr,
        )
        return 2
    return run_main(argv, __doc__ or "", "/mcp", run_checks)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
