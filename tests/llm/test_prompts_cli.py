"""`openteller prompts`: output, JSON, exit codes and one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from openteller.cli import prompts as _prompts  # noqa: F401  (registers the sub-app)
from openteller.cli.app import app

runner = CliRunner()
ENV = {**os.environ, "COLUMNS": "200"}


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "openteller", "prompts", *args],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=60,
    )


def test_list_json_names_every_prompt_and_version() -> None:
    result = runner.invoke(app, ["prompts", "list", "--json"])
    assert result.exit_code == 0, result.output
    rows = {row["id"]: row for row in json.loads(result.stdout)}
    assert sorted(rows) == [
        "answer_from_documents",
        "rephrase",
        "summarize_conversation",
        "summarize_statement",
    ]
    assert rows["answer_from_documents"]["versions"] == ["1", "2"]
    assert rows["answer_from_documents"]["latest"] == "2"
    assert rows["rephrase"]["variables"] == ["history", "question"]


def test_show_prints_front_matter_and_template() -> None:
    result = runner.invoke(app, ["prompts", "show", "rephrase", "--json"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert (shown["id"], shown["version"]) == ("rephrase", "1")
    assert "Last message: {{ question }}" in shown["template"]


def test_render_with_vars_and_vars_file(tmp_path: Path) -> None:
    history = tmp_path / "vars.json"
    history.write_text(json.dumps({"history": [{"role": "customer", "text": "my balance?"}]}))
    result = runner.invoke(
        app,
        ["prompts", "render", "rephrase", "--var", "question=and savings?",
         "--vars-file", str(history), "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["messages"][1] == {
        "role": "user",
        "content": "Conversation:\ncustomer: my balance?\n\nLast message: and savings?",
    }


def test_diff_between_versions() -> None:
    result = runner.invoke(
        app, ["prompts", "diff", "answer_from_documents", "--from", "1", "--to", "2"]
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[:2] == ["--- answer_from_documents/v1.j2", "+++ answer_from_documents/v2.j2"]
    assert '-version: "1"' in lines
    assert '+version: "2"' in lines
    assert (
        "+  not_found: the exact sentence to answer when the passages do not answer the question"
        in lines
    )


def test_errors_are_one_line_and_exit_2() -> None:
    # Through the real console script: no traceback, one line on stderr.
    missing = _run("render", "rephrase", "--var", "question=hi")
    assert (missing.returncode, missing.stdout) == (2, "")
    assert missing.stderr == "error: prompt rephrase@v1 needs variable(s): history\n"
    unknown = _run("show", "nope")
    assert unknown.returncode == 2
    assert unknown.stderr.startswith("error: unknown prompt 'nope' (known: answer_from_documents")
    assert len(unknown.stderr.splitlines()) == 1


def test_bad_var_syntax_and_unknown_version() -> None:
    bad = runner.invoke(app, ["prompts", "render", "rephrase", "--var", "question"])
    assert bad.exit_code == 2
    assert "--var takes NAME=VALUE, got 'question'" in bad.stderr
    version = runner.invoke(app, ["prompts", "diff", "rephrase", "--from", "1", "--to", "3"])
    assert version.exit_code == 2
    assert "prompt 'rephrase' has no version '3' (versions: 1)" in version.stderr
