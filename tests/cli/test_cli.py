"""The `openteller` console: real subprocesses, exit codes, JSON on stdout, errors on stderr."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import HEAD_REVISION

ENV = {
    **os.environ,
    "OPENTELLER_PASSWORD_HASH_MEMORY_KIB": "64",
    "OPENTELLER_PASSWORD_HASH_TIME_COST": "1",
    "COLUMNS": "200",
}


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "openteller", *args],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=120,
    )


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cli.db'}"


def _seed(db: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return run(
        "seed", "--customers", "3", "--months", "1", "--seed", "5",
        "--as-of", "2026-10-31", "--json", "--db", db, *extra,
    )  # fmt: skip


def test_db_upgrade_reports_the_revision(db: str) -> None:
    done = run("db", "upgrade", "--db", db)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"database at revision {HEAD_REVISION}"


def test_seed_json_prints_logins_and_check_passes(db: str) -> None:
    done = _seed(db)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert [sorted(login) for login in data["logins"]] == [
        ["customer_id", "password", "username"]
    ] * 3
    assert [login["customer_id"] for login in data["logins"]] == [1, 2, 3]
    assert data["customers"] == 3
    assert data["as_of"] == "2026-10-31"
    check = run("ledger", "check", "--db", db)
    assert check.returncode == 0, check.stdout
    assert "ledger OK" in check.stdout
    assert "sum of balances USD: 0.00" in check.stdout
    stats = json.loads(run("ledger", "stats", "--json", "--db", db).stdout)
    assert stats["customers"] == 3
    assert stats["transfers"]["posted"] == data["transfers"]


def test_reseeding_refuses_then_reset_wipes(db: str) -> None:
    assert _seed(db).returncode == 0
    again = _seed(db)
    assert again.returncode == 2
    assert "error: the database already holds 3 customers" in again.stderr
    assert "Traceback" not in again.stderr
    wiped = _seed(db, "--reset")
    assert wiped.returncode == 0, wiped.stderr
    assert json.loads(wiped.stdout)["customers"] == 3


def test_ledger_check_exits_1_on_a_violation(db: str, tmp_path: Path) -> None:
    assert _seed(db).returncode == 0
    with sqlite3.connect(tmp_path / "cli.db") as conn:
        conn.execute("UPDATE accounts SET balance_minor = balance_minor + 1 WHERE id = 1")
    check = run("ledger", "check", "--json", "--db", db)
    assert check.returncode == 1
    report = json.loads(check.stdout)
    assert report["ok"] is False
    assert {v["check"] for v in report["violations"]} == {
        "balance_equals_postings",
        "currency_totals_zero",
    }
    assert report["totals"] == {"USD": "0.01"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("seed", "--as-of", "31/10/2026"), "expected YYYY-MM-DD"),
        (("seed", "--customers", "0"), "greater than or equal to 1"),
        (
            ("ledger", "check", "--db", "postgresql://nobody@127.0.0.1:1/none"),
            "database unavailable",
        ),
        (("ledger", "check", "--db", "not a url"), "invalid database URL"),
    ],
)
def test_bad_input_is_a_message_and_non_zero_exit(args: tuple[str, ...], message: str) -> None:
    done = run(*args)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_catalog_show_json_lists_the_products(db: str) -> None:
    assert run("db", "upgrade", "--db", db).returncode == 0
    assert run("catalog", "load", "--db", db).returncode == 0
    data = json.loads(run("catalog", "show", "--json", "--db", db).stdout)
    assert sorted(data) == [
        "cashback_credit_card",
        "everyday_checking",
        "high_yield_savings",
        "personal_loan",
        "premier_checking",
    ]
