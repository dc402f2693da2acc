"""One real index of the packaged corpus per test session (the packaged MiniLM model)."""

from __future__ import annotations

from pathlib import Path

import pytest

from openteller.knowledge import KnowledgeBase
from openteller.settings import Settings


@pytest.fixture(scope="session")
def kb_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("kb")


@pytest.fixture(scope="session")
def kb(kb_dir: Path) -> KnowledgeBase:
    """Opening an empty folder builds the index from the packaged corpus (first use)."""
    return KnowledgeBase.open(Settings(), index_dir=kb_dir)
