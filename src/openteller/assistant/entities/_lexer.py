"""Tokens of an utterance, with character spans into the text the customer typed.

The text is normalized one character for one character (lower case, plain quotes,
plain spaces, ASCII minus), so every token's span indexes the original string too.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from decimal import Decimal

Span = tuple[int, int]

# One character in, one character out: spans stay valid on the original text.
_FOLD = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u00a0": " ",
    "\u2009": " ",
    "\u202f": " ",
    "\u2007": " ",
    "\u2212": "-",
    "\u2013": "-",
    "\u2014": "-",
    "\u2026": ".",
    "\u2022": "*",
    "\u00b7": "*",
    "\uff04": "$",
}


class Kind(enum.Enum):
    WORD = "word"
    NUM = "num"  # 1250, 1,250.50, .5, 20,50 (decimal comma)
    ORD = "ord"  # 15th, 3rd
    TIME = "time"  # 5pm, 17:30
    SLASH = "slash"  # 11/3, 11/3/2025
    ISO = "iso"  # 2026-03-04
    SYM = "sym"  # $ € £ ¥ ¢ % # * & +
    PUNCT = "punct"


_TOKEN_RE = re.compile(
    r"""
      (?P<iso>\d{4}[-/]\d{1,2}[-/]\d{1,2})(?![\d/-])
    | (?P<slash>\d{1,2}/\d{1,2}(?:/\d{4}|/\d{2})?)(?![\d/])
    | (?P<time>\d{1,2}:\d{2}(?::\d{2})?(?:\s?[ap]\.?m\.?(?![a-z]))?
        | \d{1,2}\s?(?:[ap]\.m\.|[ap]m(?![a-z])))
    | (?P<ord>\d{1,2}(?:st|nd|rd|th))(?![a-z])
    | (?P<num>\d+,\d{1,2}(?![\d,])
        | (?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.\d+)?(?![\d])
        | \.\d+)
    | (?P<word>[a-z]+(?:'[a-z]+)*)
    | (?P<sym>[$€£¥¢%#*&+])
    | (?P<punct>\S)
    """,
    re.VERBOSE,
)
_KINDS = {k.value: k for k in Kind}


@dataclass(frozen=True, slots=True)
class Token:
    kind: Kind
    text: str  # normalized
    start: int
    end: int

    def is_word(self, *words: str) -> bool:
        return self.kind is Kind.WORD and (not words or self.text in words)

    @property
    def decimal(self) -> Decimal:
        """The value of a NUM token (thousands commas dropped, a decimal comma read as '.')."""
        text = self.text
        if "," in text and "." not in text and len(text.rsplit(",", 1)[1]) <= 2:
            return Decimal(text.replace(",", "."))
        return Decimal(text.replace(",", ""))

    @property
    def is_plain_int(self) -> bool:
        """Digits only: no separators, no decimals."""
        return self.kind is Kind.NUM and self.text.isdigit()


@dataclass(frozen=True)
class Doc:
    """An utterance: the original text, its normalized form and its tokens."""

    text: str
    norm: str
    tokens: tuple[Token, ...]

    def raw(self, start: int, end: int) -> str:
        """The original text between two character offsets."""
        return self.text[start:end]

    def word(self, i: int) -> str:
        """The word at token index `i` without a possessive 's ("month's" is "month"),
        or "" for anything else (also past the end)."""
        if 0 <= i < len(self.tokens) and self.tokens[i].kind is Kind.WORD:
            text = self.tokens[i].text
            return text[:-2] if text.endswith("'s") and len(text) > 2 else text
        return ""

    def attached(self, i: int) -> bool:
        """Token `i` touches the token before it (no space between)."""
        return 0 < i < len(self.tokens) and self.tokens[i - 1].end == self.tokens[i].start


def normalize(text: str) -> str:
    """Lower case and plain punctuation, keeping the length (and so every offset)."""
    out = []
    for ch in text:
        ch = _FOLD.get(ch, ch)
        low = ch.lower()
        out.append(low if len(low) == 1 else ch)
    return "".join(out)


def lex(text: str) -> Doc:
    """Split `text` into tokens."""
    norm = normalize(text)
    tokens = tuple(
        Token(_KINDS[m.lastgroup or "punct"], m.group(), m.start(), m.end())
        for m in _TOKEN_RE.finditer(norm)
    )
    return Doc(text, norm, tokens)
