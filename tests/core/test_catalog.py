"""The product catalog: file validation, exact figures, database round trip and reloads."""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import Engine, func, select

from openteller.core.catalog import (
    CatalogSpec,
    catalog_numbers,
    load_catalog,
    products_t,
    read_catalog,
    read_spec,
)
from openteller.core.errors import InvalidState, NotFound, ValidationFailed
from openteller.core.models import AccountKind
from tests.conftest import Bank

PRODUCT_CODES = [
    "everyday_checking",
    "premier_checking",
    "high_yield_savings",
    "cashback_credit_card",
    "personal_loan",
]


def _write(tmp_path: Path, data: Any, name: str = "catalog.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _packaged_as_dict() -> dict[str, Any]:
    data: dict[str, Any] = read_spec().model_dump(mode="json")
    return data


# ---------------------------------------------------------------- packaged file


def test_packaged_catalog_counts_and_figures() -> None:
    spec = read_spec()
    assert spec.version == "2026.11"
    assert spec.effective_date == date(2026, 11, 1)
    assert [p.code for p in spec.products] == PRODUCT_CODES
    assert [c.rail for c in spec.cutoffs] == [
        "internal",
        "ach",
        "wire",
        "bill_pay",
        "mobile_deposit",
    ]
    assert sum(len(p.rates) for p in spec.products) == 13
    assert sum(len(p.fees) for p in spec.products) == 24
    assert sum(len(p.limits) for p in spec.products) == 26
    products = {p.code: p for p in spec.products}
    overdraft = next(f for f in products["everyday_checking"].fees if f.code == "overdraft")
    assert overdraft.amount == Decimal("35.00")
    apy = next(r for r in products["high_yield_savings"].rates if r.code == "apy" and r.tier == "")
    assert (apy.percent, apy.min_balance, apy.variable) == (
        Decimal("4.10"),
        Decimal("100.00"),
        True,
    )
    tier_b = next(
        r
        for r in products["cashback_credit_card"].rates
        if (r.code, r.tier) == ("purchase_apr", "B")
    )
    assert tier_b.percent == Decimal("24.49")
    origination = next(f for f in products["personal_loan"].fees if f.code == "origination")
    assert (origination.percent, origination.amount) == (Decimal("1.00"), None)
    ach = next(c for c in spec.cutoffs if c.rail == "ach")
    assert (ach.local_time, ach.timezone, ach.business_days_only) == (
        "17:00",
        "America/New_York",
        True,
    )
    assert [p.kind for p in spec.products] == [
        AccountKind.CHECKING,
        AccountKind.CHECKING,
        AccountKind.SAVINGS,
        AccountKind.CREDIT_CARD,
        AccountKind.LOAN,
    ]


# ------------------------------------------------------------------ bad files

MINIMAL: dict[str, Any] = {
    "version": "1",
    "effective_date": "2026-01-01",
    "products": [
        {
            "code": "basic_checking",
            "name": "Basic Checking",
            "kind": "checking",
            "currency": "USD",
            "description": "A basic account.",
            "rates": [{"code": "apy", "percent": "0.01"}],
            "fees": [{"code": "overdraft", "amount": "35.00", "description": "Overdraft fee."}],
            "limits": [{"code": "atm_daily", "amount": "500.00", "description": "ATM per day."}],
        }
    ],
    "cutoffs": [
        {
            "rail": "ach",
            "local_time": "17:00",
            "timezone": "America/New_York",
            "description": "ACH cut-off.",
        }
    ],
}


def _minimal(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(MINIMAL)
    product = data["products"][0]
    for key, value in changes.items():
        where, _, field = key.partition("__")
        if where == "product":
            product[field] = value
        elif where in ("rate", "fee", "limit"):
            product[where + "s"][0][field] = value
        elif where == "cutoff":
            data["cutoffs"][0][field] = value
        else:
            data[key] = value
    return data


def test_minimal_catalog_is_valid(tmp_path: Path) -> None:
    spec = read_spec(_write(tmp_path, MINIMAL))
    assert [p.code for p in spec.products] == ["basic_checking"]
    assert spec.products[0].fees[0].amount == Decimal("35.00")


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"product__colour": "red"}, "products.0.colour: Extra inputs are not permitted"),
        ({"owner": "me"}, "owner: Extra inputs are not permitted"),
        ({"fee__waived": True}, "products.0.fees.0.waived: Extra inputs are not permitted"),
        (
            {"product__code": "Basic-Checking"},
            "products.0.code: String should match pattern '^[a-z][a-z0-9_]{1,39}$'",
        ),
        (
            {"product__code": "x"},
            "products.0.code: String should match pattern '^[a-z][a-z0-9_]{1,39}$'",
        ),
        (
            {"fee__amount": "-1.00"},
            "products.0.fees.0.amount: Input should be greater than or equal to 0",
        ),
        (
            {"limit__amount": "-0.01"},
            "products.0.limits.0.amount: Input should be greater than or equal to 0",
        ),
        (
            {"rate__percent": "100.01"},
            "products.0.rates.0.percent: Input should be less than or equal to 100",
        ),
        (
            {"fee__percent": "150"},
            "products.0.fees.0.percent: Input should be less than or equal to 100",
        ),
        (
            {"rate__percent": "-0.5"},
            "products.0.rates.0.percent: Input should be greater than or equal to 0",
        ),
        (
            {"cutoff__local_time": "25:00"},
            "cutoffs.0.local_time: String should match pattern '^([01]\\d|2[0-3]):[0-5]\\d$'",
        ),
        (
            {"cutoff__local_time": "9:30"},
            "cutoffs.0.local_time: String should match pattern '^([01]\\d|2[0-3]):[0-5]\\d$'",
        ),
        (
            {"product__kind": "settlement"},
            "products.0.kind: Value error, a product must be a customer account kind, "
            "not settlement",
        ),
        (
            {"product__kind": "equity"},
            "products.0.kind: Value error, a product must be a customer account kind, not equity",
        ),
        (
            {"product__currency": "usd"},
            "products.0.currency: String should match pattern '^[A-Z]{3}$'",
        ),
    ],
)
def test_invalid_catalog_names_the_problem(
    tmp_path: Path, changes: dict[str, Any], problem: str
) -> None:
    path = _write(tmp_path, _minimal(**changes))
    with pytest.raises(ValidationFailed) as err:
        read_spec(path)
    assert err.value.details["problems"] == [problem]
    assert err.value.message == f"invalid catalog {path}: {problem}"
    assert err.value.http_status == 422


def test_missing_required_fields_are_all_listed(tmp_path: Path) -> None:
    data = _minimal()
    del data["products"][0]["name"]
    del data["products"][0]["fees"][0]["description"]
    del data["version"]
    with pytest.raises(ValidationFailed) as err:
        read_spec(_write(tmp_path, data))
    assert sorted(err.value.details["problems"]) == [
        "products.0.fees.0.description: Field required",
        "products.0.name: Field required",
        "version: Field required",
    ]


def test_duplicate_product_codes_are_refused(tmp_path: Path) -> None:
    data = _minimal()
    data["products"].append(copy.deepcopy(data["products"][0]))
    data["products"][1]["name"] = "Another"
    with pytest.raises(ValidationFailed, match="products: duplicate 'basic_checking'") as err:
        read_spec(_write(tmp_path, data))
    assert err.value.details == {"problems": ["products: duplicate 'basic_checking'"]}


@pytest.mark.parametrize(
    ("content", "what"),
    [
        (None, "missing file"),
        (b"products: [unclosed\n", "YAML syntax error"),
        (b"version: '1'\n  bad indent: : :\n", "YAML syntax error"),
    ],
)
def test_unreadable_file_is_refused(tmp_path: Path, content: bytes | None, what: str) -> None:
    path = tmp_path / "catalog.yaml"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ValidationFailed, match="cannot read catalog") as err:
        read_spec(path)
    assert str(path) in err.value.message, what


def test_directory_and_empty_file_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationFailed, match="cannot read catalog"):
        read_spec(tmp_path)
    empty = tmp_path / "empty.yaml"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(ValidationFailed, match="invalid catalog"):
        read_spec(empty)
    listing = tmp_path / "list.yaml"
    listing.write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(ValidationFailed, match="invalid catalog"):
        read_spec(listing)


def test_non_utf8_file_is_refused_as_validation_failure(tmp_path: Path) -> None:
    # read_text(encoding="utf-8") raises UnicodeDecodeError: reported, not a traceback.
    path = tmp_path / "latin1.yaml"
    path.write_bytes(yaml.safe_dump(MINIMAL).replace("Basic", "B\u00e1sic").encode("latin-1"))
    with pytest.raises(ValidationFailed, match="cannot read catalog"):
        read_spec(path)


@pytest.mark.parametrize(
    ("section", "key"),
    [("rates", "code"), ("fees", "code"), ("limits", "code"), ("cutoffs", "rail")],
)
def test_duplicate_codes_inside_a_product_are_refused(
    tmp_path: Path, section: str, key: str
) -> None:
    # Two fees (or limits, or rates of one tier, or cut-offs of one rail) with one code
    # are refused by read_spec, before the database's unique constraints could object.
    data = _minimal()
    items = data["cutoffs"] if section == "cutoffs" else data["products"][0][section]
    twin = copy.deepcopy(items[0])
    items.append(twin)
    assert items[0][key] == items[1][key]
    with pytest.raises(ValidationFailed):
        read_spec(_write(tmp_path, data))


# ------------------------------------------------------------- database round trip

EXOTIC: dict[str, Any] = {
    "version": "x.1",
    "effective_date": "2027-02-28",
    "products": [
        {
            "code": "yen_savings",
            "name": "Yen Savings",
            "kind": "savings",
            "currency": "JPY",
            "description": "Yen account.",
            "rates": [
                {"code": "apy", "percent": "0.125", "min_balance": "10000", "variable": True},
                {"code": "apy", "tier": "low", "percent": "0", "description": "Under 10,000."},
            ],
            "fees": [{"code": "wire", "amount": "1500", "description": "Wire fee."}],
            "limits": [
                {"code": "daily", "amount": "1000000", "period": "day", "description": "Per day."},
                {"code": "withdrawals", "count": 3, "period": "month", "description": "Count."},
            ],
        },
        {
            "code": "dinar_checking",
            "name": "Dinar Checking",
            "kind": "checking",
            "currency": "KWD",
            "description": "Dinar account.",
            "rates": [{"code": "apy", "tier": "gold", "percent": "99.999"}],
            "fees": [
                {"code": "monthly", "amount": "1.250", "description": "Monthly.", "waiver": "w"},
                {"code": "fx", "percent": "2.75", "amount": "0.005", "description": "FX."},
            ],
        },
    ],
    "cutoffs": [
        {
            "rail": "wire",
            "local_time": "09:30",
            "timezone": "Asia/Tokyo",
            "business_days_only": False,
            "description": "Wires.",
        }
    ],
}


def _assert_round_trip(engine: Engine, spec: CatalogSpec) -> None:
    catalog = read_catalog(engine)
    assert sorted(catalog.products) == sorted(p.code for p in spec.products)
    for p in spec.products:
        info = catalog.product(p.code)
        assert (info.name, info.kind, info.currency, info.description) == (
            p.name,
            p.kind,
            p.currency,
            p.description,
        )
        assert (info.version, info.effective_date, info.active) == (
            spec.version,
            spec.effective_date,
            True,
        )
        assert [
            (r.code, r.tier, str(r.percent), r.variable, r.min_balance, r.description)
            for r in info.rates
        ] == [
            (r.code, r.tier, str(r.percent), r.variable, r.min_balance, r.description)
            for r in p.rates
        ]
        assert [(f.code, f.amount, f.percent, f.description, f.waiver) for f in info.fees] == [
            (f.code, f.amount, f.percent, f.description, f.waiver) for f in p.fees
        ]
        # Amounts come back with exactly the digits the file gave.
        assert [str(f.amount) for f in info.fees] == [str(f.amount) for f in p.fees]
        assert [str(f.percent) for f in info.fees] == [str(f.percent) for f in p.fees]
        assert [
            (lim.code, lim.amount, str(lim.amount), lim.count, lim.period, lim.description)
            for lim in info.limits
        ] == [
            (lim.code, lim.amount, str(lim.amount), lim.count, lim.period, lim.description)
            for lim in p.limits
        ]
    assert sorted(catalog.cutoffs) == sorted(c.rail for c in spec.cutoffs)
    for c in spec.cutoffs:
        got = catalog.cutoff(c.rail)
        assert (got.local_time, got.timezone, got.business_days_only, got.description) == (
            c.local_time,
            c.timezone,
            c.business_days_only,
            c.description,
        )


def test_packaged_catalog_round_trips_exactly(engine: Engine) -> None:
    spec = read_spec()
    with engine.begin() as conn:
        load_catalog(conn, spec)
    _assert_round_trip(engine, spec)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(products_t)).scalar_one() == 5


def test_other_currencies_round_trip_exactly(engine: Engine, tmp_path: Path) -> None:
    spec = read_spec(_write(tmp_path, EXOTIC))
    with engine.begin() as conn:
        load_catalog(conn, spec)
    _assert_round_trip(engine, spec)
    catalog = read_catalog(engine)
    yen = catalog.product("yen_savings")
    assert str(yen.fee("wire").amount) == "1500"
    assert str(yen.rate("apy").min_balance) == "10000"
    assert yen.limit("withdrawals").count == 3
    dinar = catalog.product("dinar_checking")
    assert str(dinar.fee("monthly").amount) == "1.250"
    assert str(dinar.fee("fx").amount) == "0.005"
    assert str(dinar.rate("apy", "gold").percent) == "99.999"


def test_read_model_lookups(bank: Bank) -> None:
    catalog = read_catalog(bank.engine)
    checking = catalog.product("everyday_checking")
    assert checking.fee("overdraft").amount == Decimal("35.00")
    assert checking.limit("overdraft_limit").amount == Decimal("500.00")
    assert checking.rate("apy").percent == Decimal("0.01")
    assert checking.has_fee("overdraft") is True
    assert checking.has_fee("annual") is False
    card = catalog.product("cashback_credit_card")
    assert card.rate("purchase_apr", "B").percent == Decimal("24.49")
    assert card.fee("cash_advance").percent == Decimal("5.00")
    assert card.fee("cash_advance").amount == Decimal("10.00")
    savings = catalog.product("high_yield_savings")
    assert savings.limit("withdrawals_per_cycle").count == 6
    assert savings.limit("withdrawals_per_cycle").amount is None
    assert catalog.cutoff("ach").local_time == "17:00"
    assert catalog.cutoff("wire").local_time == "16:00"
    for lookup in (
        lambda: card.rate("purchase_apr"),  # tiered rate: no untiered row
        lambda: card.rate("purchase_apr", "Z"),
        lambda: checking.rate("cash_advance_apr"),
        lambda: checking.fee("annual"),
        lambda: checking.limit("credit_limit_max"),
        lambda: catalog.product("gold_checking"),
        lambda: catalog.cutoff("swift"),
    ):
        with pytest.raises(NotFound):
            lookup()
    assert [p.code for p in catalog.of_kind(AccountKind.CHECKING)] == [
        "everyday_checking",
        "premier_checking",
    ]
    assert [p.code for p in catalog.of_kind(AccountKind.SAVINGS)] == ["high_yield_savings"]
    assert [p.code for p in catalog.of_kind(AccountKind.LOAN)] == ["personal_loan"]
    assert catalog.of_kind(AccountKind.SETTLEMENT) == []


def test_catalog_numbers(bank: Bank) -> None:
    numbers = catalog_numbers(read_catalog(bank.engine))
    expected = {
        "everyday_checking.fee.overdraft.amount": Decimal("35.00"),
        "everyday_checking.fee.foreign_transaction.percent": Decimal("3.00"),
        "everyday_checking.limit.overdraft_limit": Decimal("500.00"),
        "premier_checking.fee.monthly_maintenance.amount": Decimal("25.00"),
        "high_yield_savings.rate.apy": Decimal("4.10"),
        "high_yield_savings.rate.apy.below_minimum": Decimal("0.10"),
        "high_yield_savings.limit.withdrawals_per_cycle": 6,
        "cashback_credit_card.rate.purchase_apr.B": Decimal("24.49"),
        "cashback_credit_card.fee.annual.amount": Decimal("0.00"),
        "cashback_credit_card.fee.balance_transfer.percent": Decimal("3.00"),
        "cashback_credit_card.fee.balance_transfer.amount": Decimal("5.00"),
        "personal_loan.rate.interest_rate.B": Decimal("12.99"),
        "personal_loan.fee.origination.percent": Decimal("1.00"),
        "personal_loan.limit.amount_max": Decimal("50000.00"),
        "personal_loan.limit.term_max_months": 72,
    }
    for key, value in expected.items():
        assert numbers[key] == value, key
        assert str(numbers[key]) == str(value), key
    assert "personal_loan.fee.origination.amount" not in numbers
    # 13 rates + 26 fee figures (19 amounts, 3 percents, 2 fees with both) + 26 limits.
    assert len(numbers) == 65


def test_reload_updates_values_and_retires_removed_products(bank: Bank, tmp_path: Path) -> None:
    alice = bank.customer("alice")
    premier = bank.account(alice, "premier_checking")
    data = _packaged_as_dict()
    data["version"] = "2027.01"
    data["effective_date"] = "2027-01-01"
    data["products"] = [p for p in data["products"] if p["code"] != "premier_checking"]
    checking = data["products"][0]
    next(f for f in checking["fees"] if f["code"] == "overdraft")["amount"] = "36.50"
    data["cutoffs"] = [c for c in data["cutoffs"] if c["rail"] != "wire"]
    with bank.engine.begin() as conn:
        load_catalog(conn, read_spec(_write(tmp_path, data, "v2.yaml")))
    catalog = read_catalog(bank.engine)
    assert catalog.product("everyday_checking").fee("overdraft").amount == Decimal("36.50")
    assert catalog.product("everyday_checking").version == "2027.01"
    assert catalog.product("everyday_checking").effective_date == date(2027, 1, 1)
    retired = catalog.product("premier_checking")  # still there: accounts reference it
    assert retired.active is False
    assert retired.version == "2026.11"
    assert [p.code for p in catalog.of_kind(AccountKind.CHECKING)] == ["everyday_checking"]
    assert sorted(catalog.cutoffs) == ["ach", "bill_pay", "internal", "mobile_deposit"]
    assert catalog_numbers(catalog)["everyday_checking.fee.overdraft.amount"] == Decimal("36.50")
    with pytest.raises(InvalidState):
        bank.account(alice, "premier_checking")
    assert bank.ledger.balance(premier).currency == "USD"  # the old account is untouched
    # Putting the product back offers it again, with the file's figures.
    with bank.engine.begin() as conn:
        load_catalog(conn, read_spec())
    catalog = read_catalog(bank.engine)
    assert catalog.product("premier_checking").active is True
    assert catalog.product("premier_checking").fee("monthly_maintenance").amount == Decimal("25.00")
    assert catalog.product("everyday_checking").fee("overdraft").amount == Decimal("35.00")
    assert [p.code for p in catalog.of_kind(AccountKind.CHECKING)] == [
        "everyday_checking",
        "premier_checking",
    ]
    assert bank.account(alice, "premier_checking") != premier
