"""The hand-off note: what a person taking over a chat reads first.

`handoff_summary` reads what the assistant already recorded, never the model's memory:
the session state (the flow and its slots, failures, a pending clarification), the
transcript (customer lines are redacted when the rails run; each assistant line's payload
holds the NLU intent and the reply template) and the ticket's reason and details. It
returns the customer's intent, the facts collected (card numbers and other PII left out),
what was tried, the customer's sentiment and one short paragraph. `SessionStore` stores
`summary.to_dict()` in every ticket's `details["handoff"]`.

Sentiment is a small lexicon score over the customer's lines (see `NEGATIVE_WORDS`,
`POSITIVE_WORDS`): each word scores its weight, a negator ("not", "never", "don't"...)
up to two words before flips the sign; below zero is negative, above zero positive.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from openteller.analytics import redact
from openteller.assistant.context import DIALOGUE_ACTS

if TYPE_CHECKING:
    from openteller.guardrails import Guardrails
    from openteller.llm import LLMProvider

Sentiment = Literal["negative", "neutral", "positive"]

HANDOFF_PROMPT = "summarize_conversation"
HANDOFF_PROMPT_VERSION = "2"

#: Words of an unhappy customer and their weight.
NEGATIVE_WORDS: dict[str, int] = {
    "hate": 2,
    "furious": 2,
    "unacceptable": 2,
    "ridiculous": 2,
    "worst": 2,
    "useless": 2,
    "terrible": 2,
    "awful": 2,
    "horrible": 2,
    "outrageous": 2,
    "angry": 1,
    "annoyed": 1,
    "annoying": 1,
    "frustrated": 1,
    "frustrating": 1,
    "upset": 1,
    "disappointed": 1,
    "unhappy": 1,
    "bad": 1,
    "stupid": 1,
    "confusing": 1,
    "confused": 1,
    "waste": 1,
    "wasting": 1,
    "nonsense": 1,
}
#: Words of a satisfied customer.
POSITIVE_WORDS: dict[str, int] = {
    "thanks": 1,
    "thank": 1,
    "great": 1,
    "perfect": 1,
    "helpful": 1,
    "appreciate": 1,
    "excellent": 1,
    "awesome": 1,
    "good": 1,
    "happy": 1,
    "nice": 1,
    "love": 1,
    "wonderful": 1,
}
# "no" is not one: "no thanks" is polite, not unhappy.
NEGATORS = frozenset(
    {"not", "never", "don't", "didn't", "doesn't", "isn't", "wasn't", "can't", "cannot"}
)
# A flow's pick list (the dispute flow's candidate charges and their labels): not facts.
PICK_LIST = frozenset({"options", "labels"})
# Slot names whose values never go into a note (the transcript is redacted already).
PII_SLOTS = frozenset(
    {
        "account_number",
        "routing_number",
        "card_number",
        "pan",
        "cvv",
        "pin",
        "ssn",
        "tax_id",
        "date_of_birth",
        "dob",
        "email",
        "phone",
        "password",
    }
)
# Reply templates that mean a try did not work out, and how the note says it.
OUTCOMES: dict[str, str] = {
    "not_understood": "not understood",
    "out_of_scope": "out of scope",
    "clarify": "asked to clarify",
    "knowledge_none": "not found in the documents",
    "knowledge_unavailable": "no documents to answer from",
    "task_unavailable": "not available in the chat",
    "flow_not_possible": "not possible",
    "flow_cancelled": "cancelled",
    "core_refused": "refused by the core",
    "internal_error": "internal error",
    "guardrail_blocked": "answer withheld by the guardrails",
    "guardrail_error": "guardrails failed",
    "input_blocked": "message blocked",
    "unreadable_message": "message unreadable",
    "offer_human": "stopped after failed attempts",
    "human_declined": "declined a person",
}
# Ticket reasons that say by themselves what the customer wanted.
_REASON_INTENTS = {"dispute": "dispute_charge", "loan_application": "apply_loan"}
# What a reason means when nothing else says what the customer wanted.
_FALLBACK_INTENTS = {"human_request": "human_handoff", "fraud": "report_fraud"}
_WANTS = {"report_fraud": "to report fraud", "complaint": "to make a complaint"}
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")


@dataclass(frozen=True)
class HandoffSummary:
    """The note for the person who takes over."""

    intent: str
    facts: dict[str, str]
    tried: list[str]
    sentiment: Sentiment
    sentiment_score: int
    customer_messages: int
    text: str
    source: Literal["template", "llm"] = "template"
    prompt: str | None = None
    fallback_reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "intent": self.intent,
            "facts": dict(self.facts),
            "tried": list(self.tried),
            "sentiment": self.sentiment,
            "sentiment_score": self.sentiment_score,
            "customer_messages": self.customer_messages,
            "text": self.text,
            "source": self.source,
            "prompt": self.prompt,
            "fallback_reason": self.fallback_reason,
        }


def handoff_summary(
    record_state: Mapping[str, Any],
    transcript: Sequence[Mapping[str, Any]],
    reason: str,
    details: Mapping[str, Any],
    *,
    flow: Mapping[str, Any] | None = None,
    provider: LLMProvider | None = None,
    guard: Guardrails | None = None,
    bank_name: str = "the bank",
    session_id: str | None = None,
) -> HandoffSummary:
    """The note for a ticket opened with `reason` and `details`.

    `transcript`: `{"role", "text", "payload"}` lines, oldest first. `flow`: the flow
    that opened the ticket (`FlowState.to_json()`), when the caller still has it; else
    the one active in `record_state`. Facts are that flow's slots, or the ticket's details
    when no flow is known. The text is a template, or the prompt `summarize_conversation`
    v2 when a provider (other than extractive) and guardrails are given and the model's
    note passes the output review."""
    flow = flow if flow is not None else (record_state.get("flow") or None)
    facts = _facts(flow.get("slots") or {} if flow else details)
    tried = _tried(record_state, transcript)
    customer = [
        str(line.get("text") or "") for line in transcript if line.get("role") == "customer"
    ]
    score = sentiment_score(customer)
    sentiment: Sentiment = "negative" if score < 0 else "positive" if score > 0 else "neutral"
    intent = _intent(flow, transcript, reason)
    text = handoff_template(reason, intent, facts, tried, sentiment)
    summary = HandoffSummary(intent, facts, tried, sentiment, score, len(customer), text)
    if provider is None or provider.name == "extractive":
        return summary
    from openteller.guardrails.checked import checked_completion

    lines = [
        {"role": str(line.get("role") or ""), "text": str(line.get("text") or "")}
        for line in transcript
    ]
    values = {
        "bank_name": bank_name,
        "reason": _label(reason),
        "intent": _wants(intent),
        "facts": [{"name": _label(k), "value": v} for k, v in facts.items()],
        "tried": tried,
        "sentiment": sentiment,
        "transcript": lines,
    }
    checked = checked_completion(
        provider,
        guard,
        HANDOFF_PROMPT,
        HANDOFF_PROMPT_VERSION,
        values,
        facts=list(facts.values()),
        grounds=(dict(details),),
        quotes=[line["text"] for line in lines],
        session_id=session_id,
    )
    prompt = str(checked.prompt) if checked.prompt is not None else None
    if checked.text is None:
        return replace(summary, prompt=prompt, fallback_reason=checked.reason)
    return replace(summary, text=checked.text, source="llm", prompt=prompt)


def handoff_template(
    reason: str, intent: str, facts: Mapping[str, str], tried: Sequence[str], sentiment: str
) -> str:
    """One short paragraph for the agent, made of the recorded parts only."""
    parts = [f"Hand-off for {_label(reason)}: the customer wants {_wants(intent)}."]
    if facts:
        parts.append("Collected: " + "; ".join(f"{_label(k)} {v}" for k, v in facts.items()) + ".")
    if tried:
        parts.append("Tried: " + "; ".join(tried) + ".")
    parts.append(f"Customer sentiment: {sentiment}.")
    return " ".join(parts)


def sentiment_score(lines: Sequence[str]) -> int:
    """The lexicon score of the customer's lines (module docstring)."""
    score = 0
    for line in lines:
        words = _WORD.findall(line.lower().replace("\u2019", "'"))
        for i, word in enumerate(words):
            weight = NEGATIVE_WORDS.get(word, 0) * -1 or POSITIVE_WORDS.get(word, 0)
            if weight and any(w in NEGATORS for w in words[max(0, i - 2) : i]):
                weight = -weight
            score += weight
    return score


def _facts(slots: Mapping[str, Any]) -> dict[str, str]:
    """Slots as display strings; PII slots, empty values, nested notes and a flow's pick
    list left out. A value picked from the list is shown by its label ("Nov 1, 2026 ·
    Shell · $31.18"), not by its id."""
    facts: dict[str, str] = {}
    options, labels = slots.get("options"), slots.get("labels")
    picked = (
        dict(zip(options, labels, strict=True))
        if isinstance(options, list) and isinstance(labels, list) and len(options) == len(labels)
        else {}
    )
    for name, value in slots.items():
        if name in PII_SLOTS or name in PICK_LIST or name == "handoff":
            continue
        if value is None or value == "":
            continue
        if isinstance(value, int | str) and value in picked:
            value = picked[value]
        if isinstance(value, bool):
            facts[name] = "yes" if value else "no"
        elif isinstance(value, int | Decimal | float | str):
            facts[name] = redact(str(value))
        elif isinstance(value, list | tuple) and all(isinstance(v, str | int) for v in value):
            facts[name] = redact(", ".join(str(v) for v in value))
    return facts


def _tried(state: Mapping[str, Any], transcript: Sequence[Mapping[str, Any]]) -> list[str]:
    """Intents tried and how the tries that failed ended, oldest first, each once; then
    what the session state still holds (failed attempts, a pending clarification)."""
    tried: list[str] = []
    for line in transcript:
        if line.get("role") != "assistant":
            continue
        payload = line.get("payload") or {}
        intent = _task(payload)
        template = payload.get("template")
        task = intent is not None and intent not in DIALOGUE_ACTS and intent != "human_handoff"
        if template in OUTCOMES:
            outcome = OUTCOMES[str(template)]
            tried.append(f"{_label(intent)}: {outcome}" if task else outcome)
        elif task:
            tried.append(_label(intent))
    flow = state.get("flow") or {}
    if flow and int(flow.get("attempts") or 0) > 0:
        tried.append(
            f"{_label(flow.get('name'))}: {flow['attempts']} failed attempt(s) at "
            f"{_label(flow.get('awaiting') or 'a step')}"
        )
    failures = int(state.get("failures") or 0)
    if failures > 0:
        tried.append(f"{failures} message(s) not understood in a row")
    clarify = state.get("clarify")
    if clarify:
        tried.append("asked to choose: " + " or ".join(_label(c) for c in clarify))
    return list(dict.fromkeys(tried))


def _intent(
    flow: Mapping[str, Any] | None, transcript: Sequence[Mapping[str, Any]], reason: str
) -> str:
    name = str(flow.get("name") or "") if flow else ""
    if name and name != "human_handoff":
        return name
    if reason in _REASON_INTENTS:
        return _REASON_INTENTS[reason]
    tasks = [
        str(task)
        for line in transcript
        if line.get("role") == "assistant"
        and (task := _task(line.get("payload") or {})) is not None
        and task != "human_handoff"
        and task not in DIALOGUE_ACTS
    ]
    if tasks:
        return tasks[-1]
    return _FALLBACK_INTENTS.get(reason, reason)


def _wants(intent: str) -> str:
    """ "to dispute a charge", "an answer about wire fees"."""
    from openteller.assistant.engine import INTENT_NAMES  # here: the engine imports us

    if intent in INTENT_NAMES:
        # The names ask the customer ("see your spending"); the note speaks of them.
        return "to " + re.sub(r"\byour\b", "their", INTENT_NAMES[intent])
    if intent.startswith("faq_"):
        return "an answer about " + _label(intent.removeprefix("faq_"))
    return _WANTS.get(intent, _label(intent))


def _task(payload: Mapping[str, Any]) -> str | None:
    """The flow that handled a reply when the payload names it, else the NLU intent."""
    task = payload.get("flow") or payload.get("intent")
    return str(task) if task else None


def _label(name: object) -> str:
    return str(name).replace("_", " ")
