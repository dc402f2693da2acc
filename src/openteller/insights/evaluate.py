"""Precision and recall of the detectors against the demo seeder's labels.

`evaluate(findings, labels)` scores each detector per transaction id:

- recurring: every id in a detected series against the ids labelled "recurring";
- duplicates: each `duplicate_id` against the ids labelled "duplicate";
- unusual: each flagged id against the ids labelled "unusual".

Counting rules (tested in tests/insights/test_evaluate.py):

- Every labelled transaction counts, including the first charges of a series: a series
  that reaches three charges reports all of them, so none is invisible by design.
- One exception: the unusual detector only flags within its lookback window, so when
  `lookback_start` is given, "unusual" labels on transactions before it are left out
  (that needs `transactions`, to know when each labelled id happened).
- With no detections, precision is 1.0 (nothing was wrongly flagged); with no labelled
  positives, recall is 1.0 (nothing was missed). Values are rounded to 4 places.

`planned_transactions(events, bank)` turns the seeder's planner output (`Planned`
events) into customer-side `Transaction` records and their labels without a database,
numbering transfers in the seeder's posting order; `demo_plan(...)` draws profiles the
way the seeder does (no database, no Faker) and plans them, for tests and the benchmark.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from openteller.core.demo import merchants as shops
from openteller.core.demo.generator import (
    BankIds,
    CustomerPlanner,
    LoanPlan,
    Planned,
    Profile,
    cents,
)
from openteller.core.loans import add_months, amortization_schedule
from openteller.insights.pipeline import Findings
from openteller.insights.records import Transaction
from openteller.insights.recurring import recurring_transaction_ids

DEMO_BANK = BankIds(ach=1, card=2, cash=3, fee_income=4, interest_expense=5, interest_income=6)


def evaluate(
    findings: Findings,
    labels: Mapping[int, str],
    *,
    transactions: Iterable[Transaction] | None = None,
    lookback_start: datetime | None = None,
) -> dict[str, Any]:
    """`{"detectors": {name: {"precision", "recall", "tp", "fp", "fn"}}}` per detector."""
    wanted: dict[str, set[int]] = {"recurring": set(), "duplicate": set(), "unusual": set()}
    for txn_id, label in labels.items():
        if label in wanted:
            wanted[label].add(txn_id)
    if lookback_start is not None:
        if transactions is None:
            raise ValueError("lookback_start needs the transactions")
        early = {t.id for t in transactions if t.occurred_at < lookback_start}
        wanted["unusual"] -= early
    found = {
        "duplicates": {d.duplicate_id for d in findings.duplicates},
        "recurring": set(recurring_transaction_ids(findings.recurring)),
        "unusual": {u.transaction_id for u in findings.unusual},
    }
    return {
        "detectors": {
            "duplicates": score(found["duplicates"], wanted["duplicate"]),
            "recurring": score(found["recurring"], wanted["recurring"]),
            "unusual": score(found["unusual"], wanted["unusual"]),
        }
    }


def score(found: set[int], wanted: set[int]) -> dict[str, Any]:
    """Precision, recall and the counts behind them (1.0 when a denominator is 0)."""
    tp = len(found & wanted)
    fp = len(found - wanted)
    fn = len(wanted - found)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "tp": tp,
        "fp": fp,
        "fn": fn,
    }


def planned_transactions(
    events: Iterable[Planned], bank: BankIds = DEMO_BANK, *, tz: ZoneInfo | None = None
) -> tuple[list[Transaction], dict[int, str]]:
    """Customer-side transactions and their labels from planner events, their times in
    `tz` when given (the detectors read local dates off `occurred_at`).

    Transfers are numbered from 1 in the seeder's posting order (day, customer, seq);
    pending card authorizations (holds, not transfers) are left out. A transfer appears
    once for each of the customer's accounts it touches (debit side negative, credit
    side positive), both with the transfer's id, as the ledger's postings would.
    """
    bank_accounts = {
        bank.ach,
        bank.card,
        bank.cash,
        bank.fee_income,
        bank.interest_expense,
        bank.interest_income,
    }
    posted = sorted((e for e in events if not e.pending), key=lambda e: (e.day, e.customer, e.seq))
    txns: list[Transaction] = []
    labels: dict[int, str] = {}
    for number, event in enumerate(posted, start=1):
        amount = Decimal(event.minor).scaleb(-2)
        for account, signed in ((event.debit, -amount), (event.credit, amount)):
            if account in bank_accounts:
                continue
            txns.append(
                Transaction(
                    id=number,
                    account_id=account,
                    customer_id=event.customer + 1,
                    occurred_at=event.at if tz is None else event.at.astimezone(tz),
                    amount=signed,
                    merchant=event.merchant,
                    description=event.description,
                    category=event.category,
                    location=event.location,
                    channel=event.channel,
                )
            )
        if event.label is not None:
            labels[number] = event.label
    return txns, labels


def demo_plan(
    customers: int,
    months: int,
    seed: int,
    as_of: date,
    *,
    tz: ZoneInfo,
    first_customer: int = 0,
) -> list[Planned]:
    """Plan `customers` demo customers over `months` months ending on `as_of`.

    Profiles follow the seeder's draws (pay schedule, accounts, card, a loan for one in
    five, housing) with account ids from 100 up; `first_customer` offsets the customer
    indexes so several calls can be joined without clashing ids.
    """
    start = add_months(as_of, -months) + timedelta(days=1)
    events: list[Planned] = []
    for index in range(first_customer, first_customer + customers):
        profile = _profile(index, seed, start)
        rng = random.Random(f"{seed}:plan:{index}")
        events.extend(CustomerPlanner(profile, DEMO_BANK, rng, tz, start, as_of).plan())
    return events


_CITIES = (
    "Austin, TX",
    "Denver, CO",
    "Columbus, OH",
    "Portland, OR",
    "Raleigh, NC",
    "Tampa, FL",
    "Madison, WI",
    "Boise, ID",
    "Tucson, AZ",
    "Albany, NY",
)
_EMPLOYERS = (
    "Northwind Traders",
    "Hale-Ortiz Group",
    "Bluebird Logistics LLC",
    "Summit Health Partners",
    "Crescent Software Inc",
    "Larkin and Sons",
    "Oakridge School District",
    "Pioneer Manufacturing",
)
_FRIENDS = ("Jordan Lee", "Sam Rivera", "Alex Chen", "Taylor Brooks", "Morgan Diaz")


def _profile(index: int, seed: int, start: date) -> Profile:
    """One customer drawn like the seeder's `_setup`, without a database."""
    rng = random.Random(f"{seed}:profile:{index}")
    base = 100 + index * 10
    annual = rng.randrange(32_000, 180_000, 500)
    schedule = rng.choices(["biweekly", "monthly", "irregular"], [55, 30, 15])[0]
    per_year = 26 if schedule == "biweekly" else 12
    pay_minor = cents(Decimal(annual) * Decimal("0.74") / per_year)
    premier = annual > 120_000 and rng.random() < 0.6
    overdraft = 1000 if premier else 500
    floor = -overdraft if rng.random() < 0.5 else 0
    savings = base + 1 if rng.random() < 0.75 else None
    card = base + 2 if rng.random() < 0.65 else None
    card_limit = rng.randrange(1_000, 15_001, 500) if card is not None else 0
    loan = None
    if rng.random() < 0.2:
        principal = Decimal(rng.randrange(2_000, 25_001, 500))
        schedule_rows = amortization_schedule(
            principal,
            Decimal(rng.choice(["8.99", "11.99", "15.99", "21.99"])),
            rng.choice([24, 36, 48, 60]),
            add_months(start, 1),
        )
        loan = LoanPlan(
            account=base + 3,
            principal_minor=cents(principal),
            fee_minor=cents(principal * Decimal("0.03")),
            advance=start,
            schedule=schedule_rows,
        )
    rent = rng.random() < 0.62
    housing_payee = rng.choice(shops.LANDLORDS if rent else shops.MORTGAGE_SERVICERS)
    housing_amount = pay_minor * per_year // 12 * rng.randint(22, 33) // 100 // 500 * 500
    first_payday = start + timedelta(days=(4 - start.weekday()) % 7 + rng.choice([0, 7]))
    return Profile(
        index=index,
        checking=base,
        checking_floor=cents(floor),
        checking_product="premier_checking" if premier else "everyday_checking",
        savings=savings,
        savings_apy=Decimal("4.10"),
        card=card,
        card_floor=-cents(card_limit),
        card_apr=Decimal(rng.choice(["19.49", "24.49", "28.49"])),
        loan=loan,
        home=rng.choice(_CITIES),
        employer=rng.choice(_EMPLOYERS),
        pay_minor=pay_minor,
        pay_schedule=schedule,
        first_payday=first_payday,
        housing=(
            housing_payee,
            max(housing_amount, cents(600)),
            1 if rent else rng.randint(1, 15),
        ),
        payees=rng.sample(_FRIENDS, rng.randint(1, 3)),
    )
