#!/usr/bin/env python3
"""Drive an MCP server over Streamable HTTP with the official Python SDK client and check it.

Usage:
    <venv>/bin/python check_http_server.py [--timeout S] [--verbose] [--expect-mode json|sse|any]
                                           [--path /mcp] (--url URL | -- COMMAND [ARGS...])

for example
    .interop/py2/bin/python interop/python/check_http_server.py --expect-mode sse -- \\
        target/debug/spate serve --listen 127.0.0.1:0 --response-mode sse

With a COMMAND the check starts the server itself and stops it afterwards (SIGTERM, then
SIGKILL; on Linux the server also gets SIGKILL if the check dies). Give the server port 0:
the check reads the first `http://HOST:PORT` the server prints (stdout or stderr, passed
through) and talks to that address plus --path, so no port is ever guessed. With --url the
server is already running.

Runs unchanged under mcp 2.x and 1.x: only `ClientSession` + `streamable_http_client` (both
have them; 2.x yields two streams, 1.x three), results compared in wire form. Every HTTP
exchange is recorded through httpx event hooks (status, content type, session and version
headers), so the transport itself is checked, not only what the SDK makes of it.

Expectations (the contract of `spate serve --listen`; see interop/README.md):
  * initialize succeeds (answered as JSON), names the server, declares tools, and the
    response carries an Mcp-Session-Id that every later request repeats, together with
    MCP-Protocol-Version = the negotiated version; the standalone GET stream opens (200 SSE);
  * tools/list has calculate, process_files, ask_model, confirm_action;
  * calculate {a: 10, b: 20} -> text exactly "Result: 30"; the POST is answered as
    application/json with --expect-mode json, text/event-stream with --expect-mode sse;
  * process_files {files: [a.txt, b.txt, c.txt], delay_ms: 50} -> exactly 3 progress
    notifications, strictly increasing, total 3, the last 3; 3 info logs "Processing document
    i/3" in order; text starting with "Done"; answered as text/event-stream in either mode
    (the server must switch to SSE when notifications precede the response);
  * ask_model {prompt} -> exactly one sampling/createMessage reaches the sampling callback,
    carrying the prompt; the tool returns "Model (<model>) said: <text>" with the callback's
    model and text; the client's answer POST gets 202;
  * confirm_action {action} -> exactly one form elicitation whose requestedSchema has a boolean
    `confirm` (default false) and a string `note`; accepting returns "User accept: <content>"
    with the accepted content; a second call declined returns "User decline: ...";
  * resources/list + read demo://readme, prompts/list + prompts/get summarize;
  * every notification/response POST got 202; no transport errors; on close the session is
    DELETEd with 200/204.

The 2026-07-28 era of the same endpoint (server/discover, no sessions, input_required
round trips, subscriptions/listen), which mcp 2.x's high-level `mcp.Client` speaks by
default, is checked by check_modern_server.py.

Exit status 0 when every expectation holds; 1 with a "FAIL:" line naming the step and the
expectation otherwise (also on the hard --timeout, default 60 s); 2 for bad usage.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import warnings
from contextlib import asynccontextmanager
from typing import Any, Awaitable, Callable

import anyio
import mcp
import mcp.types as types
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

try:
    warnings.filterwarnings("ignore", category=mcp.MCPDeprecationWarning)  # 2.x only
except AttributeError:
    pass
warnings.filterwarnings("ignore", category=DeprecationWarning)

SDK_VERSION = getattr(mcp, "__version__", None)
if SDK_VERSION is None:
    from importlib.metadata import version as _dist_version

    SDK_VERSION = _dist_version("mcp")

TAG = f"[py-http-check mcp {SDK_VERSION}]"
VERBOSE = False
STEP = "start"

# What the sampling and elicitation callbacks answer; the tools must hand it back.
MODEL = "spate-check-model"
MODEL_REPLY = "Forty-two, from the Python check."
PROMPT = "What is the answer to everything?"
ACCEPTED = {"confirm": True, "note": "approved by the Python check"}
# Tools whose result is preceded by notifications or requests: answered as SSE in any mode.
STREAMING_TOOLS = ("process_files", "ask_model", "confirm_action")


class CheckFailure(Exception):
    """An expectation about the server's behaviour did not hold."""


def set_tag(tag: str) -> None:
    global TAG
    TAG = tag


def step(name: str) -> None:
    global STEP
    STEP = name


def info(msg: str) -> None:
    print(f"{TAG} {msg}", flush=True)


def debug(msg: str) -> None:
    if VERBOSE:
        print(f"{TAG}   {msg}", flush=True)


def expect(cond: bool, msg: str) -> None:
    if not cond:
        raise CheckFailure(msg)


def wire(model: Any) -> Any:
    """The JSON (wire) form of an SDK model, identical in mcp 1.x and 2.x."""
    if hasattr(model, "model_dump"):
        return model.model_dump(by_alias=True, mode="json", exclude_none=True)
    return model


def short(value: Any, limit: int = 400) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= limit else text[:limit] + "..."


def texts(result: dict[str, Any]) -> list[str]:
    return [c.get("text", "") for c in result.get("content", []) if c.get("type") == "text"]


def data_text(data: Any) -> str:
    return data if isinstance(data, str) else json.dumps(data)


async def wait_until(predicate: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() >= deadline:
            return False
        await anyio.sleep(0.02)
    return True


# ---- the server process ----------------------------------------------------------------------

URL_RE = re.compile(r"https?://[A-Za-z0-9.\-]+:\d+|https?://\[[0-9A-Fa-f:.]+\]:\d+")


def _die_with_parent() -> None:
    """In the child before exec: get SIGKILL when the check dies, however it dies (Linux)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:  # noqa: BLE001 - best effort off Linux
        pass


class ServerProcess:
    """A server started from a command line that prints the address it listens on."""

    def __init__(self, command: list[str]) -> None:
        self.command = command
        self.proc: subprocess.Popen[bytes] | None = None
        self.base: str | None = None
        self._found = threading.Event()

    def start(self, wait: float = 15.0) -> str:
        """Starts the server and returns its base URL (`http://host:port`)."""
        try:
            self.proc = subprocess.Popen(
                self.command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
            )
        except OSError as exc:
            raise CheckFailure(f"cannot start the server {self.command}: {exc}") from exc
        for pipe in (self.proc.stdout, self.proc.stderr):
            threading.Thread(target=self._pump, args=(pipe,), daemon=True).start()
        deadline = time.monotonic() + wait
        while not self._found.wait(0.05):
            code = self.proc.poll()
            if code is not None:
                time.sleep(0.1)  # let the pumps flush its last words
                raise CheckFailure(f"the server exited with status {code} before printing its http:// address (its output is above)")
            if time.monotonic() > deadline:
                raise CheckFailure(f"the server printed no http://HOST:PORT address within {wait:.0f} s")
        assert self.base is not None
        if self.base.endswith(":0"):
            raise CheckFailure(f"the server printed port 0 ({self.base}); it must print the port it bound")
        return self.base

    def _pump(self, pipe: Any) -> None:
        for raw in iter(pipe.readline, b""):
            line = raw.decode("utf-8", "replace")
            sys.stderr.write(line)
            sys.stderr.flush()
            if not self._found.is_set():
                match = URL_RE.search(line)
                if match:
                    self.base = match.group(0)
                    self._found.set()

    def stop(self) -> None:
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(3)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(3)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()


# ---- HTTP tap --------------------------------------------------------------------------------


class HttpTap:
    """Every HTTP exchange of the client, as seen by httpx event hooks."""

    def __init__(self) -> None:
        self.exchanges: list[dict[str, Any]] = []

    async def on_response(self, response: Any) -> None:
        request = response.request
        rpc: dict[str, Any] = {}
        if request.method == "POST":
            try:
                body = json.loads(request.content or b"null")
                if isinstance(body, dict):
                    rpc = body
            except (ValueError, TypeError):
                pass
        kind = (
            "request"
            if "method" in rpc and "id" in rpc
            else "notification"
            if "method" in rpc
            else "response"
            if "id" in rpc
            else ""
        )
        entry = {
            "http": request.method,
            "path": request.url.path,
            "status": response.status_code,
            "type": (response.headers.get("content-type") or "").split(";")[0].strip().lower(),
            "rpc_method": rpc.get("method"),
            "rpc_id": rpc.get("id"),
            "rpc_kind": kind,
            "rpc_tool": (rpc.get("params") or {}).get("name") if rpc.get("method") == "tools/call" else None,
            "session_sent": request.headers.get("mcp-session-id"),
            "version_sent": request.headers.get("mcp-protocol-version"),
            "session_got": response.headers.get("mcp-session-id"),
            "last_event_id": request.headers.get("last-event-id"),
        }
        self.exchanges.append(entry)
        debug(
            f"http {entry['http']} {entry['path']} {entry['rpc_method'] or entry['rpc_kind'] or ''} -> "
            f"{entry['status']} {entry['type']}"
        )

    def mark(self) -> int:
        return len(self.exchanges)

    def since(self, mark: int) -> list[dict[str, Any]]:
        return self.exchanges[mark:]

    def client_factory(self) -> Callable[..., Any]:
        """An `httpx_client_factory` (sse_client) producing tapped clients."""

        def factory(headers: Any = None, timeout: Any = None, auth: Any = None) -> Any:
            client = create_mcp_http_client(headers=headers, timeout=timeout, auth=auth)
            client.event_hooks = {"request": [], "response": [self.on_response]}
            return client

        return factory


def call_post(tap: HttpTap, mark: int, tool: str) -> dict[str, Any]:
    """The POST that carried `tools/call` of `tool` since `mark`."""
    posts = [e for e in tap.since(mark) if e["http"] == "POST" and e["rpc_method"] == "tools/call"]
    expect(len(posts) == 1, f"expected one POST carrying tools/call {tool}, saw {short(posts, 1000)}")
    return posts[0]


def expect_answered_as(entry: dict[str, Any], mime: str, why: str) -> None:
    expect(entry["status"] == 200, f"{why}: HTTP {entry['status']}, expected 200: {short(entry)}")
    expect(entry["type"] == mime, f"{why}: answered with Content-Type {entry['type']!r}, expected {mime!r}")


# ---- recorder and client callbacks -------------------------------------------------------------


class Recorder:
    """Collects what the server sends besides responses, and answers its requests."""

    def __init__(self) -> None:
        self.logs: list[dict[str, Any]] = []
        self.notifications: list[str] = []
        self.transport_errors: list[str] = []
        self.sampling: list[dict[str, Any]] = []
        self.elicitations: list[dict[str, Any]] = []
        self.elicit_action = "accept"

    async def on_log(self, params: Any) -> None:
        entry = wire(params)
        self.logs.append(entry)
        debug(f"log {short(entry)}")

    async def on_message(self, message: Any) -> None:
        if isinstance(message, Exception):
            self.transport_errors.append(repr(message))
            debug(f"transport error {message!r}")
            return
        message = getattr(message, "root", message)  # 1.x wraps notifications in a RootModel
        method = getattr(message, "method", type(message).__name__)
        self.notifications.append(method)

    async def on_sampling(self, _context: Any, params: Any) -> Any:
        request = wire(params)
        self.sampling.append(request)
        debug(f"sampling/createMessage {short(request)}")
        return types.CreateMessageResult.model_validate(
            {
                "role": "assistant",
                "content": {"type": "text", "text": MODEL_REPLY},
                "model": MODEL,
                "stopReason": "endTurn",
            }
        )

    async def on_elicitation(self, _context: Any, params: Any) -> Any:
        request = wire(params)
        self.elicitations.append(request)
        debug(f"elicitation/create {short(request)} -> {self.elicit_action}")
        if self.elicit_action == "accept":
            return types.ElicitResult.model_validate({"action": "accept", "content": ACCEPTED})
        return types.ElicitResult.model_validate({"action": self.elicit_action})

    def session_kwargs(self) -> dict[str, Any]:
        return {
            "sampling_callback": self.on_sampling,
            "elicitation_callback": self.on_elicitation,
            "logging_callback": self.on_log,
            "message_handler": self.on_message,
            "client_info": types.Implementation(name="spate-interop-py-http-check", version="1.0"),
        }


# ---- the checks, shared with check_sse_server.py --------------------------------------------


async def check_initialize(session: ClientSession) -> dict[str, Any]:
    step("initialize")
    init = wire(await session.initialize())
    server_info = init.get("serverInfo", {})
    expect(isinstance(init.get("protocolVersion"), str), f"no protocolVersion in {short(init)}")
    expect(bool(server_info.get("name")), f"no serverInfo.name in {short(init)}")
    expect("tools" in init.get("capabilities", {}), f"capabilities lack tools: {short(init)}")
    info(
        f"initialize ok: protocol {init['protocolVersion']}, server "
        f"{server_info.get('name')} {server_info.get('version', '')}"
    )
    step("ping")
    await session.send_ping()
    return init


async def check_tools_list(session: ClientSession) -> None:
    step("tools/list")
    tools = wire(await session.list_tools())["tools"]
    names = [t["name"] for t in tools]
    for required in ("calculate", "process_files", "ask_model", "confirm_action"):
        expect(required in names, f"tool {required!r} missing from tools/list {names}")
    for tool in tools:
        expect(tool.get("inputSchema", {}).get("type") == "object", f"tool {tool['name']} inputSchema not an object")
    info(f"tools/list ok: {names}")


async def check_calculate(session: ClientSession) -> None:
    step("tools/call calculate")
    result = wire(await session.call_tool("calculate", {"a": 10, "b": 20}))
    debug(f"calculate -> {short(result)}")
    expect(not result.get("isError", False), f"calculate returned isError: {short(result)}")
    got = texts(result)
    expect(got == ["Result: 30"], f"calculate text: expected exactly ['Result: 30'], got {got!r}")
    structured = result.get("structuredContent")
    expect(isinstance(structured, dict), f"calculate: structuredContent missing or not an object: {short(result)}")


async def check_process_files(session: ClientSession, rec: Recorder) -> list[float]:
    step("tools/call process_files")
    progress: list[tuple[float, float | None, str | None]] = []

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        progress.append((value, total, message))
        debug(f"progress {value}/{total} {message!r}")

    logs_before = len(rec.logs)
    files = ["a.txt", "b.txt", "c.txt"]
    result = wire(
        await session.call_tool("process_files", {"files": files, "delay_ms": 50}, progress_callback=on_progress)
    )
    debug(f"process_files -> {short(result)}")
    expect(not result.get("isError", False), f"process_files returned isError: {short(result)}")

    def processing_logs() -> list[dict[str, Any]]:
        return [e for e in rec.logs[logs_before:] if "Processing document" in data_text(e.get("data"))]

    # The Python client dispatches notifications in wire order before the response; the
    # short wait only guards against a slower dispatch, then the counts must be exact.
    await wait_until(lambda: len(progress) >= 3 and len(processing_logs()) >= 3, 3.0)
    await anyio.sleep(0.2)
    expect(
        len(progress) == 3,
        f"process_files: expected exactly 3 progress notifications, got {len(progress)}: {progress}",
    )
    values = [p[0] for p in progress]
    expect(all(a < b for a, b in zip(values, values[1:])), f"progress not strictly increasing: {values}")
    expect(all(p[1] == 3 for p in progress), f"progress total must be 3 on every notification: {progress}")
    expect(values[-1] == 3, f"last progress must be 3 (= total), got {values[-1]}")
    plogs = processing_logs()
    expect(
        len(plogs) == 3,
        f"process_files: expected 3 'Processing document i/3' logs, got {len(plogs)}; all logs: "
        f"{short(rec.logs[logs_before:], 1000)}",
    )
    for i, entry in enumerate(plogs, start=1):
        expect(
            f"Processing document {i}/3" in data_text(entry["data"]),
            f"log #{i} should mention 'Processing document {i}/3': {short(entry)}",
        )
        expect(entry.get("level") == "info", f"log #{i} level should be info: {short(entry)}")
    got = texts(result)
    expect(bool(got) and got[0].startswith("Done"), f"process_files text should start with 'Done', got {got!r}")
    return values


async def check_ask_model(session: ClientSession, rec: Recorder) -> None:
    step("tools/call ask_model (sampling)")
    before = len(rec.sampling)
    result = wire(await session.call_tool("ask_model", {"prompt": PROMPT}))
    debug(f"ask_model -> {short(result)}")
    seen = rec.sampling[before:]
    expect(len(seen) == 1, f"expected exactly 1 sampling/createMessage, the callback got {len(seen)}: {short(seen, 1000)}")
    expect(PROMPT in json.dumps(seen[0].get("messages")), f"sampling request does not carry the prompt: {short(seen[0])}")
    expect(not result.get("isError", False), f"ask_model returned isError: {short(result)}")
    want = f"Model ({MODEL}) said: {MODEL_REPLY}"
    got = texts(result)
    expect(got == [want], f"ask_model text: expected [{want!r}], got {got!r}")


async def check_confirm_action(session: ClientSession, rec: Recorder) -> None:
    step("tools/call confirm_action (elicitation, accept)")
    before = len(rec.elicitations)
    rec.elicit_action = "accept"
    result = wire(await session.call_tool("confirm_action", {"action": "deploy"}))
    debug(f"confirm_action -> {short(result)}")
    seen = rec.elicitations[before:]
    expect(len(seen) == 1, f"expected exactly 1 elicitation/create, the callback got {len(seen)}: {short(seen, 1000)}")
    request = seen[0]
    expect("deploy" in request.get("message", ""), f"elicitation message does not name the action: {short(request)}")
    props = (request.get("requestedSchema") or {}).get("properties") or {}
    confirm, note = props.get("confirm") or {}, props.get("note") or {}
    expect(
        confirm.get("type") == "boolean" and confirm.get("default") is False,
        f"requestedSchema.properties.confirm should be a boolean with default false: {short(request)}",
    )
    expect(note.get("type") == "string", f"requestedSchema.properties.note should be a string: {short(request)}")
    expect(not result.get("isError", False), f"confirm_action returned isError: {short(result)}")
    got = texts(result)
    prefix = "User accept: "
    expect(len(got) == 1 and got[0].startswith(prefix), f"confirm_action text should start with {prefix!r}, got {got!r}")
    try:
        content = json.loads(got[0][len(prefix) :])
    except ValueError:
        content = None
    expect(content == ACCEPTED, f"confirm_action should return the accepted content {short(ACCEPTED)}, got {got[0]!r}")

    step("tools/call confirm_action (elicitation, decline)")
    rec.elicit_action = "decline"
    result = wire(await session.call_tool("confirm_action", {"action": "delete everything"}))
    got = texts(result)
    expect(len(rec.elicitations) == before + 2, f"the declined call should elicit once more, total {len(rec.elicitations) - before}")
    expect(len(got) == 1 and got[0].startswith("User decline"), f"declined confirm_action text should start with 'User decline', got {got!r}")


async def check_resources_prompts(session: ClientSession) -> None:
    step("resources/list")
    resources = wire(await session.list_resources())["resources"]
    uris = [r["uri"] for r in resources]
    expect(bool(resources), "resources/list is empty")
    target = "demo://readme" if "demo://readme" in uris else uris[0]
    step(f"resources/read {target}")
    contents = wire(await session.read_resource(target)).get("contents", [])
    expect(bool(contents), f"resources/read {target}: no contents")
    expect(contents[0].get("uri") == target, f"resources/read {target}: contents[0].uri is {contents[0].get('uri')!r}")
    expect(bool(contents[0].get("text") or contents[0].get("blob")), f"resources/read {target}: empty {short(contents[0])}")
    step("prompts/list")
    prompts = wire(await session.list_prompts())["prompts"]
    pnames = [p["name"] for p in prompts]
    expect(bool(prompts), "prompts/list is empty")
    if "summarize" in pnames:
        step("prompts/get summarize")
        got_prompt = wire(await session.get_prompt("summarize", {"text": "MCP interop check."}))
        expect("MCP interop check." in json.dumps(got_prompt.get("messages", [])), f"prompts/get summarize: argument not used: {short(got_prompt)}")
    info(f"resources and prompts ok: {uris}, {pnames}")


def check_client_posts(tap: HttpTap, mark: int, what: str) -> None:
    """Notifications and responses the client POSTed since `mark` were all accepted with 202."""
    for e in tap.since(mark):
        if e["http"] == "POST" and e["rpc_kind"] in ("notification", "response"):
            expect(
                e["status"] == 202,
                f"{what}: the client's {e['rpc_method'] or 'response to id ' + str(e['rpc_id'])} POST got HTTP "
                f"{e['status']} {e['type']!r}, expected 202 Accepted",
            )


# ---- Streamable HTTP scenario -------------------------------------------------------------------


@asynccontextmanager
async def open_session(url: str, rec: Recorder, tap: HttpTap):
    client = tap.client_factory()()
    async with client:
        async with streamable_http_client(url, http_client=client) as streams:
            read, write = streams[0], streams[1]  # 1.x adds a get_session_id callback
            async with ClientSession(read, write, **rec.session_kwargs()) as session:
                yield session


async def run_checks(url: str, expect_mode: str) -> None:
    rec = Recorder()
    tap = HttpTap()
    step("connect")
    async with open_session(url, rec, tap) as session:
        mark = tap.mark()
        init = await check_initialize(session)
        version = init["protocolVersion"]
        init_posts = [e for e in tap.since(mark) if e["rpc_method"] == "initialize"]
        expect(len(init_posts) == 1, f"expected one initialize POST, saw {short(init_posts)}")
        init_post = init_posts[0]
        expect_answered_as(init_post, "application/json" if expect_mode == "json" else init_post["type"], "initialize")
        if expect_mode == "sse":
            expect_answered_as(init_post, "text/event-stream", "initialize with --response-mode sse")
        session_id = init_post["session_got"]
        expect(bool(session_id), f"the initialize response has no Mcp-Session-Id header: {short(init_post)}")
        expect(
            all(0x21 <= ord(c) <= 0x7E for c in session_id) and len(session_id) >= 16,
            f"Mcp-Session-Id should be >= 16 visible ASCII characters, got {session_id!r}",
        )
        # The SDK opens the standalone GET stream after notifications/initialized.
        step("GET standalone stream")
        await wait_until(lambda: any(e["http"] == "GET" for e in tap.exchanges), 3.0)
        gets = [e for e in tap.exchanges if e["http"] == "GET"]
        expect(bool(gets), "the SDK's standalone GET stream was never answered within 3 s")
        expect_answered_as(gets[0], "text/event-stream", "GET (standalone stream)")
        info(f"session ok: Mcp-Session-Id {session_id[:8]}..., standalone GET stream open")

        await check_tools_list(session)

        mark = tap.mark()
        await check_calculate(session)
        post = call_post(tap, mark, "calculate")
        expect_answered_as(post, "text/event-stream" if expect_mode == "sse" else "application/json" if expect_mode == "json" else post["type"], "calculate")
        info(f"calculate ok: 'Result: 30' (answered as {post['type']})")

        mark = tap.mark()
        values = await check_process_files(session, rec)
        post = call_post(tap, mark, "process_files")
        expect_answered_as(post, "text/event-stream", "process_files (progress and logs precede the result, so SSE in any mode)")
        info(f"process_files ok: progress {values} of 3, 3 info logs, in order (answered as SSE)")

        mark = tap.mark()
        await check_ask_model(session, rec)
        expect_answered_as(call_post(tap, mark, "ask_model"), "text/event-stream", "ask_model (a request precedes the result)")
        check_client_posts(tap, mark, "ask_model")
        info(f"ask_model ok: one sampling round trip, 'Model ({MODEL}) said: ...'")

        mark = tap.mark()
        await check_confirm_action(session, rec)
        check_client_posts(tap, mark, "confirm_action")
        info("confirm_action ok: accept returned the content, decline was reported")

        await check_resources_prompts(session)

        step("headers")
        after_init = tap.exchanges[tap.exchanges.index(init_post) + 1 :]
        for e in after_init:
            expect(
                e["session_sent"] == session_id,
                f"{e['http']} {e['rpc_method'] or ''} sent Mcp-Session-Id {e['session_sent']!r}, expected {session_id!r} (SDK bug?)",
            )
            expect(e["status"] < 400, f"HTTP {e['status']} on {e['http']} {e['rpc_method'] or e['rpc_kind']}: {short(e)}")
            if e["http"] == "POST" and e["rpc_kind"] == "request":
                expect(
                    e["version_sent"] == version,
                    f"POST {e['rpc_method']} sent MCP-Protocol-Version {e['version_sent']!r}, expected {version!r} (SDK bug?)",
                )
                streamed = expect_mode == "sse" or e["rpc_tool"] in STREAMING_TOOLS
                if expect_mode != "any":
                    expect_answered_as(
                        e,
                        "text/event-stream" if streamed else "application/json",
                        f"{e['rpc_method']} {e['rpc_tool'] or ''} with --response-mode {expect_mode}",
                    )
        check_client_posts(tap, 0, "session")
        expect(not rec.transport_errors, f"transport errors seen: {rec.transport_errors}")
        step("close (DELETE)")
    deletes = [e for e in tap.exchanges if e["http"] == "DELETE"]
    expect(len(deletes) == 1, f"expected one DELETE when the client closed, saw {short(deletes)}")
    expect(deletes[0]["status"] in (200, 204), f"DELETE of the session got HTTP {deletes[0]['status']}, expected 200/204")
    info(f"close ok: DELETE -> {deletes[0]['status']}")


# ---- command line -------------------------------------------------------------------------------


def run_main(
    argv: list[str],
    doc: str,
    default_path: str,
    scenario: Callable[[str, str], Awaitable[None]],
) -> int:
    """Parses the shared options, starts the server if asked, runs `scenario(url, mode)`."""
    global VERBOSE
    timeout = 60.0
    expect_mode = "any"
    url: str | None = None
    path = default_path
    command: list[str] = []
    if "--" in argv:
        split = argv.index("--")
        opts, command = argv[:split], argv[split + 1 :]
    else:
        opts = argv
    it = iter(opts)
    for opt in it:
        if opt == "--timeout":
            timeout = float(next(it, "60"))
        elif opt in ("-v", "--verbose"):
            VERBOSE = True
        elif opt == "--expect-mode":
            expect_mode = next(it, "")
            if expect_mode not in ("json", "sse", "any"):
                print("--expect-mode takes json, sse or any", file=sys.stderr)
                return 2
        elif opt == "--url":
            url = next(it, None)
        elif opt == "--path":
            path = next(it, default_path)
        else:
            print(f"unknown option {opt!r}\n{doc}", file=sys.stderr)
            return 2
    if bool(url) == bool(command):
        print(f"give either --url URL or -- COMMAND\n{doc}", file=sys.stderr)
        return 2

    server = ServerProcess(command) if command else None

    def hard_timeout(_signum: int, _frame: Any) -> None:
        print(f"{TAG} FAIL: [{STEP}] hard timeout: still running after {timeout + 5:.0f} s", flush=True)
        if server is not None:
            server.kill()
        os._exit(1)

    # Backstop if the event loop itself is wedged; the anyio deadline below normally fires first.
    signal.signal(signal.SIGALRM, hard_timeout)
    signal.alarm(int(timeout) + 5)
    signal.signal(signal.SIGTERM, lambda *_: (server.kill() if server else None, os._exit(1)))

    started = time.monotonic()
    try:
        if server is not None:
            step("start server")
            info(f"server: {' '.join(command)}")
            url = server.start() + path
        info(f"url: {url} (expect-mode {expect_mode})")

        async def guarded() -> None:
            with anyio.fail_after(timeout - (time.monotonic() - started)):
                await scenario(url, expect_mode)

        anyio.run(guarded)
    except BaseException as exc:  # noqa: BLE001 - report anything, including exception groups
        failure = find(exc, CheckFailure)
        if failure is not None:
            print(f"{TAG} FAIL: [{STEP}] {failure}", flush=True)
        elif find(exc, TimeoutError) is not None:
            print(f"{TAG} FAIL: [{STEP}] timed out after {timeout:.0f} s", flush=True)
        elif isinstance(exc, KeyboardInterrupt):
            print(f"{TAG} FAIL: [{STEP}] interrupted", flush=True)
        else:
            inner = leaf(exc)
            print(f"{TAG} FAIL: [{STEP}] {type(inner).__name__}: {str(inner) or '(no message)'}", flush=True)
            if VERBOSE:
                import traceback

                traceback.print_exception(exc)
        return 1
    finally:
        signal.alarm(0)
        if server is not None:
            server.stop()
    info(f"PASS ({time.monotonic() - started:.1f} s)")
    return 0


def find(exc: BaseException, kind: type) -> BaseException | None:
    if isinstance(exc, kind):
        return exc
    for sub in getattr(exc, "exceptions", ()):
        hit = find(sub, kind)
        if hit is not None:
            return hit
    return None


def leaf(exc: BaseException) -> BaseException:
    subs = getattr(exc, "exceptions", ())
    return leaf(subs[0]) if subs else exc


if __name__ == "__main__":
    sys.exit(run_main(sys.argv[1:], __doc__ or "", "/mcp", run_checks))
