"""`POST /v1/payments` and `GET /v1/payments/{id}`: money moves, exactly once.

The `Idempotency-Key` header (1-40 characters) is required. The ledger's keys are global,
so the core namespaces the customer's key (a digest of customer and key). A replay
answers the first response with `Idempotency-Replayed: true`; the same key with another
body is a 409.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Header, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator

from openteller.api.deps import CurrentCustomer
from openteller.api.routes import CustomerCore
from openteller.core import InvalidIdempotencyKey, Payment, PaymentOrder, validate_key

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


def _payment(p: Payment) -> dict[str, Any]:
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


@router.post("", status_code=201)
def create_payment(
    body: PaymentBody,
    response: Response,
    principal: CurrentCustomer,
    core: CustomerCore,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    """Pay a payee or move money between your own accounts."""
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
        response.status_code = 200
        response.headers["Idempotency-Replayed"] = "true"
    return _payment(payment)


@router.get("/{payment_id}")
def get_payment(payment_id: int, principal: CurrentCustomer, core: CustomerCore) -> dict[str, Any]:
    """A payment made from one of the customer's accounts."""
    principal.require("accounts:read")
    return _payment(core.get_payment(payment_id))
