"""Assistant turn latency, one user, no LLM: NLU + dialogue + core calls + reply + record.

Seeds a small bank on SQLite in a temporary directory, loads the intent model (trained
and cached on first use), then plays a fixed mix of conversations for one customer again
and again: balances, a transaction search, a spending summary, a confirmed transfer, a
card block and unblock, a loan quote, small talk. Every turn is timed end to end
(`Assistant.reply`, which also writes the session, the transcript and the events), and
the stage times recorded in each turn's `turn_latency` event are summarised.

    .venv/bin/python bench/assistant_turns.py            # 300 turns
    .venv/bin/python bench/assistant_turns.py --turns 60

Prints ONE JSON line. Targets (issue 4): p50 ≤ 30 ms, p95 ≤ 60 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from openteller.analytics import EventType, MemoryEventSink
from openteller.assistant import Assistant, default_parser
from openteller.core import FixedClock, make_engine, upgrade
from openteller.core.demo.seeder import SeedOptions, seed_bank
from openteller.settings import Settings

TARGETS = {"p50_ms": 30.0, "p95_ms": 60.0}
SCRIPT = [
    ["what's my balance"],
    ["show my transactions last month"],
    ["how much did I spend this month"],
    ["move $1 from checking to savings", "yes"],
    ["block my card", "yes", "unblock my card", "yes"],
    ["how much would a $5,000 loan over 24 months cost"],
    ["hi", "thanks", "bye"],
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--turns", type=int, default=300, help="turns to time")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        settings = Settings(
            database_url=url,
            environment="test",
            password_hash_memory_kib=64,
            password_hash_time_cost=1,
        )
        engine = make_engine(url)
        upgrade(engine)
        clock = FixedClock(datetime(2026, 11, 15, 17, 0, tzinfo=UTC))
        seeded = seed_bank(
            engine, settings, SeedOptions(3, 3, 7, as_of=date(2026, 11, 14)), clock=clock
        )
        customer = seeded.logins[0].customer_id
        started = time.perf_counter()
        intent_parser = default_parser()
        model_s = time.perf_counter() - started
        sink = MemoryEventSink()
        assistant = Assistant(engine, clock, settings, intent_parser, sink)
        for warm in ("hello", "what's my balance"):  # first calls load lazy pieces
            assistant.reply(customer, warm)
        sink.events.clear()
        times: list[float] = []
        while len(times) < args.turns:
            for conversation in SCRIPT:
                session: str | None = None
                for message in conversation:
                    t0 = time.perf_counter()
                    answer = assistant.reply(customer, message, session)
                    times.append((time.perf_counter() - t0) * 1000)
                    session = answer.session_id
                    clock.advance(timedelta(seconds=5))
        engine.dispose()
    stages: dict[str, list[float]] = {}
    for event in sink.events:
        if event.type == EventType.TURN_LATENCY:
            for stage, ms in event.payload["stages"].items():
                stages.setdefault(stage, []).append(float(ms))
    result: dict[str, Any] = {
        "benchmark": "assistant_turns",
        "machine": {"cores": os.cpu_count(), "python": platform.python_version()},
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "turns": len(times),
        "model_load_s": round(model_s, 2),
        "p50_ms": round(percentile(times, 0.50), 2),
        "p95_ms": round(percentile(times, 0.95), 2),
        "mean_ms": round(statistics.fmean(times), 2),
        "stages_p50_ms": {k: round(percentile(v, 0.5), 2) for k, v in sorted(stages.items())},
        "targets": TARGETS,
    }
    result["met"] = {
        "p50_ms": result["p50_ms"] <= TARGETS["p50_ms"],
        "p95_ms": result["p95_ms"] <= TARGETS["p95_ms"],
    }
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
