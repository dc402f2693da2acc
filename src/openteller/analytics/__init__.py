"""Conversation analytics. At this stage: the event schema and where events go."""

from openteller.analytics.events import (
    SCHEMA_VERSION,
    ConversationEvent,
    DatabaseEventSink,
    EventSink,
    EventType,
    MemoryEventSink,
    redact,
)

__all__ = [
    "SCHEMA_VERSION",
    "ConversationEvent",
    "DatabaseEventSink",
    "EventSink",
    "EventType",
    "MemoryEventSink",
    "redact",
]
