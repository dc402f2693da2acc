"""The decision in plain words, for the customer (the assistant says this, the API returns it)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from openteller.core import QuoteOffer
from openteller.credit._decision import Reason

REVIEW_DAYS = 2


def explain(
    outcome: str, reasons: Sequence[Reason], offers: Sequence[QuoteOffer], currency: str
) -> str:
    """One short paragraph: what was decided, why, and what happens next."""
    if outcome == "approve":
        if not offers:
            return "Your application is approved."
        best = offers[0]
        return (
            f"Good news: your loan is approved. For {best.number_of_payments} months you "
            f"would pay {_money(best.payment, currency)} a month at an APR of {best.apr}% "
            f"(interest rate {best.annual_rate}%). The finance charge is "
            f"{_money(best.finance_charge, currency)} and the total of payments "
            f"{_money(best.total_of_payments, currency)}. Nothing is booked until you "
            "accept the offer."
        )
    if outcome == "refer":
        return (
            "Thanks for applying. Your application needs a closer look by one of our credit "
            f"officers, a person, who will decide within {REVIEW_DAYS} business days. You "
            "can add information for them at any time; nothing has been declined."
        )
    main = "; ".join(r.statement.lower() for r in reasons[:2]) or "our credit policy"
    return (
        "We're sorry: we can't approve this application. The main reasons are: "
        f"{main}. The adverse action notice lists every principal reason and your rights, "
        "including asking a person to review this decision."
    )


def _money(amount: Decimal, currency: str) -> str:
    return f"${amount:,}" if currency == "USD" else f"{amount} {currency}"
