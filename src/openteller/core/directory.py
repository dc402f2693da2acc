"""The customer directory as bank staff see it: search and one customer's record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import cast

from sqlalchemy import Connection, Table, func, or_, select

from openteller.core.errors import NotFound, ValidationFailed
from openteller.core.models import Account, Customer

customers_t = cast(Table, Customer.__table__)
accounts_t = cast(Table, Account.__table__)

MAX_PAGE = 100


@dataclass(frozen=True)
class CustomerSummary:
    id: int
    username: str
    full_name: str
    email: str
    segment: str
    accounts: int
    created_at: datetime


@dataclass(frozen=True)
class CustomerRecord:
    """Contact details and identity facts; the SSN is only ever held as its last 4."""

    id: int
    username: str
    full_name: str
    email: str
    phone: str
    date_of_birth: date
    street: str
    city: str
    state: str
    postal_code: str
    ssn_last4: str
    segment: str
    created_at: datetime


def search_customers(
    conn: Connection, text: str = "", *, limit: int = 20, after_id: int = 0
) -> tuple[list[CustomerSummary], bool]:
    """Customers whose name, username or email contains `text` (any case), by id, from
    `after_id` on (keyset pagination), and whether more follow."""
    if not 1 <= limit <= MAX_PAGE:
        raise ValidationFailed(f"limit must be 1 to {MAX_PAGE}", limit=limit)
    needle = text.strip().lower()
    if len(needle) > 100:
        raise ValidationFailed("search text is at most 100 characters")
    counts = (
        select(accounts_t.c.customer_id, func.count().label("n"))
        .where(accounts_t.c.customer_id.is_not(None))
        .group_by(accounts_t.c.customer_id)
        .subquery()
    )
    stmt = (
        select(
            customers_t.c.id,
            customers_t.c.username,
            customers_t.c.full_name,
            customers_t.c.email,
            customers_t.c.segment,
            customers_t.c.created_at,
            func.coalesce(counts.c.n, 0).label("accounts"),
        )
        .outerjoin(counts, counts.c.customer_id == customers_t.c.id)
        .where(customers_t.c.id > after_id)
        .order_by(customers_t.c.id)
        .limit(limit + 1)  # one more than asked: tells whether another page follows
    )
    if needle:
        # Escape LIKE's wildcards so "50%" finds a literal percent sign.
        pattern = "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(
            or_(
                *(
                    func.lower(col).like(pattern, escape="\\")
                    for col in (
                        customers_t.c.full_name,
                        customers_t.c.username,
                        customers_t.c.email,
                    )
                )
            )
        )
    found = [
        CustomerSummary(
            id=int(r.id),
            username=r.username,
            full_name=r.full_name,
            email=r.email,
            segment=r.segment,
            accounts=int(r.accounts),
            created_at=r.created_at,
        )
        for r in conn.execute(stmt)
    ]
    return found[:limit], len(found) > limit


def customer_record(conn: Connection, customer_id: int) -> CustomerRecord:
    row = conn.execute(
        select(*(c for c in customers_t.c if c.name != "password_hash")).where(
            customers_t.c.id == customer_id
        )
    ).first()
    if row is None:
        raise NotFound("customer not found", customer_id=customer_id)
    return CustomerRecord(**dict(row._mapping))
