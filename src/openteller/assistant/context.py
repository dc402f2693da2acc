"""What a flow sees during one turn: the customer's core (scoped), the clock, the turn's
events, and small formatting helpers. Everything the customer reads about money comes
from a core call made in this turn, never from the model or the message."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from openteller.analytics import ConversationEvent, EventType
from openteller.core import (
    AccountKind,
    AccountView,
    CardInfo,
    Clock,
    CoreBanking,
    OpenTellerError,
    PayeeView,
    TransactionItem,
)
from openteller.core.money import display_money

_T = TypeVar("_T")


# What the customer said rather than a task they wanted done (the dialogue intents but
# the request for a person).
DIALOGUE_ACTS = frozenset(
    {
        "affirm",
        "deny",
        "cancel",
        "correct",
        "greet",
        "goodbye",
        "thanks",
        "bot_challenge",
        "out_of_scope",
        "chitchat",
    }
)


def money(amount: Decimal, currency: str = "USD") -> str:
    """`$1,234.50`; a negative amount as `-$12.00` (`core.display_money`)."""
    return display_money(amount, currency)


def account_label(account: AccountView) -> str:
    return f"{account.name} ****{account.number_last4}"


def card_label(card: CardInfo) -> str:
    return f"{card.network.title()} {card.kind} card ****{card.last4}"


def day(d: date) -> str:
    return f"{d:%b} {d.day}, {d.year}"


def transaction_line(item: TransactionItem, tz: ZoneInfo, *, as_charge: bool = False) -> str:
    """`Nov 3, 2026 · Shell · -$42.10` (a charge as a positive amount when `as_charge`)."""
    amount = -item.amount if as_charge else item.amount
    when = day(item.occurred_at.astimezone(tz).date())
    return f"{when} · {item.merchant or item.description} · {money(amount)}"


@dataclass
class Reply:
    """One assistant message and what the channel may show with it."""

    text: str
    template: str  # which template produced it (recorded in the events)
    suggestions: list[str] = field(default_factory=list)
    citations: list[dict[str, Any]] = field(default_factory=list)
    pending_confirmation: dict[str, Any] | None = None
    handoff: dict[str, Any] | None = None
    prompt: str | None = None  # "id@vN" of the prompt behind a model-written answer
    # Figures the flow computed from this turn's core results (totals, counts): grounded
    # for the guardrails like the results themselves.
    facts: list[Any] = field(default_factory=list)


@dataclass
class TurnContext:
    core: CoreBanking
    clock: Clock
    tz: ZoneInfo
    session_id: str
    turn: int
    customer_id: int
    events: list[ConversationEvent] = field(default_factory=list)
    tickets: list[dict[str, Any]] = field(default_factory=list)
    tool_ms: float = 0.0
    credit: Any = None  # openteller.credit.CreditService when decisions are made in the chat
    insights: Any = None  # openteller.insights.service.InsightsService (findings, alerts)
    results: list[Any] = field(default_factory=list)  # what the core answered this turn

    @property
    def now(self) -> datetime:
        return self.clock.now()

    @property
    def today(self) -> date:
        return self.clock.now().astimezone(self.tz).date()

    def call(self, tool: str, fn: Callable[[], _T]) -> _T:
        """Run one core call, recording its outcome and time as a `tool_call` event."""
        started = time.perf_counter()
        outcome = "ok"
        try:
            result = fn()
            self.results.append(result)
            return result
        except OpenTellerError as exc:
            outcome = exc.code
            raise
        finally:
            ms = (time.perf_counter() - started) * 1000
            self.tool_ms += ms
            self.event(EventType.TOOL_CALL, tool=tool, outcome=outcome, ms=round(ms, 2))

    def event(self, kind: EventType, *, intent: str | None = None, **payload: Any) -> None:
        self.events.append(
            ConversationEvent(
                kind,
                self.session_id,
                self.turn,
                self.clock.now(),
                self.customer_id,
                intent=intent,
                payload=payload,
            )
        )

    @cached_property
    def accounts(self) -> list[AccountView]:
        return self.call("list_accounts", self.core.list_accounts)

    @cached_property
    def payees(self) -> list[PayeeView]:
        return self.call("list_payees", self.core.list_payees)

    @cached_property
    def cards(self) -> list[CardInfo]:
        return self.call("list_cards", self.core.list_cards)

    def account(self, account_id: int) -> AccountView | None:
        return next((a for a in self.accounts if a.id == account_id), None)

    def accounts_of(self, *kinds: AccountKind) -> list[AccountView]:
        return [a for a in self.accounts if a.kind in kinds and a.status.value == "open"]
