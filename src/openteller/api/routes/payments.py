"""`POST /v1/payments` and `GET /v1/payments/{id}`: money moves, exactly once.

The `Idempotency-Key` header (1-40 characters) is required. The ledger's keys are global,
so the customer's key is namespaced: the ledger key is a digest of (customer, key). A
replay answers the first response with `Idempotency-Replayed: true`; the same key with
another body is a 409.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Header, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import Connection, select

from openteller.api.deps import ClockDep, CurrentCustomer, EngineDep
from openteller.core import (
    InvalidIdempotencyKey,
    Ledger,
    NotFound,
    TransferRequest,
    TransferResult,
    ValidationFailed,
    customer_account,
)
from openteller.core.ledger import validate_key
from openteller.core.models import Account, Payee

router = APIRouter(prefix="/v1/payments", tags=["payments"])


class PaymentBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    from_account_id: int
    to_account_id: int | None = Field(default=None, description="One of your own accounts.")
    payee_id: int | None = Field(default=None, description="One of your payees.")
    amount: Decimal = Field(gt=0, max_digits=14, decimal_places=2)
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    description: str = Field(default="", max_length=140)

    @model_validator(mode="after")
    def _one_destination(self) -> PaymentBody:
        if (self.to_account_id is None) == (self.payee_id is None):
            raise ValueError("give exactly one of to_account_id and payee_id")
        return self


def ledger_key(customer_id: int, key: str) -> str:
    """The customer's key in the ledger's global key space (40 characters)."""
    digest = hashlib.sha256(f"{customer_id}:{key}".encode()).hexdigest()
    return f"api:{digest[:36]}"


def _destination(conn: Connection, customer_id: int, body: PaymentBody) -> tuple[int, str, str]:
    """(credit account, channel, counterparty name) of the payment."""
    if body.to_account_id is not None:
        own = customer_account(conn, customer_id, body.to_account_id)
        return own.id, "internal", own.name
    payee = conn.execute(
        select(Payee.settlement_account_id, Payee.name).where(
            Payee.id == body.payee_id, Payee.customer_id == customer_id
        )
    ).first()
    if payee is None:
        raise NotFound("payee not found", payee_id=body.payee_id)
    return payee.settlement_account_id, "ach", payee.name


def _payment(result: TransferResult, key: str | None) -> dict[str, Any]:
    return {
        "id": str(result.id),
        "status": result.status.value,
        "idempotency_key": key,
        "from_account_id": str(result.debit_account_id),
        "amount": str(result.amount),
        "currency": result.currency,
        "description": result.description,
        "counterparty": result.merchant,
        "created_at": result.created_at.isoformat(),
    }


@router.post("", status_code=201)
def create_payment(
    body: PaymentBody,
    response: Response,
    principal: CurrentCustomer,
    engine: EngineDep,
    clock: ClockDep,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    """Pay a payee or move money between your own accounts."""
    principal.require("payments:write")
    if idempotency_key is None:
        raise InvalidIdempotencyKey("the Idempotency-Key header is required")
    validate_key(idempotency_key)
    with engine.connect() as conn:
        source = customer_account(conn, principal.id, body.from_account_id)
        credit, channel, counterparty = _destination(conn, principal.id, body)
    if credit == source.id:
        raise ValidationFailed("the source and destination accounts are the same")
    result = Ledger(engine, clock).transfer(
        TransferRequest(
            idempotency_key=ledger_key(principal.id, idempotency_key),
            debit_account_id=source.id,
            credit_account_id=credit,
            amount=body.amount,
            currency=body.currency,
            kind="payment" if channel == "ach" else "transfer",
            description=body.description or f"Payment to {counterparty}",
            merchant=counterparty,
            category="p2p" if channel == "ach" else "transfer",
            channel=channel,
        )
    )
    if result.replayed:
        response.status_code = 200
        response.headers["Idempotency-Replayed"] = "true"
    return _payment(result, idempotency_key)


@router.get("/{payment_id}")
def get_payment(
    payment_id: int, principal: CurrentCustomer, engine: EngineDep, clock: ClockDep
) -> dict[str, Any]:
    """A payment made from one of the customer's accounts."""
    principal.require("accounts:read")
    try:
        result = Ledger(engine, clock).get_transfer(payment_id)
    except NotFound:
        raise NotFound("payment not found", payment_id=payment_id) from None
    with engine.connect() as conn:
        owner = conn.execute(
            select(Account.customer_id).where(Account.id == result.debit_account_id)
        ).scalar_one_or_none()
    if owner != principal.id:
        raise NotFound("payment not found", payment_id=payment_id)
    return _payment(result, None)  # the client's key is kept only as a digest
