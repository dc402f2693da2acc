"""Instalment loans: level payment, amortization schedule and Truth in Lending figures.

All money is `Decimal`, rounded to cents with ROUND_HALF_UP. The annual percentage
rate engine (Regulation Z, Appendix J) lives in `openteller.core.apr` and is
re-exported here.
"""

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal, localcontext

from openteller.core.apr import UnitPeriod, actuarial_apr

__all__ = [
    "LoanDisclosure",
    "ScheduledPayment",
    "UnitPeriod",
    "actuarial_apr",
    "add_months",
    "amortization_schedule",
    "monthly_payment",
    "truth_in_lending",
]

CENT = Decimal("0.01")
# Intermediate precision: the annuity factor of a 40-year loan needs far more than the
# 28 digits of the default context before the payment is rounded to the cent.
_PRECISION = 40


def add_months(d: date, months: int) -> date:
    """`d` moved by `months` calendar months, the day clamped to the target month's end.

    Always count from the original date: add_months(Jan 31, 1) is Feb 28 (29 in a
    leap year) and add_months(Jan 31, 2) is Mar 31, not Mar 28.
    """
    index = d.year * 12 + d.month - 1 + months
    year, month = divmod(index, 12)
    last_day = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(d.day, last_day))


def _amount(value: object, what: str) -> Decimal:
    # Floats are refused: a binary fraction is not an amount of money.
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise ValueError(f"{what} must be a Decimal, not {type(value).__name__}")
    amount = Decimal(value)
    if not amount.is_finite():
        raise ValueError(f"{what} must be finite, got {value}")
    return amount


def _cents(value: object, what: str) -> Decimal:
    """A positive amount in whole cents (a schedule cannot carry fractions of a cent)."""
    amount = _amount(value, what)
    if amount <= 0:
        raise ValueError(f"{what} must be greater than zero, got {value}")
    if amount != amount.quantize(CENT):
        raise ValueError(f"{what} must be in whole cents, got {value}")
    return amount


def _check_terms(principal: object, annual_rate_percent: object, term_months: object) -> None:
    principal_amount = _amount(principal, "the principal")
    if principal_amount <= 0:
        raise ValueError(f"the principal must be greater than zero, got {principal}")
    if _amount(annual_rate_percent, "the annual rate") < 0:
        raise ValueError(f"the annual rate must not be negative, got {annual_rate_percent}")
    if isinstance(term_months, bool) or not isinstance(term_months, int) or term_months < 1:
        raise ValueError(f"the term must be a whole number of months >= 1, got {term_months}")


def monthly_payment(principal: Decimal, annual_rate_percent: Decimal, term_months: int) -> Decimal:
    """Level monthly payment (PMT) that repays `principal` over `term_months`.

    PMT = P * r / (1 - (1 + r)^-n) with r = annual rate / 1200, rounded to the cent
    half-up. At 0 % the payment is principal / term rounded *up* to the cent, so the
    instalments never fall short and the last one comes out slightly lower.
    """
    _check_terms(principal, annual_rate_percent, term_months)
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        if annual_rate_percent == 0:
            return (principal / term_months).quantize(CENT, rounding=ROUND_CEILING)
        rate = annual_rate_percent / 1200
        payment = principal * rate / (1 - (1 + rate) ** -term_months)
        return payment.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class ScheduledPayment:
    """One instalment; `balance` is what remains owed after it is paid."""

    number: int
    due_date: date
    payment: Decimal
    interest: Decimal
    principal: Decimal
    balance: Decimal


def amortization_schedule(
    principal: Decimal,
    annual_rate_percent: Decimal,
    term_months: int,
    first_payment_date: date,
    payment: Decimal | None = None,
) -> list[ScheduledPayment]:
    """Monthly schedule of a fixed-rate loan, from `first_payment_date` on.

    Each period's interest is balance x rate / 1200 rounded half-up to the cent; the
    rest of the payment repays principal. Due dates step by calendar months from
    `first_payment_date` (clamped to month end, see `add_months`). The last payment
    is whatever clears the balance, so it absorbs every rounding and the schedule
    ends at exactly 0.00 with the principal parts summing to `principal`.

    `payment` defaults to `monthly_payment(...)`. A larger one retires the loan
    early, and the schedule then stops at the payment that clears it; a smaller
    one leaves a balloon in the last payment.
    """
    _check_terms(principal, annual_rate_percent, term_months)
    balance = _cents(principal, "the principal")
    level = (
        monthly_payment(principal, annual_rate_percent, term_months)
        if payment is None
        else _cents(payment, "the payment")
    )
    rows: list[ScheduledPayment] = []
    for number in range(1, term_months + 1):
        with localcontext() as ctx:
            ctx.prec = _PRECISION
            # One division of the exact product, so the cent rounding happens once.
            interest = (balance * annual_rate_percent / 1200).quantize(CENT, ROUND_HALF_UP)
        if number == term_months or level >= balance + interest:
            rows.append(
                ScheduledPayment(
                    number=number,
                    due_date=add_months(first_payment_date, number - 1),
                    payment=balance + interest,
                    interest=interest,
                    principal=balance,
                    balance=Decimal("0.00"),
                )
            )
            break
        repaid = level - interest
        balance -= repaid
        rows.append(
            ScheduledPayment(
                number=number,
                due_date=add_months(first_payment_date, number - 1),
                payment=level,
                interest=interest,
                principal=repaid,
                balance=balance,
            )
        )
    return rows


@dataclass(frozen=True)
class LoanDisclosure:
    """The Truth in Lending (Regulation Z, 12 CFR 1026.18) figures of a loan."""

    amount_financed: Decimal
    finance_charge: Decimal
    total_of_payments: Decimal
    payment: Decimal
    number_of_payments: int
    apr: Decimal
    annual_rate: Decimal


def truth_in_lending(
    principal: Decimal,
    annual_rate_percent: Decimal,
    term_months: int,
    advance_date: date,
    first_payment_date: date,
    prepaid_finance_charge: Decimal = Decimal("0"),
) -> LoanDisclosure:
    """Truth in Lending disclosure of a fixed-rate monthly loan.

    The schedule is `amortization_schedule(principal, ...)`; the total of payments
    is the sum of its payments; the amount financed is the principal less the
    prepaid finance charge (fees the borrower pays out of the loan); the finance
    charge is the total of payments less the amount financed; the APR is the
    Appendix J actuarial rate of the amount financed, advanced on `advance_date`,
    against the scheduled payments, so an odd first period and the prepaid charge
    both show in it while `annual_rate` stays the contract rate.
    """
    prepaid = _amount(prepaid_finance_charge, "the prepaid finance charge")
    if prepaid < 0:
        raise ValueError(f"the prepaid finance charge must not be negative, got {prepaid}")
    if first_payment_date <= advance_date:
        raise ValueError(
            f"the first payment ({first_payment_date}) must fall after the advance ({advance_date})"
        )
    schedule = amortization_schedule(
        principal, annual_rate_percent, term_months, first_payment_date
    )
    if prepaid >= principal:
        raise ValueError("the prepaid finance charge must be less than the principal")
    amount_financed = principal - prepaid
    total_of_payments = sum((row.payment for row in schedule), Decimal("0.00"))
    apr = actuarial_apr(
        amount_financed, advance_date, [(row.due_date, row.payment) for row in schedule]
    )
    return LoanDisclosure(
        amount_financed=amount_financed,
        finance_charge=total_of_payments - amount_financed,
        total_of_payments=total_of_payments,
        payment=schedule[0].payment,
        number_of_payments=len(schedule),
        apr=apr,
        annual_rate=annual_rate_percent,
    )
