"""Presidio, offline: our banking recognizers beside presidio's e-mail, phone and IBAN ones.

No NER model is downloaded: presidio gets a blank spaCy English pipeline saved to disk
(tokenizer only, so pattern recognizers work and name detection does not), and
tldextract (used by the e-mail recognizer) is pointed at its bundled public-suffix
snapshot instead of fetching the list at start.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
from importlib import metadata
from pathlib import Path
from typing import Any

from openteller.guardrails._cards import mask_card
from openteller.guardrails._pii import CARD, KINDS, SSN, scan_pii

_lock = threading.Lock()
_engines: tuple[Any, Any] | None = None
_OURS = "OpenTellerBankingRecognizer"


def _offline_tldextract() -> None:
    import tldextract
    import tldextract.tldextract as module

    # suffix_list_urls=() : never fetch; the snapshot shipped inside the package is used.
    module.TLD_EXTRACTOR = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def _blank_spacy_path() -> Path:
    import spacy

    release = metadata.version("spacy")
    folder = Path(tempfile.gettempdir()) / f"openteller-spacy-blank-en-{release}"
    if not (folder / "config.cfg").is_file():
        staging = folder.with_name(f"{folder.name}.{os.getpid()}.tmp")
        spacy.blank("en").to_disk(staging)
        # Another process may have won the race: its copy is identical.
        with contextlib.suppress(OSError):
            staging.rename(folder)
    return folder


def _recognizer_class() -> Any:
    from presidio_analyzer import EntityRecognizer, RecognizerResult

    class BankingRecognizer(EntityRecognizer):
        """Cards (all IIN ranges + Luhn), CVV/PIN by context, SSN, ABA, accounts, IBAN."""

        def __init__(self) -> None:
            super().__init__(supported_entities=list(KINDS), name=_OURS, supported_language="en")

        def load(self) -> None:
            return None

        def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[Any]:
            return [
                RecognizerResult(s.kind, s.start, s.end, 1.0)
                for s in scan_pii(text)
                if not entities or s.kind in entities
            ]

    return BankingRecognizer


def engines() -> tuple[Any, Any]:
    """(AnalyzerEngine, AnonymizerEngine), built once per process."""
    global _engines
    with _lock:
        if _engines is None:
            _offline_tldextract()
            from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
            from presidio_analyzer.nlp_engine import NlpEngineProvider
            from presidio_analyzer.predefined_recognizers import (
                EmailRecognizer,
                IbanRecognizer,
                PhoneRecognizer,
            )
            from presidio_anonymizer import AnonymizerEngine

            nlp = NlpEngineProvider(
                nlp_configuration={
                    "nlp_engine_name": "spacy",
                    "models": [{"lang_code": "en", "model_name": str(_blank_spacy_path())}],
                }
            ).create_engine()
            registry = RecognizerRegistry(supported_languages=["en"])
            registry.add_recognizer(_recognizer_class()())
            registry.add_recognizer(EmailRecognizer())
            registry.add_recognizer(IbanRecognizer())
            registry.add_recognizer(PhoneRecognizer(supported_regions=("US", "GB", "DE", "FR")))
            analyzer = AnalyzerEngine(nlp_engine=nlp, registry=registry, supported_languages=["en"])
            _engines = (analyzer, AnonymizerEngine())  # type: ignore[no-untyped-call]
        return _engines


_PRESIDIO_KINDS = {"EMAIL_ADDRESS": "EMAIL", "PHONE_NUMBER": "PHONE", "IBAN_CODE": "IBAN"}


def presidio_redact(text: str) -> tuple[str, list[str]]:
    """(redacted text, PII kinds found) through presidio with our recognizers."""
    from presidio_anonymizer.entities import OperatorConfig

    analyzer, anonymizer = engines()
    results = analyzer.analyze(text=text, language="en", score_threshold=0.5)
    if not results:
        return text, []
    operators = {
        CARD: OperatorConfig(
            "custom", {"lambda": lambda s: mask_card("".join(ch for ch in s if ch.isdigit()))}
        ),
        SSN: OperatorConfig(
            "custom",
            {"lambda": lambda s: "***-**-" + "".join(ch for ch in s if ch.isdigit())[-4:]},
        ),
    }
    for r in results:
        kind = _PRESIDIO_KINDS.get(r.entity_type, r.entity_type)
        operators.setdefault(r.entity_type, OperatorConfig("replace", {"new_value": f"<{kind}>"}))
    redacted = anonymizer.anonymize(text=text, analyzer_results=results, operators=operators)
    kinds = sorted({_PRESIDIO_KINDS.get(r.entity_type, r.entity_type) for r in results})
    return str(redacted.text), kinds
