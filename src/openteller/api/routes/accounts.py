"""Accounts and balances of the signed-in customer (Open Banking-style resources)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from openteller.api.deps import ClockDep, CurrentCustomer
from openteller.api.routes import CustomerCore
from openteller.core import AccountView, TransactionQuery

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
def list_accounts(principal: CurrentCustomer, core: CustomerCore) -> dict[str, Any]:
    """The customer's accounts."""
    principal.require("accounts:read")
    return {"accounts": [_account(a) for a in core.list_accounts()]}


@router.get("/{account_id}")
def get_account(account_id: int, principal: CurrentCustomer, core: CustomerCore) -> dict[str, Any]:
    """One account; another customer's id answers 404 like an unknown one."""
    principal.require("accounts:read")
    return _account(core.get_account(account_id))


@router.get("/{account_id}/balances")
def get_balances(
    account_id: int, principal: CurrentCustomer, core: CustomerCore, clock: ClockDep
) -> dict[str, Any]:
    """Ledger, held and available balance, and the overdraft or credit headroom."""
    principal.require("balances:read")
    balance = core.balance(account_id)
    return {
        "account_id": str(balance.account_id),
        "currency": balance.currency,
        "ledger": str(balance.ledger),
        "held": str(balance.held),
        "available": str(balance.available),
        "spendable": None if balance.spendable is None else str(balance.spendable),
        "as_of": clock.now().isoformat(),
    }


@router.get("/{account_id}/transactions")
def get_transactions(
    account_id: int,
    principal: CurrentCustomer,
    core: CustomerCore,
    from_date: Annotated[date | None, Query(alias="from")] = None,
    to_date: Annotated[date | None, Query(alias="to")] = None,
    min_amount: Annotated[Decimal | None, Query(ge=0)] = None,
    max_amount: Annotated[Decimal | None, Query(ge=0)] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    category: Annotated[str | None, Query(max_length=40)] = None,
    direction: Literal["debit", "credit"] | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> dict[str, Any]:
    """Posted transactions, newest first; dates are the bank's local dates, inclusive;
    amounts filter on the absolute amount; `q` searches merchant and description."""
    principal.require("transactions:read")
    query = TransactionQuery(
        start=from_date,
        end=to_date,
        min_amount=min_amount,
        max_amount=max_amount,
        text=q,
        category=category,
        direction=direction,
        limit=limit,
        cursor=cursor,
    )
    page = core.transactions(account_id, query)
    return {
        "transactions": [
            {
                "id": str(t.transfer_id),
                "posting_id": str(t.posting_id),
                "occurred_at": t.occurred_at.isoformat(),
                "booked_at": t.booked_at.isoformat(),
                "amount": str(t.amount),
                "currency": t.currency,
                "direction": "credit" if t.amount > 0 else "debit",
                "balance_after": str(t.balance_after),
                "kind": t.kind,
                "description": t.description,
                "merchant": t.merchant,
                "category": t.category,
                "channel": t.channel,
                "location": t.location,
            }
            for t in page.items
        ],
        "next_cursor": page.next_cursor,
    }
