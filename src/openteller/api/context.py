"""Request context as pure ASGI middleware: the `X-Request-ID` of every response, the
HTTP metrics, and the last line of defence for an unexpected error.

Pure ASGI (not Starlette's `BaseHTTPMiddleware`): no extra task and no body buffering per
request. An exception no handler took becomes a 500 in the error envelope here, inside
this middleware, so that response carries the request id too; the log keeps the trace.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from openteller.api.metrics import HttpMetrics

logger = logging.getLogger("openteller.api")

_REQUEST_ID = re.compile(rb"[A-Za-z0-9._:\-]{1,128}")
_INTERNAL = json.dumps(
    {"error": {"code": "internal_error", "message": "internal server error", "details": {}}}
).encode()


class RequestContext:
    def __init__(self, app: ASGIApp, metrics: HttpMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v for k, v in scope["headers"] if k == b"x-request-id"), b"")
        rid = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex.encode()
        status = 500
        started = False
        began = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                started = True
                status = int(message["status"])
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid)]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            logger.exception("unhandled error (request %s)", rid.decode())
            if started:
                raise  # the answer is half sent: nothing better can be done
            await send_with_id(
                {
                    "type": "http.response.start",
                    "status": 500,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(_INTERNAL)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": _INTERNAL})
        finally:
            # Route templates, not raw paths (/v1/accounts/{account_id}): bounded labels.
            route: Any = scope.get("route")
            self.metrics.observe(
                scope["method"],
                getattr(route, "path", "unmatched"),
                status,
                time.perf_counter() - began,
            )
