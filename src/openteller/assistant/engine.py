"""One assistant turn: read the message, move the dialogue, call the core, answer, record.

    message ─ checks ─ NLU ─ dialogue (flow state from the session) ─ core calls ─ reply
                                                                  └ events + transcript

The dialogue state is a JSON document in the session row (`state`):
`{"flow": FlowState | None, "clarify": [intent, intent] | None, "failures": int,
"offered_human": bool, "greeted": bool}`.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import inspect
import logging
import re
import sys
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from openteller.analytics import EventSink, EventType, redact
from openteller.assistant import understand as u
from openteller.assistant.context import DIALOGUE_ACTS, Reply, TurnContext
from openteller.assistant.flows import REGISTRY, Flow, FlowState, SlotError
from openteller.assistant.flows.base import CONFIRM
from openteller.assistant.flows.insights import new_alerts
from openteller.assistant.sessions import SessionRecord, SessionStore
from openteller.assistant.support import DocumentAnswerer, SupportAnswer
from openteller.core import (
    Clock,
    CoreBanking,
    InsufficientFunds,
    LocalCoreBanking,
    OpenTellerError,
)
from openteller.settings import Settings

if TYPE_CHECKING:
    from openteller.credit import CreditService
    from openteller.guardrails import Guardrails, InputVerdict
    from openteller.insights.service import InsightsService

logger = logging.getLogger("openteller.assistant")

MAX_MESSAGE = 2000
MAX_ATTEMPTS = 2  # failed tries before a person is offered
SWITCH_CONFIDENCE = 0.9  # another task this sure leaves the current flow
AI_NOTICE = "Hi, I'm the bank's AI assistant (not a person). "
RECENT_TURNS = 2  # earlier customer messages screened together with the current one
# Flows that end with a person (a ticket): while one runs, a right the customer invoked
# is being acted on.
TICKET_FLOWS = frozenset({"dispute_charge", "report_lost_or_stolen", "human_handoff"})
# Intents whose wording may name a right without invoking it.
QUESTION_INTENTS = frozenset({"out_of_scope", "unusual_activity"})
# What a right invoked in the chat becomes when no flow takes it up: a ticket reason.
RIGHT_TICKETS = {
    "dispute": "dispute",
    "billing_error": "dispute",
    "fraud": "fraud",
    "complaint": "complaint",
    "human": "human_request",
}
FAIL_CLOSED = (
    "I'm sorry, I can't give you a reliable answer to that here. I can connect you with a "
    'member of our team who can help; just say "talk to a person".'
)

INTENT_NAMES = {
    "check_balance": "check a balance",
    "search_transactions": "find transactions",
    "spending_summary": "see your spending",
    "transfer_money": "send money",
    "pay_card_bill": "pay your card bill",
    "add_payee": "add a payee",
    "block_card": "block a card",
    "unblock_card": "unblock a card",
    "replace_card": "replace a card",
    "report_lost_or_stolen": "report a lost or stolen card",
    "dispute_charge": "dispute a charge",
    "loan_quote": "get a loan quote",
    "apply_loan": "apply for a loan",
    "loan_status": "check your loans",
    "account_details": "see your account details",
    "human_handoff": "talk to a person",
    "recurring_charges": "review your regular payments",
    "unusual_activity": "check for unusual activity",
}
HELP = [
    "Check my balance",
    "Show my spending this month",
    "Send money",
    "Block my card",
]


class Prediction(Protocol):
    intent: str
    confidence: float
    ranking: list[tuple[str, float]]
    needs_clarification: bool
    out_of_scope: bool


class IntentParser(Protocol):
    def parse(self, text: str) -> Prediction: ...


@dataclass(frozen=True)
class TurnResult:
    session_id: str
    turn: int
    reply: str
    intent: str | None
    confidence: float
    entities: list[dict[str, Any]] = field(default_factory=list)
    citations: list[dict[str, Any]] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)
    pending_confirmation: dict[str, Any] | None = None
    handoff: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "session_id": self.session_id,
            "turn": self.turn,
            "reply": self.reply,
            "intent": self.intent,
            "confidence": round(self.confidence, 4),
            "entities": self.entities,
            "citations": self.citations,
            "suggestions": self.suggestions,
            "pending_confirmation": self.pending_confirmation,
            "handoff": self.handoff,
        }


@dataclass
class _Understood:
    intent: str | None
    confidence: float
    ranking: list[tuple[str, float]]
    needs_clarification: bool = False
    out_of_scope: bool = False


class Assistant:
    """Serves turns for any customer; keeps nothing between turns but the database."""

    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        settings: Settings,
        parser: IntentParser,
        sink: EventSink,
        core_for: Callable[[int], CoreBanking] | None = None,
        answerer: DocumentAnswerer | None = None,
        guard: Guardrails | None = None,
        credit: CreditService | None = None,
        insights: InsightsService | None = None,
    ) -> None:
        self.sessions = SessionStore(engine, clock)
        self.answerer = answerer
        self.guard = guard
        self.credit = credit
        self.insights = insights
        self.clock = clock
        self.parser = parser
        self.sink = sink
        self.tz = ZoneInfo(settings.timezone)
        self.core_for = core_for or (
            lambda customer_id: LocalCoreBanking(engine, clock, customer_id, settings)
        )

    def reply(
        self, customer_id: int, message: str, session_id: str | None = None, channel: str = "api"
    ) -> TurnResult:
        """Answer one message of the customer's session (a new session when none)."""
        started = time.perf_counter()
        record = self.sessions.open(customer_id, session_id)
        ctx = TurnContext(
            core=self.core_for(customer_id),
            clock=self.clock,
            tz=self.tz,
            session_id=record.id,
            turn=record.turns + 1,
            customer_id=customer_id,
            credit=self.credit,
            insights=self.insights,
        )
        if record.new:
            ctx.event(EventType.SESSION_STARTED, channel=channel)
        turn = _Turn(self, ctx, record)
        screen = self._screen(record, message) if self.guard is not None else None
        said = screen.redacted_text if screen is not None else redact(message[:MAX_MESSAGE])
        turn.redacted = said
        if screen is not None and screen.blocked and not _answers_a_question(screen, record):
            # An injection attempt, a request outside banking, a rail that failed: the
            # message goes no further (no NLU, no core, no model).
            understood, nlu_ms = _Understood(None, 0.0, []), 0.0
            reply = turn.refuse(screen.reply or FAIL_CLOSED)
        else:
            reply, understood, nlu_ms = turn.run(message)
        first_reply = not record.state.get("greeted")
        alerts: list[int] = []
        if first_reply:
            record.state["greeted"] = True
            reply.text = AI_NOTICE + reply.text
            alerts = self._new_alerts(ctx, reply)
        checks: dict[str, Any] | None = None
        if self.guard is not None:
            reply, checks = self._review(turn, reply, screen, understood, first_reply)
        if alerts and reply.template not in ("guardrail_blocked", "guardrail_error"):
            self._mark_seen(ctx, alerts)
        dialogue_ms = (time.perf_counter() - started) * 1000 - nlu_ms
        ctx.event(
            EventType.USER_MESSAGE,
            intent=understood.intent,
            text=said,
            confidence=round(understood.confidence, 4),
            entities=turn.entity_names,
        )
        ctx.event(
            EventType.BOT_MESSAGE,
            template=reply.template,
            prompt=reply.prompt,
            text=redact(reply.text),
            flow=(record.state.get("flow") or {}).get("name"),
            guardrails=checks,
        )
        ticket_ids = self.sessions.save_turn(
            record,
            [
                # The transcript keeps what the rails let through: no card number, CVV
                # or SSN is stored when the rails run.
                ("customer", said if screen is not None else message[:MAX_MESSAGE], {}),
                (
                    "assistant",
                    reply.text,
                    {
                        "intent": understood.intent,
                        "template": reply.template,
                        # The flow that answered: what the customer tried, for a handoff.
                        "flow": turn.finished or (record.state.get("flow") or {}).get("name"),
                    },
                ),
            ],
            ctx.tickets,
        )
        if ticket_ids:
            reference = ", ".join(f"#{t}" for t in ticket_ids)
            reply.text += f" Your reference is {reference}."
            reply.handoff = {**(reply.handoff or {}), "ticket_ids": ticket_ids}
            for ticket_id, ticket in zip(ticket_ids, ctx.tickets, strict=True):
                ctx.event(EventType.HANDOFF, reason=ticket["reason"], ticket_id=ticket_id)
        total_ms = (time.perf_counter() - started) * 1000
        ctx.event(
            EventType.TURN_LATENCY,
            stages={
                "nlu": round(nlu_ms, 2),
                "tools": round(ctx.tool_ms, 2),
                "dialogue": round(max(0.0, dialogue_ms - ctx.tool_ms), 2),
                "total": round(total_ms, 2),
            },
        )
        self.sink.emit(ctx.events)
        if self.insights is not None and _moved_money(ctx):
            self._catch_up(ctx)
        return TurnResult(
            session_id=record.id,
            turn=ctx.turn,
            reply=reply.text,
            intent=understood.intent,
            confidence=understood.confidence,
            entities=turn.entities,
            citations=reply.citations,
            suggestions=reply.suggestions,
            pending_confirmation=reply.pending_confirmation,
            handoff=reply.handoff,
        )

    # ------------------------------------------------------------------ alerts

    def _new_alerts(self, ctx: TurnContext, reply: Reply) -> list[int]:
        """On a session's first reply, one line about the customer's new alerts (added to
        `reply`, figures in its facts); the ids named, to be marked seen once the reply is
        let through. An insights fault costs the line, never the turn."""
        if reply.template in ("input_blocked", "unreadable_message"):
            return []
        try:
            found = new_alerts(ctx)
        except Exception:
            logger.exception("alerts unavailable (session %s)", ctx.session_id)
            return []
        if found is None:
            return []
        line, facts, alert_ids = found
        reply.text += "\n" + line
        reply.facts += facts
        if not reply.suggestions:
            reply.suggestions = ["Anything unusual on my accounts?"]
        return alert_ids

    def _catch_up(self, ctx: TurnContext) -> None:
        """The detectors over the new postings (a payment the chat just made), as the
        payments API does: a low balance or a bill is noticed now. A fault is logged."""
        assert self.insights is not None
        try:
            self.insights.process_new()
        except Exception:
            logger.exception("insights after a payment failed (session %s)", ctx.session_id)

    def _mark_seen(self, ctx: TurnContext, alert_ids: list[int]) -> None:
        assert self.insights is not None
        insights = self.insights
        try:
            ctx.call("insights_mark_seen", lambda: insights.mark_seen(ctx.customer_id, alert_ids))
        except Exception:
            logger.exception("alerts not marked seen (session %s)", ctx.session_id)

    # ------------------------------------------------------------------ guardrails

    def _screen(self, record: SessionRecord, message: str) -> InputVerdict | None:
        """The input rails over this message and the customer's previous ones (kept,
        redacted, in the session state). None when the message is unreadable anyway."""
        assert self.guard is not None
        if _message_problem(message) is not None:
            return None
        recent = [str(m) for m in record.state.get("recent") or []][-RECENT_TURNS:]
        verdict = self.guard.screen_input(record.id, [*recent, message])
        record.state["recent"] = [*recent, verdict.redacted_text][-RECENT_TURNS:]
        return verdict

    def _review(
        self,
        turn: _Turn,
        reply: Reply,
        screen: InputVerdict | None,
        understood: _Understood,
        first_reply: bool,
    ) -> tuple[Reply, dict[str, Any]]:
        """The output rails on the reply: grounding of every figure in this turn's core
        results, passages and the customer's own words; disclosures; card data; rights.
        A right the customer invoked that no flow takes up becomes a ticket. Fails closed."""
        from openteller.guardrails import OutputContext

        assert self.guard is not None
        ctx, state = turn.ctx, turn.state
        flow = (state.get("flow") or {}).get("name")
        rights = _invoked_rights(screen.rights if screen is not None else [], understood.intent)
        if rights and not ctx.tickets and flow not in TICKET_FLOWS:
            reason = RIGHT_TICKETS[rights[0]]
            ctx.tickets.append(
                {
                    "reason": reason,
                    "priority": "high" if reason == "fraud" else "normal",
                    "summary": f"The customer invoked {', '.join(rights)} in the chat: "
                    f"{turn.redacted[:300]}",
                    "details": {"rights": rights},
                }
            )
            reply.text += " I've passed this to a colleague, who will contact you about it."
            reply.handoff = {"reason": reason}
        try:
            context = OutputContext(
                passages=tuple(turn.grounding),
                rights_invoked=tuple(rights),
                handoff_opened=bool(ctx.tickets) or flow in TICKET_FLOWS,
                first_reply=first_reply,
            ).with_facts(
                *ctx.results,
                *reply.facts,
                state.get("flow") or {},
                turn.redacted,
                turn.entities,
                *template_text(),
                _local_dates(ctx.results, ctx.tz),
            )
            verdict = self.guard.review_output(ctx.session_id, reply.text, context)
        except Exception:
            logger.exception("output rails failed (session %s): answer withheld", ctx.session_id)
            state["flow"] = None
            return Reply(FAIL_CLOSED, "guardrail_error"), {"blocked": True, "error": True}
        fired = [d.rule_id for d in verdict.decisions if d.action != "pass"]
        if screen is not None:
            fired = [d.rule_id for d in screen.decisions if d.action != "pass"] + fired
        checks = {"blocked": verdict.blocked, "rules": fired}
        if verdict.blocked:
            # Nothing the customer did not see may be confirmed by their next "yes".
            state["flow"] = None
            return Reply(verdict.text, "guardrail_blocked", ["Talk to a person"]), checks
        reply.text = verdict.text
        return reply, checks


def _moved_money(ctx: TurnContext) -> bool:
    """Whether a payment posted during this turn."""
    return any(
        e.type is EventType.TOOL_CALL
        and e.payload.get("tool") == "pay"
        and e.payload.get("outcome") == "ok"
        for e in ctx.events
    )


def _local_dates(value: Any, tz: ZoneInfo, depth: int = 0) -> list[date]:
    """Every timestamp in the core's results as the customer's calendar date: replies say
    "Sep 23" in the bank's timezone for a purchase stored as 02:10 UTC on the 24th."""
    if depth > 6:
        return []
    if isinstance(value, datetime):
        return [value.astimezone(tz).date()] if value.tzinfo is not None else []
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        items: Any = [getattr(value, f.name) for f in dataclasses.fields(value)]
    elif isinstance(value, dict):
        items = list(value.values())
    elif isinstance(value, list | tuple):
        items = value
    else:
        return []
    return [d for item in items for d in _local_dates(item, tz, depth + 1)]


@functools.cache
def template_text() -> tuple[str, ...]:
    """The literal text of the assistant's own reply templates (string constants of the
    engine and the flows, f-string parts included). A figure written there ("the last 4
    digits", "5 to 7 business days", "12, 24, 36, 48 or 60 months") is ours, reviewed
    like code; the grounding rail checks everything else against the turn's data."""
    from openteller.assistant.flows import accounts, cards, insights, money, service

    found: list[str] = []
    for module in (sys.modules[__name__], accounts, cards, insights, money, service):
        nodes = list(ast.walk(ast.parse(inspect.getsource(module))))
        docstrings = {id(n.value) for n in nodes if isinstance(n, ast.Expr)}
        found += [
            n.value
            for n in nodes
            if isinstance(n, ast.Constant)
            and isinstance(n.value, str)
            and id(n) not in docstrings
            and any(ch.isdigit() for ch in n.value)
        ]
    return tuple(found)


def _answers_a_question(screen: InputVerdict, record: SessionRecord) -> bool:
    """The only rail that stopped the message is the topic scope, while a flow waits for
    the customer's answer: "a new sofa" is what a loan is for, not a request outside
    banking. Injection screening and failed rails still stop it."""
    awaiting = (record.state.get("flow") or {}).get("awaiting")
    blocking = {d.rule_id for d in screen.decisions if d.action == "block"}
    return awaiting is not None and blocking == {"input.scope"}


def _invoked_rights(found: list[str], intent: str | None) -> list[str]:
    """Rights the customer invoked (not asked about): a question about the dispute policy,
    "was I double charged?" (a check of their activity, answered with an offer to
    dispute) or "are you a human?" is not a dispute or a request for a person."""
    if intent is None or intent.startswith("faq_") or intent in QUESTION_INTENTS:
        return []
    return [r for r in found if r != "human" or intent == "human_handoff"]


class _Turn:
    def __init__(self, assistant: Assistant, ctx: TurnContext, record: SessionRecord) -> None:
        self.assistant = assistant
        self.ctx = ctx
        self.record = record
        self.state = record.state
        self.entities: list[dict[str, Any]] = []
        self.entity_names: list[str] = []
        self.grounding: list[str] = []  # passage texts this turn's answer may quote
        self.redacted = ""  # the message as models and logs may see it
        self.finished: str | None = None  # the flow this turn completed, if any

    # ------------------------------------------------------------------ entry

    def refuse(self, text: str) -> Reply:
        """The input rails stopped the message: say so; twice running, offer a person."""
        return self._failure(Reply(text, "input_blocked", HELP))

    def run(self, message: str) -> tuple[Reply, _Understood, float]:
        problem = _message_problem(message)
        if problem is not None:
            return (
                self._failure(Reply(problem, "unreadable_message", facts=[MAX_MESSAGE])),
                _Understood(None, 0.0, []),
                0.0,
            )
        text = " ".join(message.split())
        started = time.perf_counter()
        prediction = self.assistant.parser.parse(text)
        nlu_ms = (time.perf_counter() - started) * 1000
        understood = _Understood(
            prediction.intent,
            float(prediction.confidence),
            list(prediction.ranking),
            bool(prediction.needs_clarification),
            bool(prediction.out_of_scope),
        )
        try:
            self._collect_entities(text)
            reply = self._dispatch(text, understood)
        except InsufficientFunds as exc:
            reply = Reply(f"That didn't go through: {exc.message}.", "core_refused")
        except OpenTellerError as exc:
            # The core refused (a card changed state meanwhile, a limit): say so plainly.
            self.state["flow"] = None
            reply = Reply(
                f"Sorry, I couldn't do that: {exc.message}. Nothing was changed.", "core_refused"
            )
        except Exception:
            # A fault of ours must not end the conversation with a stack trace: log it,
            # drop the flow (nothing half-done survives) and say so.
            logger.exception("assistant turn failed (session %s)", self.ctx.session_id)
            self.state["flow"] = None
            reply = Reply(
                "Sorry, something went wrong on my side and nothing was changed. Please try again.",
                "internal_error",
            )
        return reply, understood, nlu_ms

    def _dispatch(self, text: str, nlu: _Understood) -> Reply:
        flow_state = self._flow_state()
        intent = nlu.intent

        if self.state.get("offered_human"):
            self.state["offered_human"] = False
            if intent == "affirm":
                return self._start("human_handoff", text)
            if intent == "deny":
                self.state["failures"] = 0
                return Reply("No problem. What else can I help with?", "human_declined", HELP)

        clarify = self.state.pop("clarify", None)
        if clarify and flow_state is None:
            chosen = _choose(text, clarify, nlu)
            if chosen is not None:
                nlu.intent, nlu.needs_clarification = chosen, False
                intent = chosen

        if intent == "cancel" and not _free_text_answer(flow_state, text):
            if flow_state is not None:
                return self._abandon(flow_state, "cancelled")
            return Reply("There's nothing to cancel. What can I help with?", "nothing_to_cancel")

        if flow_state is not None:
            return self._continue(flow_state, text, nlu)
        return self._fresh(text, nlu)

    # ------------------------------------------------------------------ no flow

    def _fresh(self, text: str, nlu: _Understood) -> Reply:
        intent = nlu.intent
        if nlu.out_of_scope or intent == "out_of_scope":
            return self._failure(
                Reply(
                    "I can help with your accounts, cards, payments and loans, but not with that.",
                    "out_of_scope",
                    HELP,
                )
            )
        if nlu.needs_clarification and len(nlu.ranking) >= 2:
            options = [nlu.ranking[0][0], nlu.ranking[1][0]]
            self.state["clarify"] = options
            names = [INTENT_NAMES.get(o, o.replace("_", " ")) for o in options]
            return Reply(
                f"Sorry, I'm not sure what you mean. Do you want to {names[0]} or {names[1]}?",
                "clarify",
                [n[0].upper() + n[1:] for n in names],
            )
        if intent in REGISTRY:
            return self._start(intent, text)
        if intent is None:
            return self._failure(Reply("Sorry, I didn't get that.", "not_understood", HELP))
        if intent in DIALOGUE_ACTS:
            return self._act(intent)
        if not intent.startswith("faq_"):
            # A task the model knows but no flow serves (yet).
            self.state["offered_human"] = True
            return Reply(
                f"I can't help with {intent.replace('_', ' ')} in the chat yet. Would you "
                "like me to connect you with a person who can?",
                "task_unavailable",
                ["Yes, connect me", "No thanks"],
            )
        return self._support(intent, text)

    def _act(self, intent: str) -> Reply:
        self.state["failures"] = 0
        templates = {
            "greet": ("Hello! How can I help you today?", HELP),
            "goodbye": ("Goodbye, and thanks for banking with us.", []),
            "thanks": ("You're welcome! Anything else?", []),
            "bot_challenge": (
                "I'm an AI assistant, not a person. I can connect you with someone from our "
                "team whenever you like.",
                ["Talk to a person"],
            ),
            "chitchat": ("I'm here to help with your banking. What can I do for you?", HELP),
            "affirm": ("OK. What would you like to do?", HELP),
            "deny": ("OK. Anything else I can help with?", HELP),
            "correct": ("What would you like to change?", []),
        }
        text, suggestions = templates.get(intent, ("How can I help?", HELP))
        return Reply(text, intent, list(suggestions))

    def _support(self, topic: str, text: str, *, aside: bool = False) -> Reply:
        """Answer a question about the bank's products or policies from its documents, with
        citations; when they don't say, say so and offer a person (never guess a figure).
        `aside`: asked in the middle of a flow, so no offer (the flow resumes after it)."""
        subject = topic.removeprefix("faq_").replace("_", " ")
        answerer = self.assistant.answerer
        found: SupportAnswer | None = None
        if answerer is not None:
            question = self.redacted or text  # what a model may see: PII redacted
            found = self.ctx.call(
                "knowledge", lambda: answerer.answer(question, self.ctx.session_id)
            )
            self.grounding.extend(found.passages)
        if found is not None and found.found:
            self.state["failures"] = 0
            return Reply(
                found.text,
                "knowledge_answer",
                citations=found.citations,
                prompt=found.prompt,
            )
        if aside:
            return Reply(
                f"I can't find an answer about {subject} in our documents", "knowledge_none"
            )
        self.state["offered_human"] = True
        what = (
            "I can't find that in our documents."
            if found is not None
            else f"I can't answer questions about {subject} from the bank's documents yet."
        )
        return Reply(
            f"{what} Would you like me to connect you with a person who can?",
            "knowledge_none" if found is not None else "knowledge_unavailable",
            ["Yes, connect me", "No thanks"],
        )

    def _failure(self, reply: Reply) -> Reply:
        failures = int(self.state.get("failures") or 0) + 1
        self.state["failures"] = failures
        if failures >= MAX_ATTEMPTS:
            self.state["failures"] = 0
            self.state["offered_human"] = True
            reply.text += " Would you like me to connect you with a person?"
            reply.suggestions = ["Yes, connect me", "No thanks"]
        return reply

    # ------------------------------------------------------------------ flows

    def _flow_state(self) -> FlowState | None:
        data = self.state.get("flow")
        return FlowState.from_json(data) if data else None

    def _save(self, flow_state: FlowState | None) -> None:
        self.state["flow"] = flow_state.to_json() if flow_state is not None else None

    def _start(self, name: str, text: str) -> Reply:
        flow = REGISTRY[name]()
        flow_state = FlowState(name)
        self.state["failures"] = 0
        self.ctx.event(EventType.FLOW_STARTED, flow=name)
        try:
            flow.fill(self.ctx, flow_state, text, None)
        except SlotError as exc:
            flow_state.slots.pop(exc.slot, None)
            if exc.slot in flow.optional or exc.slot not in flow.slots:
                # Nothing to ask again (a period in the future for a search): say why.
                self._save(None)
                self.ctx.event(EventType.FLOW_ABANDONED, flow=name, why="not_possible")
                return Reply(exc.message, "flow_not_possible", exc.suggestions or HELP)
            self._save(flow_state)
            return self._ask(flow, flow_state, exc.slot, prefix=exc.message)
        return self._advance(flow, flow_state)

    def _advance(self, flow: Flow, flow_state: FlowState, prefix: str = "") -> Reply:
        """Ask for the next missing slot, check, confirm, or execute."""
        slot = flow.missing(flow_state)
        if slot is not None:
            return self._ask(flow, flow_state, slot, prefix)
        problem = flow.check(self.ctx, flow_state)
        if problem is not None:
            for name in problem.clear or (problem.slot,):
                flow_state.slots.pop(name, None)
            return self._ask(flow, flow_state, problem.slot, prefix=problem.message)
        if flow.confirm:
            flow_state.awaiting = CONFIRM
            flow_state.attempts = 0
            flow_state.confirm_turn = self.ctx.turn
            self._save(flow_state)
            return _prefixed(flow.confirmation(self.ctx, flow_state), prefix)
        return self._finish(flow, flow_state, prefix)

    def _ask(self, flow: Flow, flow_state: FlowState, slot: str, prefix: str = "") -> Reply:
        try:
            reply = flow.ask(self.ctx, flow_state, slot)
        except SlotError as exc:  # nothing to ask about (no eligible card, no account)
            self._save(None)
            self.ctx.event(EventType.FLOW_ABANDONED, flow=flow.name, why="not_possible")
            return Reply(exc.message, "flow_not_possible", HELP)
        if flow_state.awaiting != slot:
            flow_state.attempts = 0
        flow_state.awaiting = slot
        self._save(flow_state)
        return _prefixed(reply, prefix)

    def _finish(self, flow: Flow, flow_state: FlowState, prefix: str = "") -> Reply:
        self._save(None)
        opened = len(self.ctx.tickets)
        reply = flow.execute(self.ctx, flow_state)
        self.finished = flow.name
        for ticket in self.ctx.tickets[opened:]:
            # The handoff summary states what the flow collected: the state is gone now.
            ticket.setdefault("flow", flow_state.to_json())
        self.ctx.event(EventType.FLOW_COMPLETED, flow=flow.name)
        return _prefixed(reply, prefix)

    def _abandon(self, flow_state: FlowState, why: str) -> Reply:
        flow = REGISTRY[flow_state.name]()
        self._save(None)
        self.ctx.event(EventType.FLOW_ABANDONED, flow=flow.name, why=why)
        return Reply(flow.cancelled(flow_state), "flow_cancelled", HELP)

    def _continue(self, flow_state: FlowState, text: str, nlu: _Understood) -> Reply:
        flow = REGISTRY[flow_state.name]()
        intent = nlu.intent
        awaiting = flow_state.awaiting
        try:
            changed = flow.fill(self.ctx, flow_state, text, awaiting)
        except SlotError as exc:
            if _other_task(flow, nlu, SWITCH_CONFIDENCE):
                # Clearly another task ("what's my balance" while a payee is asked for).
                return self._switch(flow, text, nlu)
            flow_state.slots.pop(exc.slot, None)
            return self._retry(flow, flow_state, exc.slot, exc.message)

        if awaiting == CONFIRM:
            if changed:  # "make it 60", "no, from savings": check and confirm again
                return self._advance(flow, flow_state, prefix="Updated.")
            if intent == "affirm":
                return self._finish(flow, flow_state)
            if intent == "deny":
                return self._abandon(flow_state, "cancelled")
        elif changed:
            return self._advance(flow, flow_state)

        # Nothing for this flow in the message.
        if _other_task(flow, nlu, 0.0):
            return self._switch(flow, text, nlu)
        if intent is not None and intent not in DIALOGUE_ACTS and intent not in REGISTRY:
            # A digression: answer it, then come back to where we were.
            aside = self._support(intent, text, aside=True)
            back = self._resume(flow, flow_state)
            return Reply(
                f"{aside.text.rstrip('.')}. Back to your {flow.title}: {back.text}",
                "digression",
                back.suggestions,
                citations=aside.citations,
                pending_confirmation=back.pending_confirmation,
                prompt=aside.prompt,
            )
        if awaiting == CONFIRM:
            return self._retry(
                flow, flow_state, CONFIRM, "Please answer yes to go ahead or no to cancel."
            )
        return self._retry(flow, flow_state, awaiting or "", "Sorry, I didn't catch that.")

    def _switch(self, flow: Flow, text: str, nlu: _Understood) -> Reply:
        self.ctx.event(EventType.FLOW_ABANDONED, flow=flow.name, why="superseded")
        self._save(None)
        return self._start(str(nlu.intent), text)

    def _resume(self, flow: Flow, flow_state: FlowState) -> Reply:
        if flow_state.awaiting == CONFIRM:
            return flow.confirmation(self.ctx, flow_state)
        return flow.ask(self.ctx, flow_state, flow_state.awaiting or "")

    def _retry(self, flow: Flow, flow_state: FlowState, slot: str, message: str) -> Reply:
        flow_state.attempts += 1
        if flow_state.attempts > MAX_ATTEMPTS:
            self._save(None)
            self.ctx.event(EventType.FLOW_ABANDONED, flow=flow.name, why="failed_attempts")
            self.state["offered_human"] = True
            return Reply(
                f"{message} I'm having trouble with this {flow.title}, so I've stopped it "
                "and nothing was changed. Would you like me to connect you with a person?",
                "offer_human",
                ["Yes, connect me", "No thanks"],
            )
        if slot == CONFIRM:
            self._save(flow_state)
            return _prefixed(flow.confirmation(self.ctx, flow_state), message)
        attempts = flow_state.attempts
        reply = self._ask(flow, flow_state, slot, prefix=message)
        flow_state.attempts = attempts
        self._save(flow_state)
        return reply

    # ------------------------------------------------------------------ entities

    def _collect_entities(self, text: str) -> None:
        found = u.describe(text, self.ctx.now, self.ctx.tz)
        self.entities = found
        self.entity_names = sorted({e["type"] for e in found})


# Slots whose answer is the customer's own words ("I didn't make it", a payee's name).
FREE_TEXT_SLOTS = frozenset({"why", "purpose", "payee_name", "bank_name"})
_CANCEL_WORDS = re.compile(r"^\s*(cancel|stop|never ?mind|forget (it|about it)|quit)\b", re.I)


def _free_text_answer(flow_state: FlowState | None, text: str) -> bool:
    """The message answers a free-text question: a "cancel" reading of it is only trusted
    when it says cancel in so many words."""
    return (
        flow_state is not None
        and flow_state.awaiting in FREE_TEXT_SLOTS
        and not _CANCEL_WORDS.match(text)
    )


def _other_task(flow: Flow, nlu: _Understood, at_least: float) -> bool:
    """The message asks for another task, at least this surely."""
    return (
        nlu.intent in REGISTRY
        and nlu.intent != flow.name
        and nlu.confidence >= at_least
        and not nlu.needs_clarification
    )


def _prefixed(reply: Reply, prefix: str) -> Reply:
    if prefix:
        reply.text = f"{prefix} {reply.text}"
    return reply


def _choose(text: str, options: list[str], nlu: _Understood) -> str | None:
    """The option the customer picked after a clarification question."""
    if nlu.intent in options:
        return nlu.intent
    pick = u.find_ordinal(text)
    if pick is not None and pick < len(options):
        return options[pick]
    if nlu.intent == "affirm":
        return options[0]
    return None


_LETTERS = re.compile(r"[^\W\d_]", re.UNICODE)


def _message_problem(message: str) -> str | None:
    """A reply for a message the assistant cannot read, or None."""
    if not message.strip():
        return "It looks like your message was empty. What can I help you with?"
    if len(message) > MAX_MESSAGE:
        return (
            f"That message is too long for me (over {MAX_MESSAGE:,} characters). Could you "
            "say it in a sentence or two?"
        )
    if any(unicodedata.category(ch) == "Cc" and ch not in "\t\n\r" for ch in message):
        return "I couldn't read that message. Please type your question in plain words."
    letters = _LETTERS.findall(message)
    if not letters and not any(ch.isdigit() for ch in message):
        return "I can only read words, not emoji or symbols. What can I help you with?"
    latin = sum(1 for ch in letters if ch.isascii())
    if letters and latin / len(letters) < 0.5:
        return "Sorry, I can only help in English for now."
    return None
