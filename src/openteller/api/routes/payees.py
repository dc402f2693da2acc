"""The signed-in customer's payees: list and add (ACH destinations for payments)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from openteller.api.deps import CurrentCustomer
from openteller.api.routes import CustomerCore
from openteller.api.schemas import NO_NUL, Id, Out, Timestamp, errors
from openteller.core import PayeeView

router = APIRouter(prefix="/v1/payees", tags=["payees"])


class NewPayee(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=120, pattern=NO_NUL)
    bank_name: str = Field(min_length=1, max_length=120, pattern=NO_NUL)
    routing_number: str = Field(pattern=r"^[0-9]{9}$", description="ABA routing number.")
    account_number: str = Field(
        pattern=r"^[0-9]{4,17}$", description="Kept as its last 4 digits only."
    )


class Payee(Out):
    id: Id
    name: str = Field(examples=["Greenfield Dental"])
    bank_name: str = Field(examples=["Chase"])
    routing_number: str = Field(pattern=r"^[0-9]{9}$", examples=["021000021"])
    account_masked: str = Field(
        pattern=r"^\*{4}[0-9]{4}$",
        description="Only the last 4 digits are kept.",
        examples=["****6789"],
    )
    created_at: Timestamp


class PayeeList(Out):
    payees: list[Payee]


def _payee(p: PayeeView) -> dict[str, Any]:
    return {
        "id": str(p.id),
        "name": p.name,
        "bank_name": p.bank_name,
        "routing_number": p.routing_number,
        "account_masked": f"****{p.account_last4}",
        "created_at": p.created_at.isoformat(),
    }


@router.get(
    "",
    summary="List payees",
    response_model=PayeeList,
    responses=errors(401, 403, 429),
)
def list_payees(principal: CurrentCustomer, core: CustomerCore) -> dict[str, Any]:
    """The customer's payees, by name. Scope `accounts:read`."""
    principal.require("accounts:read")
    return {"payees": [_payee(p) for p in core.list_payees()]}


@router.post(
    "",
    status_code=201,
    summary="Add a payee",
    response_model=Payee,
    responses=errors(
        400,
        401,
        403,
        409,
        413,
        422,
        429,
        503,
        notes={
            409: "The customer already has a payee with this name.",
            422: "Invalid input, e.g. a routing number that fails the ABA checksum.",
        },
    ),
)
def create_payee(body: NewPayee, principal: CurrentCustomer, core: CustomerCore) -> dict[str, Any]:
    """Add a payee at another bank; the full account number is not stored. Scope
    `payments:write`."""
    principal.require("payments:write")
    payee = core.add_payee(
        name=body.name,
        bank_name=body.bank_name,
        routing_number=body.routing_number,
        account_number=body.account_number,
    )
    return _payee(payee)
