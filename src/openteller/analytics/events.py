"""Conversation events: the versioned record of every assistant turn, for analytics.

Schema version 1. Every event has an id, a type, the session, the turn, a UTC time, and a
payload whose keys depend on the type:

| type              | payload                                                           |
|-------------------|-------------------------------------------------------------------|
| session_started   | channel                                                           |
| user_message      | text (redacted), intent, confidence, entities (names only)        |
| bot_message       | template, prompt (id@version, or null), text (redacted), flow     |
| tool_call         | tool, outcome ("ok" or an error code), ms                         |
| flow_started      | flow                                                              |
| flow_completed    | flow                                                              |
| flow_abandoned    | flow, why ("cancelled", "failed_attempts", "superseded", "expired")|
| handoff           | reason, ticket_id                                                 |
| turn_latency      | stages: {nlu, dialogue, tools, respond, total} in ms              |

Text is redacted before it is recorded (`redact`): card and account numbers, emails and
phone numbers never reach the analytics store.
"""

from __future__ import annotations

import enum
import re
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, cast

from sqlalchemy import Engine, Table, insert, select

from openteller.core import ConversationEventRow

SCHEMA_VERSION = 1

events_t = cast(Table, ConversationEventRow.__table__)


class EventType(enum.StrEnum):
    SESSION_STARTED = "session_started"
    USER_MESSAGE = "user_message"
    BOT_MESSAGE = "bot_message"
    TOOL_CALL = "tool_call"
    FLOW_STARTED = "flow_started"
    FLOW_COMPLETED = "flow_completed"
    FLOW_ABANDONED = "flow_abandoned"
    HANDOFF = "handoff"
    TURN_LATENCY = "turn_latency"


@dataclass(frozen=True)
class ConversationEvent:
    type: EventType
    session_id: str
    turn: int
    occurred_at: datetime
    customer_id: int | None = None
    intent: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    event_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    schema_version: int = SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "schema_version": self.schema_version,
            "type": self.type.value,
            "session_id": self.session_id,
            "customer_id": self.customer_id,
            "turn": self.turn,
            "occurred_at": self.occurred_at.isoformat(),
            "intent": self.intent,
            "payload": self.payload,
        }


class EventSink(Protocol):
    """Where conversation events go."""

    def emit(self, events: Sequence[ConversationEvent]) -> None: ...


class DatabaseEventSink:
    """The default sink: the `conversation_events` table, one INSERT per turn."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def emit(self, events: Sequence[ConversationEvent]) -> None:
        if not events:
            return
        rows = [
            {
                "event_id": e.event_id,
                "schema_version": e.schema_version,
                "event_type": e.type.value,
                "session_id": e.session_id,
                "customer_id": e.customer_id,
                "turn": e.turn,
                "occurred_at": e.occurred_at,
                "intent": e.intent,
                "payload": e.payload,
            }
            for e in events
        ]
        with self.engine.begin() as conn:
            conn.execute(insert(events_t), rows)

    def read(self, session_id: str | None = None) -> list[ConversationEvent]:
        """Stored events in the order they were written (one session's, or all)."""
        stmt = select(events_t).order_by(events_t.c.id)
        if session_id is not None:
            stmt = stmt.where(events_t.c.session_id == session_id)
        with self.engine.connect() as conn:
            return [
                ConversationEvent(
                    type=EventType(r.event_type),
                    session_id=r.session_id,
                    turn=r.turn,
                    occurred_at=r.occurred_at,
                    customer_id=r.customer_id,
                    intent=r.intent,
                    payload=dict(r.payload),
                    event_id=r.event_id,
                    schema_version=r.schema_version,
                )
                for r in conn.execute(stmt)
            ]


class MemoryEventSink:
    """Keeps events in a list: for embedding the assistant without a database table."""

    def __init__(self) -> None:
        self.events: list[ConversationEvent] = []
        self._lock = threading.Lock()

    def emit(self, events: Sequence[ConversationEvent]) -> None:
        with self._lock:
            self.events.extend(events)


# Longest patterns first: a card number is also a run of digits.
_REDACTIONS = (
    (re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b"), "[email]"),
    (re.compile(r"\b(?:\d[ -]?){12,18}\d\b"), "[card]"),
    (re.compile(r"\+?\(?\d{3}\)?[ .-]\d{3}[ .-]\d{4}\b"), "[phone]"),
    (re.compile(r"\b\d{3}-\d{2}-\d{4}\b"), "[ssn]"),
    (re.compile(r"\b\d{6,}\b"), "[number]"),
)


def redact(text: str) -> str:
    """`text` without card and account numbers, SSNs, emails and phone numbers. Amounts,
    dates and the last 4 digits customers use to name an account stay readable."""
    for pattern, mark in _REDACTIONS:
        text = pattern.sub(mark, text)
    return text
