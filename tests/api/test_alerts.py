"""`GET /v1/alerts` and `POST /v1/alerts/{id}/dismiss` on a seeded bank."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, insert, select

from openteller.core.models import Alert, InsightRun
from openteller.insights.service import InsightsService
from tests.api.conftest import get, token_for


def _run(client: Any) -> None:
    state = client.app.state
    InsightsService(state.engine, state.clock, state.settings).run()


def _plant(client: Any, customer_id: int, key: str, created_minutes: int) -> None:
    """One alert row as the service writes it (kind, wording and figures)."""
    state = client.app.state
    with state.engine.begin() as conn:
        conn.execute(
            insert(Alert).values(
                customer_id=customer_id,
                kind="duplicate_charge",
                severity="medium",
                dedupe_key=key,
                title="Possible duplicate charge",
                message=f"{key} charged you $5.00 twice.",
                amount_minor=500,
                currency="USD",
                facts={"amount": "5.00"},
                status="new",
                created_at=state.clock.now() + timedelta(minutes=created_minutes),
            )
        )


def test_list_and_dismiss_alerts(bank: Any) -> None:
    client, logins, _ = bank
    token = token_for(client, logins[0])
    customer = logins[0]["customer_id"]
    _plant(client, customer, "first", 0)
    _plant(client, customer, "second", 5)

    listed = get(client, "/v1/alerts", token)
    assert listed.status_code == 200
    alerts = listed.json()["alerts"]
    assert [a["message"] for a in alerts] == [
        "second charged you $5.00 twice.",
        "first charged you $5.00 twice.",
    ]
    assert alerts[0] | {"id": "x", "created_at": "t"} == {
        "id": "x",
        "account_id": None,
        "transaction_id": None,
        "kind": "duplicate_charge",
        "severity": "medium",
        "title": "Possible duplicate charge",
        "message": "second charged you $5.00 twice.",
        "amount": "5.00",
        "currency": "USD",
        "status": "new",
        "created_at": "t",
        "expires_at": None,
    }
    first = alerts[1]["id"]
    dismissed = client.post(
        f"/v1/alerts/{first}/dismiss", headers={"Authorization": f"Bearer {token}"}
    )
    assert dismissed.status_code == 200
    assert dismissed.json()["status"] == "dismissed"
    active = get(client, "/v1/alerts?status=active", token).json()["alerts"]
    assert [a["message"] for a in active] == ["second charged you $5.00 twice."]
    gone = get(client, "/v1/alerts?status=dismissed", token).json()["alerts"]
    assert [a["id"] for a in gone] == [first]


def test_bad_status_and_missing_scope(bank: Any) -> None:
    client, logins, _ = bank
    token = token_for(client, logins[0])
    bad = get(client, "/v1/alerts?status=archived", token)
    assert bad.status_code == 422
    assert bad.json()["error"]["code"] == "validation_failed"
    chat_only = token_for(client, logins[0], scope="chat")
    refused = get(client, "/v1/alerts", chat_only)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "insufficient_scope"
    assert client.get("/v1/alerts").status_code == 401


def test_a_payment_runs_the_detectors_for_new_postings(bank: Any) -> None:
    client, logins, _ = bank
    token = token_for(client, logins[1])  # the customer with a savings account
    _run(client)
    accounts = get(client, "/v1/accounts", token).json()["accounts"]
    checking = next(a["id"] for a in accounts if a["type"] == "checking")
    savings = next(a["id"] for a in accounts if a["type"] == "savings")
    engine = client.app.state.engine
    with engine.connect() as conn:
        runs_before = conn.execute(select(func.count()).select_from(InsightRun)).scalar()

    paid = client.post(
        "/v1/payments",
        json={"from_account_id": int(checking), "to_account_id": int(savings), "amount": "1.00"},
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "alerts-1"},
    )

    assert paid.status_code == 201, paid.text
    with engine.connect() as conn:
        last = conn.execute(
            select(InsightRun.mode, InsightRun.customers, InsightRun.through_transfer_id)
            .order_by(InsightRun.id.desc())
            .limit(1)
        ).one()
        runs_after = conn.execute(select(func.count()).select_from(InsightRun)).scalar()
    assert runs_after == runs_before + 1
    assert (last.mode, last.customers, last.through_transfer_id) == (
        "incremental",
        1,
        int(paid.json()["id"]),
    )
