"""The product catalog: products, rates (APR/APY), fees, limits and cut-off times.

The catalog lives in the database (tables `products`, `product_rates`, `product_fees`,
`product_limits`, `cutoff_times`) and is loaded there from a YAML file: the demo bank's
`data/catalog.yaml` by default. Everything that quotes a number reads `Catalog`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any, cast

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import Connection, Engine, Table, delete, insert, select

from openteller.core.errors import NotFound, ValidationFailed
from openteller.core.models import (
    AccountKind,
    CutoffTime,
    Product,
    ProductFee,
    ProductLimit,
    ProductRate,
)
from openteller.core.money import CURRENCY_EXPONENTS, from_minor, to_minor

products_t = cast(Table, Product.__table__)
rates_t = cast(Table, ProductRate.__table__)
fees_t = cast(Table, ProductFee.__table__)
limits_t = cast(Table, ProductLimit.__table__)
cutoffs_t = cast(Table, CutoffTime.__table__)


# ----------------------------------------------------------------- file format


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RateSpec(_Spec):
    code: str
    tier: str = ""
    percent: Decimal = Field(ge=0, le=100)
    variable: bool = False
    min_balance: Decimal | None = None
    description: str = ""


class FeeSpec(_Spec):
    code: str
    amount: Decimal | None = Field(default=None, ge=0)
    percent: Decimal | None = Field(default=None, ge=0, le=100)
    description: str
    waiver: str = ""


class LimitSpec(_Spec):
    code: str
    amount: Decimal | None = Field(default=None, ge=0)
    count: int | None = Field(default=None, ge=0)
    period: str = ""
    description: str


class ProductSpec(_Spec):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,39}$")
    name: str
    kind: AccountKind
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    description: str
    rates: list[RateSpec] = []
    fees: list[FeeSpec] = []
    limits: list[LimitSpec] = []

    @field_validator("kind")
    @classmethod
    def _customer_kind(cls, kind: AccountKind) -> AccountKind:
        if not kind.is_customer:
            raise ValueError(f"a product must be a customer account kind, not {kind}")
        return kind


class CutoffSpec(_Spec):
    rail: str
    local_time: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    timezone: str
    business_days_only: bool = True
    description: str


class CatalogSpec(_Spec):
    version: str
    effective_date: date
    products: list[ProductSpec]
    cutoffs: list[CutoffSpec] = []


def default_catalog_path() -> Path:
    return Path(str(resources.files("openteller.core") / "data" / "catalog.yaml"))


def read_spec(path: Path | None = None) -> CatalogSpec:
    """Parse and validate a catalog file; `ValidationFailed` with every problem listed."""
    source = path or default_catalog_path()
    try:
        raw = yaml.safe_load(source.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ValidationFailed(f"cannot read catalog {source}: {exc}") from exc
    try:
        spec = CatalogSpec.model_validate(raw)
    except ValidationError as exc:
        problems = [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
        raise ValidationFailed(
            f"invalid catalog {source}: " + "; ".join(problems[:5]), problems=problems
        ) from exc
    problems = _duplicates(spec)
    if problems:
        raise ValidationFailed(
            f"invalid catalog {source}: " + "; ".join(problems[:5]), problems=problems
        )
    return spec


def _duplicates(spec: CatalogSpec) -> list[str]:
    """Codes that must be unique (the database enforces it too, less politely)."""
    problems: list[str] = []

    def check(where: str, keys: list[str]) -> None:
        seen: set[str] = set()
        for key in keys:
            if key in seen:
                problems.append(f"{where}: duplicate {key!r}")
            seen.add(key)

    check("products", [p.code for p in spec.products])
    check("cutoffs", [c.rail for c in spec.cutoffs])
    for p in spec.products:
        check(f"{p.code}.rates", [f"{r.code}/{r.tier}" if r.tier else r.code for r in p.rates])
        check(f"{p.code}.fees", [f.code for f in p.fees])
        check(f"{p.code}.limits", [lim.code for lim in p.limits])
        if p.currency not in CURRENCY_EXPONENTS:
            problems.append(f"{p.code}.currency: unsupported currency {p.currency!r}")
    return problems


def load_catalog(conn: Connection, spec: CatalogSpec) -> None:
    """Replace the catalog in the database with `spec` (products are upserted by code)."""
    existing = set(conn.execute(select(products_t.c.code)).scalars())
    loaded = [p.code for p in spec.products]
    # Products dropped from the file keep their terms: accounts may still hold them.
    for table in (rates_t, fees_t, limits_t):
        conn.execute(delete(table).where(table.c.product_code.in_(loaded)))
    conn.execute(delete(cutoffs_t))
    for product in spec.products:
        values = {
            "name": product.name,
            "kind": product.kind,
            "currency": product.currency,
            "description": product.description,
            "version": spec.version,
            "effective_date": spec.effective_date,
            "active": True,
        }
        if product.code in existing:
            conn.execute(
                products_t.update().where(products_t.c.code == product.code).values(values)
            )
        else:
            conn.execute(insert(products_t).values(code=product.code, **values))
        cur = product.currency
        if product.rates:
            conn.execute(
                insert(rates_t),
                [
                    {
                        "product_code": product.code,
                        "rate_code": r.code,
                        "tier": r.tier,
                        "percent": r.percent,
                        "variable": r.variable,
                        "min_balance_minor": None
                        if r.min_balance is None
                        else to_minor(r.min_balance, cur, positive=False),
                        "description": r.description,
                    }
                    for r in product.rates
                ],
            )
        if product.fees:
            conn.execute(
                insert(fees_t),
                [
                    {
                        "product_code": product.code,
                        "fee_code": f.code,
                        "amount_minor": None
                        if f.amount is None
                        else to_minor(f.amount, cur, positive=False),
                        "percent": f.percent,
                        "description": f.description,
                        "waiver": f.waiver,
                    }
                    for f in product.fees
                ],
            )
        if product.limits:
            conn.execute(
                insert(limits_t),
                [
                    {
                        "product_code": product.code,
                        "limit_code": lim.code,
                        "amount_minor": None
                        if lim.amount is None
                        else to_minor(lim.amount, cur, positive=False),
                        "count": lim.count,
                        "period": lim.period,
                        "description": lim.description,
                    }
                    for lim in product.limits
                ],
            )
    retired = existing - {p.code for p in spec.products}
    if retired:
        conn.execute(products_t.update().where(products_t.c.code.in_(retired)).values(active=False))
    if spec.cutoffs:
        conn.execute(insert(cutoffs_t), [c.model_dump() for c in spec.cutoffs])


# ------------------------------------------------------------------ read model


@dataclass(frozen=True)
class Rate:
    code: str
    tier: str
    percent: Decimal
    variable: bool
    min_balance: Decimal | None
    description: str


@dataclass(frozen=True)
class Fee:
    code: str
    amount: Decimal | None
    percent: Decimal | None
    description: str
    waiver: str


@dataclass(frozen=True)
class Limit:
    code: str
    amount: Decimal | None
    count: int | None
    period: str
    description: str


@dataclass(frozen=True)
class ProductInfo:
    code: str
    name: str
    kind: AccountKind
    currency: str
    description: str
    version: str
    effective_date: date
    active: bool
    rates: tuple[Rate, ...] = ()
    fees: tuple[Fee, ...] = ()
    limits: tuple[Limit, ...] = ()

    def rate(self, code: str, tier: str = "") -> Rate:
        for rate in self.rates:
            if rate.code == code and rate.tier == tier:
                return rate
        raise NotFound(f"{self.code} has no rate {code!r} tier {tier!r}", product=self.code)

    def fee(self, code: str) -> Fee:
        for fee in self.fees:
            if fee.code == code:
                return fee
        raise NotFound(f"{self.code} has no fee {code!r}", product=self.code)

    def limit(self, code: str) -> Limit:
        for lim in self.limits:
            if lim.code == code:
                return lim
        raise NotFound(f"{self.code} has no limit {code!r}", product=self.code)

    def has_fee(self, code: str) -> bool:
        return any(f.code == code for f in self.fees)


@dataclass(frozen=True)
class Cutoff:
    rail: str
    local_time: str
    timezone: str
    business_days_only: bool
    description: str


@dataclass(frozen=True)
class Catalog:
    """The catalog as read from the database; immutable, safe to share between threads."""

    products: dict[str, ProductInfo] = field(default_factory=dict)
    cutoffs: dict[str, Cutoff] = field(default_factory=dict)

    def product(self, code: str) -> ProductInfo:
        try:
            return self.products[code]
        except KeyError:
            raise NotFound("product not found", product=code) from None

    def of_kind(self, kind: AccountKind) -> list[ProductInfo]:
        return [p for p in self.products.values() if p.kind == kind and p.active]

    def cutoff(self, rail: str) -> Cutoff:
        try:
            return self.cutoffs[rail]
        except KeyError:
            raise NotFound("no cut-off time for this payment rail", rail=rail) from None


def read_catalog(engine: Engine | Connection) -> Catalog:
    """Read the whole catalog (a few dozen rows) in one go."""
    if isinstance(engine, Engine):
        with engine.connect() as conn:
            return read_catalog(conn)
    conn = engine
    product_rows = list(conn.execute(select(products_t).order_by(products_t.c.code)))
    currency_of = {p.code: p.currency for p in product_rows}
    rates: dict[str, list[Rate]] = {}
    for r in conn.execute(select(rates_t).order_by(rates_t.c.id)):
        currency = currency_of[r.product_code]
        rates.setdefault(r.product_code, []).append(
            Rate(
                r.rate_code,
                r.tier,
                r.percent,
                r.variable,
                None if r.min_balance_minor is None else from_minor(r.min_balance_minor, currency),
                r.description,
            )
        )
    fees: dict[str, list[Fee]] = {}
    for f in conn.execute(select(fees_t).order_by(fees_t.c.id)):
        currency = currency_of[f.product_code]
        fees.setdefault(f.product_code, []).append(
            Fee(
                f.fee_code,
                None if f.amount_minor is None else from_minor(f.amount_minor, currency),
                f.percent,
                f.description,
                f.waiver,
            )
        )
    limits: dict[str, list[Limit]] = {}
    for lim in conn.execute(select(limits_t).order_by(limits_t.c.id)):
        currency = currency_of[lim.product_code]
        limits.setdefault(lim.product_code, []).append(
            Limit(
                lim.limit_code,
                None if lim.amount_minor is None else from_minor(lim.amount_minor, currency),
                lim._mapping["count"],
                lim.period,
                lim.description,
            )
        )
    products = {
        p.code: ProductInfo(
            code=p.code,
            name=p.name,
            kind=AccountKind(p.kind),
            currency=p.currency,
            description=p.description,
            version=p.version,
            effective_date=p.effective_date,
            active=p.active,
            rates=tuple(rates.get(p.code, ())),
            fees=tuple(fees.get(p.code, ())),
            limits=tuple(limits.get(p.code, ())),
        )
        for p in product_rows
    }
    cutoffs = {
        c.rail: Cutoff(c.rail, c.local_time, c.timezone, c.business_days_only, c.description)
        for c in conn.execute(select(cutoffs_t).order_by(cutoffs_t.c.rail))
    }
    return Catalog(products, cutoffs)


def catalog_numbers(catalog: Catalog) -> dict[str, Any]:
    """Every quotable figure keyed by a dotted path (for displays and grounding checks)."""
    out: dict[str, Any] = {}
    for p in catalog.products.values():
        for r in p.rates:
            out[f"{p.code}.rate.{r.code}{'.' + r.tier if r.tier else ''}"] = r.percent
        for f in p.fees:
            if f.amount is not None:
                out[f"{p.code}.fee.{f.code}.amount"] = f.amount
            if f.percent is not None:
                out[f"{p.code}.fee.{f.code}.percent"] = f.percent
        for lim in p.limits:
            out[f"{p.code}.limit.{lim.code}"] = lim.amount if lim.amount is not None else lim.count
    return out
