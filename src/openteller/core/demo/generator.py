"""Plans one customer's months of banking activity, day by day.

The planner keeps the customer's balances in integer cents as it goes, so every planned
debit is affordable when the ledger posts it in the same order: the demo bank's history
contains no accidental failures, and the planted anomalies are the only anomalies.
Each customer gets an independent `random.Random` seeded from (seed, customer index),
so the plan of one customer does not depend on how many others there are.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from openteller.core.demo import merchants as shops
from openteller.core.loans import ScheduledPayment, add_months


@dataclass(frozen=True)
class Planned:
    """One transfer (or, when `pending`, one card authorization) to post."""

    at: datetime
    day: date  # local business day the event belongs to
    seq: int
    customer: int
    debit: int
    credit: int
    minor: int
    kind: str
    description: str
    category: str | None
    channel: str
    merchant: str | None = None
    location: str | None = None
    label: str | None = None
    series: str | None = None
    detail: str = ""
    pending: bool = False


@dataclass(frozen=True)
class BankIds:
    """The bank's own accounts the plan posts against."""

    ach: int
    card: int
    cash: int
    fee_income: int
    interest_expense: int
    interest_income: int


@dataclass
class LoanPlan:
    account: int
    principal_minor: int
    fee_minor: int
    advance: date
    schedule: list[ScheduledPayment]


@dataclass
class Profile:
    """Who the customer is, as far as money goes. Drawn once from the customer's rng."""

    index: int
    checking: int
    checking_floor: int  # cents, <= 0
    checking_product: str
    savings: int | None
    savings_apy: Decimal
    card: int | None
    card_floor: int  # -credit limit in cents
    card_apr: Decimal
    loan: LoanPlan | None
    home: str  # "City, ST"
    employer: str
    pay_minor: int
    pay_schedule: str  # biweekly | monthly | irregular
    first_payday: date
    housing: tuple[str, int, int]  # payee name, amount cents, day of month
    payees: list[str] = field(default_factory=list)  # friends for P2P


def cents(value: str | int | Decimal) -> int:
    return int((Decimal(value) * 100).to_integral_value(ROUND_HALF_UP))


class CustomerPlanner:
    """Plans every event for one customer between `start` and `end` (inclusive dates)."""

    def __init__(
        self,
        profile: Profile,
        bank: BankIds,
        rng: random.Random,
        tz: ZoneInfo,
        start: date,
        end: date,
    ) -> None:
        self.p = profile
        self.bank = bank
        self.rng = rng
        self.tz = tz
        self.start = start
        self.end = end
        self.events: list[Planned] = []
        self.bal: dict[int, int] = {profile.checking: 0}
        self.floor: dict[int, int] = {profile.checking: profile.checking_floor}
        if profile.savings is not None:
            self.bal[profile.savings] = 0
            self.floor[profile.savings] = 0
        if profile.card is not None:
            self.bal[profile.card] = 0
            self.floor[profile.card] = profile.card_floor
        self._seq = 0
        self._offset_day: date | None = None
        self._offset = timedelta(0)
        self._subs = self._pick_subscriptions()
        self._bills = self._pick_bills()
        self._has_car = rng.random() < 0.7
        self._statement_day = rng.randint(3, 26)
        self._revolver = rng.random() < 0.3
        self._card_statement = 0  # balance owed at the last statement (cents, >= 0)
        self._month_payroll: dict[tuple[int, int], int] = {}
        self._month_min: dict[tuple[int, int], int] = {}
        self._loan_due = {s.due_date: s for s in profile.loan.schedule} if profile.loan else {}
        self._pending_since = datetime.combine(end - timedelta(days=1), time(0), tz)
        self._unusual_months = {
            (d.year, d.month) for d in _month_starts(start, end) if rng.random() < 0.06
        }

    # ------------------------------------------------------------ plan building

    def plan(self) -> list[Planned]:
        day = self.start
        self._opening_balances()
        if self.p.loan is not None:
            self._loan_disbursement(self.p.loan)
        while day <= self.end:
            self._plan_day(day)
            day += timedelta(days=1)
        return self.events

    def _at(self, day: date, hour: int, minute: int | None = None) -> datetime:
        """Local wall-clock time on `day` as a UTC instant.

        One UTC offset per day (the offset at noon), computed once: on the two DST
        change days an event before 2 a.m. lands an hour off, still a valid instant.
        """
        m = self.rng.randrange(60) if minute is None else minute
        if day != self._offset_day:
            self._offset_day = day
            offset = datetime.combine(day, time(12), self.tz).utcoffset()
            self._offset = offset if offset is not None else timedelta(0)
        return datetime(day.year, day.month, day.day, hour, m, tzinfo=UTC) - self._offset

    def _emit(
        self,
        at: datetime,
        debit: int,
        credit: int,
        minor: int,
        kind: str,
        description: str,
        category: str | None,
        channel: str,
        *,
        merchant: str | None = None,
        location: str | None = None,
        label: str | None = None,
        series: str | None = None,
        detail: str = "",
    ) -> bool:
        """Append the event if the debit account can afford it (own accounts only)."""
        if minor <= 0:
            return False
        if debit in self.bal:
            if self.bal[debit] - minor < self.floor[debit]:
                return False
            self.bal[debit] -= minor
        if credit in self.bal:
            self.bal[credit] += minor
        self._seq += 1
        pending = channel == "card" and at >= self._pending_since and kind == "card_purchase"
        self.events.append(
            Planned(
                at=at,
                day=(at + self._offset).date(),
                seq=self._seq,
                customer=self.p.index,
                debit=debit,
                credit=credit,
                minor=minor,
                kind=kind,
                description=description,
                category=category,
                channel=channel,
                merchant=merchant,
                location=location,
                label=label,
                series=series,
                detail=detail,
                pending=pending,
            )
        )
        key = (at.year, at.month)
        if debit == self.p.checking or credit == self.p.checking:
            low = self._month_min.get(key, self.bal[self.p.checking])
            self._month_min[key] = min(low, self.bal[self.p.checking])
        return True

    def _opening_balances(self) -> None:
        at = self._at(self.start, 0, 5)
        opening = self.p.pay_minor * self.rng.randint(1, 3) + cents(self.rng.randint(50, 900))
        self._emit(
            at,
            self.bank.ach,
            self.p.checking,
            opening,
            "deposit",
            "Opening deposit",
            "transfer",
            "ach",
        )
        if self.p.savings is not None:
            amount = cents(self.rng.choice([250, 1200, 3500, 8000, 15000, 32000]))
            self._emit(
                at,
                self.bank.ach,
                self.p.savings,
                amount,
                "deposit",
                "Opening deposit",
                "transfer",
                "ach",
            )

    def _loan_disbursement(self, loan: LoanPlan) -> None:
        at = self._at(loan.advance, 10, 0)
        self.bal[loan.account] = 0
        self.floor[loan.account] = -sum(cents(s.payment) for s in loan.schedule) - loan.fee_minor
        self._emit(
            at,
            loan.account,
            self.p.checking,
            loan.principal_minor,
            "loan_disbursement",
            "Personal loan proceeds",
            "loan",
            "internal",
        )
        self._emit(
            at + timedelta(minutes=1),
            self.p.checking,
            self.bank.fee_income,
            loan.fee_minor,
            "fee",
            "Loan origination fee",
            "fees",
            "internal",
        )

    def _plan_day(self, day: date) -> None:
        rng = self.rng
        p = self.p
        self._payroll(day)
        house_payee, house_amount, house_day = p.housing
        if day.day == house_day:
            self._emit(
                self._at(day, 8),
                p.checking,
                self.bank.ach,
                house_amount,
                "payment",
                f"{house_payee} {'rent' if 'Mortgage' not in house_payee else 'payment'}",
                "housing",
                "ach",
                merchant=house_payee,
                label="recurring",
                series=f"c{p.index}:housing",
            )
        for name, low, high, bill_day, fixed in self._bills:
            if day.day == bill_day:
                amount = low if fixed else rng.randint(low, high)
                self._emit(
                    self._at(day, 7),
                    p.checking,
                    self.bank.ach,
                    amount,
                    "payment",
                    f"{name} autopay",
                    "utilities",
                    "ach",
                    merchant=name,
                    label="recurring",
                    series=f"c{p.index}:{name}",
                )
        for merchant, before, after, sub_day, change in self._subs:
            if day.day == sub_day:
                price = after if change is not None and day >= change else before
                detail = ""
                if change is not None and day >= change and day < change + timedelta(days=31):
                    detail = f"price_increase {before / 100:.2f}->{after / 100:.2f}"
                self._card_spend(
                    self._at(day, 5),
                    merchant,
                    "subscriptions",
                    price,
                    label="recurring",
                    series=f"c{p.index}:{merchant}",
                    detail=detail,
                )
        self._everyday_spending(day)
        if p.card is not None:
            self._card_cycle(day)
        if p.loan is not None:
            self._loan_payment(day, p.loan)
        if rng.random() < 0.04 and p.payees:
            friend = rng.choice(p.payees)
            self._emit(
                self._at(day, rng.randint(9, 21)),
                p.checking,
                self.bank.ach,
                cents(rng.choice([20, 25, 40, 50, 75, 120, 200])),
                "payment",
                f"Payment to {friend}",
                "p2p",
                "ach",
                merchant=friend,
            )
        if rng.random() < 0.035:
            self._emit(
                self._at(day, rng.randint(10, 20)),
                p.checking,
                self.bank.cash,
                cents(rng.choice([40, 60, 100, 200])),
                "withdrawal",
                "ATM withdrawal",
                "cash",
                "atm",
                location=p.home,
            )
        if (day.year, day.month) in self._unusual_months and day.day == 17:
            self._unusual(day)
        if (day + timedelta(days=1)).month != day.month:
            self._month_end(day)

    def _payroll(self, day: date) -> None:
        p = self.p
        if p.pay_schedule == "biweekly":
            paid = day >= p.first_payday and (day - p.first_payday).days % 14 == 0
        elif p.pay_schedule == "monthly":
            paid = day == _last_business_day(day)
        else:  # irregular gig income, no direct deposit
            paid = self.rng.random() < 0.12
        if not paid:
            return
        amount = (
            p.pay_minor
            if p.pay_schedule != "irregular"
            else self.rng.randint(p.pay_minor // 4, p.pay_minor // 2)
        )
        kind, label = (
            ("salary", "recurring") if p.pay_schedule != "irregular" else ("deposit", None)
        )
        self._emit(
            self._at(day, 6, 0),
            self.bank.ach,
            p.checking,
            amount,
            kind,
            f"{p.employer} {'DIRECT DEP' if label else 'transfer'}",
            "income",
            "ach",
            merchant=p.employer,
            label=label,
            series=f"c{p.index}:payroll" if label else None,
        )
        if label:
            key = (day.year, day.month)
            self._month_payroll[key] = self._month_payroll.get(key, 0) + amount
            if p.savings is not None:
                save = amount * self.rng.choice([5, 8, 10, 12]) // 100
                self._emit(
                    self._at(day, 9, 30),
                    p.checking,
                    p.savings,
                    save,
                    "transfer",
                    "Transfer to savings",
                    "transfer",
                    "internal",
                )

    def _card_spend(
        self,
        at: datetime,
        merchant: str,
        category: str,
        minor: int,
        *,
        label: str | None = None,
        series: str | None = None,
        detail: str = "",
        location: str | None = None,
        prefer_credit: bool = True,
    ) -> bool:
        p = self.p
        use_credit = p.card is not None and prefer_credit
        source = p.card if use_credit and p.card is not None else p.checking
        return self._emit(
            at,
            source,
            self.bank.card,
            minor,
            "card_purchase",
            merchant,
            category,
            "card",
            merchant=merchant,
            location=location or p.home,
            label=label,
            series=series,
            detail=detail,
        )

    def _everyday_spending(self, day: date) -> None:
        rng = self.rng
        weekend = day.weekday() >= 5
        plans: list[tuple[list[shops.Merchant], float, tuple[int, int]]] = [
            (shops.GROCERIES, 0.16 if not weekend else 0.3, (9, 20)),
            (shops.DINING, 0.22 if not weekend else 0.35, (7, 22)),
            (shops.SHOPPING, 0.09, (10, 21)),
            (shops.HEALTH, 0.03, (9, 19)),
            (shops.ENTERTAINMENT, 0.03 if not weekend else 0.08, (14, 23)),
            (shops.FUEL if self._has_car else shops.TRANSPORT, 0.12, (6, 21)),
        ]
        for catalogue, chance, (h0, h1) in plans:
            if rng.random() >= chance:
                continue
            m = rng.choice(catalogue)
            amount = rng.randint(cents(m.low), cents(m.high))
            at = self._at(day, rng.randint(h0, h1))
            credit = rng.random() < 0.75
            if self._card_spend(at, m.name, m.category, amount, prefer_credit=credit) and (
                m.category in ("dining", "groceries", "shopping") and rng.random() < 0.01
            ):
                # A merchant's terminal submits the same charge twice.
                again = at + timedelta(minutes=rng.randint(1, 90))
                if (again + self._offset).date() == day:
                    self._card_spend(
                        again,
                        m.name,
                        m.category,
                        amount,
                        label="duplicate",
                        detail=f"same charge {m.name} {amount / 100:.2f}",
                        prefer_credit=credit,
                    )

    def _unusual(self, day: date) -> None:
        merchant, location, low, high = self.rng.choice(shops.UNUSUAL)
        amount = self.rng.randint(cents(low), cents(high))
        at = self._at(day, self.rng.randint(1, 4))
        for prefer_credit in (True, False):
            if self._card_spend(
                at,
                merchant,
                "shopping",
                amount,
                label="unusual",
                detail="far from home, at night, new merchant, large",
                location=location,
                prefer_credit=prefer_credit,
            ):
                return

    def _card_cycle(self, day: date) -> None:
        p = self.p
        assert p.card is not None
        if day.day == self._statement_day:
            owed = max(0, -self.bal[p.card])
            if self._revolver and self._card_statement > 0:
                interest = int(
                    (Decimal(self._card_statement) * p.card_apr / 1200).to_integral_value(
                        ROUND_HALF_UP
                    )
                )
                if self._emit(
                    self._at(day, 23, 55),
                    p.card,
                    self.bank.interest_income,
                    interest,
                    "interest",
                    "Interest charge on purchases",
                    "interest",
                    "internal",
                ):
                    owed += interest
            self._card_statement = owed
        due = self._statement_day + 21
        if day.day == (due - 28 if due > 28 else due) and self._card_statement > 0:
            owed = self._card_statement
            if self._revolver:
                amount = max(min(owed, cents("35.00")), owed * self.rng.randint(10, 40) // 100)
            else:
                amount = owed
            if self._emit(
                self._at(day, 12),
                p.checking,
                p.card,
                amount,
                "card_payment",
                "Credit card payment - thank you",
                "card_payment",
                "internal",
            ):
                self._card_statement = max(0, owed - amount)

    def _loan_payment(self, day: date, loan: LoanPlan) -> None:
        item = self._loan_due.get(day)
        if item is None:
            return
        self._emit(
            self._at(day, 4, 0),
            loan.account,
            self.bank.interest_income,
            cents(item.interest),
            "interest",
            "Loan interest",
            "interest",
            "internal",
        )
        self._emit(
            self._at(day, 9, 0),
            self.p.checking,
            loan.account,
            cents(item.payment),
            "loan_payment",
            f"Personal loan payment {item.number}",
            "loan",
            "internal",
            label="recurring",
            series=f"c{self.p.index}:loan",
        )

    def _month_end(self, day: date) -> None:
        p = self.p
        key = (day.year, day.month)
        at = self._at(day, 23, 50)
        if p.savings is not None and self.bal[p.savings] > 0:
            interest = int(
                (Decimal(self.bal[p.savings]) * p.savings_apy / 1200).to_integral_value(
                    ROUND_HALF_UP
                )
            )
            self._emit(
                at,
                self.bank.interest_expense,
                p.savings,
                interest,
                "interest",
                "Interest paid",
                "interest",
                "internal",
            )
        if p.checking_product == "everyday_checking":
            low = self._month_min.get(key, self.bal[p.checking])
            if self._month_payroll.get(key, 0) < cents("500.00") and low < cents("1500.00"):
                self._emit(
                    at + timedelta(minutes=1),
                    p.checking,
                    self.bank.fee_income,
                    cents("12.00"),
                    "fee",
                    "Monthly maintenance fee",
                    "fees",
                    "internal",
                )

    # ---------------------------------------------------------- customer traits

    def _pick_subscriptions(self) -> list[tuple[str, int, int, int, date | None]]:
        rng = self.rng
        chosen = rng.sample(shops.SUBSCRIPTIONS, rng.randint(2, 5))
        months = _month_starts(self.start, self.end)
        out: list[tuple[str, int, int, int, date | None]] = []
        for name, before, after in chosen:
            change: date | None = None
            if before != after and len(months) >= 3 and rng.random() < 0.5:
                change = months[rng.randint(1, len(months) - 1)]
            out.append((name, cents(before), cents(after), rng.randint(1, 28), change))
        return out

    def _pick_bills(self) -> list[tuple[str, int, int, int, bool]]:
        rng = self.rng
        return [
            (name, cents(low), cents(high), rng.randint(5, 25), low == high)
            for name, low, high in shops.UTILITIES
            if rng.random() < 0.85
        ]


def _month_starts(start: date, end: date) -> list[date]:
    out = []
    d = date(start.year, start.month, 1)
    while d <= end:
        if d >= start:
            out.append(d)
        d = add_months(d, 1)
    return out


def _last_business_day(day: date) -> date:
    last = add_months(date(day.year, day.month, 1), 1) - timedelta(days=1)
    while last.weekday() >= 5:
        last -= timedelta(days=1)
    return last
