"""Unusual-transaction detection: the card charges a bank would ask its customer about.

Per customer, over debits, four signals (each one a reason, in this order):

- ``large_amount``: the amount is far above the customer's own spending. The baseline is
  every spending debit of the customer (all history up to `as_of`, recurring charges and
  `exclude_ids` left out), on a log scale, where amounts are roughly symmetric: the
  charge is large when its robust z-score ``(log a - median) / (1.4826 * MAD)`` reaches
  `large_z` (2.5: about the top 0.6 % of a normal spread; the MAD ignores the outliers
  themselves). One overall baseline rather than per category: a customer's categories
  each hold too few charges for a stable spread, and what alarms is a charge out of
  proportion with everything the customer usually pays.
- ``new_merchant``: the first transaction the customer has with this merchant key, once
  their history is 90 days long (`NOVELTY_AFTER`; before that, most shops are new).
- ``night``: the local hour in `tz` is between 00:00 and 04:59.
- ``far_from_home``: the charge has a location, and it is not the customer's home, the
  location of most of their located debits (card purchases and ATM withdrawals).

Score: ``0.4 * large + 0.25 * far + 0.2 * new + 0.15 * night`` (0..1). A charge is
flagged when its score reaches `threshold` (0.6): a large amount at a new merchant or
far from home, or a new far-away merchant at night. No single signal is enough: people
do travel, try new shops, and sometimes spend big.

Only debits within `lookback` before `as_of` are flagged; the baseline uses all history.
A debit is judged only once the customer has `min_history` (20) spending debits before
it: until then every merchant is new and nothing is known about what is usual for them.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from statistics import median
from zoneinfo import ZoneInfo

from openteller.insights.merchants import categorize, merchant_key
from openteller.insights.records import Transaction

DEFAULT_LOOKBACK = timedelta(days=90)
MIN_HISTORY = 20
NOVELTY_AFTER = timedelta(days=90)
#: Debits that are not spending: money moved between accounts, paid to the bank.
UNUSUAL_SKIP_CATEGORIES: frozenset[str] = frozenset(
    {"transfer", "card_payment", "loan", "interest", "fees"}
)
WEIGHTS: dict[str, float] = {
    "large_amount": 0.4,
    "new_merchant": 0.2,
    "night": 0.15,
    "far_from_home": 0.25,
}
_REASONS = ("large_amount", "new_merchant", "night", "far_from_home")
_MAD_SCALE = 1.4826  # makes the MAD comparable to a standard deviation
_NIGHT_END_HOUR = 5


@dataclass(frozen=True, slots=True)
class UnusualTransaction:
    """A flagged debit, its score (0..1) and the reasons behind it."""

    transaction_id: int
    customer_id: int
    account_id: int
    occurred_at: datetime
    amount: Decimal
    merchant: str
    score: float
    reasons: tuple[str, ...]


def detect_unusual(
    transactions: Iterable[Transaction],
    as_of: datetime,
    *,
    tz: ZoneInfo,
    exclude_ids: frozenset[int] = frozenset(),
    lookback: timedelta = DEFAULT_LOOKBACK,
    min_history: int = MIN_HISTORY,
    threshold: float = 0.6,
    large_z: float = 2.5,
    skip_categories: frozenset[str] = UNUSUAL_SKIP_CATEGORIES,
) -> list[UnusualTransaction]:
    """The flagged debits among `transactions` within `lookback` before `as_of`.

    Sorted by time, then id. `exclude_ids` (recurring charges) are neither flagged nor
    part of the baseline.
    """
    if as_of.tzinfo is None:
        raise ValueError("as_of must be timezone-aware")
    if lookback <= timedelta(0):
        raise ValueError("lookback must be positive")
    by_customer: dict[int, list[Transaction]] = defaultdict(list)
    for txn in transactions:
        if txn.occurred_at <= as_of:
            by_customer[txn.customer_id].append(txn)
    since = as_of - lookback
    found: list[UnusualTransaction] = []
    for history in by_customer.values():
        found.extend(
            _customer(
                history,
                since,
                tz,
                exclude_ids,
                min_history,
                threshold,
                large_z,
                skip_categories,
            )
        )
    found.sort(key=lambda u: (u.occurred_at, u.transaction_id))
    return found


def _customer(
    history: list[Transaction],
    since: datetime,
    tz: ZoneInfo,
    exclude_ids: frozenset[int],
    min_history: int,
    threshold: float,
    large_z: float,
    skip_categories: frozenset[str],
) -> list[UnusualTransaction]:
    history.sort(key=lambda t: (t.occurred_at, t.id))
    spending: list[tuple[Transaction, str, bool]] = []
    seen: set[str] = set()
    for txn in history:
        key = merchant_key(txn)
        new = key not in seen
        seen.add(key)
        if txn.amount >= 0 or txn.id in exclude_ids:
            continue
        if categorize(txn) in skip_categories:
            continue
        spending.append((txn, key, new))
    if len(spending) < min_history:
        return []
    logs = [math.log(-float(t.amount)) for t, _k, _n in spending]
    center = median(logs)
    spread = _MAD_SCALE * median([abs(v - center) for v in logs])
    homes = Counter(t.location for t, _k, _n in spending if t.location)
    home = homes.most_common(1)[0][0] if homes else None
    flagged: list[UnusualTransaction] = []
    started = history[0].occurred_at
    for index, ((txn, key, new), log_amount) in enumerate(zip(spending, logs, strict=True)):
        if txn.occurred_at < since or index < min_history:
            # Before `min_history` earlier debits nothing is known about what is usual.
            continue
        # A merchant is only "new" against a long enough record: in a customer's first
        # months every shop they visit now and then is still one we have not seen.
        new = new and txn.occurred_at - started >= NOVELTY_AFTER
        z = (log_amount - center) / spread if spread > 0 else 0.0
        signals = {
            "large_amount": z >= large_z,
            "new_merchant": new,
            "night": txn.occurred_at.astimezone(tz).hour < _NIGHT_END_HOUR,
            "far_from_home": bool(txn.location and home and txn.location != home),
        }
        score = round(sum(WEIGHTS[r] for r in _REASONS if signals[r]), 4)
        if score >= threshold:
            flagged.append(
                UnusualTransaction(
                    transaction_id=txn.id,
                    customer_id=txn.customer_id,
                    account_id=txn.account_id,
                    occurred_at=txn.occurred_at,
                    amount=txn.amount,
                    merchant=key,
                    score=score,
                    reasons=tuple(r for r in _REASONS if signals[r]),
                )
            )
    return flagged
