#!/usr/bin/env python3
"""The official Python SDK client (mcp 2.x) logs in with OAuth to an MCP server and calls a tool.

Usage:
    $SPATE_PY2 interop/python/check_oauth_server.py [--timeout S] [--verbose] -- SPATE_BINARY

The check starts the test authorization server (auth_server.py, on 127.0.0.1) and then
`SPATE_BINARY serve --listen 127.0.0.1:0 --oauth-issuer <it> --oauth-scope mcp:read`, and
drives the SDK's `OAuthClientProvider` through the whole flow, answering the authorization
request the way a browser would (the test server approves at once; the redirect's code is
taken from its Location header without following it).

Expectations:
  * the first MCP request gets 401 with a challenge naming the Protected Resource Metadata;
  * the SDK finds the authorization server through it, registers (DCR), authorizes with PKCE
    S256 and `resource` = the MCP endpoint, and exchanges the code for a token carrying the
    same `resource`;
  * with the token, initialize succeeds and `calculate {a: 10, b: 20}` gives `Result: 30`;
  * a request with a forged token is refused with 401.

Exit status 0 when every expectation holds; 1 with a FAIL line otherwise; 2 for bad usage.
"""

from __future__ import annotations

import os
import sys
from typing import Any
from urllib.parse import parse_qs, urlparse

import anyio
import httpx2
from mcp import ClientSession
from mcp.client.auth import AuthorizationCodeResult, OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp.shared.auth import OAuthClientInformationFull, OAuthClientMetadata, OAuthToken

import check_http_server as base
from check_http_server import HttpTap, ServerProcess, expect, info, step, texts, wire

REDIRECT = "http://127.0.0.1:9/callback"


class MemoryStorage:
    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client = client_info


class Browser:
    """Plays the user's browser: opens the authorization URL and reads where it redirects."""

    def __init__(self) -> None:
        self.result: AuthorizationCodeResult | None = None
        self.urls: list[str] = []

    async def open(self, url: str) -> None:
        self.urls.append(url)
        async with httpx2.AsyncClient(follow_redirects=False) as client:
            response = await client.get(url)
        expect(response.status_code == 302, f"the authorization request got HTTP {response.status_code}: {response.text[:300]}")
        location = urlparse(response.headers["location"])
        query = {k: v[0] for k, v in parse_qs(location.query).items()}
        expect("code" in query, f"no code in the redirect {location.geturl()}")
        self.result = AuthorizationCodeResult(code=query["code"], state=query.get("state"), iss=query.get("iss"))

    async def callback(self) -> AuthorizationCodeResult:
        expect(self.result is not None, "the SDK asked for the callback before opening the browser")
        assert self.result is not None
        return self.result


async def run(spate: str, _mode: str) -> None:
    step("start the authorization server")
    auth = ServerProcess([sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "auth_server.py")])
    issuer = auth.start()
    server = ServerProcess([spate, "serve", "--listen", "127.0.0.1:0", "--oauth-issuer", issuer, "--oauth-scope", "mcp:read"])
    try:
        step("start spate serve with --oauth-issuer")
        url = server.start() + "/mcp"
        info(f"authorization server {issuer}, MCP server {url}")
        await check_flow(url, issuer)
    finally:
        server.stop()
        auth.stop()


async def check_flow(url: str, issuer: str) -> None:
    step("unauthenticated request")
    async with httpx2.AsyncClient() as plain:
        r = await plain.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
                             headers={"accept": "application/json, text/event-stream"})
    expect(r.status_code == 401, f"a request without a token got HTTP {r.status_code}")
    challenge = r.headers.get("www-authenticate", "")
    expect("resource_metadata=" in challenge, f"the 401 challenge does not name the metadata: {challenge!r}")

    step("OAuth login through the SDK, then calculate")
    browser = Browser()
    storage = MemoryStorage()
    provider = OAuthClientProvider(
        server_url=url,
        client_metadata=OAuthClientMetadata(
            client_name="spate-interop-oauth-check",
            redirect_uris=[REDIRECT],
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
            token_endpoint_auth_method="none",
        ),
        storage=storage,
        redirect_handler=browser.open,
        callback_handler=browser.callback,
    )
    tap = HttpTap()
    client = create_mcp_http_client(auth=provider)
    client.event_hooks = {"request": [], "response": [tap.on_response]}
    async with client:
        async with streamable_http_client(url, http_client=client) as streams:
            async with ClientSession(streams[0], streams[1]) as session:
                init = wire(await session.initialize())
                expect(init.get("serverInfo", {}).get("name") == "spate", f"initialize: {base.short(init)}")
                result = wire(await session.call_tool("calculate", {"a": 10, "b": 20}))
                expect(texts(result) == ["Result: 30"], f"calculate: {base.short(result)}")
    expect(storage.tokens is not None, "the SDK stored no token")
    expect(len(browser.urls) == 1, f"expected one authorization request, saw {len(browser.urls)}")
    refused = [e for e in tap.exchanges if e["status"] == 401]
    expect(bool(refused), "the SDK's first MCP request was not refused with 401 (no login was needed?)")

    step("the authorization server saw a correct flow")
    async with httpx2.AsyncClient() as plain:
        log: list[dict[str, Any]] = (await plain.get(f"{issuer}/log")).json()
    kinds = [entry["endpoint"] for entry in log]
    expect(kinds[:3] == ["register", "authorize", "token"], f"the flow at the authorization server: {kinds}")
    authorize = log[1]["query"]
    expect(authorize.get("resource") == url, f"authorize resource {authorize.get('resource')!r}, expected {url!r}")
    expect(authorize.get("code_challenge_method") == "S256", "authorize without PKCE S256")
    expect("mcp:read" in (authorize.get("scope") or ""), f"authorize scope {authorize.get('scope')!r}")
    expect(log[2]["form"].get("resource") == url, "the token request did not repeat the resource")

    step("a forged token is refused")
    forged = storage.tokens.access_token[:-4] + ("AAAA" if not storage.tokens.access_token.endswith("AAAA") else "BBBB")
    async with httpx2.AsyncClient() as plain:
        r = await plain.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
                             headers={"accept": "application/json, text/event-stream",
                                      "authorization": f"Bearer {forged}"})
    expect(r.status_code == 401, f"a forged token got HTTP {r.status_code}")
    expect('error="invalid_token"' in r.headers.get("www-authenticate", ""), "no invalid_token in the challenge")
    info("OAuth ok: 401 -> PRM -> AS metadata -> DCR -> authorize (PKCE, resource) -> token -> calculate 'Result: 30'")


def main(argv: list[str]) -> int:
    if "--" not in argv or len(argv[argv.index("--") + 1 :]) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    spate = argv[argv.index("--") + 1]
    opts = argv[: argv.index("--")]
    base.set_tag(f"[py-oauth-check mcp {base.SDK_VERSION}]")
    # run_main starts nothing itself here: the check starts both servers.
    return base.run_main(opts + ["--url", spate], __doc__ or "", "", run)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
