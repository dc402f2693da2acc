"""Transaction history of an account: filtered, newest first, keyset-paginated.

A cursor is the (occurred_at, posting id) of the last item of a page, opaque to callers
(base64url), so pages stay stable while new transactions arrive.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Literal, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Table, and_, or_, select

from openteller.core.accounts import customer_account
from openteller.core.errors import ValidationFailed
from openteller.core.models import Posting, Transfer
from openteller.core.money import from_minor, to_minor

postings_t = cast(Table, Posting.__table__)
transfers_t = cast(Table, Transfer.__table__)
MAX_PAGE = 200
_MAX_ID = 2**31 - 1  # ids are INTEGER (32-bit on PostgreSQL): a larger one fails in the driver


@dataclass(frozen=True)
class TransactionQuery:
    start: date | None = None  # first local date included
    end: date | None = None  # last local date included
    min_amount: Decimal | None = None  # on the absolute amount
    max_amount: Decimal | None = None
    text: str | None = None  # in merchant or description, case-insensitive
    category: str | None = None
    direction: Literal["debit", "credit"] | None = None
    limit: int = 50
    cursor: str | None = None


@dataclass(frozen=True)
class TransactionItem:
    transfer_id: int
    posting_id: int
    occurred_at: datetime
    booked_at: datetime
    amount: Decimal  # signed: negative leaves the account
    balance_after: Decimal
    currency: str
    kind: str
    description: str
    merchant: str | None
    category: str | None
    channel: str
    location: str | None


@dataclass(frozen=True)
class TransactionPage:
    items: list[TransactionItem]
    next_cursor: str | None


def account_transactions(
    conn: Connection, customer_id: int, account_id: int, query: TransactionQuery, tz: ZoneInfo
) -> TransactionPage:
    """One page of the customer's account history matching `query`."""
    account = customer_account(conn, customer_id, account_id)
    if not 1 <= query.limit <= MAX_PAGE:
        raise ValidationFailed(f"limit must be between 1 and {MAX_PAGE}", limit=query.limit)
    if query.start and query.end and query.start > query.end:
        raise ValidationFailed("the start date is after the end date")
    if query.text is not None and len(query.text) > 100:
        raise ValidationFailed("search text is longer than 100 characters")
    conditions: list[Any] = [postings_t.c.account_id == account.id]
    if query.start is not None and (since := _local_midnight(query.start, tz)) is not None:
        conditions.append(transfers_t.c.occurred_at >= since)
    if query.end is not None and query.end < date.max:
        until = _local_midnight(query.end + timedelta(days=1), tz)
        if until is not None:
            conditions.append(transfers_t.c.occurred_at < until)
    if query.min_amount is not None:
        low = to_minor(query.min_amount, account.currency, positive=False)
        conditions.append(transfers_t.c.amount_minor >= low)
    if query.max_amount is not None:
        high = to_minor(query.max_amount, account.currency, positive=False)
        conditions.append(transfers_t.c.amount_minor <= high)
    if query.text:
        pattern = (
            "%" + query.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        )
        conditions.append(
            or_(
                transfers_t.c.merchant.ilike(pattern, escape="\\"),
                transfers_t.c.description.ilike(pattern, escape="\\"),
            )
        )
    if query.category is not None:
        conditions.append(transfers_t.c.category == query.category)
    if query.direction == "debit":
        conditions.append(postings_t.c.amount_minor < 0)
    elif query.direction == "credit":
        conditions.append(postings_t.c.amount_minor > 0)
    if query.cursor is not None:
        at, posting_id = _decode(query.cursor)
        conditions.append(
            or_(
                transfers_t.c.occurred_at < at,
                and_(transfers_t.c.occurred_at == at, postings_t.c.id < posting_id),
            )
        )
    p, t = postings_t.c, transfers_t.c
    rows = conn.execute(
        select(
            p.id.label("posting_id"),
            p.transfer_id,
            p.amount_minor.label("signed_minor"),
            p.balance_after_minor,
            t.occurred_at,
            t.created_at.label("booked_at"),
            t.kind,
            t.description,
            t.merchant,
            t.category,
            t.channel,
            t.location,
        )
        .select_from(postings_t.join(transfers_t, transfers_t.c.id == postings_t.c.transfer_id))
        .where(*conditions)
        .order_by(transfers_t.c.occurred_at.desc(), postings_t.c.id.desc())
        .limit(query.limit + 1)
    ).all()
    items = [
        TransactionItem(
            transfer_id=r.transfer_id,
            posting_id=r.posting_id,
            occurred_at=r.occurred_at,
            booked_at=r.booked_at,
            amount=from_minor(r.signed_minor, account.currency),
            balance_after=from_minor(r.balance_after_minor, account.currency),
            currency=account.currency,
            kind=r.kind,
            description=r.description,
            merchant=r.merchant,
            category=r.category,
            channel=r.channel,
            location=r.location,
        )
        for r in rows[: query.limit]
    ]
    more = len(rows) > query.limit
    return TransactionPage(items, _encode(items[-1]) if more and items else None)


def _local_midnight(day: date, tz: ZoneInfo) -> datetime | None:
    """The UTC instant `day` starts in `tz`; None when it lies beyond what a datetime can
    hold (the first or last days of years 1 and 9999), where the bound excludes nothing."""
    try:
        return datetime.combine(day, time(0), tz).astimezone(UTC)
    except OverflowError:
        return None


def _encode(item: TransactionItem) -> str:
    raw = f"{item.occurred_at.isoformat()}|{item.posting_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, posting_id = raw.split("|")
        moment = datetime.fromisoformat(at)
        if moment.tzinfo is None:
            raise ValueError("naive")
        number = int(posting_id)
        if not 0 < number <= _MAX_ID:
            raise ValueError("posting id out of range")
        # Our cursors hold UTC instants; one that cannot be one was not made here.
        return moment.astimezone(UTC), number
    except (ValueError, OverflowError) as exc:
        raise ValidationFailed("invalid cursor") from exc
