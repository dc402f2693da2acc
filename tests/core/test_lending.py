"""Loan origination: quotes priced from the catalog, Truth in Lending figures, booked rows.

The level payment and the APR are recomputed here from their closed forms (PMT, and the
Appendix J equation for whole monthly periods solved by bisection), not taken from
openteller.core.loans.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext

import pytest
from sqlalchemy import select

from openteller.core.accounts import accounts_t
from openteller.core.errors import InvalidAmount, NotFound, ValidationFailed
from openteller.core.lending import LoanOffer, loans_t, originate_loan, quote_loan, schedule_t
from openteller.core.loans import monthly_payment
from openteller.core.models import AccountKind, AccountStatus, LoanStatus
from tests.conftest import Bank

CENT = Decimal("0.01")
ADVANCE = date(2026, 11, 15)


def _pmt(principal: Decimal, annual_percent: Decimal, months: int) -> Decimal:
    """PMT = P r / (1 - (1 + r)^-n), r = annual % / 1200, rounded half-up to the cent."""
    with localcontext() as ctx:
        ctx.prec = 60
        r = annual_percent / 1200
        exact = principal * r / (1 - (1 + r) ** -months)
    return exact.quantize(CENT, rounding=ROUND_HALF_UP)


def _monthly_apr(advance: Decimal, payments: list[Decimal]) -> Decimal:
    """APR (percent, 2 decimals) for payments due exactly 1, 2, ... months after the advance.

    Appendix J with a one-month unit period and no odd days: the monthly rate i solves
    advance = sum(P_k / (1 + i)^k); APR = 12 i. Present value falls as i rises, so bisect.
    """
    with localcontext() as ctx:
        ctx.prec = 50

        def pv(i: Decimal) -> Decimal:
            total = Decimal(0)
            factor = Decimal(1)
            for payment in payments:
                factor /= 1 + i
                total += payment * factor
            return total

        low, high = Decimal(0), Decimal("0.1")
        for _ in range(120):
            mid = (low + high) / 2
            if pv(mid) > advance:
                low = mid
            else:
                high = mid
        apr = low * 1200
    return apr.quantize(CENT, rounding=ROUND_HALF_UP)


def _quote(bank: Bank, principal: str, term: int, tier: str = "B") -> LoanOffer:
    with bank.engine.connect() as conn:
        return quote_loan(
            conn,
            product_code="personal_loan",
            principal=Decimal(principal),
            term_months=term,
            tier=tier,
            advance_date=ADVANCE,
        )


def test_quote_refusals(bank: Bank) -> None:
    for principal, term in [("999.99", 36), ("50000.01", 36), ("100", 36), ("1000000", 36)]:
        with pytest.raises(
            ValidationFailed, match=re.escape("between 1000.00 and 50000.00")
        ) as err:
            _quote(bank, principal, term)
        assert err.value.details == {"amount": principal}
    for term in (11, 73, 0, -12, 120):
        with pytest.raises(ValidationFailed, match="between 12 and 72 months") as err:
            _quote(bank, "10000.00", term)
        assert err.value.details == {"term": term}
    for principal in ("0", "-5000.00", "10000.001"):
        with pytest.raises(InvalidAmount):
            _quote(bank, principal, 36)
    with pytest.raises(NotFound, match="interest_rate") as missing:
        _quote(bank, "10000.00", 36, tier="E")
    assert missing.value.details == {"product": "personal_loan"}
    with pytest.raises(NotFound):
        _quote(bank, "10000.00", 36, tier="")
    with bank.engine.connect() as conn, pytest.raises(NotFound):
        quote_loan(
            conn,
            product_code="auto_loan",
            principal=Decimal("10000.00"),
            term_months=36,
            tier="B",
            advance_date=ADVANCE,
        )


def test_quote_10000_over_36_months_tier_b(bank: Bank) -> None:
    offer = _quote(bank, "10000.00", 36)
    assert offer.annual_rate == Decimal("12.99")
    assert offer.origination_fee == Decimal("100.00")
    assert offer.first_payment_date == date(2026, 12, 15)
    payment = _pmt(Decimal("10000.00"), Decimal("12.99"), 36)
    assert payment == Decimal("336.89")
    assert monthly_payment(Decimal("10000.00"), Decimal("12.99"), 36) == payment
    tila = offer.disclosure
    assert tila.payment == payment
    assert tila.number_of_payments == 36
    assert tila.annual_rate == Decimal("12.99")
    assert tila.amount_financed == Decimal("9900.00")
    schedule = offer.schedule
    assert len(schedule) == 36
    assert [row.payment for row in schedule[:-1]] == [payment] * 35
    assert tila.total_of_payments == sum((row.payment for row in schedule), Decimal(0))
    # By hand: monthly interest on the balance rounded half-up, 35 level payments, and a
    # last one that clears the balance (336.93).
    balance = Decimal("10000.00")
    for _ in range(35):
        interest = (balance * Decimal("12.99") / 1200).quantize(CENT, rounding=ROUND_HALF_UP)
        balance -= payment - interest
    last = balance + (balance * Decimal("12.99") / 1200).quantize(CENT, rounding=ROUND_HALF_UP)
    assert last == Decimal("336.93") == schedule[-1].payment
    assert tila.total_of_payments == 35 * payment + last == Decimal("12128.08")
    assert tila.finance_charge == tila.total_of_payments - Decimal("9900.00")
    assert tila.finance_charge == Decimal("2228.08")
    assert sum((row.principal for row in schedule), Decimal(0)) == Decimal("10000.00")
    assert schedule[-1].balance == Decimal("0.00")
    assert schedule[-1].due_date == date(2029, 11, 15)
    # The 100.00 fee is a prepaid finance charge: the APR is above the contract rate.
    assert tila.apr > Decimal("12.99")
    assert tila.apr == _monthly_apr(Decimal("9900.00"), [row.payment for row in schedule])
    assert tila.apr == Decimal("13.69")
    # Without the fee the same payments on the full 10,000.00 give back the contract rate.
    assert _monthly_apr(Decimal("10000.00"), [row.payment for row in schedule]) == Decimal("12.99")


def test_quote_at_the_limits(bank: Bank) -> None:
    smallest = _quote(bank, "1000.00", 12, tier="A")
    assert smallest.annual_rate == Decimal("8.99")
    assert smallest.origination_fee == Decimal("10.00")
    assert len(smallest.schedule) == 12
    assert smallest.disclosure.payment == _pmt(Decimal("1000.00"), Decimal("8.99"), 12)
    largest = _quote(bank, "50000.00", 72, tier="D")
    assert largest.annual_rate == Decimal("23.99")
    assert largest.origination_fee == Decimal("500.00")
    assert len(largest.schedule) == 72
    assert largest.disclosure.payment == _pmt(Decimal("50000.00"), Decimal("23.99"), 72)
    assert largest.disclosure.amount_financed == Decimal("49500.00")
    # The fee rounds half-up to the cent: 1 % of 1,234.50 is 12.345 -> 12.35.
    assert _quote(bank, "1234.50", 24).origination_fee == Decimal("12.35")


def test_originate_loan_books_account_contract_and_schedule(bank: Bank) -> None:
    alice = bank.customer("alice")
    offer = _quote(bank, "10000.00", 36)
    with bank.engine.begin() as conn:
        booked = originate_loan(
            conn, customer_id=alice, offer=offer, now=bank.clock.now(), rng=bank.rng
        )
    assert booked.offer == offer
    with bank.engine.connect() as conn:
        loan = conn.execute(select(loans_t).where(loans_t.c.id == booked.loan_id)).one()
        rows = list(
            conn.execute(
                select(schedule_t)
                .where(schedule_t.c.loan_id == booked.loan_id)
                .order_by(schedule_t.c.number)
            )
        )
        account = conn.execute(select(accounts_t).where(accounts_t.c.id == booked.account_id)).one()
    tila = offer.disclosure
    assert loan.customer_id == alice
    assert loan.account_id == booked.account_id
    assert loan.product_code == "personal_loan"
    assert loan.principal_minor == 1_000_000
    assert loan.currency == "USD"
    assert loan.annual_rate == Decimal("12.99")
    assert loan.apr == tila.apr
    assert loan.term_months == 36
    assert loan.payment_minor == 33689
    assert loan.advance_date == ADVANCE
    assert loan.first_payment_date == date(2026, 12, 15)
    assert loan.status == LoanStatus.ACTIVE
    assert loan.created_at == bank.clock.now()

    assert [r.number for r in rows] == list(range(1, 37))
    assert sum(r.principal_minor for r in rows) == 1_000_000
    assert rows[-1].balance_minor == 0
    assert sum(r.payment_minor for r in rows) == int(tila.total_of_payments * 100)
    assert sum(r.interest_minor for r in rows) == int(
        (tila.total_of_payments - Decimal("10000.00")) * 100
    )
    balance = 1_000_000
    for r, planned in zip(rows, offer.schedule, strict=True):
        assert r.payment_minor == r.principal_minor + r.interest_minor
        balance -= r.principal_minor
        assert r.balance_minor == balance
        assert r.due_date == planned.due_date
    assert all(r.payment_minor == 33689 for r in rows[:-1])

    assert account.kind == AccountKind.LOAN
    assert account.customer_id == alice
    assert account.product_code == "personal_loan"
    assert account.number[0] == "4"
    assert len(account.number) == 10
    assert account.name == "Personal Loan 36 mo"
    assert account.status == AccountStatus.OPEN
    assert account.balance_minor == 0
    assert account.min_balance_minor == -int((tila.total_of_payments + offer.origination_fee) * 100)
