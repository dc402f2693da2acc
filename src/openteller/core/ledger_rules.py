"""The ledger's rules, applied to in-memory account states inside a transaction.

`Ledger` loads (and locks) the accounts a batch touches into `AccountState`s, then asks
these functions, request by request, whether a transfer or hold may post and what it
changes. Nothing here touches the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Row

from openteller.core.errors import (
    ERRORS_BY_CODE,
    AccountClosed,
    CardBlocked,
    CurrencyMismatch,
    IdempotencyConflict,
    InsufficientFunds,
    InvalidState,
    NotFound,
    OpenTellerError,
    ValidationFailed,
)
from openteller.core.ledger_types import (
    HoldRequest,
    HoldResult,
    TransferRequest,
    TransferResult,
    hold_result,
    transfer_result,
)
from openteller.core.models import AccountStatus, CardStatus, HoldStatus, TransferStatus
from openteller.core.money import from_minor


@dataclass
class AccountState:
    id: int
    currency: str
    status: AccountStatus
    balance: int
    held: int
    floor: int | None
    balance_before: int = 0
    touched: bool = False


@dataclass
class Prepared:
    """A validated request with its amounts in minor units."""

    request: TransferRequest
    minor: int
    hash: str
    ids: tuple[int, int] = field(init=False)

    def __post_init__(self) -> None:
        self.ids = (self.request.debit_account_id, self.request.credit_account_id)


def check_transfer(
    states: dict[int, AccountState],
    item: Prepared,
    holds: dict[int, Row[Any]],
    reversed_ids: set[int],
    captured: set[int],
) -> OpenTellerError | None:
    """Why this transfer cannot post against the current (in-batch) state, or None."""
    req = item.request
    debit = states.get(req.debit_account_id)
    credit = states.get(req.credit_account_id)
    for account_id, state in ((req.debit_account_id, debit), (req.credit_account_id, credit)):
        if state is None:
            return NotFound("account not found", account_id=account_id)
        if state.currency != req.currency:
            return CurrencyMismatch(
                f"account {account_id} holds {state.currency}, not {req.currency}",
                account_id=account_id,
                account_currency=state.currency,
                currency=req.currency,
            )
        if state.status == AccountStatus.CLOSED:
            return AccountClosed("account is closed", account_id=account_id)
    assert debit is not None
    if debit.status == AccountStatus.FROZEN:
        return AccountClosed("account is frozen for debits", account_id=debit.id)
    if req.reverses_id is not None and req.reverses_id in reversed_ids:
        return InvalidState("transfer is already reversed", transfer_id=req.reverses_id)
    released = 0
    if req.hold_id is not None:
        hold = holds.get(req.hold_id)
        if hold is None:
            return NotFound("hold not found", hold_id=req.hold_id)
        if hold.status != HoldStatus.PENDING or hold.id in captured:
            return InvalidState(f"hold is {hold.status}, not pending", hold_id=hold.id)
        if hold.account_id != debit.id or hold.currency != req.currency:
            return ValidationFailed("hold belongs to another account", hold_id=hold.id)
        if item.minor > hold.amount_minor:
            return ValidationFailed(
                "captured amount exceeds the held amount",
                hold_id=hold.id,
                held=str(from_minor(hold.amount_minor, hold.currency)),
            )
        released = hold.amount_minor
    available_after = debit.balance - (debit.held - released) - item.minor
    if debit.floor is not None and available_after < debit.floor:
        return InsufficientFunds(
            "insufficient funds",
            account_id=debit.id,
            available=str(
                from_minor(debit.balance - debit.held + released - debit.floor, req.currency)
            ),
            requested=str(from_minor(item.minor, req.currency)),
        )
    return None


def apply_transfer(
    states: dict[int, AccountState], item: Prepared, holds: dict[int, Row[Any]]
) -> None:
    req = item.request
    debit = states[req.debit_account_id]
    credit = states[req.credit_account_id]
    debit.touched = credit.touched = True
    debit.balance -= item.minor
    credit.balance += item.minor
    if req.hold_id is not None:
        debit.held -= holds[req.hold_id].amount_minor


def check_hold(
    states: dict[int, AccountState], request: HoldRequest, minor: int
) -> OpenTellerError | None:
    for account_id in (request.account_id, request.counterparty_account_id):
        state = states.get(account_id)
        if state is None:
            return NotFound("account not found", account_id=account_id)
        if state.currency != request.currency:
            return CurrencyMismatch(
                f"account {account_id} holds {state.currency}, not {request.currency}",
                account_id=account_id,
            )
        if state.status == AccountStatus.CLOSED:
            return AccountClosed("account is closed", account_id=account_id)
    account = states[request.account_id]
    if account.status == AccountStatus.FROZEN:
        return AccountClosed("account is frozen for debits", account_id=account.id)
    if account.floor is not None and account.balance - account.held - minor < account.floor:
        return InsufficientFunds(
            "insufficient funds",
            account_id=account.id,
            available=str(
                from_minor(account.balance - account.held - account.floor, request.currency)
            ),
            requested=str(request.amount),
        )
    return None


def replay(row: Row[Any], digest: str) -> TransferResult | OpenTellerError:
    if row.request_hash != digest:
        return IdempotencyConflict(
            "idempotency key reused with a different request", idempotency_key=row.idempotency_key
        )
    if row.status == TransferStatus.FAILED:
        cls = ERRORS_BY_CODE.get(row.failure_code or "", OpenTellerError)
        return cls(
            row.failure_message or "transfer failed",
            idempotency_key=row.idempotency_key,
            transfer_id=row.id,
            replayed=True,
        )
    return replace(transfer_result(row._mapping), replayed=True)


def replay_hold(row: Row[Any], digest: str) -> HoldResult | OpenTellerError:
    if row.request_hash != digest:
        return IdempotencyConflict(
            "hold reference reused with a different request", reference=row.reference
        )
    if row.status == HoldStatus.DECLINED:
        cls = ERRORS_BY_CODE.get(row.failure_code or "", OpenTellerError)
        return cls(row.failure_message or "hold declined", hold_id=row.id, replayed=True)
    return replace(hold_result(row._mapping), replayed=True)


def card_problem(
    card_id: int,
    status: str,
    reason: str | None,
    expiry: tuple[int, int],
    now: datetime,
) -> OpenTellerError | None:
    """Why a card cannot pay now (blocked, replaced, expired), or None."""
    if status != CardStatus.ACTIVE:
        return CardBlocked(f"card is {status}", card_id=card_id, reason=reason)
    if expiry < (now.year, now.month):
        return CardBlocked("card has expired", card_id=card_id)
    return None
