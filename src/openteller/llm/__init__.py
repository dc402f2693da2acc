"""Language models for OpenTeller: the `LLMProvider` port and its adapters, the prompt
registry, and the call log.

Adapters: `extractive` (default; sentences of the passages, cited, no model),
`llama-cpp` (a local GGUF file, SmolLM2-135M-Instruct bundled) and `openai` (any
OpenAI-compatible server). Every call is recorded (provider, model, prompt id and version,
tokens, latency, estimated cost). Other packages import only the names below.
"""

from openteller.llm.answers import AnswerStream, cite_generated, unique_citations
from openteller.llm.base import LLMProvider
from openteller.llm.errors import LLMConfigError, LLMError, LLMTimeout, LLMUnavailable, PromptError
from openteller.llm.extractive import ExtractiveProvider
from openteller.llm.factory import PROVIDERS, provider_from_settings
from openteller.llm.llama import LlamaCppProvider, bundled_model_path
from openteller.llm.openai_http import OpenAIProvider
from openteller.llm.recorder import (
    CallRecord,
    CallRecorder,
    DatabaseRecorder,
    MemoryRecorder,
    Price,
    PriceTable,
)
from openteller.llm.registry import Prompt, PromptRegistry, RenderedPrompt, default_registry
from openteller.llm.types import (
    NOT_IN_DOCUMENTS,
    Answer,
    Citation,
    Completion,
    Message,
    Passage,
    PromptRef,
)

__all__ = [
    "NOT_IN_DOCUMENTS",
    "PROVIDERS",
    "Answer",
    "AnswerStream",
    "CallRecord",
    "CallRecorder",
    "Citation",
    "Completion",
    "DatabaseRecorder",
    "ExtractiveProvider",
    "LLMConfigError",
    "LLMError",
    "LLMProvider",
    "LLMTimeout",
    "LLMUnavailable",
    "LlamaCppProvider",
    "MemoryRecorder",
    "Message",
    "OpenAIProvider",
    "Passage",
    "Price",
    "PriceTable",
    "Prompt",
    "PromptError",
    "PromptRef",
    "PromptRegistry",
    "RenderedPrompt",
    "bundled_model_path",
    "cite_generated",
    "default_registry",
    "provider_from_settings",
    "unique_citations",
]
