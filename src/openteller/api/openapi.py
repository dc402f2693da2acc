"""The OpenAPI document (/openapi.json, rendered at /docs): what FastAPI derives from the
routes, plus what the routes cannot say about themselves.

- The bearer security scheme, on every operation whose signature authenticates
  (`CurrentCustomer` or `StaffUser`, directly or through another dependency), so the
  document cannot drift from the code.
- FastAPI's default 422 body (`HTTPValidationError`) replaced by our error envelope: the
  handler in app.py renders every validation error in it.
- Headers the middleware adds to every answer: `X-Request-ID` everywhere, `RateLimit-*`
  on every counted path (all but /health and /metrics) when rate limiting is on.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, get_args

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts

from openteller.api.deps import CurrentCustomer, StaffUser
from openteller.api.limits import EXEMPT_PATHS
from openteller.api.schemas import RATE_LIMIT_HEADERS

BEARER = "bearerAuth"
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
# The dependencies that read the bearer token (the callables behind the typed aliases).
_GUARDS = frozenset(get_args(alias)[1].dependency for alias in (CurrentCustomer, StaffUser))

DESCRIPTION = """\
The middleware API of an open-source AI banking assistant: the customer's accounts,
transactions, cards, payees, payments and loans, the product catalog, and the staff
console.

**Authentication.** `POST /v1/auth/token` is the OAuth2 password grant (form-encoded).
Send the `access_token` it returns as `Authorization: Bearer <token>`. Customer tokens
carry consent scopes (`accounts:read`, `balances:read`, `transactions:read`,
`payments:write`, `cards:write`, `loans:write`, `chat`); staff usernames contain `@`, and
their tokens carry the `console` scope and a role (analyst, compliance, product).

**Money** is a decimal string in major units with exactly the currency's minor-unit
digits (`"1250.00"` USD, `"1250"` JPY), always next to a `currency`; never a JSON number.

**Errors** all share one envelope, `{"error": {"code", "message", "details"}}`:
validation errors (422, `details.errors`), unknown routes (404), wrong methods (405),
and unexpected failures (500, never a stack trace). Branch on `code`, not on `message`.

**Idempotency.** `POST /v1/payments` requires an `Idempotency-Key` header (1-40 letters,
digits or `. _ : -`). Retrying with the same key and body answers the first result
(200, `Idempotency-Replayed: true`); another body under the same key is a 409.

**Request ids and limits.** Every answer carries `X-Request-ID` (yours when it is 1-128
safe characters). Bodies over the configured size are refused with 413. When rate
limiting is on, counted answers carry `RateLimit-Limit`, `RateLimit-Remaining` and
`RateLimit-Reset`, and a caller over its budget gets 429 with `Retry-After`.
"""

TAGS = [
    {"name": "auth", "description": "Sign in: bearer tokens for customers and staff."},
    {"name": "accounts", "description": "The customer's accounts, balances and history."},
    {"name": "cards", "description": "The customer's cards, masked; block and replace."},
    {"name": "payees", "description": "The customer's payees at other banks."},
    {"name": "payments", "description": "Money moves, exactly once (idempotency keys)."},
    {"name": "loans", "description": "Loan quotes with Regulation Z APRs; the customer's loans."},
    {"name": "bank", "description": "Public information: the catalog, health, an overview."},
    {"name": "staff console", "description": "Bank staff only; each route names its roles."},
]

_REQUEST_ID = {
    "description": "The caller's X-Request-ID when it is 1-128 safe characters, else a new one.",
    "required": True,
    "schema": {"type": "string", "pattern": "^[A-Za-z0-9._:\\-]{1,128}$"},
}


def install_openapi(app: FastAPI) -> None:
    """Serve the document built by `build_openapi` (once, on first request)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_openapi(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def build_openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document for `app`, completed as the module docstring says."""
    document = get_openapi(
        title=app.title,
        version=app.version,
        description=DESCRIPTION,
        routes=app.routes,
        tags=TAGS,
    )
    components = document.setdefault("components", {})
    components.setdefault("securitySchemes", {})[BEARER] = {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "An access token from POST /v1/auth/token; it lives `expires_in` "
        "seconds (15 minutes by default).",
    }
    # Route contexts, not `app.routes`: included routers' routes are resolved lazily.
    secured = {
        (route.path, method.lower())
        for route in iter_route_contexts(app.routes)
        if isinstance(route.original_route, APIRoute) and _authenticates(route.dependant)
        for method in route.methods or ()
    }
    schemas = components.setdefault("schemas", {})
    for path, item in document.get("paths", {}).items():
        for method in _METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            if (path, method) in secured:
                operation["security"] = [{BEARER: []}]
            for response in operation.get("responses", {}).values():
                _complete_response(response, counted=path not in EXEMPT_PATHS)
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    return document


def _complete_response(response: dict[str, Any], *, counted: bool) -> None:
    content = response.get("content", {}).get("application/json", {})
    if content.get("schema", {}).get("$ref", "").endswith("/HTTPValidationError"):
        content["schema"] = {"$ref": "#/components/schemas/ErrorEnvelope"}
    headers = response.setdefault("headers", {})
    headers.setdefault("X-Request-ID", _REQUEST_ID)
    if counted:
        for name, header in RATE_LIMIT_HEADERS.items():
            headers.setdefault(name, header)


def _authenticates(dependant: Dependant) -> bool:
    return any(sub.call in _GUARDS for sub in _walk(dependant))


def _walk(dependant: Dependant) -> Iterator[Dependant]:
    for sub in dependant.dependencies:
        yield sub
        yield from _walk(sub)
