"""Cards, the catalog, loan quotes and loans through the port."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from openteller.core import (
    CardStatus,
    CoreBanking,
    Installment,
    InvalidState,
    LoanStatus,
    LoanSummary,
    NotFound,
    QuoteOffer,
    ValidationFailed,
)
from tests.contract.conftest import LOAN_AMOUNT, SeededBank


def test_cards_are_the_customers_own_and_masked(bank: SeededBank, me: CoreBanking) -> None:
    cards = me.list_cards()
    expected = bank.ids(
        "SELECT id FROM cards WHERE customer_id = :c ORDER BY id DESC",
        c=bank.logins[0].customer_id,
    )
    assert [c.id for c in cards] == expected
    for card in cards:
        [(first6, last4, account)] = bank.rows(
            "SELECT first6, last4, account_id FROM cards WHERE id = :id", id=card.id
        )
        assert card.masked == f"{first6}******{last4}"
        assert (card.last4, card.account_id) == (last4, account)
    assert {c.kind for c in cards} == {"debit", "credit"}


def test_block_unblock_and_a_final_block(me: CoreBanking) -> None:
    card = next(c for c in me.list_cards() if c.status == CardStatus.ACTIVE)
    blocked = me.block_card(card.id, "customer_request")
    assert (blocked.id, blocked.status, blocked.status_reason) == (
        card.id,
        CardStatus.BLOCKED,
        "customer_request",
    )
    listed = {c.id: c for c in me.list_cards()}
    assert listed[card.id] == blocked
    active = me.unblock_card(card.id)
    assert (active.status, active.status_reason) == (CardStatus.ACTIVE, None)
    assert me.block_card(card.id, "stolen").status_reason == "stolen"
    with pytest.raises(InvalidState) as refused:
        me.unblock_card(card.id)
    assert refused.value.message == "a card blocked as stolen cannot be unblocked; replace it"
    assert refused.value.details == {"card_id": card.id}
    # a softer reason does not overwrite a final one
    assert me.block_card(card.id, "customer_request").status_reason == "stolen"
    with pytest.raises(ValidationFailed):
        me.block_card(card.id, "bored")  # type: ignore[arg-type]


def test_replace_issues_a_new_card_on_the_same_account(me: CoreBanking) -> None:
    card = next(c for c in me.list_cards() if c.status == CardStatus.ACTIVE)
    new = me.replace_card(card.id, "damaged")
    assert new.id != card.id
    assert (new.account_id, new.network, new.kind, new.status) == (
        card.account_id,
        card.network,
        card.kind,
        CardStatus.ACTIVE,
    )
    listed = {c.id: c for c in me.list_cards()}
    assert (listed[card.id].status, listed[card.id].replaced_by_id) == (CardStatus.REPLACED, new.id)
    assert listed[new.id] == new
    with pytest.raises(InvalidState):
        me.replace_card(card.id, "damaged")


def test_another_customers_card_is_not_found(me: CoreBanking, them: CoreBanking) -> None:
    theirs = them.list_cards()[0]
    for card_id in (theirs.id, 999_999):
        for call in (
            lambda i: me.block_card(i, "lost"),
            me.unblock_card,
            lambda i: me.replace_card(i, "lost"),
        ):
            with pytest.raises(NotFound) as caught:
                call(card_id)
            assert (caught.value.message, caught.value.details) == (
                "card not found",
                {"card_id": card_id},
            )
    assert them.list_cards()[0] == theirs


def test_products_are_the_catalogs_offer(bank: SeededBank, me: CoreBanking) -> None:
    products = {p.code: p for p in me.products()}
    assert list(products) == bank_codes(bank)
    loan = products["personal_loan"]
    assert loan.rate("interest_rate", "B").percent == Decimal("12.99")
    assert loan.fee("origination").percent == Decimal("1")
    assert products["everyday_checking"].fee("overdraft").amount == Decimal("35.00")
    assert products["cashback_credit_card"].rate("purchase_apr", "B").percent == Decimal("24.49")
    assert loan.limit("term_max_months").count == 72
    assert loan.limit("amount_max").amount == Decimal("50000.00")


def bank_codes(bank: SeededBank) -> list[str]:
    return [
        str(row[0]) for row in bank.rows("SELECT code FROM products WHERE active ORDER BY code")
    ]


def test_a_quote_gives_every_tier_with_truth_in_lending_figures(me: CoreBanking) -> None:
    quote = me.loan_quote(Decimal("10000.00"), 36)
    assert (quote.product_code, quote.currency, quote.amount, quote.term_months) == (
        "personal_loan",
        "USD",
        Decimal("10000.00"),
        36,
    )
    assert [o.tier for o in quote.offers] == ["A", "B", "C", "D"]
    # Worked independently in tests/core/test_lending.py (12.99 %, 1 % fee).
    assert quote.offers[1] == QuoteOffer(
        tier="B",
        annual_rate=Decimal("12.99"),
        apr=Decimal("13.69"),
        payment=Decimal("336.89"),
        number_of_payments=36,
        origination_fee=Decimal("100.00"),
        amount_financed=Decimal("9900.00"),
        finance_charge=Decimal("2228.08"),
        total_of_payments=Decimal("12128.08"),
        first_payment_date=date(2026, 12, 15),
    )
    aprs = [o.apr for o in quote.offers]
    assert aprs == sorted(aprs)
    with pytest.raises(ValidationFailed):
        me.loan_quote(Decimal("500.00"), 36)  # below the product's minimum
    with pytest.raises(ValidationFailed):
        me.loan_quote(Decimal("10000.00"), 84)  # longer than the product's longest term
    with pytest.raises(NotFound, match="product not found"):
        me.loan_quote(Decimal("10000.00"), 36, "no_such_loan")


def test_a_new_loan_shows_its_contract_and_first_instalment(
    bank: SeededBank, them: CoreBanking
) -> None:
    [loan] = them.list_loans()
    [(loan_id, account_id)] = bank.rows(
        "SELECT id, account_id FROM loans WHERE customer_id = :c", c=bank.logins[1].customer_id
    )
    assert loan == LoanSummary(
        id=loan_id,
        account_id=account_id,
        product_code="personal_loan",
        principal=LOAN_AMOUNT,
        currency="USD",
        annual_rate=Decimal("12.99"),
        apr=Decimal("13.69"),
        term_months=36,
        payment=Decimal("336.89"),
        status=LoanStatus.ACTIVE,
        outstanding=Decimal("10000.00"),
        next_payment=Installment(1, date(2026, 12, 15), Decimal("336.89")),
    )


def test_a_seeded_loan_shows_what_is_owed_now(bank: SeededBank, me: CoreBanking) -> None:
    [loan] = me.list_loans()
    [(principal, payment, balance)] = bank.rows(
        "SELECT l.principal_minor, l.payment_minor, a.balance_minor FROM loans l "
        "JOIN accounts a ON a.id = l.account_id WHERE l.id = :id",
        id=loan.id,
    )
    [(paid,)] = bank.rows(
        "SELECT COUNT(*) FROM transfers WHERE kind = 'loan_payment' AND credit_account_id = :a",
        a=loan.account_id,
    )
    assert (loan.principal * 100, loan.payment * 100, loan.outstanding * 100) == (
        principal,
        payment,
        -balance,
    )
    assert loan.next_payment is not None
    assert loan.next_payment.number == paid + 1
    assert loan.apr > loan.annual_rate  # the 1 % fee is in the APR


def test_a_quote_for_a_product_that_is_not_a_loan_is_refused(me: CoreBanking) -> None:
    with pytest.raises(ValidationFailed, match="everyday_checking is not a loan product"):
        me.loan_quote(Decimal("5000.00"), 36, product_code="everyday_checking")
