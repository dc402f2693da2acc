"""The adverse-action notice: what Reg B 1002.9 and FCRA 615(a) require it to say."""

from __future__ import annotations

from datetime import date

from openteller.credit import ConsumerReportSource, Reason, render_notice

REASONS = (
    Reason("affordability", "Income insufficient for amount of credit requested", 0, "Income"),
    Reason("duration_months", "Length of loan term requested", 45, "Term of the loan"),
)


def _render(
    applicant: str = "Ann Lee", report: ConsumerReportSource | None = None
) -> tuple[str, str]:
    notice = render_notice(
        bank_name="OpenTeller Demo Bank",
        bank_address="100 Main Street, Springfield, IL 62701",
        on=date(2026, 11, 15),
        application_ref="#7",
        applicant=applicant,
        product_name="Personal Loan",
        amount="$12,000.00",
        term_months=60,
        reasons=REASONS,
        key_factors=REASONS[1:],
        score=416,
        score_range=(393, 652),
        model="scorecard-1 (1d6e3cecbdc2)",
        consumer_report=report,
    )
    assert notice.reasons == REASONS
    return notice.text, notice.html


def test_text_notice_states_action_reasons_score_and_rights() -> None:
    text, _ = _render()
    assert text.startswith(
        "OpenTeller Demo Bank\n100 Main Street, Springfield, IL 62701\n\n2026-11-15"
    )
    assert "Credit requested: Personal Loan, $12,000.00 over 60 months" in text
    assert "unable to approve" in text
    assert (
        "PRINCIPAL REASONS FOR OUR DECISION\n"
        "1. Income insufficient for amount of credit requested\n"
        "2. Length of loan term requested\n"
    ) in text
    assert "Your score: 416 (scores\nrange from 393 to 652; higher is better)" in text
    assert "  - Term of the loan: Length of loan term requested" in text
    assert "We did not obtain a consumer report" in text
    assert "Equal Credit Opportunity Act prohibits creditors" in text
    assert "Consumer Financial Protection Bureau\n  1700 G Street NW, Washington, DC 20552" in text
    assert "YOUR RIGHT TO A HUMAN REVIEW" in text
    assert "\n\n\n" not in text


def test_consumer_report_rights_appear_when_a_report_was_used() -> None:
    agency = ConsumerReportSource(
        "Example Credit Bureau", "PO Box 1, Atlanta, GA", "1-800-555-0100"
    )
    text, html = _render(report=agency)
    assert "YOUR RIGHTS UNDER THE FAIR CREDIT REPORTING ACT" in text
    assert "free copy of your report" in text
    assert "within 60 days" in text
    assert "Example Credit Bureau" in text
    assert "1-800-555-0100" in html
    assert "We did not obtain a consumer report" not in text


def test_html_escapes_what_people_typed() -> None:
    _, html = _render(applicant="<script>alert(1)</script>")
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "<li>Length of loan term requested</li>" in html
