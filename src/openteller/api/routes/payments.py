"""`POST /v1/payments` and `GET /v1/payments/{id}`: money moves, exactly once.

The `Idempotency-Key` header (1-40 characters) is required. The ledger's keys are global,
so the core namespaces the customer's key (a digest of customer and key). A replay
answers the first response with `Idempotency-Replayed: true`; the same key with another
body is a 409.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, BackgroundTasks, Header, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator

from openteller.api.deps import ClockDep, CurrentCustomer, EngineDep, SettingsDep
from openteller.api.routes import CustomerCore
from openteller.api.schemas import (
    NO_NUL,
    AmountIn,
    Currency,
    Id,
    IdField,
    IdPath,
    Money,
    Out,
    Timestamp,
    errors,
    mark_replayed,
    replayed,
)
from openteller.core import InvalidIdempotencyKey, PaymentOrder, validate_key
from openteller.core import Payment as PaymentResult
from openteller.insights.service import run_after_postings

router = APIRouter(prefix="/v1/payments", tags=["payments"])

# What `core.validate_key` accepts.
KEY_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,39}$"


class PaymentBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    from_account_id: IdField = Field(description="One of your checking or savings accounts.")
    to_account_id: IdField | None = Field(default=None, description="One of your own accounts.")
    payee_id: IdField | None = Field(default=None, description="One of your payees.")
    amount: AmountIn
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    description: str = Field(default="", max_length=140, pattern=NO_NUL)

    @model_validator(mode="after")
    def _one_destination(self) -> PaymentBody:
        if (self.to_account_id is None) == (self.payee_id is None):
            raise ValueError("give exactly one of to_account_id and payee_id")
        return self


class Payment(Out):
    id: Id
    status: Literal["posted", "failed"]
    idempotency_key: str | None = Field(
        description="The caller's key, in the answer to POST only.", examples=["rent-2026-11"]
    )
    from_account_id: Id
    amount: Money
    currency: Currency
    description: str
    counterparty: str | None = Field(
        description="The payee's or the receiving account's name.",
        examples=["Parkview Apartments"],
    )
    created_at: Timestamp


def _payment(p: PaymentResult) -> dict[str, Any]:
    return {
        "id": str(p.id),
        "status": p.status.value,
        "idempotency_key": p.idempotency_key,
        "from_account_id": str(p.from_account_id),
        "amount": str(p.amount),
        "currency": p.currency,
        "description": p.description,
        "counterparty": p.counterparty,
        "created_at": p.created_at.isoformat(),
    }


@router.post(
    "",
    status_code=201,
    summary="Make a payment",
    response_model=Payment,
    responses={
        **replayed(
            Payment,
            "A replay: this key was used before with the same body; the first result is "
            "returned and nothing new is posted.",
        ),
        **errors(
            400,
            401,
            403,
            404,
            409,
            413,
            422,
            429,
            503,
            notes={
                400: "The Idempotency-Key header is missing or malformed "
                "(`invalid_idempotency_key`), or the body cannot be decoded.",
                404: "An account or payee that is not the customer's.",
                409: "The key was used with another body, or an account is closed or frozen.",
                422: "Invalid input, insufficient funds (`insufficient_funds`), a currency "
                "that is not the account's. A key whose payment failed stays failed: its "
                "retries answer the same error with `details.replayed`.",
            },
        ),
    },
)
def create_payment(
    body: PaymentBody,
    response: Response,
    principal: CurrentCustomer,
    core: CustomerCore,
    background: BackgroundTasks,
    engine: EngineDep,
    clock: ClockDep,
    settings: SettingsDep,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description="Required. 1-40 letters, digits or `. _ : -` (the first a letter or "
            "digit), unique per payment; a missing or malformed key is refused with 400.",
            examples=["rent-2026-11"],
            # Documented, not enforced here: `validate_key` answers a bad key with 400.
            json_schema_extra={"pattern": KEY_PATTERN},
        ),
    ] = None,
) -> dict[str, Any]:
    """Pay a payee or move money between your own accounts. Scope `payments:write`; the
    `Idempotency-Key` header is required."""
    principal.require("payments:write")
    if idempotency_key is None:
        raise InvalidIdempotencyKey("the Idempotency-Key header is required")
    validate_key(idempotency_key)  # a bad key is refused before the body, as it always was
    order = PaymentOrder(
        from_account_id=body.from_account_id,
        to_account_id=body.to_account_id,
        payee_id=body.payee_id,
        amount=body.amount,
        currency=body.currency,
        description=body.description,
    )
    payment = core.pay(order, idempotency_key)
    if payment.replayed:
        mark_replayed(response)
    else:
        # New postings: the detectors look at them once the answer has gone out.
        background.add_task(run_after_postings, engine, clock, settings)
    return _payment(payment)


@router.get(
    "/{payment_id}",
    summary="Get a payment",
    response_model=Payment,
    responses=errors(401, 403, 404, 422, 429),
)
def get_payment(
    payment_id: IdPath, principal: CurrentCustomer, core: CustomerCore
) -> dict[str, Any]:
    """A payment made from one of the customer's accounts. Scope `accounts:read`."""
    principal.require("accounts:read")
    return _payment(core.get_payment(payment_id))
