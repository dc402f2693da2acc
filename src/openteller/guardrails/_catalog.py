"""What the guardrails read from the product catalog: quotable figures, cut-off times,
deposit rates (variable? minimum balance?) and which products charge fees."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from openteller.core import Catalog, read_catalog
from openteller.guardrails._numbers import find_figures, normalize_time

_DEPOSIT_KINDS = ("checking", "savings")
# Words too common in banking answers to tie a figure to one catalog entry.
GENERIC = frozenset(
    [
        "a",
        "an",
        "the",
        "is",
        "are",
        "was",
        "be",
        "been",
        "of",
        "for",
        "to",
        "in",
        "on",
        "at",
        "by",
        "with",
        "and",
        "or",
        "your",
        "you",
        "our",
        "we",
        "it",
        "this",
        "that",
        "per",
        "each",
        "fee",
        "fees",
        "rate",
        "rates",
        "account",
        "accounts",
        "balance",
        "balances",
        "amount",
        "amounts",
        "cost",
        "costs",
        "charge",
        "charged",
        "charges",
        "pay",
        "paid",
        "pays",
        "has",
        "have",
        "can",
        "will",
        "may",
        "up",
        "any",
        "all",
        "no",
        "not",
        "as",
        "its",
        "from",
        "than",
        "more",
        "less",
        "or",
        "about",
        "there",
        "here",
        "which",
        "what",
        "when",
        "how",
        "much",
        "many",
        "usd",
        "dollars",
        "one",
        "two",
        "three",
    ]
)
_WORD = re.compile(r"[a-z]+")


def keywords(text: str) -> frozenset[str]:
    """Distinctive lower-case words of `text` (generic banking words removed)."""
    return frozenset(w for w in _WORD.findall(text.lower()) if len(w) > 2 and w not in GENERIC)


@dataclass(frozen=True)
class DepositRate:
    product: str
    percent: Decimal
    variable: bool
    min_balance: Decimal | None


@dataclass(frozen=True)
class CatalogFacts:
    """The catalog as the rules need it (built once per `Guardrails`)."""

    # every figure (rates, fees, limits, counts, figures in descriptions) with the words
    # that name it: the product, the item's code and its description
    # and the kind of figure it is (money, percent, number)
    entries: tuple[tuple[Decimal, str, frozenset[str]], ...] = ()
    times: frozenset[str] = frozenset()  # cut-off times as HH:MM
    product_names: dict[str, str] = field(default_factory=dict)  # lower-case name -> code
    fee_products: frozenset[str] = frozenset()  # deposit products with any fee above zero
    deposit_products: frozenset[str] = frozenset()
    deposit_rates: tuple[DepositRate, ...] = ()

    def grounds(self, value: Decimal, kind: str, words: frozenset[str]) -> bool:
        """Whether a catalog entry of this value and kind (a bare number matches any kind)
        is named by one of `words`."""
        return any(
            v == value and (kind == "number" or k == kind) and words & names
            for v, k, names in self.entries
        )

    @classmethod
    def build(cls, catalog: Catalog) -> CatalogFacts:
        entries: list[tuple[Decimal, str, frozenset[str]]] = []
        fee_products: set[str] = set()
        deposit: set[str] = set()
        rates: list[DepositRate] = []
        times: set[str] = set()

        def add(value: Decimal | int | None, kind: str, *texts: str) -> None:
            if value is not None:
                entries.append((Decimal(value), kind, keywords(" ".join(texts))))

        def add_text(text: str, *names: str) -> None:
            for fig in find_figures(text):
                add(fig.value, fig.kind, text, *names)
                if fig.kind == "time":
                    times.add(normalize_time(fig.text))

        for p in catalog.products.values():
            is_deposit = p.kind.value in _DEPOSIT_KINDS
            if is_deposit:
                deposit.add(p.code)
            base = f"{p.name} {p.kind.value}"
            add_text(p.description, base)
            for r in p.rates:
                names = f"{base} {r.code.replace('_', ' ')} {r.description}"
                add(r.percent, "percent", names)
                add(r.min_balance, "money", names, "minimum")
                add_text(r.description, names)
                if is_deposit:
                    rates.append(DepositRate(p.code, r.percent, r.variable, r.min_balance))
            for f in p.fees:
                names = f"{base} {f.code.replace('_', ' ')} {f.description}"
                add(f.amount, "money", names)
                add(f.percent, "percent", names)
                add_text(f.description, names)
                add_text(f.waiver, names, "waived waiver")
                if is_deposit and ((f.amount or 0) > 0 or (f.percent or 0) > 0):
                    fee_products.add(p.code)
            for lim in p.limits:
                names = f"{base} {lim.code.replace('_', ' ')} {lim.description} {lim.period}"
                if lim.amount is not None:
                    add(lim.amount, "money", names, "limit")
                add(lim.count, "number", names, "limit")
                add_text(lim.description, names)
        for c in catalog.cutoffs.values():
            times.add(normalize_time(c.local_time))
            add_text(c.description, c.rail.replace("_", " "), "cut-off cutoff")
        return cls(
            entries=tuple(entries),
            times=frozenset(times),
            product_names={p.name.lower(): p.code for p in catalog.products.values()},
            fee_products=frozenset(fee_products),
            deposit_products=frozenset(deposit),
            deposit_rates=tuple(rates),
        )


def packaged_catalog(path: Path | None = None) -> Catalog:
    """The catalog of a catalog file (default: the demo bank's) without a database of
    one's own: loaded into an in-memory SQLite database and read back."""
    from openteller.core import load_catalog, make_engine, read_spec
    from openteller.core.models import (
        Base,
        CutoffTime,
        Product,
        ProductFee,
        ProductLimit,
        ProductRate,
    )

    engine = make_engine("sqlite://")
    try:
        tables = [m.__table__ for m in (Product, ProductRate, ProductFee, ProductLimit, CutoffTime)]
        Base.metadata.create_all(engine, tables=tables)  # type: ignore[arg-type]
        with engine.begin() as conn:
            load_catalog(conn, read_spec(path))
        return read_catalog(engine)
    finally:
        engine.dispose()
