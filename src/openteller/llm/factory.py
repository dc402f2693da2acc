"""Build the configured provider from Settings (`OPENTELLER_LLM_*`)."""

from __future__ import annotations

from pathlib import Path

from openteller.core import Clock
from openteller.llm.base import BaseProvider
from openteller.llm.errors import LLMConfigError
from openteller.llm.recorder import CallRecorder, PriceTable
from openteller.llm.registry import PromptRegistry
from openteller.settings import Settings

PROVIDERS = ("extractive", "llama-cpp", "openai")


def provider_from_settings(
    settings: Settings,
    *,
    recorder: CallRecorder | None = None,
    clock: Clock | None = None,
    prices: PriceTable | None = None,
    registry: PromptRegistry | None = None,
    n_threads: int | None = None,
) -> BaseProvider:
    """The provider `settings.llm_provider` names; a bad configuration raises LLMConfigError.

    `recorder` gets every call (default: kept in memory); pass a DatabaseRecorder to fill
    the `llm_calls` table.
    """
    common = {
        "recorder": recorder,
        "clock": clock,
        "prices": prices,
        "registry": registry,
        "max_tokens": settings.llm_max_tokens,
        "bank_name": settings.bank_name,
    }
    kind = settings.llm_provider
    if kind == "extractive":
        from openteller.llm.extractive import ExtractiveProvider

        return ExtractiveProvider(**common)  # type: ignore[arg-type]
    if kind == "llama-cpp":
        from openteller.llm.llama import LlamaCppProvider

        path = Path(settings.llm_model).expanduser() if settings.llm_model else None
        if path is not None and not path.is_file():
            raise LLMConfigError(
                f"OPENTELLER_LLM_MODEL names a GGUF file that does not exist: {path}"
            )
        threads = n_threads if n_threads is not None else settings.llm_threads
        return LlamaCppProvider(model_path=path, n_threads=threads, **common)  # type: ignore[arg-type]
    if kind == "openai":
        from openteller.llm.openai_http import OpenAIProvider

        return OpenAIProvider(
            base_url=settings.llm_base_url,
            api_key=settings.llm_api_key.get_secret_value(),
            model=settings.llm_model,
            timeout_seconds=settings.llm_timeout_seconds,
            max_retries=settings.llm_max_retries,
            **common,  # type: ignore[arg-type]
        )
    raise LLMConfigError(f"unknown LLM provider {kind!r} (choose one of {', '.join(PROVIDERS)})")
