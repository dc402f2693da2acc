"""`CreditService`: apply for a loan, read an application, and the human review queue.

One application is one transaction: the row (inputs, characteristics, score, model hash,
decision, offers or notice) and its audit entry are written together or not at all.
Everything that can refuse the application (validation, product limits, an unknown
customer) happens before that transaction starts.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Engine, Table, insert, select, update
from sqlalchemy.exc import IntegrityError

from openteller.core import (
    Clock,
    IdempotencyConflict,
    InvalidState,
    LoanApplication,
    LoanQuote,
    LocalCoreBanking,
    NotFound,
    QuoteOffer,
    ValidationFailed,
    customer_record,
    from_minor,
    quote_tiers,
    read_catalog,
    to_minor,
    validate_key,
)
from openteller.credit._application import ApplicationInput, CoreFacts, characteristics
from openteller.credit._cache import default_scorecard
from openteller.credit._decision import Decision, DecisionPolicy, Reason, decide
from openteller.credit._explain import explain
from openteller.credit._notice import ConsumerReportSource, render_notice
from openteller.credit._scorecard import Scorecard
from openteller.guardrails import AuditLog, AuditRecord
from openteller.settings import Settings

applications_t = cast(Table, LoanApplication.__table__)
ALTERNATIVE_TERMS = (36, 60)
MAX_NOTE = 2000
DEFAULT_BANK_ADDRESS = "100 Main Street, Springfield, IL 62701"


@dataclass(frozen=True)
class LoanApplicationView:
    """An application as the customer, the assistant and staff see it."""

    id: int
    customer_id: int
    status: str  # approved | declined | referred
    decision: str  # the automated decision: approve | refer | decline
    product_code: str
    amount: Decimal
    currency: str
    term_months: int
    score: int
    probability_of_default: Decimal
    tier: str | None
    model_version: str
    model_hash: str
    offers: tuple[QuoteOffer, ...]
    reasons: tuple[Reason, ...]
    key_factors: tuple[Reason, ...]
    notice_text: str | None
    notice_html: str | None
    explanation: str
    created_at: datetime
    decided_at: datetime | None
    reviewed_at: datetime | None
    review_note: str | None
    replayed: bool = False


class CreditService:
    """Credit decisions on loan applications, for the API and the assistant."""

    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        settings: Settings | None = None,
        *,
        scorecard: Scorecard | None = None,
        policy: DecisionPolicy | None = None,
        model_dir: Path | None = None,
        bank_address: str = DEFAULT_BANK_ADDRESS,
        consumer_report: ConsumerReportSource | None = None,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.settings = settings if settings is not None else Settings()
        self.scorecard = scorecard if scorecard is not None else default_scorecard(model_dir)
        self.policy = policy or DecisionPolicy(
            approve_max_pd=self.settings.credit_approve_max_pd,
            refer_max_pd=self.settings.credit_refer_max_pd,
        )
        self.bank_address = bank_address
        self.consumer_report = consumer_report
        self.audit = AuditLog(engine, clock)

    # ------------------------------------------------------------------ customers

    def apply(
        self, customer_id: int, application: ApplicationInput, idempotency_key: str | None = None
    ) -> LoanApplicationView:
        """Decide an application and record it. With a key, a retry of the same
        application answers the first decision (`replayed=True`); the same key with a
        different application is `IdempotencyConflict`."""
        request_hash = _digest(application.to_dict())
        if idempotency_key is not None:
            validate_key(idempotency_key)
            earlier = self._by_key(customer_id, idempotency_key, request_hash)
            if earlier is not None:
                return earlier
        now = self.clock.now()
        today = now.date()
        core = LocalCoreBanking(self.engine, self.clock, customer_id, self.settings)
        with self.engine.connect() as conn:
            customer = customer_record(conn, customer_id)  # NotFound for an unknown id
            product = read_catalog(conn).product(application.product_code)
        facts = CoreFacts.read(core)
        values = characteristics(application, facts)
        quote = quote_tiers(
            self.engine, today, application.amount, application.term_months, product.code
        )
        first = decide(self.scorecard, values, self.policy)
        priced_tier = first.tier or self.policy.tiers[-1][0]
        payment = _offer(quote, priced_tier).payment
        ratio = (payment / application.monthly_income).quantize(Decimal("0.0001"))
        decision = decide(self.scorecard, values, self.policy, ratio)
        offers = self._offers(application, decision.tier, today) if decision.tier else ()
        notice = None
        if decision.outcome == "decline":
            notice = self._notice(
                customer.full_name, product.name, application, decision, today, None
            ).to_dict()
        status = {"approve": "approved", "refer": "referred", "decline": "declined"}
        row = {
            "customer_id": customer_id,
            "status": status[decision.outcome],
            "decision": decision.outcome,
            "product_code": product.code,
            "amount_minor": to_minor(application.amount, product.currency),
            "currency": product.currency,
            "term_months": application.term_months,
            "score": decision.score,
            "probability_of_default": _pd(decision.probability_of_default),
            "tier": decision.tier,
            "model_version": self.scorecard.version,
            "model_hash": self.scorecard.model_hash,
            "inputs": application.to_dict() | {"payment_to_income": str(ratio)},
            "characteristics": values,
            # An approval has no adverse reasons; a referral keeps them for the reviewer.
            "reasons": []
            if decision.outcome == "approve"
            else [r.to_dict() for r in decision.reasons],
            "offers": [_offer_dict(o) for o in offers] if offers else None,
            "notice": notice,
            "explanation": explain(decision.outcome, decision.reasons, offers, product.currency),
            "idempotency_key": idempotency_key,
            "request_hash": request_hash,
            "created_at": now,
            "decided_at": None if decision.outcome == "refer" else now,
        }
        try:
            with self.engine.begin() as conn:
                app_id = int(
                    conn.execute(
                        insert(applications_t).returning(applications_t.c.id), row
                    ).scalar_one()
                )
                self.audit.append_on(conn, [self._record("credit.decision", app_id, row)])
        except IntegrityError:
            # Two requests with one key at once: the other one won; answer its decision.
            if idempotency_key is not None:
                earlier = self._by_key(customer_id, idempotency_key, request_hash)
                if earlier is not None:
                    return earlier
            raise
        return self.get(customer_id, app_id)

    def get(self, customer_id: int, application_id: int) -> LoanApplicationView:
        """One of the customer's applications (another customer's id is `NotFound`)."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(applications_t).where(
                    applications_t.c.id == application_id,
                    applications_t.c.customer_id == customer_id,
                )
            ).first()
        if row is None:
            raise NotFound("loan application not found", application_id=application_id)
        return _view(row._mapping)

    def list_applications(self, customer_id: int, limit: int = 20) -> list[LoanApplicationView]:
        """The customer's applications, newest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(applications_t)
                .where(applications_t.c.customer_id == customer_id)
                .order_by(applications_t.c.id.desc())
                .limit(limit)
            ).all()
        return [_view(r._mapping) for r in rows]

    # ------------------------------------------------------------------ staff review

    def review_queue(self, *, limit: int = 50, after: int = 0) -> list[LoanApplicationView]:
        """Referred applications waiting for a person, oldest first (keyset on id)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(applications_t)
                .where(applications_t.c.status == "referred", applications_t.c.id > after)
                .order_by(applications_t.c.id)
                .limit(limit)
            ).all()
        return [_view(r._mapping) for r in rows]

    def staff_get(self, application_id: int) -> LoanApplicationView:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(applications_t).where(applications_t.c.id == application_id)
            ).first()
        if row is None:
            raise NotFound("loan application not found", application_id=application_id)
        return _view(row._mapping)

    def review(
        self, application_id: int, *, staff_id: int, approve: bool, note: str
    ) -> LoanApplicationView:
        """A person's decision on a referred application (GDPR Art. 22 human review).

        An approval is priced at the policy's last (highest-rate) tier; a decline sends
        the adverse-action notice with the scorecard's principal reasons.
        """
        note = note.strip()
        if not note or len(note) > MAX_NOTE or "\x00" in note:
            raise ValidationFailed(f"a review note of 1 to {MAX_NOTE} characters is required")
        current = self.staff_get(application_id)
        if current.status != "referred":
            raise InvalidState("only a referred application can be reviewed", status=current.status)
        now = self.clock.now()
        with self.engine.connect() as conn:
            stored = conn.execute(
                select(applications_t.c.inputs).where(applications_t.c.id == application_id)
            ).scalar_one()
            customer = customer_record(conn, current.customer_id)
            product = read_catalog(conn).product(current.product_code)
        application = _input(stored)
        changes: dict[str, Any] = {
            "reviewer_id": staff_id,
            "review_note": note,
            "reviewed_at": now,
            "decided_at": now,
        }
        if approve:
            tier = self.policy.tiers[-1][0]
            offers = self._offers(application, tier, now.date())
            changes |= {
                "status": "approved",
                "tier": tier,
                "offers": [_offer_dict(o) for o in offers],
                "explanation": explain("approve", (), offers, product.currency),
            }
        else:
            decision = Decision(
                "decline",
                current.score,
                float(current.probability_of_default),
                None,
                current.reasons,
                current.key_factors,
            )
            notice = self._notice(
                customer.full_name, product.name, application, decision, now.date(), application_id
            )
            changes |= {
                "status": "declined",
                "notice": notice.to_dict(),
                "explanation": explain("decline", current.reasons, (), product.currency),
            }
        with self.engine.begin() as conn:
            updated = conn.execute(
                update(applications_t)
                .where(applications_t.c.id == application_id, applications_t.c.status == "referred")
                .values(changes)
            ).rowcount
            if updated != 1:  # another reviewer got there first
                raise InvalidState("the application was reviewed meanwhile")
            record = {**changes, "customer_id": current.customer_id, "score": current.score}
            record |= {"model_hash": current.model_hash, "model_version": current.model_version}
            record |= {"probability_of_default": current.probability_of_default}
            record |= {
                "decision": current.decision,
                "reasons": [r.to_dict() for r in current.reasons],
            }
            self.audit.append_on(conn, [self._record("credit.review", application_id, record)])
        return self.staff_get(application_id)

    # ------------------------------------------------------------------ helpers

    def _by_key(self, customer_id: int, key: str, request_hash: str) -> LoanApplicationView | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(applications_t).where(
                    applications_t.c.customer_id == customer_id,
                    applications_t.c.idempotency_key == key,
                )
            ).first()
        if row is None:
            return None
        if row.request_hash != request_hash:
            raise IdempotencyConflict(
                "this idempotency key was used for a different application", idempotency_key=key
            )
        return _view(row._mapping, replayed=True)

    def _offers(
        self, application: ApplicationInput, tier: str, today: date
    ) -> tuple[QuoteOffer, ...]:
        """The tier's offer for the requested term first, then standard alternatives."""
        terms = [application.term_months]
        for term in ALTERNATIVE_TERMS:
            if term not in terms:
                terms.append(term)
        offers = []
        for term in terms:
            try:
                quote = quote_tiers(
                    self.engine, today, application.amount, term, application.product_code
                )
            except ValidationFailed:  # an alternative term outside the product's limits
                continue
            offers.append(_offer(quote, tier))
        return tuple(offers)

    def _notice(
        self,
        applicant: str,
        product_name: str,
        application: ApplicationInput,
        decision: Decision,
        today: date,
        application_id: int | None,
    ) -> Any:
        card = self.scorecard
        return render_notice(
            bank_name=self.settings.bank_name,
            bank_address=self.bank_address,
            on=today,
            application_ref=f"#{application_id}"
            if application_id
            else "submitted " + today.isoformat(),
            applicant=applicant,
            product_name=product_name,
            amount=f"${application.amount:,.2f}",
            term_months=application.term_months,
            reasons=decision.reasons,
            key_factors=decision.key_factors,
            score=decision.score,
            score_range=card.score_range,
            model=f"{card.version} ({card.model_hash[:12]})",
            consumer_report=self.consumer_report,
        )

    def _record(self, rule_id: str, application_id: int, row: dict[str, Any]) -> AuditRecord:
        decision = str(row.get("status", row.get("decision")))
        return AuditRecord(
            rule_id=rule_id,
            rule_version=str(row["model_version"]),
            decision=decision,
            excerpt=f"loan application {application_id}: {decision} (score {row['score']})",
            details={
                "application_id": application_id,
                "customer_id": row["customer_id"],
                "automated_decision": row["decision"],
                "status": decision,
                "score": row["score"],
                "probability_of_default": str(row["probability_of_default"]),
                "tier": row.get("tier"),
                "model_hash": row["model_hash"],
                "reasons": [r["code"] for r in row.get("reasons", [])],
                "policy": self.policy.to_dict(),
                "reviewer_id": row.get("reviewer_id"),
            },
        )


# ------------------------------------------------------------------ rows and values


def _digest(data: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def _pd(value: float) -> Decimal:
    return Decimal(repr(value)).quantize(Decimal("0.0001"), ROUND_HALF_UP)


def _offer(quote: LoanQuote, tier: str) -> QuoteOffer:
    for offer in quote.offers:
        if offer.tier == tier:
            return offer
    raise NotFound(f"{quote.product_code} has no tier {tier!r}", tier=tier)


def _offer_dict(o: QuoteOffer) -> dict[str, Any]:
    return {
        "tier": o.tier,
        "annual_rate": str(o.annual_rate),
        "apr": str(o.apr),
        "payment": str(o.payment),
        "number_of_payments": o.number_of_payments,
        "origination_fee": str(o.origination_fee),
        "amount_financed": str(o.amount_financed),
        "finance_charge": str(o.finance_charge),
        "total_of_payments": str(o.total_of_payments),
        "first_payment_date": o.first_payment_date.isoformat(),
    }


def _offer_from(d: dict[str, Any]) -> QuoteOffer:
    return QuoteOffer(
        tier=d["tier"],
        annual_rate=Decimal(d["annual_rate"]),
        apr=Decimal(d["apr"]),
        payment=Decimal(d["payment"]),
        number_of_payments=int(d["number_of_payments"]),
        origination_fee=Decimal(d["origination_fee"]),
        amount_financed=Decimal(d["amount_financed"]),
        finance_charge=Decimal(d["finance_charge"]),
        total_of_payments=Decimal(d["total_of_payments"]),
        first_payment_date=date.fromisoformat(d["first_payment_date"]),
    )


def _reason(d: dict[str, Any]) -> Reason:
    return Reason(d["code"], d["statement"], int(d["points_lost"]), d["factor"])


def _input(stored: dict[str, Any]) -> ApplicationInput:
    fields = {k: v for k, v in stored.items() if k != "payment_to_income"}
    return ApplicationInput(**fields)


def _view(m: Any, replayed: bool = False) -> LoanApplicationView:
    notice = m["notice"]
    reasons = tuple(_reason(r) for r in m["reasons"])
    key_factors = (
        tuple(_reason(r) for r in notice["key_factors"])
        if notice
        else tuple(r for r in reasons if r.code != "affordability")
    )
    return LoanApplicationView(
        id=int(m["id"]),
        customer_id=int(m["customer_id"]),
        status=m["status"],
        decision=m["decision"],
        product_code=m["product_code"],
        amount=from_minor(m["amount_minor"], m["currency"]),
        currency=m["currency"],
        term_months=int(m["term_months"]),
        score=int(m["score"]),
        probability_of_default=m["probability_of_default"],
        tier=m["tier"],
        model_version=m["model_version"],
        model_hash=m["model_hash"],
        offers=tuple(_offer_from(o) for o in (m["offers"] or ())),
        reasons=reasons,
        key_factors=key_factors,
        notice_text=notice["text"] if notice else None,
        notice_html=notice["html"] if notice else None,
        explanation=m["explanation"],
        created_at=m["created_at"],
        decided_at=m["decided_at"],
        reviewed_at=m["reviewed_at"],
        review_note=m["review_note"],
        replayed=replayed,
    )
