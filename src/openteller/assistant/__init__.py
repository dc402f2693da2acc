"""The AI banking assistant: understanding, entities, dialogue flows, sessions.

`Assistant.reply(customer_id, message, session_id)` serves one turn; the NLU model comes
from `default_parser()` (trained from our intents on first use and cached).
"""

from __future__ import annotations

from openteller.assistant.engine import Assistant, IntentParser, Prediction, TurnResult
from openteller.assistant.sessions import SessionStore, Ticket, TranscriptEntry


def default_parser() -> IntentParser:
    """The intent model for our own intents (loaded, or trained and cached, on first use)."""
    from openteller.assistant.nlu import default_model

    model: IntentParser = default_model()
    return model


__all__ = [
    "Assistant",
    "IntentParser",
    "Prediction",
    "SessionStore",
    "Ticket",
    "TranscriptEntry",
    "TurnResult",
    "default_parser",
]
