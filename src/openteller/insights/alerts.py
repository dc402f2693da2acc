"""Alerts from findings: what the customer is told, once, about what the detectors found.

Pure: `alerts_from_findings` turns a `Findings` into `NewAlert`s with their wording and
the figures in it; the service stores them. Each alert has a dedupe key naming what it is
about (the duplicate transfer, the series and the day its price changed...), so running
the detectors again over the same history raises nothing new.

Only recent findings become alerts: a duplicate charge from five months ago is history,
not news. `recent` (default 45 days) is how far back a finding may lie.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from openteller.core.money import display_money
from openteller.insights.pipeline import Findings
from openteller.insights.records import Transaction

RECENT = timedelta(days=45)
CENT = Decimal("0.01")
KINDS = ("duplicate_charge", "unusual_transaction", "price_increase", "low_balance", "bill_due")
SEVERITY = {
    "unusual_transaction": "high",
    "low_balance": "high",
    "duplicate_charge": "medium",
    "price_increase": "low",
    "bill_due": "low",
}
# Why the detector flagged a purchase, in the customer's words.
REASON_WORDS = {
    "large_amount": "much larger than your usual purchases",
    "new_merchant": "a merchant you haven't used before",
    "night": "at night",
    "far_from_home": "away from home",
}


@dataclass(frozen=True)
class NewAlert:
    customer_id: int
    account_id: int | None
    transfer_id: int | None
    kind: str
    dedupe_key: str
    title: str
    message: str
    amount: Decimal | None
    facts: dict[str, str] = field(default_factory=dict)
    expires_at: datetime | None = None

    @property
    def severity(self) -> str:
        return SEVERITY[self.kind]


def alerts_from_findings(
    findings: Findings,
    transactions: Mapping[int, Transaction],
    account_names: Mapping[int, str],
    as_of: datetime,
    tz: ZoneInfo,
    *,
    currency: str = "USD",
    recent: timedelta = RECENT,
) -> list[NewAlert]:
    """The alerts `findings` call for, as of `as_of`, in a stable order.

    `transactions` (by id) gives the merchant names as the customer saw them;
    `account_names` (by account id) names accounts in low-balance alerts. Every alert
    about a merchant has it in `facts["merchant"]`, with the amount and the date.
    """
    since = as_of - recent
    today = as_of.astimezone(tz).date()
    out: list[NewAlert] = []

    def shown(txn_id: int, fallback: str) -> str:
        # The merchant as the customer saw it; else the normalized key ("Personal loan
        # payment 5" would name one payment, not the series).
        txn = transactions.get(txn_id)
        return txn.merchant if txn is not None and txn.merchant else fallback.title()

    for dup in findings.duplicates:
        if dup.duplicate_at < since:
            continue
        local = dup.duplicate_at.astimezone(tz)
        first = dup.original_at.astimezone(tz)
        amount = -dup.amount
        name = shown(dup.duplicate_id, dup.merchant)
        out.append(
            NewAlert(
                customer_id=dup.customer_id,
                account_id=dup.account_id,
                transfer_id=dup.duplicate_id,
                kind="duplicate_charge",
                dedupe_key=f"duplicate_charge:{dup.duplicate_id}",
                title="Possible duplicate charge",
                message=(
                    f"{name} charged you {display_money(amount, currency)} twice: on "
                    f"{_day(first.date())} at {_clock(first)} and {_clock(local)}"
                    f"{'' if first.date() == local.date() else ' on ' + _day(local.date())}. "
                    "If you made only one purchase, you can dispute the second charge."
                ),
                amount=amount,
                facts={"amount": str(amount), "date": local.date().isoformat(), "merchant": name},
            )
        )
    for odd in findings.unusual:
        if odd.occurred_at < since:
            continue
        local = odd.occurred_at.astimezone(tz)
        amount = -odd.amount if odd.amount < 0 else odd.amount
        why = [REASON_WORDS[r] for r in odd.reasons if r in REASON_WORDS]
        name = shown(odd.transaction_id, odd.merchant)
        out.append(
            NewAlert(
                customer_id=odd.customer_id,
                account_id=odd.account_id,
                transfer_id=odd.transaction_id,
                kind="unusual_transaction",
                dedupe_key=f"unusual_transaction:{odd.transaction_id}",
                title="Unusual purchase",
                message=(
                    f"{display_money(amount, currency)} at "
                    f"{name} "
                    f"on {_day(local.date())} at {_clock(local)}"
                    + (f": {_join(why)}" if why else "")
                    + ". If this wasn't you, block your card and tell us."
                ),
                amount=amount,
                facts={"amount": str(amount), "date": local.date().isoformat(), "merchant": name},
            )
        )
    for series in findings.recurring:
        change = series.price_change
        if change is None or not series.active or series.typical_amount >= 0:
            continue
        if change.first_charged < since.astimezone(tz).date():
            continue
        old, new = _cents(abs(change.old)), _cents(abs(change.new))
        if new <= old:
            continue
        name = shown(series.transaction_ids[-1], series.merchant)
        out.append(
            NewAlert(
                customer_id=series.customer_id,
                account_id=series.account_id,
                transfer_id=series.transaction_ids[-1],
                kind="price_increase",
                dedupe_key=(
                    f"price_increase:{series.account_id}:{series.merchant}:{change.first_charged}"
                )[:160],
                title="A regular charge went up",
                message=(
                    f"{name} now charges {display_money(new, currency)} instead of "
                    f"{display_money(old, currency)} (since {_day(change.first_charged)})."
                ),
                amount=new - old,
                facts={
                    "old": str(old),
                    "new": str(new),
                    "increase": str(new - old),
                    "date": change.first_charged.isoformat(),
                    "merchant": name,
                },
            )
        )
    for low in findings.low_balance:
        name = account_names.get(low.account_id, "account")
        lowest = _cents(low.lowest_balance)
        out.append(
            NewAlert(
                customer_id=low.customer_id,
                account_id=low.account_id,
                transfer_id=None,
                kind="low_balance",
                dedupe_key=f"low_balance:{low.account_id}:{low.lowest_on.isoformat()}",
                title="Your balance may run low"
                if low.lowest_on > today
                else "Your balance is below zero",
                message=(
                    f"Your {name} may fall to {display_money(lowest, currency)} on "
                    f"{_day(low.lowest_on)} after your expected bills and income."
                    if low.lowest_on > today
                    else f"Your {name} is at {display_money(lowest, currency)} today, below zero."
                ),
                amount=lowest,
                facts={"lowest": str(lowest), "date": low.lowest_on.isoformat()},
                expires_at=_end_of(low.lowest_on, tz),
            )
        )
    # A reminder names the payee as the customer last saw it, not the normalized key.
    payees = {
        (s.account_id, s.merchant): shown(s.transaction_ids[-1], s.merchant)
        for s in findings.recurring
        if s.transaction_ids
    }
    for bill in findings.bills:
        if bill.due_on < today:
            continue
        amount = _cents(abs(bill.amount))
        name = payees.get((bill.account_id, bill.merchant), bill.merchant.title())
        out.append(
            NewAlert(
                customer_id=bill.customer_id,
                account_id=bill.account_id,
                transfer_id=None,
                kind="bill_due",
                dedupe_key=f"bill_due:{bill.account_id}:{bill.merchant}:{bill.due_on}"[:160],
                title="Bill due soon",
                message=(
                    f"{name} (usually {display_money(amount, currency)}) is expected on "
                    f"{_day(bill.due_on)}."
                ),
                amount=amount,
                facts={"amount": str(amount), "date": bill.due_on.isoformat(), "merchant": name},
                expires_at=_end_of(bill.due_on, tz),
            )
        )
    return out


def _cents(amount: Decimal) -> Decimal:
    """A median of two charges can have half a cent: show and store whole cents."""
    return amount.quantize(CENT, ROUND_HALF_UP)


def _day(d: date) -> str:
    return f"{d:%b} {d.day}, {d.year}"


def _clock(at: datetime) -> str:
    hour = at.hour % 12 or 12
    return f"{hour}:{at.minute:02d} {'AM' if at.hour < 12 else 'PM'}"


def _join(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _end_of(d: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(d + timedelta(days=1), time(0), tz).astimezone(UTC)
