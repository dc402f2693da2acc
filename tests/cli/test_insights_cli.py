"""`openteller insights run|alerts` and `openteller eval insights`, as real subprocesses."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.cli.test_cli import _seed, db, run

__all__ = ["db"]  # the fixture, shared with test_cli


def _count(db: str, sql: str) -> int:
    path = db.removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:
        return int(conn.execute(sql).fetchone()[0])


def test_insights_run_stores_alerts_once(db: str) -> None:
    assert _seed(db).returncode == 0
    first = run("insights", "run", "--as-of", "2026-10-31", "--json", "--db", db)
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert (report["mode"], report["customers"]) == ("batch", 3)
    # Every posting on a customer's account, read independently.
    assert report["transactions"] == _count(
        db,
        "SELECT count(*) FROM postings p JOIN accounts a ON a.id = p.account_id "
        "WHERE a.customer_id IS NOT NULL",
    )
    assert report["alerts_created"] == _count(db, "SELECT count(*) FROM alerts")
    assert sum(report["by_kind"].values()) == report["alerts_created"]

    again = run("insights", "run", "--as-of", "2026-10-31", "--json", "--db", db)
    assert json.loads(again.stdout)["alerts_created"] == 0
    incremental = run("insights", "run", "--new", "--as-of", "2026-10-31", "--json", "--db", db)
    assert (
        json.loads(incremental.stdout)["mode"],
        json.loads(incremental.stdout)["customers"],
    ) == (
        "incremental",
        0,
    )
    listed = run("insights", "alerts", "--customer", "1", "--json", "--db", db)
    assert listed.returncode == 0, listed.stderr
    assert len(json.loads(listed.stdout)) == _count(
        db, "SELECT count(*) FROM alerts WHERE customer_id = 1"
    )


def test_insights_bad_input_is_a_message(db: str) -> None:
    bad_time = run("insights", "run", "--as-of", "yesterday", "--db", db)
    assert bad_time.returncode == 2
    assert "--as-of: expected an ISO 8601 date or time, got 'yesterday'" in bad_time.stderr
    assert "Traceback" not in bad_time.stderr
    bad_status = run("insights", "alerts", "--customer", "1", "--status", "old", "--db", db)
    assert bad_status.returncode == 2
    assert "status must be one of new, seen, dismissed" in bad_status.stderr
    assert "Traceback" not in bad_status.stderr


def test_eval_insights_scores_each_detector(tmp_path: Path) -> None:
    plot = tmp_path / "insights.html"
    done = run(
        "eval", "insights", "--customers", "20", "--months", "9", "--seed", "7",
        "--plot", str(plot), "--json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    # The seeded bank of 20 customers over 9 months, scored per transaction.
    assert report["detectors"] == {
        "duplicates": {"precision": 1.0, "recall": 1.0, "tp": 21, "fp": 0, "fn": 0},
        "recurring": {"precision": 0.9977, "recall": 0.9982, "tp": 1700, "fp": 4, "fn": 3},
        "unusual": {"precision": 1.0, "recall": 0.9286, "tp": 13, "fp": 0, "fn": 1},
    }
    assert report["labels"] == {"duplicate": 21, "recurring": 1703, "unusual": 14}
    assert (report["customers"], report["unusual_runs"]) == (20, 4)
    assert plot.read_text().startswith("<!doctype html>")
