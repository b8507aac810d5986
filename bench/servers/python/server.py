"""The benchmark tool surface on the official Python SDK (mcp 2.x): MCPServer tools served by
its Streamable HTTP app under uvicorn, one worker, uvloop and httptools.

    python server.py --listen 127.0.0.1:8080 [--mode json|sse]
"""

from __future__ import annotations

import argparse

import uvicorn
from mcp.server.mcpserver import Context, MCPServer

mcp = MCPServer("python-bench", log_level="WARNING")


@mcp.tool(description="Echo the text back")
def echo(text: str) -> str:
    return text


@mcp.tool(description="Add two numbers")
def calculate(a: float, b: float) -> str:
    total = a + b
    return str(int(total)) if total.is_integer() else str(total)


@mcp.tool(description="Send k progress notifications, then return k")
async def bump(k: int, ctx: Context, pad: int = 0) -> str:
    message = "x" * pad if pad else None
    for i in range(1, k + 1):
        await ctx.report_progress(i, k, message)
    return str(k)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--listen", default="127.0.0.1:8080")
    parser.add_argument("--mode", choices=["json", "sse"], default="json")
    args = parser.parse_args()
    host, port = args.listen.rsplit(":", 1)
    app = mcp.streamable_http_app(json_response=args.mode == "json", host=host, max_sessions=None)
    uvicorn.run(
        app,
        host=host,
        port=int(port),
        workers=1,
        loop="uvloop",
        http="httptools",
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
