"""`GET /v1/insights/summary` and `GET /v1/insights/recurring` on a seeded bank with
four months of history, checked against the ledger read independently."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from openteller.api.app import create_app
from openteller.core import FixedClock, make_engine, upgrade
from openteller.core.demo.seeder import SeedOptions, seed_bank
from openteller.insights import normalize_merchant
from openteller.settings import Settings
from tests.api.conftest import SETTINGS, get, token_for

NOW = datetime(2026, 11, 14, 17, 0, tzinfo=UTC)
TZ = ZoneInfo("America/New_York")


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Any, Any]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('insights') / 'api.db'}"
    settings = Settings(database_url=url, **SETTINGS)
    engine = make_engine(url)
    upgrade(engine)
    clock = FixedClock(NOW)
    seeded = seed_bank(
        engine, settings, SeedOptions(2, 4, 21, as_of=date(2026, 11, 14)), clock=clock
    )
    with TestClient(create_app(settings, clock)) as client:
        yield client, seeded.logins, engine
    engine.dispose()


def _spent(engine: Any, customer_id: int, start: date, end: date) -> Decimal:
    """Debits of the customer's accounts in the local-date window, less money moved
    between their own accounts or to their card: read with SQL, not with the service."""
    since = datetime(start.year, start.month, start.day, tzinfo=TZ).astimezone(UTC)
    until = datetime(end.year, end.month, end.day, tzinfo=TZ).astimezone(UTC)
    with engine.connect() as conn:
        minor = conn.execute(
            text(
                "SELECT COALESCE(SUM(-p.amount_minor), 0) FROM postings p "
                "JOIN accounts a ON a.id = p.account_id JOIN transfers t ON t.id = p.transfer_id "
                "WHERE a.customer_id = :c AND p.amount_minor < 0 "
                "AND t.occurred_at >= :since AND t.occurred_at < date(:until, '+1 day') "
                "AND COALESCE(t.category, '') NOT IN ('transfer', 'card_payment', 'income')"
            ),
            {
                "c": customer_id,
                "since": since.isoformat(sep=" "),
                "until": until.date().isoformat(),
            },
        ).scalar_one()
    return Decimal(minor) / 100


def test_last_months_summary(bank: tuple[TestClient, Any, Any]) -> None:
    client, logins, engine = bank
    login = logins[0]
    token = token_for(client, login.__dict__)

    answer = get(client, "/v1/insights/summary", token)

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["start"], body["end"], body["label"]) == (
        "2026-10-01",
        "2026-10-31",
        "October 2026",
    )
    assert (body["previous_start"], body["previous_end"]) == ("2026-09-01", "2026-09-30")
    assert Decimal(body["money_out"]) == _spent(
        engine, login.customer_id, date(2026, 10, 1), date(2026, 10, 31)
    )
    assert sum(Decimal(c["amount"]) for c in body["categories"]) == Decimal(body["money_out"])
    assert f"In October 2026 you spent ${Decimal(body['money_out']):,}" in body["text"]
    assert body["text_source"] == "template"


def test_summary_periods_and_bad_input(bank: tuple[TestClient, Any, Any]) -> None:
    client, logins, engine = bank
    token = token_for(client, logins[0].__dict__)
    week = get(client, "/v1/insights/summary?start=2026-11-01&end=2026-11-07", token).json()
    assert (week["previous_start"], week["previous_end"]) == ("2026-10-25", "2026-10-31")
    assert Decimal(week["money_out"]) == _spent(
        engine, logins[0].customer_id, date(2026, 11, 1), date(2026, 11, 7)
    )
    for query, message in [
        ("start=2026-11-07&end=2026-11-01", "the start date is after the end date"),
        ("start=2026-11-01", "give both start and end, or neither"),
        ("start=2025-01-01&end=2026-11-01", "a summary covers at most 366 days"),
        ("start=0001-01-01&end=0001-01-31", "dates must be between 1900-01-01 and 9998-12-31"),
        ("start=9999-12-01&end=9999-12-31", "dates must be between 1900-01-01 and 9998-12-31"),
    ]:
        bad = get(client, f"/v1/insights/summary?{query}", token)
        assert bad.status_code == 422, query
        assert bad.json()["error"]["message"] == message
    assert (
        get(client, "/v1/insights/summary?start=someday&end=2026-11-01", token).status_code == 422
    )
    no_scope = token_for(client, logins[0].__dict__, scope="accounts:read")
    assert get(client, "/v1/insights/summary", no_scope).status_code == 403


def test_recurring_charges_are_the_seeded_series(bank: tuple[TestClient, Any, Any]) -> None:
    client, logins, engine = bank
    login = logins[0]
    token = token_for(client, login.__dict__)

    body = get(client, "/v1/insights/recurring", token).json()

    with engine.connect() as conn:
        labelled = {
            normalize_merchant(m)
            for (m,) in conn.execute(
                text(
                    "SELECT DISTINCT t.merchant FROM seed_labels s "
                    "JOIN transfers t ON t.id = s.transfer_id "
                    "JOIN postings p ON p.transfer_id = t.id "
                    "JOIN accounts a ON a.id = p.account_id "
                    "WHERE s.label = 'recurring' AND a.customer_id = :c AND p.amount_minor < 0 "
                    "AND t.merchant IS NOT NULL"
                ),
                {"c": login.customer_id},
            )
        }
    found = {s["merchant"] for s in body["series"]}
    assert found
    assert found <= labelled
    assert Decimal(body["monthly_total"]) == sum(Decimal(s["monthly_cost"]) for s in body["series"])
    costs = [Decimal(s["monthly_cost"]) for s in body["series"]]
    assert costs == sorted(costs, reverse=True)
    for s in body["series"]:
        if s["period"] == "monthly":
            assert s["monthly_cost"] == s["amount"]
