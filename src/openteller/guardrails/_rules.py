"""The output rules' detectors, registered by rule id (what happens is the policy's call).

A check reads the answer and the turn's context and returns None (pass) or a `Finding`:
why it fired, and for rewrite rules the rewritten text, for disclosure rules the text to
add. Checks are pure functions of their inputs, so they run in microseconds and are
tested through the policy's own examples. A user's rule registers the same way.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from openteller.guardrails._cards import find_cards
from openteller.guardrails._catalog import CatalogFacts, keywords
from openteller.guardrails._context import OutputContext
from openteller.guardrails._numbers import Figure, find_figures, normalize_time
from openteller.guardrails._pii import (
    BANK_ACCOUNT,
    CVV,
    EMAIL,
    IBAN,
    PIN,
    ROUTING,
    SSN,
    PiiSpan,
    redact_spans,
    scan_pii,
)


@dataclass(frozen=True)
class Finding:
    reason: str
    rewrite: str | None = None  # rewrite rules: the new text
    disclosure: str | None = None  # disclosure rules: text to add (else the policy's)
    details: dict[str, Any] = field(default_factory=dict)
    block: bool = False  # block whatever the rule's action (an escalation rule's denial)


Check = Callable[[str, OutputContext, CatalogFacts], Finding | None]
OUTPUT_CHECKS: dict[str, Check] = {}


def output_rule(rule_id: str) -> Callable[[Check], Check]:
    """Register the detector of an output rule (its policy entry must exist)."""

    def register(check: Check) -> Check:
        OUTPUT_CHECKS[rule_id] = check
        return check

    return register


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+|\n+", text) if s.strip()]


# ---------------------------------------------------------------- PCI and privacy


@output_rule("pci.card_data")
def card_data(text: str, ctx: OutputContext, facts: CatalogFacts) -> Finding | None:
    spans = [PiiSpan("CARD_NUMBER", c.start, c.end, c.digits) for c in find_cards(text)]
    spans += [s for s in scan_pii(text) if s.kind in (CVV, PIN)]
    if not spans:
        return None
    spans.sort(key=lambda s: s.start)
    kinds = sorted({s.kind for s in spans})
    return Finding(
        f"{', '.join(kinds)} in the answer: masked",
        rewrite=redact_spans(text, spans),
        details={"kinds": kinds},
    )


def _digits(s: str) -> str:
    return re.sub(r"\D", "", s)


@output_rule("privacy.identifiers")
def identifiers(text: str, ctx: OutputContext, facts: CatalogFacts) -> Finding | None:
    own = {_digits(i) for i in ctx.customer_identifiers if len(_digits(i)) >= 6}
    spans = [s for s in scan_pii(text) if s.kind in (SSN, ROUTING, BANK_ACCOUNT, IBAN)]
    taken = [(s.start, s.end) for s in spans]
    for m in re.finditer(r"(?<![\d*])\d{6,17}(?!\d)", text):
        if m.group(0) in own and all(m.end() <= a or m.start() >= b for a, b in taken):
            spans.append(PiiSpan(BANK_ACCOUNT, m.start(), m.end(), m.group(0)))
    if not spans:
        return None
    spans.sort(key=lambda s: s.start)
    parts: list[str] = []
    pos = 0
    for s in spans:
        parts.append(text[pos : s.start])
        digits = _digits(s.text)
        if s.kind == SSN:
            parts.append("***-**-" + digits[-4:])
        elif s.kind in (BANK_ACCOUNT, IBAN) and len(digits) >= 4:
            parts.append("****" + digits[-4:])
        else:
            parts.append("[redacted]")
        pos = s.end
    parts.append(text[pos:])
    kinds = sorted({s.kind for s in spans})
    return Finding(f"full {', '.join(kinds)} in the answer: masked", rewrite="".join(parts))


_LAST4 = re.compile(
    r"(?:\*{2,}|[xX]{2,}|•{2,}|\bending(?:\s+in)?\s+|\bends\s+in\s+|\blast\s+(?:4|four)"
    r"(?:\s+digits)?(?:\s+of)?\s+|\bx)(\d{4})\b",
    re.IGNORECASE,
)


@output_rule("privacy.other_customer")
def other_customer(text: str, ctx: OutputContext, facts: CatalogFacts) -> Finding | None:
    own_digits = [_digits(i) for i in ctx.customer_identifiers + ctx.strings]
    own_last4 = {d[-4:] for d in own_digits if len(d) >= 4}
    strangers = [m.group(1) for m in _LAST4.finditer(text) if m.group(1) not in own_last4]
    own_lower = {i.lower() for i in ctx.customer_identifiers + ctx.strings}
    passages = " ".join(ctx.passages).lower()
    emails = [
        s.text
        for s in scan_pii(text)
        if s.kind == EMAIL and s.text.lower() not in own_lower and s.text.lower() not in passages
    ]
    if not strangers and not emails:
        return None
    what = [f"number ending {d}" for d in strangers] + ["an e-mail address"] * bool(emails)
    return Finding(
        f"identifies someone other than this customer: {', '.join(what)}",
        details={"last4": strangers, "emails": len(emails)},
    )


# ---------------------------------------------------------------- grounding


def _grounded(
    fig: Figure, ctx: OutputContext, facts: CatalogFacts, pool: set[Decimal], words: frozenset[str]
) -> bool:
    if fig.kind == "time":
        times = facts.times | {
            normalize_time(f.text)
            for p in ctx.passages + ctx.strings
            for f in find_figures(p)
            if f.kind == "time"
        }
        return normalize_time(fig.text) in times
    if fig.kind == "date":
        days = set(ctx.dates) | _passage_dates(ctx)
        if fig.day is not None:
            return fig.day in days
        if fig.month_day is not None:
            return any((d.month, d.day) == fig.month_day for d in days)
        return False
    if fig.value is None:
        return False
    return fig.value in pool or facts.grounds(fig.value, fig.kind, words)


def _passage_dates(ctx: OutputContext) -> set[date]:
    return {f.day for p in ctx.passages for f in find_figures(p) if f.day is not None}


def _pool(ctx: OutputContext, facts: CatalogFacts) -> set[Decimal]:
    pool: set[Decimal] = set()
    pool.update(abs(a) for a in ctx.amounts)
    pool.update(Decimal(abs(c)) for c in ctx.counts)
    for source in ctx.passages + ctx.strings:
        for f in find_figures(source):
            if f.value is not None:
                pool.add(f.value)
    for d in ctx.dates:  # "on the 14th", "in 2026"
        pool.update((Decimal(d.day), Decimal(d.year)))
    return pool


_BARE_FIGURE = re.compile(r"[\s$€£%+\-\d.,]+")


@output_rule("grounding.numbers")
def grounding(text: str, ctx: OutputContext, facts: CatalogFacts) -> Finding | None:
    # Echoed strings (masked numbers, names with digits) are grounded as a whole.
    # A bare figure ("60", "0.00") is not an echo: its value joins the pool instead, and
    # cutting it out of the text would break larger figures apart ("$1,000.00").
    for s in sorted(ctx.strings + ctx.customer_identifiers, key=len, reverse=True):
        if len(s) >= 3 and any(ch.isdigit() for ch in s) and not _BARE_FIGURE.fullmatch(s):
            text = text.replace(s, " ")
    figures = find_figures(text)
    if not figures:
        return None
    pool = _pool(ctx, facts)
    # A catalog figure counts only where the sentence (or the one before) names its item:
    # "$25.00" is the wire fee, not the overdraft fee.
    spans = [(m.start(), m.end()) for m in re.finditer(r"[^.!?\n]+[.!?]?", text)]
    loose = []
    for f in figures:
        i = next((k for k, (a, b) in enumerate(spans) if a <= f.start < b), 0)
        window = " ".join(text[a:b] for a, b in spans[max(0, i - 1) : i + 1])
        if not _grounded(f, ctx, facts, pool, keywords(window)):
            loose.append(f)
    if not loose:
        return None
    shown = ", ".join(f"{f.kind} {f.text!r}" for f in loose[:5])
    return Finding(
        f"not traceable to this turn's tool results, the catalog or cited passages: {shown}",
        details={"ungrounded": [{"kind": f.kind, "text": f.text} for f in loose]},
    )


# ---------------------------------------------------------------- rates (Reg Z, Reg DD)

_RATE_WORDS = re.compile(
    r"\b(rate|interest|apr|apy|annual percentage|yield|earns?|pays?|a year|per year|annually)\b",
    re.IGNORECASE,
)
_CREDIT = re.compile(
    r"\b(loan|credit card|credit|borrow\w*|financ\w*|purchase|cash advance|balance transfer|"
    r"apr|annual percentage rate|penalty)\b",
    re.IGNORECASE,
)
_DEPOSIT = re.compile(
    r"\b(savings|checking|deposit|cd|certificate|yield|apy|annual percentage yield|earn\w*)\b",
    re.IGNORECASE,
)
_APR_TERM = re.compile(r"\bannual percentage rate\b|\bAPRs?\b", re.IGNORECASE)
_APY_TERM = re.compile(r"\bannual percentage yield\b|\bAPYs?\b", re.IGNORECASE)
_TRIGGER = re.compile(
    r"\b(monthly\s+)?payments?\s+(of|from|as low as)\s+(only\s+)?\$|\$[\d,.]+\s*(a|per|/)\s*"
    r"month\b|\b\d+\s+(monthly\s+)?payments\b|\bfinance charges?\b|\bpay (only|just) \$",
    re.IGNORECASE,
)
_REPAYMENT = re.compile(
    r"\b\d+\s+(monthly\s+)?(payments|months|installments)\b|\bover\s+\d+\s+(months|years)\b|"
    r"\bterm of \d+",
    re.IGNORECASE,
)


def _rate_percents(sentence: str) -> list[Figure]:
    return [f for f in find_figures(sentence) if f.kind == "percent"]


def _is_fee(sentence: str, fig: Figure) -> bool:
    window = sentence[max(0, fig.start - 40) : fig.end + 25].lower()
    return "fee" in window and not _RATE_WORDS.search(window.replace("fee", ""))


@output_rule("reg_z.apr")
def reg_z(text: str, ctx: OutputContext, facts: CatalogFacts) -> Finding | None:
    problems: list[str] = []
    for sentence in _sentences(text):
        credit = _CREDIT.search(sentence) and not _APY_TERM.search(sentence)
        if not credit:
            continue
        rates = [f for f in _rate_percents(sentence) if not _is_fee(sentence, f)]
        if rates and not _APR_TERM.search(text):
            problems.append(f"credit rate {rates[0].text} not stated as an annual percentage rate")
    if _TRIGGER.search(text) and _CREDIT.search(text):
        has_apr = bool(_APR_TERM.search(text)) and any(
            f.kind == "percent" for f in find_figures(text)
        )
        if not has_apr:
            problems.append("a triggering term without the annual percentage rate")
        if not _REPAYMENT.search(text):
            problems.append("a triggering term without the terms of repayment")
    if not problems:
        return None
    return Finding("; ".join(problems))


@output_rule("reg_dd.apy_term")
def reg_dd_term(text: str, ctx: OutputContext, facts: CatalogFacts) -> Finding | None:
    for sentence in _sentences(text):
        if not _DEPOSIT.search(sentence) or _APR_TERM.search(sentence):
            continue
        if _CREDIT.search(sentence) and not _DEPOSIT.search(sentence):
            continue
        rates = [
            f
            for f in _rate_percents(sentence)
            if not _is_fee(sentence, f) and _RATE_WORDS.search(sentence)
        ]
        if rates and not _APY_TERM.search(text):
            return Finding(f"deposit rate {rates[0].text} not stated as an annual percentage yield")
    return None


_MAY_CHANGE = re.compile(r"\b(variable|may change|can change|could change|fixed)\b", re.I)
_MIN_BALANCE = re.compile(r"\bminimum (daily )?balance\b|\bbalances? of \$[\d,.]+ or more\b", re.I)
_FEES_REDUCE = re.compile(r"\bfees? (could|may|can|might) reduce (the )?earnings\b", re.I)


@output_rule("reg_dd.apy_disclosures")
def reg_dd_disclosures(text: str, ctx: OutputContext, facts: CatalogFacts) -> Finding | None:
    quoted = [
        f.value
        for s in _sentences(text)
        if _APY_TERM.search(s)
        for f in _rate_percents(s)
        if f.value is not None
    ]
    if not quoted:
        return None
    rates = [r for r in facts.deposit_rates if r.percent in quoted]
    add: list[str] = []
    if not _MAY_CHANGE.search(text):
        variable = not rates or any(r.variable for r in rates)
        add.append(
            "The APY is variable and may change after the account is opened."
            if variable
            else "The APY is fixed."
        )
    if not _MIN_BALANCE.search(text):
        minimums = sorted({r.min_balance for r in rates if r.min_balance is not None})
        add.append(
            f"A minimum balance of ${minimums[0]:,.2f} is required to earn the stated APY."
            if minimums
            else "No minimum balance is required to earn the stated APY."
        )
    if not _FEES_REDUCE.search(text):
        add.append("Fees could reduce earnings on the account.")
    if not add:
        return None
    return Finding("APY stated without the required disclosures", disclosure=" ".join(add))


_FREE = re.compile(
    r"\bfree\s+(checking|savings|account|banking)\b"
    r"|\b(account|checking|savings)\b[^.!?]{0,40}\b(is|are|comes?|stays?)\s+(completely\s+|totally"
    r"\s+|always\s+|100%\s+)?(free|no[- ]cost|fee[- ]free)\b"
    r"|\bno[- ]cost\s+(checking|savings|account)\b"
    r"|\b(account|checking|savings)\b[^.!?]{0,40}\b(has|have|with|charges?)\s+(no|zero)\s+"
    r"(monthly\s+|maintenance\s+|hidden\s+|account\s+)?(fees?|charges?)\b(?!\s+(when|if|for|on|"
    r"as long|unless))"
    r"|\b(account|checking|savings)\b[^.!?]{0,40}\bcosts?\s+(you\s+)?nothing\b"
    r"|\bnever\s+pay\s+(a\s+|any\s+)?fees?\b",
    re.IGNORECASE,
)


@output_rule("reg_dd.free")
def reg_dd_free(text: str, ctx: OutputContext, facts: CatalogFacts) -> Finding | None:
    for sentence in _sentences(text):
        m = _FREE.search(sentence.replace("toll-free", "toll_free"))
        if m is None:
            continue
        lower = sentence.lower()
        named = {code for name, code in facts.product_names.items() if name in lower}
        deposit_named = named & facts.deposit_products
        # Only a named deposit product without any fee may be called free.
        if deposit_named and not deposit_named & facts.fee_products:
            continue
        if named and not deposit_named:
            continue  # a credit product's "no annual fee" is not Reg DD's business
        return Finding(f'"{m.group(0)}" said of an account on which fees can apply')
    return None


# ---------------------------------------------------------------- claims

_UDAAP = re.compile(
    r"\bguaranteed\s+(approval|acceptance|loan|credit)\b|\bapproval\s+(is\s+)?guaranteed\b|"
    r"\bguaranteed\s+to\s+(be\s+)?(approv|qualif|accept)\w*|\bno\s+credit\s+checks?\b|"
    r"\bwithout\s+a\s+credit\s+check\b|\brisk[- ]free\b|\bno\s+risk\b|\beveryone\s+(is\s+)?"
    r"(approved|qualifies)\b|\b100\s?%\s+approv\w*|\b(can'?t|cannot|won'?t)\s+be\s+(denied|"
    r"declined|turned down)\b|\bno\s+questions\s+asked\b",
    re.IGNORECASE,
)
_FINRA = re.compile(
    r"\bguaranteed\s+(returns?|profits?|gains?|growth|income|earnings|performance)\b|"
    r"\b(returns?|profits?|gains?)\s+(is|are)\s+guaranteed\b|\bguaranteed\s+to\s+(grow|double|"
    r"earn|make|beat|rise|outperform)\b|\bwill\s+(definitely|certainly|surely|always)\s+(grow|"
    r"rise|increase|go up|double|earn|make|outperform)\b|\b(can'?t|cannot|won'?t)\s+lose\b|"
    r"\bdouble\s+your\s+money\b|\bsure\s+(thing|bet|profit)\b|\bno[- ]lose\b",
    re.IGNORECASE,
)


@output_rule("udaap.claims")
def udaap(text: str, ctx: OutputContext, facts: CatalogFacts) -> Finding | None:
    m = _UDAAP.search(text)
    return None if m is None else Finding(f'prohibited claim "{m.group(0)}"')


@output_rule("finra.returns")
def finra(text: str, ctx: OutputContext, facts: CatalogFacts) -> Finding | None:
    m = _FINRA.search(text)
    return None if m is None else Finding(f'promissory claim "{m.group(0)}"')


# ---------------------------------------------------------------- people

_NO_HUMAN = re.compile(
    r"\b(can'?t|cannot|unable to|not able to|won'?t|don'?t)\s+(connect|transfer|put)\s+you\s+"
    r"(to|with|through)\b|\bno\s+(human|person|people|agents?)\s+(is|are)?\s*available\b|"
    r"\bthere\s+is\s+no\s+(human|person|one)\s+(to|you can)\b",
    re.IGNORECASE,
)


@output_rule("rights.escalation")
def rights(text: str, ctx: OutputContext, facts: CatalogFacts) -> Finding | None:
    if _NO_HUMAN.search(text):
        return Finding("the answer denies the customer a path to a person", block=True)
    if ctx.rights_invoked and not ctx.handoff_opened:
        reasons = ", ".join(ctx.rights_invoked)
        return Finding(
            f"the customer invoked {reasons} and no person was brought in",
            details={"rights": list(ctx.rights_invoked)},
        )
    return None


_AI = re.compile(
    r"\b(AI|artificial intelligence|virtual|automated|digital)\s+(assistant|agent|helper)\b|"
    r"\bnot a (person|human)\b|\bI'?m a (chat)?bot\b",
    re.IGNORECASE,
)


@output_rule("ai.disclosure")
def ai_disclosure(text: str, ctx: OutputContext, facts: CatalogFacts) -> Finding | None:
    if ctx.first_reply and not _AI.search(text):
        return Finding("first reply of the session without an AI disclosure")
    return None
