"""Customer login (OAuth2 password grant) and the accounts and balances resources."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from openteller.core import Ledger
from tests.api.conftest import get, token_for


def test_customer_sees_own_accounts_and_balances(bank: Any) -> None:
    client, logins, clock = bank
    token = token_for(client, logins[0])
    accounts = get(client, "/v1/accounts", token).json()["accounts"]
    engine = client.app.state.engine
    with engine.connect() as conn:
        own = [
            row[0]
            for row in conn.exec_driver_sql(
                "SELECT id FROM accounts WHERE customer_id = ? ORDER BY id",
                (logins[0]["customer_id"],),
            )
        ]
    assert [a["id"] for a in accounts] == [str(i) for i in own]
    first = accounts[0]
    assert first["type"] == "checking"
    assert first["number_masked"].startswith("****")
    assert len(first["number_masked"]) == 8
    balances = get(client, f"/v1/accounts/{first['id']}/balances", token).json()
    expected = Ledger(engine, clock).balance(int(first["id"]))
    assert balances["ledger"] == str(expected.ledger)
    assert balances["available"] == str(expected.available)
    assert Decimal(balances["ledger"]) - Decimal(balances["held"]) == Decimal(balances["available"])


def test_another_customers_account_is_404_like_a_missing_one(bank: Any) -> None:
    client, logins, _ = bank
    token = token_for(client, logins[0])
    theirs = get(client, "/v1/accounts", token_for(client, logins[1])).json()["accounts"][0]["id"]
    for path in (f"/v1/accounts/{theirs}", f"/v1/accounts/{theirs}/balances"):
        response = get(client, path, token)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    missing = get(client, "/v1/accounts/999999", token)
    assert missing.status_code == 404
    assert missing.json()["error"]["message"] == "account not found"


def test_wrong_password_and_unknown_user_are_the_same_401(bank: Any) -> None:
    client, logins, _ = bank
    answers = [
        client.post(
            "/v1/auth/token",
            data={"grant_type": "password", "username": username, "password": "nope"},
        )
        for username in (logins[0]["username"], "nobody.here")
    ]
    for response in answers:
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="openteller"'
        assert response.json() == {
            "error": {
                "code": "unauthorized",
                "message": "incorrect username or password",
                "details": {},
            }
        }


def test_requests_without_a_valid_token_are_401(bank: Any) -> None:
    client, logins, clock = bank
    assert client.get("/v1/accounts").status_code == 401
    assert get(client, "/v1/accounts", "not-a-jwt").json()["error"]["message"] == (
        "invalid access token"
    )
    token = token_for(client, logins[0])
    clock.advance(timedelta(seconds=901))
    expired = get(client, "/v1/accounts", token)
    assert expired.status_code == 401
    assert expired.json()["error"]["message"] == "access token has expired"


def test_a_token_only_opens_what_its_scopes_allow(bank: Any) -> None:
    client, logins, _ = bank
    token = token_for(client, logins[0], scope="balances:read")
    response = get(client, "/v1/accounts", token)
    assert response.status_code == 403
    assert response.json()["error"] == {
        "code": "insufficient_scope",
        "message": "this token lacks the 'accounts:read' scope",
        "details": {"required": "accounts:read"},
    }
    bad = client.post(
        "/v1/auth/token",
        data={
            "grant_type": "password",
            "username": logins[0]["username"],
            "password": logins[0]["password"],
            "scope": "accounts:read admin",
        },
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["details"] == {"scopes": ["admin"]}
