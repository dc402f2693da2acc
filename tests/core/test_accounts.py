"""Customers, accounts, bank accounts, payees and the check-digit schemes, on both backends."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, func, select

from openteller.core.accounts import (
    BANK_ACCOUNTS,
    NewCustomer,
    _aba_valid,
    aba_check_digit,
    accounts_t,
    add_payee,
    bank_account,
    create_customer,
    customers_t,
    luhn_check_digit,
    luhn_valid,
    open_account,
    payees_t,
    set_account_status,
)
from openteller.core.catalog import load_catalog, read_spec
from openteller.core.errors import (
    AlreadyExists,
    InvalidAmount,
    InvalidState,
    NotFound,
    ValidationFailed,
)
from openteller.core.ledger import HoldRequest, TransferRequest
from openteller.core.models import AccountKind, AccountStatus
from tests.conftest import NOW, Bank, luhn_ok


def _count(conn: Connection, table: Any) -> int:
    return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def _account(conn: Connection, account_id: int) -> Any:
    return conn.execute(select(accounts_t).where(accounts_t.c.id == account_id)).one()


# ---------------------------------------------------------------- check digits


@pytest.mark.parametrize(
    ("payload", "check"),
    [
        ("7992739871", "3"),  # the textbook example: 79927398713
        ("411111111111111", "1"),  # Visa test card 4111 1111 1111 1111
        ("555555555555444", "4"),  # Mastercard test card 5555 5555 5555 4444
        ("37828224631000", "5"),  # Amex test card 3782 822463 10005
        ("", "0"),
        ("0", "0"),
        ("1", "8"),  # 1 doubled = 2, 2 + 8 = 10
    ],
)
def test_luhn_check_digit_known_vectors(payload: str, check: str) -> None:
    assert luhn_check_digit(payload) == check
    assert luhn_valid(payload + check)
    assert luhn_ok(payload + check)
    wrong = str((int(check) + 1) % 10)
    assert not luhn_valid(payload + wrong)


@pytest.mark.parametrize("number", ["", "abc", "4111 1111 1111 1111", "4111-1111-1111-1111"])
def test_luhn_valid_refuses_non_digits(number: str) -> None:
    assert luhn_valid(number) is False


# ABA routing numbers: 3*(d1+d4+d7) + 7*(d2+d5+d8) + (d3+d6+d9) must be a multiple of 10.
#   011000015 (Federal Reserve Bank of Boston): 3*(0+0+0) + 7*(1+0+1) + (1+0+5) = 0+14+6 = 20
#   021000021 (JPMorgan Chase, New York):       3*(0+0+0) + 7*(2+0+2) + (1+0+1) = 0+28+2 = 30
#   026009593 (Bank of America, New York):      3*(0+0+5) + 7*(2+0+9) + (6+9+3) = 15+77+18 = 110
#   121000248 (Wells Fargo, San Francisco):     3*(1+0+2) + 7*(2+0+4) + (1+0+8) = 9+42+9 = 60
KNOWN_ROUTING = ["011000015", "021000021", "026009593", "121000248"]


@pytest.mark.parametrize("routing", KNOWN_ROUTING)
def test_aba_checksum_on_real_routing_numbers(routing: str) -> None:
    assert _aba_valid(routing) is True
    assert aba_check_digit(routing[:8]) == routing[8]
    for wrong in "0123456789":
        if wrong != routing[8]:
            assert _aba_valid(routing[:8] + wrong) is False


def test_aba_check_digit_zero_case() -> None:
    # 3*(1+0+0) + 7*(0+0+0) + (0+0) = 3 -> check digit 7; 0000000 -> 0.
    assert aba_check_digit("10000000") == "7"
    assert aba_check_digit("00000000") == "0"


# ------------------------------------------------------------------- customers


def test_duplicate_username_is_refused(bank: Bank) -> None:
    first = bank.customer("alice")
    with pytest.raises(AlreadyExists) as err:
        bank.customer("alice")
    assert err.value.details == {"username": "alice"}
    assert err.value.http_status == 409
    other = bank.customer("bob")
    assert other != first
    with bank.engine.connect() as conn:
        assert _count(conn, customers_t) == 2
        row = conn.execute(select(customers_t).where(customers_t.c.id == first)).one()
    assert row.full_name == "Alice"
    assert row.date_of_birth == date(1990, 1, 1)
    assert row.created_at == bank.clock.now()


# -------------------------------------------------------------------- accounts


def test_open_account_refusals_write_nothing(bank: Bank) -> None:
    alice = bank.customer("alice")
    now = bank.clock.now()
    with bank.engine.begin() as conn:
        before = _count(conn, accounts_t)
        with pytest.raises(NotFound) as unknown_product:
            open_account(
                conn, customer_id=alice, product_code="gold_checking", now=now, rng=bank.rng
            )
        assert unknown_product.value.details == {"product": "gold_checking"}
        with pytest.raises(NotFound) as unknown_customer:
            open_account(
                conn,
                customer_id=alice + 1000,
                product_code="everyday_checking",
                now=now,
                rng=bank.rng,
            )
        assert unknown_customer.value.details == {"customer_id": alice + 1000}
        with pytest.raises(ValidationFailed, match="floor"):
            open_account(
                conn,
                customer_id=alice,
                product_code="everyday_checking",
                now=now,
                rng=bank.rng,
                floor=Decimal("0.01"),
            )
        with pytest.raises(InvalidAmount):
            open_account(
                conn,
                customer_id=alice,
                product_code="everyday_checking",
                now=now,
                rng=bank.rng,
                floor=Decimal("-0.001"),
            )
        assert _count(conn, accounts_t) == before


def test_retired_product_cannot_be_opened(bank: Bank) -> None:
    alice = bank.customer("alice")
    spec = read_spec()
    kept = [p for p in spec.products if p.code != "premier_checking"]
    with bank.engine.begin() as conn:
        load_catalog(conn, spec.model_copy(update={"products": kept}))
    with bank.engine.begin() as conn, pytest.raises(InvalidState) as err:
        open_account(
            conn,
            customer_id=alice,
            product_code="premier_checking",
            now=bank.clock.now(),
            rng=bank.rng,
        )
    assert err.value.details == {"product": "premier_checking"}
    assert err.value.http_status == 409
    # Still offered products open as before.
    assert bank.account(alice, "everyday_checking") > 0


def test_account_numbers_floors_and_fields(bank: Bank) -> None:
    alice = bank.customer("alice")
    opened = {
        "everyday_checking": (bank.account(alice, "everyday_checking", "-500.00"), "1"),
        "high_yield_savings": (bank.account(alice, "high_yield_savings"), "2"),
        "cashback_credit_card": (bank.account(alice, "cashback_credit_card", "-2500.50"), "3"),
        "personal_loan": (bank.account(alice, "personal_loan", "-0.01"), "4"),
    }
    with bank.engine.begin() as conn:
        no_floor = open_account(
            conn,
            customer_id=alice,
            product_code="premier_checking",
            now=bank.clock.now(),
            rng=bank.rng,
            name="Bills",
            floor=None,
        )
    with bank.engine.connect() as conn:
        rows = {code: _account(conn, account_id) for code, (account_id, _) in opened.items()}
        unfloored = _account(conn, no_floor)
    for code, (_, prefix) in opened.items():
        number = rows[code].number
        assert re.fullmatch(r"\d{10}", number), number
        assert number[0] == prefix
        assert luhn_valid(number)
        assert luhn_ok(number)
        assert rows[code].customer_id == alice
        assert rows[code].product_code == code
        assert rows[code].currency == "USD"
        assert rows[code].status == AccountStatus.OPEN
        assert rows[code].balance_minor == 0
        assert rows[code].held_minor == 0
        assert rows[code].opened_at == bank.clock.now()
        assert rows[code].closed_at is None
    assert len({row.number for row in rows.values()}) == 4
    assert {code: rows[code].kind for code in rows} == {
        "everyday_checking": AccountKind.CHECKING,
        "high_yield_savings": AccountKind.SAVINGS,
        "cashback_credit_card": AccountKind.CREDIT_CARD,
        "personal_loan": AccountKind.LOAN,
    }
    assert {code: rows[code].min_balance_minor for code in rows} == {
        "everyday_checking": -50000,
        "high_yield_savings": 0,
        "cashback_credit_card": -250050,
        "personal_loan": -1,
    }
    assert rows["everyday_checking"].name == "Everyday Checking"
    assert unfloored.min_balance_minor is None
    assert unfloored.name == "Bills"
    assert unfloored.number[0] == "1"


def test_bank_account_is_opened_once_per_code_and_currency(bank: Bank) -> None:
    now = bank.clock.now()
    with bank.engine.begin() as conn:
        assert bank_account(conn, "settlement:ach", "USD", now) == bank.settlement
        fee_usd = bank_account(conn, "fee_income", "USD", now)
        assert bank_account(conn, "fee_income", "USD", now) == fee_usd
        fee_eur = bank_account(conn, "fee_income", "EUR", now)
        assert fee_eur != fee_usd
        with pytest.raises(NotFound) as err:
            bank_account(conn, "settlement:swift", "USD", now)
        assert err.value.details == {"code": "settlement:swift"}
        assert _count(conn, accounts_t) == 3
        row = _account(conn, fee_usd)
        eur = _account(conn, fee_eur)
    assert row.system_code == "fee_income:USD"
    assert eur.system_code == "fee_income:EUR"
    assert row.kind == AccountKind.FEE_INCOME == BANK_ACCOUNTS["fee_income"][0]
    assert row.name == "Fee income (USD)"
    assert row.customer_id is None
    assert row.product_code is None
    assert row.min_balance_minor is None
    assert eur.currency == "EUR"
    assert row.number != eur.number


def test_account_status_close_rules(bank: Bank) -> None:
    alice = bank.customer("alice")
    funded = bank.account(alice)
    held = bank.account(alice, floor="-100.00")
    empty = bank.account(alice, "high_yield_savings")
    bank.fund(funded, "10.00")
    hold = bank.ledger.place_hold(
        HoldRequest(
            reference="h-close",
            account_id=held,
            counterparty_account_id=bank.settlement,
            amount=Decimal("5.00"),
            currency="USD",
        )
    )
    now = bank.clock.now()
    with bank.engine.begin() as conn:
        with pytest.raises(InvalidState, match="zero balance"):
            set_account_status(conn, funded, AccountStatus.CLOSED, now)
        # A zero balance with a pending hold is not closable either.
        with pytest.raises(InvalidState, match="zero balance"):
            set_account_status(conn, held, AccountStatus.CLOSED, now)
        with pytest.raises(NotFound):
            set_account_status(conn, empty + 1000, AccountStatus.FROZEN, now)
        set_account_status(conn, empty, AccountStatus.FROZEN, now)
        assert _account(conn, empty).status == AccountStatus.FROZEN
        set_account_status(conn, empty, AccountStatus.OPEN, now)
        assert _account(conn, empty).status == AccountStatus.OPEN
        set_account_status(conn, empty, AccountStatus.CLOSED, now)
        closed = _account(conn, empty)
        assert closed.status == AccountStatus.CLOSED
        assert closed.closed_at == now
        for status in (AccountStatus.OPEN, AccountStatus.FROZEN, AccountStatus.CLOSED):
            with pytest.raises(InvalidState, match="closed"):
                set_account_status(conn, empty, status, now)
        assert _account(conn, funded).status == AccountStatus.OPEN
        assert _account(conn, held).status == AccountStatus.OPEN
    # Empty the funded account and release the hold: both can then close.
    bank.ledger.transfer(
        TransferRequest(
            idempotency_key="empty-it",
            debit_account_id=funded,
            credit_account_id=bank.settlement,
            amount=Decimal("10.00"),
            currency="USD",
        )
    )
    bank.ledger.void_hold(hold.id)
    with bank.engine.begin() as conn:
        set_account_status(conn, funded, AccountStatus.CLOSED, now)
        set_account_status(conn, held, AccountStatus.CLOSED, now)
        assert _account(conn, funded).status == AccountStatus.CLOSED
        assert _account(conn, held).status == AccountStatus.CLOSED


# ---------------------------------------------------------------------- payees


def _payee_args(bank: Bank, customer_id: int, **overrides: str) -> dict[str, Any]:
    args: dict[str, Any] = {
        "customer_id": customer_id,
        "name": "Landlord",
        "bank_name": "JPMorgan Chase",
        "routing_number": "021000021",
        "account_last4": "6789",
        "settlement_account_id": bank.settlement,
        "now": bank.clock.now(),
    }
    args.update(overrides)
    return args


def test_add_payee_stores_a_valid_payee(bank: Bank) -> None:
    alice = bank.customer("alice")
    bob = bank.customer("bob")
    with bank.engine.begin() as conn:
        payee = add_payee(conn, **_payee_args(bank, alice, name="  Landlord  "))
        # The same name is fine for another customer, and 120 characters is the limit.
        add_payee(conn, **_payee_args(bank, bob))
        add_payee(conn, **_payee_args(bank, alice, name="x" * 120, routing_number="011000015"))
        row = conn.execute(select(payees_t).where(payees_t.c.id == payee)).one()
        assert _count(conn, payees_t) == 3
    assert row.customer_id == alice
    assert row.name == "Landlord"
    assert row.bank_name == "JPMorgan Chase"
    assert row.routing_number == "021000021"
    assert row.account_last4 == "6789"
    assert row.settlement_account_id == bank.settlement
    assert row.created_at == bank.clock.now()


def test_add_payee_refusals_write_nothing(bank: Bank) -> None:
    alice = bank.customer("alice")
    with bank.engine.begin() as conn:
        add_payee(conn, **_payee_args(bank, alice))
    bad: list[tuple[dict[str, str], str]] = [
        ({"routing_number": "021000022"}, "routing"),  # checksum 31
        ({"routing_number": "011000016"}, "routing"),  # checksum 21
        ({"routing_number": "02100002"}, "routing"),  # 8 digits
        ({"routing_number": "0210000210"}, "routing"),  # 10 digits
        ({"routing_number": "02100002a"}, "routing"),
        ({"routing_number": ""}, "routing"),
        ({"routing_number": "021 00002"}, "routing"),
        ({"account_last4": "123"}, "last4"),
        ({"account_last4": "12345"}, "last4"),
        ({"account_last4": "12a4"}, "last4"),
        ({"account_last4": ""}, "last4"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 121}, "name"),
    ]
    for overrides, what in bad:
        with bank.engine.begin() as conn, pytest.raises(ValidationFailed, match=what):
            add_payee(conn, **_payee_args(bank, alice, **{"name": "Other", **overrides}))
    for name in ("Landlord", " Landlord "):
        with bank.engine.begin() as conn, pytest.raises(AlreadyExists) as err:
            add_payee(conn, **_payee_args(bank, alice, name=name, routing_number="011000015"))
        assert err.value.details == {"name": "Landlord"}
    with bank.engine.connect() as conn:
        assert _count(conn, payees_t) == 1


def test_add_payee_refuses_non_ascii_digits(bank: Bank) -> None:
    # str.isdigit() is True for Unicode digits ("²", Arabic-Indic): only ASCII 0-9 count.
    alice = bank.customer("alice")
    cases = {
        "superscript routing": {"routing_number": "02100002²"},
        "arabic-indic routing": {"routing_number": "٠٢١٠٠٠٠٢١"},  # 021000021
        "arabic-indic last4": {"account_last4": "٦٧٨٩"},
    }
    outcomes: dict[str, str] = {}
    for label, overrides in cases.items():
        try:
            with bank.engine.begin() as conn:
                add_payee(conn, **_payee_args(bank, alice, name=label, **overrides))
            outcomes[label] = "stored"
        except ValidationFailed:
            outcomes[label] = "refused"
        except Exception as exc:
            outcomes[label] = type(exc).__name__
    assert outcomes == dict.fromkeys(cases, "refused")
    with bank.engine.connect() as conn:
        assert _count(conn, payees_t) == 0


def test_new_customer_fields_are_stored(engine: Engine) -> None:
    new = NewCustomer(
        username="carol",
        password_hash="$argon2id$fake",
        full_name="Carol Q. Public",
        email="carol@example.com",
        phone="+1 555 0199",
        date_of_birth=date(1985, 6, 30),
        street="2 Elm St",
        city="Boston",
        state="MA",
        postal_code="02110",
        ssn_last4="9876",
    )
    with engine.begin() as conn:
        customer_id = create_customer(conn, new, NOW)
        row = conn.execute(select(customers_t).where(customers_t.c.id == customer_id)).one()
    assert row.username == "carol"
    assert row.segment == "retail"
    assert row.postal_code == "02110"
    assert row.ssn_last4 == "9876"
    assert row.date_of_birth == date(1985, 6, 30)
    assert row.created_at == NOW
