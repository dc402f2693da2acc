"""Console endpoints for bank staff. Every route names the roles it admits.

| route                              | analyst | compliance | product |
|------------------------------------|---------|------------|---------|
| GET /v1/staff/me                   | yes     | yes        | yes     |
| GET /v1/staff/bank                 | yes     | yes        | yes     |
| GET /v1/staff/customers            |         | yes        |         |
| GET /v1/staff/customers/{id}       |         | yes        |         |
| GET /v1/staff/ledger/check         |         | yes        |         |

Customers' tokens get 403 on all of them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import Field

from openteller.api.deps import ClockDep, EngineDep, SessionDep, StaffUser
from openteller.api.schemas import (
    MAX_ID,
    NO_NUL,
    BankStats,
    Currency,
    CustomerAccountKind,
    Day,
    Id,
    IdPath,
    Money,
    Out,
    Timestamp,
    errors,
)
from openteller.core import (
    Ledger,
    StaffRole,
    check_ledger,
    customer_accounts,
    customer_record,
    get_staff,
    ledger_stats,
    search_customers,
)

router = APIRouter(prefix="/v1/staff", tags=["staff console"])

ALL_ROLES = tuple(StaffRole)
_FORBIDDEN = {403: "A customer's token, or a staff role this route does not admit."}


class StaffMember(Out):
    id: Id
    username: str = Field(examples=["compliance@staff"])
    full_name: str
    role: Literal["analyst", "compliance", "product"]


class CustomerSummary(Out):
    id: Id
    username: str
    full_name: str
    email: str
    segment: str = Field(examples=["retail"])
    accounts: int = Field(ge=0, description="Number of accounts.")
    created_at: Timestamp


class CustomerPage(Out):
    customers: list[CustomerSummary]
    next_after: Id | None = Field(
        description="Pass as `after` for the next page; null when this page is the last."
    )


class Address(Out):
    street: str
    city: str
    state: str
    postal_code: str


class CustomerAccount(Out):
    id: Id
    type: CustomerAccountKind
    product_code: str
    name: str
    number_masked: str = Field(pattern=r"^\*{4}[0-9]{4}$", examples=["****6239"])
    status: Literal["open", "frozen", "closed"]
    currency: Currency
    ledger: Money
    available: Money


class CustomerRecord(Out):
    id: Id
    username: str
    full_name: str
    email: str
    phone: str
    date_of_birth: Day
    address: Address
    ssn_masked: str = Field(pattern=r"^\*{3}-\*{2}-[0-9]{4}$", examples=["***-**-7579"])
    segment: str
    created_at: Timestamp
    accounts: list[CustomerAccount]


class Violation(Out):
    check: str
    message: str
    ids: list[int] = Field(description="Offending ids (at most 20).")


class LedgerCheck(Out):
    ok: bool = Field(description="True when no invariant is violated.")
    checks: list[str] = Field(description="The invariants that were checked.")
    violations: list[Violation]
    totals: dict[str, Money] = Field(description="Sum of all balances by currency (zero).")
    accounts: int = Field(ge=0)
    transfers: int = Field(ge=0)
    postings: int = Field(ge=0)


@router.get(
    "/me",
    summary="Who am I",
    response_model=StaffMember,
    responses=errors(401, 403, 429, notes=_FORBIDDEN),
)
def me(staff: StaffUser, session: SessionDep) -> dict[str, Any]:
    """Who is signed in, and with which role."""
    member = get_staff(session, staff.id)
    return {
        "id": str(member.id),
        "username": member.username,
        "full_name": member.full_name,
        "role": member.role.value,
    }


@router.get(
    "/bank",
    summary="Bank statistics",
    response_model=BankStats,
    responses=errors(401, 403, 429, notes=_FORBIDDEN),
)
def bank(staff: StaffUser, engine: EngineDep) -> dict[str, Any]:
    """Counts and totals across the bank: customers, accounts by kind, transfers, holds.
    Every role."""
    staff.require_role(*ALL_ROLES)
    return ledger_stats(engine)


@router.get(
    "/customers",
    summary="Search customers",
    response_model=CustomerPage,
    responses=errors(401, 403, 422, 429, notes=_FORBIDDEN),
)
def customers(
    staff: StaffUser,
    session: SessionDep,
    q: Annotated[
        str, Query(max_length=100, pattern=NO_NUL, description="Part of a name or email.")
    ] = "",
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    after: Annotated[int, Query(ge=0, le=MAX_ID, description="Last id of the previous page.")] = 0,
) -> dict[str, Any]:
    """Search the customer directory (compliance)."""
    staff.require_role(StaffRole.COMPLIANCE)
    found, more = search_customers(session, q, limit=limit, after_id=after)
    return {
        "customers": [
            {
                "id": str(c.id),
                "username": c.username,
                "full_name": c.full_name,
                "email": c.email,
                "segment": c.segment,
                "accounts": c.accounts,
                "created_at": c.created_at.isoformat(),
            }
            for c in found
        ],
        "next_after": str(found[-1].id) if more else None,
    }


@router.get(
    "/customers/{customer_id}",
    summary="Get a customer's record",
    response_model=CustomerRecord,
    responses=errors(401, 403, 404, 422, 429, notes=_FORBIDDEN),
)
def customer(
    customer_id: IdPath, staff: StaffUser, engine: EngineDep, clock: ClockDep
) -> dict[str, Any]:
    """One customer's record with their accounts and balances (compliance)."""
    staff.require_role(StaffRole.COMPLIANCE)
    with engine.connect() as conn:
        record = customer_record(conn, customer_id)
        owned = customer_accounts(conn, customer_id)
    ledger = Ledger(engine, clock)
    accounts = []
    for account in owned:
        balance = ledger.balance(account.id)
        accounts.append(
            {
                "id": str(account.id),
                "type": account.kind.value,
                "product_code": account.product_code,
                "name": account.name,
                "number_masked": f"****{account.number_last4}",
                "status": account.status.value,
                "currency": balance.currency,
                "ledger": str(balance.ledger),
                "available": str(balance.available),
            }
        )
    return {
        "id": str(record.id),
        "username": record.username,
        "full_name": record.full_name,
        "email": record.email,
        "phone": record.phone,
        "date_of_birth": record.date_of_birth.isoformat(),
        "address": {
            "street": record.street,
            "city": record.city,
            "state": record.state,
            "postal_code": record.postal_code,
        },
        "ssn_masked": f"***-**-{record.ssn_last4}",
        "segment": record.segment,
        "created_at": record.created_at.isoformat(),
        "accounts": accounts,
    }


@router.get(
    "/ledger/check",
    summary="Check the ledger",
    response_model=LedgerCheck,
    responses=errors(401, 403, 429, notes=_FORBIDDEN),
)
def ledger_check(staff: StaffUser, engine: EngineDep) -> dict[str, Any]:
    """Run every ledger invariant now and report violations (compliance)."""
    staff.require_role(StaffRole.COMPLIANCE)
    return check_ledger(engine).to_dict()
