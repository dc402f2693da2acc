"""What a flow is: named slots, filled from what the customer says, checked against the
core, confirmed when money or a card changes, then executed by code (never by a model).

A flow's state is a plain JSON document (`FlowState`) kept in the chat session, so the
next turn may land on any worker.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from openteller.assistant.context import Reply, TurnContext

CONFIRM = "confirm"
YES_NO = ["Yes", "No"]  # suggestions under a confirmation question


@dataclass
class FlowState:
    name: str
    slots: dict[str, Any] = field(default_factory=dict)
    awaiting: str | None = None  # a slot name, CONFIRM, or None
    attempts: int = 0  # failed tries at the awaited step
    confirm_turn: int | None = None  # the turn that asked for confirmation

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "slots": self.slots,
            "awaiting": self.awaiting,
            "attempts": self.attempts,
            "confirm_turn": self.confirm_turn,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FlowState:
        return cls(
            name=str(data["name"]),
            slots=dict(data.get("slots") or {}),
            awaiting=data.get("awaiting"),
            attempts=int(data.get("attempts") or 0),
            confirm_turn=data.get("confirm_turn"),
        )


class SlotError(Exception):
    """What the customer said for a slot cannot be used; `message` says why."""

    def __init__(self, slot: str, message: str, suggestions: list[str] | None = None) -> None:
        super().__init__(message)
        self.slot = slot
        self.message = message
        self.suggestions = suggestions or []


@dataclass(frozen=True)
class Problem:
    """A slot value the core refuses: ask for `slot` again, saying `message`."""

    slot: str
    message: str
    clear: tuple[str, ...] = ()  # slots to forget with it


class Flow:
    """Subclasses declare `name`, `slots` and what the customer is asked; the engine
    drives them. `fill` reads any of the flow's slots from a message (so a correction
    such as "make it 60" or "no, from savings" lands at any step)."""

    name: ClassVar[str]
    title: ClassVar[str]  # "transfer", "card block": used in "Back to your ..."
    slots: ClassVar[tuple[str, ...]] = ()
    optional: ClassVar[frozenset[str]] = frozenset()
    confirm: ClassVar[bool] = False

    def fill(
        self, ctx: TurnContext, state: FlowState, text: str, awaiting: str | None
    ) -> list[str]:
        """Set slots found in `text`; return the names that changed."""
        return []

    def missing(self, state: FlowState) -> str | None:
        for slot in self.slots:
            if slot not in self.optional and state.slots.get(slot) is None:
                return slot
        return None

    def ask(self, ctx: TurnContext, state: FlowState, slot: str) -> Reply:
        raise NotImplementedError(slot)

    def check(self, ctx: TurnContext, state: FlowState) -> Problem | None:
        return None

    def confirmation(self, ctx: TurnContext, state: FlowState) -> Reply:
        raise NotImplementedError

    def execute(self, ctx: TurnContext, state: FlowState) -> Reply:
        raise NotImplementedError

    def cancelled(self, state: FlowState) -> str:
        return f"OK, I've cancelled the {self.title}. Nothing was changed."


REGISTRY: dict[str, type[Flow]] = {}


def register(cls: type[Flow]) -> type[Flow]:
    """Class decorator: the flow serves the intent of the same name."""
    REGISTRY[cls.name] = cls
    return cls
