"""Flows that read: balances, account details, transaction search, spending summary."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from openteller.assistant import understand as u
from openteller.assistant.context import (
    Reply,
    TurnContext,
    account_label,
    day,
    money,
    transaction_line,
)
from openteller.assistant.flows.base import Flow, FlowState, SlotError, register
from openteller.assistant.flows.insights import asks_for_summary, period_summary_reply
from openteller.core import AccountKind, AccountView, TransactionItem, TransactionQuery
from openteller.insights.summary import NOT_SPENDING

HISTORY_KINDS = (AccountKind.CHECKING, AccountKind.SAVINGS, AccountKind.CREDIT_CARD)
SHOW = 5
MAX_PAGES = 20  # 20 pages of 200: enough for a year of an active account


def _fill_account(ctx: TurnContext, state: FlowState, text: str) -> list[str]:
    match = u.find_account(text, ctx.accounts)
    if match.status == "one" and match.value is not None:
        state.slots["account"] = match.value.id
        return ["account"]
    if match.status == "ambiguous":
        names = [account_label(a) for a in match.candidates]
        raise SlotError("account", f"Which account: {', '.join(names)}?", names)
    return []


def _fill_range(ctx: TurnContext, state: FlowState, text: str) -> list[str]:
    found = u.find_range(text, ctx.now, ctx.tz)
    if found is None:
        return []
    start, end = found
    if start > ctx.today:
        raise SlotError("range", "That period hasn't started yet; history ends today.")
    state.slots["range"] = [start.isoformat(), min(end, ctx.today).isoformat()]
    return ["range"]


def _range(state: FlowState) -> tuple[date, date] | None:
    value = state.slots.get("range")
    if not value:
        return None
    return date.fromisoformat(value[0]), date.fromisoformat(value[1])


def _period(start: date, end: date) -> str:
    return day(start) if start == end else f"{day(start)} to {day(end)}"


def _chosen(
    ctx: TurnContext, state: FlowState, default_kinds: tuple[AccountKind, ...] | None = None
) -> list[AccountView]:
    """The account the customer named, else all of theirs (of `default_kinds`, if given)."""
    chosen = state.slots.get("account")
    if chosen is not None:
        return [a for a in ctx.accounts if a.id == chosen]
    return [a for a in ctx.accounts if default_kinds is None or a.kind in default_kinds]


class _AboutAccounts(Flow):
    """A read about one named account, or about all of them when none is named."""

    slots = ("account",)
    optional = frozenset({"account"})

    def fill(
        self, ctx: TurnContext, state: FlowState, text: str, awaiting: str | None
    ) -> list[str]:
        return _fill_account(ctx, state, text)


@register
class CheckBalance(_AboutAccounts):
    name = "check_balance"
    title = "balance check"

    def execute(self, ctx: TurnContext, state: FlowState) -> Reply:
        accounts = _chosen(ctx, state)
        lines = []
        for account in accounts:
            balance = ctx.call("balance", lambda a=account: ctx.core.balance(a.id))  # type: ignore[misc]
            if account.kind in (AccountKind.CREDIT_CARD, AccountKind.LOAN):
                owed = max(Decimal("0.00"), -balance.ledger)
                extra = ""
                if account.kind == AccountKind.CREDIT_CARD and balance.spendable is not None:
                    extra = f", {money(balance.spendable)} of credit available"
                lines.append(f"{account_label(account)}: {money(owed)} owed{extra}")
            else:
                held = f" ({money(balance.held)} pending)" if balance.held else ""
                lines.append(
                    f"{account_label(account)}: {money(balance.available)} available{held}"
                )
        if not lines:
            return Reply("You have no accounts with us yet.", "no_accounts")
        head = "Here is your balance:" if len(lines) == 1 else "Here are your balances:"
        return Reply(
            head + "\n" + "\n".join(f"• {line}" for line in lines),
            "balances",
            suggestions=["Show recent transactions", "Transfer money"],
        )


@register
class AccountDetails(_AboutAccounts):
    name = "account_details"
    title = "account details"

    def execute(self, ctx: TurnContext, state: FlowState) -> Reply:
        accounts = _chosen(ctx, state)
        lines = [
            f"{account_label(a)}: {a.kind.value.replace('_', ' ')}, {a.status.value}, "
            f"opened {day(a.opened_at.astimezone(ctx.tz).date())}"
            for a in accounts
        ]
        return Reply(
            "Your accounts:\n" + "\n".join(f"• {line}" for line in lines)
            + "\nFor security I only show the last 4 digits of account numbers.",
            "account_details",
        )  # fmt: skip


def search(
    ctx: TurnContext, accounts: list[AccountView], query: TransactionQuery
) -> list[tuple[AccountView, TransactionItem]]:
    """Every matching transaction on `accounts`, newest first (pages followed)."""
    found: list[tuple[AccountView, TransactionItem]] = []
    for account in accounts:
        page_query = query
        for _ in range(MAX_PAGES):
            page = ctx.call(
                "transactions",
                lambda a=account, q=page_query: ctx.core.transactions(a.id, q),  # type: ignore[misc]
            )
            found.extend((account, item) for item in page.items)
            if page.next_cursor is None:
                break
            page_query = replace(page_query, cursor=page.next_cursor)
    found.sort(key=lambda pair: pair[1].occurred_at, reverse=True)
    return found


def fill_search(ctx: TurnContext, state: FlowState, text: str) -> list[str]:
    changed = _fill_range(ctx, state, text) + _fill_account(ctx, state, text)
    merchant = u.find_merchant(text)
    if merchant:
        state.slots["merchant"] = merchant
        changed.append("merchant")
    category = u.find_category(text)
    if category:
        state.slots["category"] = category
        changed.append("category")
    amount = u.find_amount(text)
    if amount is not None and amount.value is not None and amount.problem is None:
        state.slots["amount"] = str(amount.value)
        changed.append("amount")
    return changed


@register
class SearchTransactions(Flow):
    name = "search_transactions"
    title = "transaction search"
    slots = ("range", "account", "merchant", "category", "amount")
    optional = frozenset(slots)

    def fill(
        self, ctx: TurnContext, state: FlowState, text: str, awaiting: str | None
    ) -> list[str]:
        return fill_search(ctx, state, text)

    def execute(self, ctx: TurnContext, state: FlowState) -> Reply:
        period = _range(state)
        start, end = period if period else (None, None)
        amount = Decimal(state.slots["amount"]) if state.slots.get("amount") else None
        query = TransactionQuery(
            start=start,
            end=end,
            text=state.slots.get("merchant"),
            category=state.slots.get("category"),
            min_amount=amount,
            max_amount=amount,
            limit=200,
        )
        accounts = _chosen(ctx, state, HISTORY_KINDS)
        found = search(ctx, accounts, query)
        what = _describe(state, period)
        if not found:
            return Reply(
                f"I found no transactions{what}.", "transactions_none", facts=[*(period or ())]
            )
        spent = sum((-item.amount for _, item in found if item.amount < 0), Decimal("0"))
        received = sum((item.amount for _, item in found if item.amount > 0), Decimal("0"))
        lines = [
            transaction_line(item, ctx.tz) + (f" · {account.name}" if len(accounts) > 1 else "")
            for account, item in found[:SHOW]
        ]
        totals = f"money out {money(spent)}"
        if received:
            totals += f", money in {money(received)}"
        more = f"\n…and {len(found) - SHOW} more." if len(found) > SHOW else ""
        return Reply(
            f"I found {len(found)} transaction{'s' if len(found) != 1 else ''}{what} "
            f"({totals}):\n" + "\n".join(f"• {line}" for line in lines) + more,
            "transactions",
            facts=[len(found), spent, received, len(found) - SHOW, *(period or ())],
        )


def _describe(state: FlowState, period: tuple[date, date] | None) -> str:
    parts = []
    if state.slots.get("merchant"):
        parts.append(f" at {state.slots['merchant']}")
    if state.slots.get("category"):
        parts.append(f" in {state.slots['category']}")
    if state.slots.get("amount"):
        parts.append(f" of {money(Decimal(state.slots['amount']))}")
    if period:
        parts.append(
            f" from {_period(*period)}" if period[0] != period[1] else f" on {day(period[0])}"
        )
    return "".join(parts)


@register
class SpendingSummary(Flow):
    """Spending by category over a period; a whole-period summary (money in and out,
    changes, notable items) when the customer asks for a summary of a period rather than
    of their spending ("summarize my October")."""

    name = "spending_summary"
    title = "spending summary"
    slots = ("range", "account", "category", "summary")
    optional = frozenset(slots)

    def fill(
        self, ctx: TurnContext, state: FlowState, text: str, awaiting: str | None
    ) -> list[str]:
        changed = _fill_range(ctx, state, text) + _fill_account(ctx, state, text)
        category = u.find_category(text)
        if category:
            state.slots["category"] = category
            changed.append("category")
        if asks_for_summary(text):
            state.slots["summary"] = True
            changed.append("summary")
        return changed

    def execute(self, ctx: TurnContext, state: FlowState) -> Reply:
        period = _range(state) or (ctx.today.replace(day=1), ctx.today)
        whole = state.slots.get("summary") and not state.slots.get("category")
        if whole and state.slots.get("account") is None:
            summary = period_summary_reply(ctx, *period)
            if summary is not None:
                return summary
        accounts = _chosen(ctx, state, HISTORY_KINDS)
        found = search(
            ctx,
            accounts,
            TransactionQuery(
                start=period[0],
                end=period[1],
                direction="debit",
                category=state.slots.get("category"),
                limit=200,
            ),
        )
        by_category: dict[str, Decimal] = defaultdict(Decimal)
        for _, item in found:
            if (item.category or "other") not in NOT_SPENDING:
                by_category[item.category or "other"] += -item.amount
        total = sum(by_category.values(), Decimal("0"))
        when = _period(*period)
        if not by_category:
            return Reply(f"I found no spending from {when}.", "spending_none", facts=[*period])
        top = sorted(by_category.items(), key=lambda kv: (-kv[1], kv[0]))
        lines = [f"{name.replace('_', ' ')}: {money(amount)}" for name, amount in top[:6]]
        return Reply(
            f"You spent {money(total)} from {when}. By category:\n"
            + "\n".join(f"• {line}" for line in lines),
            "spending_summary",
            suggestions=["Show the biggest purchases"],
            facts=[total, *by_category.values(), *period],
        )


def summary_payload(state: FlowState) -> dict[str, Any]:
    return dict(state.slots)
