"""Payment cards on SQLite and PostgreSQL: issue, PAN never stored, block, replace, authorize."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Connection, func, inspect, select

from openteller.core.accounts import bank_account
from openteller.core.cards import (
    BLOCK_REASONS,
    DEMO_BINS,
    CardView,
    IssuedCard,
    authorize,
    block_card,
    cards_t,
    ensure_usable,
    find_card_by_number,
    get_card,
    issue_card,
    mask_pan,
    replace_card,
    unblock_card,
)
from openteller.core.errors import CardBlocked, InvalidState, NotFound, ValidationFailed
from openteller.core.integrity import holds_t, ledger_digest
from openteller.core.ledger import HoldRequest
from openteller.core.models import Base, CardStatus, Hold, HoldStatus
from tests.conftest import Bank, luhn_ok

SECRET = "test-card-fingerprint-key"


@dataclass(frozen=True)
class Wallet:
    customer: int
    checking: int
    credit: int
    savings: int
    loan: int
    card_settlement: int


@pytest.fixture
def wallet(bank: Bank) -> Wallet:
    alice = bank.customer("alice")
    checking = bank.account(alice, "everyday_checking")
    credit = bank.account(alice, "cashback_credit_card", "-5000.00")
    savings = bank.account(alice, "high_yield_savings")
    loan = bank.account(alice, "personal_loan", "-1000.00")
    with bank.engine.begin() as conn:
        card_settlement = bank_account(conn, "settlement:card", "USD", bank.clock.now())
    return Wallet(alice, checking, credit, savings, loan, card_settlement)


def _issue(bank: Bank, account_id: int, network: str) -> IssuedCard:
    with bank.engine.begin() as conn:
        return issue_card(
            conn,
            account_id=account_id,
            network=network,
            now=bank.clock.now(),
            rng=bank.rng,
            secret=SECRET,
        )


def _card_row(conn: Connection, card_id: int) -> Any:
    return conn.execute(select(cards_t).where(cards_t.c.id == card_id)).one()


def _hold_count(bank: Bank) -> int:
    with bank.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(holds_t)).scalar_one())


# ----------------------------------------------------------------------- issue


def test_issue_debit_card_on_checking(bank: Bank, wallet: Wallet) -> None:
    issued = _issue(bank, wallet.checking, "visa")
    pan, card = issued.pan, issued.card
    assert re.fullmatch(r"\d{16}", pan), pan
    assert luhn_ok(pan)
    assert pan.startswith(DEMO_BINS["visa"])
    assert pan.startswith("45319907")
    assert card.first6 == pan[:6] == "453199"
    assert card.last4 == pan[-4:]
    assert card.masked == f"453199******{pan[-4:]}"
    assert card.kind == "debit"
    assert card.network == "visa"
    assert card.customer_id == wallet.customer
    assert card.account_id == wallet.checking
    assert card.status == CardStatus.ACTIVE
    assert card.status_reason is None
    assert card.replaced_by_id is None
    # Issued 2026-11-15: valid through November 2030.
    assert (card.expiry_month, card.expiry_year) == (11, 2030)
    assert re.fullmatch(r"card_[0-9a-f]{24}", card.token), card.token
    with bank.engine.connect() as conn:
        assert get_card(conn, card.id) == card
        row = _card_row(conn, card.id)
    # The fingerprint is a keyed HMAC: a plain SHA-256 of a 16-digit number with a known
    # 8-digit BIN could be reversed by trying 10^7 numbers.
    assert row.fingerprint == hmac.new(SECRET.encode(), pan.encode(), hashlib.sha256).hexdigest()
    assert row.fingerprint != hashlib.sha256(pan.encode()).hexdigest()
    assert row.created_at == row.updated_at == bank.clock.now()


def test_issue_credit_card_on_credit_card_account(bank: Bank, wallet: Wallet) -> None:
    issued = _issue(bank, wallet.credit, "mastercard")
    pan, card = issued.pan, issued.card
    assert re.fullmatch(r"\d{16}", pan), pan
    assert luhn_ok(pan)
    assert pan.startswith("22230417")
    # Mastercard's 2-series range is 222100-272099.
    assert 222100 <= int(pan[:6]) <= 272099
    assert card.first6 == "222304"
    assert card.last4 == pan[-4:]
    assert card.kind == "credit"
    assert card.network == "mastercard"
    assert card.account_id == wallet.credit
    assert card.status == CardStatus.ACTIVE
    # A second card on the same account gets another number and token.
    second = _issue(bank, wallet.credit, "visa")
    assert second.pan != pan
    assert second.card.token != card.token
    assert second.card.kind == "credit"


def test_issue_refusals_write_nothing(bank: Bank, wallet: Wallet) -> None:
    before = ledger_digest(bank.engine)
    for account_id in (wallet.savings, wallet.loan):
        with pytest.raises(ValidationFailed, match="checking or credit-card"):
            _issue(bank, account_id, "visa")
    for network in ("amex", "Visa", "", "discover"):
        with pytest.raises(ValidationFailed, match="unknown card network") as err:
            _issue(bank, wallet.checking, network)
        assert err.value.details == {"networks": ["mastercard", "visa"]}
    with pytest.raises(NotFound) as missing:
        _issue(bank, wallet.checking + 1000, "visa")
    assert missing.value.details == {"account_id": wallet.checking + 1000}
    # The bank's own accounts have no customer: not card accounts either.
    with pytest.raises(NotFound):
        _issue(bank, wallet.card_settlement, "visa")
    assert ledger_digest(bank.engine) == before


# ------------------------------------------------------------- PAN not stored


def _dump(conn: Connection) -> list[tuple[str, str, str]]:
    """(table, column, text) of every non-null value of every table."""
    out: list[tuple[str, str, str]] = []
    for table in Base.metadata.sorted_tables:
        for row in conn.execute(select(table)):
            for column in table.columns:
                value = row._mapping[column]
                if value is not None:
                    out.append((table.name, column.name, str(value)))
    return out


def test_pan_is_never_stored(bank: Bank, wallet: Wallet) -> None:
    debit = _issue(bank, wallet.checking, "visa")
    credit = _issue(bank, wallet.credit, "mastercard")
    with bank.engine.begin() as conn:
        new = replace_card(
            conn, debit.card.id, "lost", now=bank.clock.now(), rng=bank.rng, secret=SECRET
        )
    bank.fund(wallet.checking, "50.00")
    authorize(
        bank.ledger,
        new.card,
        reference="auth-1",
        amount=Decimal("12.34"),
        currency="USD",
        settlement_account_id=wallet.card_settlement,
        merchant="Corner Cafe",
    )
    with bank.engine.connect() as conn:
        # The dump below covers every table the migration created.
        assert set(inspect(conn).get_table_names()) - {
            t.name for t in Base.metadata.sorted_tables
        } == {"alembic_version"}
        values = _dump(conn)
        rows = {c: _card_row(conn, c.card.id) for c in (debit, credit, new)}
    assert len(values) > 100
    for issued, row in rows.items():
        pan = issued.pan
        spaced = " ".join(pan[i : i + 4] for i in range(0, 16, 4))
        forbidden = {
            "pan": pan,
            "spaced pan": spaced,
            "first 12": pan[:12],
            "last 10": pan[6:],
            "middle 6": pan[6:12],
        }
        leaks = [
            (what, table, column)
            for table, column, text in values
            for what, needle in forbidden.items()
            if needle in text
        ]
        assert leaks == []
        # What may be stored is stored.
        assert row.first6 == pan[:6]
        assert row.last4 == pan[-4:]
        assert row.token == issued.card.token
        assert ("cards", "token", issued.card.token) in values


def test_mask_pan() -> None:
    assert mask_pan("453199", "1234") == "453199******1234"
    assert mask_pan("222304", "0000") == "222304******0000"
    assert mask_pan("378282", "0005", length=15) == "378282*****0005"


# ------------------------------------------------------------------ look-ups


def test_find_card_by_number(bank: Bank, wallet: Wallet) -> None:
    issued = _issue(bank, wallet.checking, "visa")
    other = _issue(bank, wallet.credit, "mastercard")
    pan = issued.pan
    with bank.engine.connect() as conn:
        for typed in (
            pan,
            " ".join(pan[i : i + 4] for i in range(0, 16, 4)),
            "-".join(pan[i : i + 4] for i in range(0, 16, 4)),
            f"  {pan}\n",
        ):
            assert find_card_by_number(conn, typed, SECRET) == issued.card
        assert find_card_by_number(conn, other.pan, SECRET) == other.card
        # Another Luhn-valid number on the same BIN is not a card of ours.
        body = pan[:14] + ("0" if pan[14] != "0" else "1")
        unknown = body + next(d for d in "0123456789" if luhn_ok(body + d))
        assert unknown != pan
        with pytest.raises(NotFound):
            find_card_by_number(conn, unknown, SECRET)
        # The fingerprint is keyed: the right number with the wrong key finds nothing.
        with pytest.raises(NotFound):
            find_card_by_number(conn, pan, SECRET + "x")
        with pytest.raises(NotFound):
            get_card(conn, other.card.id + 1000)


# ----------------------------------------------------------- block / unblock


def test_block_validates_reason_and_is_idempotent(bank: Bank, wallet: Wallet) -> None:
    card = _issue(bank, wallet.checking, "visa").card
    now = bank.clock.now()
    with bank.engine.begin() as conn:
        for reason in ("misplaced", "", "LOST"):
            with pytest.raises(ValidationFailed, match="unknown block reason") as err:
                block_card(conn, card.id, reason, now)
            assert err.value.details == {"reasons": sorted(BLOCK_REASONS)}
        assert get_card(conn, card.id) == card
        with pytest.raises(NotFound):
            block_card(conn, card.id + 1000, "lost", now)
        blocked = block_card(conn, card.id, "customer_request", now)
        assert blocked.status == CardStatus.BLOCKED
        assert blocked.status_reason == "customer_request"
        again = block_card(conn, card.id, "customer_request", now)
        assert again == blocked
        assert get_card(conn, card.id) == blocked


def test_unblock_rules(bank: Bank, wallet: Wallet) -> None:
    cards = {
        reason: _issue(bank, wallet.checking, "visa").card
        for reason in ("customer_request", "damaged", "lost", "stolen", "fraud_suspected")
    }
    active = _issue(bank, wallet.checking, "visa").card
    now = bank.clock.now()
    with bank.engine.begin() as conn:
        for reason, card in cards.items():
            block_card(conn, card.id, reason, now)
        assert unblock_card(conn, active.id, now) == active
        for reason in ("customer_request", "damaged"):
            back = unblock_card(conn, cards[reason].id, now)
            assert back.status == CardStatus.ACTIVE
            assert back.status_reason is None
        for reason in ("lost", "stolen", "fraud_suspected"):
            with pytest.raises(InvalidState, match="replace it"):
                unblock_card(conn, cards[reason].id, now)
            still = get_card(conn, cards[reason].id)
            assert (still.status, still.status_reason) == (CardStatus.BLOCKED, reason)
        with pytest.raises(NotFound):
            unblock_card(conn, active.id + 1000, now)


def test_reblocking_for_a_softer_reason_does_not_lift_a_final_block(
    bank: Bank, wallet: Wallet
) -> None:
    # A softer reason must not overwrite lost/stolen/fraud and open the way to unblock.
    now = bank.clock.now()
    outcome: dict[str, tuple[str | None, str]] = {}
    for final in ("lost", "stolen", "fraud_suspected"):
        card = _issue(bank, wallet.checking, "visa").card
        with bank.engine.begin() as conn:
            block_card(conn, card.id, final, now)
            with contextlib.suppress(InvalidState):  # refusing the downgrade is fine too
                block_card(conn, card.id, "customer_request", now)
            reason = get_card(conn, card.id).status_reason
            try:
                unblock_card(conn, card.id, now)
                result = "unblocked"
            except InvalidState:
                result = "refused"
        outcome[final] = (reason, result)
    assert outcome == {
        "lost": ("lost", "refused"),
        "stolen": ("stolen", "refused"),
        "fraud_suspected": ("fraud_suspected", "refused"),
    }


# --------------------------------------------------------------------- replace


def test_replace_card(bank: Bank, wallet: Wallet) -> None:
    old = _issue(bank, wallet.credit, "mastercard")
    now = bank.clock.now()
    with bank.engine.begin() as conn:
        with pytest.raises(ValidationFailed, match="unknown replacement reason"):
            replace_card(conn, old.card.id, "bored", now=now, rng=bank.rng, secret=SECRET)
        block_card(conn, old.card.id, "stolen", now)
        new = replace_card(conn, old.card.id, "stolen", now=now, rng=bank.rng, secret=SECRET)
        retired = get_card(conn, old.card.id)
        assert retired.status == CardStatus.REPLACED
        assert retired.status_reason == "stolen"
        assert retired.replaced_by_id == new.card.id
        assert new.card.id != old.card.id
        assert new.pan != old.pan
        assert luhn_ok(new.pan)
        assert new.pan.startswith("22230417")
        assert new.card.account_id == wallet.credit
        assert new.card.customer_id == wallet.customer
        assert new.card.network == "mastercard"
        assert new.card.kind == "credit"
        assert new.card.status == CardStatus.ACTIVE
        assert new.card.replaced_by_id is None
        assert new.card.token != old.card.token
        assert get_card(conn, new.card.id) == new.card
        # The old number still resolves, to the retired card; the new one to the new card.
        assert find_card_by_number(conn, old.pan, SECRET).status == CardStatus.REPLACED
        assert find_card_by_number(conn, new.pan, SECRET) == new.card
        # A replaced card is final.
        with pytest.raises(InvalidState):
            block_card(conn, old.card.id, "lost", now)
        with pytest.raises(InvalidState):
            unblock_card(conn, old.card.id, now)
        with pytest.raises(InvalidState):
            replace_card(conn, old.card.id, "damaged", now=now, rng=bank.rng, secret=SECRET)
        assert conn.execute(select(func.count()).select_from(cards_t)).scalar_one() == 2
    with pytest.raises(CardBlocked):
        ensure_usable(retired, now)


# ------------------------------------------------------------------ usability


def _view(status: CardStatus, reason: str | None = None) -> CardView:
    return CardView(
        id=1,
        customer_id=1,
        account_id=1,
        token="card_" + "0" * 24,
        masked="453199******0000",
        first6="453199",
        last4="0000",
        network="visa",
        kind="debit",
        expiry_month=11,
        expiry_year=2030,
        status=status,
        status_reason=reason,
        replaced_by_id=None,
    )


@pytest.mark.parametrize(
    "now",
    [
        datetime(2026, 11, 15, 12, 0, tzinfo=UTC),
        datetime(2030, 10, 31, 23, 59, tzinfo=UTC),
        datetime(2030, 11, 1, 0, 0, tzinfo=UTC),
        datetime(2030, 11, 30, 23, 59, 59, tzinfo=UTC),
    ],
)
def test_active_card_is_usable_through_its_expiry_month(now: datetime) -> None:
    ensure_usable(_view(CardStatus.ACTIVE), now)  # does not raise


@pytest.mark.parametrize(
    "now",
    [
        datetime(2030, 12, 1, 0, 0, tzinfo=UTC),
        datetime(2031, 1, 1, 0, 0, tzinfo=UTC),
        datetime(2031, 11, 1, 0, 0, tzinfo=UTC),
    ],
)
def test_expired_card_is_not_usable(now: datetime) -> None:
    with pytest.raises(CardBlocked, match="expired") as err:
        ensure_usable(_view(CardStatus.ACTIVE), now)
    assert err.value.details == {"card_id": 1}
    assert err.value.http_status == 409


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (CardStatus.BLOCKED, "lost"),
        (CardStatus.BLOCKED, "customer_request"),
        (CardStatus.REPLACED, "damaged"),
    ],
)
def test_blocked_or_replaced_card_is_not_usable(status: CardStatus, reason: str) -> None:
    with pytest.raises(CardBlocked) as err:
        ensure_usable(_view(status, reason), datetime(2027, 1, 1, tzinfo=UTC))
    assert err.value.details == {"card_id": 1, "reason": reason}
    assert err.value.code == "card_blocked"


# ------------------------------------------------------------------ authorize


def test_authorize_places_a_hold(bank: Bank, wallet: Wallet) -> None:
    debit = _issue(bank, wallet.checking, "visa").card
    credit = _issue(bank, wallet.credit, "mastercard").card
    bank.fund(wallet.checking, "100.00")
    hold = authorize(
        bank.ledger,
        debit,
        reference="auth-debit",
        amount=Decimal("25.40"),
        currency="USD",
        settlement_account_id=wallet.card_settlement,
        merchant="Corner Cafe",
        category="dining",
    )
    assert hold.status == HoldStatus.PENDING
    assert hold.amount == Decimal("25.40")
    assert hold.account_id == wallet.checking
    assert hold.counterparty_account_id == wallet.card_settlement
    assert hold.merchant == "Corner Cafe"
    assert hold.description == f"Corner Cafe (card ending {debit.last4})"
    balance = bank.ledger.balance(wallet.checking)
    assert (balance.ledger, balance.held, balance.available) == (
        Decimal("100.00"),
        Decimal("25.40"),
        Decimal("74.60"),
    )
    # A credit card spends its line: available goes negative, the headroom shrinks.
    authorize(
        bank.ledger,
        credit,
        reference="auth-credit",
        amount=Decimal("40.00"),
        currency="USD",
        settlement_account_id=wallet.card_settlement,
        merchant="Hardware Store",
    )
    line = bank.ledger.balance(wallet.credit)
    assert (line.ledger, line.held, line.available, line.spendable) == (
        Decimal("0.00"),
        Decimal("40.00"),
        Decimal("-40.00"),
        Decimal("4960.00"),
    )
    assert _hold_count(bank) == 2


def test_authorize_refuses_blocked_and_expired_cards_without_writing(
    bank: Bank, wallet: Wallet
) -> None:
    blocked = _issue(bank, wallet.checking, "visa").card
    expiring = _issue(bank, wallet.checking, "visa").card
    bank.fund(wallet.checking, "100.00")
    with bank.engine.begin() as conn:
        blocked = block_card(conn, blocked.id, "customer_request", bank.clock.now())
    before = ledger_digest(bank.engine)
    with pytest.raises(CardBlocked):
        authorize(
            bank.ledger,
            blocked,
            reference="auth-blocked",
            amount=Decimal("10.00"),
            currency="USD",
            settlement_account_id=wallet.card_settlement,
            merchant="Corner Cafe",
        )
    bank.clock.set(datetime(2030, 12, 1, 0, 0, tzinfo=UTC))
    with pytest.raises(CardBlocked, match="expired"):
        authorize(
            bank.ledger,
            expiring,
            reference="auth-expired",
            amount=Decimal("10.00"),
            currency="USD",
            settlement_account_id=wallet.card_settlement,
            merchant="Corner Cafe",
        )
    assert _hold_count(bank) == 0
    assert bank.ledger.balance(wallet.checking).available == Decimal("100.00")
    assert ledger_digest(bank.engine) == before


def test_a_card_blocked_after_it_was_read_cannot_authorize(bank: Bank, wallet: Wallet) -> None:
    """The view the caller holds says active; the card row says lost: the row wins."""
    stale = _issue(bank, wallet.checking, "visa").card
    bank.fund(wallet.checking, "100.00")
    with bank.engine.begin() as conn:
        block_card(conn, stale.id, "lost", bank.clock.now())
    assert stale.status == CardStatus.ACTIVE
    with pytest.raises(CardBlocked, match="card is blocked") as err:
        authorize(
            bank.ledger,
            stale,
            reference="auth-stale",
            amount=Decimal("10.00"),
            currency="USD",
            settlement_account_id=wallet.card_settlement,
            merchant="Corner Cafe",
        )
    assert err.value.details["reason"] == "lost"
    assert bank.ledger.balance(wallet.checking).available == Decimal("100.00")
    with bank.engine.connect() as conn:
        status = conn.execute(
            select(Hold.status).where(Hold.reference == "auth-stale")
        ).scalar_one()
    assert status == HoldStatus.DECLINED
    with pytest.raises(CardBlocked):  # the declined reference stays declined
        authorize(
            bank.ledger,
            stale,
            reference="auth-stale",
            amount=Decimal("10.00"),
            currency="USD",
            settlement_account_id=wallet.card_settlement,
            merchant="Corner Cafe",
        )


def test_authorization_names_a_card_of_the_held_account(bank: Bank, wallet: Wallet) -> None:
    card = _issue(bank, wallet.credit, "mastercard").card
    with pytest.raises(NotFound, match="card not found on this account"):
        bank.ledger.place_hold(
            HoldRequest(
                reference="auth-wrong",
                account_id=wallet.checking,
                counterparty_account_id=wallet.card_settlement,
                amount=Decimal("1.00"),
                currency="USD",
                card_id=card.id,
            )
        )
