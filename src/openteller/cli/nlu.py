"""`openteller nlu train` and `openteller eval nlu`: train and measure the intent classifier."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from openteller.cli.app import JsonOption, app, fail, out, print_json, progress_bar

if TYPE_CHECKING:
    from openteller.assistant.nlu import IntentModel

# `openteller.assistant.nlu` (torch, scikit-learn: seconds to import) is imported inside
# the commands, so that every other `openteller` command starts fast.

nlu_app = typer.Typer(help="Intent classifier (NLU).", no_args_is_help=True)
eval_app = typer.Typer(help="Evaluate the assistant's components.", no_args_is_help=True)
app.add_typer(nlu_app, name="nlu")
app.add_typer(eval_app, name="eval")

CsvArg = Annotated[Path, typer.Option(help="CSV file with columns text,label.")]


def _progress(transient: bool) -> AbstractContextManager[Callable[[str, int, int], None]]:
    """A rich progress bar on stderr; yields the (phase, done, total) callback."""
    return progress_bar(transient=transient, width=24)


def _summary(model: IntentModel, path: Path) -> dict[str, Any]:
    return {
        "model": str(path),
        "intents": len(model.classes),
        "temperature": round(model.temperature, 4),
        "train_seconds": round(model.train_seconds, 1),
        "data_digest": model.data_digest,
    }


@nlu_app.command("train")
def nlu_train(
    data: Annotated[
        Path | None,
        typer.Option(help="CSV with columns text,label (default: the packaged intents)."),
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Model directory (default: $OPENTELLER_MODEL_DIR or ./var/models)."
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Train an intent model (calibrated) and cache it; a cached model is reused."""
    from openteller.assistant.nlu import (
        ModelConfig,
        NLUDataError,
        load_intents,
        load_or_train,
        model_dir,
        model_file,
        read_csv,
    )

    try:
        training = load_intents() if data is None else read_csv(data, min_per_intent=2)
    except NLUDataError as exc:
        raise fail(exc.message) from None
    config = ModelConfig()
    path = model_file(training, config, out_dir)
    cached = path.is_file()
    with _progress(transient=True) as progress:
        model = load_or_train(training, config, directory=model_dir(out_dir), progress=progress)
    summary = _summary(model, path) | {"examples": len(training), "cached": cached}
    if as_json:
        print_json(summary)
        return
    state = "already cached" if cached else f"trained in {model.train_seconds:.1f} s"
    out.print(
        f"{summary['intents']} intents, {len(training)} examples: {state} -> {path} "
        f"(temperature {summary['temperature']})"
    )


@eval_app.command("nlu")
def eval_nlu(
    train: CsvArg,
    test: CsvArg,
    shots: Annotated[
        int | None,
        typer.Option(min=1, help="Train on this many examples per intent (drawn per seed)."),
    ] = None,
    seeds: Annotated[int, typer.Option(min=1, max=20, help="Runs, seeded 0..N-1.")] = 1,
    as_json: JsonOption = False,
) -> None:
    """Train on one CSV, measure on another: accuracy, macro-F1, per intent, latency."""
    from openteller.assistant.nlu import NLUDataError, evaluate, read_csv

    try:
        train_data = read_csv(train, min_per_intent=2)
        test_data = read_csv(test, min_per_intent=1)
        if shots is not None:
            train_data.sample(shots, 0)  # refuses --shots over the smallest intent early
        with _progress(transient=as_json) as progress:
            report = evaluate(train_data, test_data, shots=shots, seeds=seeds, progress=progress)
    except NLUDataError as exc:
        raise fail(exc.message) from None
    if as_json:
        print_json(report)
        return
    spread = f" ± {report['accuracy_sd']:.4f}" if "accuracy_sd" in report else ""
    out.print(
        f"accuracy {report['accuracy']:.4f}{spread}, macro-F1 {report['macro_f1']:.4f} "
        f"on {report['test_examples']} examples (trained on {report['train_examples']}"
        f"{f', {shots} per intent' if shots else ''}, {seeds} seed(s), "
        f"{report['train_seconds']} s); parse latency p50 {report['latency_ms']['p50']} ms, "
        f"p95 {report['latency_ms']['p95']} ms"
    )
    table = Table(title="Weakest intents (by F1)", title_justify="left")
    for column in ("intent", "precision", "recall", "f1", "support"):
        table.add_column(column, justify="left" if column == "intent" else "right")
    worst = sorted(report["per_intent"].items(), key=lambda kv: kv[1]["f1"])[:10]
    for name, m in worst:
        table.add_row(
            name, f"{m['precision']:.3f}", f"{m['recall']:.3f}", f"{m['f1']:.3f}", str(m["support"])
        )
    out.print(table)
