"""Loans (quote, application, status), disputes and handing over to a person.

Loan applications and disputes become tickets for people: the assistant collects and
confirms the facts, staff (and the credit engine, when it lands) decide.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from openteller.assistant import understand as u
from openteller.assistant.context import Reply, TurnContext, day, money, transaction_line
from openteller.assistant.flows.accounts import HISTORY_KINDS, search
from openteller.assistant.flows.base import YES_NO, Flow, FlowState, Problem, SlotError, register
from openteller.assistant.flows.money import fill_amount
from openteller.core import TransactionQuery

TERMS = (12, 24, 36, 48, 60)
MIN_LOAN, MAX_LOAN = Decimal("1000"), Decimal("50000")
DISPUTE_DAYS = 120


def _fill_loan(ctx: TurnContext, state: FlowState, text: str, awaiting: str | None) -> list[str]:
    changed: list[str] = []
    term = u.find_term_months(text)
    if term is not None:
        state.slots["term"] = term
        changed.append("term")
        text = u.without_term(text)
    if awaiting == "term" and term is None:
        bare = u.find_amount(text)
        if bare is not None and bare.value is not None and bare.value in TERMS:
            state.slots["term"] = int(bare.value)
            return ["term"]
    return changed + fill_amount(text, state, awaiting)


def _loan_problem(state: FlowState) -> Problem | None:
    amount = Decimal(state.slots["amount"])
    if not MIN_LOAN <= amount <= MAX_LOAN:
        return Problem(
            "amount",
            f"Personal loans are from {money(MIN_LOAN)} to {money(MAX_LOAN)}.",
            ("amount",),
        )
    if int(state.slots["term"]) not in TERMS:
        return Problem("term", "Terms are 12, 24, 36, 48 or 60 months.", ("term",))
    return None


def _ask_loan(slot: str) -> Reply:
    if slot == "amount":
        return Reply(
            f"How much would you like to borrow ({money(MIN_LOAN)} to {money(MAX_LOAN)})?",
            "ask_loan_amount",
        )
    if slot == "term":
        return Reply(
            "Over how many months: 12, 24, 36, 48 or 60?",
            "ask_loan_term",
            suggestions=[f"{t} months" for t in TERMS[1:4]],
        )
    return Reply("What is the loan for (for example a car, home repairs, debt)?", "ask_purpose")


@register
class LoanQuote(Flow):
    name = "loan_quote"
    title = "loan quote"
    slots = ("amount", "term")

    def fill(
        self, ctx: TurnContext, state: FlowState, text: str, awaiting: str | None
    ) -> list[str]:
        return _fill_loan(ctx, state, text, awaiting)

    def ask(self, ctx: TurnContext, state: FlowState, slot: str) -> Reply:
        return _ask_loan(slot)

    def check(self, ctx: TurnContext, state: FlowState) -> Problem | None:
        return _loan_problem(state)

    def execute(self, ctx: TurnContext, state: FlowState) -> Reply:
        amount, term = Decimal(state.slots["amount"]), int(state.slots["term"])
        quote = ctx.call("loan_quote", lambda: ctx.core.loan_quote(amount, term))
        offers = sorted(quote.offers, key=lambda o: o.apr)
        best, worst = offers[0], offers[-1]
        return Reply(
            f"For {money(amount)} over {term} months, the APR is from {best.apr}% "
            f"(monthly payment {money(best.payment)}, total {money(best.total_of_payments)}) "
            f"to {worst.apr}% (monthly payment {money(worst.payment)}, total "
            f"{money(worst.total_of_payments)}), depending on the credit decision. "
            f"The origination fee is {money(best.origination_fee)}. This is an estimate, "
            "not an offer of credit.",
            "loan_quote",
            suggestions=["Apply for this loan"],
        )


@register
class ApplyLoan(Flow):
    """A personal loan application. With the credit service (`TurnContext.credit`) the
    answer is the decision itself: an offer with its APR, a referral to a credit officer,
    or a decline with its principal reasons (Reg B); without it, a ticket for a person."""

    name = "apply_loan"
    title = "loan application"
    slots = ("amount", "term", "purpose", "income", "employment")
    confirm = True

    def fill(
        self, ctx: TurnContext, state: FlowState, text: str, awaiting: str | None
    ) -> list[str]:
        if awaiting == "purpose":
            purpose = u.clean_name(text)[:120]
            if not purpose:
                raise SlotError("purpose", "Please say in a few words what the loan is for.")
            state.slots["purpose"] = purpose
            return ["purpose"]
        if awaiting == "income":
            found = u.find_amount(text)
            if found is None or found.value is None or found.problem or found.value <= 0:
                raise SlotError(
                    "income", 'Please give your monthly income as an amount, like "$4,200".'
                )
            state.slots["income"] = str(found.value)
            return ["income"]
        if awaiting == "employment":
            employment = _employment(text)
            if employment is None:
                raise SlotError(
                    "employment",
                    "Are you employed, self-employed, or not working at the moment?",
                    ["Employed", "Self-employed", "Not working"],
                )
            state.slots["employment"] = employment
            return ["employment"]
        return _fill_loan(ctx, state, text, awaiting)

    def ask(self, ctx: TurnContext, state: FlowState, slot: str) -> Reply:
        if slot == "income":
            return Reply("What is your monthly income before tax (from all sources)?", "ask_income")
        if slot == "employment":
            return Reply(
                "Are you employed, self-employed, or not working at the moment?",
                "ask_employment",
                suggestions=["Employed", "Self-employed", "Not working"],
            )
        return _ask_loan(slot)

    def check(self, ctx: TurnContext, state: FlowState) -> Problem | None:
        return _loan_problem(state)

    def confirmation(self, ctx: TurnContext, state: FlowState) -> Reply:
        amount, term = Decimal(state.slots["amount"]), int(state.slots["term"])
        return Reply(
            f"Please confirm: apply for a personal loan of {money(amount)} over {term} months "
            f"for {state.slots['purpose']}? Applying does not commit you to borrow.",
            "confirm_loan_application",
            suggestions=YES_NO,
            pending_confirmation={
                "action": "apply_loan",
                "amount": str(amount),
                "currency": "USD",
                "term_months": term,
            },
        )

    def execute(self, ctx: TurnContext, state: FlowState) -> Reply:
        amount, term = Decimal(state.slots["amount"]), int(state.slots["term"])
        if ctx.credit is not None:
            return self._decide(ctx, state, amount, term)
        ctx.tickets.append(
            {
                "reason": "loan_application",
                "priority": "normal",
                "summary": f"Personal loan application: {money(amount)} over {term} months "
                f"({state.slots['purpose']}).",
                "details": {
                    "amount": str(amount),
                    "term_months": term,
                    "purpose": state.slots["purpose"],
                    "product_code": "personal_loan",
                },
            }
        )
        return Reply(
            "Your application is submitted. We'll review it and tell you the decision, with "
            "the rate and terms if approved.",
            "loan_application_submitted",
            handoff={"reason": "loan_application"},
        )

    def _decide(self, ctx: TurnContext, state: FlowState, amount: Decimal, term: int) -> Reply:
        from openteller.credit import REVIEW_DAYS, ApplicationInput

        credit = ctx.credit
        application = ApplicationInput(
            amount=amount,
            term_months=term,
            purpose=_purpose(str(state.slots["purpose"])),
            monthly_income=Decimal(state.slots["income"]),
            employment=state.slots["employment"],
        )
        key = f"chat-{ctx.session_id[:24]}-{state.confirm_turn}"
        view = ctx.call("credit_apply", lambda: credit.apply(ctx.customer_id, application, key))
        text = f"{view.explanation} Your application number is {view.id}."
        if view.status == "declined" and view.notice_text:
            text += " You'll find the notice with your application in the app."
        return Reply(
            text,
            f"loan_{view.status}",
            handoff={"reason": "loan_review"} if view.status == "referred" else None,
            facts=[REVIEW_DAYS, view.id],
        )


_PURPOSES = (
    ("car_new", ("new car",)),
    ("car_used", ("car", "vehicle", "truck", "motorbike", "motorcycle")),
    ("furniture", ("furniture", "sofa", "couch", "bed", "kitchen table")),
    ("electronics", ("tv", "television", "laptop", "computer", "phone", "electronics")),
    ("appliances", ("appliance", "fridge", "washing machine", "dishwasher", "oven")),
    ("repairs", ("repair", "renovat", "home improvement", "roof", "remodel", "house")),
    ("education", ("education", "school", "college", "tuition", "university", "degree")),
    ("retraining", ("course", "training", "retrain", "bootcamp", "certificate")),
    ("business", ("business", "shop", "startup", "company", "equipment")),
)


def _purpose(text: str) -> Any:
    """The scorecard's purpose category for the customer's own words ("other" if none)."""
    low = text.lower()
    for code, words in _PURPOSES:
        if any(w in low for w in words):
            return code
    return "other"


def _employment(text: str) -> str | None:
    low = text.lower()
    if any(w in low for w in ("self-employed", "self employed", "freelance", "own business")):
        return "self_employed"
    if any(w in low for w in ("unemployed", "not working", "no job", "between jobs", "retired")):
        return "unemployed"
    if any(w in low for w in ("employed", "full time", "full-time", "part time", "job", "work")):
        return "employed"
    return None


@register
class LoanStatus(Flow):
    name = "loan_status"
    title = "loan status"

    def execute(self, ctx: TurnContext, state: FlowState) -> Reply:
        loans = ctx.call("list_loans", ctx.core.list_loans)
        if not loans:
            return Reply(
                "You have no loans with us. I can give you a quote if you like.",
                "no_loans",
                suggestions=["Get a loan quote"],
            )
        lines = []
        for loan in loans:
            line = (
                f"{loan.product_code.replace('_', ' ')} of {money(loan.principal)}: "
                f"{money(loan.outstanding)} outstanding at {loan.apr}% APR"
            )
            if loan.next_payment is not None:
                line += (
                    f"; next payment {money(loan.next_payment.amount)} due "
                    f"{day(loan.next_payment.due_date)}"
                )
            lines.append(line)
        return Reply("Your loans:\n" + "\n".join(f"• {x}" for x in lines), "loan_status")


@register
class DisputeCharge(Flow):
    name = "dispute_charge"
    title = "dispute"
    slots = ("transaction", "why")
    confirm = True

    def fill(
        self, ctx: TurnContext, state: FlowState, text: str, awaiting: str | None
    ) -> list[str]:
        if awaiting == "transaction" and state.slots.get("options"):
            pick = u.find_ordinal(text)
            options: list[int] = state.slots["options"]
            if pick is not None and pick < len(options):
                state.slots["transaction"] = options[pick]
                return ["transaction"]
        if awaiting == "why":
            state.slots["why"] = u.clean_name(text)[:200] or "not given"
            return ["why"]
        merchant = u.find_merchant(text)
        amount = u.find_amount(text)
        if merchant is None and (amount is None or amount.value is None):
            return []
        start = ctx.today - timedelta(days=DISPUTE_DAYS)
        found = search(
            ctx,
            [a for a in ctx.accounts if a.kind in HISTORY_KINDS],
            TransactionQuery(
                start=start,
                text=merchant,
                min_amount=amount.value if amount else None,
                max_amount=amount.value if amount else None,
                direction="debit",
                limit=200,
            ),
        )
        if not found:
            raise SlotError(
                "transaction",
                f"I couldn't find that charge in the last {DISPUTE_DAYS} days. Tell me the "
                'merchant and the amount, e.g. "$42.10 at Shell".',
            )
        state.slots["options"] = [item.transfer_id for _, item in found[:3]]
        state.slots["labels"] = [
            transaction_line(item, ctx.tz, as_charge=True) for _, item in found[:3]
        ]
        if len(found) == 1:
            state.slots["transaction"] = found[0][1].transfer_id
            return ["transaction"]
        state.slots.pop("transaction", None)
        return ["options"]

    def ask(self, ctx: TurnContext, state: FlowState, slot: str) -> Reply:
        if slot == "why":
            return Reply(
                "What's wrong with this charge (for example: not mine, charged twice, item "
                "never arrived)?",
                "ask_dispute_reason",
                suggestions=["I didn't make it", "Charged twice", "Never arrived"],
            )
        labels = state.slots.get("labels")
        if labels:
            numbered = "\n".join(f"{i}. {label}" for i, label in enumerate(labels, start=1))
            return Reply(f"Which charge is it?\n{numbered}", "ask_dispute_pick")
        return Reply(
            "Which charge would you like to dispute? Tell me the merchant and the amount.",
            "ask_dispute_charge",
        )

    def _label(self, state: FlowState) -> str:
        options: list[int] = state.slots.get("options") or []
        labels: list[str] = state.slots.get("labels") or []
        chosen = state.slots["transaction"]
        return labels[options.index(chosen)] if chosen in options else f"#{chosen}"

    def confirmation(self, ctx: TurnContext, state: FlowState) -> Reply:
        return Reply(
            f'Please confirm: open a dispute for {self._label(state)} ("{state.slots["why"]}")?',
            "confirm_dispute",
            suggestions=YES_NO,
            pending_confirmation={"action": "dispute", "charge": self._label(state)},
        )

    def execute(self, ctx: TurnContext, state: FlowState) -> Reply:
        ctx.tickets.append(
            {
                "reason": "dispute",
                "priority": "normal",
                "summary": f"Dispute: {self._label(state)}. Customer says: {state.slots['why']}",
                "details": {"transfer_id": state.slots["transaction"], "why": state.slots["why"]},
            }
        )
        return Reply(
            "Your dispute is opened and a specialist will review it. We'll contact you about "
            "the outcome; keep any receipts or messages about this charge.",
            "dispute_opened",
            handoff={"reason": "dispute"},
        )


@register
class HumanHandoff(Flow):
    name = "human_handoff"
    title = "handover"

    def execute(self, ctx: TurnContext, state: FlowState) -> Reply:
        ctx.tickets.append(
            {
                "reason": "human_request",
                "priority": "normal",
                "summary": "The customer asked to talk to a person.",
                "details": {},
            }
        )
        return Reply(
            "I've asked a colleague to take over; they'll see this conversation, so you "
            "won't need to repeat yourself.",
            "handoff",
            handoff={"reason": "human_request"},
        )
