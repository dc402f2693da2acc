"""Period summaries: totals, categories, change, notable items, and their text (template,
or a model's answer checked by the guardrails, falling back to the template)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from openteller.core import FixedClock, ValidationFailed
from openteller.guardrails import Guardrails, load_policy
from openteller.guardrails._catalog import packaged_catalog
from openteller.insights import Transaction
from openteller.insights.summary import (
    CategoryTotal,
    NotableItem,
    PeriodSummary,
    misattributed,
    period_label,
    period_summary,
    previous_period,
    summary_text,
)
from openteller.llm import (
    ExtractiveProvider,
    LLMUnavailable,
    MemoryRecorder,
    Message,
    PromptRef,
)
from openteller.llm.base import BaseProvider, Generated
from openteller.llm.llama import LlamaCppProvider, bundled_model_path
from tests.conftest import NOW
from tests.insights.conftest import Builder

TZ = ZoneInfo("America/New_York")
OCT = (date(2026, 10, 1), date(2026, 10, 31))
FACTS = [
    *("October 2026", "September 2026", "$2,082.83", "$3,020.00", "$1,645.49", "$437.34"),
    *("26.6%", "$1,500.00", "$0.00", "0.0%", "$300.00", "$180.00", "$100.00", "$80.00"),
    *("80.0%", "$35.00", "$25.50", "$30.00", "$4.50", "15.0%", "$17.99", "$15.49", "$2.50"),
    *("16.1%", "$12.34", "$12.00", "Oct 10", "$130.00", "Oct 4", "$50.00", "Oct 31"),
    *("Oct 18", "Oct 11", "Oct 20"),
]
TEMPLATE = (
    "In October 2026 you spent $2,082.83 and received $3,020.00. "
    "That is up $437.34 (26.6%) from $1,645.49 in September 2026. "
    "Top categories: housing $1,500.00, shopping $300.00 and groceries $180.00. "
    "The biggest change was shopping: $300.00, with none in September 2026. "
    "Your largest purchase was $300.00 at Best Buy on Oct 10. "
    "First purchases at: Best Buy ($300.00), Blue Bottle ($12.00). "
    "Fees charged: $35.00 (Overdraft Fee on Oct 11). "
    "Interest charged: $12.34."
)


class ScriptedProvider(BaseProvider):
    """Test double of an external model server: answers a fixed text (or raises)."""

    name = "scripted"

    def __init__(self, answer: str | Exception, **kwargs: Any) -> None:
        kwargs.setdefault("model", "scripted")
        super().__init__(**kwargs)
        self.answer = answer
        self.seen: list[list[Message]] = []

    def _generate(self, messages: Sequence[Message], max_tokens: int) -> Generated:
        self.seen.append(list(messages))
        if isinstance(self.answer, Exception):
            raise self.answer
        return Generated(self.answer, 100, len(self.answer.split()))


@pytest.fixture(scope="module")
def guard() -> Guardrails:
    return Guardrails(load_policy(), packaged_catalog(), FixedClock(NOW), use_presidio=False)


def history(txn: Builder) -> list[Transaction]:
    """September and October 2026 of one customer: checking 10, card 20, savings 30."""
    return [
        # September
        txn(date(2026, 9, 1), "3000.00", None, description="ACME CORP PAYROLL"),
        txn(date(2026, 9, 3), "-1500.00", "Maple Apartments"),
        txn(date(2026, 9, 5), "-100.00", "KROGER #512"),
        txn(date(2026, 9, 12), "-20.00", "STARBUCKS"),
        txn(date(2026, 9, 20), "-200.00", None, description="TRANSFER TO SAVINGS"),
        txn(date(2026, 9, 20), "200.00", None, description="TRANSFER FROM CHECKING", account=30),
        txn(date(2026, 9, 25), "-15.49", "NETFLIX.COM", account=20),
        # 22:00 in New York on Sep 30 is 02:00 UTC on Oct 1: September's.
        txn(date(2026, 10, 1), "-10.00", "STARBUCKS", hour=2),
        # October
        txn(date(2026, 10, 1), "3000.00", None, hour=14, description="ACME CORP PAYROLL"),
        txn(date(2026, 10, 3), "-1500.00", "Maple Apartments"),
        txn(date(2026, 10, 4), "-130.00", "KROGER #512"),
        txn(date(2026, 10, 6), "-25.50", "STARBUCKS"),
        txn(date(2026, 10, 10), "-300.00", "BEST BUY 00123", account=20),
        txn(date(2026, 10, 11), "-35.00", None, description="OVERDRAFT FEE"),
        txn(date(2026, 10, 15), "-400.00", None, description="CREDIT CARD PAYMENT"),
        txn(date(2026, 10, 15), "400.00", None, description="CREDIT CARD PAYMENT", account=20),
        txn(date(2026, 10, 18), "-12.00", "SQ *BLUE BOTTLE", account=20),
        txn(date(2026, 10, 20), "-12.34", None, description="INTEREST CHARGE", account=20),
        txn(date(2026, 10, 25), "-17.99", "NETFLIX.COM", account=20),
        txn(date(2026, 10, 28), "20.00", "AMAZON", account=20),
        # 23:30 in New York on Oct 31 is 03:30 UTC on Nov 1: October's.
        txn(date(2026, 11, 1), "-50.00", "KROGER #512", hour=3, minute=30),
        # 06:00 in New York on Nov 1: November's.
        txn(date(2026, 11, 1), "-5.00", "STARBUCKS", hour=11),
    ]


@pytest.fixture
def october(txn: Builder) -> PeriodSummary:
    return period_summary(history(txn), *OCT, tz=TZ)


def test_money_in_and_out_against_the_previous_month(october: PeriodSummary) -> None:
    s = october
    assert (s.previous_start, s.previous_end) == (date(2026, 9, 1), date(2026, 9, 30))
    assert (s.label, s.previous_label) == ("October 2026", "September 2026")
    assert (s.money_in, s.money_out) == (Decimal("3020.00"), Decimal("2082.83"))
    assert (s.previous_money_in, s.previous_money_out) == (Decimal("3000.00"), Decimal("1645.49"))
    assert (s.change, s.change_pct) == (Decimal("437.34"), Decimal("26.6"))
    assert (s.fees_charged, s.interest_charged) == (Decimal("35.00"), Decimal("12.34"))
    assert (s.transactions, s.purchases, s.deposits, s.previous_transactions) == (13, 9, 2, 8)


def test_categories_largest_first_with_their_change(october: PeriodSummary) -> None:
    d = Decimal
    assert october.by_category == (
        CategoryTotal("housing", d("1500.00"), d("1500.00"), d("0.00"), d("0.0"), 1),
        CategoryTotal("shopping", d("300.00"), d("0.00"), d("300.00"), None, 1),
        CategoryTotal("groceries", d("180.00"), d("100.00"), d("80.00"), d("80.0"), 2),
        CategoryTotal("fees", d("35.00"), d("0.00"), d("35.00"), None, 1),
        CategoryTotal("dining", d("25.50"), d("30.00"), d("-4.50"), d("-15.0"), 1),
        CategoryTotal("subscriptions", d("17.99"), d("15.49"), d("2.50"), d("16.1"), 1),
        CategoryTotal("interest", d("12.34"), d("0.00"), d("12.34"), None, 1),
        CategoryTotal("other", d("12.00"), d("0.00"), d("12.00"), None, 1),  # no rule matched
    )
    assert [c.category for c in october.top_categories] == ["housing", "shopping", "groceries"]
    assert october.biggest_change is not None
    assert october.biggest_change.category == "shopping"


def test_notable_items(october: PeriodSummary) -> None:
    d = Decimal
    assert october.notable == (
        NotableItem("largest_purchase", 13, date(2026, 10, 10), "Best Buy", d("300.00")),
        NotableItem("largest_purchase", 11, date(2026, 10, 4), "Kroger", d("130.00")),
        NotableItem("largest_purchase", 21, date(2026, 10, 31), "Kroger", d("50.00")),
        NotableItem("new_merchant", 13, date(2026, 10, 10), "Best Buy", d("300.00")),
        NotableItem("new_merchant", 17, date(2026, 10, 18), "Blue Bottle", d("12.00")),
        NotableItem("fee", 14, date(2026, 10, 11), "Overdraft Fee", d("35.00")),
        NotableItem("interest", 18, date(2026, 10, 20), "Interest Charge", d("12.34")),
    )


def test_to_dict_is_json_ready(txn: Builder) -> None:
    txns = [
        txn(date(2026, 3, 2), "-40.00", "SHELL OIL"),
        txn(date(2026, 3, 9), "-10.10", "SHELL OIL"),
        txn(date(2026, 2, 9), "-60.00", "SHELL OIL"),
    ]
    s = period_summary(txns, date(2026, 3, 1), date(2026, 3, 31), tz=TZ, currency="EUR")
    assert s.to_dict() == {
        "start": "2026-03-01",
        "end": "2026-03-31",
        "previous_start": "2026-02-01",
        "previous_end": "2026-02-28",
        "label": "March 2026",
        "previous_label": "February 2026",
        "currency": "EUR",
        "money_in": "0.00",
        "money_out": "50.10",
        "previous_money_in": "0.00",
        "previous_money_out": "60.00",
        "change": "-9.90",
        "change_pct": "-16.5",
        "by_category": [
            {
                "category": "fuel",
                "amount": "50.10",
                "previous": "60.00",
                "change": "-9.90",
                "change_pct": "-16.5",
                "count": 2,
            }
        ],
        "top_categories": ["fuel"],
        "biggest_change": "fuel",
        "notable": [
            {
                "kind": "largest_purchase",
                "transaction_id": 1,
                "day": "2026-03-02",
                "merchant": "SHELL OIL",
                "amount": "40.00",
            },
            {
                "kind": "largest_purchase",
                "transaction_id": 2,
                "day": "2026-03-09",
                "merchant": "SHELL OIL",
                "amount": "10.10",
            },
        ],
        "fees_charged": "0.00",
        "interest_charged": "0.00",
        "counts": {"transactions": 2, "purchases": 2, "deposits": 0, "previous_transactions": 1},
    }
    assert summary_text(s).text == (
        "In March 2026 you spent €50.10 and received €0.00. "
        "That is down €9.90 (16.5%) from €60.00 in February 2026. "
        "Top categories: fuel €50.10. "
        "The biggest change was fuel, down €9.90 (16.5%) to €50.10. "
        "Your largest purchase was €40.00 at SHELL OIL on Mar 2."
    )


def test_no_previous_spending_no_percent_and_no_first_time_merchants(txn: Builder) -> None:
    txns = [txn(date(2026, 10, 5), "-80.00", "TARGET"), txn(date(2026, 10, 6), "-8.00", "TARGET")]
    s = period_summary(txns, *OCT, tz=TZ)
    assert (s.change, s.change_pct, s.biggest_change) == (Decimal("88.00"), None, None)
    assert [n.kind for n in s.notable] == ["largest_purchase", "largest_purchase"]
    assert summary_text(s).text == (
        "In October 2026 you spent $88.00 and received $0.00. "
        "There is no spending in September 2026 to compare with. "
        "Top categories: shopping $88.00. "
        "Your largest purchase was $80.00 at TARGET on Oct 5."
    )


def test_a_loan_payment_is_not_money_in_and_a_person_is_not_a_shop(txn: Builder) -> None:
    before = [txn(date(2026, 9, 2), "-40.00", "Kroger", category="groceries")]
    payment = txn(date(2026, 10, 9), "-725.71", None, description="Personal loan payment 5")
    repaid = Transaction(  # the same transfer, seen on the loan account
        payment.id, 40, 1, payment.occurred_at, Decimal("725.71"), None,
        "Personal loan payment 5", "loan",
    )  # fmt: skip
    october = [
        txn(date(2026, 10, 1), "2500.00", "Acme Corp", category="income"),
        replace(payment, category="loan"),
        repaid,
        txn(date(2026, 10, 12), "-60.00", "Lisa Fernandez", category="p2p"),
    ]
    s = period_summary([*before, *october], *OCT, tz=TZ)
    assert (s.money_in, s.money_out) == (Decimal("2500.00"), Decimal("785.71"))
    assert [n.kind for n in s.notable] == []


def test_previous_periods_and_labels() -> None:
    d = date
    assert previous_period(d(2026, 1, 1), d(2026, 1, 31)) == (d(2025, 12, 1), d(2025, 12, 31))
    assert previous_period(d(2026, 3, 1), d(2026, 3, 31)) == (d(2026, 2, 1), d(2026, 2, 28))
    assert previous_period(d(2026, 1, 1), d(2026, 3, 31)) == (d(2025, 10, 1), d(2025, 12, 31))
    assert previous_period(d(2026, 10, 1), d(2026, 10, 14)) == (d(2026, 9, 17), d(2026, 9, 30))
    assert previous_period(d(2026, 3, 31), d(2026, 3, 31)) == (d(2026, 3, 30), d(2026, 3, 30))
    assert period_label(d(2026, 10, 1), d(2026, 10, 31)) == "October 2026"
    assert period_label(d(2026, 10, 1), d(2026, 10, 14)) == "Oct 1, 2026 to Oct 14, 2026"
    assert period_label(d(2026, 1, 1), d(2026, 3, 31)) == "Jan 1, 2026 to Mar 31, 2026"


def test_an_explicit_previous_period_and_bad_periods(txn: Builder) -> None:
    txns = [txn(date(2026, 10, 5), "-80.00", "TARGET"), txn(date(2025, 10, 5), "-40.00", "TARGET")]
    s = period_summary(
        txns[:1],
        *OCT,
        tz=TZ,
        previous=txns[1:],
        previous_start=date(2025, 10, 1),
        previous_end=date(2025, 10, 31),
    )
    assert (s.previous_label, s.previous_money_out, s.change_pct) == (
        "October 2025",
        Decimal("40.00"),
        Decimal("100.0"),
    )
    with pytest.raises(ValidationFailed, match="ends on or after its start"):
        period_summary(txns, date(2026, 10, 2), date(2026, 10, 1), tz=TZ)
    with pytest.raises(ValidationFailed, match="both previous_start and previous_end"):
        period_summary(txns, *OCT, tz=TZ, previous_start=date(2025, 10, 1))


def test_the_template_text(october: PeriodSummary) -> None:
    text = summary_text(october)
    assert text.text == TEMPLATE
    assert (text.source, text.prompt, text.fallback_reason) == ("template", None, None)
    assert text.facts == FACTS


def test_the_template_passes_the_output_review(october: PeriodSummary, guard: Guardrails) -> None:
    from openteller.guardrails import OutputContext

    text = summary_text(october)
    verdict = guard.review_output(None, text.text, OutputContext(strings=tuple(text.facts)))
    assert [d.rule_id for d in verdict.decisions if d.action != "pass"] == []
    assert verdict.text == TEMPLATE


def test_the_extractive_provider_keeps_the_template(october: PeriodSummary) -> None:
    recorder = MemoryRecorder()
    text = summary_text(october, provider=ExtractiveProvider(recorder=recorder))
    assert (text.text, text.source) == (TEMPLATE, "template")
    assert recorder.calls == []


def test_a_grounded_model_answer_is_used(october: PeriodSummary, guard: Guardrails) -> None:
    answer = (
        "In October 2026 you spent $2,082.83, up $437.34 (26.6%) from September 2026. "
        "Housing was the largest category at $1,500.00, and you paid $35.00 in fees on Oct 11."
    )
    recorder = MemoryRecorder()
    model = ScriptedProvider(answer, recorder=recorder, clock=FixedClock(NOW))
    text = summary_text(october, provider=model, guard=guard, session_id="s1")
    assert (text.text, text.source, text.fallback_reason) == (answer, "llm", None)
    assert text.prompt == PromptRef("summarize_statement", "2")
    [record] = recorder.calls
    assert (record.prompt_id, record.prompt_version, record.session_id, record.ok) == (
        "summarize_statement",
        "2",
        "s1",
        True,
    )
    [messages] = model.seen
    assert [m.role for m in messages] == ["system", "user"]
    assert messages[1].content.splitlines()[:5] == [
        "Period: October 2026 (USD)",
        "Spent: $2,082.83",
        "Received: $3,020.00",
        "Spent in September 2026: $1,645.49",
        "Change: up $437.34 (26.6%)",
    ]


def test_an_ungrounded_model_answer_falls_back_to_the_template(
    october: PeriodSummary, guard: Guardrails
) -> None:
    model = ScriptedProvider("You spent $2,082.83, and $999.99 of it on dining.")
    text = summary_text(october, provider=model, guard=guard)
    assert (text.text, text.source) == (TEMPLATE, "template")
    assert text.prompt == PromptRef("summarize_statement", "2")
    assert text.fallback_reason is not None
    assert text.fallback_reason.startswith("grounding.numbers: block")
    assert "$999.99" in text.fallback_reason


def test_a_figure_beside_the_wrong_category_falls_back(
    october: PeriodSummary, guard: Guardrails
) -> None:
    # What the bundled SmolLM2-135M answered: every figure exists, none where it says.
    answer = (
        "The bank spent $2,082.83 on housing, $1,500.00 in shopping, $300.00 in groceries, "
        "and $180.00 in groceries."
    )
    text = summary_text(october, provider=ScriptedProvider(answer), guard=guard)
    assert (text.text, text.source) == (TEMPLATE, "template")
    assert text.fallback_reason == "figure 2,082.83 is not the housing amount"
    assert misattributed("Dining fell by $4.50 to $25.50 (other: $12.00).", october) is None


def test_an_answer_that_repeats_the_prompt_falls_back(
    october: PeriodSummary, guard: Guardrails
) -> None:
    echo = "Spent: $2,082.83\nReceived: $3,020.00\nIn short, a busy month."
    text = summary_text(october, provider=ScriptedProvider(echo), guard=guard)
    assert (text.source, text.fallback_reason) == (
        "template",
        "the model repeated its input (2 of 3 lines)",
    )


def test_a_failed_or_unchecked_model_call_falls_back(
    october: PeriodSummary, guard: Guardrails
) -> None:
    down = summary_text(
        october, provider=ScriptedProvider(LLMUnavailable("no server")), guard=guard
    )
    assert (down.text, down.source, down.fallback_reason) == (
        TEMPLATE,
        "template",
        "model error: llm_unavailable",
    )
    empty = summary_text(october, provider=ScriptedProvider("  "), guard=guard)
    assert (empty.source, empty.fallback_reason) == ("template", "the model gave an empty answer")
    recorder = MemoryRecorder()
    unchecked = summary_text(october, provider=ScriptedProvider("Fine.", recorder=recorder))
    assert (unchecked.source, unchecked.fallback_reason) == (
        "template",
        "no guardrails to check the model's answer",
    )
    assert recorder.calls == []  # nothing is asked of a model whose answer can't be checked


def test_the_bundled_model_is_checked_like_any_other(
    october: PeriodSummary, guard: Guardrails
) -> None:
    """The real SmolLM2-135M through llama.cpp, greedy, one thread: it hands the figures
    back line by line (every one grounded), which is no summary: the template is used."""
    model = LlamaCppProvider(
        model_path=bundled_model_path(), n_threads=1, recorder=MemoryRecorder()
    )
    text = summary_text(october, provider=model, guard=guard)
    assert (text.text, text.source) == (TEMPLATE, "template")
    assert text.fallback_reason == "the model repeated its input (14 of 14 lines)"
