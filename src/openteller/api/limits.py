"""Request limits: a cap on body size and a per-caller rate limit (pure ASGI middleware).

Body size: a request whose `Content-Length` exceeds `max_body_bytes` is refused with 413
before its body is read; a body without one (chunked) is counted while it arrives and
refused as soon as it grows past the limit. The route never sees a partial body.

Rate limit: a fixed one-minute window aligned to the app's injected clock (window `n`
covers `[60 n, 60 (n + 1))` seconds since the epoch), `rate_limit_per_minute` requests per
caller and window. The caller is the subject of a valid bearer token (`customer:42`: a
customer's new token does not buy a new budget), otherwise the client address (the one
uvicorn reports; run it with `--proxy-headers` behind a trusted proxy). A forged or
expired token counts against the address, never against the customer it names. Over the
limit: 429 `rate_limited` with `Retry-After` (whole seconds to the end of the window).
Every counted response carries `RateLimit-Limit`, `RateLimit-Remaining` and
`RateLimit-Reset`. `/health` and `/metrics` are not counted. A fixed window lets a
caller send up to twice the limit across a window boundary; that is the price of one
atomic counter per caller (one Redis round trip).

Stores: `memory://` keeps counts in the process (development, the demo, one worker);
`redis://` / `rediss://` / `unix://` share them between workers (INCR and EXPIRE in one
MULTI/EXEC). When the store cannot be reached the limiter fails open for reads (GET,
HEAD, OPTIONS: a customer can still see their balance while Redis is down; logged) and
closed for everything else (503 `rate_limit_unavailable`): a payment, a login or a card
action is never let through unthrottled.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from starlette.datastructures import Headers, MutableHeaders, State
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from openteller.api.auth import read_token
from openteller.core import OpenTellerError
from openteller.settings import Settings

logger = logging.getLogger("openteller.api.limits")

WINDOW_SECONDS = 60
EXEMPT_PATHS = frozenset({"/health", "/metrics"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
UNAVAILABLE_RETRY_AFTER = 5  # seconds; a store outage is not expected to last a window
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROS = 1_000_000


class RateStoreUnavailable(Exception):
    """The rate store could not count a request (connection refused, timeout...)."""


class RateStore(Protocol):
    """Counts requests per caller and window."""

    async def hit(self, subject: str, window: int) -> int:
        """Count one request of `subject` in `window`; the count including this one."""
        ...

    async def aclose(self) -> None: ...


class MemoryRateStore:
    """Counts in this process: right for one worker, wrong for several (each its own)."""

    def __init__(self) -> None:
        self._window: int | None = None
        self._counts: dict[str, int] = {}

    async def hit(self, subject: str, window: int) -> int:
        # Only the current window matters; dropping the rest bounds memory by the number
        # of callers seen this minute. No await in here, so the event loop needs no lock.
        if window != self._window:
            self._window, self._counts = window, {}
        count = self._counts.get(subject, 0) + 1
        self._counts[subject] = count
        return count

    async def aclose(self) -> None:
        self._counts = {}


class RedisRateStore:
    """Counts in Redis, shared by every worker: key `{prefix}{subject}:{window}`."""

    def __init__(self, client: Redis, prefix: str) -> None:
        self._client = client
        self._prefix = prefix

    @classmethod
    def from_url(cls, url: str, prefix: str) -> RedisRateStore:
        # Short timeouts and no retries: a request must not wait on a sick Redis, and
        # the fail-open/fail-closed decision is made at once.
        client = Redis.from_url(
            url,
            socket_connect_timeout=0.25,
            socket_timeout=0.25,
            retry=Retry(NoBackoff(), 0),
        )
        return cls(client, prefix)

    async def hit(self, subject: str, window: int) -> int:
        key = f"{self._prefix}{subject}:{window}"
        try:
            async with self._client.pipeline(transaction=True) as pipe:
                pipe.incr(key)
                # The key names its window, so the TTL only collects garbage.
                pipe.expire(key, 2 * WINDOW_SECONDS)
                count, _ = await pipe.execute()
        except (RedisError, OSError) as exc:
            raise RateStoreUnavailable(str(exc)) from exc
        return int(count)

    async def aclose(self) -> None:
        await self._client.aclose()


def rate_store_from_settings(settings: Settings) -> RateStore:
    """The store `rate_limit_store_url` names."""
    url = settings.rate_limit_store_url
    if url.startswith("memory://"):
        return MemoryRateStore()
    return RedisRateStore.from_url(url, settings.rate_limit_key_prefix)


def _error(status: int, code: str, message: str, details: Mapping[str, Any]) -> JSONResponse:
    # The same envelope as app.py's handlers render (app.py imports this module).
    return JSONResponse(
        status_code=status,
        content={"error": {"code": code, "message": message, "details": dict(details)}},
    )


class BodySizeLimit:
    """Refuse request bodies over `max_body_bytes` with 413 `payload_too_large`."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    def _too_large(self) -> JSONResponse:
        response = _error(
            413,
            "payload_too_large",
            f"request body exceeds {self.max_body_bytes} bytes",
            {"limit_bytes": self.max_body_bytes},
        )
        # The rest of the body is not read, so the connection cannot carry another request.
        response.headers["Connection"] = "close"
        return response

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdecimal() and int(declared) > self.max_body_bytes:
            await self._too_large()(scope, receive, send)
            return

        received = 0
        overflow = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, overflow
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    overflow = True
                    raise _BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if overflow and not started:
                return  # whatever the app made of the cut-off body (400, 500) is replaced
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not overflow or started:
                raise
        if overflow and not started:
            await self._too_large()(scope, receive, send)


class _BodyTooLarge(Exception):
    """Raised into the app from `receive`; never leaves `BodySizeLimit`."""


class RateLimit:
    """Count each request against its caller's budget for the current window."""

    def __init__(self, app: ASGIApp, state: State, limit: int) -> None:
        # The clock and the store are read from the app's state on each request, as the
        # route dependencies read them.
        self.app = app
        self.state = state
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in EXEMPT_PATHS:
            await self.app(scope, receive, send)
            return
        now: datetime = self.state.clock.now()
        micros = (now - _EPOCH) // timedelta(microseconds=1)
        window = micros // (WINDOW_SECONDS * _MICROS)
        reset = -(-((window + 1) * WINDOW_SECONDS * _MICROS - micros) // _MICROS)  # ceil
        store: RateStore = self.state.rate_store
        try:
            count = await store.hit(self._subject(scope, now), window)
        except RateStoreUnavailable as exc:
            if scope["method"] in SAFE_METHODS:
                logger.warning("rate store unavailable, letting a read through: %s", exc)
                await self.app(scope, receive, send)
                return
            logger.error("rate store unavailable, refusing a write: %s", exc)
            response = _error(
                503,
                "rate_limit_unavailable",
                "request limits cannot be checked right now; try again shortly",
                {},
            )
            response.headers["Retry-After"] = str(UNAVAILABLE_RETRY_AFTER)
            await response(scope, receive, send)
            return

        headers = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(max(self.limit - count, 0)),
            "RateLimit-Reset": str(reset),
        }
        if count > self.limit:
            response = _error(
                429,
                "rate_limited",
                f"more than {self.limit} requests a minute; retry in {reset} s",
                {"limit": self.limit, "window_seconds": WINDOW_SECONDS, "retry_after": reset},
            )
            response.headers.update({**headers, "Retry-After": str(reset)})
            await response(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).update(headers)
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _subject(self, scope: Scope, now: datetime) -> str:
        scheme, _, token = Headers(scope=scope).get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            try:
                principal = read_token(self.state.settings, token.strip(), now)
            except OpenTellerError:
                pass  # not a valid token: the address pays, not the customer it names
            else:
                return f"{principal.kind}:{principal.id}"
        client = scope.get("client")
        return f"ip:{client[0] if client else 'unknown'}"


def install_limits(app: FastAPI, settings: Settings) -> None:
    """Add both limits to `app` (inside the request-id middleware added after them)."""
    app.add_middleware(BodySizeLimit, max_body_bytes=settings.max_body_bytes)
    if settings.rate_limit_per_minute == 0:
        return
    store = rate_store_from_settings(settings)
    if settings.environment == "production" and isinstance(store, MemoryRateStore):
        logger.warning("rate limits are per worker process: set OPENTELLER_RATE_LIMIT_STORE_URL")
    app.state.rate_store = store
    app.add_middleware(RateLimit, state=app.state, limit=settings.rate_limit_per_minute)
    before = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(instance: Any) -> AsyncIterator[Any]:
        # Close the store's connections on the event loop that opened them.
        try:
            async with before(instance) as state:
                yield state
        finally:
            await app.state.rate_store.aclose()

    app.router.lifespan_context = lifespan
