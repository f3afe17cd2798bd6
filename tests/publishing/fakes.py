"""LinkedIn and Bluesky on loopback, refusing what the real APIs refuse.

`FakeLinkedIn` serves Sign In with LinkedIn (authorize, token, userinfo) and the Posts API;
`FakeBluesky` serves createSession, refreshSession and createRecord. Both keep what they
accepted (`posts`) and can be told to fail (`fail_posts`, `revoke_all`, `expire_access`).
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import re
import secrets
import unicodedata
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from aiohttp.test_utils import TestServer

from publishing.little_text import unescape, unescaped_reserved

SCOPES = {"openid", "profile", "w_member_social"}


@dataclass
class _Code:
    redirect_uri: str
    challenge: str
    scope: set[str]
    sub: str


@dataclass
class _Token:
    sub: str
    scope: set[str]
    revoked: bool = False


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"status": status, "message": message}, status=status)


@dataclass
class FakeLinkedIn:
    """LinkedIn's OAuth and Posts API for one app; `member` is who signs in in the browser."""

    client_id: str = "test-client-id"
    client_secret: str = "test-client-secret"
    member_sub: str = "782bbtaQ"
    member_name: str = "Ann Example"
    decline: bool = False
    posts: list[dict[str, Any]] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    # Statuses the next posts get instead of being taken (429, 500, 503…).
    fail_posts: list[int] = field(default_factory=list)
    post_attempts: int = 0
    # Every access token handed out, so a test can look for them where they must not be.
    issued: list[str] = field(default_factory=list)
    base_url: str = ""
    _codes: dict[str, _Code] = field(default_factory=dict)
    _tokens: dict[str, _Token] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(7400000000000000001))

    def revoke_all(self) -> None:
        """Every token issued so far stops working (expired, or revoked by the member)."""
        for token in self._tokens.values():
            token.revoked = True

    def _refuse(self, status: int, message: str) -> web.Response:
        self.refusals.append(message)
        return _error(status, message)

    async def authorize(self, request: web.Request) -> web.StreamResponse:
        q = request.query
        if q.get("response_type") != "code" or q.get("client_id") != self.client_id:
            return self._refuse(400, "invalid response_type or client_id")
        redirect, state = q.get("redirect_uri", ""), q.get("state", "")
        if not redirect.startswith(("http://", "https://")) or not state:
            return self._refuse(400, "redirect_uri and state are required")
        scope = set(q.get("scope", "").split())
        if not scope >= SCOPES:
            return self._refuse(400, f"scopes missing: {sorted(SCOPES - scope)}")
        if q.get("code_challenge_method") != "S256" or not q.get("code_challenge"):
            return self._refuse(400, "PKCE S256 challenge required")
        if self.decline:
            query = {"error": "user_cancelled_authorize", "state": state}
            raise web.HTTPFound(f"{redirect}?{urlencode(query)}")
        code = secrets.token_urlsafe(24)
        self._codes[code] = _Code(redirect, q["code_challenge"], scope, self.member_sub)
        raise web.HTTPFound(f"{redirect}?{urlencode({'code': code, 'state': state})}")

    async def access_token(self, request: web.Request) -> web.Response:
        if request.content_type != "application/x-www-form-urlencoded":
            return self._refuse(400, "form-encoded body required")
        form = await request.post()
        if form.get("grant_type") != "authorization_code":
            return self._refuse(400, "unsupported grant_type")
        if form.get("client_id") != self.client_id or form.get("client_secret") != (
            self.client_secret
        ):
            return self._refuse(401, "invalid client credentials")
        code = self._codes.pop(str(form.get("code", "")), None)  # single use
        if code is None:
            return self._refuse(400, "invalid or used authorization code")
        if form.get("redirect_uri") != code.redirect_uri:
            return self._refuse(
                400,
                f"redirect_uri does not match: {form.get('redirect_uri')!r} vs {code.redirect_uri}",
            )
        if _challenge(str(form.get("code_verifier", ""))) != code.challenge:
            return self._refuse(400, "code_verifier does not match the challenge")
        token = secrets.token_urlsafe(32)
        self._tokens[token] = _Token(code.sub, code.scope)
        self.issued.append(token)
        return web.json_response(
            {"access_token": token, "expires_in": 5184000, "scope": " ".join(sorted(code.scope))}
        )

    def _bearer(self, request: web.Request) -> _Token | None:
        header = request.headers.get("Authorization", "")
        token = (
            self._tokens.get(header.removeprefix("Bearer "))
            if header.startswith("Bearer ")
            else None
        )
        return None if token is None or token.revoked else token

    async def userinfo(self, request: web.Request) -> web.Response:
        token = self._bearer(request)
        if token is None or "openid" not in token.scope:
            return self._refuse(401, "invalid token")
        given, _, family = self.member_name.partition(" ")
        return web.json_response(
            {"sub": token.sub, "name": self.member_name, "given_name": given, "family_name": family}
        )

    async def create_post(self, request: web.Request) -> web.Response:
        self.post_attempts += 1
        if self.fail_posts:
            return _error(self.fail_posts.pop(0), "try again later")
        if request.headers.get("X-Restli-Protocol-Version") != "2.0.0":
            return self._refuse(400, "X-Restli-Protocol-Version: 2.0.0 required")
        if not re.fullmatch(r"\d{6}", request.headers.get("LinkedIn-Version", "")):
            return self._refuse(400, "LinkedIn-Version header (YYYYMM) required")
        token = self._bearer(request)
        if token is None:
            return self._refuse(401, "invalid or expired token")
        if "w_member_social" not in token.scope:
            return self._refuse(403, "w_member_social not granted")
        body = await request.json()
        if body.get("author") != f"urn:li:person:{token.sub}":
            return self._refuse(403, "author is not the token's member")
        commentary = body.get("commentary")
        if not isinstance(commentary, str):
            return self._refuse(422, "commentary must be text")
        if unescaped_reserved(commentary):
            # LinkedIn would silently cut the post at the first one: refused here so tests see it.
            return self._refuse(
                422, f"unescaped reserved characters {unescaped_reserved(commentary)}"
            )
        if len(unescape(commentary)) > 3000:
            return self._refuse(422, "commentary longer than 3000 characters")
        article = body.get("content", {}).get("article", {})
        if not str(article.get("source", "")).startswith(
            ("http://", "https://")
        ) or not article.get("title"):
            return self._refuse(422, "article needs a source URL and a title")
        if body.get("lifecycleState") != "PUBLISHED" or body.get("visibility") not in (
            "PUBLIC",
            "CONNECTIONS",
        ):
            return self._refuse(422, "lifecycleState and visibility required")
        if body.get("distribution", {}).get("feedDistribution") != "MAIN_FEED":
            return self._refuse(422, "distribution.feedDistribution required")
        urn = f"urn:li:share:{next(self._ids)}"
        self.posts.append({**body, "id": urn, "text": unescape(commentary)})
        return web.Response(status=201, headers={"x-restli-id": urn})

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/oauth/v2/authorization", self.authorize)
        app.router.add_post("/oauth/v2/accessToken", self.access_token)
        app.router.add_get("/v2/userinfo", self.userinfo)
        app.router.add_post("/rest/posts", self.create_post)
        return app


@dataclass
class _Session:
    did: str
    handle: str
    expired: bool = False


@dataclass
class FakeBluesky:
    """A PDS with accounts that sign in with app passwords only."""

    # handle → (did, app password, main password)
    accounts: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    posts: list[dict[str, Any]] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    fail_posts: list[int] = field(default_factory=list)
    main_password_tried: bool = False
    # Every access and refresh token handed out.
    issued: list[str] = field(default_factory=list)
    base_url: str = ""
    _access: dict[str, _Session] = field(default_factory=dict)
    _refresh: dict[str, _Session] = field(default_factory=dict)
    _rkeys: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def add_account(self, handle: str, did: str, *, app_password: str, main_password: str) -> None:
        self.accounts[handle] = (did, app_password, main_password)

    def expire_access(self) -> None:
        """Access tokens time out (they last hours); refresh tokens still work."""
        for session in self._access.values():
            session.expired = True

    def revoke_all(self) -> None:
        """The app password was revoked: no token works any more."""
        self._access.clear()
        self._refresh.clear()

    def _refuse(self, status: int, error: str, message: str) -> web.Response:
        self.refusals.append(message)
        return web.json_response({"error": error, "message": message}, status=status)

    def _issue(self, did: str, handle: str) -> dict[str, str]:
        access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        self._access[access] = _Session(did, handle)
        self._refresh[refresh] = _Session(did, handle)
        self.issued += [access, refresh]
        return {"did": did, "handle": handle, "accessJwt": access, "refreshJwt": refresh}

    async def create_session(self, request: web.Request) -> web.Response:
        body = await request.json()
        found = self.accounts.get(str(body.get("identifier", "")))
        if found is None:
            return self._refuse(401, "AuthenticationRequired", "Invalid identifier or password")
        did, app_password, main_password = found
        if body.get("password") == main_password:
            self.main_password_tried = True
        if body.get("password") != app_password:
            return self._refuse(401, "AuthenticationRequired", "Invalid identifier or password")
        return web.json_response(self._issue(did, str(body["identifier"])))

    async def refresh_session(self, request: web.Request) -> web.Response:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        session = self._refresh.pop(token, None)
        if session is None:
            return self._refuse(400, "ExpiredToken", "Token has been revoked")
        return web.json_response(self._issue(session.did, session.handle))

    async def create_record(self, request: web.Request) -> web.Response:
        if self.fail_posts:
            return web.json_response(
                {"error": "InternalServerError"}, status=self.fail_posts.pop(0)
            )
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        session = self._access.get(token)
        if session is None:
            return self._refuse(401, "AuthenticationRequired", "Invalid token")
        if session.expired:
            return self._refuse(400, "ExpiredToken", "Token has expired")
        body = await request.json()
        if body.get("repo") != session.did:
            return self._refuse(400, "InvalidRequest", "repo is not the session's DID")
        if body.get("collection") != "app.bsky.feed.post":
            return self._refuse(400, "InvalidRequest", "unexpected collection")
        record = body.get("record", {})
        problem = _post_problem(record)
        if problem:
            return self._refuse(400, "InvalidRequest", problem)
        rkey = f"3l{next(self._rkeys):011d}"
        uri = f"at://{session.did}/app.bsky.feed.post/{rkey}"
        self.posts.append({**record, "uri": uri})
        return web.json_response({"uri": uri, "cid": "bafyreib" + rkey})

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/xrpc/com.atproto.server.createSession", self.create_session)
        app.router.add_post("/xrpc/com.atproto.server.refreshSession", self.refresh_session)
        app.router.add_post("/xrpc/com.atproto.repo.createRecord", self.create_record)
        return app


def _graphemes(text: str) -> int:
    # Close enough for tests: combining marks do not start a grapheme.
    return sum(1 for char in text if not unicodedata.combining(char))


def _post_problem(record: dict[str, Any]) -> str:
    """What app.bsky.feed.post's lexicon (and the facet rules) would refuse, if anything."""
    if record.get("$type") != "app.bsky.feed.post":
        return "record $type must be app.bsky.feed.post"
    text = record.get("text")
    if not isinstance(text, str) or not isinstance(record.get("createdAt"), str):
        return "text and createdAt are required"
    encoded = text.encode("utf-8")
    if _graphemes(text) > 300 or len(encoded) > 3000:
        return "text is longer than 300 graphemes"
    for facet in record.get("facets", []):
        start, end = facet["index"]["byteStart"], facet["index"]["byteEnd"]
        if not 0 <= start < end <= len(encoded):
            return "facet index outside the text"
        covered = encoded[start:end].decode("utf-8", "strict")
        for feature in facet["features"]:
            if feature["$type"] == "app.bsky.richtext.facet#link" and covered != feature["uri"]:
                return f"link facet covers {covered!r}, not its uri"
            if (
                feature["$type"] == "app.bsky.richtext.facet#tag"
                and covered != "#" + feature["tag"]
            ):
                return f"tag facet covers {covered!r}"
    embed = record.get("embed")
    if embed is not None:
        external = embed.get("external", {})
        if embed.get("$type") != "app.bsky.embed.external" or not all(
            isinstance(external.get(key), str) for key in ("uri", "title", "description")
        ):
            return "external embed needs uri, title and description"
    return ""


@asynccontextmanager
async def serve(fake: FakeLinkedIn | FakeBluesky) -> AsyncIterator[str]:
    """Run a fake on a loopback port; yields its base URL."""
    server = TestServer(fake.app(), host="127.0.0.1")
    await server.start_server()
    fake.base_url = str(server.make_url("")).rstrip("/")
    try:
        yield fake.base_url
    finally:
        await server.close()
