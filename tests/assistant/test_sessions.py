"""Chat sessions in the database: owned, versioned, expiring; tickets carry the transcript."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine

from openteller.assistant import SessionStore
from openteller.core import ChatSessionStatus, Conflict, FixedClock, NotFound
from tests.conftest import NOW, Bank


@pytest.fixture
def store(engine: Engine) -> SessionStore:
    return SessionStore(engine, FixedClock(NOW), ttl=timedelta(minutes=30))


def test_a_new_session_then_turns_in_order(store: SessionStore, bank: Bank) -> None:
    alice = bank.customer("alice")
    record = store.open(alice, None)
    assert (record.new, record.turns, record.version, len(record.id)) == (True, 0, 0, 32)
    record.state["flow"] = {"name": "transfer_money"}
    store.save_turn(record, [("customer", "send money", {}), ("assistant", "How much?", {})])
    again = store.open(alice, record.id)
    assert (again.new, again.turns, again.version) == (False, 1, 1)
    assert again.state == {"flow": {"name": "transfer_money"}}
    lines = [(e.turn, e.role, e.text) for e in store.transcript(alice, record.id)]
    assert lines == [(1, "customer", "send money"), (1, "assistant", "How much?")]


def test_two_workers_racing_on_one_turn(store: SessionStore, bank: Bank) -> None:
    alice = bank.customer("alice")
    created = store.open(alice, None)
    first, second = store.open(alice, created.id), store.open(alice, created.id)
    store.save_turn(first, [("customer", "yes", {})])
    with pytest.raises(Conflict, match="another message of this chat"):
        store.save_turn(second, [("customer", "yes", {})], [{"reason": "x", "summary": "y"}])
    assert [e.text for e in store.transcript(alice, created.id)] == ["yes"]
    assert store.tickets(alice) == []  # the losing turn kept nothing


def test_another_customers_session_is_not_found(store: SessionStore, bank: Bank) -> None:
    alice, bob = bank.customer("alice"), bank.customer("bob")
    record = store.open(alice, None)
    with pytest.raises(NotFound, match="chat session not found"):
        store.open(bob, record.id)
    with pytest.raises(NotFound, match="chat session not found"):
        store.transcript(bob, record.id)
    for bad in ("0" * 32, "../../etc", "x" * 200, ""):
        with pytest.raises(NotFound):
            store.open(alice, bad)


def test_a_session_expires_after_its_ttl(engine: Engine, bank: Bank) -> None:
    clock = FixedClock(NOW)
    store = SessionStore(engine, clock, ttl=timedelta(minutes=30))
    alice = bank.customer("alice")
    record = store.open(alice, None)
    clock.advance(timedelta(minutes=29))
    store.save_turn(store.open(alice, record.id), [])  # a turn renews the lease
    clock.advance(timedelta(minutes=29, seconds=59))
    assert store.open(alice, record.id).turns == 1
    clock.advance(timedelta(seconds=1))
    with pytest.raises(Conflict, match="expired"):
        store.open(alice, record.id)
    assert store.expire() == 1
    with pytest.raises(Conflict, match="ended"):
        store.open(alice, record.id)


def test_a_ticket_carries_the_transcript(store: SessionStore, bank: Bank) -> None:
    alice = bank.customer("alice")
    record = store.open(alice, None)
    store.save_turn(record, [("customer", "my card was stolen", {})])
    ids = store.save_turn(
        record,
        [("customer", "yes", {})],
        [{"reason": "fraud", "priority": "high", "summary": "stolen card", "details": {"a": 1}}],
    )
    [ticket] = store.tickets(alice)
    assert ticket.id == ids[0]
    assert (ticket.reason, ticket.priority, ticket.status, ticket.summary) == (
        "fraud",
        "high",
        "open",
        "stolen card",
    )
    assert ticket.details == {
        "a": 1,
        "handoff": {
            "intent": "report_fraud",
            "facts": {"a": "1"},
            "tried": [],
            "sentiment": "neutral",
            "sentiment_score": 0,
            "customer_messages": 2,
            "text": "Hand-off for fraud: the customer wants to report fraud. Collected: a 1. "
            "Customer sentiment: neutral.",
            "source": "template",
            "prompt": None,
            "fallback_reason": None,
        },
    }
    assert ticket.session_id == record.id
    assert store.open(alice, record.id).status == ChatSessionStatus.ACTIVE


def test_every_ticket_gets_a_handoff_note(store: SessionStore, bank: Bank) -> None:
    alice = bank.customer("alice")
    record = store.open(alice, None)
    record.state["flow"] = {"name": "transfer_money", "slots": {"amount": "250.00"}}
    store.save_turn(
        record,
        [
            ("customer", "send 250 to mom", {}),
            ("assistant", "From which account?", {"intent": "transfer_money", "template": "ask"}),
        ],
    )
    ids = store.save_turn(
        record,
        [
            ("customer", "this is ridiculous, get me a human", {}),
            ("assistant", "I've passed this on.", {"intent": "human_handoff", "template": "x"}),
        ],
        [
            {"reason": "human_request", "summary": "asked for a person", "details": {"r": 1}},
            {"reason": "complaint", "summary": "complaint"},
        ],
    )
    first, second = store.tickets(alice)
    assert [first.id, second.id] == ids
    assert (first.summary, first.details["r"]) == ("asked for a person", 1)
    assert first.details["handoff"]["text"] == (
        "Hand-off for human request: the customer wants to send money. Collected: amount "
        "250.00. Tried: transfer money. Customer sentiment: negative."
    )
    assert second.details["handoff"]["intent"] == "transfer_money"
    assert (second.details["handoff"]["sentiment_score"], set(second.details)) == (-2, {"handoff"})
