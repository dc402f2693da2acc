"""`openteller staff`: add, list, deactivate; bad input is one line and exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.test_cli import _seed, run


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'staff.db'}"
    assert run("db", "upgrade", "--db", url).returncode == 0
    return url


def test_add_list_deactivate_and_activate(db: str) -> None:
    added = run(
        "staff", "add", "--username", "jo.kim@risk", "--name", "Jo Kim",
        "--role", "compliance", "--password", "correct-horse-9", "--db", db,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert added.stdout.strip() == "staff 1 jo.kim@risk (compliance) added"
    listed = json.loads(run("staff", "list", "--json", "--db", db).stdout)
    assert [(m["username"], m["role"], m["active"]) for m in listed] == [
        ("jo.kim@risk", "compliance", True)
    ]
    off = run("staff", "deactivate", "jo.kim@risk", "--db", db)
    assert (off.returncode, off.stdout.strip()) == (0, "staff jo.kim@risk deactivated")
    assert json.loads(run("staff", "list", "--json", "--db", db).stdout)[0]["active"] is False
    on = run("staff", "activate", "jo.kim@risk", "--db", db)
    assert (on.returncode, on.stdout.strip()) == (0, "staff jo.kim@risk activated")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--username", "jo", "--role", "analyst", "--password", "long-enough-pw"), "name@team"),
        (("--username", "jo@x", "--role", "admin", "--password", "long-enough-pw"), "admin"),
        (("--username", "jo@x", "--role", "analyst", "--password", "short"), "12 characters"),
    ],
)
def test_bad_staff_input_is_refused(db: str, args: tuple[str, ...], message: str) -> None:
    done = run("staff", "add", "--name", "Jo", *args, "--db", db)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert json.loads(run("staff", "list", "--json", "--db", db).stdout) == []


def test_a_taken_name_and_an_unknown_name(db: str) -> None:
    args = ("--name", "Jo", "--role", "product", "--password", "long-enough-pw", "--db", db)
    assert run("staff", "add", "--username", "jo@p", *args).returncode == 0
    again = run("staff", "add", "--username", "jo@p", *args)
    assert again.returncode == 2
    assert "username is taken" in again.stderr
    missing = run("staff", "deactivate", "nobody@p", "--db", db)
    assert missing.returncode == 2
    assert "staff member not found" in missing.stderr


def test_seed_prints_one_console_login_per_role(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'seeded.db'}"
    done = _seed(url)
    assert done.returncode == 0, done.stderr
    staff = json.loads(done.stdout)["staff_logins"]
    assert [(s["role"], s["username"]) for s in staff] == [
        ("analyst", "analyst@staff"),
        ("compliance", "compliance@staff"),
        ("product", "product@staff"),
    ]
    assert all(len(s["password"]) >= 12 for s in staff)
