"""`openteller kb ingest|search|stats` and `openteller eval retrieval`.

Commands that need the model run in-process (Typer's runner) against the session's index;
refusals run as real subprocesses: one line on stderr, exit 2, no traceback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

import openteller.cli.kb  # noqa: F401  (registers the commands)
from openteller.cli.app import app
from openteller.knowledge import KnowledgeBase

runner = CliRunner()


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "openteller", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "300"},
    )


def test_search_json(kb: KnowledgeBase, kb_dir: Path) -> None:
    done = runner.invoke(
        app,
        ["kb", "search", "what is the fee for an outgoing domestic wire?", "--k", "3",
         "--json", "--index-dir", str(kb_dir)],
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    data = json.loads(done.stdout)
    assert data["abstain"] is False
    assert len(data["hits"]) == 3
    top = data["hits"][0]
    assert (top["doc_id"], top["section"]) == ("fee-schedule", "Fee schedule > Wires")
    assert "$25.00" in top["text"]
    assert "$15.00" in top["text"]


def test_search_table_says_when_it_cannot_answer(kb: KnowledgeBase, kb_dir: Path) -> None:
    done = runner.invoke(
        app, ["kb", "search", "What is the capital of France?", "--index-dir", str(kb_dir)]
    )
    assert done.exit_code == 0, done.output
    assert "I can't find that in our documents" in done.stdout


def test_stats_json(kb: KnowledgeBase, kb_dir: Path) -> None:
    done = runner.invoke(app, ["kb", "stats", "--json", "--index-dir", str(kb_dir)])
    assert done.exit_code == 0, done.output
    data = json.loads(done.stdout)
    assert (data["documents"], data["chunks"]) == (17, len(kb.snapshot.chunks))


def test_ingest_json_then_unchanged(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "hours.txt").write_text("Branches open at nine.\n", encoding="utf-8")
    args = ["kb", "ingest", str(docs), "--json", "--index-dir", str(tmp_path / "ix")]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert {k: json.loads(first.stdout)[k] for k in ("added", "chunks", "embedded")} == {
        "added": 1, "chunks": 1, "embedded": 1,
    }  # fmt: skip
    second = json.loads(runner.invoke(app, args).stdout)
    assert (second["unchanged"], second["embedded"]) == (1, 0)


def test_eval_retrieval_json(kb: KnowledgeBase, kb_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "q.yaml"
    path.write_text(
        "questions:\n"
        "- {q: 'How much is the overdraft fee?', answers: ['overdraft-policy | Overdraft fees',"
        " 'fee-schedule | Overdraft fees']}\n"
        "- {q: 'Tell me a joke', kind: unanswerable}\n"
    )
    done = runner.invoke(
        app,
        ["eval", "retrieval", "--json", "--questions", str(path), "--index-dir", str(kb_dir)],
    )
    assert done.exit_code == 0, done.output
    data = json.loads(done.stdout)
    for key in ("recall_at_1", "recall_at_5", "mrr", "abstain_precision", "abstain_recall"):
        assert data[key] == 1.0, key
    assert (data["questions"], data["answerable"], data["unanswerable"]) == (2, 1, 1)


def test_bad_paths_exit_2_with_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    done = run_cli("kb", "ingest", str(missing), "--index-dir", str(tmp_path / "ix"))
    assert done.returncode == 2
    assert done.stderr.strip() == f"error: no such file or folder: {missing}"
    assert done.stdout == ""
    evaluated = runner.invoke(app, ["eval", "retrieval", "--questions", str(missing)])
    assert evaluated.exit_code == 2
    assert " ".join(evaluated.stderr.split()) == f"error: no such file: {missing}"
    empty = runner.invoke(app, ["kb", "search", "  "])
    assert (empty.exit_code, empty.stderr.strip()) == (2, "error: the query is empty")


def test_unsupported_file_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "notes.docx"
    bad.write_bytes(b"x")
    done = runner.invoke(app, ["kb", "ingest", str(bad), "--index-dir", str(tmp_path / "ix")])
    assert done.exit_code == 2
    assert "unsupported document type notes.docx" in done.stderr
