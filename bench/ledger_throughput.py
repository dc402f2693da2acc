"""Ledger throughput: transfers per second through the service layer (`Ledger`), one process.

For each backend (SQLite in a temporary file; PostgreSQL in a fresh temporary database that
is dropped at the end) the benchmark opens a pool of funded accounts, then measures

- ``single``: N one-transfer transactions (`Ledger.transfer`), per-call latency -> rate, p50, p99;
- ``single_threads``: the same number of single-transfer calls from T threads sharing the
  ledger (throughput when callers overlap their round trips);
- ``batched``: N transfers posted through `Ledger.transfer_batch` in batches of B;
- ``breakdown``: a shorter instrumented single-transfer run that splits the time of one
  transfer into SQL statements (driver execute), commit and the rest (Python: SQLAlchemy,
  ledger logic, pool checkout);
- ``check_ok`` / ``check_s``: `check_ledger` over everything the runs wrote.

It prints ONE JSON line on stdout::

    .venv/bin/python bench/ledger_throughput.py --backend both
    .venv/bin/python bench/ledger_throughput.py --transfers 2000 --batched-transfers 20000

PostgreSQL: OPENTELLER_BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/test)
names the server; the benchmark creates and drops its own database there. Without a server the
``postgres`` entry says why it was skipped.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from openteller.core.accounts import NewCustomer, bank_account, create_customer, open_account
from openteller.core.catalog import load_catalog, read_spec
from openteller.core.clock import SystemClock
from openteller.core.db import make_engine, normalize_url
from openteller.core.errors import OpenTellerError
from openteller.core.integrity import check_ledger
from openteller.core.ledger import Ledger, TransferRequest, TransferResult
from openteller.core.schema import upgrade

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
USD = "USD"
FUNDING = Decimal("1000000.00")  # per account: no transfer in the run can fail for funds


@dataclass(frozen=True)
class Options:
    transfers: int
    batched_transfers: int
    batch_size: int
    accounts: int
    warmup: int
    breakdown_transfers: int
    seed: int
    profile: Path | None
    pg_options: str | None
    threads: int
    analyze: bool
    history: int


# ------------------------------------------------------------------------------ bank


def open_bank(engine: Engine, accounts: int, rng: random.Random) -> tuple[Ledger, list[int]]:
    """Schema, catalog, a settlement account and `accounts` funded customer accounts."""
    upgrade(engine)
    clock = SystemClock()
    now = clock.now()
    ids: list[int] = []
    with engine.begin() as conn:
        load_catalog(conn, read_spec())
        settlement = bank_account(conn, "settlement:ach", USD, now)
        for c in range((accounts + 9) // 10):
            customer = create_customer(
                conn,
                NewCustomer(
                    username=f"bench{c}",
                    password_hash="not-a-real-hash",
                    full_name=f"Bench Customer {c}",
                    email=f"bench{c}@example.com",
                    phone="+1 555 0100",
                    date_of_birth=date(1990, 1, 1),
                    street="1 Main St",
                    city="Springfield",
                    state="IL",
                    postal_code="62701",
                    ssn_last4="1234",
                ),
                now,
            )
            for _ in range(min(10, accounts - len(ids))):
                ids.append(
                    open_account(
                        conn,
                        customer_id=customer,
                        product_code="everyday_checking",
                        now=now,
                        rng=rng,
                        floor=Decimal("0"),
                    )
                )
    ledger = Ledger(engine, clock)
    funding = [
        TransferRequest(f"fund-{a}", settlement, a, FUNDING, USD, kind="deposit") for a in ids
    ]
    for outcome in ledger.transfer_batch(funding):
        if isinstance(outcome, OpenTellerError):
            raise outcome
    return ledger, ids


def requests(prefix: str, n: int, ids: list[int], rng: random.Random) -> list[TransferRequest]:
    """`n` transfers between random distinct accounts of the pool, 0.01-100.00 each."""
    out = []
    for i in range(n):
        debit, credit = rng.sample(ids, 2)
        amount = Decimal(rng.randint(1, 10_000)).scaleb(-2)
        out.append(TransferRequest(f"{prefix}-{i}", debit, credit, amount, USD))
    return out


# -------------------------------------------------------------------------- measuring


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return 0.0
    rank = max(1, min(len(sorted_values), round(q / 100 * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


def trend(latencies: list[float]) -> dict[str, float]:
    """Mean latency of the first and the last tenth of a run (in call order): growth shows a
    cost that rises with the size of the tables."""
    tenth = max(1, len(latencies) // 10)
    return {
        "first_10pct_mean_ms": round(1000 * statistics.fmean(latencies[:tenth]), 3),
        "last_10pct_mean_ms": round(1000 * statistics.fmean(latencies[-tenth:]), 3),
    }


def run_single(ledger: Ledger, batch: list[TransferRequest]) -> dict[str, Any]:
    latencies: list[float] = []
    failed = 0
    clock = time.perf_counter
    started = clock()
    for request in batch:
        t0 = clock()
        try:
            ledger.transfer(request)
        except OpenTellerError:
            failed += 1
        latencies.append(clock() - t0)
    elapsed = clock() - started
    growth = trend(latencies)
    latencies.sort()
    return {
        "transfers": len(batch),
        "failed": failed,
        "seconds": round(elapsed, 3),
        "per_s": round(len(batch) / elapsed, 1),
        "mean_ms": round(1000 * statistics.fmean(latencies), 3),
        "p50_ms": round(1000 * percentile(latencies, 50), 3),
        "p99_ms": round(1000 * percentile(latencies, 99), 3),
        **growth,
    }


def run_batched(ledger: Ledger, batch: list[TransferRequest], size: int) -> dict[str, Any]:
    latencies: list[float] = []
    failed = 0
    clock = time.perf_counter
    started = clock()
    for i in range(0, len(batch), size):
        t0 = clock()
        outcomes = ledger.transfer_batch(batch[i : i + size])
        latencies.append(clock() - t0)
        failed += sum(1 for o in outcomes if not isinstance(o, TransferResult))
    elapsed = clock() - started
    growth = trend(latencies)
    latencies.sort()
    return {
        "transfers": len(batch),
        "batch_size": size,
        "batches": len(latencies),
        "failed": failed,
        "seconds": round(elapsed, 3),
        "per_s": round(len(batch) / elapsed, 1),
        "batch_p50_ms": round(1000 * percentile(latencies, 50), 3),
        "batch_p99_ms": round(1000 * percentile(latencies, 99), 3),
        **{f"batch_{k}": v for k, v in growth.items()},
    }


def run_concurrent(ledger: Ledger, batch: list[TransferRequest], threads: int) -> dict[str, Any]:
    """Single-transfer calls from `threads` threads sharing the ledger (and its pool)."""
    chunks = [batch[t::threads] for t in range(threads)]
    latencies: list[list[float]] = [[] for _ in range(threads)]
    failures = [0] * threads
    errors: list[BaseException] = []

    def work(t: int) -> None:
        clock = time.perf_counter
        try:
            for request in chunks[t]:
                t0 = clock()
                try:
                    ledger.transfer(request)
                except OpenTellerError:
                    failures[t] += 1
                latencies[t].append(clock() - t0)
        except BaseException as exc:  # reported in the result
            errors.append(exc)

    workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    started = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - started
    merged = sorted(x for part in latencies for x in part)
    result: dict[str, Any] = {
        "threads": threads,
        "transfers": len(batch),
        "failed": sum(failures),
        "seconds": round(elapsed, 3),
        "per_s": round(len(merged) / elapsed, 1),
        "p50_ms": round(1000 * percentile(merged, 50), 3),
        "p99_ms": round(1000 * percentile(merged, 99), 3),
    }
    if errors:
        result["errors"] = sorted({type(e).__name__ for e in errors})
    return result


@dataclass
class _Tally:
    statements: int = 0
    execute_s: float = 0.0
    commits: int = 0
    commit_s: float = 0.0


@contextmanager
def instrumented(engine: Engine) -> Iterator[_Tally]:
    """Count SQL statements and time driver execute and commit while the block runs."""
    tally = _Tally()
    clock = time.perf_counter

    def before(
        conn: Any, cursor: Any, statement: Any, params: Any, context: Any, many: Any
    ) -> None:
        conn.info["bench_t0"] = clock()

    def after(conn: Any, cursor: Any, statement: Any, params: Any, context: Any, many: Any) -> None:
        tally.statements += 1
        tally.execute_s += clock() - conn.info.pop("bench_t0", clock())

    dialect: Any = engine.dialect
    original_commit: Callable[[Any], None] = dialect.do_commit

    def timed_commit(dbapi_connection: Any) -> None:
        t0 = clock()
        try:
            original_commit(dbapi_connection)
        finally:
            tally.commits += 1
            tally.commit_s += clock() - t0

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    dialect.do_commit = timed_commit
    try:
        yield tally
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
        del dialect.do_commit  # back to the class's method


def run_breakdown(ledger: Ledger, batch: list[TransferRequest]) -> dict[str, Any]:
    """Where the time of one single-transfer call goes (instrumented, so a little slower)."""
    started = time.perf_counter()
    with instrumented(ledger.engine) as tally:
        for request in batch:
            ledger.transfer(request)
    elapsed = time.perf_counter() - started
    n = len(batch)
    per_ms = 1000 * elapsed / n
    execute_ms = 1000 * tally.execute_s / n
    commit_ms = 1000 * tally.commit_s / n
    return {
        "transfers": n,
        "ms_per_transfer": round(per_ms, 3),
        "statements_per_transfer": round(tally.statements / n, 2),
        "sql_execute_ms": round(execute_ms, 3),
        "commit_ms": round(commit_ms, 3),
        "python_and_other_ms": round(per_ms - execute_ms - commit_ms, 3),
    }


def bench_backend(engine: Engine, options: Options, label: str) -> dict[str, Any]:
    rng = random.Random(options.seed)
    setup_started = time.perf_counter()
    ledger, ids = open_bank(engine, options.accounts, rng)
    history = requests("h", options.history, ids, rng)
    for i in range(0, len(history), 500):
        ledger.transfer_batch(history[i : i + 500])
    if options.analyze:
        # A ledger in service has history and planner statistics. PostgreSQL keeps plans
        # made while the tables were tiny (psycopg's prepared statements, the foreign-key
        # checks' cached plans): sequential scans that get slower with every transfer until
        # the tables are analyzed again. --history 0 / --no-analyze show that cold start.
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    result: dict[str, Any] = {
        "accounts": len(ids),
        "history_transfers": options.history,
        "analyzed": options.analyze,
        "setup_s": round(time.perf_counter() - setup_started, 3),
    }
    for request in requests("warm", options.warmup, ids, rng):
        ledger.transfer(request)
    single = requests("s", options.transfers, ids, rng)
    if options.profile is not None:
        profiler = cProfile.Profile()
        profiler.enable()
        result["single"] = run_single(ledger, single)
        profiler.disable()
        profiler.dump_stats(f"{options.profile}.{label}.pstats")
    else:
        result["single"] = run_single(ledger, single)
    if options.threads > 1:
        result["single_threads"] = run_concurrent(
            ledger, requests("c", options.transfers, ids, rng), options.threads
        )
    result["batched"] = run_batched(
        ledger, requests("b", options.batched_transfers, ids, rng), options.batch_size
    )
    result["breakdown"] = run_breakdown(
        ledger, requests("i", options.breakdown_transfers, ids, rng)
    )
    check_started = time.perf_counter()
    report = check_ledger(engine)
    result["check_s"] = round(time.perf_counter() - check_started, 3)
    result["check_ok"] = report.ok
    if not report.ok:
        result["violations"] = [v.check for v in report.violations]
    result["ledger"] = {"transfers": report.transfers, "postings": report.postings}
    return result


# --------------------------------------------------------------------------- backends


def bench_sqlite(options: Options) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="ot-bench-") as directory:
        engine = make_engine(f"sqlite:///{Path(directory) / 'bench.db'}")
        try:
            return {"database": "temporary file (WAL)", **bench_backend(engine, options, "sqlite")}
        finally:
            engine.dispose()


def bench_postgres(options: Options, url: str) -> dict[str, Any]:
    admin = create_engine(
        normalize_url(url), isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5}
    )
    try:
        with admin.connect() as conn:
            version = str(conn.execute(text("SHOW server_version")).scalar_one())
    except OperationalError as exc:
        admin.dispose()
        return {"skipped": f"no PostgreSQL server answers at {url}: {str(exc.orig).strip()}"}
    name = f"ot_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    extra: dict[str, Any] = {}
    if options.pg_options:
        extra["connect_args"] = {"options": options.pg_options}
    engine = make_engine(
        make_url(normalize_url(url)).set(database=name).render_as_string(hide_password=False),
        **extra,
    )
    try:
        with engine.connect() as conn:
            settings = {
                key: str(conn.execute(text(f"SHOW {key}")).scalar_one())
                for key in ("synchronous_commit", "fsync", "shared_buffers", "autovacuum")
            }
        return {
            "database": "temporary database, dropped afterwards",
            "server_version": version,
            "server_settings": settings,
            **bench_backend(engine, options, "postgres"),
        }
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# -------------------------------------------------------------------------------- CLI


def parse_args(argv: list[str] | None) -> tuple[Options, str]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--transfers", type=int, default=5000, help="single-transfer calls")
    parser.add_argument(
        "--batched-transfers", type=int, default=50000, help="transfers sent in batches"
    )
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--accounts", type=int, default=200, help="funded accounts in the pool")
    parser.add_argument("--warmup", type=int, default=200, help="untimed transfers first")
    parser.add_argument(
        "--breakdown-transfers", type=int, default=1000, help="instrumented single transfers"
    )
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--seed", type=int, default=20261115)
    parser.add_argument(
        "--profile",
        type=Path,
        default=None,
        help="write cProfile stats of the single-transfer run to PROFILE.<backend>.pstats",
    )
    parser.add_argument(
        "--pg-options",
        default=None,
        help="libpq options for the benchmark's PostgreSQL connections, e.g. "
        "'-c plan_cache_mode=force_custom_plan' (default: none, as the application connects)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=4,
        help="also run the single-transfer calls from this many threads (0 or 1: skip)",
    )
    parser.add_argument(
        "--history",
        type=int,
        default=10000,
        help="untimed transfers posted (in batches) before the runs, then ANALYZE",
    )
    parser.add_argument(
        "--no-analyze",
        dest="analyze",
        action="store_false",
        help="skip ANALYZE after the set-up (cold planner statistics)",
    )
    args = parser.parse_args(argv)
    if args.transfers < 1 or args.batched_transfers < 1 or args.batch_size < 1:
        parser.error("--transfers, --batched-transfers and --batch-size must be positive")
    if args.accounts < 2:
        parser.error("--accounts must be at least 2")
    options = Options(
        transfers=args.transfers,
        batched_transfers=args.batched_transfers,
        batch_size=args.batch_size,
        accounts=args.accounts,
        warmup=args.warmup,
        breakdown_transfers=max(1, args.breakdown_transfers),
        seed=args.seed,
        profile=args.profile,
        pg_options=args.pg_options,
        threads=args.threads,
        analyze=args.analyze,
        history=max(0, args.history),
    )
    return options, str(args.backend)


def main(argv: list[str] | None = None) -> int:
    options, backend = parse_args(argv)
    result: dict[str, Any] = {
        "benchmark": "ledger_throughput",
        "machine": {
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "params": {
            "transfers": options.transfers,
            "batched_transfers": options.batched_transfers,
            "batch_size": options.batch_size,
            "accounts": options.accounts,
            "warmup": options.warmup,
            "seed": options.seed,
            "pg_options": options.pg_options,
            "threads": options.threads,
            "history": options.history,
            "analyze": options.analyze,
        },
    }
    if backend in ("sqlite", "both"):
        result["sqlite"] = bench_sqlite(options)
    if backend in ("postgres", "both"):
        url = os.environ.get("OPENTELLER_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)
        result["postgres"] = bench_postgres(options, url)
    print(json.dumps(result), flush=True)
    checks = [result[b].get("check_ok", True) for b in ("sqlite", "postgres") if b in result]
    return 0 if all(checks) else 1


if __name__ == "__main__":
    sys.exit(main())
