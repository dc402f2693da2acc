"""CreditService on a real database: decisions, offers, notices, idempotency, one
transaction per application, the audit trail and the human review queue."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from openteller.core import IdempotencyConflict, InvalidState, NotFound, ValidationFailed
from openteller.core.models import AuditEntry, LoanApplication
from openteller.credit import FORBIDDEN_REASON_WORDS, Scorecard
from openteller.guardrails import AuditLog
from tests.credit.conftest import CreditBank, strong, weak


def _count(credit: CreditBank, model: type) -> int:
    with credit.bank.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(model)).scalar_one())


def test_a_strong_application_is_approved_with_tier_a_offers(
    credit: CreditBank, scorecard: Scorecard
) -> None:
    customer = credit.customer("alice", checking="2500", savings="6000")
    result = credit.service.apply(customer, strong())
    assert (result.status, result.decision, result.tier) == ("approved", "approve", "A")
    assert result.score == 573
    assert result.probability_of_default == Decimal("0.0485")
    assert result.model_hash == scorecard.model_hash
    assert result.reasons == ()
    assert result.notice_text is None
    # The requested term first, then the standard alternatives, all at tier A (8.99 %).
    assert [o.number_of_payments for o in result.offers] == [12, 36, 60]
    first = result.offers[0]
    assert (first.tier, first.annual_rate, first.apr) == ("A", Decimal("8.99"), Decimal("10.89"))
    # Independent check: the annuity payment on 3,000 at 8.99 %/12 over 12 months is
    # 262.3405; the last payment absorbs the rounding (11 x 262.34 + 262.36).
    assert first.payment == Decimal("262.34")
    assert first.total_of_payments == Decimal("3148.10")
    assert first.origination_fee == Decimal("30.00")
    assert first.amount_financed == Decimal("2970.00")
    assert first.finance_charge == first.total_of_payments - first.amount_financed
    assert "approved" in result.explanation
    assert "10.89%" in result.explanation
    assert credit.service.get(customer, result.id) == result


def test_a_weak_application_is_declined_with_a_notice(credit: CreditBank) -> None:
    customer = credit.customer("bob", checking=None)
    result = credit.service.apply(customer, weak())
    assert (result.status, result.decision, result.tier) == ("declined", "decline", None)
    assert result.offers == ()
    codes = [r.code for r in result.reasons]
    assert len(codes) == 4
    assert codes == [r.code for r in result.key_factors]
    assert result.notice_text is not None
    assert result.notice_html is not None
    for reason in result.reasons:
        assert reason.statement in result.notice_text
        assert not set(reason.statement.lower().split()) & set(FORBIDDEN_REASON_WORDS)
    assert "Equal Credit Opportunity Act" in result.notice_text
    assert "Consumer Financial Protection Bureau" in result.notice_text
    assert f"Your score: {result.score}" in result.notice_text
    assert "Bob" in result.notice_text  # the applicant's name from the core
    assert result.reasons[0].statement.lower() in result.explanation


def test_affordability_declines_whatever_the_score(credit: CreditBank) -> None:
    customer = credit.customer("carol", checking="2500", savings="6000")
    result = credit.service.apply(customer, strong(monthly_income=Decimal("500")))
    assert result.status == "declined"
    assert result.reasons[0].code == "affordability"
    assert result.reasons[0].statement == "Income insufficient for amount of credit requested"
    assert len(result.reasons) == 4
    assert "affordability" not in [r.code for r in result.key_factors]


def test_idempotent_retry_and_conflict(credit: CreditBank) -> None:
    customer = credit.customer("dave")
    first = credit.service.apply(customer, strong(), "loan-1")
    again = credit.service.apply(customer, strong(), "loan-1")
    assert again.replayed
    assert again.id == first.id
    with pytest.raises(IdempotencyConflict):
        credit.service.apply(customer, strong(amount=Decimal("3100")), "loan-1")
    assert _count(credit, LoanApplication) == 1
    # Keys belong to a customer: another one may use the same key.
    other = credit.customer("erin")
    assert credit.service.apply(other, strong(), "loan-1").id != first.id


def test_refused_applications_leave_nothing_behind(credit: CreditBank) -> None:
    customer = credit.customer("frank")
    with pytest.raises(ValidationFailed, match=r"between 1000\.00 and 50000\.00"):
        credit.service.apply(customer, strong(amount=Decimal("60000")))
    with pytest.raises(ValidationFailed, match="between 12 and 72 months"):
        credit.service.apply(customer, strong(term_months=6))
    with pytest.raises(NotFound):
        credit.service.apply(customer, strong(product_code="no_such_loan"))
    with pytest.raises(NotFound):
        credit.service.apply(999_999, strong())
    assert _count(credit, LoanApplication) == 0
    assert _count(credit, AuditEntry) == 0


def test_every_decision_is_audited_with_the_model_hash(
    credit: CreditBank, scorecard: Scorecard
) -> None:
    customer = credit.customer("grace", checking=None)
    declined = credit.service.apply(customer, weak())
    approved = credit.service.apply(credit.customer("heidi", savings="6000"), strong())
    audit = AuditLog(credit.bank.engine, credit.bank.clock)
    entries = audit.entries(rule_id="credit.decision")
    assert [e["decision"] for e in entries] == ["declined", "approved"]
    assert [e["details"]["application_id"] for e in entries] == [declined.id, approved.id]
    assert {e["details"]["model_hash"] for e in entries} == {scorecard.model_hash}
    assert entries[0]["details"]["reasons"] == [r.code for r in declined.reasons]
    assert audit.verify().ok


def test_customers_see_only_their_own_applications(credit: CreditBank) -> None:
    mine = credit.service.apply(credit.customer("ivan"), strong())
    with pytest.raises(NotFound):
        credit.service.get(credit.customer("judy"), mine.id)


def _referred(credit: CreditBank, name: str) -> int:
    customer = credit.customer(name, checking="500", savings="300")
    result = credit.service.apply(customer, strong(amount=Decimal("5000"), term_months=24))
    assert (result.status, result.decision, result.decided_at) == ("referred", "refer", None)
    assert result.offers == ()
    assert result.notice_text is None
    assert "person" in result.explanation
    return result.id


def test_review_queue_approve_and_decline(credit: CreditBank) -> None:
    first, second = _referred(credit, "kim"), _referred(credit, "lee")
    assert [a.id for a in credit.service.review_queue()] == [first, second]
    staff = _staff(credit)
    approved = credit.service.review(first, staff_id=staff, approve=True, note="verified income")
    assert (approved.status, approved.decision, approved.tier) == ("approved", "refer", "D")
    assert approved.offers[0].annual_rate == Decimal("23.99")
    assert approved.review_note == "verified income"
    assert approved.reviewed_at is not None
    declined = credit.service.review(second, staff_id=staff, approve=False, note="unstable")
    assert declined.status == "declined"
    assert declined.notice_text is not None
    assert declined.reasons
    assert declined.reasons[0].statement in declined.notice_text
    assert credit.service.review_queue() == []
    with pytest.raises(InvalidState):
        credit.service.review(first, staff_id=staff, approve=False, note="again")
    with pytest.raises(ValidationFailed):
        credit.service.review(second, staff_id=staff, approve=True, note="  ")
    reviews = AuditLog(credit.bank.engine, credit.bank.clock).entries(rule_id="credit.review")
    assert [(e["decision"], e["details"]["reviewer_id"]) for e in reviews] == [
        ("approved", staff),
        ("declined", staff),
    ]


def _staff(credit: CreditBank) -> int:
    from openteller.core import StaffRole, create_staff

    with credit.bank.engine.begin() as conn:
        return create_staff(
            conn,
            username="officer@staff",
            password_hash="x",
            full_name="Credit Officer",
            role=StaffRole.COMPLIANCE,
            now=credit.bank.clock.now(),
        )
