#!/usr/bin/env python3
"""A small MCP server on the official Python SDK, for Spate's *client* to drive over stdio.

Run it with the mcp 2.x venv: `$SPATE_PY2 $SPATE_INTEROP_PY_SERVER` (scripts/test exports
both). It speaks MCP on stdin/stdout; diagnostics go to stderr. It also runs under mcp 1.x.

Contract (exact strings; Rust tests compare them):

  tools
    add {a: number, b: number}
        text "Sum: <a+b>"; an integral sum prints without a fraction ("Sum: 5", "Sum: 2.5").
    slow_count {n: integer, delay_ms?: integer = 10}
        for i in 1..=n: an info log (notifications/message, logger "slow_count", data
        "count i/n") and, when the request carried a progressToken, a progress notification
        (progress=i, total=n, message "count i/n"); delay_ms between steps; then text
        "Counted <n>".
    ask_model {prompt: string}
        sends sampling/createMessage (one user text message = prompt, maxTokens 100) to the
        client and returns text "Model said: <text of the sampling result's content>".
        The request is sent whatever the client declared; if the client answers it with a
        JSON-RPC error, the tools/call fails with that same error (code and message).
    ask_user {question: string}
        sends a form-mode elicitation/create, message = question, requestedSchema
          {"type": "object",
           "properties": {"name": {"type": "string", "title": "Name", "default": "Ada"},
                          "confirm": {"type": "boolean", "title": "Confirm"}}}
        (nothing required; the server does not validate the answer)
        and returns text "User <action>: <content>", where <content> is the JSON of the
        result's content with sorted keys and no spaces (serde_json::to_string of the same
        value), `null` when absent: e.g. `User accept: {"confirm":true,"name":"Ada"}`,
        `User decline: null`.
  resource  interop://greeting  (text/plain) "Hello from the Python interop server"
  prompt    greet {name}        one user message "Please greet <name>."

Wire notes (mcp 2.3.0, checked by selftest_stdio_server.py): initialize answers 2025-11-25
and declares tools/resources/prompts but NOT `logging` (the SDK's MCPServer leaves it out,
although the spec's Logging page asks a server that sends log notifications to declare it:
https://modelcontextprotocol.io/specification/2025-11-25/server/utilities/logging), yet the
logs arrive as notifications/message, so a client must not drop logs for lack of the
capability.
Tool results also carry structuredContent {"result": "<the text>"} and tools an outputSchema.
Each log precedes its progress notification, and all precede the response.
"""

from __future__ import annotations

import json
import warnings
from typing import Any

import anyio

try:  # mcp 2.x
    from mcp.server.mcpserver import Context
    from mcp.server.mcpserver import MCPServer as Server
except ImportError:  # mcp 1.x
    from mcp.server.fastmcp import Context
    from mcp.server.fastmcp import FastMCP as Server
try:
    from mcp import MCPDeprecationWarning  # 2.x warns that logging/sampling are deprecated in 2026-07-28

    warnings.filterwarnings("ignore", category=MCPDeprecationWarning)
except ImportError:
    pass
from mcp import types

server = Server("spate-interop-py-server", instructions="Peer for Spate's Rust client tests.", log_level="WARNING")

GREETING = "Hello from the Python interop server"
ASK_USER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "title": "Name", "default": "Ada"},
        "confirm": {"type": "boolean", "title": "Confirm"},
    },
}


def format_number(value: float) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    return str(value)


def wire(model: Any) -> Any:
    return model.model_dump(by_alias=True, mode="json", exclude_none=True) if hasattr(model, "model_dump") else model


@server.tool(description="Add two numbers")
async def add(a: float, b: float) -> str:
    return f"Sum: {format_number(a + b)}"


@server.tool(description="Count to n, logging and reporting progress at each step")
async def slow_count(n: int, ctx: Context, delay_ms: int = 10) -> str:
    for i in range(1, n + 1):
        await ctx.log("info", f"count {i}/{n}", logger_name="slow_count")
        await ctx.report_progress(i, n, f"count {i}/{n}")
        if delay_ms > 0 and i < n:
            await anyio.sleep(delay_ms / 1000)
    return f"Counted {n}"


@server.tool(description="Ask the client's model (sampling/createMessage)")
async def ask_model(prompt: str, ctx: Context) -> str:
    result = await ctx.session.create_message(
        messages=[types.SamplingMessage(role="user", content=types.TextContent(type="text", text=prompt))],
        max_tokens=100,
        related_request_id=ctx.request_id,
    )
    content = wire(result)["content"]
    blocks = content if isinstance(content, list) else [content]
    text = "".join(b.get("text", "") for b in blocks if b.get("type") == "text")
    return f"Model said: {text}"


@server.tool(description="Ask the user a question (form elicitation)")
async def ask_user(question: str, ctx: Context) -> str:
    session = ctx.session
    elicit = getattr(session, "elicit_form", None) or session.elicit
    result = wire(await elicit(question, ASK_USER_SCHEMA, related_request_id=ctx.request_id))
    content = json.dumps(result.get("content"), sort_keys=True, separators=(",", ":"))
    return f"User {result['action']}: {content}"


@server.resource("interop://greeting", name="greeting", description="A fixed greeting", mime_type="text/plain")
def greeting() -> str:
    return GREETING


@server.prompt(description="Ask the model to greet someone")
def greet(name: str) -> str:
    return f"Please greet {name}."


if __name__ == "__main__":
    server.run("stdio")
