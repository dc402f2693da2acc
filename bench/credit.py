"""Credit decisions: latency of one decision (target p95 <= 5 ms) on German Credit's 1,000
applicants, latency of a whole application through `CreditService.apply` (core reads,
pricing, notice, one transaction with its audit entry) on SQLite, and the 10-fold
cross-validated AUC, KS and Gini. Prints one JSON line.

    .venv/bin/python bench/credit.py [--folds 10] [--applications 200]
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from openteller.core import (
    FixedClock,
    Ledger,
    NewCustomer,
    TransferRequest,
    bank_account,
    create_customer,
    load_catalog,
    make_engine,
    open_account,
    read_spec,
    upgrade,
)
from openteller.credit import (
    ApplicationInput,
    CreditService,
    DecisionPolicy,
    cross_validate,
    decide,
    default_scorecard,
    german_credit,
)
from openteller.settings import Settings

NOW = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3)

    return {"p50": at(0.50), "p95": at(0.95), "p99": at(0.99), "max": round(ordered[-1], 3)}


def decision_latency() -> dict[str, float]:
    """Milliseconds to score, rank reasons and decide one applicant."""
    card = default_scorecard()
    policy = DecisionPolicy()
    rows = german_credit().frame.to_dict("records")
    samples = []
    for row in rows * 3:
        start = time.perf_counter()
        decide(card, row, policy, Decimal("0.2"))
        samples.append((time.perf_counter() - start) * 1000)
    return _percentiles(samples)


def application_latency(count: int) -> dict[str, float]:
    """Milliseconds for a whole application on a fresh SQLite bank."""
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
        upgrade(engine)
        clock = FixedClock(NOW)
        ledger = Ledger(engine, clock)
        customers = []
        with engine.begin() as conn:
            load_catalog(conn, read_spec())
            settlement = bank_account(conn, "settlement:ach", "USD", NOW)
            for i in range(20):
                customer = create_customer(
                    conn,
                    NewCustomer(
                        username=f"bench{i}",
                        password_hash="x",
                        full_name=f"Bench Customer {i}",
                        email=f"bench{i}@example.com",
                        phone="+1 555 0100",
                        date_of_birth=date(1985, 1, 1),
                        street="1 Main St",
                        city="Springfield",
                        state="IL",
                        postal_code="62701",
                        ssn_last4="1234",
                    ),
                    NOW,
                )
                account = open_account(
                    conn, customer_id=customer, product_code="everyday_checking", now=NOW, rng=rng
                )
                customers.append((customer, account))
        for customer, account in customers:
            amount = Decimal(rng.randrange(100, 5000))
            ledger.transfer(
                TransferRequest(f"seed-{customer}", settlement, account, amount, "USD", "deposit")
            )
        service = CreditService(engine, clock, Settings(environment="test"))
        purposes = ("car_used", "furniture", "electronics", "business", "education")
        samples = []
        for i in range(count):
            application = ApplicationInput(
                amount=Decimal(rng.randrange(1000, 20000)),
                term_months=rng.choice((12, 24, 36, 48, 60)),
                purpose=rng.choice(purposes),  # type: ignore[arg-type]
                monthly_income=Decimal(rng.randrange(2000, 9000)),
                employment="employed",
                employment_years=rng.randrange(0, 15),
                housing=rng.choice(("rent", "own")),
            )
            start = time.perf_counter()
            service.apply(customers[i % len(customers)][0], application)
            samples.append((time.perf_counter() - start) * 1000)
        engine.dispose()
    return _percentiles(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--folds", type=int, default=10)
    parser.add_argument("--applications", type=int, default=200)
    args = parser.parse_args()
    start = time.perf_counter()
    default_scorecard()  # trained and cached on first use
    train_seconds = time.perf_counter() - start
    evaluation = cross_validate(german_credit(), folds=args.folds)
    result = {
        "bench": "credit",
        "decision_ms": decision_latency(),
        "application_ms": application_latency(args.applications),
        "folds": args.folds,
        "auc": round(evaluation.auc, 4),
        "ks": round(evaluation.ks, 4),
        "gini": round(evaluation.gini, 4),
        "scorecard_load_or_train_s": round(train_seconds, 2),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
