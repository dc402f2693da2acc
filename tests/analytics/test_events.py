"""Conversation events: stored and read back exactly; text redacted before it is kept."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine

from openteller.analytics import (
    SCHEMA_VERSION,
    ConversationEvent,
    DatabaseEventSink,
    EventType,
    MemoryEventSink,
    redact,
)
from tests.conftest import NOW


def _events() -> list[ConversationEvent]:
    return [
        ConversationEvent(EventType.SESSION_STARTED, "s1", 0, NOW, 7, payload={"channel": "api"}),
        ConversationEvent(
            EventType.USER_MESSAGE,
            "s1",
            1,
            NOW + timedelta(seconds=1),
            7,
            intent="check_balance",
            payload={"text": "balance?", "confidence": 0.93, "entities": []},
        ),
        ConversationEvent(
            EventType.TURN_LATENCY,
            "s1",
            1,
            NOW + timedelta(seconds=1),
            7,
            payload={"stages": {"nlu": 6.5, "total": 12.0}},
        ),
    ]


def test_the_database_sink_stores_events_as_given(engine: Engine) -> None:
    sink = DatabaseEventSink(engine)
    written = _events()
    sink.emit(written)
    sink.emit([])  # nothing to write is not an error
    other = ConversationEvent(EventType.SESSION_STARTED, "s2", 0, NOW, 8)
    sink.emit([other])
    assert sink.read("s1") == written
    assert sink.read() == [*written, other]
    assert {e.schema_version for e in sink.read()} == {SCHEMA_VERSION}


def test_an_event_id_is_written_once(engine: Engine) -> None:
    sink = DatabaseEventSink(engine)
    event = _events()[0]
    sink.emit([event])
    with pytest.raises(Exception, match=r"(?i)unique|duplicate"):
        sink.emit([event])
    assert sink.read() == [event]


def test_the_memory_sink_keeps_order() -> None:
    sink = MemoryEventSink()
    sink.emit(_events()[:1])
    sink.emit(_events()[1:])
    assert [e.type for e in sink.events] == [
        EventType.SESSION_STARTED,
        EventType.USER_MESSAGE,
        EventType.TURN_LATENCY,
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my card 4111 1111 1111 1111 was stolen", "my card [card] was stolen"),
        ("card 4111111111111111", "card [card]"),
        ("email me at jo.kim@example.com", "email me at [email]"),
        ("call 555-201-3344 please", "call [phone] please"),
        ("ssn 123-45-6789", "ssn [ssn]"),
        ("account 000123456789 at my other bank", "account [number] at my other bank"),
        ("send $50.25 to mom on 11/3", "send $50.25 to mom on 11/3"),
        ("savings ending 4821", "savings ending 4821"),
        ("transfer 1,250 from checking", "transfer 1,250 from checking"),
    ],
)
def test_redaction(text: str, expected: str) -> None:
    assert redact(text) == expected
