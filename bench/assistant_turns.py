"""Assistant turn latency, one user, no LLM: NLU + dialogue + core calls + reply + record.

Seeds a small bank on SQLite in a temporary directory, loads the intent model (trained
and cached on first use), then plays a fixed mix of conversations for one customer again
and again: balances, a transaction search, a spending summary, a confirmed transfer, a
card block and unblock, a loan quote, small talk. Every turn is timed end to end
(`Assistant.reply`, which also writes the session, the transcript and the events), and
the stage times recorded in each turn's `turn_latency` event are summarised.

    OMP_NUM_THREADS=1 .venv/bin/python bench/assistant_turns.py      # 300 turns each
    OMP_NUM_THREADS=1 .venv/bin/python bench/assistant_turns.py --turns 60

Two configurations in one run: "bare" (NLU, dialogue, core, reply, record) and
"deployed" (the same with the guardrails on every turn and support questions answered
from the documents, as `openteller serve` runs it). Prints ONE JSON line. Targets
(issue 4, a full turn without an LLM): p50 ≤ 30 ms, p95 ≤ 60 ms.
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

import torch

from openteller.analytics import EventType, MemoryEventSink
from openteller.assistant import Assistant, DocumentAnswerer, KnowledgeAnswerer, default_parser
from openteller.core import FixedClock, make_engine, upgrade
from openteller.core.demo.seeder import SeedOptions, seed_bank
from openteller.guardrails import Guardrails
from openteller.knowledge import KnowledgeBase
from openteller.llm import ExtractiveProvider
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
    ["what is the fee for an outgoing domestic wire?"],
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--turns", type=int, default=300, help="turns to time")
    parser.add_argument(
        "--cache",
        action="store_true",
        help="keep the encoders' query caches (default: off, every message encoded afresh)",
    )
    args = parser.parse_args(argv)
    # The script repeats its messages: with the caches on, every turn after the first round
    # would take its embeddings from the encoders' query caches and the NLU would look free.
    if not args.cache:
        os.environ["OPENTELLER_EMBEDDING_CACHE_SIZE"] = "0"
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
        kb = KnowledgeBase.open(settings, index_dir=Path(tmp) / "kb")
        # "bare": NLU + dialogue + core + reply + record, nothing else. "deployed": as
        # served, every reply through the guardrails (input screening with the embedding
        # classifier and presidio, output review, audit log) and support questions
        # answered from the documents (extractive, no LLM).
        configs: dict[str, tuple[DocumentAnswerer | None, Guardrails | None]] = {
            "bare": (None, None),
            "deployed": (
                KnowledgeAnswerer(kb, ExtractiveProvider()),
                Guardrails.from_settings(settings, engine, clock),
            ),
        }
        runs: dict[str, Any] = {}
        for name, (answerer, guard) in configs.items():
            sink = MemoryEventSink()
            assistant = Assistant(
                engine, clock, settings, intent_parser, sink, answerer=answerer, guard=guard
            )
            for warm in ("hello", "what's my balance", "what is the overdraft fee?"):
                assistant.reply(customer, warm)  # first calls load lazy pieces
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
            runs[name] = (times, sink)
        engine.dispose()
    result: dict[str, Any] = {
        "benchmark": "assistant_turns",
        "machine": {"cores": os.cpu_count(), "python": platform.python_version()},
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "torch_threads": torch.get_num_threads(),
        "embedding_cache": "on" if args.cache else "off",
        "model_load_s": round(model_s, 2),
        "targets": TARGETS,
    }
    for name, (times, sink) in runs.items():
        result[name] = _figures(times, sink)
    result["deployed_over_bare_p50"] = round(
        result["deployed"]["p50_ms"] / result["bare"]["p50_ms"], 2
    )
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


def _figures(times: list[float], sink: MemoryEventSink) -> dict[str, Any]:
    stages: dict[str, list[float]] = {}
    for event in sink.events:
        if event.type == EventType.TURN_LATENCY:
            for stage, ms in event.payload["stages"].items():
                stages.setdefault(stage, []).append(float(ms))
    figures: dict[str, Any] = {
        "turns": len(times),
        "p50_ms": round(percentile(times, 0.50), 2),
        "p95_ms": round(percentile(times, 0.95), 2),
        "mean_ms": round(statistics.fmean(times), 2),
        "stages_p50_ms": {k: round(percentile(v, 0.5), 2) for k, v in sorted(stages.items())},
    }
    figures["met"] = {
        "p50_ms": figures["p50_ms"] <= TARGETS["p50_ms"],
        "p95_ms": figures["p95_ms"] <= TARGETS["p95_ms"],
    }
    return figures


if __name__ == "__main__":
    raise SystemExit(main())
