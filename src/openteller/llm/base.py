"""The `LLMProvider` port and what every adapter shares: timing, the call log, cited answers."""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from openteller.core import Clock, SystemClock
from openteller.llm.answers import AnswerStream, cite_generated
from openteller.llm.errors import LLMError
from openteller.llm.recorder import CallRecord, CallRecorder, MemoryRecorder, PriceTable
from openteller.llm.registry import PromptRegistry, default_registry
from openteller.llm.types import (
    NOT_IN_DOCUMENTS,
    Answer,
    Completion,
    Message,
    Passage,
    PromptRef,
)

ANSWER_PROMPT = "answer_from_documents"


@runtime_checkable
class LLMProvider(Protocol):
    """What the assistant needs from a language model (or from the extractive composer)."""

    name: str
    model: str

    def complete(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int | None = None,
        prompt: PromptRef | None = None,
        session_id: str | None = None,
    ) -> Completion:
        """One answer to the chat `messages`; the call is recorded (also when it fails)."""
        ...

    def stream(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int | None = None,
        prompt: PromptRef | None = None,
        session_id: str | None = None,
    ) -> Generator[str, None, None]:
        """The answer as text deltas; the call is recorded when the stream ends (or is
        closed: close it when the reader goes away)."""
        ...

    def answer_from_documents(
        self,
        question: str,
        passages: Sequence[Passage],
        *,
        max_tokens: int | None = None,
        session_id: str | None = None,
    ) -> Answer:
        """An answer to `question` from `passages` only, with (document, section) citations."""
        ...

    def stream_answer(
        self,
        question: str,
        passages: Sequence[Passage],
        *,
        max_tokens: int | None = None,
        session_id: str | None = None,
    ) -> AnswerStream:
        """The same answer as text deltas; `.answer` holds it, cited, once consumed."""
        ...


@dataclass
class Generated:
    """What an adapter's generation step returns (tokens as the model counted them)."""

    text: str
    tokens_in: int
    tokens_out: int


@dataclass
class StreamUsage:
    """Filled in by an adapter's stream as it learns the token counts."""

    tokens_in: int = 0
    tokens_out: int = 0


class BaseProvider:
    """Shared behaviour; adapters implement `_generate` and `_generate_stream`."""

    name = "base"

    def __init__(
        self,
        *,
        model: str,
        recorder: CallRecorder | None = None,
        clock: Clock | None = None,
        prices: PriceTable | None = None,
        registry: PromptRegistry | None = None,
        max_tokens: int = 256,
        bank_name: str = "OpenTeller Demo Bank",
        answer_prompt_version: str | None = None,
    ) -> None:
        self.model = model
        self.recorder: CallRecorder = recorder if recorder is not None else MemoryRecorder()
        self.clock: Clock = clock or SystemClock()
        self.prices = prices or PriceTable.from_yaml()
        self.registry = registry or default_registry()
        self.max_tokens = max_tokens
        self.bank_name = bank_name
        self.answer_prompt_version = answer_prompt_version

    # ---- adapters implement these
    def _generate(self, messages: Sequence[Message], max_tokens: int) -> Generated:
        raise NotImplementedError

    def _generate_stream(
        self, messages: Sequence[Message], max_tokens: int, usage: StreamUsage
    ) -> Iterator[str]:
        generated = self._generate(messages, max_tokens)
        usage.tokens_in, usage.tokens_out = generated.tokens_in, generated.tokens_out
        yield generated.text

    # ---- the port
    def complete(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int | None = None,
        prompt: PromptRef | None = None,
        session_id: str | None = None,
    ) -> Completion:
        _check_messages(messages)
        started = time.perf_counter()
        try:
            generated = self._generate(messages, max_tokens or self.max_tokens)
        except LLMError as exc:
            self._record(started, prompt, session_id, 0, 0, error=exc)
            raise
        return self._record(
            started, prompt, session_id, generated.tokens_in, generated.tokens_out,
            text=generated.text,
        )  # fmt: skip

    def stream(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int | None = None,
        prompt: PromptRef | None = None,
        session_id: str | None = None,
    ) -> Generator[str, None, None]:
        _check_messages(messages)
        return self._stream(messages, max_tokens or self.max_tokens, prompt, session_id)

    def _stream(
        self,
        messages: Sequence[Message],
        max_tokens: int,
        prompt: PromptRef | None,
        session_id: str | None,
        on_done: Callable[[Completion], None] | None = None,
    ) -> Generator[str, None, None]:
        started = time.perf_counter()
        usage = StreamUsage()
        chunks: list[str] = []
        try:
            for delta in self._generate_stream(messages, max_tokens, usage):
                if delta:
                    chunks.append(delta)
                    yield delta
        except LLMError as exc:
            self._record(started, prompt, session_id, usage.tokens_in, usage.tokens_out, error=exc)
            raise
        except GeneratorExit:
            # The reader stopped early (a closed chat connection): log what was produced.
            self._record(
                started, prompt, session_id, usage.tokens_in, usage.tokens_out or len(chunks)
            )
            raise
        completion = self._record(
            started, prompt, session_id, usage.tokens_in, usage.tokens_out or len(chunks),
            text="".join(chunks).strip(),
        )  # fmt: skip
        if on_done is not None:
            on_done(completion)

    def answer_from_documents(
        self,
        question: str,
        passages: Sequence[Passage],
        *,
        max_tokens: int | None = None,
        session_id: str | None = None,
    ) -> Answer:
        if not passages:
            return Answer(NOT_IN_DOCUMENTS, [], None, found=False)
        ref, messages = self.answer_messages(question, passages)
        completion = self.complete(
            messages, max_tokens=max_tokens, prompt=ref, session_id=session_id
        )
        return cite_generated(completion, passages)

    def stream_answer(
        self,
        question: str,
        passages: Sequence[Passage],
        *,
        max_tokens: int | None = None,
        session_id: str | None = None,
    ) -> AnswerStream:
        """`answer_from_documents` as text deltas; the cited Answer is there once consumed."""
        if not passages:
            return AnswerStream.of(Answer(NOT_IN_DOCUMENTS, [], None, found=False))
        ref, messages = self.answer_messages(question, passages)
        stream = AnswerStream()

        def done(completion: Completion) -> None:
            stream.answer = cite_generated(completion, passages)

        stream.deltas = self._stream(
            messages, max_tokens or self.max_tokens, ref, session_id, on_done=done
        )
        return stream

    def answer_messages(
        self, question: str, passages: Sequence[Passage]
    ) -> tuple[PromptRef, list[Message]]:
        """The answer-from-documents prompt rendered for `question` and `passages`."""
        prompt = self.registry.get(ANSWER_PROMPT, self.answer_prompt_version)
        values: dict[str, Any] = {
            "bank_name": self.bank_name,
            "question": question,
            "not_found": NOT_IN_DOCUMENTS,
            "passages": [
                {"n": i, "title": p.title, "section": p.section, "text": p.text}
                for i, p in enumerate(passages, 1)
            ],
        }
        rendered = prompt.render({k: v for k, v in values.items() if k in prompt.variables})
        return rendered.ref, rendered.messages

    # ---- the call log
    def _record(
        self,
        started: float,
        prompt: PromptRef | None,
        session_id: str | None,
        tokens_in: int,
        tokens_out: int,
        *,
        text: str = "",
        error: LLMError | None = None,
    ) -> Completion:
        latency_ms = round((time.perf_counter() - started) * 1000)
        cost = self.prices.estimate(self.model, tokens_in, tokens_out)
        self.recorder.record(
            CallRecord(
                occurred_at=self.clock.now(),
                session_id=session_id,
                provider=self.name,
                model=self.model,
                prompt_id=prompt.id if prompt else None,
                prompt_version=prompt.version if prompt else None,
                tokens_in=tokens_in,
                tokens_out=tokens_out,
                latency_ms=latency_ms,
                cost_micro_usd=cost,
                ok=error is None,
                error=None if error is None else f"{error.code}: {error.message}",
            )
        )
        return Completion(
            text=text,
            tokens_in=tokens_in,
            tokens_out=tokens_out,
            latency_ms=latency_ms,
            model=self.model,
            provider=self.name,
            prompt=prompt,
            cost_micro_usd=cost,
        )


def _check_messages(messages: Sequence[Message]) -> None:
    if not messages:
        raise LLMError("a completion needs at least one message")
