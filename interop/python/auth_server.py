#!/usr/bin/env python3
"""A minimal OAuth 2.1 authorization server for interop tests, on 127.0.0.1 only.

Usage: $SPATE_PY2 interop/python/auth_server.py [--scopes "mcp:read mcp:write"]

It picks a free port and prints `listening on http://127.0.0.1:PORT` as its first line, then
serves until killed. It signs RS256 JWT access tokens with a key made at start-up, so a
resource server that checks them against `/jwks.json` proves real validation. Everything is
approved at once (there is no user): an authorization request redirects straight back with a
code. It checks what a real server checks: PKCE S256, the redirect URI, the client, single-use
codes, and it records every request so a check can assert on the flow.

Endpoints (RFC 8414 metadata at /.well-known/oauth-authorization-server):
  POST /register   dynamic client registration (RFC 7591)
  GET  /authorize  authorization code + PKCE; redirects with code, state and iss (RFC 9207)
  POST /token      authorization_code, refresh_token and client_credentials grants
  GET  /jwks.json  the signing key
  GET  /log        what was asked so far (JSON list), for checks
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import secrets
import socket
import sys
import time
from urllib.parse import urlencode

import jwt
import uvicorn
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse
from starlette.routing import Route


def b64url_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class AuthServer:
    def __init__(self, issuer: str, scopes: list[str]) -> None:
        self.issuer = issuer
        self.scopes = scopes
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = secrets.token_hex(8)
        self.clients: dict[str, dict] = {}
        self.codes: dict[str, dict] = {}
        self.refresh: dict[str, dict] = {}
        self.log: list[dict] = []

    def metadata(self) -> dict:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "registration_endpoint": f"{self.issuer}/register",
            "jwks_uri": f"{self.issuer}/jwks.json",
            "scopes_supported": self.scopes,
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["none", "client_secret_post", "client_secret_basic"],
            "authorization_response_iss_parameter_supported": True,
        }

    def jwks(self) -> dict:
        public = self.key.public_key().public_numbers()
        return {"keys": [{"kty": "RSA", "kid": self.kid, "use": "sig", "alg": "RS256",
                          "n": b64url_uint(public.n), "e": b64url_uint(public.e)}]}

    def issue(self, client_id: str, scope: str, resource: str | None) -> dict:
        now = int(time.time())
        claims = {"iss": self.issuer, "sub": "interop-user", "client_id": client_id,
                  "scope": scope, "iat": now, "exp": now + 600}
        if resource:
            claims["aud"] = resource
        token = jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": self.kid})
        refresh = secrets.token_urlsafe(24)
        self.refresh[refresh] = {"client_id": client_id, "scope": scope, "resource": resource}
        return {"access_token": token, "token_type": "Bearer", "expires_in": 600,
                "scope": scope, "refresh_token": refresh}


def error(code: str, description: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": code, "error_description": description}, status_code=status)


def client_auth(server: AuthServer, request: Request, form) -> tuple[str | None, str | None]:
    """The client id and whether it authenticated (None, reason) on failure."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        try:
            client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return None, "malformed Basic credentials"
    else:
        client_id, secret = form.get("client_id"), form.get("client_secret")
    client = server.clients.get(client_id or "")
    if client is None:
        return None, "unknown client"
    if client.get("client_secret") and client["client_secret"] != secret:
        return None, "wrong client secret"
    return client_id, None


def build(server: AuthServer) -> Starlette:
    async def metadata(_: Request) -> JSONResponse:
        return JSONResponse(server.metadata())

    async def jwks(_: Request) -> JSONResponse:
        return JSONResponse(server.jwks())

    async def log(_: Request) -> JSONResponse:
        return JSONResponse(server.log)

    async def register(request: Request) -> JSONResponse:
        body = await request.json()
        server.log.append({"endpoint": "register", "body": body})
        redirects = body.get("redirect_uris") or []
        if not redirects:
            return error("invalid_redirect_uri", "redirect_uris is required")
        client_id = "client-" + secrets.token_hex(6)
        method = body.get("token_endpoint_auth_method", "client_secret_basic")
        record = {**body, "client_id": client_id, "token_endpoint_auth_method": method,
                  "client_id_issued_at": int(time.time())}
        if method != "none":
            record["client_secret"] = secrets.token_urlsafe(16)
        server.clients[client_id] = record
        return JSONResponse(record, status_code=201)

    async def authorize(request: Request):
        q = dict(request.query_params)
        server.log.append({"endpoint": "authorize", "query": q})
        client = server.clients.get(q.get("client_id", ""))
        if client is None:
            return error("invalid_client", "unknown client")
        redirect = q.get("redirect_uri", "")
        if redirect not in client.get("redirect_uris", []):
            return error("invalid_request", "redirect_uri is not registered")
        if q.get("response_type") != "code" or q.get("code_challenge_method") != "S256" or not q.get("code_challenge"):
            return error("invalid_request", "response_type=code with PKCE S256 is required")
        code = secrets.token_urlsafe(24)
        server.codes[code] = {"client_id": client["client_id"], "redirect_uri": redirect,
                              "challenge": q["code_challenge"], "scope": q.get("scope", ""),
                              "resource": q.get("resource")}
        query = {"code": code, "iss": server.issuer}
        if "state" in q:
            query["state"] = q["state"]
        return RedirectResponse(f"{redirect}?{urlencode(query)}", status_code=302)

    async def token(request: Request) -> JSONResponse:
        form = dict(await request.form())
        server.log.append({"endpoint": "token", "form": {k: v for k, v in form.items() if k != "client_secret"}})
        client_id, problem = client_auth(server, request, form)
        if problem:
            return error("invalid_client", problem, 401)
        grant = form.get("grant_type")
        if grant == "authorization_code":
            entry = server.codes.pop(form.get("code", ""), None)
            if entry is None or entry["client_id"] != client_id:
                return error("invalid_grant", "unknown or used code")
            if entry["redirect_uri"] != form.get("redirect_uri"):
                return error("invalid_grant", "redirect_uri differs")
            verifier = form.get("code_verifier", "")
            digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            if digest != entry["challenge"]:
                return error("invalid_grant", "PKCE verification failed")
            if entry["resource"] != form.get("resource"):
                return error("invalid_target", "resource differs from the authorization request")
            return JSONResponse(server.issue(client_id, entry["scope"], entry["resource"]))
        if grant == "refresh_token":
            entry = server.refresh.pop(form.get("refresh_token", ""), None)
            if entry is None or entry["client_id"] != client_id:
                return error("invalid_grant", "unknown refresh token")
            return JSONResponse(server.issue(client_id, entry["scope"], entry["resource"]))
        if grant == "client_credentials":
            return JSONResponse(server.issue(client_id, form.get("scope", ""), form.get("resource")))
        return error("unsupported_grant_type", f"grant_type {grant!r}")

    return Starlette(routes=[
        Route("/.well-known/oauth-authorization-server", metadata),
        Route("/jwks.json", jwks),
        Route("/log", log),
        Route("/register", register, methods=["POST"]),
        Route("/authorize", authorize),
        Route("/token", token, methods=["POST"]),
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scopes", default="mcp:read mcp:write")
    args = parser.parse_args()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    issuer = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = AuthServer(issuer, args.scopes.split())
    print(f"listening on {issuer}", flush=True)
    uvicorn.Server(uvicorn.Config(build(server), log_level="warning")).run(sockets=[sock])


if __name__ == "__main__":
    sys.exit(main())
