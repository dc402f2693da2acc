"""Our PII recognizers: plain regular expressions plus validators, no model.

They serve both rails: the output review calls `scan_pii` directly (a few microseconds),
the input rail registers them with presidio beside its own recognizers (`_presidio.py`).
Kinds: CARD_NUMBER (IIN + Luhn), CVV and PIN (by context), US_SSN, ABA_ROUTING (by
context + checksum), US_BANK_ACCOUNT (by context), IBAN (mod-97), EMAIL, PHONE.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from openteller.guardrails._cards import find_cards, mask_card

CARD = "CARD_NUMBER"
CVV = "CVV"
PIN = "PIN"
SSN = "US_SSN"
ROUTING = "ABA_ROUTING"
BANK_ACCOUNT = "US_BANK_ACCOUNT"
IBAN = "IBAN"
EMAIL = "EMAIL"
PHONE = "PHONE"
KINDS = (CARD, CVV, PIN, SSN, ROUTING, BANK_ACCOUNT, IBAN, EMAIL, PHONE)


@dataclass(frozen=True)
class PiiSpan:
    kind: str
    start: int
    end: int
    text: str


# CVV / PIN: only digits that a context word introduces ("cvv 123", "my PIN is 4821").
_CVV = re.compile(
    r"\b(?:cvv2?|cvc2?|cid|csc|card\s+verification(?:\s+(?:value|code|number))?|"
    r"security\s+code)\b\W{0,3}(?:(?:is|was|=|number|code|:)\W{0,3}){0,2}(\d{3,4})\b",
    re.IGNORECASE,
)
_PIN = re.compile(
    r"\bpin(?:\s+(?:number|code))?\b\W{0,3}(?:(?:is|was|=|number|code|:)\W{0,3}){0,2}"
    r"(\d{4,6})\b",
    re.IGNORECASE,
)
_SSN = re.compile(r"(?<![\d-])(?!000|666|9\d\d)\d{3}([- ])(?!00)\d{2}\1(?!0000)\d{4}(?![\d-])")
_SSN_CONTEXT = re.compile(
    r"\b(?:ssn|social\s+security(?:\s+number)?|tax\s*id|tin)\b\W{0,3}(?:(?:is|was|:)\W{0,3})?"
    r"(\d{9})\b",
    re.IGNORECASE,
)
_ROUTING = re.compile(
    r"\b(?:routing|aba|rtn|transit)(?:\s+(?:number|no\.?|#))?\b\W{0,3}(?:(?:is|was|:)\W{0,3})?"
    r"(\d{9})\b",
    re.IGNORECASE,
)
_ACCOUNT = re.compile(
    r"\b(?:account|acct|a/c)(?:\s+(?:number|no\.?|num|#))?\W{0,3}(?:(?:is|was|:)\W{0,3})?"
    r"(\d{6,17})\b",
    re.IGNORECASE,
)
_IBAN = re.compile(r"\b([A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?)\b")
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
_PHONE = re.compile(
    r"(?<![\w+])(?:\+1[ .-]?)?(?:\(\d{3}\)\s?|\d{3}[ .-])\d{3}[ .-]\d{4}(?!\d)"
    r"|(?<![\w+])\+(?:[2-9]\d{0,2})(?:[ .-]?\d{2,4}){2,5}(?!\d)"
)


def aba_ok(digits: str) -> bool:
    """The ABA routing number checksum (weights 3, 7, 1)."""
    if len(digits) != 9 or not digits.isdigit():
        return False
    w = (3, 7, 1) * 3
    return sum(int(d) * k for d, k in zip(digits, w, strict=True)) % 10 == 0


def iban_ok(candidate: str) -> bool:
    """ISO 13616 check: move the first 4 characters to the end, letters to numbers, mod 97."""
    s = candidate.replace(" ", "")
    if not 15 <= len(s) <= 34:
        return False
    moved = s[4:] + s[:4]
    number = "".join(str(int(ch, 36)) for ch in moved)
    return int(number) % 97 == 1


def scan_pii(text: str) -> list[PiiSpan]:
    """Every PII span our recognizers find, earliest first, overlaps resolved in favour
    of the earlier-listed (more specific) kind."""
    return list(_scan(text))


@functools.lru_cache(maxsize=512)
def _scan(text: str) -> tuple[PiiSpan, ...]:
    # Cached: the output rules scan the same answer several times.
    spans: list[PiiSpan] = [PiiSpan(CARD, c.start, c.end, c.digits) for c in find_cards(text)]
    spans += _groups(CVV, _CVV.finditer(text))
    spans += _groups(PIN, _PIN.finditer(text))
    spans += [PiiSpan(SSN, m.start(), m.end(), m.group(0)) for m in _SSN.finditer(text)]
    spans += _groups(SSN, _SSN_CONTEXT.finditer(text))
    spans += _groups(ROUTING, (m for m in _ROUTING.finditer(text) if aba_ok(m.group(1))))
    spans += _groups(BANK_ACCOUNT, _ACCOUNT.finditer(text))
    spans += [
        PiiSpan(IBAN, m.start(1), m.end(1), m.group(1))
        for m in _IBAN.finditer(text)
        if iban_ok(m.group(1))
    ]
    spans += [PiiSpan(EMAIL, m.start(), m.end(), m.group(0)) for m in _EMAIL.finditer(text)]
    spans += [PiiSpan(PHONE, m.start(), m.end(), m.group(0)) for m in _PHONE.finditer(text)]
    return tuple(_resolve(spans))


def _groups(kind: str, matches: Iterable[re.Match[str]]) -> list[PiiSpan]:
    return [PiiSpan(kind, m.start(1), m.end(1), m.group(1)) for m in matches]


def _resolve(spans: list[PiiSpan]) -> list[PiiSpan]:
    kept: list[PiiSpan] = []
    for span in spans:  # in priority order
        if all(span.end <= k.start or span.start >= k.end for k in kept):
            kept.append(span)
    return sorted(kept, key=lambda s: s.start)


def placeholder(span: PiiSpan) -> str:
    """What a span becomes in redacted text: a card keeps its first 6 and last 4 digits,
    an SSN its last 4; everything else becomes `<KIND>`."""
    if span.kind == CARD:
        return mask_card(span.text)
    if span.kind == SSN:
        return "***-**-" + re.sub(r"\D", "", span.text)[-4:]
    return f"<{span.kind}>"


def redact_spans(text: str, spans: list[PiiSpan]) -> str:
    """`text` with each (non-overlapping, sorted) span replaced by its placeholder."""
    parts: list[str] = []
    pos = 0
    for span in spans:
        parts.append(text[pos : span.start])
        parts.append(placeholder(span))
        pos = span.end
    parts.append(text[pos:])
    return "".join(parts)


def redact_pii(text: str) -> str:
    """`text` with our recognizers' PII redacted (for logs, events and audit excerpts)."""
    return redact_spans(text, scan_pii(text))
