"""The signed-in customer's payees: list and add (ACH destinations for payments)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from openteller.api.deps import CurrentCustomer
from openteller.api.routes import CustomerCore
from openteller.core import PayeeView

router = APIRouter(prefix="/v1/payees", tags=["payees"])


class NewPayee(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=120)
    bank_name: str = Field(min_length=1, max_length=120)
    routing_number: str = Field(pattern=r"^[0-9]{9}$", description="ABA routing number.")
    account_number: str = Field(
        pattern=r"^[0-9]{4,17}$", description="Kept as its last 4 digits only."
    )


def _payee(p: PayeeView) -> dict[str, Any]:
    return {
        "id": str(p.id),
        "name": p.name,
        "bank_name": p.bank_name,
        "routing_number": p.routing_number,
        "account_masked": f"****{p.account_last4}",
        "created_at": p.created_at.isoformat(),
    }


@router.get("")
def list_payees(principal: CurrentCustomer, core: CustomerCore) -> dict[str, Any]:
    principal.require("accounts:read")
    return {"payees": [_payee(p) for p in core.list_payees()]}


@router.post("", status_code=201)
def create_payee(body: NewPayee, principal: CurrentCustomer, core: CustomerCore) -> dict[str, Any]:
    """Add a payee at another bank; the full account number is not stored."""
    principal.require("payments:write")
    payee = core.add_payee(
        name=body.name,
        bank_name=body.bank_name,
        routing_number=body.routing_number,
        account_number=body.account_number,
    )
    return _payee(payee)
