"""The port's accounts, balances and transaction history, on both adapters."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from openteller.core import (
    AccountKind,
    AccountStatus,
    CoreBanking,
    NotFound,
    TransactionItem,
    TransactionQuery,
    ValidationFailed,
)
from tests.contract.conftest import SeededBank


def _checking(core: CoreBanking) -> int:
    return next(a.id for a in core.list_accounts() if a.kind == AccountKind.CHECKING)


def _walk(core: CoreBanking, account_id: int, query: TransactionQuery) -> list[TransactionItem]:
    items: list[TransactionItem] = []
    cursor = None
    while True:
        page = core.transactions(
            account_id,
            TransactionQuery(
                start=query.start,
                end=query.end,
                min_amount=query.min_amount,
                max_amount=query.max_amount,
                text=query.text,
                category=query.category,
                direction=query.direction,
                limit=5,
                cursor=cursor,
            ),
        )
        assert len(page.items) <= 5
        items.extend(page.items)
        cursor = page.next_cursor
        if cursor is None:
            return items


def test_the_customer_sees_exactly_their_own_accounts(bank: SeededBank, me: CoreBanking) -> None:
    customer = bank.logins[0].customer_id
    assert me.customer_id == customer
    rows = bank.rows(
        "SELECT id, kind, product_code, number, currency FROM accounts "
        "WHERE customer_id = :c ORDER BY id",
        c=customer,
    )
    accounts = me.list_accounts()
    assert [(a.id, a.kind.value, a.product_code, a.number_last4, a.currency) for a in accounts] == [
        (r[0], r[1], r[2], r[3][-4:], r[4]) for r in rows
    ]
    assert [a.kind for a in accounts] == [
        AccountKind.CHECKING,
        AccountKind.CREDIT_CARD,
        AccountKind.LOAN,
    ]
    assert {a.customer_id for a in accounts} == {customer}
    assert {a.status for a in accounts} == {AccountStatus.OPEN}
    assert me.get_account(accounts[1].id) == accounts[1]


def test_balances_are_the_ledgers(bank: SeededBank, me: CoreBanking) -> None:
    rows = bank.rows(
        "SELECT id, balance_minor, held_minor, min_balance_minor FROM accounts "
        "WHERE customer_id = :c ORDER BY id",
        c=bank.logins[0].customer_id,
    )
    for account_id, ledger, held, floor in rows:
        balance = me.balance(account_id)
        assert balance.account_id == account_id
        assert balance.currency == "USD"
        assert balance.ledger * 100 == ledger
        assert balance.held * 100 == held
        assert balance.available * 100 == ledger - held
        assert balance.spendable is not None
        assert balance.spendable * 100 == ledger - held - floor
    card = me.balance(rows[1][0])
    assert card.held > 0  # the seed leaves pending card holds on the credit card
    assert card.available == card.ledger - card.held


def test_another_customers_account_is_not_found_like_an_unknown_one(
    me: CoreBanking, them: CoreBanking
) -> None:
    theirs = them.list_accounts()[0].id
    assert theirs not in {a.id for a in me.list_accounts()}
    for account_id in (theirs, 999_999):
        for call in (me.get_account, me.balance, me.transactions):
            with pytest.raises(NotFound) as caught:
                call(account_id)
            assert (caught.value.message, caught.value.details) == (
                "account not found",
                {"account_id": account_id},
            )


def test_pages_walk_the_whole_history_newest_first(bank: SeededBank, me: CoreBanking) -> None:
    checking = _checking(me)
    expected = bank.rows(
        "SELECT p.transfer_id, p.id, p.amount_minor, p.balance_after_minor FROM postings p "
        "JOIN transfers t ON t.id = p.transfer_id WHERE p.account_id = :a "
        "ORDER BY t.occurred_at DESC, p.id DESC",
        a=checking,
    )
    walked = _walk(me, checking, TransactionQuery())
    assert len(expected) > 10  # at least three pages of 5
    assert [(t.transfer_id, t.posting_id) for t in walked] == [(r[0], r[1]) for r in expected]
    assert [t.amount * 100 for t in walked] == [r[2] for r in expected]
    assert [t.balance_after * 100 for t in walked] == [r[3] for r in expected]
    first = me.transactions(checking, TransactionQuery(limit=3))
    assert [t.transfer_id for t in first.items] == [r[0] for r in expected[:3]]
    assert first.next_cursor is not None


def test_filters_agree_with_the_postings(bank: SeededBank, me: CoreBanking) -> None:
    checking = _checking(me)
    walked = _walk(me, checking, TransactionQuery())
    credits = _walk(me, checking, TransactionQuery(direction="credit"))
    assert [t.transfer_id for t in credits] == [t.transfer_id for t in walked if t.amount > 0]
    assert credits
    merchant = next(t.merchant for t in walked if t.merchant and len(t.merchant) > 4)
    word = merchant[1:4].lower()
    found = _walk(me, checking, TransactionQuery(text=word))
    assert [t.transfer_id for t in found] == [
        t.transfer_id
        for t in walked
        if word in (t.merchant or "").lower() or word in t.description.lower()
    ]
    low, high = Decimal("20.00"), Decimal("100.00")
    ranged = _walk(me, checking, TransactionQuery(min_amount=low, max_amount=high))
    assert [t.transfer_id for t in ranged] == [
        t.transfer_id for t in walked if low <= abs(t.amount) <= high
    ]
    assert ranged


def test_bad_queries_are_refused(me: CoreBanking) -> None:
    checking = _checking(me)
    with pytest.raises(ValidationFailed, match="invalid cursor"):
        me.transactions(checking, TransactionQuery(cursor="bm90LWEtY3Vyc29y"))
    with pytest.raises(ValidationFailed, match="the start date is after the end date"):
        me.transactions(checking, TransactionQuery(start=date(2026, 11, 10), end=date(2026, 11, 1)))
    for limit in (0, 201):
        with pytest.raises(ValidationFailed):
            me.transactions(checking, TransactionQuery(limit=limit))
