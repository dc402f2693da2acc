"""Amounts of money in an utterance, as `Decimal`, with the currency when one was said.

Read: digits with separators ("1,250.50", "1 250", "20,50" with a decimal comma),
symbols and codes before or after ("$20", "€20", "20€", "USD 20", "20 usd"), words
("dollars", "bucks", "euros", "pounds", "quid", "cents"), multipliers ("1.2k", "2K",
"1.5m", "2 grand", "half a grand", "3 million"), number words ("fifty", "twenty five",
"a hundred and twenty"), and "5 dollars and 50 cents".

Not amounts: dates and times ("June 15", "the 15th", "at 5pm", "last 30 days"), card and
account digits ("ending 4821", "x4821", "****4821", "account 12345678"), counts of things
("3 payments", "12 months"), percentages ("5%", returned by `extract_percents`) and
numbers glued to letters or dashes ("4821abc", "555-1234").

Decisions:

- A bare number ("pay mom 50") is an amount with `currency=None`: the dialogue applies
  the account's currency. "cents" alone names no currency either. "bucks" and "grand"
  are US slang: USD. "$" is USD unless written "C$", "A$" or "MX$".
- "one fifty", "nineteen ninety nine": two spoken groups. The value is the hundreds
  reading (150, 1999), flagged `ambiguous`, with the dollars-and-cents reading (1.50,
  19.99) in `alternatives`: the dialogue confirms.
- A minus sign is not a direction: the value is the absolute amount, flagged `negative`.
- More decimals than the currency has (USD when none was said) is `too_precise` and the
  value is kept as typed; trailing zeros ("10.550") are fine, as in the core's
  `to_minor`.
"""

from __future__ import annotations

import enum
from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal

from openteller.assistant.entities._dategrammar import date_tokens, find_dates
from openteller.assistant.entities._lexer import Doc, Kind, Span, Token, lex
from openteller.assistant.entities._names import STOP_WORDS, word_set
from openteller.assistant.entities._numwords import parse_number_words

# ISO 4217 minor-unit digits of the currencies recognized here (all are core currencies).
MINOR_DIGITS = {"USD": 2, "EUR": 2, "GBP": 2, "CAD": 2, "AUD": 2, "CHF": 2, "MXN": 2, "JPY": 0}
# The core refuses single amounts above this (core.money.MAX_AMOUNT).
MAX_AMOUNT = Decimal("1000000000000")

_SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY"}
_DOLLAR_PREFIXES = {"us": "USD", "c": "CAD", "ca": "CAD", "a": "AUD", "au": "AUD", "mx": "MXN"}
_CODES = {code.lower(): code for code in MINOR_DIGITS}
_WORDS = {
    "dollar": "USD", "dollars": "USD", "buck": "USD", "bucks": "USD", "usd": "USD",
    "euro": "EUR", "euros": "EUR", "pound": "GBP", "pounds": "GBP", "quid": "GBP",
    "yen": "JPY", "franc": "CHF", "francs": "CHF", "peso": "MXN", "pesos": "MXN",
    **_CODES,
}  # fmt: skip
_CENTS = frozenset({"cent", "cents", "¢"})
_GLUED_MULTIPLIERS = {
    "k": Decimal(1000), "m": Decimal(10**6), "mm": Decimal(10**6), "mn": Decimal(10**6),
    "bn": Decimal(10**9),
}  # fmt: skip
_SCALE_WORDS = {
    "thousand": Decimal(1000), "million": Decimal(10**6), "billion": Decimal(10**9),
    "grand": Decimal(1000), "hundred": Decimal(100),
}  # fmt: skip
_PERCENT_WORDS = frozenset({"percent", "pct", "per"})
# Counts of things: "3 payments", "12 months", "2 cards".
_COUNTED = word_set(
    """
    day days week weeks month months year years yr yrs hour hours hr hrs minute minutes min
    mins second seconds time times transaction transactions payment payments installment
    installments digit digits card cards account accounts people person persons item items
    bill bills charge charges purchase purchases night nights kid kids mile miles km
    o'clock x th
    """
)
# Words before digits that make them an identifier, not money.
_ID_CUES = word_set(
    """
    ending ends end routing number no id ref reference confirmation zip digits acct
    x pin code otp ext extension apt suite unit order invoice policy member customer
    """
)
_NOT_PLURALS = word_set(
    """
    towards thanks plus minus less this thus always perhaps unless whereas besides across
    afterwards sometimes bucks dollars euros pounds cents yes ours yours theirs hers its
    """
)
_WEAK_ID_CUES = frozenset({"account", "card", "check", "cheque", "phone", "loan"})
_FILLERS = frozenset({"in", "with", "is", "are", "of", "the", "number", "no", "#", ":", "-", "my"})


class AmountProblem(enum.StrEnum):
    """Why an amount cannot be used as said; the dialogue turns each into a question."""

    TOO_PRECISE = "too_precise"  # more decimals than the currency has ("10.555")
    NEGATIVE = "negative"  # a minus sign; `value` is the absolute amount
    ZERO = "zero"
    TOO_LARGE = "too_large"  # above what the core accepts in one amount
    AMBIGUOUS = "ambiguous"  # "one fifty": see `alternatives`


@dataclass(frozen=True)
class AmountMention:
    value: Decimal
    currency: str | None  # ISO 4217 code when said ("$", "euros", "USD"), else None
    span: Span  # character offsets in the utterance
    text: str  # the utterance's own characters at `span`
    problems: tuple[AmountProblem, ...] = ()
    alternatives: tuple[Decimal, ...] = ()  # other readings when AMBIGUOUS

    @property
    def ok(self) -> bool:
        """No problem: the amount can go into an order as it is."""
        return not self.problems


@dataclass(frozen=True)
class PercentMention:
    value: Decimal
    span: Span
    text: str


@dataclass
class _Read:
    start: int  # token indices
    end: int
    value: Decimal
    currency: str | None = None
    marked: bool = False  # a currency sign or word (or "grand") was said
    negative: bool = False
    alternatives: tuple[Decimal, ...] = ()
    cents: bool = False


def scan(
    doc: Doc, blocked: Collection[int]
) -> tuple[list[AmountMention], list[PercentMention], set[int]]:
    """Amounts and percentages, skipping tokens in `blocked` (dates); and the tokens used."""
    amounts: list[AmountMention] = []
    percents: list[PercentMention] = []
    used: set[int] = set()
    i = 0
    while i < len(doc.tokens):
        read = _read_at(doc, i, blocked)
        if read is None:
            i += 1
            continue
        pct_end = _percent_end(doc, read.end)
        if pct_end is not None and not read.marked:
            start, end = doc.tokens[read.start].start, doc.tokens[pct_end - 1].end
            percents.append(PercentMention(read.value, (start, end), doc.raw(start, end)))
            used.update(range(read.start, pct_end))
            i = pct_end
            continue
        if read.marked or _bare_amount(doc, read):
            amounts.append(_mention(doc, read))
            used.update(range(read.start, read.end))
            i = read.end
        else:
            i += 1
    return amounts, percents, used


def _mention(doc: Doc, read: _Read) -> AmountMention:
    start, end = doc.tokens[read.start].start, doc.tokens[read.end - 1].end
    value = read.value
    problems: list[AmountProblem] = []
    if read.alternatives:
        problems.append(AmountProblem.AMBIGUOUS)
    if read.negative:
        problems.append(AmountProblem.NEGATIVE)
    if value == 0:
        problems.append(AmountProblem.ZERO)
    digits = MINOR_DIGITS.get(read.currency or "USD", 2)
    scaled = value.scaleb(digits)
    if scaled != scaled.to_integral_value():
        problems.append(AmountProblem.TOO_PRECISE)
    if value > MAX_AMOUNT:
        problems.append(AmountProblem.TOO_LARGE)
    return AmountMention(
        value, read.currency, (start, end), doc.raw(start, end), tuple(problems), read.alternatives
    )


def _tok(doc: Doc, i: int) -> Token | None:
    return doc.tokens[i] if 0 <= i < len(doc.tokens) else None


def _read_at(doc: Doc, i: int, blocked: Collection[int]) -> _Read | None:
    start = i
    negative = False
    currency: str | None = None
    tok = _tok(doc, i)
    if tok is None or i in blocked:
        return None
    nxt = _tok(doc, i + 1)
    sign = tok.text == "-" and nxt is not None and doc.attached(i + 1) and not doc.attached(i)
    if sign or tok.is_word("minus", "negative"):
        negative, i = True, i + 1
    tok, nxt = _tok(doc, i), _tok(doc, i + 1)
    if tok is None:
        return None
    if tok.text in _DOLLAR_PREFIXES and nxt is not None and nxt.text == "$":
        if doc.attached(i + 1):
            currency, i = _DOLLAR_PREFIXES[tok.text], i + 2
    elif tok.text in _SYMBOLS:
        currency, i = _SYMBOLS[tok.text], i + 1
    elif tok.is_word(*_CODES) and nxt is not None and nxt.kind is Kind.NUM:
        currency, i = _CODES[tok.text], i + 1
    tok = _tok(doc, i)
    if currency and tok is not None and tok.text == "-" and doc.attached(i + 1):
        negative, i = True, i + 1
    read = _number(doc, i, blocked)
    if read is None:
        return None
    read.start, read.negative = start, negative
    if currency:
        read.currency, read.marked = currency, True
    _suffix(doc, read)
    return read


def _number(doc: Doc, i: int, blocked: Collection[int]) -> _Read | None:
    tok = _tok(doc, i)
    if tok is None or i in blocked:
        return None
    if tok.kind is Kind.NUM:
        value, j = tok.decimal, i + 1
        # "1 250": groups of three digits after a single space.
        while tok.is_plain_int and len(tok.text) <= 3:
            nxt = _tok(doc, j)
            if nxt is None or j in blocked or not (nxt.is_plain_int and len(nxt.text) == 3):
                break
            if nxt.start != doc.tokens[j - 1].end + 1 or doc.norm[nxt.start - 1] != " ":
                break
            if _glued(doc, j + 1):
                break
            value, j = value * 1000 + nxt.decimal, j + 1
        return _Read(i, j, value)
    if tok.is_word("half") and _tok(doc, i + 1) is not None and doc.word(i + 1) in ("a", "an"):
        scale = _SCALE_WORDS.get(doc.word(i + 2))
        if scale is not None and i + 2 not in blocked:
            grand = doc.word(i + 2) == "grand"
            return _Read(i, i + 3, scale / 2, "USD" if grand else None, grand)
        return None
    words = parse_number_words(doc, i)
    if words is None or any(k in blocked for k in range(i, words.end)):
        return None
    alternatives = (words.alternative,) if words.alternative is not None else ()
    read = _Read(i, words.end, Decimal(words.value), alternatives=alternatives)
    if words.weak and doc.word(words.end) not in _SCALE_WORDS and doc.word(words.end) not in _WORDS:
        return None  # "which one", "a" alone: not a number said as an amount
    return read


def _glued(doc: Doc, i: int) -> bool:
    """Token i is glued to the one before it (no space)."""
    return _tok(doc, i) is not None and doc.attached(i)


def _suffix(doc: Doc, read: _Read) -> None:
    """Multipliers, a currency after the number and a cents tail, in place."""
    j = read.end
    w = doc.word(j)
    if w in _GLUED_MULTIPLIERS and _glued(doc, j) and not read.alternatives:
        read.value = _tidy(read.value * _GLUED_MULTIPLIERS[w])
        j += 1
    elif w in _SCALE_WORDS and not read.alternatives:
        read.value = _tidy(read.value * _SCALE_WORDS[w])
        if w == "grand":
            read.currency = read.currency or "USD"
            read.marked = True
        j += 1
    tok = _tok(doc, j)
    if tok is not None and not read.marked:
        if tok.text in _SYMBOLS and tok.kind is Kind.SYM:
            read.currency, read.marked, j = _SYMBOLS[tok.text], True, j + 1
        elif tok.is_word(*_WORDS):
            read.currency, read.marked, j = _WORDS[tok.text], True, j + 1
        elif tok.text in _CENTS:
            read.value = read.value.scaleb(-2)
            read.marked, read.cents, j = True, True, j + 1
    read.end = j
    if read.marked and not read.cents and read.value == read.value.to_integral_value():
        _cents_tail(doc, read)


def _tidy(value: Decimal) -> Decimal:
    """1.2k is 1200, not 1200.0."""
    whole = value.to_integral_value()
    return whole if value == whole else value.normalize()


def _cents_tail(doc: Doc, read: _Read) -> None:
    """ "5 dollars and 50 cents", "five dollars fifty"."""
    j = read.end + 1 if doc.word(read.end) == "and" else read.end
    tok = _tok(doc, j)
    if tok is None:
        return
    if tok.is_plain_int and len(tok.text) <= 2:
        cents, k = int(tok.text), j + 1
    else:
        words = parse_number_words(doc, j)
        if words is None or words.value >= 100 or words.alternative is not None:
            return
        cents, k = words.value, words.end
    nxt = _tok(doc, k)
    if nxt is not None and nxt.text in _CENTS:
        k += 1
    elif (nxt is not None and nxt.kind is not Kind.PUNCT) or tok.kind is Kind.NUM:
        return  # "5 dollars 50 times"; digits need the word "cents"
    read.value += Decimal(cents).scaleb(-2)
    read.end = k


def _percent_end(doc: Doc, j: int) -> int | None:
    tok = _tok(doc, j)
    if tok is None:
        return None
    if tok.text == "%":
        return j + 1
    if tok.is_word(*_PERCENT_WORDS):
        if tok.text == "per":
            return j + 2 if doc.word(j + 1) == "cent" else None
        return j + 1
    return None


def _bare_amount(doc: Doc, read: _Read) -> bool:
    """A number said without currency: money unless it reads as something else."""
    first = doc.tokens[read.start + (1 if read.negative else 0)]
    after = _tok(doc, read.end)
    if after is not None and after.is_word(*_COUNTED):
        return False
    if _counts_things(doc, read):
        return False  # "2 tickets", "three coffees"
    if after is not None and doc.attached(read.end) and after.kind is not Kind.PUNCT:
        return False  # "4821abc", "10x"
    if after is not None and after.text == "-" and _glued(doc, read.end):
        nxt = _tok(doc, read.end + 1)
        if nxt is not None and nxt.kind is Kind.NUM and _glued(doc, read.end + 1):
            return False  # "555-1234"
    if first.kind is Kind.NUM:
        text = first.text
        if text.isdigit() and (len(text) >= 7 or (len(text) > 1 and text[0] == "0")):
            return False  # account numbers, codes
        before = _tok(doc, read.start - 1)
        if before is not None and doc.attached(read.start) and before.text not in ("(", '"'):
            return False  # "x4821", "****4821", "...4821", "#12"
        if _id_context(doc, read.start, len(text.replace(",", "").split(".")[0])):
            return False
    elif doc.word(read.end) in ("of", "more", "another", "other"):
        return False  # "one of", "two more"
    small = read.value == read.value.to_integral_value() and read.value <= 24
    if small and doc.word(read.start - 1) == "at":
        return False  # "at 5": a time
    return not (small and doc.word(read.start - 1) == "last")  # "last 4", "the last two"


def _counts_things(doc: Doc, read: _Read) -> bool:
    """A small whole number before a plural noun counts things: "2 tickets"."""
    word = doc.word(read.end)
    if not (read.value == read.value.to_integral_value() and read.value < 1000):
        return False
    return (
        len(word) >= 4
        and word.endswith("s")
        and not word.endswith("ss")
        and word not in STOP_WORDS
        and word not in _NOT_PLURALS
    )


def _id_context(doc: Doc, i: int, digits: int) -> bool:
    """Digits named as an identifier: "ending in 4821", "routing number 0210", "card 4821"."""
    if digits >= 4 and doc.word(i - 1) in _WEAK_ID_CUES:
        return True
    k = i - 1
    for _ in range(3):
        tok = _tok(doc, k)
        if tok is None:
            return False
        if tok.text in _ID_CUES or tok.text == "#":
            return True
        if tok.text in ("four", "4") and doc.word(k - 1) == "last":
            return True  # "the last four are 4821"
        if tok.text not in _FILLERS:
            return False
        k -= 1
    return False


def extract_amounts(text: str) -> list[AmountMention]:
    """Every amount of money in `text`, left to right. Never raises on any text."""
    doc = lex(text)
    return scan(doc, date_tokens(find_dates(doc)))[0]


def extract_percents(text: str) -> list[PercentMention]:
    """Every percentage in `text` ("5%", "4.5 percent", "five per cent")."""
    doc = lex(text)
    return scan(doc, date_tokens(find_dates(doc)))[1]
