"""Transaction search over the API: filters and keyset pagination against real data."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

from openteller.api import create_app
from tests.api.conftest import get, token_for

TZ = ZoneInfo("America/New_York")


def _all_rows(client: Any, account_id: str) -> list[dict[str, Any]]:
    """Every posting of the account, read straight from the database (independent of the API)."""
    engine = client.app.state.engine
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT t.id, p.id, t.occurred_at, p.amount_minor, t.merchant, t.description, "
            "t.category, t.amount_minor FROM postings p JOIN transfers t ON t.id = p.transfer_id "
            "WHERE p.account_id = ?",
            (int(account_id),),
        ).all()
    out = []
    for transfer_id, posting_id, occurred, signed, merchant, description, category, amount in rows:
        at = datetime.fromisoformat(str(occurred)).replace(tzinfo=UTC)
        out.append(
            {
                "id": str(transfer_id),
                "posting": posting_id,
                "at": at,
                "signed": Decimal(signed) / 100,
                "merchant": merchant or "",
                "description": description,
                "category": category,
                "abs": Decimal(amount) / 100,
            }
        )
    out.sort(key=lambda r: (r["at"], r["posting"]), reverse=True)
    return out


def _walk(client: Any, token: str, path: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        url = (
            path
            + ("&" if "?" in path else "?")
            + "limit=7"
            + (f"&cursor={cursor}" if cursor else "")
        )
        page = get(client, url, token).json()
        items.extend(page["transactions"])
        cursor = page["next_cursor"]
        if cursor is None:
            return items


def _checking(client: Any, token: str) -> str:
    accounts = get(client, "/v1/accounts", token).json()["accounts"]
    return str(next(a["id"] for a in accounts if a["type"] == "checking"))


def test_pages_walk_the_whole_history_newest_first(bank: Any) -> None:
    client, logins, _ = bank
    token = token_for(client, logins[0])
    account = _checking(client, token)
    walked = _walk(client, token, f"/v1/accounts/{account}/transactions")
    expected = _all_rows(client, account)
    assert len(expected) > 7  # more than one page
    assert [t["id"] for t in walked] == [r["id"] for r in expected]
    assert [Decimal(t["amount"]) for t in walked] == [r["signed"] for r in expected]


def test_filters_match_an_independent_reading_of_the_ledger(bank: Any) -> None:
    client, logins, _ = bank
    token = token_for(client, logins[0])
    account = _checking(client, token)
    rows = _all_rows(client, account)
    base = f"/v1/accounts/{account}/transactions"

    credits = _walk(client, token, base + "?direction=credit")
    assert [t["id"] for t in credits] == [r["id"] for r in rows if r["signed"] > 0]

    day = rows[len(rows) // 2]["at"].astimezone(TZ).date()
    on_day = _walk(client, token, f"{base}?from={day}&to={day}")
    assert [t["id"] for t in on_day] == [
        r["id"] for r in rows if r["at"].astimezone(TZ).date() == day
    ]
    assert on_day

    word = next(r["merchant"] for r in rows if len(r["merchant"]) > 4)[1:4].lower()
    found = _walk(client, token, f"{base}?q={word}")
    assert [t["id"] for t in found] == [
        r["id"] for r in rows if word in r["merchant"].lower() or word in r["description"].lower()
    ]
    assert found

    ranged = _walk(client, token, f"{base}?min_amount=20&max_amount=100")
    assert [t["id"] for t in ranged] == [
        r["id"] for r in rows if Decimal(20) <= r["abs"] <= Decimal(100)
    ]


def test_bad_queries_and_other_customers_accounts(bank: Any) -> None:
    client, logins, _ = bank
    token = token_for(client, logins[0])
    account = _checking(client, token)
    base = f"/v1/accounts/{account}/transactions"
    bad_cursor = get(client, base + "?cursor=bm90LWEtY3Vyc29y", token)
    assert bad_cursor.status_code == 422
    assert bad_cursor.json()["error"]["message"] == "invalid cursor"
    backwards = get(client, base + "?from=2026-11-10&to=2026-11-01", token)
    assert backwards.status_code == 422
    assert backwards.json()["error"]["message"] == "the start date is after the end date"
    theirs = _checking(client, token_for(client, logins[1]))
    assert get(client, f"/v1/accounts/{theirs}/transactions", token).status_code == 404
    narrow = token_for(client, logins[0], scope="accounts:read")
    assert get(client, base, narrow).status_code == 403


def test_dates_at_the_ends_of_the_calendar(bank: Any) -> None:
    client, logins, clock = bank
    token = token_for(client, logins[0])
    account = _checking(client, token)
    base = f"/v1/accounts/{account}/transactions?limit=200"
    everything = get(client, base, token).json()["transactions"]
    # The day after 9999-12-31 does not exist: this was a 500 (OverflowError).
    assert get(client, base + "&to=9999-12-31", token).json()["transactions"] == everything
    assert get(client, base + "&from=0001-01-01", token).json()["transactions"] == everything
    # East of UTC, local midnight of 0001-01-01 is before the first instant a datetime
    # can hold in UTC.
    settings = client.app.state.settings.model_copy(update={"timezone": "Asia/Tokyo"})
    with TestClient(create_app(settings, clock)) as tokyo:
        response = get(tokyo, base + "&from=0001-01-01", token)
    assert response.status_code == 200, response.text
    assert response.json()["transactions"] == everything


def _cursor(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def test_cursors_we_could_not_have_made_are_422(bank: Any) -> None:
    client, logins, _ = bank
    token = token_for(client, logins[0])
    base = f"/v1/accounts/{_checking(client, token)}/transactions?cursor="
    for raw in [
        "0001-01-01T00:00:00+01:00|5",  # before UTC's first instant: was a 500
        "9999-12-31T23:59:59-01:00|5",  # after its last: was a 500
        f"2026-11-01T00:00:00+00:00|{2**31}",  # beyond the id range: was a 500 on PostgreSQL
        f"2026-11-01T00:00:00+00:00|{2**63}",  # and this one on SQLite too
        "2026-11-01T00:00:00+00:00|0",
        "2026-11-01T00:00:00|5",
    ]:
        response = get(client, base + _cursor(raw), token)
        assert response.status_code == 422, (raw, response.text)
        assert response.json()["error"]["message"] == "invalid cursor"
    fine = get(client, base + _cursor("2026-11-01T00:00:00+00:00|5"), token)
    assert fine.status_code == 200
