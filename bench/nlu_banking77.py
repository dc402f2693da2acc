"""Benchmark: the intent classifier on Banking77 (train on train.csv, report test.csv).

Prints one JSON line: full-data accuracy and macro-F1, 10-shot accuracy (mean and sd over
3 seeds), parse latency p50/p95 on one core (one torch thread, one message at a time) and
training seconds. Same model and code path as `openteller eval nlu`.

    .venv/bin/python bench/nlu_banking77.py [--data ../shared/data/banking77]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from datetime import date
from pathlib import Path

from openteller.assistant.nlu import evaluate, read_csv

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "banking77"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--shots", type=int, default=10)
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()

    train = read_csv(args.data / "train.csv", min_per_intent=2)
    test = read_csv(args.data / "test.csv")
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    full = evaluate(train, test)
    full_s = time.perf_counter() - started
    mark = time.perf_counter()
    few = evaluate(train, test, shots=args.shots, seeds=args.seeds)
    few_s = time.perf_counter() - mark
    few_acc = [r["accuracy"] for r in few.get("runs", [few])]
    print(
        json.dumps(
            {
                "benchmark": "nlu_banking77",
                "date": date.today().isoformat(),
                "machine": {"cores": os.cpu_count(), "python": platform.python_version()},
                "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
                "train_examples": len(train),
                "test_examples": len(test),
                "full": {
                    "accuracy": full["accuracy"],
                    "macro_f1": full["macro_f1"],
                    "train_seconds": full["train_seconds"],
                    "latency_ms": full["latency_ms"],
                    "seconds": round(full_s, 1),
                },
                f"shots_{args.shots}": {
                    "accuracy_mean": few["accuracy"],
                    "accuracy_sd": round(statistics.stdev(few_acc), 4) if len(few_acc) > 1 else 0,
                    "accuracy_runs": few_acc,
                    "macro_f1": few["macro_f1"],
                    "train_seconds": few["train_seconds"],
                    "latency_ms": few["latency_ms"],
                    "seconds": round(few_s, 1),
                },
            }
        )
    )


if __name__ == "__main__":
    main()
