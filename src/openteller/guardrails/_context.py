"""What a turn may quote: the grounding sources the output review checks an answer against."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any

from openteller.core import ValidationFailed


@dataclass(frozen=True)
class OutputContext:
    """The turn's grounding sources and facts about the session.

    amounts:  figures from this turn's tool results (balances, fees charged, rates), Decimal
    dates:    dates from the tool results
    counts:   counts from the tool results (transactions found, payments left)
    strings:  strings from the tool results that may be echoed (masked card numbers,
              account names, references); numbers inside them count as grounded
    passages: texts of the passages cited in the answer
    customer_identifiers: this customer's own identifiers (account numbers, card last 4,
              email, phone); anything identifying someone else is blocked
    rights_invoked: rights the customer invoked this turn (from `screen_input`)
    handoff_opened: whether this turn opened a ticket for a person
    first_reply: whether this is the session's first reply (AI disclosure)
    """

    amounts: tuple[Decimal, ...] = ()
    dates: tuple[date, ...] = ()
    counts: tuple[int, ...] = ()
    strings: tuple[str, ...] = ()
    passages: tuple[str, ...] = ()
    customer_identifiers: tuple[str, ...] = ()
    rights_invoked: tuple[str, ...] = ()
    handoff_opened: bool = False
    first_reply: bool = False

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> OutputContext:
        """From JSON-like data (`guard check --context`, policy examples)."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValidationFailed(f"unknown context keys: {', '.join(unknown)}")
        try:
            return cls(
                amounts=tuple(Decimal(str(a)) for a in data.get("amounts", ())),
                dates=tuple(
                    d if isinstance(d, date) else date.fromisoformat(str(d))
                    for d in data.get("dates", ())
                ),
                counts=tuple(int(c) for c in data.get("counts", ())),
                strings=tuple(str(s) for s in data.get("strings", ())),
                passages=tuple(str(s) for s in data.get("passages", ())),
                customer_identifiers=tuple(str(s) for s in data.get("customer_identifiers", ())),
                rights_invoked=tuple(str(s) for s in data.get("rights_invoked", ())),
                handoff_opened=bool(data.get("handoff_opened", False)),
                first_reply=bool(data.get("first_reply", False)),
            )
        except (InvalidOperation, ValueError, TypeError) as exc:
            raise ValidationFailed(f"invalid context: {exc}") from exc

    def with_facts(self, *results: Any) -> OutputContext:
        """A copy that also grounds every Decimal, date, int and string found in `results`
        (tool results: dataclasses, dicts, lists, pydantic models), walked recursively."""
        amounts, dates, counts, strings = collect_facts(results)
        return dataclasses.replace(
            self,
            amounts=self.amounts + tuple(amounts),
            dates=self.dates + tuple(dates),
            counts=self.counts + tuple(counts),
            strings=self.strings + tuple(strings),
        )


def collect_facts(value: Any) -> tuple[list[Decimal], list[date], list[int], list[str]]:
    """(amounts, dates, counts, strings) found anywhere inside `value`."""
    amounts: list[Decimal] = []
    dates: list[date] = []
    counts: list[int] = []
    strings: list[str] = []

    def walk(v: Any, depth: int) -> None:
        if depth > 8 or v is None:
            return
        if isinstance(v, bool):
            return
        if isinstance(v, Decimal):
            amounts.append(v)
        elif isinstance(v, datetime):
            dates.append(v.date())
        elif isinstance(v, date):
            dates.append(v)
        elif isinstance(v, int):
            counts.append(v)
        elif isinstance(v, float):
            amounts.append(Decimal(str(v)))
        elif isinstance(v, Enum):
            strings.append(str(v.value))
        elif isinstance(v, str):
            strings.append(v)
        elif isinstance(v, Mapping):
            for item in v.values():
                walk(item, depth + 1)
        elif dataclasses.is_dataclass(v) and not isinstance(v, type):
            for f in dataclasses.fields(v):
                walk(getattr(v, f.name), depth + 1)
        elif hasattr(v, "model_dump"):
            walk(v.model_dump(), depth + 1)
        elif isinstance(v, Iterable):
            for item in v:
                walk(item, depth + 1)

    walk(value, 0)
    return amounts, dates, counts, strings
