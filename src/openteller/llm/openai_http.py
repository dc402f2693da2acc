"""The openai provider: any OpenAI-compatible chat-completions server, through `openai`.

Retries are ours, not the client's, so that every attempt is counted and logged: a
connection error, a timeout, 429 and 5xx are retried with exponential backoff
(`backoff_seconds` x 2^attempt); any other 4xx is the caller's mistake and fails at once.
A stream is retried only until it has started. Streams ask for usage; when a server
sends none, the prompt's tokens are estimated (4 characters a token) and the answer's
are its chunks.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from openteller.llm.base import BaseProvider, Generated, StreamUsage
from openteller.llm.errors import LLMConfigError, LLMError, LLMTimeout, LLMUnavailable
from openteller.llm.types import Message

if TYPE_CHECKING:
    from openai import OpenAI

log = logging.getLogger("openteller.llm")
T = TypeVar("T")
NO_KEY = "no-key"  # local servers ignore the key, but the client refuses an empty one


class OpenAIProvider(BaseProvider):
    """Chat completions over HTTP from an OpenAI-compatible server."""

    name = "openai"

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str = "",
        model: str = "",
        timeout_seconds: float = 30.0,
        max_retries: int = 2,
        backoff_seconds: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
        **kwargs: Any,
    ) -> None:
        if not base_url:
            raise LLMConfigError(
                "the openai provider needs a base URL (OPENTELLER_LLM_BASE_URL, "
                "e.g. http://127.0.0.1:8080/v1)"
            )
        if not base_url.startswith(("http://", "https://")):
            raise LLMConfigError(f"LLM base URL must start with http:// or https://: {base_url}")
        super().__init__(model=model or "default", **kwargs)
        self.base_url = base_url
        self.timeout_seconds = timeout_seconds
        self.max_retries = max_retries
        self.backoff_seconds = backoff_seconds
        self.sleep = sleep
        self.attempts = 0  # attempts of the last call (1 + the retries it took)
        from openai import OpenAI

        self._client: OpenAI = OpenAI(
            base_url=base_url, api_key=api_key or NO_KEY, timeout=timeout_seconds, max_retries=0
        )

    def _generate(self, messages: Sequence[Message], max_tokens: int) -> Generated:
        def call() -> Generated:
            response: Any = self._client.chat.completions.create(
                model=self.model,
                messages=_payload(messages),
                max_tokens=max_tokens,
                temperature=0,
                seed=42,
            )
            text = response.choices[0].message.content or ""
            usage = response.usage
            tokens_in = usage.prompt_tokens if usage else 0
            tokens_out = usage.completion_tokens if usage else 0
            return Generated(text.strip(), tokens_in, tokens_out)

        return self._with_retries(call)

    def _generate_stream(
        self, messages: Sequence[Message], max_tokens: int, usage: StreamUsage
    ) -> Iterator[str]:
        def start() -> tuple[Any, Iterator[Any]]:
            stream: Any = self._client.chat.completions.create(
                model=self.model,
                messages=_payload(messages),
                max_tokens=max_tokens,
                temperature=0,
                seed=42,
                stream=True,
                stream_options={"include_usage": True},
            )
            iterator = iter(stream)
            return stream, iterator

        stream, chunks = self._with_retries(start)
        try:
            for chunk in chunks:
                if chunk.usage is not None:
                    usage.tokens_in = chunk.usage.prompt_tokens
                    usage.tokens_out = chunk.usage.completion_tokens
                if chunk.choices:
                    delta = chunk.choices[0].delta.content
                    if delta:
                        yield delta
        except Exception as exc:
            raise _wrap(exc) from exc
        finally:
            stream.close()
        if usage.tokens_in == 0:
            # The server sent no usage (llama.cpp's does not, for streams): estimate it.
            usage.tokens_in = estimate_prompt_tokens(messages)

    def _with_retries(self, call: Callable[[], T]) -> T:
        import openai

        self.attempts = 0
        while True:
            self.attempts += 1
            try:
                return call()
            except (
                openai.APIConnectionError,
                openai.RateLimitError,
                openai.InternalServerError,
            ) as exc:
                if self.attempts > self.max_retries:
                    raise _wrap(exc, self.attempts) from exc
                delay = self.backoff_seconds * 2 ** (self.attempts - 1)
                log.warning(
                    "LLM call to %s failed (%s), attempt %d; retrying in %.2f s",
                    self.base_url, type(exc).__name__, self.attempts, delay,
                )  # fmt: skip
                self.sleep(delay)
            except openai.OpenAIError as exc:
                raise _wrap(exc, self.attempts) from exc


def _wrap(exc: Exception, attempts: int = 1) -> LLMError:
    """The OpenTeller error for an `openai` (or transport) exception."""
    import openai

    tries = f" after {attempts} attempt{'s' if attempts != 1 else ''}"
    if isinstance(exc, openai.APITimeoutError):
        return LLMTimeout(f"LLM server did not answer in time{tries}", attempts=attempts)
    if isinstance(exc, openai.APIConnectionError):
        return LLMUnavailable(f"LLM server unreachable{tries}: {exc}", attempts=attempts)
    if isinstance(exc, openai.APIStatusError):
        return LLMError(
            f"LLM server answered HTTP {exc.status_code}{tries}: {exc.message}",
            attempts=attempts,
            status=exc.status_code,
        )
    return LLMError(f"LLM call failed: {exc}", attempts=attempts)


def estimate_prompt_tokens(messages: Sequence[Message]) -> int:
    """A prompt's tokens by the usual rule of thumb: 4 characters a token, 4 per message."""
    return sum(math.ceil(len(m.content) / 4) + 4 for m in messages)


def _payload(messages: Sequence[Message]) -> list[Any]:
    return [{"role": m.role, "content": m.content} for m in messages]
