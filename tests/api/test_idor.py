"""IDOR matrix: customer A using customer B's ids gets 404 with no data, on every route that
takes an id in its path or body, and B's resources are left as they were."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Integer, insert, select

from openteller.api.schemas import MAX_ID
from openteller.assistant import default_parser
from openteller.core.models import Account, Alert, Base
from tests.api.conftest import get, token_for

# Every customer route with an id in its path, and the request made on it.
PATH_ROUTES: dict[tuple[str, str], dict[str, Any]] = {
    ("GET", "/v1/accounts/{account_id}"): {},
    ("GET", "/v1/accounts/{account_id}/balances"): {},
    ("GET", "/v1/accounts/{account_id}/transactions"): {},
    ("POST", "/v1/cards/{card_id}/block"): {"reason": "lost"},
    ("POST", "/v1/cards/{card_id}/unblock"): {},
    ("POST", "/v1/cards/{card_id}/replace"): {"reason": "damaged"},
    ("GET", "/v1/payments/{payment_id}"): {},
    ("GET", "/v1/chat/{session_id}"): {},
    ("GET", "/v1/loan-applications/{application_id}"): {},
    ("POST", "/v1/alerts/{alert_id}/dismiss"): {},
}


def _id_routes(client: Any) -> set[tuple[str, str]]:
    """Every (method, path) in the published API that takes an id in its path."""
    paths = client.get("/openapi.json").json()["paths"]
    return {
        (method.upper(), path)
        for path, operations in paths.items()
        if "{" in path and not path.startswith("/v1/staff/")  # staff: see test_staff.py
        for method in operations
    }


def test_every_id_route_is_in_the_matrix(bank: Any) -> None:
    client, _, _ = bank
    # A new route that takes an id fails here until it is added to the matrix below.
    assert _id_routes(client) == set(PATH_ROUTES)


def _resources(client: Any, token: str) -> dict[str, str]:
    accounts = get(client, "/v1/accounts", token).json()["accounts"]
    checking = next(a["id"] for a in accounts if a["type"] == "checking")
    savings = next(a["id"] for a in accounts if a["type"] == "savings")
    card = get(client, "/v1/cards", token).json()["cards"][0]["id"]
    payee = get(client, "/v1/payees", token).json()["payees"][0]["id"]
    payment = client.post(
        "/v1/payments",
        json={"from_account_id": int(checking), "to_account_id": int(savings), "amount": "1.00"},
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "idor-setup"},
    )
    assert payment.status_code == 201, payment.text
    chat = client.post(
        "/v1/chat", json={"message": "hello"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert chat.status_code == 200, chat.text
    application = client.post(
        "/v1/loan-applications",
        json={
            "amount": "2000.00",
            "term_months": 12,
            "purpose": "repairs",
            "monthly_income": "6500.00",
            "employment": "employed",
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    assert application.status_code == 201, application.text
    return {
        "alert_id": _alert(client, int(checking)),
        "application_id": application.json()["id"],
        "session_id": chat.json()["session_id"],
        "account_id": checking,
        "savings": savings,
        "card_id": card,
        "payee": payee,
        "payment_id": payment.json()["id"],
    }


def _alert(client: Any, account_id: int) -> str:
    """An alert on B's account, written as the insights service writes one."""
    engine = client.app.state.engine
    with engine.begin() as conn:
        customer = conn.execute(
            select(Account.customer_id).where(Account.id == account_id)
        ).scalar_one()
        alert_id = conn.execute(
            insert(Alert)
            .values(
                customer_id=customer,
                account_id=account_id,
                kind="low_balance",
                severity="high",
                dedupe_key=f"low_balance:{account_id}:2026-11-20",
                title="Your balance may run low",
                message="Your checking may fall to -$20.00 on Nov 20, 2026.",
                amount_minor=-2000,
                currency="USD",
                facts={},
                status="new",
                created_at=client.app.state.clock.now(),
            )
            .returning(Alert.id)
        ).scalar_one()
    return str(alert_id)


def test_another_customers_ids_answer_404_with_no_data(bank: Any) -> None:
    client, logins, _ = bank
    client.app.state.intent_parser = default_parser()  # B opens a chat session
    token_a, token_b = token_for(client, logins[0]), token_for(client, logins[1])
    b = _resources(client, token_b)
    cards_before = get(client, "/v1/cards", token_b).json()
    for (method, template), body in PATH_ROUTES.items():
        path = template.format(**b)
        headers = {"Authorization": f"Bearer {token_a}"}
        response = client.request(method, path, json=body or None, headers=headers)
        assert response.status_code == 404, (method, path, response.text)
        error = response.json()
        assert list(error) == ["error"]
        assert error["error"]["code"] == "not_found"
        # The same answer as an id that does not exist at all.
        unknown = client.request(
            method,
            template.format(**{**dict.fromkeys(b, "987654"), "session_id": "0" * 32}),
            json=body or None,
            headers=headers,
        )
        assert unknown.status_code == 404
        assert unknown.json()["error"]["code"] == error["error"]["code"]
        assert unknown.json()["error"]["message"] == error["error"]["message"]
    assert get(client, "/v1/cards", token_b).json() == cards_before
    # B's alert was not dismissed by A's attempt.
    alerts = get(client, "/v1/alerts", token_b).json()["alerts"]
    assert [a["status"] for a in alerts if a["id"] == b["alert_id"]] == ["new"]


def test_payments_with_another_customers_ids_in_the_body(bank: Any) -> None:
    client, logins, _ = bank
    token_a, token_b = token_for(client, logins[0]), token_for(client, logins[1])
    b = _resources(client, token_b)
    own = next(
        a["id"]
        for a in get(client, "/v1/accounts", token_a).json()["accounts"]
        if a["type"] == "checking"
    )

    def ledger(token: str, account: str) -> Decimal:
        return Decimal(get(client, f"/v1/accounts/{account}/balances", token).json()["ledger"])

    before = (ledger(token_a, own), ledger(token_b, b["account_id"]), ledger(token_b, b["savings"]))
    bodies = [
        {"from_account_id": int(b["account_id"]), "to_account_id": int(own)},  # B's money
        {"from_account_id": int(own), "to_account_id": int(b["savings"])},  # B's account
        {"from_account_id": int(own), "payee_id": int(b["payee"])},  # B's payee
    ]
    for n, body in enumerate(bodies):
        response = client.post(
            "/v1/payments",
            json={**body, "amount": "5.00"},
            headers={"Authorization": f"Bearer {token_a}", "Idempotency-Key": f"idor-{n}"},
        )
        assert response.status_code == 404, (body, response.text)
        assert response.json()["error"]["code"] == "not_found"
    after = (ledger(token_a, own), ledger(token_b, b["account_id"]), ledger(token_b, b["savings"]))
    assert after == before


def test_ids_outside_the_id_range_are_422_not_500(bank: Any) -> None:
    client, logins, _ = bank
    headers = {"Authorization": f"Bearer {token_for(client, logins[0])}"}
    names = ("account_id", "card_id", "payment_id", "session_id", "application_id", "alert_id")
    for (method, template), body in PATH_ROUTES.items():
        # Ids are INTEGER columns: beyond 32 bits PostgreSQL refused them ("integer out of
        # range"), beyond 64 bits SQLite did (OverflowError), both as a 500.
        for value in (2**31, 2**63, 2**70, 0, -1):
            path = template.format(**dict.fromkeys(names, value))
            response = client.request(method, path, json=body or None, headers=headers)
            assert response.status_code == 422, (path, response.text)
            error = response.json()["error"]
            assert error["code"] == "validation_failed"
            assert error["details"]["errors"][0]["loc"][0] == "path"
        # The largest id (a session id is 32 hex digits instead) is merely unknown.
        largest = template.format(**{**dict.fromkeys(names, MAX_ID), "session_id": "f" * 32})
        response = client.request(method, largest, json=body or None, headers=headers)
        assert response.status_code == 404, (largest, response.text)


def test_the_id_range_is_the_columns_range() -> None:
    # MAX_ID is PostgreSQL's INTEGER maximum; BIGINT ids would allow (and need) 2**63 - 1.
    tables = Base.metadata.tables
    for name in (
        "accounts",
        "cards",
        "customers",
        "payees",
        "postings",
        "transfers",
        "loan_applications",
        "alerts",
    ):
        column_type = tables[name].c.id.type
        assert isinstance(column_type, Integer), name
        assert not isinstance(column_type, BigInteger), name
    assert MAX_ID == 2**31 - 1
