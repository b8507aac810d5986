#!/usr/bin/env python3
"""Start an MCP server over stdio, initialize, list its tools, and stop it.

Usage: <venv>/bin/python probe_server.py [--expect-tools a,b,...] [--timeout SECONDS] -- COMMAND [ARGS...]

Prints the protocol version, server name and tool names. Exits 1 ("FAIL: ...") if the server
does not come up or a tool listed in --expect-tools is missing. scripts/test uses it to verify
that the installed server-everything actually runs. Works under mcp 2.x and 1.x.
"""

from __future__ import annotations

import os
import sys
import warnings

import anyio
import mcp
from mcp import ClientSession, StdioServerParameters, stdio_client

try:
    warnings.filterwarnings("ignore", category=mcp.MCPDeprecationWarning)
except AttributeError:
    pass


async def probe(command: list[str], expected: list[str]) -> None:
    params = StdioServerParameters(command=command[0], args=command[1:], env=dict(os.environ))
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            init = (await session.initialize()).model_dump(by_alias=True, mode="json", exclude_none=True)
            tools = (await session.list_tools()).model_dump(by_alias=True, mode="json")["tools"]
            names = [t["name"] for t in tools]
            info = init.get("serverInfo", {})
            print(f"[probe] {info.get('name')} {info.get('version', '')}: protocol {init['protocolVersion']}, {len(names)} tools")
            missing = [t for t in expected if t not in names]
            if missing:
                raise RuntimeError(f"tools {missing} missing from {names}")


def main(argv: list[str]) -> int:
    if "--" not in argv:
        print(__doc__, file=sys.stderr)
        return 2
    split = argv.index("--")
    opts, command = argv[:split], argv[split + 1 :]
    expected: list[str] = []
    timeout = 30.0
    if "--expect-tools" in opts:
        expected = [t for t in opts[opts.index("--expect-tools") + 1].split(",") if t]
    if "--timeout" in opts:
        timeout = float(opts[opts.index("--timeout") + 1])

    async def guarded() -> None:
        with anyio.fail_after(timeout):
            await probe(command, expected)

    try:
        anyio.run(guarded)
    except BaseException as exc:  # noqa: BLE001
        while getattr(exc, "exceptions", None):
            exc = exc.exceptions[0]
        print(f"[probe] FAIL: {' '.join(command)}: {type(exc).__name__}: {exc}", flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
