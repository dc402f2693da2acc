"""Hybrid retrieval: BM25 and MiniLM embeddings fused by reciprocal rank, with abstention.

Fusion uses ranks only (weight / (RRF_K + rank), summed over the two rankings), so BM25's
and cosine's different scales never need reconciling. Whether to answer at all is a separate
decision: the best passage's cosine similarity to the question, less half the question's
mean similarity to the whole corpus (`confidence`), must reach a threshold calibrated on the
packaged question set (see `_evaluate.py` and docs/knowledge.md); below it the caller says
it cannot find the answer and offers a person.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from openteller.knowledge._documents import corpus_dir
from openteller.knowledge._errors import KnowledgeError
from openteller.knowledge._index import (
    Progress,
    Snapshot,
    ingest,
    load_snapshot,
    packaged_digest,
)
from openteller.settings import Settings

RRF_K = 60
CANDIDATES = 50  # per ranking, before fusion
# BM25's votes count half: chosen on the calibration split (MRR 0.859 -> 0.891; the test
# split kept 0.956). Either ranking alone is worse than the fusion (docs/knowledge.md).
LEXICAL_WEIGHT = 0.5
# Calibrated on the calibration half of knowledge/eval/questions.yaml (docs/knowledge.md).
ABSTAIN_THRESHOLD = 0.365
CENTERING = 0.5  # weight of the mean similarity subtracted from the best one
ABSTAIN_MESSAGE = (
    "I can't find that in our documents. Would you like me to connect you with a person?"
)


@dataclass(frozen=True)
class Hit:
    """One retrieved passage with what a citation needs."""

    chunk_id: str
    doc_id: str
    title: str
    section: str
    text: str
    score: float
    version: str
    effective_date: str
    similarity: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SearchResult:
    """Hits best first; `abstain` is True when none is close enough to answer from."""

    query: str
    hits: list[Hit]
    abstain: bool
    confidence: float
    threshold: float
    message: str = field(default="")

    def to_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "abstain": self.abstain,
            "confidence": round(self.confidence, 4),
            "threshold": self.threshold,
            "message": self.message,
            "hits": [h.to_dict() for h in self.hits],
        }


def index_dir_for(settings: Settings) -> Path:
    """`Settings.kb_dir`, else a `kb` folder beside the SQLite file, else ./var/kb."""
    if settings.kb_dir is not None:
        return settings.kb_dir
    db = settings.sqlite_path()
    return db.parent / "kb" if db is not None else Path("var") / "kb"


def _top(scores: np.ndarray, n: int) -> np.ndarray:
    """Indices of the n largest scores, best first (ties by index: deterministic)."""
    if n >= scores.shape[0]:
        return np.lexsort((np.arange(scores.shape[0]), -scores))
    part = np.argpartition(-scores, n)[:n]
    return part[np.lexsort((part, -scores[part]))]


class KnowledgeBase:
    """Search over one index folder. Thread-safe: a search reads one immutable snapshot."""

    def __init__(
        self,
        snapshot: Snapshot,
        index_dir: Path,
        *,
        threshold: float = ABSTAIN_THRESHOLD,
        query_encoder: Any = None,
    ) -> None:
        self._snapshot = snapshot
        self.index_dir = index_dir
        self.threshold = threshold
        self._encoder = query_encoder
        self._lock = threading.Lock()

    @classmethod
    def open(
        cls,
        settings: Settings,
        *,
        index_dir: Path | None = None,
        threshold: float = ABSTAIN_THRESHOLD,
        progress: Progress | None = None,
    ) -> KnowledgeBase:
        """Load the index; build it from the packaged corpus when there is none, and bring
        an index of the packaged corpus up to date when the corpus or catalog changed."""
        folder = index_dir if index_dir is not None else index_dir_for(settings)
        snapshot = load_snapshot(folder)
        stale = (
            snapshot is not None
            and bool(snapshot.packaged_digest)
            and snapshot.packaged_digest != packaged_digest(settings.bank_name)
        )
        if snapshot is None or stale:
            # First use, or an index of the packaged corpus that an upgrade (or a catalog
            # change) made stale: (re)build it; unchanged documents are not re-encoded.
            ingest([corpus_dir()], folder, progress, bank_name=settings.bank_name)
            snapshot = load_snapshot(folder)
            if snapshot is None:  # pragma: no cover - ingest always writes an index
                raise KnowledgeError(f"no index could be built in {folder}")
        kb = cls(snapshot, folder, threshold=threshold)
        kb.search("warm up")  # loads the model now, not on a customer's first question
        return kb

    def _query_encoder(self) -> Any:
        if self._encoder is None:
            from openteller.embeddings import packaged_encoder

            self._encoder = packaged_encoder()
        return self._encoder

    @property
    def snapshot(self) -> Snapshot:
        return self._snapshot

    def reload(self) -> None:
        """Pick up a newer generation written by an ingest (in this or another process)."""
        snapshot = load_snapshot(self.index_dir)
        if snapshot is not None:
            with self._lock:
                self._snapshot = snapshot

    def search(self, query: str, k: int = 5) -> SearchResult:
        """The `k` best passages for `query`, fused from BM25 and embedding rankings."""
        if k < 1:
            raise KnowledgeError("k must be at least 1")
        snap = self._snapshot
        text = " ".join(query.split())
        if not text or not snap.chunks:
            return SearchResult(text, [], True, 0.0, self.threshold, ABSTAIN_MESSAGE)
        # One torch thread: a query is a tiny forward pass, and two threads on a busy
        # 2-core machine were measured 15x slower (541 ms against 33 ms at p50).
        from openteller.embeddings import torch_threads

        with torch_threads(1):
            vector = self._query_encoder().encode_one(text)
        dense = snap.embeddings @ vector
        lexical = snap.lexical.scores(text)
        n = min(max(CANDIDATES, k), len(snap.chunks))
        fused: dict[int, float] = {}
        for rank, row in enumerate(_top(dense, n), start=1):
            fused[int(row)] = 1.0 / (RRF_K + rank)
        for rank, row in enumerate(_top(lexical, n), start=1):
            if lexical[row] <= 0:
                break
            fused[int(row)] = fused.get(int(row), 0.0) + LEXICAL_WEIGHT / (RRF_K + rank)
        order = sorted(fused, key=lambda r: (-fused[r], r))[:k]
        hits = [
            Hit(
                chunk_id=(c := snap.chunks[r]).chunk_id,
                doc_id=c.doc_id,
                title=c.title,
                section=c.section,
                text=c.text,
                score=round(fused[r], 6),
                version=c.version,
                effective_date=c.effective_date,
                similarity=round(float(dense[r]), 4),
            )
            for r in order
        ]
        # The best match, less half the query's mean similarity to the whole corpus: a
        # question that is merely "bank-sounding" is close to everything and is discounted.
        confidence = float(dense.max() - CENTERING * dense.mean())
        abstain = confidence < self.threshold
        return SearchResult(
            text, hits, abstain, confidence, self.threshold, ABSTAIN_MESSAGE if abstain else ""
        )

    def stats(self) -> dict[str, Any]:
        snap = self._snapshot
        return {
            "index_dir": str(self.index_dir),
            "generation": snap.generation,
            "built_at": snap.built_at,
            "documents": len(snap.documents),
            "chunks": len(snap.chunks),
            "dimension": int(snap.embeddings.shape[1]) if snap.embeddings.ndim == 2 else 0,
            "threshold": self.threshold,
            "by_document": {
                d.doc_id: {"title": d.title, "version": d.version, "chunks": d.chunks}
                for d in snap.documents.values()
            },
        }
