"""Catalog figures for the corpus: the Jinja helpers documents render with, and the set of
figures a rendered document may quote.

Every rate, fee, limit and cut-off in the packaged corpus is a placeholder such as
``{{ fee("everyday_checking", "domestic_wire_out") }}``, rendered from the product catalog
(`openteller.core.read_spec`) at ingest: the documents cannot drift from the catalog.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import time
from decimal import Decimal
from typing import Any

import jinja2

from openteller.knowledge._errors import KnowledgeError

# The parsed catalog file (`openteller.core.read_spec()`): core does not export its spec
# classes, so they are typed loosely here.
CatalogSpec = Any

# Figures set by law, not by our catalog, that documents may quote.
LEGAL_FIGURES: dict[str, str] = {
    "$50": "Regulation E 12 CFR 1005.6(b)(1) and Regulation Z 1026.12(b) liability cap",
    "$500": "Regulation E 12 CFR 1005.6(b)(2) liability cap",
    "$275": "Regulation CC 12 CFR 229.10(c)(1)(vii) next-day check amount (July 2025)",
    "$6,725": "Regulation CC 12 CFR 229.13(b) large deposit threshold (July 2025)",
}
_TZ_ABBREVIATIONS = {"America/New_York": "ET", "America/Chicago": "CT", "America/Denver": "MT"}

MONEY_RE = re.compile(r"\$(\d{1,3}(?:,\d{3})*|\d+)(\.\d+)?")
PERCENT_RE = re.compile(r"(\d+(?:\.\d+)?)\s?%")
TIME_RE = re.compile(r"\b(1[0-2]|[1-9]):([0-5]\d)\s?(AM|PM)\b")


def money(amount: Decimal) -> str:
    """$1,234.50 style."""
    return f"${amount:,.2f}"


def clock_time(local_time: str) -> str:
    """ "16:00" -> "4:00 PM"."""
    hour, minute = (int(x) for x in local_time.split(":"))
    return time(hour, minute).strftime("%I:%M %p").lstrip("0")


def _product(spec: CatalogSpec, code: str) -> Any:
    for p in spec.products:
        if p.code == code:
            return p
    raise KnowledgeError(f"unknown product {code!r} in a document placeholder")


def _rate(spec: CatalogSpec, product: str, code: str, tier: str = "") -> Any:
    for r in _product(spec, product).rates:
        if r.code == code and r.tier == tier:
            return r
    raise KnowledgeError(f"unknown rate {product}.{code}{'.' + tier if tier else ''}")


def _fee(spec: CatalogSpec, product: str, code: str) -> Any:
    for f in _product(spec, product).fees:
        if f.code == code:
            return f
    raise KnowledgeError(f"unknown fee {product}.{code}")


def _limit(spec: CatalogSpec, product: str, code: str) -> Any:
    for lim in _product(spec, product).limits:
        if lim.code == code:
            return lim
    raise KnowledgeError(f"unknown limit {product}.{code}")


def template_functions(spec: CatalogSpec, bank_name: str) -> dict[str, Any]:
    """The names a corpus template may use."""

    def fee(product: str, code: str) -> str:
        f = _fee(spec, product, code)
        if f.amount is None:
            raise KnowledgeError(f"fee {product}.{code} has no amount (use fee_pct)")
        return money(f.amount)

    def fee_pct(product: str, code: str) -> str:
        f = _fee(spec, product, code)
        if f.percent is None:
            raise KnowledgeError(f"fee {product}.{code} has no percent (use fee)")
        return f"{f.percent}%"

    def limit(product: str, code: str) -> str:
        lim = _limit(spec, product, code)
        return money(lim.amount) if lim.amount is not None else str(lim.count)

    def cutoff_spec(rail: str) -> Any:
        for c in spec.cutoffs:
            if c.rail == rail:
                return c
        raise KnowledgeError(f"unknown cut-off rail {rail!r}")

    def cutoff(rail: str) -> str:
        c = cutoff_spec(rail)
        return f"{clock_time(c.local_time)} {_TZ_ABBREVIATIONS.get(c.timezone, c.timezone)}"

    functions: dict[str, Callable[..., str]] = {
        "fee": fee,
        "fee_pct": fee_pct,
        "waiver": lambda product, code: _fee(spec, product, code).waiver,
        "rate": lambda product, code, tier="": f"{_rate(spec, product, code, tier).percent}%",
        "min_balance": lambda product, code, tier="": money(
            _rate(spec, product, code, tier).min_balance or Decimal(0)
        ),
        "limit": limit,
        "limit_description": lambda product, code: _limit(spec, product, code).description,
        "description": lambda product: _product(spec, product).description,
        "cutoff": cutoff,
        "cutoff_description": lambda rail: cutoff_spec(rail).description,
    }
    return {
        **functions,
        "bank_name": bank_name,
        "catalog_version": spec.version,
        "catalog_effective_date": spec.effective_date.isoformat(),
    }


_env = jinja2.Environment(
    undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True
)


def render(text: str, spec: CatalogSpec, bank_name: str, *, source: str = "") -> str:
    """Render a document template against the catalog; a bad placeholder is an error."""
    try:
        return _env.from_string(text).render(template_functions(spec, bank_name))
    except jinja2.TemplateError as exc:
        raise KnowledgeError(f"cannot render {source or 'document'}: {exc}") from exc


# ------------------------------------------------------------------ figure checks


def _parse_money(text: str) -> Decimal:
    return Decimal(text.replace("$", "").replace(",", ""))


def catalog_figures(spec: CatalogSpec) -> tuple[set[Decimal], set[Decimal], set[str]]:
    """(money amounts, percents, clock times) the catalog states, in fields or in its text."""
    amounts: set[Decimal] = set()
    percents: set[Decimal] = set()
    texts: list[str] = []
    for p in spec.products:
        texts.append(p.description)
        for r in p.rates:
            percents.add(r.percent)
            if r.min_balance is not None:
                amounts.add(r.min_balance)
            texts.append(r.description)
        for f in p.fees:
            if f.amount is not None:
                amounts.add(f.amount)
            if f.percent is not None:
                percents.add(f.percent)
            texts += [f.description, f.waiver]
        for lim in p.limits:
            if lim.amount is not None:
                amounts.add(lim.amount)
            texts.append(lim.description)
    times = {clock_time(c.local_time) for c in spec.cutoffs}
    for c in spec.cutoffs:
        texts.append(c.description)
    for t in texts:
        amounts.update(_parse_money(m.group(0)) for m in MONEY_RE.finditer(t))
        percents.update(Decimal(m.group(1)) for m in PERCENT_RE.finditer(t))
        times.update(f"{m.group(1)}:{m.group(2)} {m.group(3)}" for m in TIME_RE.finditer(t))
    return amounts, percents, times


def unknown_figures(text: str, spec: CatalogSpec) -> list[str]:
    """Every $ amount, percent or clock time in `text` that is neither a catalog figure nor
    a whitelisted legal figure (`LEGAL_FIGURES`), in order of appearance."""
    amounts, percents, times = catalog_figures(spec)
    legal = {_parse_money(k) for k in LEGAL_FIGURES}
    bad: list[str] = []
    for m in MONEY_RE.finditer(text):
        value = _parse_money(m.group(0))
        if value not in amounts and value not in legal:
            bad.append(m.group(0))
    for m in PERCENT_RE.finditer(text):
        if Decimal(m.group(1)) not in percents:
            bad.append(m.group(0))
    for m in TIME_RE.finditer(text):
        if f"{m.group(1)}:{m.group(2)} {m.group(3)}" not in times:
            bad.append(m.group(0))
    return bad
