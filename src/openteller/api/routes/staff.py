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

from typing import Annotated, Any

from fastapi import APIRouter, Query

from openteller.api.deps import ClockDep, EngineDep, SessionDep, StaffUser
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


@router.get("/me")
def me(staff: StaffUser, session: SessionDep) -> dict[str, Any]:
    """Who is signed in, and with which role."""
    member = get_staff(session, staff.id)
    return {
        "id": str(member.id),
        "username": member.username,
        "full_name": member.full_name,
        "role": member.role.value,
    }


@router.get("/bank")
def bank(staff: StaffUser, engine: EngineDep) -> dict[str, Any]:
    """Counts and totals across the bank: customers, accounts by kind, transfers, holds."""
    staff.require_role(*ALL_ROLES)
    return ledger_stats(engine)


@router.get("/customers")
def customers(
    staff: StaffUser,
    session: SessionDep,
    q: Annotated[str, Query(max_length=100, description="Part of a name or email.")] = "",
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    after: Annotated[int, Query(ge=0, description="Last id of the previous page.")] = 0,
) -> dict[str, Any]:
    """Search the customer directory (compliance)."""
    staff.require_role(StaffRole.COMPLIANCE)
    found = search_customers(session, q, limit=limit, after_id=after)
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
        "next_after": str(found[-1].id) if len(found) == limit else None,
    }


@router.get("/customers/{customer_id}")
def customer(
    customer_id: int, staff: StaffUser, engine: EngineDep, clock: ClockDep
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


@router.get("/ledger/check")
def ledger_check(staff: StaffUser, engine: EngineDep) -> dict[str, Any]:
    """Run every ledger invariant now and report violations (compliance)."""
    staff.require_role(StaffRole.COMPLIANCE)
    return check_ledger(engine).to_dict()
