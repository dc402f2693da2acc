"""Incremental ingest: exact counts, only changed documents re-encoded, atomic generations."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from openteller.knowledge import KnowledgeError, index_dir_for, ingest
from openteller.knowledge._index import load_snapshot
from openteller.settings import Settings


def write(folder: Path, name: str, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")


def generations(index_dir: Path) -> list[str]:
    return sorted(p.name for p in index_dir.iterdir() if p.is_dir())


def test_reingest_encodes_only_what_changed(tmp_path: Path) -> None:
    docs, index = tmp_path / "docs", tmp_path / "index"
    write(docs, "a.md", "# Alpha\n\n## One\n\nApples are red.\n\n## Two\n\nPears are green.\n")
    write(docs, "b.txt", "Bananas are yellow.\n")
    write(docs, "c.md", "# Gamma\n\nGrapes are purple.\n")
    seen: list[tuple[str, int, int]] = []
    first = ingest([docs], index, lambda *a: seen.append(a))
    assert (first.added, first.updated, first.unchanged, first.removed) == (3, 0, 0, 0)
    assert (first.chunks, first.embedded) == (4, 4)
    assert seen[0] == ("encoding passages", 0, 4)
    assert ("indexing terms", 1, 1) in seen
    [gen1] = generations(index)
    before = load_snapshot(index)
    assert before is not None

    again = ingest([docs], index)
    assert (again.added, again.updated, again.unchanged, again.removed) == (0, 0, 3, 0)
    assert again.embedded == 0
    assert generations(index) == [gen1]  # nothing changed: nothing written

    write(docs, "a.md", "# Alpha\n\n## One\n\nApples are red.\n\n## Two\n\nPears are brown.\n")
    (docs / "b.txt").unlink()
    write(docs, "d.html", "<h1>Delta</h1><p>Dates are sweet.</p>")
    third = ingest([docs], index)
    assert (third.added, third.updated, third.unchanged, third.removed) == (1, 1, 1, 1)
    assert (third.chunks, third.embedded) == (4, 3)  # a (2) + d (1) encoded; c reused
    [gen2] = generations(index)
    assert gen2 != gen1
    assert (index / "CURRENT").read_text().strip() == gen2
    after = load_snapshot(index)
    assert after is not None
    assert sorted(after.documents) == ["a", "c", "d"]
    assert [c.chunk_id for c in after.chunks] == ["a#000", "a#001", "c#000", "d#000"]
    # The unchanged document kept its vector, bit for bit.
    old_c = before.embeddings[[c.doc_id for c in before.chunks].index("c")]
    assert np.array_equal(after.embeddings[2], old_c)
    manifest = json.loads((index / gen2 / "manifest.json").read_text())
    assert [d["doc_id"] for d in manifest["documents"]] == ["a", "c", "d"]

    (docs / "d.html").unlink()
    fourth = ingest([docs], index)
    assert (fourth.added, fourth.updated, fourth.unchanged, fourth.removed) == (0, 0, 2, 1)
    assert (fourth.chunks, fourth.embedded) == (3, 0)
    last = load_snapshot(index)
    assert last is not None
    assert np.array_equal(last.embeddings, after.embeddings[:3])


def test_a_corrupt_index_is_reported_then_rebuilt(tmp_path: Path) -> None:
    docs, index = tmp_path / "docs", tmp_path / "index"
    write(docs, "a.txt", "Only one document.\n")
    ingest([docs], index)
    [gen] = generations(index)
    (index / gen / "embeddings.npy").write_bytes(b"garbage")
    with pytest.raises(KnowledgeError, match="corrupt index"):
        load_snapshot(index)
    report = ingest([docs], index)
    assert (report.added, report.unchanged) == (1, 0)
    assert load_snapshot(index) is not None


def test_an_empty_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(KnowledgeError, match="no documents"):
        ingest([tmp_path / "empty"], tmp_path / "index")
    assert not (tmp_path / "index").exists()


def test_index_dir_follows_the_settings(tmp_path: Path) -> None:
    assert index_dir_for(Settings(kb_dir=tmp_path / "x")) == tmp_path / "x"
    db = Settings(database_url=f"sqlite:///{tmp_path}/bank.db")
    assert index_dir_for(db) == tmp_path / "kb"
    pg = Settings(database_url="postgresql://u@h/db")
    assert index_dir_for(pg) == Path("var") / "kb"
