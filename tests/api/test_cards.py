"""The customer's cards over the API: list masked, block, unblock, replace."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import get, token_for


def _post(client: Any, path: str, token: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(path, json=body, headers={"Authorization": f"Bearer {token}"})


def test_cards_are_listed_masked_and_only_the_owners(bank: Any) -> None:
    client, logins, _ = bank
    token = token_for(client, logins[0])
    cards = get(client, "/v1/cards", token).json()["cards"]
    assert cards, "every seeded customer has a debit card"
    for card in cards:
        assert card["masked_number"] == card["masked_number"][:6] + "******" + card["last4"]
        assert len(card["masked_number"]) == 16
    other = get(client, "/v1/cards", token_for(client, logins[1])).json()["cards"]
    assert not {c["id"] for c in cards} & {c["id"] for c in other}
    theirs = other[0]["id"]
    response = _post(client, f"/v1/cards/{theirs}/block", token, {"reason": "lost"})
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "card not found"


def test_block_unblock_and_a_final_block(bank: Any) -> None:
    client, logins, _ = bank
    token = token_for(client, logins[0])
    card = next(
        c for c in get(client, "/v1/cards", token).json()["cards"] if c["status"] == "active"
    )
    path = f"/v1/cards/{card['id']}"
    blocked = _post(client, f"{path}/block", token, {"reason": "customer_request"}).json()
    assert (blocked["status"], blocked["status_reason"]) == ("blocked", "customer_request")
    assert _post(client, f"{path}/unblock", token).json()["status"] == "active"
    assert _post(client, f"{path}/block", token, {"reason": "stolen"}).status_code == 200
    refused = _post(client, f"{path}/unblock", token)
    assert refused.status_code == 409
    assert refused.json()["error"] == {
        "code": "invalid_state",
        "message": "a card blocked as stolen cannot be unblocked; replace it",
        "details": {"card_id": int(card["id"])},
    }
    bad = _post(client, f"{path}/block", token, {"reason": "bored"})
    assert bad.status_code == 422


def test_replace_issues_a_new_masked_card_on_the_same_account(bank: Any) -> None:
    client, logins, _ = bank
    token = token_for(client, logins[0])
    card = next(
        c for c in get(client, "/v1/cards", token).json()["cards"] if c["status"] == "active"
    )
    new = _post(client, f"/v1/cards/{card['id']}/replace", token, {"reason": "damaged"}).json()
    assert new["id"] != card["id"]
    assert new["account_id"] == card["account_id"]
    assert new["status"] == "active"
    listed = {c["id"]: c for c in get(client, "/v1/cards", token).json()["cards"]}
    assert listed[card["id"]]["status"] == "replaced"
    assert listed[card["id"]]["replaced_by_id"] == new["id"]


def test_card_changes_need_the_cards_write_scope(bank: Any) -> None:
    client, logins, _ = bank
    token = token_for(client, logins[0], scope="accounts:read")
    card = get(client, "/v1/cards", token).json()["cards"][0]
    response = _post(client, f"/v1/cards/{card['id']}/block", token, {"reason": "lost"})
    assert response.status_code == 403
    assert response.json()["error"]["details"] == {"required": "cards:write"}
