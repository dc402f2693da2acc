"""Flows that move money: transfers and payments, paying the card bill, adding a payee.

Money moves only in `execute`, after the customer said yes to a confirmation that named
the amount, both ends and the account it leaves. The idempotency key is derived from the
session and the turn that asked for the confirmation, so a repeated "yes" (or a retried
request) never pays twice.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from openteller.assistant import understand as u
from openteller.assistant.context import Reply, TurnContext, account_label, money
from openteller.assistant.flows.base import (
    YES_NO,
    Flow,
    FlowState,
    Problem,
    SlotError,
    register,
)
from openteller.core import AccountKind, AccountView, OpenTellerError, PayeeView, PaymentOrder

SPENDABLE_FROM = (AccountKind.CHECKING, AccountKind.SAVINGS)


def payment_key(ctx: TurnContext, state: FlowState) -> str:
    """One key per confirmed order: the session and the turn that asked for the yes."""
    return f"chat-{ctx.session_id[:24]}-{state.confirm_turn}"


def fill_amount(text: str, state: FlowState, awaiting: str | None) -> list[str]:
    found = u.find_amount(text)
    if found is None:
        return []
    if found.problem == "too_precise":
        raise SlotError("amount", "Amounts can have at most 2 decimal places (cents).")
    if found.problem or found.value is None or found.value <= 0:
        raise SlotError("amount", "Please give an amount above zero, like $25 or 120.50.")
    if found.currency not in (None, "USD"):
        raise SlotError("amount", "I can only move US dollars. How much in dollars?")
    if state.slots.get("amount") == str(found.value):
        return []
    state.slots["amount"] = str(found.value)
    return ["amount"]


def _own(ctx: TurnContext, account_id: Any) -> AccountView | None:
    return ctx.account(int(account_id)) if account_id is not None else None


def check_funds(
    ctx: TurnContext, source_id: Any, amount: Decimal, to_account_id: Any | None
) -> Problem | None:
    """Can `amount` leave the customer's account `source_id` (towards their own account
    `to_account_id`, if any)? A Problem names the slot to ask again."""
    source = _own(ctx, source_id)
    if source is None or source.kind not in SPENDABLE_FROM or source.status.value != "open":
        return Problem(
            "from_account", "Money can leave only an open checking or savings account.",
            ("from_account",),
        )  # fmt: skip
    if to_account_id is not None and int(to_account_id) == source.id:
        return Problem("destination", "That's the account the money comes from.", ("destination",))
    balance = ctx.call("balance", lambda: ctx.core.balance(source.id))
    room = balance.spendable if balance.spendable is not None else balance.available
    if amount > room:
        return Problem(
            "amount",
            f"{account_label(source)} has {money(room)} available, less than {money(amount)}.",
            ("amount",),
        )
    return None


def _ask_account(
    ctx: TurnContext, slot: str, question: str, kinds: tuple[AccountKind, ...]
) -> Reply:
    options = ctx.accounts_of(*kinds)
    names = ", ".join(account_label(a) for a in options)
    return Reply(
        f"{question} ({names})",
        f"ask_{slot}",
        suggestions=[a.name for a in options][:4],
    )


def _destination_label(ctx: TurnContext, dest: dict[str, Any]) -> str:
    if dest["kind"] == "payee":
        payee = next((p for p in ctx.payees if p.id == dest["id"]), None)
        return f"{payee.name} (****{payee.account_last4})" if payee else "the payee"
    account = _own(ctx, dest["id"])
    return f"your {account_label(account)}" if account else "your account"


@register
class TransferMoney(Flow):
    name = "transfer_money"
    title = "transfer"
    slots = ("amount", "from_account", "destination")
    confirm = True

    def fill(
        self, ctx: TurnContext, state: FlowState, text: str, awaiting: str | None
    ) -> list[str]:
        changed = fill_amount(text, state, awaiting)
        source, target, anyone = u.find_accounts(text, ctx.accounts)
        if (
            source.status == "one"
            and source.value is not None
            and state.slots.get("from_account") != source.value.id
        ):
            state.slots["from_account"] = source.value.id
            changed.append("from_account")
        if target.status == "one" and target.value is not None:
            dest = {"kind": "account", "id": target.value.id}
            if state.slots.get("destination") != dest:
                state.slots["destination"] = dest
                changed.append("destination")
        if (
            anyone.status == "one"
            and anyone.value is not None
            and not (source.status == "one" or target.status == "one")
        ):
            # An account named without "from" or "to": it answers the question asked.
            slot = awaiting if awaiting in ("from_account", "destination") else None
            if slot == "from_account":
                state.slots["from_account"] = anyone.value.id
                changed.append("from_account")
            elif slot == "destination":
                state.slots["destination"] = {"kind": "account", "id": anyone.value.id}
                changed.append("destination")
        if target.status == "none" and target.query:
            raise SlotError(
                "destination",
                f"I can't find a {target.query} account of yours.",
                suggestions=[a.name for a in ctx.accounts_of(*SPENDABLE_FROM)],
            )
        if "destination" not in changed and target.status != "one":
            payee = u.find_payee(text, ctx.payees)
            if payee.status == "one" and payee.value is not None:
                dest = {"kind": "payee", "id": payee.value.id}
                if state.slots.get("destination") != dest:
                    state.slots["destination"] = dest
                    changed.append("destination")
            elif payee.status == "ambiguous":
                names = [p.name for p in payee.candidates]
                raise SlotError(
                    "destination", f"Which payee do you mean: {_or(names)}?", suggestions=names
                )
            elif awaiting == "destination" and not changed:
                name = payee.query or u.clean_name(text)
                raise SlotError(
                    "destination",
                    f'I couldn\'t find a payee called "{name}". ' + _payee_list(ctx.payees),
                    suggestions=[p.name for p in ctx.payees][:4],
                )
        return changed

    def ask(self, ctx: TurnContext, state: FlowState, slot: str) -> Reply:
        if slot == "amount":
            return Reply("How much would you like to send?", "ask_amount")
        if slot == "from_account":
            return _ask_account(
                ctx, slot, "Which account should the money come from?", SPENDABLE_FROM
            )
        names = [p.name for p in ctx.payees]
        own = [a.name for a in ctx.accounts_of(*SPENDABLE_FROM)]
        return Reply(
            "Who should receive it? One of your payees "
            f"({', '.join(names) or 'none yet'}) or another of your accounts?",
            "ask_destination",
            suggestions=(names + own)[:4],
        )

    def check(self, ctx: TurnContext, state: FlowState) -> Problem | None:
        dest = state.slots["destination"]
        return check_funds(
            ctx,
            state.slots["from_account"],
            Decimal(state.slots["amount"]),
            dest["id"] if dest["kind"] == "account" else None,
        )

    def confirmation(self, ctx: TurnContext, state: FlowState) -> Reply:
        source = _own(ctx, state.slots["from_account"])
        assert source is not None
        amount = Decimal(state.slots["amount"])
        to = _destination_label(ctx, state.slots["destination"])
        return Reply(
            f"Please confirm: send {money(amount)} from your {account_label(source)} to {to}. "
            "Shall I go ahead?",
            "confirm_transfer",
            suggestions=YES_NO,
            pending_confirmation={
                "action": "transfer",
                "amount": str(amount),
                "currency": "USD",
                "from_account_id": str(source.id),
                "to": to,
            },
        )

    def execute(self, ctx: TurnContext, state: FlowState) -> Reply:
        dest = state.slots["destination"]
        order = PaymentOrder(
            from_account_id=int(state.slots["from_account"]),
            amount=Decimal(state.slots["amount"]),
            to_account_id=dest["id"] if dest["kind"] == "account" else None,
            payee_id=dest["id"] if dest["kind"] == "payee" else None,
            description="Sent with the assistant",
        )
        return _pay(ctx, state, order, _destination_label(ctx, dest))


def _pay(ctx: TurnContext, state: FlowState, order: PaymentOrder, to: str) -> Reply:
    payment = ctx.call("pay", lambda: ctx.core.pay(order, payment_key(ctx, state)))
    balance = ctx.call("balance", lambda: ctx.core.balance(order.from_account_id))
    source = _own(ctx, order.from_account_id)
    label = account_label(source) if source else "account"
    if payment.replayed:
        return Reply(
            f"That one is already done: {money(payment.amount)} went to {to} "
            f"(reference {payment.id}). Nothing was sent twice.",
            "payment_replayed",
        )
    return Reply(
        f"Done: {money(payment.amount)} sent to {to} (reference {payment.id}). "
        f"Your {label} now has {money(balance.available)} available.",
        "payment_done",
    )


@register
class PayCardBill(Flow):
    name = "pay_card_bill"
    title = "card payment"
    slots = ("card_account", "amount", "from_account")
    confirm = True

    def fill(
        self, ctx: TurnContext, state: FlowState, text: str, awaiting: str | None
    ) -> list[str]:
        changed: list[str] = []
        cards = ctx.accounts_of(AccountKind.CREDIT_CARD)
        if state.slots.get("card_account") is None and len(cards) == 1:
            state.slots["card_account"] = cards[0].id
            changed.append("card_account")
        if u.says_full_balance(text) and state.slots.get("card_account") is not None:
            owed = self._owed(ctx, int(state.slots["card_account"]))
            if owed > 0:
                state.slots["amount"] = str(owed)
                changed.append("amount")
        else:
            changed += fill_amount(text, state, awaiting)
        source, _, anyone = u.find_accounts(text, ctx.accounts)
        pick = source if source.status == "one" else anyone
        if pick.status == "one" and pick.value is not None and pick.value.kind in SPENDABLE_FROM:
            state.slots["from_account"] = pick.value.id
            changed.append("from_account")
        return changed

    def _owed(self, ctx: TurnContext, card_account: int) -> Decimal:
        balance = ctx.call("balance", lambda: ctx.core.balance(card_account))
        return max(Decimal("0.00"), -balance.ledger)

    def ask(self, ctx: TurnContext, state: FlowState, slot: str) -> Reply:
        if slot == "card_account":
            cards = ctx.accounts_of(AccountKind.CREDIT_CARD)
            if not cards:
                raise SlotError("card_account", "You don't have a credit card account with us.")
            return _ask_account(ctx, slot, "Which card account?", (AccountKind.CREDIT_CARD,))
        if slot == "amount":
            owed = self._owed(ctx, int(state.slots["card_account"]))
            return Reply(
                f"You owe {money(owed)} on your card. How much would you like to pay? "
                '(say "the full balance" or an amount)',
                "ask_card_amount",
                suggestions=["The full balance"],
            )
        return _ask_account(ctx, slot, "Which account should pay it?", SPENDABLE_FROM)

    def check(self, ctx: TurnContext, state: FlowState) -> Problem | None:
        owed = self._owed(ctx, int(state.slots["card_account"]))
        amount = Decimal(state.slots["amount"])
        if owed == 0:
            return Problem("amount", "Your card has nothing to pay right now.", ("amount",))
        if amount > owed:
            return Problem(
                "amount", f"That's more than the {money(owed)} you owe on the card.", ("amount",)
            )
        return check_funds(ctx, state.slots["from_account"], amount, state.slots["card_account"])

    def confirmation(self, ctx: TurnContext, state: FlowState) -> Reply:
        source = _own(ctx, state.slots["from_account"])
        card = _own(ctx, state.slots["card_account"])
        assert source is not None
        assert card is not None
        amount = Decimal(state.slots["amount"])
        return Reply(
            f"Please confirm: pay {money(amount)} to your {account_label(card)} from your "
            f"{account_label(source)}. Shall I go ahead?",
            "confirm_card_payment",
            suggestions=YES_NO,
            pending_confirmation={
                "action": "card_payment",
                "amount": str(amount),
                "currency": "USD",
                "from_account_id": str(source.id),
                "to": account_label(card),
            },
        )

    def execute(self, ctx: TurnContext, state: FlowState) -> Reply:
        card = _own(ctx, state.slots["card_account"])
        order = PaymentOrder(
            from_account_id=int(state.slots["from_account"]),
            amount=Decimal(state.slots["amount"]),
            to_account_id=int(state.slots["card_account"]),
            description="Card payment with the assistant",
        )
        return _pay(ctx, state, order, f"your {account_label(card)}" if card else "your card")


@register
class AddPayee(Flow):
    name = "add_payee"
    title = "new payee"
    slots = ("payee_name", "routing_number", "account_number", "bank_name")
    confirm = True

    def fill(
        self, ctx: TurnContext, state: FlowState, text: str, awaiting: str | None
    ) -> list[str]:
        changed: list[str] = []
        routing, account = u.find_bank_numbers(text)
        if routing is not None:
            state.slots["routing_number"] = routing
            changed.append("routing_number")
        elif awaiting == "routing_number" and u.has_digits(text):
            raise SlotError(
                "routing_number",
                "That isn't a valid 9-digit US routing number (ABA); please check it.",
            )
        if account is not None and awaiting in ("account_number", "routing_number", None):
            state.slots["account_number"] = account
            changed.append("account_number")
        if awaiting in ("payee_name", "bank_name") and not changed:
            value = u.clean_name(text)
            if not value:
                raise SlotError(awaiting, "Please type the name.")
            state.slots[awaiting] = value
            changed.append(awaiting)
        return changed

    def ask(self, ctx: TurnContext, state: FlowState, slot: str) -> Reply:
        questions = {
            "payee_name": "What is the payee's name (as it should appear on your list)?",
            "routing_number": "What is their bank's 9-digit routing number?",
            "account_number": "And their account number?",
            "bank_name": "What is the name of their bank?",
        }
        return Reply(questions[slot], f"ask_{slot}")

    def confirmation(self, ctx: TurnContext, state: FlowState) -> Reply:
        s = state.slots
        return Reply(
            f"Please confirm: add {s['payee_name']} at {s['bank_name']} (routing "
            f"{s['routing_number']}, account ending {str(s['account_number'])[-4:]}) "
            "to your payees?",
            "confirm_add_payee",
            suggestions=YES_NO,
            pending_confirmation={"action": "add_payee", "name": s["payee_name"]},
        )

    def execute(self, ctx: TurnContext, state: FlowState) -> Reply:
        s = state.slots
        try:
            payee = ctx.call(
                "add_payee",
                lambda: ctx.core.add_payee(
                    name=s["payee_name"],
                    bank_name=s["bank_name"],
                    routing_number=s["routing_number"],
                    account_number=s["account_number"],
                ),
            )
        except OpenTellerError as exc:
            return Reply(f"I couldn't add that payee: {exc.message}.", "add_payee_failed")
        state.slots["account_number"] = f"****{payee.account_last4}"  # forget the number
        return Reply(
            f"{payee.name} is now one of your payees (account ending {payee.account_last4}). "
            "You can send them money any time.",
            "payee_added",
            suggestions=[f"Send money to {payee.name}"],
        )


def _or(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _payee_list(payees: list[PayeeView]) -> str:
    if not payees:
        return 'You have no payees yet; say "add a payee" to add one.'
    return f"Your payees are {_or([p.name for p in payees])}."


__all__ = ["AddPayee", "PayCardBill", "TransferMoney", "payment_key"]
