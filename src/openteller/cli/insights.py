"""`openteller insights run|alerts` and `openteller eval insights`: detectors and alerts."""

from __future__ import annotations

import tempfile
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
from rich.table import Table

from openteller.cli.app import DbOption, JsonOption, app, fail, out, print_json, progress_bar
from openteller.cli.nlu import eval_app
from openteller.core import FixedClock, SystemClock, engine_from_settings, upgrade
from openteller.core.clock import Clock
from openteller.settings import Settings

insights_app = typer.Typer(help="Financial insights: detectors and alerts.", no_args_is_help=True)
app.add_typer(insights_app, name="insights")

AsOfOption = Annotated[
    str | None,
    typer.Option("--as-of", help="Run as of this instant (ISO 8601; default: now)."),
]


def _as_of(value: str | None, tz: ZoneInfo) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise fail(f"--as-of: expected an ISO 8601 date or time, got {value!r}") from None
    if len(value) == 10:  # a date: the end of that day in the bank's timezone
        parsed = datetime.combine(parsed.date(), time(23, 59, 59), tz)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=tz)


def _clock(value: str | None, tz: ZoneInfo) -> Clock:
    at = _as_of(value, tz)
    return SystemClock() if at is None else FixedClock(at.astimezone(UTC))


@insights_app.command("run")
def insights_run(
    db: DbOption = None,
    new: Annotated[
        bool, typer.Option("--new", help="Only customers with postings since the last run.")
    ] = False,
    customer: Annotated[
        list[int] | None, typer.Option("--customer", help="Only this customer (repeatable).")
    ] = None,
    as_of: AsOfOption = None,
    as_json: JsonOption = False,
) -> None:
    """Run the detectors and store the alerts they raise (none twice)."""
    from openteller.insights.service import InsightsService

    settings = Settings().with_database(db)
    tz = ZoneInfo(settings.timezone)
    clock = _clock(as_of, tz)
    engine = engine_from_settings(settings)
    try:
        upgrade(engine)
        service = InsightsService(engine, clock, settings)
        if new:
            result = service.process_new()
        else:
            total = len(customer) if customer else service.customer_count()
            with progress_bar(disable=as_json) as progress:
                done = 0

                def step(n: int) -> None:
                    nonlocal done
                    done += n
                    progress("customers", done, total)

                result = service.run(customer, progress=step)
    finally:
        engine.dispose()
    if as_json:
        print_json(result.to_dict())
        return
    out.print(
        f"insights run {result.run_id} ({result.mode}): {result.customers} customers, "
        f"{result.transactions} transactions, {result.alerts_created} new alerts "
        f"in {result.duration_ms / 1000:.1f} s"
    )
    for kind, n in sorted(result.by_kind.items()):
        out.print(f"  {kind}: {n}")


@insights_app.command("alerts")
def insights_alerts(
    customer: Annotated[int, typer.Option("--customer", help="Customer id.")],
    db: DbOption = None,
    status: Annotated[
        str | None,
        typer.Option("--status", help="new | seen | dismissed | active (default: all)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """A customer's alerts, newest first."""
    from openteller.insights.service import InsightsService

    settings = Settings().with_database(db)
    engine = engine_from_settings(settings)
    try:
        alerts = InsightsService(engine, SystemClock(), settings).alerts(customer, status=status)
    finally:
        engine.dispose()
    if as_json:
        print_json([_alert_json(a) for a in alerts])
        return
    table = Table(title=f"Alerts of customer {customer}", title_justify="left")
    for column in ("id", "severity", "kind", "status", "message"):
        table.add_column(column)
    for a in alerts:
        table.add_row(str(a.id), a.severity, a.kind, a.status, a.message)
    out.print(table)


def _alert_json(alert: Any) -> dict[str, Any]:
    return {
        "id": alert.id,
        "kind": alert.kind,
        "severity": alert.severity,
        "status": alert.status,
        "title": alert.title,
        "message": alert.message,
        "amount": None if alert.amount is None else str(alert.amount),
        "created_at": alert.created_at.isoformat(),
    }


@eval_app.command("insights")
def eval_insights(
    db: DbOption = None,
    customers: Annotated[
        int, typer.Option("--customers", min=1, max=2000, help="Customers to seed (no --db).")
    ] = 40,
    months: Annotated[
        int, typer.Option("--months", min=1, max=24, help="Months of history to seed (no --db).")
    ] = 12,
    seed: Annotated[int, typer.Option("--seed", help="Seeder's random seed (no --db).")] = 7,
    as_of: AsOfOption = None,
    plot: Annotated[
        Path | None, typer.Option("--plot", help="Write a bar chart of the figures (HTML).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Precision and recall of each detector against the demo seeder's labels.

    Without --db, seeds a fresh demo bank in a temporary SQLite file first.
    """
    from openteller.core.demo.seeder import SeedOptions, seed_bank
    from openteller.insights.service import evaluate_bank

    with tempfile.TemporaryDirectory(prefix="openteller-eval-") as tmp:
        settings = Settings().with_database(db or f"sqlite:///{Path(tmp) / 'eval.db'}")
        tz = ZoneInfo(settings.timezone)
        at = _as_of(as_of, tz)
        engine = engine_from_settings(settings)
        try:
            if db is None:
                last = at.date() if at is not None else date(2026, 10, 31)
                upgrade(engine)
                with progress_bar(disable=as_json) as progress:
                    seed_bank(
                        engine,
                        settings,
                        SeedOptions(customers, months, seed, as_of=last),
                        clock=SystemClock(),
                        progress=progress,
                    )
            report = evaluate_bank(engine, settings, at)
        finally:
            engine.dispose()
    if plot is not None:
        _plot(report, plot)
    if as_json:
        print_json(report)
        return
    table = Table(title="Insight detectors vs the seeder's labels", title_justify="left")
    for column in ("detector", "precision", "recall", "tp", "fp", "fn"):
        table.add_column(column, justify="right" if column != "detector" else "left")
    for name, figures in report["detectors"].items():
        table.add_row(
            name,
            *(str(figures.get(k, "")) for k in ("precision", "recall", "tp", "fp", "fn")),
        )
    out.print(table)
    if plot is not None:
        out.print(f"plot written to {plot}")


def _plot(report: dict[str, Any], path: Path) -> None:
    import plotly.graph_objects as go  # type: ignore[import-untyped]

    names = list(report["detectors"])
    figure = go.Figure(
        [
            go.Bar(name=metric, x=names, y=[report["detectors"][n][metric] for n in names])
            for metric in ("precision", "recall")
        ]
    )
    figure.update_layout(
        title="Insight detectors against the seeder's labels",
        yaxis={"range": [0, 1.05], "title": "score"},
        barmode="group",
    )
    try:
        figure.write_html(path, include_plotlyjs=True, full_html=True)
    except OSError as exc:
        raise fail(f"cannot write {path}: {exc.strerror}") from None
