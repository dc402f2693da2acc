"""Benchmark: the insights batch (`analyze`) over about 1,000,000 transactions.

Plans `--customers` demo customers over `--months` months with the seeder's planner (no
database), then repeats that history under fresh ids (customer, account and transaction
ids offset per copy) until `--transactions` is reached: each copy is a different
customer to the detectors, with the same merchants and amounts. Times the planning,
the `Transaction` construction and `analyze` separately; prints one JSON line, with the
detectors' precision and recall on the first copy's labels.

    .venv/bin/python bench/insights.py [--transactions 1000000] [--small]

With `--db URL` it times the whole batch instead, as `openteller insights run` does it:
reading every customer's postings from a seeded bank, `analyze` and storing the alerts
(alerts and runs are deleted first, so every run stores the same alerts).

    .venv/bin/python bench/insights.py --db sqlite:///big.db --as-of 2026-10-31T23:59:59-04:00
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import time
from datetime import date, datetime, timedelta
from datetime import time as dtime
from decimal import Decimal
from zoneinfo import ZoneInfo

from openteller.insights import (
    Findings,
    Transaction,
    analyze,
    demo_plan,
    evaluate,
    planned_transactions,
)

TZ = ZoneInfo("America/New_York")
AS_OF = date(2026, 10, 31)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--transactions", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=300, help="distinct planned customers")
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--small", action="store_true", help="50 customers, 50,000 transactions")
    parser.add_argument("--db", help="time the service's batch run on this seeded bank instead")
    parser.add_argument("--as-of", help="with --db: the run's instant (ISO 8601)")
    args = parser.parse_args()
    if args.db:
        _service_run(args.db, args.as_of)
        return
    if args.small:
        args.customers, args.transactions = 50, 50_000

    mark = time.perf_counter()
    events = demo_plan(args.customers, args.months, args.seed, AS_OF, tz=TZ)
    plan_s = time.perf_counter() - mark

    mark = time.perf_counter()
    base, labels = planned_transactions(events, tz=TZ)
    txns = _repeat(base, args.transactions)
    build_s = time.perf_counter() - mark

    as_of = datetime.combine(AS_OF, dtime(23, 59, 59), TZ)
    balances = {t.account_id: Decimal("250.00") for t in txns}
    mark = time.perf_counter()
    findings = analyze(txns, as_of, tz=TZ, balances=balances)
    analyze_s = time.perf_counter() - mark

    first = {t.id for t in base}
    in_first = Findings(
        recurring=[s for s in findings.recurring if s.transaction_ids[0] in first],
        duplicates=[d for d in findings.duplicates if d.duplicate_id in first],
        unusual=[u for u in findings.unusual if u.transaction_id in first],
    )
    quality = evaluate(
        in_first, labels, transactions=base, lookback_start=as_of - timedelta(days=90)
    )
    copies = -(-len(txns) // len(base))
    print(
        json.dumps(
            {
                "benchmark": "insights",
                "date": date.today().isoformat(),
                "machine": {"cores": os.cpu_count(), "python": platform.python_version()},
                "transactions": len(txns),
                "customers": args.customers * copies,
                "distinct_customers": args.customers,
                "months": args.months,
                "plan_s": round(plan_s, 2),
                "build_s": round(build_s, 2),
                "analyze_s": round(analyze_s, 2),
                "per_1k_ms": round(analyze_s * 1000 / (len(txns) / 1000), 2),
                "rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                "found": {
                    "recurring_series": len(findings.recurring),
                    "duplicates": len(findings.duplicates),
                    "unusual": len(findings.unusual),
                    "low_balance": len(findings.low_balance),
                    "bills": len(findings.bills),
                },
                "quality_first_copy": quality["detectors"],
            }
        )
    )


def _service_run(url: str, as_of: str | None) -> None:
    from sqlalchemy import delete, func, select

    from openteller.core import FixedClock, SystemClock, make_engine
    from openteller.core.models import Alert, InsightRun, Posting
    from openteller.insights.service import InsightsService
    from openteller.settings import Settings

    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(delete(Alert))
        conn.execute(delete(InsightRun))
        postings = conn.execute(select(func.count()).select_from(Posting)).scalar()
    clock = FixedClock(datetime.fromisoformat(as_of)) if as_of else SystemClock()
    service = InsightsService(engine, clock, Settings(database_url=url))
    mark = time.perf_counter()
    result = service.run()
    run_s = time.perf_counter() - mark
    print(
        json.dumps(
            {
                "benchmark": "insights_service_run",
                "date": date.today().isoformat(),
                "machine": {"cores": os.cpu_count(), "python": platform.python_version()},
                "database": engine.dialect.name,
                "postings": postings,
                "transactions": result.transactions,
                "customers": result.customers,
                "run_s": round(run_s, 2),
                "per_1k_ms": round(run_s * 1000 / (result.transactions / 1000), 2),
                "alerts_created": result.alerts_created,
                "by_kind": dict(sorted(result.by_kind.items())),
                "rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            }
        )
    )
    engine.dispose()


def _repeat(base: list[Transaction], target: int) -> list[Transaction]:
    """`base` and copies of it under offset ids until `target` transactions."""
    id_step = max(t.id for t in base) + 1
    account_step = max(t.account_id for t in base) + 1
    customer_step = max(t.customer_id for t in base) + 1
    out = list(base)
    copy = 1
    while len(out) < target:
        for t in base:
            if len(out) >= target:
                break
            out.append(
                Transaction(
                    id=t.id + copy * id_step,
                    account_id=t.account_id + copy * account_step,
                    customer_id=t.customer_id + copy * customer_step,
                    occurred_at=t.occurred_at,
                    amount=t.amount,
                    merchant=t.merchant,
                    description=t.description,
                    category=t.category,
                    location=t.location,
                    channel=t.channel,
                )
            )
        copy += 1
    return out


if __name__ == "__main__":
    main()
