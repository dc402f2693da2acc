"""Payees and payments through the port: money moves once per key, or not at all."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from openteller.core import (
    AccountKind,
    AlreadyExists,
    CoreBanking,
    IdempotencyConflict,
    InsufficientFunds,
    InvalidIdempotencyKey,
    NotFound,
    PayeeView,
    PaymentOrder,
    TransactionQuery,
    TransferStatus,
    ValidationFailed,
)
from tests.conftest import NOW
from tests.contract.conftest import SeededBank

NEW_PAYEE = {
    "name": "  Greenfield Dental ",
    "bank_name": "Chase",
    "routing_number": "021000021",
    "account_number": "000123456789",
}


def _account(core: CoreBanking, kind: AccountKind) -> int:
    return next(a.id for a in core.list_accounts() if a.kind == kind)


def _ach_settlement(bank: SeededBank) -> int:
    return bank.ids("SELECT id FROM accounts WHERE system_code = 'settlement:ach:USD'")[0]


def test_a_payment_moves_exactly_its_amount_once(bank: SeededBank, me: CoreBanking) -> None:
    checking = _account(me, AccountKind.CHECKING)
    payee = me.list_payees()[0]
    settlement = _ach_settlement(bank)
    before, bank_before = bank.ledger_balance(checking), bank.ledger_balance(settlement)
    order = PaymentOrder(checking, Decimal("123.45"), payee_id=payee.id, description="Invoice 42")

    first = me.pay(order, "invoice-42")
    assert (first.status, first.amount, first.currency, first.from_account_id) == (
        TransferStatus.POSTED,
        Decimal("123.45"),
        "USD",
        checking,
    )
    assert (first.counterparty, first.description, first.idempotency_key) == (
        payee.name,
        "Invoice 42",
        "invoice-42",
    )
    assert (first.created_at, first.replayed) == (NOW, False)
    assert bank.ledger_balance(checking) == before - Decimal("123.45")
    assert bank.ledger_balance(settlement) == bank_before + Decimal("123.45")
    assert me.balance(checking).ledger == before - Decimal("123.45")

    again = me.pay(order, "invoice-42")
    assert again == replace(first, replayed=True)
    assert bank.ledger_balance(checking) == before - Decimal("123.45")

    with pytest.raises(IdempotencyConflict):
        me.pay(replace(order, amount=Decimal("123.46")), "invoice-42")
    with pytest.raises(IdempotencyConflict):
        me.pay(replace(order, description="Invoice 43"), "invoice-42")
    assert bank.ledger_balance(checking) == before - Decimal("123.45")

    assert me.get_payment(first.id) == replace(first, idempotency_key=None)
    newest = me.transactions(checking, TransactionQuery(limit=1)).items[0]
    assert (newest.transfer_id, newest.amount, newest.balance_after) == (
        first.id,
        Decimal("-123.45"),
        before - Decimal("123.45"),
    )
    assert (newest.channel, newest.category, newest.merchant) == ("ach", "p2p", payee.name)


def test_a_transfer_between_own_accounts(bank: SeededBank, me: CoreBanking) -> None:
    checking = _account(me, AccountKind.CHECKING)
    card = me.get_account(_account(me, AccountKind.CREDIT_CARD))
    owed_before = bank.ledger_balance(card.id)
    checking_before = bank.ledger_balance(checking)
    paid = me.pay(PaymentOrder(checking, Decimal("250.00"), to_account_id=card.id), "card-nov")
    assert (paid.counterparty, paid.description) == (card.name, f"Payment to {card.name}")
    assert bank.ledger_balance(card.id) == owed_before + Decimal("250.00")
    assert bank.ledger_balance(checking) == checking_before - Decimal("250.00")
    with pytest.raises(ValidationFailed, match="the source and destination accounts are the same"):
        me.pay(PaymentOrder(checking, Decimal("1.00"), to_account_id=checking), "self")


def test_the_floor_is_exact_and_a_failed_key_stays_failed(
    bank: SeededBank, me: CoreBanking
) -> None:
    checking = _account(me, AccountKind.CHECKING)
    payee = me.list_payees()[0].id
    spendable = me.balance(checking).spendable
    assert spendable is not None
    assert spendable > 0
    before = bank.ledger_balance(checking)
    too_much = PaymentOrder(checking, spendable + Decimal("0.01"), payee_id=payee)
    with pytest.raises(InsufficientFunds) as refused:
        me.pay(too_much, "too-much")
    assert refused.value.details["requested"] == str(spendable + Decimal("0.01"))
    assert refused.value.details["available"] == str(spendable)
    assert bank.ledger_balance(checking) == before
    with pytest.raises(InsufficientFunds) as replayed:
        me.pay(too_much, "too-much")
    assert replayed.value.details["replayed"] is True
    assert bank.ledger_balance(checking) == before

    everything = me.pay(PaymentOrder(checking, spendable, payee_id=payee), "all-of-it")
    assert everything.amount == spendable
    assert me.balance(checking).spendable == Decimal("0.00")
    assert bank.ledger_balance(checking) == before - spendable


def test_keys_belong_to_their_customer(me: CoreBanking, them: CoreBanking) -> None:
    mine = PaymentOrder(
        _account(me, AccountKind.CHECKING), Decimal("5.00"), payee_id=me.list_payees()[0].id
    )
    theirs = PaymentOrder(
        _account(them, AccountKind.CHECKING), Decimal("7.00"), payee_id=them.list_payees()[0].id
    )
    first, second = me.pay(mine, "shared-key"), them.pay(theirs, "shared-key")
    assert (first.replayed, second.replayed) == (False, False)
    assert first.id != second.id
    assert second.amount == Decimal("7.00")


def test_other_customers_ids_are_not_found_and_move_nothing(
    bank: SeededBank, me: CoreBanking, them: CoreBanking
) -> None:
    checking = _account(me, AccountKind.CHECKING)
    their_checking = _account(them, AccountKind.CHECKING)
    their_payee = them.list_payees()[0].id
    their_payment = them.pay(
        PaymentOrder(their_checking, Decimal("3.00"), payee_id=their_payee), "theirs"
    )
    mine_before = bank.ledger_balance(checking)
    theirs_before = bank.ledger_balance(their_checking)
    refused = [
        (PaymentOrder(their_checking, Decimal("1.00"), payee_id=their_payee), "account not found"),
        (
            PaymentOrder(checking, Decimal("1.00"), to_account_id=their_checking),
            "account not found",
        ),
        (PaymentOrder(checking, Decimal("1.00"), payee_id=their_payee), "payee not found"),
    ]
    for number, (order, message) in enumerate(refused):
        with pytest.raises(NotFound, match=message):
            me.pay(order, f"steal-{number}")
    with pytest.raises(NotFound, match="payment not found"):
        me.get_payment(their_payment.id)
    with pytest.raises(NotFound, match="payment not found"):
        me.get_payment(999_999)
    assert bank.ledger_balance(checking) == mine_before
    assert bank.ledger_balance(their_checking) == theirs_before


def test_bad_keys_are_refused_before_anything_moves(bank: SeededBank, me: CoreBanking) -> None:
    checking = _account(me, AccountKind.CHECKING)
    order = PaymentOrder(checking, Decimal("1.00"), payee_id=me.list_payees()[0].id)
    before = bank.ledger_balance(checking)
    for key in ("k" * 41, "has space", ""):
        with pytest.raises(InvalidIdempotencyKey):
            me.pay(order, key)
    assert bank.ledger_balance(checking) == before


def test_payees_are_added_with_the_last_four_digits_only(
    bank: SeededBank, me: CoreBanking, them: CoreBanking
) -> None:
    before = me.list_payees()
    added = me.add_payee(**NEW_PAYEE)
    assert added == PayeeView(added.id, "Greenfield Dental", "Chase", "021000021", "6789", NOW)
    after = me.list_payees()
    assert [p.name for p in after] == sorted([p.name for p in before] + ["Greenfield Dental"])
    assert added in after
    assert "Greenfield Dental" not in [p.name for p in them.list_payees()]
    stored = bank.rows("SELECT customer_id, account_last4 FROM payees WHERE id = :id", id=added.id)
    assert [tuple(row) for row in stored] == [(bank.logins[0].customer_id, "6789")]

    with pytest.raises(AlreadyExists):
        me.add_payee(**NEW_PAYEE)
    with pytest.raises(ValidationFailed, match="routing number must be a valid 9-digit ABA number"):
        me.add_payee(**{**NEW_PAYEE, "name": "Other", "routing_number": "021000022"})
    with pytest.raises(ValidationFailed):
        me.add_payee(**{**NEW_PAYEE, "name": "Other", "account_number": "12"})
    assert len(me.list_payees()) == len(before) + 1

    paid = me.pay(
        PaymentOrder(_account(me, AccountKind.CHECKING), Decimal("80.00"), payee_id=added.id),
        "dentist",
    )
    assert paid.counterparty == "Greenfield Dental"


@pytest.mark.parametrize(
    "fields",
    [
        {"payee_id": 1, "to_account_id": 2},
        {},
        {"payee_id": 1, "amount": Decimal("0")},
        {"payee_id": 1, "amount": Decimal("-5.00")},
        {"payee_id": 1, "amount": Decimal("1.001")},
        {"payee_id": 1, "amount": 1.5},
        {"payee_id": 1, "currency": "usd"},
        {"payee_id": 1, "currency": "XYZ"},
        {"payee_id": 1, "description": "x" * 141},
    ],
)
def test_orders_no_bank_could_accept_are_refused_when_made(fields: dict[str, object]) -> None:
    values: dict[str, object] = {"from_account_id": 1, "amount": Decimal("1.00"), **fields}
    with pytest.raises(ValidationFailed):
        PaymentOrder(**values)  # type: ignore[arg-type]


def test_payments_leave_checking_or_savings_only(bank: SeededBank, me: CoreBanking) -> None:
    checking = _account(me, AccountKind.CHECKING)
    for kind in (AccountKind.CREDIT_CARD, AccountKind.LOAN):
        source = _account(me, kind)
        before = bank.ledger_balance(source)
        with pytest.raises(ValidationFailed) as refused:
            me.pay(PaymentOrder(source, Decimal("10.00"), to_account_id=checking), f"from-{kind}")
        assert refused.value.message == "payments leave a checking or savings account"
        assert refused.value.details["account_type"] == kind.value
        assert bank.ledger_balance(source) == before


def test_a_conflict_names_the_customers_own_key(me: CoreBanking) -> None:
    checking = _account(me, AccountKind.CHECKING)
    payee = me.list_payees()[0].id
    me.pay(PaymentOrder(checking, Decimal("3.00"), payee_id=payee), "my-own-key")
    with pytest.raises(IdempotencyConflict) as conflict:
        me.pay(PaymentOrder(checking, Decimal("4.00"), payee_id=payee), "my-own-key")
    assert conflict.value.details["idempotency_key"] == "my-own-key"
