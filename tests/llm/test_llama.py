"""The bundled SmolLM2-135M-Instruct through llama.cpp: deterministic, counted, recorded."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from openteller.core import FixedClock
from openteller.llm import (
    DatabaseRecorder,
    LLMConfigError,
    LLMError,
    MemoryRecorder,
    Message,
    Passage,
    PromptRef,
    provider_from_settings,
)
from openteller.llm.llama import BUNDLED_FILE, LlamaCppProvider
from openteller.settings import Settings

NOW = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)
QUESTION = [Message("user", "What is the capital of France? Answer in one word.")]
PARIS = "The capital of France is Paris."  # what SmolLM2 answers, greedily


@pytest.fixture(scope="module")
def provider(gguf: Path) -> LlamaCppProvider:
    return LlamaCppProvider(model_path=gguf, n_threads=1, recorder=MemoryRecorder())


def test_bundled_model_is_found_in_the_installed_package(gguf: Path) -> None:
    assert gguf.name == BUNDLED_FILE
    assert gguf.stat().st_size > 90_000_000


def test_short_completion_is_deterministic_counted_and_recorded(
    provider: LlamaCppProvider, sqlite_engine: Engine
) -> None:
    provider.recorder = DatabaseRecorder(sqlite_engine)
    provider.clock = FixedClock(NOW)
    ref = PromptRef("adhoc", "1")
    first = provider.complete(QUESTION, max_tokens=8, prompt=ref, session_id="sess-9")
    again = provider.complete(QUESTION, max_tokens=8)
    assert first.text == again.text == PARIS
    assert (first.tokens_in, first.tokens_out) == (42, 7)
    assert (first.provider, first.model) == ("llama-cpp", BUNDLED_FILE)
    with sqlite_engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT occurred_at, session_id, provider, model, prompt_id, prompt_version, "
                "tokens_in, tokens_out, cost_micro_usd, ok, error FROM llm_calls ORDER BY id"
            )
        ).all()
    assert [tuple(r)[1:] for r in rows] == [
        ("sess-9", "llama-cpp", BUNDLED_FILE, "adhoc", "1", 42, 7, 0, 1, None),
        (None, "llama-cpp", BUNDLED_FILE, None, None, 42, 7, 0, 1, None),
    ]
    assert str(rows[0][0]).startswith("2026-11-15 12:00:00")


def test_stream_yields_the_same_text(provider: LlamaCppProvider) -> None:
    provider.recorder = MemoryRecorder()
    deltas = list(provider.stream(QUESTION, max_tokens=8))
    assert "".join(deltas) == PARIS
    [call] = provider.recorder.calls
    assert (call.tokens_in, call.tokens_out, call.ok) == (42, 7, True)


def test_answer_from_documents_renders_the_prompt_and_cites(provider: LlamaCppProvider) -> None:
    recorder = MemoryRecorder()
    provider.recorder = recorder
    passages = [
        Passage("fee-schedule", "Fee schedule", "Wires", "An outgoing domestic wire costs $25.00.")
    ]
    answer = provider.answer_from_documents("How much is a domestic wire?", passages, max_tokens=24)
    assert answer.found
    assert answer.text == "A domestic wire costs $25.00."
    assert [c.doc_id for c in answer.citations] == ["fee-schedule"]
    stream = provider.stream_answer("How much is a domestic wire?", passages, max_tokens=24)
    assert "".join(stream) == answer.text
    assert stream.answer is not None
    assert (stream.answer.text, stream.answer.citations) == (answer.text, answer.citations)
    assert [(c.prompt_id, c.prompt_version, c.tokens_out) for c in recorder.calls] == [
        ("answer_from_documents", "2", 11)
    ] * 2


def test_a_prompt_over_the_context_fails_and_is_recorded(provider: LlamaCppProvider) -> None:
    recorder = MemoryRecorder()
    provider.recorder = recorder
    with pytest.raises(LLMError, match=r"llama\.cpp failed: Requested tokens .* exceed context"):
        provider.complete([Message("user", "wire fee " * 3000)], max_tokens=4)
    [call] = recorder.calls
    assert (call.ok, call.tokens_in, call.tokens_out) == (False, 0, 0)
    assert call.error is not None
    assert call.error.startswith("llm_error: llama.cpp failed: Requested tokens")


def test_settings_choose_the_bundled_model_or_refuse_a_missing_file(tmp_path: Path) -> None:
    provider = provider_from_settings(Settings(llm_provider="llama-cpp"))
    assert isinstance(provider, LlamaCppProvider)
    assert provider.model == BUNDLED_FILE
    missing = tmp_path / "nope.gguf"
    with pytest.raises(LLMConfigError, match=r"GGUF file that does not exist: .*nope\.gguf"):
        provider_from_settings(Settings(llm_provider="llama-cpp", llm_model=str(missing)))
