"""Accounts and balances of the signed-in customer (Open Banking-style resources)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import Field

from openteller.api.deps import ClockDep, CurrentCustomer
from openteller.api.routes import CustomerCore
from openteller.api.schemas import (
    NO_NUL,
    Currency,
    CustomerAccountKind,
    Id,
    IdPath,
    Money,
    Out,
    Timestamp,
    errors,
)
from openteller.core import AccountView, TransactionQuery

router = APIRouter(prefix="/v1/accounts", tags=["accounts"])


class Account(Out):
    id: Id
    type: CustomerAccountKind
    product_code: str = Field(examples=["everyday_checking"])
    name: str = Field(examples=["Everyday Checking"])
    number_masked: str = Field(pattern=r"^\*{4}[0-9]{4}$", examples=["****6239"])
    currency: Currency
    status: Literal["open", "frozen", "closed"]
    opened_at: Timestamp


class AccountList(Out):
    accounts: list[Account]


class Balances(Out):
    account_id: Id
    currency: Currency
    ledger: Money = Field(description="Sum of posted transactions; negative means owed.")
    held: Money = Field(description="Pending card authorizations.")
    available: Money = Field(description="Ledger minus held.")
    spendable: Money | None = Field(
        description="Available down to the floor (overdraft line, credit limit); null when "
        "the account has no floor."
    )
    as_of: Timestamp


class Transaction(Out):
    id: Id = Field(description="The transfer.")
    posting_id: Id = Field(description="This account's leg of the transfer.")
    occurred_at: Timestamp = Field(description="When the customer acted.")
    booked_at: Timestamp = Field(description="When the bank posted it.")
    amount: Money = Field(description="Signed: negative leaves the account.")
    currency: Currency
    direction: Literal["debit", "credit"]
    balance_after: Money
    kind: str = Field(examples=["card_purchase"])
    description: str
    merchant: str | None
    category: str | None = Field(examples=["groceries"])
    channel: str = Field(examples=["card"])
    location: str | None


class TransactionPage(Out):
    transactions: list[Transaction]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )


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


@router.get(
    "",
    summary="List accounts",
    response_model=AccountList,
    responses=errors(401, 403, 429),
)
def list_accounts(principal: CurrentCustomer, core: CustomerCore) -> dict[str, Any]:
    """The customer's accounts. Scope `accounts:read`."""
    principal.require("accounts:read")
    return {"accounts": [_account(a) for a in core.list_accounts()]}


@router.get(
    "/{account_id}",
    summary="Get an account",
    response_model=Account,
    responses=errors(401, 403, 404, 422, 429),
)
def get_account(
    account_id: IdPath, principal: CurrentCustomer, core: CustomerCore
) -> dict[str, Any]:
    """One account; another customer's id answers 404 like an unknown one. Scope
    `accounts:read`."""
    principal.require("accounts:read")
    return _account(core.get_account(account_id))


@router.get(
    "/{account_id}/balances",
    summary="Get balances",
    response_model=Balances,
    responses=errors(401, 403, 404, 422, 429),
)
def get_balances(
    account_id: IdPath, principal: CurrentCustomer, core: CustomerCore, clock: ClockDep
) -> dict[str, Any]:
    """Ledger, held and available balance, and the overdraft or credit headroom. Scope
    `balances:read`."""
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


@router.get(
    "/{account_id}/transactions",
    summary="Search transactions",
    response_model=TransactionPage,
    responses=errors(401, 403, 404, 422, 429),
)
def get_transactions(
    account_id: IdPath,
    principal: CurrentCustomer,
    core: CustomerCore,
    from_date: Annotated[
        date | None, Query(alias="from", description="First local date, inclusive.")
    ] = None,
    to_date: Annotated[
        date | None, Query(alias="to", description="Last local date, inclusive.")
    ] = None,
    min_amount: Annotated[
        Decimal | None, Query(ge=0, description="Smallest absolute amount, e.g. 20.00.")
    ] = None,
    max_amount: Annotated[
        Decimal | None, Query(ge=0, description="Largest absolute amount.")
    ] = None,
    q: Annotated[
        str | None,
        Query(max_length=100, pattern=NO_NUL, description="Text in the merchant or description."),
    ] = None,
    category: Annotated[
        str | None, Query(max_length=40, pattern=NO_NUL, examples=["groceries"])
    ] = None,
    direction: Annotated[
        Literal["debit", "credit"] | None, Query(description="Money out (debit) or in (credit).")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200, description="Page size.")] = 50,
    cursor: Annotated[
        str | None,
        Query(max_length=200, pattern=NO_NUL, description="`next_cursor` of the previous page."),
    ] = None,
) -> dict[str, Any]:
    """Posted transactions, newest first; dates are the bank's local dates, inclusive;
    amounts filter on the absolute amount; `q` searches merchant and description. Scope
    `transactions:read`."""
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
