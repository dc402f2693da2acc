"""`openteller nlu train` and `openteller eval nlu` as real subprocesses."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from openteller.assistant.nlu import load_heldout, load_intents

INTENTS = ("check_balance", "block_card", "transfer_money", "greet", "thanks", "faq_fees")
ENV = {**os.environ, "COLUMNS": "200"}


def run(*args: str, models: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "openteller", *args],
        capture_output=True,
        text=True,
        env={**ENV, "OPENTELLER_MODEL_DIR": str(models)},
        timeout=300,
    )


def _write(path: Path, rows: list[tuple[str, str]], header: str = "text,label") -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header.split(","))
        writer.writerows(rows)
    return path


@pytest.fixture
def csvs(tmp_path: Path) -> tuple[Path, Path]:
    train, test = load_intents(), load_heldout()
    per: dict[str, int] = {}
    rows = []
    for text, label in zip(train.texts, train.labels, strict=True):
        if label in INTENTS and per.get(label, 0) < 12:
            per[label] = per.get(label, 0) + 1
            rows.append((text, label))
    held = [(t, y) for t, y in zip(test.texts, test.labels, strict=True) if y in INTENTS]
    return _write(tmp_path / "train.csv", rows), _write(tmp_path / "test.csv", held)


@pytest.mark.slow
def test_eval_nlu_json(csvs: tuple[Path, Path], tmp_path: Path) -> None:
    train, test = csvs
    done = run(
        "eval", "nlu", "--train", str(train), "--test", str(test),
        "--shots", "8", "--seeds", "2", "--json", models=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert {"accuracy", "macro_f1", "per_intent", "latency_ms"} <= set(report)
    assert report["accuracy"] >= 0.8
    assert set(report["per_intent"]) == set(INTENTS)
    assert set(report["per_intent"]["block_card"]) == {"precision", "recall", "f1", "support"}
    assert report["latency_ms"]["p50"] > 0
    assert report["latency_ms"]["p95"] >= report["latency_ms"]["p50"]
    assert (report["shots"], report["seeds"], report["train_examples"]) == (8, 2, 48)
    assert [r["seed"] for r in report["runs"]] == [0, 1]


@pytest.mark.slow
def test_nlu_train_caches_the_model(csvs: tuple[Path, Path], tmp_path: Path) -> None:
    train, _ = csvs
    models = tmp_path / "models"
    first = run("nlu", "train", "--data", str(train), "--out", str(models), "--json", models=models)
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout)
    assert (summary["intents"], summary["examples"], summary["cached"]) == (6, 72, False)
    assert Path(summary["model"]).is_file()
    assert summary["temperature"] > 0
    again = run("nlu", "train", "--data", str(train), "--out", str(models), "--json", models=models)
    assert json.loads(again.stdout)["cached"] is True


@pytest.mark.parametrize(
    ("kind", "extra", "message"),
    [
        ("absent", [], "no such CSV file"),
        ("columns", [], "expected columns text,label"),
        ("ok", ["--shots", "50"], "--shots 50 is more than the 12 examples"),
    ],
)
def test_eval_nlu_errors_are_one_line_and_exit_2(
    csvs: tuple[Path, Path], tmp_path: Path, kind: str, extra: list[str], message: str
) -> None:
    train, test = csvs
    if kind == "absent":
        train = tmp_path / "absent.csv"
    elif kind == "columns":
        train = _write(tmp_path / "cols.csv", [("hi", "greet")], header="utterance,intent_name")
    done = run("eval", "nlu", "--train", str(train), "--test", str(test), *extra, models=tmp_path)
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert message in lines[0]


def test_nlu_train_refuses_a_bad_csv(tmp_path: Path) -> None:
    bad = _write(tmp_path / "one.csv", [("hi", "greet"), ("hello", "greet")])
    done = run("nlu", "train", "--data", str(bad), models=tmp_path)
    assert done.returncode == 2
    assert "at least two intents" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
