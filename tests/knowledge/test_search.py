"""Hybrid retrieval over the packaged corpus: citations, abstention, threads, no rebuilds."""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from openteller.knowledge import ABSTAIN_MESSAGE, KnowledgeBase, KnowledgeError
from openteller.settings import Settings

WIRE = "what is the fee for an outgoing domestic wire?"


def test_the_domestic_wire_fee_question_cites_the_fee_schedule(kb: KnowledgeBase) -> None:
    result = kb.search(WIRE, k=5)
    assert not result.abstain
    assert result.message == ""
    top = result.hits[0]
    assert (top.doc_id, top.title, top.section) == (
        "fee-schedule",
        "Fee schedule",
        "Fee schedule > Wires",
    )
    assert "$25.00" in top.text
    assert "$15.00" in top.text
    assert (top.version, top.effective_date) == ("2026.11", "2026-11-01")
    assert top.chunk_id.startswith("fee-schedule#")
    assert len(result.hits) == 5
    assert [h.score for h in result.hits] == sorted((h.score for h in result.hits), reverse=True)


def test_an_off_topic_question_abstains(kb: KnowledgeBase) -> None:
    result = kb.search("What is the capital of France?")
    assert result.abstain
    assert result.message == ABSTAIN_MESSAGE
    assert result.confidence < kb.threshold
    assert len(result.hits) == 5  # still returned, for whoever wants to look


def test_empty_query_and_bad_k(kb: KnowledgeBase) -> None:
    empty = kb.search("   ")
    assert (empty.abstain, empty.hits) == (True, [])
    with pytest.raises(KnowledgeError, match="k must be at least 1"):
        kb.search(WIRE, k=0)


def test_k_limits_the_hits(kb: KnowledgeBase) -> None:
    assert len(kb.search("overdraft fee", k=2).hits) == 2


def test_concurrent_searches_agree(kb: KnowledgeBase) -> None:
    questions = [WIRE, "How do I dispute a credit card charge?", "lost my debit card"] * 4
    expected = {q: [h.chunk_id for h in kb.search(q).hits] for q in set(questions)}
    with ThreadPoolExecutor(max_workers=4) as pool:
        got = list(pool.map(lambda q: (q, [h.chunk_id for h in kb.search(q).hits]), questions))
    assert all(ids == expected[q] for q, ids in got)


def test_opening_an_existing_index_rebuilds_nothing(kb: KnowledgeBase, kb_dir: Path) -> None:
    pointer = kb_dir / "CURRENT"
    before = (pointer.read_text(), pointer.stat().st_mtime_ns)
    again = KnowledgeBase.open(Settings(), index_dir=kb_dir)
    assert again.snapshot.generation == kb.snapshot.generation
    assert again.search(WIRE).hits[0].section == "Fee schedule > Wires"
    assert (pointer.read_text(), pointer.stat().st_mtime_ns) == before


def test_stats_describe_the_index(kb: KnowledgeBase) -> None:
    stats = kb.stats()
    assert stats["documents"] == 17
    assert stats["chunks"] == len(kb.snapshot.chunks) > 100
    assert stats["dimension"] == 384
    assert stats["by_document"]["fee-schedule"]["title"] == "Fee schedule"


def test_a_stale_packaged_index_is_brought_up_to_date(kb: KnowledgeBase, tmp_path: Path) -> None:
    copy = tmp_path / "kb"
    shutil.copytree(kb.index_dir, copy)
    renamed = Settings(bank_name="Riverside Savings Bank")
    fresh = KnowledgeBase.open(renamed, index_dir=copy)
    assert fresh.snapshot.generation != kb.snapshot.generation
    texts = {c.doc_id: c.text for c in fresh.snapshot.chunks if "Riverside" in c.text}
    assert sorted(texts) == ["complaints", "deposit-account-agreement", "online-banking-terms"]
    # Unchanged documents kept their vectors; the corpus now matches: no second rebuild.
    assert np.array_equal(fresh.snapshot.embeddings[0], kb.snapshot.embeddings[0])
    again = KnowledgeBase.open(renamed, index_dir=copy)
    assert again.snapshot.generation == fresh.snapshot.generation
