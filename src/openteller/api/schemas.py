"""Response shapes shared by the routes, and the one error envelope, for /openapi.json.

Money is never a JSON number: it is a decimal string in major units with exactly as many
decimals as the currency has minor units (ISO 4217: 2 for USD, 0 for JPY, 3 for KWD), next
to a `currency` field. Ids are strings of digits. Timestamps are ISO 8601 with an offset.

The models describe what the routes return; routes name them as `response_model`, so
FastAPI checks each answer against its model (an answer that drifted from its model is a
500, caught by tests/api/test_schemathesis.py, never a silently different document).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import Path, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, WithJsonSchema

# Every currency in `core.money.CURRENCY_EXPONENTS` has 0, 2 or 3 minor-unit digits.
MONEY_PATTERN = r"^-?(0|[1-9][0-9]*)(\.[0-9]{2}|\.[0-9]{3})?$"
PERCENT_PATTERN = r"^[0-9]{1,3}(\.[0-9]+)?$"
ID_PATTERN = r"^[1-9][0-9]*$"
# Ids are INTEGER primary keys: 32-bit on PostgreSQL ("integer out of range" beyond),
# 64-bit on SQLite. A larger id cannot name anything and would fail in the driver, so the
# API refuses it first, with a 422.
MAX_ID = 2**31 - 1
# Free text that reaches a query or a row: PostgreSQL text cannot hold NUL characters.
NO_NUL = r"^[^\x00]*$"

# An amount a client sends: positive, at most 12 digits before the point and 2 after.
# Documented as the decimal string clients should send; a JSON number is tolerated.
AmountIn = Annotated[
    Decimal,
    Field(gt=0, max_digits=14, decimal_places=2),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^(0|[1-9][0-9]{0,11})(\.[0-9]{1,2})?$",
            "description": "A positive decimal string in major units, e.g. 125.00; at most as "
            "many decimals as the currency has (none for JPY).",
            "examples": ["125.00"],
        }
    ),
]
IdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="An id, from a list or a create.")]
IdField = Annotated[int, Field(ge=1, le=MAX_ID)]

Money = Annotated[
    str,
    StringConstraints(pattern=MONEY_PATTERN),
    Field(
        description="Decimal string in major units with the currency's minor-unit digits "
        "(2 for USD, 0 for JPY, 3 for KWD).",
        examples=["1250.00"],
    ),
]
Percent = Annotated[
    str,
    StringConstraints(pattern=PERCENT_PATTERN),
    Field(description="A percentage as a decimal string (12.99 is 12.99 %).", examples=["12.99"]),
]
Id = Annotated[
    str, StringConstraints(pattern=ID_PATTERN), Field(description="An id.", examples=["42"])
]
Currency = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Z]{3}$"),
    Field(description="ISO 4217 currency code.", examples=["USD"]),
]
Timestamp = Annotated[
    str,
    Field(
        json_schema_extra={"format": "date-time"},
        description="ISO 8601 timestamp with its UTC offset.",
        examples=["2026-11-15T12:00:00+00:00"],
    ),
]
Day = Annotated[
    str,
    Field(
        json_schema_extra={"format": "date"}, description="ISO 8601 date.", examples=["2026-12-15"]
    ),
]
CustomerAccountKind = Literal["checking", "savings", "credit_card", "loan"]


class Out(BaseModel):
    """Base of response models: a key the model does not name is an error, not dropped."""

    model_config = ConfigDict(extra="forbid")


class ErrorBody(Out):
    code: str = Field(
        description="Stable machine-readable code: `validation_failed`, `invalid_amount`, "
        "`invalid_idempotency_key`, `malformed_body`, `unauthorized`, `forbidden`, "
        "`insufficient_scope`, `not_found`, `method_not_allowed`, `conflict`, "
        "`idempotency_conflict`, "
        "`account_closed`, `card_blocked`, `invalid_state`, `already_exists`, "
        "`insufficient_funds`, `payload_too_large`, `rate_limited`, "
        "`rate_limit_unavailable`, `internal_error`...",
        examples=["not_found"],
    )
    message: str = Field(description="For people; may change between releases.")
    details: dict[str, Any] = Field(
        description="Structured context, e.g. `errors` (a list of `{loc, msg}`) for a "
        "validation failure, `required` for a missing scope, `limit_bytes` for a 413."
    )


class ErrorEnvelope(Out):
    """Every error, from every route (validation, unknown routes and 500s included)."""

    error: ErrorBody


# What each status means on this API, with a typical body for /docs.
_ERRORS: dict[int, tuple[str, str, dict[str, Any]]] = {
    400: (
        "The body cannot be decoded (JSON that is not UTF-8, broken form encoding).",
        "malformed_body",
        {},
    ),
    401: (
        "No bearer token, or one that is forged, malformed or expired; for the token "
        "endpoint, a wrong username or password.",
        "unauthorized",
        {},
    ),
    403: (
        "The token lacks the consent scope this operation needs, or belongs to the wrong "
        "kind of user (customer/staff) or staff role.",
        "insufficient_scope",
        {"required": "accounts:read"},
    ),
    404: (
        "No such resource among the caller's own (another customer's id is 404 too).",
        "not_found",
        {},
    ),
    409: ("The request clashes with the current state.", "conflict", {}),
    413: (
        "The request body is larger than the configured limit.",
        "payload_too_large",
        {"limit_bytes": 65536},
    ),
    422: (
        "The request is invalid: a parameter or body field (`details.errors`), or a "
        "business rule such as insufficient funds.",
        "validation_failed",
        {"errors": [{"loc": ["body", "amount"], "msg": "Input should be greater than 0"}]},
    ),
    429: (
        "Too many requests from this caller in the current minute.",
        "rate_limited",
        {"limit": 600, "window_seconds": 60, "retry_after": 17},
    ),
    503: (
        "Request limits cannot be checked right now (writes only); retry shortly.",
        "rate_limit_unavailable",
        {},
    ),
}


def _integer_header(description: str) -> dict[str, Any]:
    return {"description": description, "schema": {"type": "integer", "minimum": 0}}


RETRY_AFTER = _integer_header("Seconds to wait before retrying.")
RATE_LIMIT_HEADERS = {
    "RateLimit-Limit": _integer_header("Requests allowed per caller and minute."),
    "RateLimit-Remaining": _integer_header("Requests left in the current window."),
    "RateLimit-Reset": _integer_header("Seconds until the window ends."),
}
_ERROR_HEADERS: dict[int, dict[str, Any]] = {
    401: {
        "WWW-Authenticate": {
            "description": 'Always `Bearer realm="openteller"`.',
            "schema": {"type": "string"},
        }
    },
    429: {"Retry-After": RETRY_AFTER},
    503: {"Retry-After": RETRY_AFTER},
}


def errors(*statuses: int, notes: dict[int, str] | None = None) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries in the error envelope for `statuses`; `notes` replace
    the generic description of a status where a route means something specific."""
    notes = notes or {}
    responses: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        description, code, details = _ERRORS[status]
        example = {"error": {"code": code, "message": description, "details": details}}
        entry: dict[str, Any] = {
            "model": ErrorEnvelope,
            "description": notes.get(status, description),
            "content": {"application/json": {"example": example}},
        }
        if status in _ERROR_HEADERS:
            entry["headers"] = _ERROR_HEADERS[status]
        responses[status] = entry
    return responses


def replayed(model: type[BaseModel], description: str) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI entry of a 200 replay: the first answer to an `Idempotency-Key`,
    marked by the `Idempotency-Replayed: true` header."""
    return {
        200: {
            "model": model,
            "description": description,
            "headers": {
                "Idempotency-Replayed": {
                    "description": "Always `true` on a replay.",
                    "schema": {"type": "string", "enum": ["true"]},
                    "required": True,
                }
            },
        }
    }


def mark_replayed(response: Response) -> None:
    """Answer a replay as `replayed` documents it: 200 and `Idempotency-Replayed: true`."""
    response.status_code = 200
    response.headers["Idempotency-Replayed"] = "true"


class AccountTotal(Out):
    count: int = Field(ge=0)
    balance: Money


class BankStats(Out):
    """Counts and totals across the bank."""

    customers: int = Field(ge=0)
    accounts: dict[str, AccountTotal] = Field(description="By account kind.")
    transfers: dict[str, int] = Field(description="Count by status (posted, failed).")
    postings: int = Field(ge=0)
    holds: dict[str, int] = Field(description="Card holds by status.")
    cards: dict[str, int] = Field(description="Cards by status.")
    loans: int = Field(ge=0)
    payees: int = Field(ge=0)
    seed_labels: dict[str, int] = Field(description="Demo ground-truth labels by kind.")
    first_transfer_at: Timestamp | None
    last_transfer_at: Timestamp | None
    volume: dict[str, Money] = Field(description="Posted transfer volume by currency.")


class BankOverview(BankStats):
    name: str = Field(description="The bank's display name.")


class Rate(Out):
    code: str
    tier: str = Field(description="Risk tier or balance tier; empty when there is one rate.")
    percent: Percent
    variable: bool
    min_balance: Money | None
    description: str


class Fee(Out):
    code: str
    amount: Money | None
    percent: Percent | None
    description: str
    waiver: str = Field(description="When the fee is waived; empty if never.")


class Limit(Out):
    code: str
    amount: Money | None
    count: int | None
    period: str = Field(description="day, month, cycle... or empty.")
    description: str


class Product(Out):
    code: str = Field(examples=["everyday_checking"])
    name: str
    kind: CustomerAccountKind
    currency: Currency
    description: str
    version: str
    effective_date: Day
    active: bool = Field(description="False once a catalog reload dropped the product.")
    rates: list[Rate]
    fees: list[Fee]
    limits: list[Limit]


class ProductList(Out):
    products: list[Product]


class Health(Out):
    status: Literal["ok", "migrations_pending"]
    version: str
    database: str = Field(examples=["postgresql"])
    schema_revision: str | None = Field(description="Alembic revision; null before migrations.")
