"""The openai adapter against a real OpenAI-compatible server (llama.cpp on loopback)."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from openteller.llm import (
    LLMConfigError,
    LLMError,
    LLMTimeout,
    LLMUnavailable,
    MemoryRecorder,
    Message,
    Price,
    PriceTable,
    provider_from_settings,
)
from openteller.llm.llama import LlamaCppProvider
from openteller.llm.openai_http import OpenAIProvider
from openteller.settings import Settings
from tests.llm.conftest import SERVER_MODEL, free_port

QUESTION = [Message("user", "What is the capital of France? Answer in one word.")]
PARIS = "The capital of France is Paris."  # what SmolLM2 answers, greedily
# A made-up price, so that the recorded cost can be checked exactly.
PRICES = PriceTable({SERVER_MODEL: Price(Decimal("100"), Decimal("1000"))})


@pytest.fixture
def recorder() -> MemoryRecorder:
    return MemoryRecorder()


@pytest.fixture
def client(llama_server: str, recorder: MemoryRecorder) -> OpenAIProvider:
    return OpenAIProvider(
        base_url=llama_server, model=SERVER_MODEL, recorder=recorder, prices=PRICES,
        timeout_seconds=60, max_retries=0,
    )  # fmt: skip


def test_completion_matches_the_in_process_model(
    client: OpenAIProvider, recorder: MemoryRecorder, gguf: Path
) -> None:
    completion = client.complete(QUESTION, max_tokens=8, session_id="s-1")
    local = LlamaCppProvider(model_path=gguf, n_threads=1).complete(QUESTION, max_tokens=8)
    assert completion.text == local.text == PARIS
    assert (completion.tokens_in, completion.tokens_out) == (local.tokens_in, local.tokens_out)
    [call] = recorder.calls
    assert (call.provider, call.model, call.session_id, call.ok) == (
        "openai", SERVER_MODEL, "s-1", True,
    )  # fmt: skip
    assert (call.tokens_in, call.tokens_out) == (completion.tokens_in, completion.tokens_out)
    assert call.cost_micro_usd == call.tokens_in * 100 + call.tokens_out * 1000
    assert client.attempts == 1


def test_streaming_yields_deltas_and_records_usage(
    client: OpenAIProvider, recorder: MemoryRecorder
) -> None:
    deltas = list(client.stream(QUESTION, max_tokens=8))
    assert len(deltas) >= 1
    assert "".join(deltas).strip() == PARIS
    [call] = recorder.calls
    assert call.ok
    # llama.cpp's server sends no usage with a stream: one token a chunk, and the prompt
    # estimated at 4 characters a token plus 4 a message (50 characters: 13 + 4).
    assert (call.tokens_in, call.tokens_out) == (17, len(deltas))
    assert call.cost_micro_usd == 17 * 100 + len(deltas) * 1000


def test_a_4xx_is_not_retried(llama_server: str, recorder: MemoryRecorder) -> None:
    slept: list[float] = []
    provider = OpenAIProvider(
        base_url=llama_server, model=SERVER_MODEL, recorder=recorder, max_retries=3,
        sleep=slept.append,
    )  # fmt: skip
    too_long = [Message("user", "wire fee " * 3000)]  # over the server's 2,048-token context
    with pytest.raises(LLMError) as caught:
        provider.complete(too_long, max_tokens=4)
    assert caught.value.details["status"] == 400
    assert (provider.attempts, slept) == (1, [])
    assert [c.ok for c in recorder.calls] == [False]


def test_unreachable_server_is_retried_with_backoff_then_fails(
    recorder: MemoryRecorder,
) -> None:
    port = free_port()  # nothing listens there any more: connection refused
    slept: list[float] = []
    provider = OpenAIProvider(
        base_url=f"http://127.0.0.1:{port}/v1", model="m", recorder=recorder,
        max_retries=2, backoff_seconds=0.01, sleep=slept.append,
    )  # fmt: skip
    with pytest.raises(LLMUnavailable, match="LLM server unreachable after 3 attempts") as caught:
        provider.complete(QUESTION, max_tokens=4)
    assert caught.value.details == {"attempts": 3}
    assert slept == [0.01, 0.02]
    [call] = recorder.calls
    assert (call.ok, call.tokens_in, call.tokens_out) == (False, 0, 0)
    assert call.error is not None
    assert call.error.startswith("llm_unavailable: LLM server unreachable after 3 attempts")


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port that accepts connections and never answers."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(8)
        yield int(s.getsockname()[1])


def test_timeout_is_retried_then_raised(silent_server: int, recorder: MemoryRecorder) -> None:
    slept: list[float] = []
    provider = OpenAIProvider(
        base_url=f"http://127.0.0.1:{silent_server}/v1", model="m", recorder=recorder,
        timeout_seconds=0.3, max_retries=1, backoff_seconds=0.01, sleep=slept.append,
    )  # fmt: skip
    started = time.perf_counter()
    with pytest.raises(LLMTimeout, match="did not answer in time after 2 attempts"):
        provider.complete(QUESTION, max_tokens=4)
    assert time.perf_counter() - started >= 0.6
    assert slept == [0.01]
    assert recorder.calls[0].error == (
        "llm_timeout: LLM server did not answer in time after 2 attempts"
    )


def test_stream_from_an_unreachable_server_fails_cleanly(recorder: MemoryRecorder) -> None:
    provider = OpenAIProvider(
        base_url=f"http://127.0.0.1:{free_port()}/v1", recorder=recorder, max_retries=0
    )
    with pytest.raises(LLMUnavailable):
        list(provider.stream(QUESTION))
    assert [c.ok for c in recorder.calls] == [False]


def test_settings_build_the_openai_provider_or_refuse() -> None:
    with pytest.raises(LLMConfigError, match="needs a base URL"):
        provider_from_settings(Settings(llm_provider="openai"))
    with pytest.raises(LLMConfigError, match="must start with http"):
        provider_from_settings(Settings(llm_provider="openai", llm_base_url="localhost:8080"))
    provider = provider_from_settings(
        Settings(
            llm_provider="openai",
            llm_base_url="http://127.0.0.1:9/v1",
            llm_model="gpt-4o-mini",
            llm_timeout_seconds=5,
            llm_max_retries=4,
            llm_max_tokens=99,
        )
    )
    assert isinstance(provider, OpenAIProvider)
    assert (provider.model, provider.timeout_seconds, provider.max_retries) == (
        "gpt-4o-mini", 5, 4,
    )  # fmt: skip
    assert provider.max_tokens == 99
