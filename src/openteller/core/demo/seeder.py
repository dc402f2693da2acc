"""`openteller seed`: create the demo bank and post its history through the ledger.

Same seed, customer count, months and as-of date → the same bank, row for row (password
hashes aside: Argon2 salts are random by design). History is posted day by day in
chronological order with `Ledger.transfer_batch`, the seeder's own clock set to the end
of each day (the booking time); each transfer keeps the moment the customer acted in
`occurred_at`. Card purchases of the last two days stay pending as holds.
"""

from __future__ import annotations

import itertools
import random
import time as time_module
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, cast
from zoneinfo import ZoneInfo

from faker import Faker
from sqlalchemy import Engine, Table, bindparam, func, select, update

from openteller.core.accounts import (
    NewCustomer,
    aba_check_digit,
    add_payee,
    bank_account,
    create_customer,
    open_account,
)
from openteller.core.cards import block_card, issue_card, replace_card
from openteller.core.catalog import load_catalog, read_catalog, read_spec
from openteller.core.clock import Clock, FixedClock
from openteller.core.demo import merchants as shops
from openteller.core.demo.generator import (
    BankIds,
    CustomerPlanner,
    LoanPlan,
    Planned,
    Profile,
    cents,
)
from openteller.core.errors import AlreadyExists, OpenTellerError, ValidationFailed
from openteller.core.ledger import (
    HoldRequest,
    Ledger,
    TransferRequest,
    TransferResult,
    bulk_insert,
)
from openteller.core.lending import originate_loan, quote_loan
from openteller.core.loans import add_months
from openteller.core.models import Customer, SeedLabel, StaffRole
from openteller.core.money import from_minor
from openteller.core.schema import analyze
from openteller.core.security import password_hasher
from openteller.core.staff import create_staff, staff_credentials
from openteller.settings import Settings

labels_t = cast(Table, SeedLabel.__table__)
customers_t = cast(Table, Customer.__table__)

MAX_CUSTOMERS = 100_000
MAX_MONTHS = 60
BATCH = 2000
_WORDS = (
    "maple",
    "river",
    "copper",
    "lantern",
    "harbor",
    "meadow",
    "falcon",
    "summit",
    "cedar",
    "orbit",
    "willow",
    "canyon",
    "ember",
    "prairie",
    "beacon",
    "cobalt",
    "juniper",
    "tidal",
    "granite",
    "aurora",
)


@dataclass(frozen=True)
class SeedOptions:
    customers: int
    months: int
    seed: int
    as_of: date | None = None  # last day of history; default: today in the bank's timezone


@dataclass(frozen=True)
class Login:
    username: str
    password: str
    customer_id: int


@dataclass(frozen=True)
class StaffLogin:
    username: str
    password: str
    role: str


# One console login per staff role.
DEMO_STAFF = (
    ("analyst@staff", "Avery Morgan", StaffRole.ANALYST),
    ("compliance@staff", "Casey Whitfield", StaffRole.COMPLIANCE),
    ("product@staff", "Parker Lindqvist", StaffRole.PRODUCT),
)


@dataclass
class SeedResult:
    customers: int
    months: int
    seed: int
    start: date
    as_of: date
    transfers: int = 0
    failed: int = 0
    holds_pending: int = 0
    holds_declined: int = 0
    labels: dict[str, int] = field(default_factory=dict)
    logins: list[Login] = field(default_factory=list)
    staff_logins: list[StaffLogin] = field(default_factory=list)
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "customers": self.customers,
            "months": self.months,
            "seed": self.seed,
            "start": self.start.isoformat(),
            "as_of": self.as_of.isoformat(),
            "transfers": self.transfers,
            "failed": self.failed,
            "holds_pending": self.holds_pending,
            "holds_declined": self.holds_declined,
            "labels": self.labels,
            "seconds": round(self.seconds, 2),
            "timings": self.timings,
            "logins": [login.__dict__ for login in self.logins],
            "staff_logins": [login.__dict__ for login in self.staff_logins],
        }


Progress = Callable[[str, int, int], None]  # (phase, done, total)


def seed_bank(
    engine: Engine,
    settings: Settings,
    options: SeedOptions,
    *,
    clock: Clock,
    progress: Progress | None = None,
) -> SeedResult:
    """Create `options.customers` customers with `options.months` months of history."""
    if not 1 <= options.customers <= MAX_CUSTOMERS:
        raise ValidationFailed(f"customers must be between 1 and {MAX_CUSTOMERS}")
    if not 1 <= options.months <= MAX_MONTHS:
        raise ValidationFailed(f"months must be between 1 and {MAX_MONTHS}")
    started = time_module.perf_counter()
    tz = ZoneInfo(settings.timezone)
    with engine.connect() as conn:
        existing = conn.execute(select(func.count()).select_from(customers_t)).scalar_one()
    if existing:
        raise AlreadyExists(
            f"the database already holds {existing} customers; seed an empty database "
            "(or pass --reset to wipe it first)",
            customers=existing,
        )
    as_of = options.as_of or clock.now().astimezone(tz).date()
    start = add_months(as_of, -options.months) + timedelta(days=1)
    result = SeedResult(options.customers, options.months, options.seed, start, as_of)
    report = progress or (lambda phase, done, total: None)

    people = _people(options)
    timings: dict[str, float] = {}
    # Argon2 releases the GIL: hash on the second core while this thread plans and posts.
    # Until the hashes land, customers carry an unusable hash ("!"), so no login works.
    hasher = password_hasher(settings)
    pool = ThreadPoolExecutor(max_workers=1)
    hashes = [pool.submit(hasher.hash, p["password"]) for p in people]
    try:
        _build(engine, settings, options, result, people, hashes, clock, tz, timings, report)
    finally:
        pool.shutdown(cancel_futures=True)  # on an error, stop hashing for nobody
    result.timings = {k: round(v, 2) for k, v in timings.items()}
    with engine.connect() as conn:
        result.labels = {
            str(label): int(n)
            for label, n in conn.execute(
                select(labels_t.c.label, func.count())
                .group_by(labels_t.c.label)
                .order_by(labels_t.c.label)
            )
        }
    result.seconds = time_module.perf_counter() - started
    return result


def _build(
    engine: Engine,
    settings: Settings,
    options: SeedOptions,
    result: SeedResult,
    people: list[dict[str, Any]],
    hashes: list[Future[str]],
    clock: Clock,
    tz: ZoneInfo,
    timings: dict[str, float],
    report: Progress,
) -> None:
    """Set up the bank, plan and post its history, then store the password hashes."""
    start, as_of = result.start, result.as_of
    seed_clock = FixedClock(datetime.combine(start, time(0), tz))
    secret = settings.secret_key.get_secret_value()
    mark = time_module.perf_counter()
    profiles, bank = _setup(engine, people, options, start, seed_clock, secret, report)
    timings["setup"] = time_module.perf_counter() - mark
    result.logins = [Login(p["username"], p["password"], p["customer_id"]) for p in people]

    mark = time_module.perf_counter()
    plans: list[Planned] = []
    for person, profile in zip(people, profiles, strict=True):
        rng = random.Random(f"{options.seed}:plan:{person['index']}")
        planner = CustomerPlanner(profile, bank, rng, tz, start, as_of)
        plans.extend(planner.plan())
    end_instant = datetime.combine(as_of, time(23, 59, 59), tz).astimezone(UTC)
    if options.as_of is None:
        end_instant = min(end_instant, clock.now())  # no history later than now
    plans = [p for p in plans if p.at <= end_instant]
    # Each day is booked as one nightly batch, account by account in the order the
    # planner checked affordability (its seq); occurred_at keeps each event's real time.
    plans.sort(key=lambda p: (p.day, p.customer, p.seq))
    timings["plan"] = time_module.perf_counter() - mark
    mark = time_module.perf_counter()

    ledger = Ledger(engine, seed_clock)
    pending = [p for p in plans if p.pending]
    days = [
        (day, list(group))
        for day, group in itertools.groupby(
            (p for p in plans if not p.pending), key=lambda p: p.day
        )
    ]
    for done, (day, events) in enumerate(days, start=1):
        day_end = min(datetime.combine(day, time(23, 59, 59), tz), end_instant)
        _post_day(ledger, seed_clock, day_end, events, options.seed, result, engine)
        report("history", done, len(days))
    _place_holds(ledger, seed_clock, pending, options.seed, result)
    analyze(engine)
    timings["post"] = time_module.perf_counter() - mark
    mark = time_module.perf_counter()
    with engine.begin() as conn:
        conn.execute(
            update(customers_t)
            .where(customers_t.c.id == bindparam("b_id"))
            .values(password_hash=bindparam("b_hash")),
            [
                {"b_id": p["customer_id"], "b_hash": h.result()}
                for p, h in zip(people, hashes, strict=True)
            ],
        )
    timings["passwords_wait"] = time_module.perf_counter() - mark
    result.staff_logins = _add_staff(engine, settings, options, seed_clock.now())


def _add_staff(
    engine: Engine, settings: Settings, options: SeedOptions, now: datetime
) -> list[StaffLogin]:
    """The demo console logins; a name already taken is left as it is."""
    rng = random.Random(f"{options.seed}:staff")
    hasher = password_hasher(settings)
    logins = []
    with engine.begin() as conn:
        for username, full_name, role in DEMO_STAFF:
            words = rng.sample(_WORDS, 2)
            password = f"{words[0].capitalize()}-{words[1]}-{rng.randint(1000, 9999)}"
            if staff_credentials(conn, username) is not None:
                continue
            create_staff(
                conn,
                username=username,
                full_name=full_name,
                role=role,
                password_hash=hasher.hash(password),
                now=now,
            )
            logins.append(StaffLogin(username, password, role.value))
    return logins


def _people(options: SeedOptions) -> list[dict[str, Any]]:
    fake = Faker("en_US")
    fake.seed_instance(options.seed)
    rng = random.Random(f"{options.seed}:people")
    taken: set[str] = set()
    people = []
    for index in range(options.customers):
        first, last = fake.first_name(), fake.last_name()
        base = f"{first}.{last}".lower().replace("'", "").replace(" ", "")
        username = base
        while username in taken:
            username = f"{base}{rng.randint(2, 99)}"
        taken.add(username)
        words = rng.sample(_WORDS, 2)
        people.append(
            {
                "index": index,
                "username": username,
                "password": f"{words[0].capitalize()}-{words[1]}-{rng.randint(1000, 9999)}",
                "full_name": f"{first} {last}",
                "email": f"{username}@{fake.free_email_domain()}",
                "phone": fake.numerify("+1 ###-###-####"),
                "dob": fake.date_of_birth(minimum_age=19, maximum_age=82),
                "street": fake.street_address(),
                "city": fake.city(),
                "state": fake.state_abbr(include_territories=False),
                "postal_code": fake.postcode(),
                "ssn_last4": fake.numerify("####"),
                "employer": fake.company().replace(",", ""),
                "friends": [fake.name() for _ in range(rng.randint(1, 3))],
            }
        )
    return people


def _setup(
    engine: Engine,
    people: list[dict[str, Any]],
    options: SeedOptions,
    start: date,
    clock: FixedClock,
    secret: str,
    report: Progress,
) -> tuple[list[Profile], BankIds]:
    """Catalog, bank accounts, customers, accounts, cards, payees and loans: one transaction."""
    now = clock.now()
    profiles: list[Profile] = []
    with engine.begin() as conn:
        load_catalog(conn, read_spec())
        catalog = read_catalog(conn)
        bank = BankIds(
            ach=bank_account(conn, "settlement:ach", "USD", now),
            card=bank_account(conn, "settlement:card", "USD", now),
            cash=bank_account(conn, "settlement:cash", "USD", now),
            fee_income=bank_account(conn, "fee_income", "USD", now),
            interest_expense=bank_account(conn, "interest_expense", "USD", now),
            interest_income=bank_account(conn, "interest_income", "USD", now),
        )
        bank_account(conn, "settlement:wire", "USD", now)
        bank_account(conn, "equity", "USD", now)
        savings_apy = catalog.product("high_yield_savings").rate("apy").percent
        for person in people:
            rng = random.Random(f"{options.seed}:profile:{person['index']}")
            customer_id = create_customer(
                conn,
                NewCustomer(
                    username=person["username"],
                    password_hash="!",
                    full_name=person["full_name"],
                    email=person["email"],
                    phone=person["phone"],
                    date_of_birth=person["dob"],
                    street=person["street"],
                    city=person["city"],
                    state=person["state"],
                    postal_code=person["postal_code"],
                    ssn_last4=person["ssn_last4"],
                ),
                now,
            )
            person["customer_id"] = customer_id
            annual = rng.randrange(32_000, 180_000, 500)
            schedule = rng.choices(["biweekly", "monthly", "irregular"], [55, 30, 15])[0]
            per_year = 26 if schedule == "biweekly" else 12
            pay_minor = cents(Decimal(annual) * Decimal("0.74") / per_year)
            premier = annual > 120_000 and rng.random() < 0.6
            checking_product = "premier_checking" if premier else "everyday_checking"
            overdraft = catalog.product(checking_product).limit("overdraft_limit").amount
            floor = -(overdraft or Decimal(0)) if rng.random() < 0.5 else Decimal(0)
            checking = open_account(
                conn,
                customer_id=customer_id,
                product_code=checking_product,
                now=now,
                rng=rng,
                floor=floor,
            )
            savings = None
            if rng.random() < 0.75:
                savings = open_account(
                    conn,
                    customer_id=customer_id,
                    product_code="high_yield_savings",
                    now=now,
                    rng=rng,
                )
            debit = issue_card(
                conn, account_id=checking, network="visa", now=now, rng=rng, secret=secret
            )
            if rng.random() < 0.03:
                block_card(conn, debit.card.id, "lost", now)
                replace_card(conn, debit.card.id, "lost", now=now, rng=rng, secret=secret)
            card = None
            card_limit = 0
            card_apr = Decimal(0)
            if rng.random() < 0.65:
                card_limit = rng.randrange(1_000, 15_001, 500)
                tier = rng.choice(["A", "B", "C"])
                card_apr = (
                    catalog.product("cashback_credit_card").rate("purchase_apr", tier).percent
                )
                card = open_account(
                    conn,
                    customer_id=customer_id,
                    product_code="cashback_credit_card",
                    now=now,
                    rng=rng,
                    floor=-Decimal(card_limit),
                )
                issue_card(
                    conn, account_id=card, network="mastercard", now=now, rng=rng, secret=secret
                )
            loan = None
            if rng.random() < 0.2:
                offer = quote_loan(
                    conn,
                    product_code="personal_loan",
                    principal=Decimal(rng.randrange(2_000, 25_001, 500)),
                    term_months=rng.choice([24, 36, 48, 60]),
                    tier=rng.choice(["A", "B", "C", "D"]),
                    advance_date=start,
                )
                booked = originate_loan(
                    conn, customer_id=customer_id, offer=offer, now=now, rng=rng
                )
                loan = LoanPlan(
                    account=booked.account_id,
                    principal_minor=cents(offer.principal),
                    fee_minor=cents(offer.origination_fee),
                    advance=offer.advance_date,
                    schedule=offer.schedule,
                )
            rent = rng.random() < 0.62
            housing_payee = rng.choice(shops.LANDLORDS if rent else shops.MORTGAGE_SERVICERS)
            monthly_net = pay_minor * per_year // 12
            housing_amount = monthly_net * rng.randint(22, 33) // 100 // 500 * 500
            for name in [housing_payee, *person["friends"]]:
                add_payee(
                    conn,
                    customer_id=customer_id,
                    name=name,
                    bank_name=rng.choice(["Chase", "Bank of America", "Citibank", "PNC Bank"]),
                    routing_number=_routing(rng),
                    account_last4=f"{rng.randint(0, 9999):04d}",
                    settlement_account_id=bank.ach,
                    now=now,
                )
            first_payday = start + timedelta(days=(4 - start.weekday()) % 7 + rng.choice([0, 7]))
            profiles.append(
                Profile(
                    index=person["index"],
                    checking=checking,
                    checking_floor=cents(floor),
                    checking_product=checking_product,
                    savings=savings,
                    savings_apy=savings_apy,
                    card=card,
                    card_floor=-cents(card_limit),
                    card_apr=card_apr,
                    loan=loan,
                    home=f"{person['city']}, {person['state']}",
                    employer=person["employer"],
                    pay_minor=pay_minor,
                    pay_schedule=schedule,
                    first_payday=first_payday,
                    housing=(
                        housing_payee,
                        max(housing_amount, cents(600)),
                        1 if rent else rng.randint(1, 15),
                    ),
                    payees=list(person["friends"]),
                )
            )
            report("customers", len(profiles), len(people))
    return profiles, bank


def _routing(rng: random.Random) -> str:
    first8 = f"0{rng.randint(1, 9)}{rng.randint(0, 999999):06d}"
    return first8 + aba_check_digit(first8)


def _post_day(
    ledger: Ledger,
    clock: FixedClock,
    day_end: datetime,
    events: list[Planned],
    seed: int,
    result: SeedResult,
    engine: Engine,
) -> None:
    """Post one day's transfers in order, in batches, booked at the end of the day."""
    clock.set(day_end)
    labels: list[dict[str, Any]] = []
    for chunk_start in range(0, len(events), BATCH):
        chunk = events[chunk_start : chunk_start + BATCH]
        outcomes = ledger.transfer_batch([_request(e, seed) for e in chunk])
        for event, outcome in zip(chunk, outcomes, strict=True):
            if not isinstance(outcome, TransferResult):
                result.failed += 1
                continue
            result.transfers += 1
            if event.label is not None:
                labels.append(
                    {
                        "transfer_id": outcome.id,
                        "label": event.label,
                        "series": event.series,
                        "detail": event.detail,
                    }
                )
    if labels:
        with engine.begin() as conn:
            bulk_insert(conn, labels_t, labels)


def _place_holds(
    ledger: Ledger, clock: FixedClock, events: list[Planned], seed: int, result: SeedResult
) -> None:
    """Authorize the last days' card purchases; they stay pending at the as-of date.

    Placed after all transfers: holds only lower available balances, and the plan kept
    every balance above its floor with the holds counted, so none is declined for funds.
    """
    for event in events:
        clock.set(max(clock.now(), event.at))
        try:
            ledger.place_hold(
                HoldRequest(
                    reference=f"s{seed}-c{event.customer}-h{event.seq}",
                    account_id=event.debit,
                    counterparty_account_id=event.credit,
                    amount=from_minor(event.minor, "USD"),
                    currency="USD",
                    description=event.description,
                    merchant=event.merchant,
                    category=event.category,
                )
            )
            result.holds_pending += 1
        except OpenTellerError:
            result.holds_declined += 1


def _request(event: Planned, seed: int) -> TransferRequest:
    return TransferRequest(
        idempotency_key=f"s{seed}-c{event.customer}-{event.seq}",
        debit_account_id=event.debit,
        credit_account_id=event.credit,
        amount=from_minor(event.minor, "USD"),
        currency="USD",
        kind=event.kind,
        description=event.description,
        merchant=event.merchant,
        category=event.category,
        channel=event.channel,
        location=event.location,
        occurred_at=event.at,
    )
