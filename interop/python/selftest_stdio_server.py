#!/usr/bin/env python3
"""Self-test of stdio_server.py (the peer Spate's Rust client drives), with the Python SDK client.

Usage: <venv>/bin/python selftest_stdio_server.py [--timeout SECONDS] -- COMMAND [ARGS...]
e.g.   .interop/py2/bin/python interop/python/selftest_stdio_server.py -- .interop/py2/bin/python interop/python/stdio_server.py

It proves the peer keeps the contract documented in stdio_server.py, so that a failing Rust
client test points at the Rust client. It answers sampling with the fixed text "a fixed reply"
and elicitation by accepting {"name": "Ada", "confirm": true}, then declining once.
Runs under mcp 2.x and 1.x. Exit 0 on success, 1 with a "FAIL:" line otherwise.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import warnings
from typing import Any

import anyio
import mcp
from mcp import ClientSession, StdioServerParameters, stdio_client, types

try:
    warnings.filterwarnings("ignore", category=mcp.MCPDeprecationWarning)
except AttributeError:
    pass

TAG = "[py-selftest]"
STEP = "start"


class CheckFailure(Exception):
    pass


def expect(cond: bool, msg: str) -> None:
    if not cond:
        raise CheckFailure(msg)


def wire(model: Any) -> Any:
    return model.model_dump(by_alias=True, mode="json", exclude_none=True) if hasattr(model, "model_dump") else model


def text_of(result: Any) -> str:
    data = wire(result)
    expect(not data.get("isError", False), f"tool error: {json.dumps(data)}")
    return "".join(c.get("text", "") for c in data.get("content", []) if c.get("type") == "text")


async def run(command: list[str]) -> None:
    global STEP
    logs: list[dict[str, Any]] = []
    sampled: list[dict[str, Any]] = []
    elicited: list[dict[str, Any]] = []
    answers = [
        {"action": "accept", "content": {"name": "Ada", "confirm": True}},
        {"action": "decline"},
    ]

    async def on_log(params: Any) -> None:
        logs.append(wire(params))

    async def on_sampling(_context: Any, params: Any) -> Any:
        sampled.append(wire(params))
        return types.CreateMessageResult.model_validate(
            {"role": "assistant", "content": {"type": "text", "text": "a fixed reply"}, "model": "selftest"}
        )

    async def on_elicit(_context: Any, params: Any) -> Any:
        elicited.append(wire(params))
        return types.ElicitResult.model_validate(answers[len(elicited) - 1])

    params = StdioServerParameters(command=command[0], args=command[1:], env=dict(os.environ))
    async with stdio_client(params) as (read, write):
        async with ClientSession(
            read, write, sampling_callback=on_sampling, elicitation_callback=on_elicit, logging_callback=on_log
        ) as session:
            STEP = "initialize"
            init = wire(await session.initialize())
            STEP = "tools/list"
            names = sorted(t["name"] for t in wire(await session.list_tools())["tools"])
            expect(names == ["add", "ask_model", "ask_user", "slow_count"], f"tools: {names}")

            STEP = "add"
            got = text_of(await session.call_tool("add", {"a": 2, "b": 3}))
            expect(got == "Sum: 5", f"add 2+3: {got!r}")
            got = text_of(await session.call_tool("add", {"a": 1, "b": 1.5}))
            expect(got == "Sum: 2.5", f"add 1+1.5: {got!r}")

            STEP = "slow_count"
            progress: list[tuple[float, float | None, str | None]] = []

            async def on_progress(value: float, total: float | None, message: str | None) -> None:
                progress.append((value, total, message))

            got = text_of(await session.call_tool("slow_count", {"n": 4}, progress_callback=on_progress))
            expect(got == "Counted 4", f"slow_count: {got!r}")
            with anyio.move_on_after(2):
                while len(logs) < 4:
                    await anyio.sleep(0.02)
            expect(progress == [(i, 4, f"count {i}/4") for i in range(1, 5)], f"slow_count progress: {progress}")
            expect(
                [(e.get("level"), e.get("data"), e.get("logger")) for e in logs]
                == [("info", f"count {i}/4", "slow_count") for i in range(1, 5)],
                f"slow_count logs: {logs}",
            )

            STEP = "ask_model"
            got = text_of(await session.call_tool("ask_model", {"prompt": "Say hi"}))
            expect(got == "Model said: a fixed reply", f"ask_model: {got!r}")
            expect(len(sampled) == 1 and sampled[0].get("maxTokens") == 100, f"sampling request: {sampled}")
            expect(json.dumps(sampled[0]["messages"]).count("Say hi") == 1, f"sampling messages: {sampled[0]}")

            STEP = "ask_user"
            got = text_of(await session.call_tool("ask_user", {"question": "Proceed?"}))
            expect(got == 'User accept: {"confirm":true,"name":"Ada"}', f"ask_user accept: {got!r}")
            schema = elicited[0].get("requestedSchema", {})
            expect(elicited[0].get("message") == "Proceed?", f"elicitation message: {elicited[0]}")
            expect(schema.get("properties", {}).get("name", {}).get("default") == "Ada", f"schema: {schema}")
            expect(schema.get("properties", {}).get("confirm", {}).get("type") == "boolean", f"schema: {schema}")
            got = text_of(await session.call_tool("ask_user", {"question": "Again?"}))
            expect(got == "User decline: null", f"ask_user decline: {got!r}")

            STEP = "resources"
            uris = [r["uri"] for r in wire(await session.list_resources())["resources"]]
            expect(uris == ["interop://greeting"], f"resources: {uris}")
            read = wire(await session.read_resource("interop://greeting"))
            expect(read["contents"][0].get("text") == "Hello from the Python interop server", f"read: {read}")

            STEP = "prompts"
            prompt = wire(await session.get_prompt("greet", {"name": "Bob"}))
            expect(prompt["messages"][0]["content"]["text"] == "Please greet Bob.", f"prompt: {prompt}")
            print(f"{TAG} protocol {init['protocolVersion']}: add, slow_count, ask_model, ask_user, resource, prompt ok")


def main(argv: list[str]) -> int:
    if "--" not in argv:
        print(__doc__, file=sys.stderr)
        return 2
    split = argv.index("--")
    timeout = float(argv[argv.index("--timeout") + 1]) if "--timeout" in argv[:split] else 60.0
    command = argv[split + 1 :]
    signal.signal(signal.SIGALRM, lambda *_: (print(f"{TAG} FAIL: [{STEP}] hard timeout", flush=True), os._exit(1)))
    signal.alarm(int(timeout) + 5)

    async def guarded() -> None:
        with anyio.fail_after(timeout):
            await run(command)

    try:
        anyio.run(guarded)
    except BaseException as exc:  # noqa: BLE001
        while getattr(exc, "exceptions", None):
            exc = exc.exceptions[0]
        print(f"{TAG} FAIL: [{STEP}] {type(exc).__name__}: {exc}", flush=True)
        return 1
    print(f"{TAG} PASS", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
