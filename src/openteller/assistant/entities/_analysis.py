"""One pass over an utterance: tokens, date expressions, amounts; shared by every extractor."""

from __future__ import annotations

from dataclasses import dataclass

from openteller.assistant.entities._dateexpr import Found
from openteller.assistant.entities._dategrammar import date_tokens, find_dates
from openteller.assistant.entities._lexer import Doc, lex
from openteller.assistant.entities.amounts import AmountMention, PercentMention, scan


@dataclass(frozen=True)
class Analysis:
    doc: Doc
    dates: tuple[Found, ...]
    amounts: tuple[AmountMention, ...]
    percents: tuple[PercentMention, ...]
    taken: frozenset[int]  # tokens that belong to a date, an amount or a percentage


def analyse(text: str) -> Analysis:
    doc = lex(text)
    dates = find_dates(doc)
    in_dates = date_tokens(dates)
    amounts, percents, used = scan(doc, in_dates)
    return Analysis(doc, dates, tuple(amounts), tuple(percents), in_dates | used)
