"""The persisted index and incremental ingestion.

Layout of an index folder::

    CURRENT            name of the live generation (replaced atomically)
    gen-<stamp>/       manifest.json (documents, chunks), embeddings.npy, bm25/
    .lock              held while an ingest runs

An ingest writes a whole new generation aside, then swaps `CURRENT` with `os.replace`:
readers see the old index or the new one, never half of one. Documents whose content hash
is unchanged keep their chunks and embeddings; only new or changed documents are encoded.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from openteller.core import file_lock
from openteller.knowledge._catalog import CatalogSpec
from openteller.knowledge._chunking import MAX_WORDS, OVERLAP_WORDS, chunk_text
from openteller.knowledge._documents import Document, corpus_dir, load_documents
from openteller.knowledge._errors import KnowledgeError
from openteller.knowledge._lexical import Lexical

FORMAT = 1
Progress = Callable[[str, int, int], None]  # (phase, done, total)


@dataclass(frozen=True)
class Chunk:
    """One retrievable passage and the metadata a citation needs."""

    chunk_id: str
    doc_id: str
    title: str
    section: str
    text: str
    version: str
    effective_date: str
    content_hash: str

    @property
    def passage(self) -> str:
        """What is embedded and indexed: the section path, then the text."""
        return f"{self.section}\n{self.text}"


@dataclass(frozen=True)
class DocumentInfo:
    doc_id: str
    title: str
    version: str
    effective_date: str
    source: str
    kind: str
    digest: str
    chunks: int


@dataclass(frozen=True)
class IngestReport:
    """What an ingest did; counts are documents, except `chunks` and `embedded`."""

    added: int
    updated: int
    unchanged: int
    removed: int
    chunks: int
    embedded: int
    seconds: float
    index_dir: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Snapshot:
    """An index loaded in memory; never mutated (searches share it across threads)."""

    documents: dict[str, DocumentInfo]
    chunks: list[Chunk]
    embeddings: np.ndarray
    lexical: Lexical
    generation: str
    built_at: str
    packaged_digest: str = ""  # set when the index holds exactly the packaged corpus


def chunk_document(
    doc: Document, max_words: int = MAX_WORDS, overlap: int = OVERLAP_WORDS
) -> list[Chunk]:
    """A document's chunks, ids stable for the same content."""
    out = []
    for i, piece in enumerate(chunk_text(doc.text, doc.title, max_words, overlap)):
        digest = hashlib.sha256(f"{piece.section}\n{piece.text}".encode()).hexdigest()[:16]
        out.append(
            Chunk(
                chunk_id=f"{doc.doc_id}#{i:03d}",
                doc_id=doc.doc_id,
                title=doc.title,
                section=piece.section,
                text=piece.text,
                version=doc.version,
                effective_date=doc.effective_date,
                content_hash=digest,
            )
        )
    return out


def set_digest(docs: Iterable[Document]) -> str:
    """One hash over a set of documents (order-independent)."""
    h = hashlib.sha256()
    for digest in sorted(f"{d.doc_id}:{d.digest}" for d in docs):
        h.update(digest.encode())
    return h.hexdigest()


def packaged_digest(bank_name: str) -> str:
    """`set_digest` of the packaged corpus as this installation renders it now."""
    from openteller.core import read_spec

    return set_digest(load_documents([corpus_dir()], read_spec(), bank_name))


# ------------------------------------------------------------------ reading


def current_generation(index_dir: Path) -> Path | None:
    pointer = index_dir / "CURRENT"
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise KnowledgeError(f"cannot read index {index_dir}: {exc}") from exc
    return index_dir / name


def load_snapshot(index_dir: Path) -> Snapshot | None:
    """The live index in `index_dir`, or None when there is none yet."""
    folder = current_generation(index_dir)
    if folder is None:
        return None
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        if manifest.get("format") != FORMAT:
            raise KnowledgeError(
                f"index {index_dir} has format {manifest.get('format')}, expected {FORMAT}: "
                "run `openteller kb ingest` to rebuild it"
            )
        chunks = [Chunk(**c) for c in manifest["chunks"]]
        documents = {d["doc_id"]: DocumentInfo(**d) for d in manifest["documents"]}
        embeddings = np.load(folder / "embeddings.npy")
        lexical = Lexical.load(folder / "bm25", len(chunks))
    except KnowledgeError:
        raise
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise KnowledgeError(
            f"corrupt index in {index_dir} ({exc}): run `openteller kb ingest` to rebuild it"
        ) from exc
    if embeddings.shape != (len(chunks), embeddings.shape[1] if embeddings.ndim == 2 else -1):
        raise KnowledgeError(f"corrupt index in {index_dir}: embeddings do not match chunks")
    return Snapshot(
        documents,
        chunks,
        embeddings,
        lexical,
        folder.name,
        manifest["built_at"],
        manifest.get("packaged_digest", ""),
    )


# ------------------------------------------------------------------ writing


def _locked(index_dir: Path) -> AbstractContextManager[None]:
    """One ingest at a time per index folder (other processes wait)."""
    return file_lock(index_dir / ".lock")


def _write_generation(
    index_dir: Path,
    documents: list[DocumentInfo],
    chunks: list[Chunk],
    embeddings: np.ndarray,
    lexical: Lexical,
    packaged_digest: str = "",
) -> str:
    name = f"gen-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
    tmp = index_dir / f".{name}.tmp"
    tmp.mkdir()
    manifest = {
        "format": FORMAT,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "packaged_digest": packaged_digest,
        "documents": [asdict(d) for d in documents],
        "chunks": [asdict(c) for c in chunks],
    }
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    np.save(tmp / "embeddings.npy", embeddings)
    lexical.save(tmp / "bm25")
    tmp.rename(index_dir / name)
    pointer = index_dir / f".CURRENT.{uuid.uuid4().hex[:8]}"
    pointer.write_text(name + "\n", encoding="utf-8")
    os.replace(pointer, index_dir / "CURRENT")
    for old in index_dir.iterdir():
        if old.is_dir() and old.name != name and (old.name.startswith(("gen-", ".gen-"))):
            shutil.rmtree(old, ignore_errors=True)
    return name


_passage_encoder: Any = None


def passage_encoder() -> Any:
    """The packaged model with the passage token window (one per process)."""
    global _passage_encoder
    if _passage_encoder is None:
        from openteller.embeddings import PASSAGE_TOKENS, Encoder

        _passage_encoder = Encoder(max_tokens=PASSAGE_TOKENS, cache_size=0)
    return _passage_encoder


def ingest(
    paths: Iterable[Path],
    index_dir: Path,
    progress: Progress | None = None,
    *,
    spec: CatalogSpec | None = None,
    bank_name: str = "OpenTeller Demo Bank",
    encoder: Any = None,
) -> IngestReport:
    """Make the index in `index_dir` hold exactly the documents under `paths`.

    Unchanged documents (same content hash) keep their embeddings; new and changed ones
    are chunked and encoded; documents no longer present drop out.
    """
    from openteller.core import read_spec

    started = time.perf_counter()
    catalog = spec if spec is not None else read_spec()
    sources_given = list(paths)
    docs = load_documents(sources_given, catalog, bank_name)
    if not docs:
        shown = ", ".join(str(p) for p in sources_given)
        raise KnowledgeError(f"no documents (.md, .html, .pdf, .txt) found in {shown}")
    with _locked(index_dir):
        try:
            old = load_snapshot(index_dir)
        except KnowledgeError:
            old = None  # a corrupt index is rebuilt from scratch
        old_rows: dict[str, list[int]] = {}
        if old is not None:
            for row, chunk in enumerate(old.chunks):
                old_rows.setdefault(chunk.doc_id, []).append(row)
        added = updated = unchanged = 0
        chunks: list[Chunk] = []
        sources: list[tuple[str, int]] = []  # per chunk: ("old", row) or ("new", i)
        fresh: list[Chunk] = []
        infos: list[DocumentInfo] = []
        for doc in docs:
            before = old.documents.get(doc.doc_id) if old is not None else None
            if old is not None and before is not None and before.digest == doc.digest:
                unchanged += 1
                rows = old_rows.get(doc.doc_id, [])
                chunks += [old.chunks[r] for r in rows]
                sources += [("old", r) for r in rows]
                n = len(rows)
            else:
                if before is None:
                    added += 1
                else:
                    updated += 1
                new = chunk_document(doc)
                sources += [("new", len(fresh) + i) for i in range(len(new))]
                fresh += new
                chunks += new
                n = len(new)
            infos.append(
                DocumentInfo(
                    doc.doc_id,
                    doc.title,
                    doc.version,
                    doc.effective_date,
                    doc.source,
                    doc.kind,
                    doc.digest,
                    n,
                )
            )
        removed = 0 if old is None else len(set(old.documents) - {d.doc_id for d in docs})
        packaged_now = [Path(p).resolve() for p in sources_given] == [corpus_dir().resolve()]
        if (
            old is not None
            and added == updated == removed == 0
            and bool(old.packaged_digest) == packaged_now
        ):
            return IngestReport(
                0, 0, unchanged, 0, len(chunks), 0, time.perf_counter() - started, str(index_dir)
            )
        encoder = encoder if encoder is not None else passage_encoder()

        def report(done: int, total: int) -> None:
            if progress is not None:
                progress("encoding passages", done, total)

        if progress is not None:
            progress("encoding passages", 0, len(fresh))
        if fresh:
            new_vectors = encoder.encode([c.passage for c in fresh], batch_size=32, progress=report)
        else:  # only removals: every vector is an old one
            assert old is not None
            new_vectors = np.zeros((0, old.embeddings.shape[1]), dtype=np.float32)
        embeddings = np.zeros((len(chunks), new_vectors.shape[1]), dtype=np.float32)
        for row, (where, i) in enumerate(sources):
            if where == "new":
                embeddings[row] = new_vectors[i]
            else:
                assert old is not None
                embeddings[row] = old.embeddings[i]
        if progress is not None:
            progress("indexing terms", 0, 1)
        lexical = Lexical.build([c.passage for c in chunks])
        _write_generation(
            index_dir, infos, chunks, embeddings, lexical, set_digest(docs) if packaged_now else ""
        )
        if progress is not None:
            progress("indexing terms", 1, 1)
    return IngestReport(
        added, updated, unchanged, removed, len(chunks), len(fresh),
        time.perf_counter() - started, str(index_dir),
    )  # fmt: skip
