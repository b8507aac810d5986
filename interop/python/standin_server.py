#!/usr/bin/env python3
"""Reference peer for the stdio interop checks, built on the official Python MCP SDK.

It exposes the same surface that `spate serve --stdio` must expose, so that
`check_stdio_server.py` and `../ts/check_stdio_server.mjs` can be verified (and kept
honest) against an implementation we did not write the protocol layer of:

  tools
    calculate {a: number, b: number}
        text "Result: <a+b>" (an integral sum prints as 30, never 30.0) and
        structuredContent {"result": <a+b>} matching its outputSchema.
    process_files {files: [string], delay_ms?: integer}
        for file i of n (1-based): an info log "Processing document i/n: <file>" and a
        progress notification (progress=i, total=n) when the request carried a
        progressToken; then text "Done: processed n files".
  resource  demo://readme   (text/plain)
  prompt    summarize {text}  one user message asking for a summary of <text>

Runs under mcp 2.x (MCPServer) and, for cross-version trials, under mcp 1.x (FastMCP).
Usage: <venv>/bin/python standin_server.py        (speaks MCP on stdin/stdout)
"""

from __future__ import annotations

import warnings
from typing import Annotated

import anyio
from pydantic import BaseModel, Field

try:  # mcp 2.x
    from mcp.server.mcpserver import Context
    from mcp.server.mcpserver import MCPServer as Server
except ImportError:  # mcp 1.x
    from mcp.server.fastmcp import Context
    from mcp.server.fastmcp import FastMCP as Server
try:
    from mcp import MCPDeprecationWarning  # 2.x: ctx.info() warns that logging is deprecated in 2026-07-28

    warnings.filterwarnings("ignore", category=MCPDeprecationWarning)
except ImportError:
    pass
from mcp.types import CallToolResult

server = Server(
    "spate-standin",
    instructions="Stand-in for `spate serve --stdio` (interop reference peer).",
    log_level="WARNING",
)


def format_number(value: float) -> str:
    """30.0 -> "30", 2.5 -> "2.5" (the same rule the Rust server follows)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    return str(value)


class CalculateOutput(BaseModel):
    result: float = Field(description="a + b")


@server.tool(description="Add two numbers")
async def calculate(a: float, b: float) -> Annotated[CallToolResult, CalculateOutput]:
    total = a + b
    structured = int(total) if total.is_integer() and abs(total) < 2**53 else total
    # model_validate with wire (camelCase) keys works under both SDK majors.
    return CallToolResult.model_validate(
        {
            "content": [{"type": "text", "text": f"Result: {format_number(total)}"}],
            "structuredContent": {"result": structured},
        }
    )


@server.tool(description="Process files, reporting progress and logging each one")
async def process_files(files: list[str], ctx: Context, delay_ms: int = 0) -> str:
    n = len(files)
    for i, name in enumerate(files, start=1):
        await ctx.info(f"Processing document {i}/{n}: {name}")
        await ctx.report_progress(i, n, f"Processing {name}")
        if delay_ms > 0:
            await anyio.sleep(delay_ms / 1000)
    return f"Done: processed {n} files"


@server.resource("demo://readme", name="readme", description="What this server is", mime_type="text/plain")
def readme() -> str:
    return "Spate stand-in server: calculate, process_files, demo://readme, summarize."


@server.prompt(description="Ask the model to summarize a text")
def summarize(text: str) -> str:
    return f"Please summarize the following text:\n\n{text}"


if __name__ == "__main__":
    server.run("stdio")
