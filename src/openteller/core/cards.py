"""Payment cards: issue, block, unblock, replace, authorize.

The full card number (PAN) exists only in the return value of `issue_card` and
`replace_card` (to show once, as a real issuer's card-production file would); the
database keeps a random token, a keyed fingerprint, the first 6 and the last 4 digits.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import cast

from sqlalchemy import Connection, Table, insert, select, update

from openteller.core.accounts import luhn_check_digit
from openteller.core.errors import InvalidState, NotFound, ValidationFailed
from openteller.core.ledger import HoldRequest, HoldResult, Ledger
from openteller.core.ledger_rules import card_problem
from openteller.core.models import Account, AccountKind, Card, CardStatus
from openteller.core.security import fingerprint

cards_t = cast(Table, Card.__table__)
accounts_t = cast(Table, Account.__table__)

# Issuer identification numbers of the demo bank (8-digit BINs: 6-digit prefix shown).
DEMO_BINS: dict[str, str] = {"visa": "45319907", "mastercard": "22230417"}
BLOCK_REASONS = frozenset({"lost", "stolen", "fraud_suspected", "customer_request", "damaged"})
# A card reported lost or stolen (or compromised) is never unblocked: it is replaced.
_FINAL_REASONS = frozenset({"lost", "stolen", "fraud_suspected"})
VALID_YEARS = 4


@dataclass(frozen=True)
class CardView:
    id: int
    customer_id: int
    account_id: int
    token: str
    masked: str
    first6: str
    last4: str
    network: str
    kind: str
    expiry_month: int
    expiry_year: int
    status: CardStatus
    status_reason: str | None
    replaced_by_id: int | None


@dataclass(frozen=True)
class IssuedCard:
    card: CardView
    pan: str  # shown once; never stored


def mask_pan(first6: str, last4: str, length: int = 16) -> str:
    """PCI DSS display form: at most the first 6 and last 4 digits."""
    return f"{first6}{'*' * (length - 10)}{last4}"


def _view(row: object) -> CardView:
    r = row._mapping  # type: ignore[attr-defined]
    return CardView(
        id=r["id"],
        customer_id=r["customer_id"],
        account_id=r["account_id"],
        token=r["token"],
        masked=mask_pan(r["first6"], r["last4"]),
        first6=r["first6"],
        last4=r["last4"],
        network=r["network"],
        kind=r["kind"],
        expiry_month=r["expiry_month"],
        expiry_year=r["expiry_year"],
        status=CardStatus(r["status"]),
        status_reason=r["status_reason"],
        replaced_by_id=r["replaced_by_id"],
    )


def issue_card(
    conn: Connection,
    *,
    account_id: int,
    network: str,
    now: datetime,
    rng: random.Random,
    secret: str,
) -> IssuedCard:
    """Issue a card on a checking (debit) or credit-card account."""
    account = conn.execute(select(accounts_t).where(accounts_t.c.id == account_id)).first()
    if account is None or account.customer_id is None:
        raise NotFound("account not found", account_id=account_id)
    kind = {AccountKind.CHECKING: "debit", AccountKind.CREDIT_CARD: "credit"}.get(
        AccountKind(account.kind)
    )
    if kind is None:
        raise ValidationFailed("cards are issued on checking or credit-card accounts only")
    if network not in DEMO_BINS:
        raise ValidationFailed(f"unknown card network {network!r}", networks=sorted(DEMO_BINS))
    for _ in range(20):
        body = DEMO_BINS[network] + "".join(str(rng.randrange(10)) for _ in range(7))
        pan = body + luhn_check_digit(body)
        fp = fingerprint(secret, pan)
        if conn.execute(select(cards_t.c.id).where(cards_t.c.fingerprint == fp)).first() is None:
            break
    else:  # pragma: no cover - 10^7 numbers per BIN
        raise InvalidState("could not allocate a card number")
    values = {
        "customer_id": account.customer_id,
        "account_id": account_id,
        "token": "card_" + "".join(rng.choice("0123456789abcdef") for _ in range(24)),
        "fingerprint": fp,
        "first6": pan[:6],
        "last4": pan[-4:],
        "network": network,
        "kind": kind,
        "expiry_month": now.month,
        "expiry_year": now.year + VALID_YEARS,
        "status": CardStatus.ACTIVE,
        "status_reason": None,
        "replaced_by_id": None,
        "created_at": now,
        "updated_at": now,
    }
    card_id = conn.execute(insert(cards_t).values(values).returning(cards_t.c.id)).scalar_one()
    return IssuedCard(get_card(conn, card_id), pan)


def get_card(conn: Connection, card_id: int) -> CardView:
    row = conn.execute(select(cards_t).where(cards_t.c.id == card_id)).first()
    if row is None:
        raise NotFound("card not found", card_id=card_id)
    return _view(row)


def find_card_by_number(conn: Connection, pan: str, secret: str) -> CardView:
    digits = "".join(ch for ch in pan if ch in "0123456789")
    row = conn.execute(
        select(cards_t).where(cards_t.c.fingerprint == fingerprint(secret, digits))
    ).first()
    if row is None:
        raise NotFound("card not found")
    return _view(row)


def block_card(conn: Connection, card_id: int, reason: str, now: datetime) -> CardView:
    """Block a card (idempotent for the same reason)."""
    if reason not in BLOCK_REASONS:
        raise ValidationFailed(f"unknown block reason {reason!r}", reasons=sorted(BLOCK_REASONS))
    card = get_card(conn, card_id)
    if card.status == CardStatus.REPLACED:
        raise InvalidState("card has been replaced", card_id=card_id)
    if card.status == CardStatus.BLOCKED and card.status_reason in _FINAL_REASONS:
        # Lost, stolen or compromised stays on record: a softer reason must not
        # overwrite it and open the way to unblocking.
        return card
    conn.execute(
        update(cards_t)
        .where(cards_t.c.id == card_id)
        .values(status=CardStatus.BLOCKED, status_reason=reason, updated_at=now)
    )
    return get_card(conn, card_id)


def unblock_card(conn: Connection, card_id: int, now: datetime) -> CardView:
    card = get_card(conn, card_id)
    if card.status == CardStatus.ACTIVE:
        return card
    if card.status == CardStatus.REPLACED:
        raise InvalidState("card has been replaced", card_id=card_id)
    if card.status_reason in _FINAL_REASONS:
        raise InvalidState(
            f"a card blocked as {card.status_reason} cannot be unblocked; replace it",
            card_id=card_id,
        )
    conn.execute(
        update(cards_t)
        .where(cards_t.c.id == card_id)
        .values(status=CardStatus.ACTIVE, status_reason=None, updated_at=now)
    )
    return get_card(conn, card_id)


def replace_card(
    conn: Connection, card_id: int, reason: str, *, now: datetime, rng: random.Random, secret: str
) -> IssuedCard:
    """Retire a card and issue a new number on the same account."""
    if reason not in BLOCK_REASONS:
        raise ValidationFailed(
            f"unknown replacement reason {reason!r}", reasons=sorted(BLOCK_REASONS)
        )
    card = get_card(conn, card_id)
    if card.status == CardStatus.REPLACED:
        raise InvalidState("card has already been replaced", card_id=card_id)
    new = issue_card(
        conn, account_id=card.account_id, network=card.network, now=now, rng=rng, secret=secret
    )
    conn.execute(
        update(cards_t)
        .where(cards_t.c.id == card_id)
        .values(
            status=CardStatus.REPLACED,
            status_reason=reason,
            replaced_by_id=new.card.id,
            updated_at=now,
        )
    )
    return new


def ensure_usable(card: CardView, now: datetime) -> None:
    """`CardBlocked` unless the card is active and not expired."""
    problem = card_problem(
        card.id, card.status, card.status_reason, (card.expiry_year, card.expiry_month), now
    )
    if problem is not None:
        raise problem


def authorize(
    ledger: Ledger,
    card: CardView,
    *,
    reference: str,
    amount: Decimal,
    currency: str,
    settlement_account_id: int,
    merchant: str,
    category: str | None = None,
) -> HoldResult:
    """Authorize a card payment: a hold on the card's account, captured when it settles.

    The card is checked twice: on `card` (no write at all for a card known to be blocked)
    and again inside the hold's transaction, so a block that lands in between declines.
    """
    ensure_usable(card, ledger.clock.now())
    return ledger.place_hold(
        HoldRequest(
            reference=reference,
            account_id=card.account_id,
            counterparty_account_id=settlement_account_id,
            amount=amount,
            currency=currency,
            description=f"{merchant} (card ending {card.last4})",
            merchant=merchant,
            category=category,
            card_id=card.id,
        )
    )


def customer_cards(conn: Connection, customer_id: int) -> list[CardView]:
    """The customer's cards, newest first (replaced ones included, for history)."""
    rows = conn.execute(
        select(cards_t).where(cards_t.c.customer_id == customer_id).order_by(cards_t.c.id.desc())
    )
    return [_view(r) for r in rows]


def customer_card(conn: Connection, customer_id: int, card_id: int) -> CardView:
    """One of the customer's cards; another customer's id is `NotFound` like a missing one."""
    row = conn.execute(
        select(cards_t).where(cards_t.c.id == card_id, cards_t.c.customer_id == customer_id)
    ).first()
    if row is None:
        raise NotFound("card not found", card_id=card_id)
    return _view(row)
