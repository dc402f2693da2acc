"""The AI banking assistant: understanding, entities, dialogue flows, sessions, answers
from the bank's documents.

`Assistant.reply(customer_id, message, session_id)` serves one turn; the NLU model comes
from `default_parser()` (trained from our intents on first use and cached), support answers
from `answerer_from_settings()` (knowledge base + the configured language model).
"""

from __future__ import annotations

from openteller.assistant.engine import Assistant, IntentParser, Prediction, TurnResult
from openteller.assistant.sessions import SessionStore, Ticket, TranscriptEntry
from openteller.assistant.support import (
    DocumentAnswerer,
    KnowledgeAnswerer,
    SupportAnswer,
    answerer_from_settings,
    citation_labels,
)


def default_parser() -> IntentParser:
    """The intent model for our own intents (loaded, or trained and cached, on first use)."""
    from openteller.assistant.nlu import default_model

    model: IntentParser = default_model()
    return model


__all__ = [
    "Assistant",
    "DocumentAnswerer",
    "IntentParser",
    "KnowledgeAnswerer",
    "Prediction",
    "SessionStore",
    "SupportAnswer",
    "Ticket",
    "TranscriptEntry",
    "TurnResult",
    "answerer_from_settings",
    "citation_labels",
    "default_parser",
]
