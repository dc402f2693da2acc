"""Bad requests of every kind answer their 4xx in the one envelope.

Already pinned elsewhere: unknown routes (test_app.py), missing, malformed and expired
tokens (test_accounts.py), wrong scopes (test_accounts.py, test_cards.py), a customer at
a staff route (test_staff.py), unknown fields and sub-cent amounts in a quote
(test_loans_and_request_ids.py). This file covers the rest.
"""

from __future__ import annotations

from typing import Any

import jwt
import pytest

from tests.api.conftest import get, token_for


def _error(response: Any, status: int, code: str) -> dict[str, Any]:
    """The envelope's `error`, after checking status, code and the exact shape."""
    assert response.status_code == status, response.text
    body = response.json()
    assert list(body) == ["error"]
    assert sorted(body["error"]) == ["code", "details", "message"]
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str)
    assert isinstance(body["error"]["details"], dict)
    error: dict[str, Any] = body["error"]
    return error


def _fields(error: dict[str, Any]) -> list[Any]:
    return [e["loc"][-1] for e in error["details"]["errors"]]


def _setup(bank: Any) -> tuple[Any, dict[str, str], str, dict[str, Any]]:
    client, logins, _ = bank
    headers = {"Authorization": f"Bearer {token_for(client, logins[0])}"}
    accounts = client.get("/v1/accounts", headers=headers).json()["accounts"]
    checking = next(a["id"] for a in accounts if a["type"] == "checking")
    payee = client.get("/v1/payees", headers=headers).json()["payees"][0]["id"]
    payment = {"from_account_id": int(checking), "payee_id": int(payee), "amount": "1.00"}
    return client, headers, checking, payment


def test_a_wrong_method_is_405_and_names_the_allowed_ones(bank: Any) -> None:
    client, headers, checking, _ = _setup(bank)
    response = client.delete(f"/v1/accounts/{checking}", headers=headers)
    assert _error(response, 405, "method_not_allowed")["message"] == "Method Not Allowed"
    # RFC 9110: a 405 carries Allow (it was dropped by the envelope handler once).
    assert response.headers["Allow"] == "GET"
    assert client.get("/v1/payments", headers=headers).headers["Allow"] == "POST"


def test_bodies_that_are_not_json_or_not_utf8(bank: Any) -> None:
    client, headers, _, _ = _setup(bank)
    json_headers = {**headers, "Content-Type": "application/json", "Idempotency-Key": "k"}
    broken = client.post("/v1/payments", content=b'{"amount": "1.00",', headers=json_headers)
    assert _error(broken, 422, "validation_failed")["details"]["errors"][0]["msg"] == (
        "JSON decode error"
    )
    # Not UTF-8 at all: FastAPI cannot decode it. Was a 400 `http_error`, undocumented.
    binary = client.post("/v1/loans/quote", content=b"\xff\x08\x11", headers=json_headers)
    _error(binary, 400, "malformed_body")


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/payments", {"memo": "x"}),
        ("/v1/payees", {"name": "A", "bank_name": "B", "routing_number": "021000021"}),
        ("/v1/cards/{card}/block", {"reason": "lost", "note": "x"}),
    ],
)
def test_unknown_body_fields_are_422(bank: Any, path: str, body: dict[str, Any]) -> None:
    client, headers, _, payment = _setup(bank)
    card = get(client, "/v1/cards", headers["Authorization"][7:]).json()["cards"][0]["id"]
    if path == "/v1/payments":
        body = {**payment, **body}
    elif path == "/v1/payees":
        body = {**body, "account_number": "12345678", "iban": "x"}
    response = client.post(
        path.format(card=card), json=body, headers={**headers, "Idempotency-Key": "unknown"}
    )
    error = _error(response, 422, "validation_failed")
    assert set(_fields(error)) & {"memo", "iban", "note"}


def test_over_precise_and_non_positive_amounts_are_422(bank: Any) -> None:
    client, headers, checking, payment = _setup(bank)
    before = get(client, f"/v1/accounts/{checking}/balances", headers["Authorization"][7:])
    for n, amount in enumerate(["1.001", "0.00", "-5.00", "1e-3", "NaN"]):
        response = client.post(
            "/v1/payments",
            json={**payment, "amount": amount},
            headers={**headers, "Idempotency-Key": f"precise-{n}"},
        )
        assert _fields(_error(response, 422, "validation_failed")) == ["amount"], amount
    ranged = client.get(f"/v1/accounts/{checking}/transactions?min_amount=0.001", headers=headers)
    _error(ranged, 422, "invalid_amount")
    after = get(client, f"/v1/accounts/{checking}/balances", headers["Authorization"][7:])
    assert after.json()["ledger"] == before.json()["ledger"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2026-02-30", "from"),
        ("to=yesterday", "to"),
        ("from=11/01/2026", "from"),
        ("limit=201", "limit"),
        ("limit=0", "limit"),
        ("limit=1000000000000", "limit"),
        ("direction=sideways", "direction"),
        ("q=" + "x" * 101, "q"),
    ],
)
def test_bad_transaction_queries_are_422(bank: Any, query: str, field: str) -> None:
    client, headers, checking, _ = _setup(bank)
    response = client.get(f"/v1/accounts/{checking}/transactions?{query}", headers=headers)
    assert _fields(_error(response, 422, "validation_failed")) == [field]


def test_forged_tokens_are_401(bank: Any) -> None:
    client, logins, _ = bank
    real = jwt.decode(token_for(client, logins[0]), options={"verify_signature": False})
    forged = [
        jwt.encode(real, "another-secret-of-at-least-32-bytes!", algorithm="HS256"),
        jwt.encode({**real, "sub": "customer:2"}, "x" * 32, algorithm="HS256"),
        jwt.encode(real, "", algorithm="none"),  # "" is what PyJWT takes for no key
        token_for(client, logins[0]) + "x",
    ]
    for token in forged:
        response = get(client, "/v1/accounts", token)
        assert _error(response, 401, "unauthorized")["message"] == "invalid access token"
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="openteller"'
    basic = client.get("/v1/accounts", headers={"Authorization": "Basic dXNlcjpwdw=="})
    assert _error(basic, 401, "unauthorized")["message"] == "a bearer token is required"


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "field"),
    [
        ("GET", "/v1/accounts/{checking}/transactions?q=a%00b", {}, "q"),
        ("GET", "/v1/accounts/{checking}/transactions?category=%00", {}, "category"),
        (
            "POST",
            "/v1/payees",
            {
                "json": {
                    "name": "A\x00",
                    "bank_name": "B",
                    "routing_number": "021000021",
                    "account_number": "1234",
                }
            },
            "name",
        ),
        ("POST", "/v1/payments", {"json": {"description": "rent\x00"}}, "description"),
        (
            "POST",
            "/v1/loans/quote",
            {"json": {"amount": "5000.00", "term_months": 24, "product_code": "\x00"}},
            "product_code",
        ),
        (
            "POST",
            "/v1/auth/token",
            {"data": {"grant_type": "password", "username": "a\x00", "password": "p"}},
            "username",
        ),
    ],
)
def test_text_with_nul_characters_is_422(
    bank: Any, method: str, path: str, kwargs: dict[str, Any], field: str
) -> None:
    # PostgreSQL text cannot hold NUL: these were 500s there (and stored as given on SQLite).
    client, headers, checking, payment = _setup(bank)
    if path == "/v1/payments":
        kwargs = {"json": {**payment, **kwargs["json"]}}
    response = client.request(
        method,
        path.format(checking=checking),
        headers={**headers, "Idempotency-Key": "nul"},
        **kwargs,
    )
    assert _fields(_error(response, 422, "validation_failed")) == [field]
