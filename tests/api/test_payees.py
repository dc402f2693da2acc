"""Payees over the API: list, add, validation, duplicates, scopes."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import get, token_for

NEW = {
    "name": "Greenfield Dental",
    "bank_name": "Chase",
    "routing_number": "021000021",
    "account_number": "000123456789",
}


def _post(client: Any, token: str, body: dict[str, Any]) -> Any:
    return client.post("/v1/payees", json=body, headers={"Authorization": f"Bearer {token}"})


def test_add_then_list_keeps_only_the_last_four_digits(bank: Any) -> None:
    client, logins, _ = bank
    token = token_for(client, logins[0])
    before = get(client, "/v1/payees", token).json()["payees"]
    created = _post(client, token, NEW)
    assert created.status_code == 201
    body = created.json()
    assert (body["name"], body["routing_number"], body["account_masked"]) == (
        "Greenfield Dental",
        "021000021",
        "****6789",
    )
    after = get(client, "/v1/payees", token).json()["payees"]
    assert len(after) == len(before) + 1
    assert [p["name"] for p in after] == sorted(p["name"] for p in after)
    assert (
        "000123456789"
        not in client.get("/v1/payees", headers={"Authorization": f"Bearer {token}"}).text
    )
    other = get(client, "/v1/payees", token_for(client, logins[1])).json()["payees"]
    assert "Greenfield Dental" not in [p["name"] for p in other]


def test_bad_payees_are_refused(bank: Any) -> None:
    client, logins, _ = bank
    token = token_for(client, logins[0])
    checksum = _post(client, token, {**NEW, "routing_number": "021000022"})
    assert checksum.status_code == 422
    assert (
        checksum.json()["error"]["message"] == "routing number must be a valid 9-digit ABA number"
    )
    short = _post(client, token, {**NEW, "routing_number": "12345"})
    assert short.status_code == 422
    assert _post(client, token, NEW).status_code == 201
    again = _post(client, token, NEW)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "already_exists"
    read_only = token_for(client, logins[0], scope="accounts:read")
    assert _post(client, read_only, {**NEW, "name": "Other"}).status_code == 403
