"""The demo-bank seeder: determinism, invariants, planted labels, refusal to reseed."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine, func, select, text

from openteller.core import FixedClock, check_ledger, ledger_digest
from openteller.core.demo.seeder import SeedOptions, seed_bank
from openteller.core.errors import AlreadyExists, ValidationFailed
from openteller.core.models import Customer, Hold, Transfer
from openteller.core.security import password_hasher, verify_password
from openteller.settings import Settings
from tests.conftest import NOW

SETTINGS = Settings(environment="test", password_hash_memory_kib=64, password_hash_time_cost=1)
OPTIONS = SeedOptions(customers=6, months=2, seed=7, as_of=date(2026, 10, 31))


def _seed(engine: Engine, options: SeedOptions = OPTIONS) -> dict[str, object]:
    return seed_bank(engine, SETTINGS, options, clock=FixedClock(NOW)).to_dict()


def test_same_seed_gives_identical_bank(engine: Engine, sqlite_engine: Engine) -> None:
    first = _seed(engine)
    second = _seed(sqlite_engine)
    assert ledger_digest(engine) == ledger_digest(sqlite_engine)
    assert first["logins"] == second["logins"]
    assert first["transfers"] == second["transfers"]


def test_other_seed_gives_other_bank(sqlite_engine: Engine, engine: Engine) -> None:
    _seed(sqlite_engine)
    _seed(engine, SeedOptions(customers=6, months=2, seed=8, as_of=date(2026, 10, 31)))
    assert ledger_digest(engine) != ledger_digest(sqlite_engine)


def test_seeded_bank_passes_every_invariant(engine: Engine) -> None:
    result = _seed(engine)
    report = check_ledger(engine)
    assert report.ok, report.violations
    assert report.totals == {"USD": "0.00"}
    assert result["failed"] == 0
    assert result["holds_declined"] == 0
    assert report.transfers == result["transfers"]
    assert result["start"] == "2026-09-01"
    assert result["as_of"] == "2026-10-31"


def test_history_lies_inside_the_window_and_is_labelled(sqlite_engine: Engine) -> None:
    result = _seed(sqlite_engine)
    with sqlite_engine.connect() as conn:
        first, last = conn.execute(
            select(func.min(Transfer.occurred_at), func.max(Transfer.occurred_at))
        ).one()
        kinds = set(conn.execute(select(Transfer.kind).distinct()).scalars())
        pending = conn.execute(
            select(func.count()).select_from(Hold).where(Hold.status == "pending")
        ).scalar_one()
        series = conn.execute(
            text("SELECT COUNT(DISTINCT series) FROM seed_labels WHERE label = 'recurring'")
        ).scalar_one()
    assert first.date() >= date(2026, 9, 1)
    assert last.date() <= date(2026, 11, 1)  # 23:59 local on Oct 31 is Nov 1 in UTC
    assert {"salary", "card_purchase", "payment", "transfer", "interest"} <= kinds
    assert pending == result["holds_pending"]
    labels = result["labels"]
    assert isinstance(labels, dict)
    assert labels["recurring"] > 0
    assert series >= 6  # every customer has at least housing and a subscription series


def test_logins_work_with_the_printed_passwords(sqlite_engine: Engine) -> None:
    result = _seed(sqlite_engine)
    logins = result["logins"]
    assert isinstance(logins, list)
    assert len(logins) == 6
    hasher = password_hasher(SETTINGS)
    with sqlite_engine.connect() as conn:
        for login in logins:
            stored = conn.execute(
                select(Customer.password_hash).where(Customer.id == login["customer_id"])
            ).scalar_one()
            assert stored.startswith("$argon2id$")
            assert verify_password(hasher, stored, login["password"])
            assert not verify_password(hasher, stored, login["password"] + "x")


def test_refuses_to_seed_a_bank_twice(sqlite_engine: Engine) -> None:
    _seed(sqlite_engine)
    before = ledger_digest(sqlite_engine)
    with pytest.raises(AlreadyExists, match="already holds 6 customers"):
        _seed(sqlite_engine)
    assert ledger_digest(sqlite_engine) == before


@pytest.mark.parametrize(
    "options",
    [
        SeedOptions(customers=0, months=1, seed=1),
        SeedOptions(customers=1, months=0, seed=1),
        SeedOptions(customers=1, months=61, seed=1),
    ],
)
def test_bad_options_are_refused(sqlite_engine: Engine, options: SeedOptions) -> None:
    with pytest.raises(ValidationFailed):
        _seed(sqlite_engine, options)


def test_without_as_of_history_stops_at_the_clock(sqlite_engine: Engine) -> None:
    # 12:00 UTC is 07:00 in New York: today's history ends at 07:00 local.
    result = seed_bank(
        sqlite_engine,
        SETTINGS,
        SeedOptions(customers=3, months=1, seed=3),
        clock=FixedClock(NOW),
    ).to_dict()
    assert result["as_of"] == "2026-11-15"
    with sqlite_engine.connect() as conn:
        latest = conn.execute(
            select(func.max(Transfer.occurred_at), func.max(Transfer.created_at))
        ).one()
    assert latest[0] <= NOW
    assert latest[1] <= NOW
