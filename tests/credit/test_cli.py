"""`openteller credit train|fairness` and `openteller eval credit`, run in process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import openteller.cli.credit  # noqa: F401  (registers the commands)
from openteller.cli.app import app
from openteller.credit import Scorecard

runner = CliRunner()


def test_eval_credit_json() -> None:
    result = runner.invoke(app, ["eval", "credit", "--json", "--folds", "3", "--boot", "20"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert {"auc", "ks", "gini", "fairness"} <= set(report)
    assert report["folds"] == 3
    assert report["rows"] == 1000
    assert report["gini"] == pytest.approx(2 * report["auc"] - 1, abs=1e-4)
    assert set(report["fairness"]["attributes"]) == {"age", "foreign_worker"}


def test_fairness_writes_an_html_report(tmp_path: Path) -> None:
    out = tmp_path / "reports" / "fairness.html"
    args = ["credit", "fairness", "--json", "--out", str(out), "--folds", "3", "--boot", "20"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["attributes"]["age"]["groups"]["25 or under"]["count"] == 190
    assert out.read_text().startswith("<!doctype html>")


def test_train_writes_the_model_and_its_card(tmp_path: Path, scorecard: Scorecard) -> None:
    # A copy of the session's model in the folder: the command reuses it (no training).
    from openteller.credit import german_credit, model_file

    scorecard.save(model_file(german_credit(), tmp_path))
    result = runner.invoke(
        app, ["credit", "train", "--json", "--no-evaluate", "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["cached"] is True
    assert summary["model_hash"] == scorecard.model_hash
    assert summary["rows"] == 1000
    assert len(summary["characteristics"]) == 16
    card = Path(summary["model_card"]).read_text()
    assert card.startswith("# Model card")
    assert "## Performance" not in card


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["credit", "train", "--data", "/no/such/file.csv"], "no such file or folder"),
        (["credit", "fairness", "--data", "pyproject.toml"], "give --mapping"),
        (
            ["eval", "credit", "--data", "pyproject.toml", "--mapping", "/nope.yaml"],
            "cannot read mapping",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: list[str], message: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
