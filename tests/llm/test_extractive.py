"""The extractive provider: exact answers, verbatim numbers, citations, the not-found answer."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from openteller.core import FixedClock
from openteller.llm import (
    NOT_IN_DOCUMENTS,
    Citation,
    ExtractiveProvider,
    LLMProvider,
    MemoryRecorder,
    Message,
    Passage,
    provider_from_settings,
)
from openteller.llm.extractive import sentences, stem
from openteller.settings import Settings

NOW = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)

FEES = Passage(
    "fee-schedule",
    "Fee schedule",
    "Wire transfers",
    "| Service | Fee |\n|---|---|\n"
    "| Outgoing domestic wire | $25.00 |\n"
    "| Incoming domestic wire | $0.00 |\n"
    "| Outgoing international wire | $45.00 |\n",
)
CUTOFF = Passage(
    "transfer-limits",
    "Transfer and wire limits",
    "Cut-off times",
    "Wire requests received by 4:00 p.m. ET on a business day are sent the same day. "
    "Requests after the cut-off go out the next business day.",
)
OVERDRAFT = Passage(
    "overdraft-policy",
    "Overdraft policy",
    "Overdraft fees",
    "## Overdraft fees\n\nWe charge an **overdraft fee** of $35.00 per item, up to 3 per day. "
    "No fee applies when the account is overdrawn by $5.00 or less.\n\n"
    "- You can opt out of overdraft coverage at any time.\n",
)
PASSAGES = [FEES, CUTOFF, OVERDRAFT]
LOAN = Passage(
    "personal-loan",
    "Personal Loan product sheet",
    "Amounts and terms",
    "Borrow from $1,000.00 to $50,000.00, repaid in equal monthly payments over 12 to 72 months.",
)
LOAN_FEES = Passage(
    "fee-schedule",
    "Fee schedule",
    "Personal loan fees",
    "- Origination fee: 1.00% of the amount borrowed, deducted from the loan proceeds.",
)


@pytest.fixture
def provider() -> ExtractiveProvider:
    return ExtractiveProvider(recorder=MemoryRecorder(), clock=FixedClock(NOW))


@pytest.mark.parametrize(
    ("question", "text", "citations"),
    [
        (
            "What is the fee for an outgoing domestic wire?",
            "Outgoing domestic wire: $25.00. [1]",
            [Citation("fee-schedule", "Fee schedule", "Wire transfers")],
        ),
        (
            "How much is the overdraft fee?",
            "We charge an overdraft fee of $35.00 per item, up to 3 per day. [1]",
            [Citation("overdraft-policy", "Overdraft policy", "Overdraft fees")],
        ),
        (
            "international wire fee",
            "Outgoing international wire: $45.00. [1]",
            [Citation("fee-schedule", "Fee schedule", "Wire transfers")],
        ),
        (
            # Two questions in one: one sentence for each part, each cited.
            "What is the wire fee and the cut-off time for wires?",
            "Wire requests received by 4:00 p.m. ET on a business day are sent the same day. [1] "
            "Outgoing domestic wire: $25.00. [2]",
            [
                Citation("transfer-limits", "Transfer and wire limits", "Cut-off times"),
                Citation("fee-schedule", "Fee schedule", "Wire transfers"),
            ],
        ),
    ],
)
def test_answers_are_cited_sentences_of_the_passages(
    provider: ExtractiveProvider, question: str, text: str, citations: list[Citation]
) -> None:
    answer = provider.answer_from_documents(question, PASSAGES)
    assert answer.found
    assert answer.text == text
    assert answer.citations == citations


def test_a_sentence_can_answer_through_its_section_heading(
    provider: ExtractiveProvider,
) -> None:
    # "amounts ... personal loan" is only in the first passage's heading; the second
    # passage has "amount" in its sentence, but ranks lower.
    answer = provider.answer_from_documents(
        "What amounts can a personal loan be for?", [LOAN, LOAN_FEES]
    )
    assert answer.text == (
        "Borrow from $1,000.00 to $50,000.00, repaid in equal monthly payments over 12 to "
        "72 months. [1]"
    )
    assert answer.citations == [
        Citation("personal-loan", "Personal Loan product sheet", "Amounts and terms")
    ]


def test_nothing_relevant_gives_the_not_in_our_documents_answer(
    provider: ExtractiveProvider,
) -> None:
    answer = provider.answer_from_documents("Can I open an account in bitcoin?", PASSAGES)
    assert (answer.found, answer.text, answer.citations) == (False, NOT_IN_DOCUMENTS, [])
    empty = provider.answer_from_documents("What is the wire fee?", [])
    assert (empty.found, empty.text, empty.citations) == (False, NOT_IN_DOCUMENTS, [])


def test_every_answer_is_recorded_with_word_counts(provider: ExtractiveProvider) -> None:
    provider.answer_from_documents("How much is the overdraft fee?", PASSAGES, session_id="s1")
    assert isinstance(provider.recorder, MemoryRecorder)
    [call] = provider.recorder.calls
    assert (call.provider, call.model, call.session_id, call.ok) == (
        "extractive",
        "extractive",
        "s1",
        True,
    )
    assert call.occurred_at == NOW
    assert (call.tokens_in, call.tokens_out, call.cost_micro_usd) == (99, 15, 0)
    assert (call.prompt_id, call.prompt_version) == (None, None)


def test_sources_footer_lists_citations_in_order(provider: ExtractiveProvider) -> None:
    answer = provider.answer_from_documents("wire fee and cut-off time", PASSAGES)
    assert answer.render_sources() == (
        "Sources: [1] Transfer and wire limits › Cut-off times; [2] Fee schedule › Wire transfers"
    )


def test_markdown_is_split_into_sentences_keeping_numbers() -> None:
    assert sentences(OVERDRAFT.text) == [
        "We charge an overdraft fee of $35.00 per item, up to 3 per day.",
        "No fee applies when the account is overdrawn by $5.00 or less.",
        "You can opt out of overdraft coverage at any time.",
    ]
    assert sentences(FEES.text) == [
        "Outgoing domestic wire: $25.00",
        "Incoming domestic wire: $0.00",
        "Outgoing international wire: $45.00",
    ]
    assert sentences("Sent by 4:00 p.m. ET daily. See e.g. Reg. E for details.") == [
        "Sent by 4:00 p.m. ET daily.",
        "See e.g. Reg. E for details.",
    ]


def test_stemming_matches_plural_and_tense() -> None:
    assert {stem(w) for w in ("fee", "fees")} == {"fee"}
    assert {stem(w) for w in ("charge", "charges", "charged", "charging")} == {"charg"}
    assert {stem(w) for w in ("wire", "wires")} == {"wir"}


def test_complete_and_stream_extract_from_the_request(provider: ExtractiveProvider) -> None:
    messages = [Message("user", "First sentence here. Second one is longer than that. Third.")]
    completion = provider.complete(messages, max_tokens=9)
    assert completion.text == "First sentence here. Second one is longer than that."
    assert (completion.tokens_in, completion.tokens_out) == (10, 9)
    streamed = list(provider.stream(messages, max_tokens=3))
    assert streamed == ["First", " sentence", " here."]
    assert isinstance(provider.recorder, MemoryRecorder)
    assert [c.tokens_out for c in provider.recorder.calls] == [9, 3]


def test_table_values_are_named_by_their_columns() -> None:
    table = (
        "| wire | Everyday Checking | Premier Checking |\n|---|---|---|\n"
        "| outgoing domestic wire | $25.00 | $15.00 |\n"
    )
    assert sentences(table) == [
        "outgoing domestic wire: Everyday Checking $25.00; Premier Checking $15.00"
    ]


def test_extractive_is_the_default_provider() -> None:
    provider = provider_from_settings(Settings(llm_max_tokens=77, bank_name="Acme Bank"))
    assert isinstance(provider, ExtractiveProvider)
    assert isinstance(provider, LLMProvider)
    assert (provider.name, provider.max_tokens, provider.bank_name) == (
        "extractive",
        77,
        "Acme Bank",
    )


def test_stream_answer_hands_out_the_cited_answer_word_by_word(
    provider: ExtractiveProvider,
) -> None:
    stream = provider.stream_answer("How much is the overdraft fee?", PASSAGES)
    deltas = list(stream)
    assert deltas[:3] == ["We", " charge", " an"]
    assert stream.answer is not None
    assert "".join(deltas) == stream.answer.text
    assert stream.answer.citations == [
        Citation("overdraft-policy", "Overdraft policy", "Overdraft fees")
    ]


def test_citation_label_does_not_repeat_the_title() -> None:
    assert Citation("d", "Fee schedule", "Wires").label() == "Fee schedule › Wires"
    assert Citation("d", "Fee schedule", "Fee schedule > Wires").label() == "Fee schedule > Wires"
    assert Citation("d", "Fee schedule", "").label() == "Fee schedule"


def test_a_stream_closed_early_is_still_recorded(provider: ExtractiveProvider) -> None:
    stream = provider.stream([Message("user", "One two three four five.")])
    assert next(stream) == "One"
    stream.close()  # the reader went away (a closed chat connection)
    assert isinstance(provider.recorder, MemoryRecorder)
    [call] = provider.recorder.calls
    assert (call.ok, call.tokens_in, call.tokens_out) == (True, 5, 5)
