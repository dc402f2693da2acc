"""`POST /v1/chat` and `GET /v1/chat/{id}`: the assistant over HTTP, scoped to the caller."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select

from openteller.assistant import IntentParser, default_parser
from openteller.core import ConversationEventRow
from tests.api.conftest import get, token_for


@pytest.fixture(scope="session")
def intent_parser() -> IntentParser:
    return default_parser()


@pytest.fixture
def chat(bank: Any, intent_parser: IntentParser) -> Any:
    client, logins, clock = bank
    client.app.state.intent_parser = intent_parser  # the model, loaded once per session
    return client, logins, clock


def _say(client: TestClient, token: str, message: str, session: str | None = None) -> Any:
    body: dict[str, Any] = {"message": message}
    if session is not None:
        body["session_id"] = session
    return client.post("/v1/chat", json=body, headers={"Authorization": f"Bearer {token}"})


def _available(client: TestClient, token: str, kind: str) -> tuple[str, Decimal]:
    account = next(
        a for a in get(client, "/v1/accounts", token).json()["accounts"] if a["type"] == kind
    )
    balance = get(client, f"/v1/accounts/{account['id']}/balances", token).json()
    return account["id"], Decimal(balance["available"])


def test_a_balance_in_a_new_session(chat: Any) -> None:
    client, logins, _ = chat
    token = token_for(client, logins[0])
    _, available = _available(client, token, "checking")
    answer = _say(client, token, "what is my checking balance")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert len(body["session_id"]) == 32
    assert body["turn"] == 1
    assert body["intent"] == "check_balance"
    assert body["reply"].startswith("Hi, I'm the bank's AI assistant (not a person).")
    assert f"${available:,.2f} available" in body["reply"]
    assert body["pending_confirmation"] is None
    assert body["handoff"] is None


def test_a_confirmed_transfer_moves_money_once(chat: Any) -> None:
    client, logins, _ = chat
    token = token_for(client, logins[0])
    _, before = _available(client, token, "checking")
    payee = get(client, "/v1/payees", token).json()["payees"][0]["name"]
    first = _say(client, token, f"send $12.50 from checking to {payee}").json()
    assert first["pending_confirmation"]["amount"] == "12.50"
    assert _available(client, token, "checking")[1] == before  # nothing moves before yes
    session = first["session_id"]
    done = _say(client, token, "yes", session).json()
    assert "Done: $12.50 sent" in done["reply"]
    again = _say(client, token, "yes", session).json()
    assert "Done" not in again["reply"]
    assert _available(client, token, "checking")[1] == before - Decimal("12.50")
    transcript = get(client, f"/v1/chat/{session}", token).json()
    assert [(m["turn"], m["role"]) for m in transcript["messages"]] == [
        (1, "customer"),
        (1, "assistant"),
        (2, "customer"),
        (2, "assistant"),
        (3, "customer"),
        (3, "assistant"),
    ]
    assert transcript["messages"][2]["text"] == "yes"


def test_sessions_belong_to_their_customer(chat: Any) -> None:
    client, logins, _ = chat
    alice, bob = token_for(client, logins[0]), token_for(client, logins[1])
    session = _say(client, alice, "hello").json()["session_id"]
    for response in (
        _say(client, bob, "what's my balance", session),
        get(client, f"/v1/chat/{session}", bob),
    ):
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    unknown = _say(client, bob, "hi", "0" * 32)
    assert unknown.status_code == 404


def test_bad_requests_are_refused(chat: Any) -> None:
    client, logins, _ = chat
    token = token_for(client, logins[0])
    narrow = token_for(client, logins[0], scope="accounts:read")
    assert _say(client, narrow, "hi").status_code == 403
    assert _say(client, token, "hi", "not-a-session").status_code == 422
    assert _say(client, token, "a\x00b").status_code == 422
    extra = client.post(
        "/v1/chat",
        json={"message": "hi", "admin": True},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert extra.status_code == 422
    assert client.post("/v1/chat", json={"message": "hi"}).status_code == 401


def test_every_turn_is_recorded_as_events(chat: Any) -> None:
    client, logins, _ = chat
    token = token_for(client, logins[0])
    session = _say(client, token, "what's my balance").json()["session_id"]
    _say(client, token, "thanks", session)
    engine = create_engine(client.app.state.settings.database_url)
    with engine.connect() as conn:
        kinds = conn.execute(
            select(ConversationEventRow.event_type, func.count())
            .where(ConversationEventRow.session_id == session)
            .group_by(ConversationEventRow.event_type)
        ).all()
    engine.dispose()
    counts = dict(kinds)
    assert counts["session_started"] == 1
    assert counts["user_message"] == 2
    assert counts["bot_message"] == 2
    assert counts["turn_latency"] == 2
    assert counts["flow_completed"] == 1
