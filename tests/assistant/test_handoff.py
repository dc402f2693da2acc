"""The hand-off note: intent, facts without PII, what was tried, sentiment, the paragraph."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from openteller.assistant.handoff import handoff_summary, sentiment_score
from openteller.core import FixedClock
from openteller.guardrails import Guardrails, load_policy
from openteller.guardrails._catalog import packaged_catalog
from openteller.llm import ExtractiveProvider, MemoryRecorder, Message
from openteller.llm.base import BaseProvider, Generated
from tests.conftest import NOW

STATE: dict[str, Any] = {
    "greeted": True,
    "failures": 0,
    "flow": {
        "name": "dispute_charge",
        "slots": {"transaction": 41, "why": "I never got the item"},
        "awaiting": "confirm",
        "attempts": 1,
        "confirm_turn": 3,
    },
}
# As the store keeps it: customer lines redacted, assistant payloads {intent, template}.
TRANSCRIPT: list[dict[str, Any]] = [
    {"role": "customer", "text": "what is the fee for a wire transfer", "payload": {}},
    {
        "role": "assistant",
        "text": "I can't find that in our documents. Would you like me to connect you...",
        "payload": {"intent": "faq_wire_fees", "template": "knowledge_none"},
    },
    {"role": "customer", "text": "no thanks", "payload": {}},
    {
        "role": "assistant",
        "text": "No problem. What else can I help with?",
        "payload": {"intent": "deny", "template": "human_declined"},
    },
    {"role": "customer", "text": "I want to dispute a charge from amazon", "payload": {}},
    {
        "role": "assistant",
        "text": "Which charge?",
        "payload": {"intent": "dispute_charge", "template": "ask_dispute_pick"},
    },
    {
        "role": "customer",
        "text": "the one on Oct 3 for $54.20, card 411111******1111",
        "payload": {},
    },
    {
        "role": "assistant",
        "text": "What went wrong with it?",
        "payload": {"intent": None, "template": "ask_dispute_reason"},
    },
    {"role": "customer", "text": "I never got the item", "payload": {}},
    {
        "role": "assistant",
        "text": "Shall I open a dispute for AMAZON $54.20 on Oct 3?",
        "payload": {"intent": None, "template": "confirm_dispute"},
    },
    {
        "role": "customer",
        "text": "this is useless, not helpful. Let me talk to a person",
        "payload": {},
    },
    {
        "role": "assistant",
        "text": "I've passed this to a colleague.",
        "payload": {"intent": "human_handoff", "template": "confirm_dispute"},
    },
]
TEXT = (
    "Hand-off for human request: the customer wants to dispute a charge. "
    "Collected: transaction 41; why I never got the item. "
    "Tried: faq wire fees: not found in the documents; declined a person; "
    "dispute charge; dispute charge: 1 failed attempt(s) at confirm. "
    "Customer sentiment: negative."
)


class ScriptedProvider(BaseProvider):
    """Test double of an external model server: answers a fixed text."""

    name = "scripted"

    def __init__(self, answer: str, **kwargs: Any) -> None:
        kwargs.setdefault("model", "scripted")
        super().__init__(**kwargs)
        self.answer = answer

    def _generate(self, messages: Sequence[Message], max_tokens: int) -> Generated:
        return Generated(self.answer, 100, len(self.answer.split()))


@pytest.fixture(scope="module")
def guard() -> Guardrails:
    return Guardrails(load_policy(), packaged_catalog(), FixedClock(NOW), use_presidio=False)


def test_a_handoff_in_the_middle_of_a_dispute() -> None:
    summary = handoff_summary(STATE, TRANSCRIPT, "human_request", {"rights": ["human"]})
    assert summary.intent == "dispute_charge"
    assert summary.facts == {"transaction": "41", "why": "I never got the item"}
    assert summary.tried == [
        "faq wire fees: not found in the documents",
        "declined a person",
        "dispute charge",
        "dispute charge: 1 failed attempt(s) at confirm",
    ]
    assert (summary.sentiment, summary.sentiment_score, summary.customer_messages) == (
        "negative",
        -2,
        6,
    )
    assert summary.text == TEXT
    assert summary.to_dict() == {
        "intent": "dispute_charge",
        "facts": {"transaction": "41", "why": "I never got the item"},
        "tried": summary.tried,
        "sentiment": "negative",
        "sentiment_score": -2,
        "customer_messages": 6,
        "text": summary.text,
        "source": "template",
        "prompt": None,
        "fallback_reason": None,
    }


def test_pii_slots_never_reach_the_note() -> None:
    flow = {
        "name": "add_payee",
        "slots": {
            "payee_name": "Jo Smith",
            "routing_number": "021000021",
            "account_number": "123456789012",
            "bank_name": "Chase 4111 1111 1111 1111",
            "nickname": None,
        },
    }
    summary = handoff_summary({}, [], "human_request", {}, flow=flow)
    assert summary.intent == "add_payee"
    assert summary.facts == {"payee_name": "Jo Smith", "bank_name": "Chase [card]"}
    assert summary.text == (
        "Hand-off for human request: the customer wants to add a payee. "
        "Collected: payee name Jo Smith; bank name Chase [card]. Customer sentiment: neutral."
    )


def test_a_picked_charge_is_shown_by_its_label_and_the_pick_list_is_left_out() -> None:
    flow = {
        "name": "dispute_charge",
        "slots": {
            "options": [266, 237],
            "labels": ["Nov 8, 2026 · Shell · $50.29", "Nov 1, 2026 · Shell · $31.18"],
            "transaction": 237,
            "why": "I didn't make it",
        },
    }
    summary = handoff_summary({}, [], "dispute", {}, flow=flow)
    assert summary.facts == {
        "transaction": "Nov 1, 2026 · Shell · $31.18",
        "why": "I didn't make it",
    }


def test_the_note_speaks_of_the_customer_not_to_them() -> None:
    transcript = [
        {"role": "customer", "text": "how much did I spend", "payload": {}},
        {
            "role": "assistant",
            "text": "You spent $80.05.",
            "payload": {"intent": "spending_summary", "template": "spending_summary"},
        },
    ]
    summary = handoff_summary({}, transcript, "human_request", {})
    assert summary.text.startswith(
        "Hand-off for human request: the customer wants to see their spending."
    )


def test_a_finished_flow_falls_back_on_the_ticket_details() -> None:
    # The flow is gone from the state once it ran; its ticket's details say what it had.
    transcript = [
        {"role": "customer", "text": "I want a personal loan", "payload": {}},
        {
            "role": "assistant",
            "text": "How much?",
            "payload": {"intent": "apply_loan", "template": "ask_loan_amount"},
        },
        {"role": "customer", "text": "yes please, thanks", "payload": {}},
        {
            "role": "assistant",
            "text": "Your application is submitted.",
            "payload": {"intent": "affirm", "template": "loan_application_submitted"},
        },
    ]
    details = {"amount": "5000.00", "term_months": 24, "purpose": "car", "product_code": "pl"}
    summary = handoff_summary({"flow": None}, transcript, "loan_application", details)
    assert (summary.intent, summary.tried, summary.sentiment) == (
        "apply_loan",
        ["apply loan"],
        "positive",
    )
    assert summary.facts == {
        "amount": "5000.00",
        "term_months": "24",
        "purpose": "car",
        "product_code": "pl",
    }


def test_without_a_flow_the_last_task_tried_is_the_intent() -> None:
    transcript = [
        {"role": "customer", "text": "how do I order checks", "payload": {}},
        {
            "role": "assistant",
            "text": "Sorry, I'm not sure what you mean.",
            "payload": {"intent": "faq_checks", "template": "clarify"},
        },
        {"role": "customer", "text": "blah", "payload": {}},
        {
            "role": "assistant",
            "text": "Sorry, I didn't get that.",
            "payload": {"intent": None, "template": "not_understood"},
        },
    ]
    state = {"failures": 1, "clarify": ["faq_checks", "check_balance"]}
    summary = handoff_summary(state, transcript, "human_request", {})
    assert summary.intent == "faq_checks"
    assert summary.tried == [
        "faq checks: asked to clarify",
        "not understood",
        "1 message(s) not understood in a row",
        "asked to choose: faq checks or check balance",
    ]
    nothing = handoff_summary({}, [], "fraud", {})
    assert (nothing.intent, nothing.text) == (
        "report_fraud",
        "Hand-off for fraud: the customer wants to report fraud. Customer sentiment: neutral.",
    )


def test_a_payload_naming_its_flow_wins_over_the_nlu_intent() -> None:
    transcript = [
        {
            "role": "assistant",
            "text": "What went wrong?",
            "payload": {"intent": "search_transactions", "template": "x", "flow": "dispute_charge"},
        }
    ]
    summary = handoff_summary({}, transcript, "complaint", {})
    assert (summary.intent, summary.tried) == ("dispute_charge", ["dispute charge"])


@pytest.mark.parametrize(
    ("lines", "score"),
    [
        (["thanks, that was helpful"], 2),
        (["no thanks"], 1),
        (["this is not helpful", "I'm frustrated"], -2),
        (["It isn't bad"], 1),
        (["worst bank ever, I hate this"], -4),
        (["what is my balance"], 0),
        (["That wasn\u2019t helpful"], -1),
    ],
)
def test_the_sentiment_lexicon(lines: list[str], score: int) -> None:
    assert sentiment_score(lines) == score


def test_the_model_note_is_used_only_when_grounded(guard: Guardrails) -> None:
    grounded = "The customer wants to dispute the AMAZON charge of $54.20: item never received."
    recorder = MemoryRecorder()
    model = ScriptedProvider(grounded, recorder=recorder, clock=FixedClock(NOW))
    note = handoff_summary(
        STATE, TRANSCRIPT, "human_request", {}, provider=model, guard=guard, session_id="s9"
    )
    assert (note.text, note.source, note.prompt) == (grounded, "llm", "summarize_conversation@v2")
    assert [(c.prompt_id, c.prompt_version) for c in recorder.calls] == [
        ("summarize_conversation", "2")
    ]
    invented = ScriptedProvider("The customer was charged $99.00 twice.")
    fallback = handoff_summary(
        STATE, TRANSCRIPT, "human_request", {}, provider=invented, guard=guard
    )
    assert (fallback.text, fallback.source) == (TEXT, "template")
    assert fallback.fallback_reason is not None
    assert fallback.fallback_reason.startswith("grounding.numbers: block")
    extractive = handoff_summary(
        STATE, TRANSCRIPT, "human_request", {}, provider=ExtractiveProvider(), guard=guard
    )
    assert (extractive.text, extractive.source, extractive.prompt) == (TEXT, "template", None)
