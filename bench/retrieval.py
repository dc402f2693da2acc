"""Benchmark: knowledge-base search latency at 10,000 chunks, and ingestion throughput.

Search: the packaged corpus's real chunks and embeddings are scaled up synthetically to
`--chunks` (each copy gets a distinct marker word and its embedding a little noise,
re-normalised), written as a real index and opened with `KnowledgeBase.open`; then every
question of the packaged question set is searched `--rounds` times with a query encoder
that has no cache (each search encodes its query). Reports p50/p95 of the whole
`search()` call on the machine as it is (wall clock, and process CPU time, which a busy
machine inflates less; load average included), and of the ranking alone (query vectors
cached).
Ingestion: a full ingest of the packaged corpus into an empty folder (model already
loaded), in chunks encoded per second.

    .venv/bin/python bench/retrieval.py [--chunks 10000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np

from openteller.embeddings import Encoder
from openteller.knowledge import KnowledgeBase, corpus_dir, ingest, load_questions
from openteller.knowledge._index import _write_generation, load_snapshot, passage_encoder
from openteller.knowledge._lexical import Lexical
from openteller.settings import Settings


def scaled_index(source: Path, target: Path, n_chunks: int, seed: int = 7) -> None:
    """Write an index of `n_chunks` chunks derived from the real one in `source`."""
    snap = load_snapshot(source)
    assert snap is not None
    rng = np.random.default_rng(seed)
    chunks, rows = [], []
    for i in range(n_chunks):
        base = snap.chunks[i % len(snap.chunks)]
        copy = i // len(snap.chunks)
        text = (
            base.text if copy == 0 else f"{base.text}\nvariant{copy} ref{rng.integers(1_000_000)}"
        )
        chunks.append(replace(base, chunk_id=f"{base.doc_id}-{copy}#{i:05d}", text=text))
        rows.append(i % len(snap.chunks))
    noise = rng.normal(0, 0.02, size=(n_chunks, snap.embeddings.shape[1])).astype(np.float32)
    noise[: len(snap.chunks)] = 0
    vectors = snap.embeddings[rows] + noise
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    lexical = Lexical.build([c.passage for c in chunks])
    _write_generation(target, list(snap.documents.values()), chunks, vectors, lexical)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chunks", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        real, big = Path(tmp) / "real", Path(tmp) / "big"
        passage_encoder().encode(["warm up the model"])
        report = ingest([corpus_dir()], real)
        ingest_rate = report.embedded / report.seconds
        started = time.perf_counter()
        big.mkdir()
        scaled_index(real, big, args.chunks)
        build_s = time.perf_counter() - started
        started = time.perf_counter()
        kb = KnowledgeBase.open(Settings(), index_dir=big)
        open_s = time.perf_counter() - started
        kb = KnowledgeBase(kb.snapshot, big, query_encoder=Encoder(cache_size=0))
        questions = [q.text for q in load_questions()]
        for q in questions[:20]:
            kb.search(q)  # warm-up
        times, cpu = [], []
        for _ in range(args.rounds):
            for q in questions:
                t, c = time.perf_counter(), time.process_time()
                kb.search(q)
                times.append((time.perf_counter() - t) * 1000)
                cpu.append((time.process_time() - c) * 1000)
        # The same searches with the query vector cached: the ranking alone (BM25, cosine,
        # fusion), without the encoder's forward pass.
        cached = KnowledgeBase(kb.snapshot, big, query_encoder=Encoder())
        for q in questions:
            cached.search(q)
        ranking = []
        for q in questions:
            t = time.perf_counter()
            cached.search(q)
            ranking.append((time.perf_counter() - t) * 1000)
        times.sort()
        cpu.sort()
        ranking.sort()
    p95 = times[int(0.95 * len(times))]
    print(
        json.dumps(
            {
                "benchmark": "retrieval",
                "date": date.today().isoformat(),
                "machine": {"cores": os.cpu_count(), "python": platform.python_version()},
                "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
                "chunks": len(kb.snapshot.chunks),
                "searches": len(times),
                "search_ms": {
                    "p50": round(times[len(times) // 2], 2),
                    "p95": round(p95, 2),
                    "max": round(times[-1], 2),
                },
                "search_cpu_ms": {
                    "p50": round(cpu[len(cpu) // 2], 2),
                    "p95": round(cpu[int(0.95 * len(cpu))], 2),
                },
                "ranking_only_ms": {
                    "p50": round(ranking[len(ranking) // 2], 2),
                    "p95": round(ranking[int(0.95 * len(ranking))], 2),
                },
                "p95_target_ms": 20,
                "p95_within_target": p95 <= 20,
                "open_index_seconds": round(open_s, 3),
                "build_scaled_index_seconds": round(build_s, 2),
                "ingest": {
                    "documents": report.added,
                    "chunks": report.embedded,
                    "seconds": round(report.seconds, 2),
                    "chunks_per_second": round(ingest_rate, 1),
                },
            }
        )
    )


if __name__ == "__main__":
    main()
