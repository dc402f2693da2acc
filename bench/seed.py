"""Benchmark: seed a demo bank (default 1,000 customers × 12 months) and check it.

Prints one JSON line: total seconds, the seeder's phase timings, transfers per second of
the posting phase, and the duration of `ledger check` over the result.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from openteller.core import FixedClock, check_ledger, make_engine, upgrade
from openteller.core.demo.seeder import SeedOptions, seed_bank
from openteller.settings import Settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--db", help="database URL (default: a temporary SQLite file)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite:///{Path(tmp) / 'bench.db'}"
        engine = make_engine(url)
        upgrade(engine)
        settings = Settings(database_url=url)
        started = time.perf_counter()
        result = seed_bank(
            engine,
            settings,
            SeedOptions(args.customers, args.months, args.seed, as_of=date(2026, 10, 31)),
            clock=FixedClock(datetime(2026, 11, 1, 12, tzinfo=UTC)),
        )
        total = time.perf_counter() - started
        mark = time.perf_counter()
        report = check_ledger(engine)
        check_s = time.perf_counter() - mark
        engine.dispose()

    post = result.timings.get("post", 0.0)
    print(
        json.dumps(
            {
                "benchmark": "seed",
                "date": date.today().isoformat(),
                "machine": {"cores": os.cpu_count(), "python": platform.python_version()},
                "database": url.split(":", 1)[0],
                "customers": args.customers,
                "months": args.months,
                "seconds": round(total, 2),
                "timings": result.timings,
                "transfers": result.transfers,
                "postings": report.postings,
                "post_transfers_per_s": round(result.transfers / post) if post else None,
                "holds_pending": result.holds_pending,
                "labels": result.labels,
                "password_hash": {
                    "argon2id_memory_kib": settings.password_hash_memory_kib,
                    "time_cost": settings.password_hash_time_cost,
                },
                "check_ok": report.ok,
                "check_s": round(check_s, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
