#!/usr/bin/env python3
"""Drive an MCP server over stdio with the official Python SDK client and check its answers.

Usage:
    <venv>/bin/python check_stdio_server.py [--timeout SECONDS] [--verbose] -- COMMAND [ARGS...]

for example `.interop/py2/bin/python interop/python/check_stdio_server.py -- target/debug/spate serve --stdio`.

Runs unchanged under mcp 2.x and mcp 1.x. Only the low-level `ClientSession` +
`stdio_client` pair is used (present in both), and every result is compared in its wire
form (`model_dump(by_alias=True)`), so the 2.x snake_case / 1.x camelCase model fields
never matter. Notifications reach `message_handler` wrapped (`.root`) in 1.x and bare
in 2.x; both are handled.

Expectations (the contract of `spate serve --stdio`; see interop/README.md):
  * initialize succeeds and names the server;
  * tools/list contains `calculate` and `process_files`;
  * calculate {a: 10, b: 20} -> text exactly "Result: 30", structuredContent an object;
  * process_files {files: [a.txt, b.txt, c.txt]} with a progressToken -> exactly 3 progress
    notifications, strictly increasing, total 3, the last one 3; 3 info logs whose data
    mentions "Processing document i/3" for i = 1, 2, 3 in order; text starting with "Done";
  * resources/list is non-empty and resources/read of one resource (demo://readme when
    listed) returns non-empty contents for that uri;
  * prompts/list is non-empty and, when `summarize` is listed, prompts/get works.

Exit status 0 when every expectation holds; 1 with a "FAIL:" line naming the step and the
expectation otherwise (including the hard --timeout, default 60 s); 2 for bad usage.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
import warnings
from typing import Any

import anyio
import mcp
from mcp import ClientSession, StdioServerParameters, stdio_client

try:
    warnings.filterwarnings("ignore", category=mcp.MCPDeprecationWarning)  # 2.x only
except AttributeError:
    pass

SDK_VERSION = getattr(mcp, "__version__", None)
if SDK_VERSION is None:
    from importlib.metadata import version as _dist_version

    SDK_VERSION = _dist_version("mcp")

TAG = f"[py-check mcp {SDK_VERSION}]"
VERBOSE = False
STEP = "start"


class CheckFailure(Exception):
    """An expectation about the server's behaviour did not hold."""


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
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= limit else text[:limit] + "..."


def texts(result: dict[str, Any]) -> list[str]:
    return [c.get("text", "") for c in result.get("content", []) if c.get("type") == "text"]


class Recorder:
    """Collects what the server sends besides responses."""

    def __init__(self) -> None:
        self.logs: list[dict[str, Any]] = []
        self.notifications: list[str] = []
        self.transport_errors: list[str] = []

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


async def wait_until(predicate, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() >= deadline:
            return False
        await anyio.sleep(0.02)
    return True


async def run_checks(command: list[str]) -> None:
    global STEP
    rec = Recorder()
    params = StdioServerParameters(command=command[0], args=command[1:], env=dict(os.environ))
    STEP = "spawn"
    async with stdio_client(params) as (read, write):
        async with ClientSession(
            read,
            write,
            logging_callback=rec.on_log,
            message_handler=rec.on_message,
            client_info=mcp.types.Implementation(name="spate-interop-py-check", version="1.0"),
        ) as session:
            STEP = "initialize"
            init = wire(await session.initialize())
            server_info = init.get("serverInfo", {})
            expect(isinstance(init.get("protocolVersion"), str), f"no protocolVersion in {short(init)}")
            expect(bool(server_info.get("name")), f"no serverInfo.name in {short(init)}")
            expect("tools" in init.get("capabilities", {}), f"capabilities lack tools: {short(init)}")
            info(
                f"initialize ok: protocol {init['protocolVersion']}, server "
                f"{server_info.get('name')} {server_info.get('version', '')}"
            )

            STEP = "ping"
            await session.send_ping()

            STEP = "tools/list"
            tools = wire(await session.list_tools())["tools"]
            names = [t["name"] for t in tools]
            for required in ("calculate", "process_files"):
                expect(required in names, f"tool {required!r} missing from tools/list {names}")
            for tool in tools:
                expect(tool.get("inputSchema", {}).get("type") == "object", f"tool {tool['name']} inputSchema not an object")
            info(f"tools/list ok: {names}")

            STEP = "tools/call calculate"
            result = wire(await session.call_tool("calculate", {"a": 10, "b": 20}))
            debug(f"calculate -> {short(result)}")
            expect(not result.get("isError", False), f"calculate returned isError: {short(result)}")
            got = texts(result)
            expect(got == ["Result: 30"], f"calculate text: expected exactly ['Result: 30'], got {got!r}")
            structured = result.get("structuredContent")
            expect(isinstance(structured, dict), f"calculate: structuredContent missing or not an object: {short(result)}")
            info(f"calculate ok: 'Result: 30', structuredContent {short(structured)}")

            STEP = "tools/call process_files"
            progress: list[tuple[float, float | None, str | None]] = []

            async def on_progress(value: float, total: float | None, message: str | None) -> None:
                progress.append((value, total, message))
                debug(f"progress {value}/{total} {message!r}")

            logs_before = len(rec.logs)
            files = ["a.txt", "b.txt", "c.txt"]
            result = wire(await session.call_tool("process_files", {"files": files}, progress_callback=on_progress))
            debug(f"process_files -> {short(result)}")
            expect(not result.get("isError", False), f"process_files returned isError: {short(result)}")

            def processing_logs() -> list[dict[str, Any]]:
                return [
                    e
                    for e in rec.logs[logs_before:]
                    if "Processing document" in (e["data"] if isinstance(e.get("data"), str) else json.dumps(e.get("data")))
                ]

            # Notifications precede the response on the wire; give the client a moment in
            # case its dispatch of them is asynchronous, then require exact counts.
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
                data = entry["data"] if isinstance(entry["data"], str) else json.dumps(entry["data"])
                expect(f"Processing document {i}/3" in data, f"log #{i} should mention 'Processing document {i}/3': {short(entry)}")
                expect(entry.get("level") == "info", f"log #{i} level should be info: {short(entry)}")
            got = texts(result)
            expect(bool(got) and got[0].startswith("Done"), f"process_files text should start with 'Done', got {got!r}")
            info(f"process_files ok: progress {values} of 3, 3 info logs, {got[0]!r}")

            STEP = "resources/list"
            resources = wire(await session.list_resources())["resources"]
            uris = [r["uri"] for r in resources]
            expect(bool(resources), "resources/list is empty")
            target = "demo://readme" if "demo://readme" in uris else uris[0]
            STEP = f"resources/read {target}"
            read = wire(await session.read_resource(target))
            contents = read.get("contents", [])
            expect(bool(contents), f"resources/read {target}: no contents")
            expect(contents[0].get("uri") == target, f"resources/read {target}: contents[0].uri is {contents[0].get('uri')!r}")
            expect(
                bool(contents[0].get("text") or contents[0].get("blob")),
                f"resources/read {target}: empty text/blob {short(contents[0])}",
            )
            info(f"resources ok: {uris}, read {target} ({len(contents[0].get('text') or contents[0].get('blob'))} chars)")

            STEP = "prompts/list"
            prompts = wire(await session.list_prompts())["prompts"]
            pnames = [p["name"] for p in prompts]
            expect(bool(prompts), "prompts/list is empty")
            if "summarize" in pnames:
                STEP = "prompts/get summarize"
                got_prompt = wire(await session.get_prompt("summarize", {"text": "MCP interop check."}))
                messages = got_prompt.get("messages", [])
                expect(bool(messages), f"prompts/get summarize: no messages {short(got_prompt)}")
                flat = json.dumps(messages)
                expect("MCP interop check." in flat, f"prompts/get summarize: argument not used: {short(got_prompt)}")
            info(f"prompts ok: {pnames}")

            expect(not rec.transport_errors, f"transport errors seen: {rec.transport_errors}")
            STEP = "shutdown"


def main(argv: list[str]) -> int:
    global VERBOSE
    timeout = 60.0
    if "--" not in argv:
        print(__doc__, file=sys.stderr)
        return 2
    split = argv.index("--")
    opts, command = argv[:split], argv[split + 1 :]
    it = iter(opts)
    for opt in it:
        if opt == "--timeout":
            timeout = float(next(it, "60"))
        elif opt in ("-v", "--verbose"):
            VERBOSE = True
        else:
            print(f"unknown option {opt!r}\n{__doc__}", file=sys.stderr)
            return 2
    if not command:
        print("no server command after --", file=sys.stderr)
        return 2

    def hard_timeout(_signum: int, _frame: Any) -> None:
        print(f"{TAG} FAIL: [{STEP}] hard timeout: still running after {timeout + 5:.0f} s", flush=True)
        os._exit(1)

    # Backstop if the event loop itself is wedged; the anyio deadline below normally fires first.
    signal.signal(signal.SIGALRM, hard_timeout)
    signal.alarm(int(timeout) + 5)

    info(f"server: {' '.join(command)}")
    started = time.monotonic()

    async def guarded() -> None:
        with anyio.fail_after(timeout):
            await run_checks(command)

    try:
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
            detail = str(inner) or "(no message)"
            if STEP in ("spawn", "initialize"):
                detail += " -- the server exited or closed stdout before answering initialize; its stderr, if any, is above"
            print(f"{TAG} FAIL: [{STEP}] {type(inner).__name__}: {detail}", flush=True)
            if VERBOSE:
                import traceback

                traceback.print_exception(exc)
        return 1
    finally:
        signal.alarm(0)
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
    sys.exit(main(sys.argv[1:]))
