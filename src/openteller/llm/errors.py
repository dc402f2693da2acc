"""Errors of the language-model layer, part of the one OpenTeller hierarchy::

OpenTellerError
└── LLMError (502)              a provider call failed
    ├── LLMConfigError (500)    bad configuration: no base URL, a GGUF file that is missing
    ├── LLMUnavailable (503)    the server could not be reached (after every retry)
    ├── LLMTimeout (504)        the server did not answer in time (after every retry)
    └── PromptError (422)       unknown prompt or version, missing or undeclared variable
"""

from __future__ import annotations

from openteller.core import OpenTellerError


class LLMError(OpenTellerError):
    code = "llm_error"
    http_status = 502


class LLMConfigError(LLMError):
    code = "llm_misconfigured"
    http_status = 500


class LLMUnavailable(LLMError):
    code = "llm_unavailable"
    http_status = 503


class LLMTimeout(LLMUnavailable):
    code = "llm_timeout"
    http_status = 504


class PromptError(LLMError):
    code = "prompt_error"
    http_status = 422
