"""Duplicate-charge detection: the same charge submitted twice.

A duplicate is a debit on the same account, at the same merchant (normalized), for
exactly the same amount, within `window` of an earlier such debit. Charges that belong
to a recognised recurring series are never duplicates (pass their ids as `exclude_ids`,
e.g. `recurring_transaction_ids(detect_recurring(...))`). When one charge repeats several
times inside the window, each repeat is reported against the first charge. Cash
withdrawals, person-to-person payments and internal movements are skipped by default
(`skip_categories`): repeating those is usually deliberate.

A price the customer pays routinely at a merchant (on `routine_days` different days or
more: a gym visit, the morning coffee) repeats by habit, so there a repeat is a
duplicate only within `routine_window` (2 hours) of the first charge; two gym visits on
consecutive days are two visits. Charges of a recurring series (`regular_ids`) are not a
habit: a series never repeats within days, so any repeat inside `window` is a double
charge (the pipeline passes the series' ids here rather than excluding them).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from openteller.insights.merchants import categorize, merchant_key
from openteller.insights.records import Transaction

DEFAULT_WINDOW = timedelta(hours=72)
ROUTINE_WINDOW = timedelta(hours=2)
#: Deliberate repeats, not charges: cash withdrawals, person-to-person payments, transfers.
DUPLICATE_SKIP_CATEGORIES: frozenset[str] = frozenset(
    {"cash", "p2p", "transfer", "card_payment", "loan", "interest", "fees"}
)


@dataclass(frozen=True, slots=True)
class DuplicateCharge:
    """`duplicate_id` repeats `original_id` (same account, merchant and amount)."""

    customer_id: int
    account_id: int
    merchant: str
    amount: Decimal
    original_id: int
    duplicate_id: int
    original_at: datetime
    duplicate_at: datetime

    @property
    def gap(self) -> timedelta:
        return self.duplicate_at - self.original_at


def detect_duplicates(
    transactions: Iterable[Transaction],
    as_of: datetime,
    *,
    window: timedelta = DEFAULT_WINDOW,
    exclude_ids: frozenset[int] = frozenset(),
    skip_categories: frozenset[str] = DUPLICATE_SKIP_CATEGORIES,
    routine_days: int = 3,
    routine_window: timedelta = ROUTINE_WINDOW,
    regular_ids: frozenset[int] = frozenset(),
) -> list[DuplicateCharge]:
    """Every repeated debit among `transactions` that occurred at or before `as_of`.

    Sorted by the duplicate's time, then id.
    """
    if window <= timedelta(0):
        raise ValueError("window must be positive")
    if as_of.tzinfo is None:
        raise ValueError("as_of must be timezone-aware")
    groups: dict[tuple[int, str, Decimal], list[Transaction]] = defaultdict(list)
    for txn in transactions:
        if txn.amount >= 0 or txn.id in exclude_ids or txn.occurred_at > as_of:
            continue
        if categorize(txn) in skip_categories:
            continue
        key = merchant_key(txn)
        if key:
            groups[(txn.account_id, key, txn.amount)].append(txn)
    found: list[DuplicateCharge] = []
    for (account, merchant, amount), txns in groups.items():
        if len(txns) < 2:
            continue
        txns.sort(key=lambda t: (t.occurred_at, t.id))
        routine = len({t.occurred_at.date() for t in txns}) >= routine_days and not any(
            t.id in regular_ids for t in txns
        )
        limit = min(window, routine_window) if routine else window
        original = txns[0]
        for txn in txns[1:]:
            if txn.occurred_at - original.occurred_at <= limit:
                found.append(
                    DuplicateCharge(
                        customer_id=txn.customer_id,
                        account_id=account,
                        merchant=merchant,
                        amount=amount,
                        original_id=original.id,
                        duplicate_id=txn.id,
                        original_at=original.occurred_at,
                        duplicate_at=txn.occurred_at,
                    )
                )
            else:
                original = txn
    found.sort(key=lambda d: (d.duplicate_at, d.duplicate_id))
    return found
