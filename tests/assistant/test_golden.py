"""The golden conversations (tests/assistant/golden/*.yaml), each on its own copy of a
seeded bank, with the real NLU model."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from openteller.assistant import DocumentAnswerer, IntentParser, KnowledgeAnswerer, default_parser
from openteller.knowledge import KnowledgeBase
from openteller.llm import ExtractiveProvider
from openteller.settings import Settings
from tests.assistant.golden import Bank, conversations, open_copy, play, seeded_template


@pytest.fixture(scope="session")
def intent_parser() -> IntentParser:
    return default_parser()


@pytest.fixture(scope="session")
def answerer(tmp_path_factory: pytest.TempPathFactory) -> DocumentAnswerer:
    """The packaged corpus, indexed once per session, answered extractively."""
    kb = KnowledgeBase.open(Settings(), index_dir=tmp_path_factory.mktemp("kb"))
    return KnowledgeAnswerer(kb, ExtractiveProvider())


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seeded_template(tmp_path_factory.mktemp("golden"))


@pytest.fixture
def bank(template: Path, tmp_path: Path) -> Iterator[Bank]:
    yield from open_copy(template, tmp_path)


def test_there_are_at_least_sixty() -> None:
    assert len(conversations()) >= 60


@pytest.mark.parametrize("convo", conversations())
def test_golden_conversation(
    bank: Bank, intent_parser: IntentParser, answerer: DocumentAnswerer, convo: dict[str, Any]
) -> None:
    play(bank, intent_parser, convo, answerer)
