"""Payments over the API: exactly once per Idempotency-Key, replays, conflicts, errors."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.api.conftest import get, token_for


def _pay(client: Any, token: str, body: dict[str, Any], key: str | None) -> Any:
    headers = {"Authorization": f"Bearer {token}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    return client.post("/v1/payments", json=body, headers=headers)


def _setup(bank: Any) -> tuple[Any, Any, str, str, dict[str, Any]]:
    client, logins, _ = bank
    token = token_for(client, logins[0])
    checking = next(
        a["id"]
        for a in get(client, "/v1/accounts", token).json()["accounts"]
        if a["type"] == "checking"
    )
    payee = get(client, "/v1/payees", token).json()["payees"][0]["id"]
    body = {"from_account_id": int(checking), "payee_id": int(payee), "amount": "10.00"}
    return client, logins, token, checking, body


def _ledger(client: Any, token: str, account: str) -> Decimal:
    return Decimal(get(client, f"/v1/accounts/{account}/balances", token).json()["ledger"])


def test_a_payment_posts_once_and_replays(bank: Any) -> None:
    client, _, token, checking, body = _setup(bank)
    before = _ledger(client, token, checking)
    first = _pay(client, token, body, "rent-nov-1")
    assert first.status_code == 201, first.text
    assert "Idempotency-Replayed" not in first.headers
    payment = first.json()
    assert (payment["amount"], payment["status"], payment["idempotency_key"]) == (
        "10.00",
        "posted",
        "rent-nov-1",
    )
    again = _pay(client, token, body, "rent-nov-1")
    assert again.status_code == 200
    assert again.headers["Idempotency-Replayed"] == "true"
    assert again.json()["id"] == payment["id"]
    assert _ledger(client, token, checking) == before - Decimal("10.00")
    conflict = _pay(client, token, {**body, "amount": "10.01"}, "rent-nov-1")
    assert conflict.status_code == 409
    assert conflict.json()["error"]["code"] == "idempotency_conflict"
    fetched = get(client, f"/v1/payments/{payment['id']}", token).json()
    assert (fetched["id"], fetched["amount"]) == (payment["id"], "10.00")


def test_keys_belong_to_their_customer(bank: Any) -> None:
    client, logins, token, _, body = _setup(bank)
    assert _pay(client, token, body, "shared-key").status_code == 201
    other = token_for(client, logins[1])
    other_checking = next(
        a["id"]
        for a in get(client, "/v1/accounts", other).json()["accounts"]
        if a["type"] == "checking"
    )
    other_payee = get(client, "/v1/payees", other).json()["payees"][0]["id"]
    theirs = {
        "from_account_id": int(other_checking),
        "payee_id": int(other_payee),
        "amount": "3.00",
    }
    assert _pay(client, other, theirs, "shared-key").status_code == 201
    mine = _pay(client, token, body, "shared-key").json()["id"]
    assert get(client, f"/v1/payments/{mine}", other).status_code == 404


def test_bad_payments_get_clear_errors_and_move_nothing(bank: Any) -> None:
    client, logins, token, checking, body = _setup(bank)
    before = _ledger(client, token, checking)
    missing = _pay(client, token, body, None)
    assert missing.status_code == 400
    assert missing.json()["error"]["message"] == "the Idempotency-Key header is required"
    assert _pay(client, token, body, "k" * 41).status_code == 400
    broke = _pay(client, token, {**body, "amount": "9999999.00"}, "too-much")
    assert broke.status_code == 422
    assert broke.json()["error"]["code"] == "insufficient_funds"
    replay = _pay(client, token, {**body, "amount": "9999999.00"}, "too-much")
    assert replay.json()["error"]["details"]["replayed"] is True
    both = _pay(client, token, {**body, "to_account_id": int(checking)}, "both")
    assert both.status_code == 422
    other = token_for(client, logins[1])
    theirs = next(a["id"] for a in get(client, "/v1/accounts", other).json()["accounts"])
    stolen = _pay(client, token, {**body, "from_account_id": int(theirs)}, "steal")
    assert stolen.status_code == 404
    assert _ledger(client, token, checking) == before


def test_ids_in_the_body_beyond_the_id_range_are_422_not_500(bank: Any) -> None:
    client, _, token, checking, body = _setup(bank)
    before = _ledger(client, token, checking)
    too_big = 2**31
    for n, field in enumerate(["from_account_id", "payee_id"]):
        response = _pay(client, token, {**body, field: too_big}, f"big-{n}")
        assert response.status_code == 422, response.text
        assert response.json()["error"]["details"]["errors"][0]["loc"] == ["body", field]
    own = {"from_account_id": int(checking), "to_account_id": too_big, "amount": "1.00"}
    assert _pay(client, token, own, "big-own").status_code == 422
    assert _ledger(client, token, checking) == before
