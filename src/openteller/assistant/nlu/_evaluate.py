"""Train on one labelled set, measure on another: accuracy, macro-F1, per intent, latency.

Few-shot runs draw `shots` examples per intent from the training set with each seed
(the same seed also drives encoder tuning) and report the mean over seeds. Parse latency
is `IntentModel.predict` on one message at a time with one torch thread: the cost of a
chat turn's NLU step on one core.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from sklearn.metrics import precision_recall_fscore_support  # type: ignore[import-untyped]

from openteller.assistant.nlu._data import TrainingData
from openteller.assistant.nlu._model import IntentModel, ModelConfig, Progress
from openteller.embeddings import torch_threads

LATENCY_SAMPLE = 300


@dataclass(frozen=True)
class RunResult:
    seed: int
    accuracy: float
    macro_f1: float
    per_intent: dict[str, dict[str, float]]
    train_seconds: float
    latency_ms: list[float] = field(repr=False)


def _percentile(values: list[float], q: float) -> float:
    return round(float(np.percentile(values, q)), 2) if values else 0.0


def score(truth: list[str], predicted: list[str]) -> tuple[float, float, dict[str, Any]]:
    """Accuracy, macro-F1 over the test intents, and precision/recall/F1/support each."""
    labels = sorted(set(truth))
    precision, recall, f1, support = precision_recall_fscore_support(
        truth, predicted, labels=labels, zero_division=0
    )
    per_intent = {
        label: {
            "precision": round(float(p), 4),
            "recall": round(float(r), 4),
            "f1": round(float(f), 4),
            "support": int(s),
        }
        for label, p, r, f, s in zip(labels, precision, recall, f1, support, strict=True)
    }
    accuracy = sum(t == p for t, p in zip(truth, predicted, strict=True)) / len(truth)
    return accuracy, float(np.mean(f1)), per_intent


def run_once(
    train: TrainingData,
    test: TrainingData,
    *,
    seed: int,
    config: ModelConfig,
    progress: Progress | None = None,
    latency_sample: int = LATENCY_SAMPLE,
) -> RunResult:
    """Fit on `train` (tuning seeded with `seed`), predict `test`, time single parses."""
    cfg = replace(config, tune=replace(config.tune, seed=seed))
    model = IntentModel(cfg).fit(train, calibrate=False, progress=progress)
    predicted = model.predict_labels(list(test.texts))
    accuracy, macro_f1, per_intent = score(list(test.labels), predicted)
    sample = random.Random(seed).sample(list(test.texts), min(latency_sample, len(test)))
    latency: list[float] = []
    with torch_threads(1):
        for i, text in enumerate(sample):
            started = time.perf_counter()
            model.predict(text)
            latency.append((time.perf_counter() - started) * 1000)
            if progress:
                progress("latency", i + 1, len(sample))
    return RunResult(seed, accuracy, macro_f1, per_intent, model.train_seconds, latency)


def evaluate(
    train: TrainingData,
    test: TrainingData,
    *,
    shots: int | None = None,
    seeds: int = 1,
    config: ModelConfig | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> dict[str, Any]:
    """The `openteller eval nlu` report (keys `accuracy`, `macro_f1`, `per_intent`,
    `latency_ms`; with several seeds also `accuracy_sd` and each run)."""
    cfg = config or ModelConfig()
    runs: list[RunResult] = []
    for seed in range(seeds):
        data = train.sample(shots, seed) if shots else train

        def step(phase: str, done: int, total: int, seed: int = seed) -> None:
            if progress:
                progress(f"seed {seed}: {phase}" if seeds > 1 else phase, done, total)

        runs.append(run_once(data, test, seed=seed, config=cfg, progress=step))
    accuracies = [r.accuracy for r in runs]
    intents = sorted(runs[0].per_intent)
    per_intent = {
        name: {
            key: round(statistics.fmean(r.per_intent[name][key] for r in runs), 4)
            for key in ("precision", "recall", "f1")
        }
        | {"support": runs[0].per_intent[name]["support"]}
        for name in intents
    }
    latency = [ms for r in runs for ms in r.latency_ms]
    report: dict[str, Any] = {
        "accuracy": round(statistics.fmean(accuracies), 4),
        "macro_f1": round(statistics.fmean(r.macro_f1 for r in runs), 4),
        "per_intent": per_intent,
        "latency_ms": {"p50": _percentile(latency, 50), "p95": _percentile(latency, 95)},
        "train_examples": shots * len(train.counts()) if shots else len(train),
        "test_examples": len(test),
        "shots": shots,
        "seeds": seeds,
        "train_seconds": round(statistics.fmean(r.train_seconds for r in runs), 1),
    }
    if seeds > 1:
        report["accuracy_sd"] = round(statistics.stdev(accuracies), 4)
        report["runs"] = [
            {
                "seed": r.seed,
                "accuracy": round(r.accuracy, 4),
                "macro_f1": round(r.macro_f1, 4),
                "train_seconds": round(r.train_seconds, 1),
            }
            for r in runs
        ]
    return report
