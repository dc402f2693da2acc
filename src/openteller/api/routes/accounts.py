"""Accounts and balances of the signed-in customer (Open Banking-style resources)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from openteller.api.deps import ClockDep, CurrentCustomer, EngineDep
from openteller.core import AccountView, Ledger, customer_account, customer_accounts

router = APIRouter(prefix="/v1/accounts", tags=["accounts"])


def _account(a: AccountView) -> dict[str, Any]:
    return {
        "id": str(a.id),
        "type": a.kind.value,
        "product_code": a.product_code,
        "name": a.name,
        "number_masked": f"****{a.number_last4}",
        "currency": a.currency,
        "status": a.status.value,
        "opened_at": a.opened_at.isoformat(),
    }


@router.get("")
def list_accounts(principal: CurrentCustomer, engine: EngineDep) -> dict[str, Any]:
    """The customer's accounts."""
    principal.require("accounts:read")
    with engine.connect() as conn:
        accounts = customer_accounts(conn, principal.id)
    return {"accounts": [_account(a) for a in accounts]}


@router.get("/{account_id}")
def get_account(account_id: int, principal: CurrentCustomer, engine: EngineDep) -> dict[str, Any]:
    """One account; another customer's id answers 404 like an unknown one."""
    principal.require("accounts:read")
    with engine.connect() as conn:
        return _account(customer_account(conn, principal.id, account_id))


@router.get("/{account_id}/balances")
def get_balances(
    account_id: int, principal: CurrentCustomer, engine: EngineDep, clock: ClockDep
) -> dict[str, Any]:
    """Ledger, held and available balance, and the overdraft or credit headroom."""
    principal.require("balances:read")
    with engine.connect() as conn:
        account = customer_account(conn, principal.id, account_id)
    balance = Ledger(engine, clock).balance(account.id)
    return {
        "account_id": str(account.id),
        "currency": balance.currency,
        "ledger": str(balance.ledger),
        "held": str(balance.held),
        "available": str(balance.available),
        "spendable": None if balance.spendable is None else str(balance.spendable),
        "as_of": clock.now().isoformat(),
    }
