"""`openteller` commands. Each command builds Settings once and passes them down."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.exc import ArgumentError, InterfaceError, OperationalError

from openteller.core import (
    OpenTellerError,
    check_ledger,
    engine_from_settings,
    ledger_stats,
    load_catalog,
    read_spec,
    upgrade,
)
from openteller.settings import Settings

app = typer.Typer(
    name="openteller",
    help="OpenTeller: build, run, govern and measure AI banking assistants.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
ledger_app = typer.Typer(help="Ledger integrity and statistics.", no_args_is_help=True)
catalog_app = typer.Typer(help="Product catalog.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(ledger_app, name="ledger")
app.add_typer(catalog_app, name="catalog")

out = Console()
err = Console(stderr=True)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db", help="Database URL (default: OPENTELLER_DATABASE_URL or ./var/openteller.db)."
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


def settings_for(db: str | None) -> Settings:
    return Settings().with_database(db)


@contextmanager
def progress_bar(
    *, transient: bool = True, disable: bool = False, width: int = 20
) -> Iterator[Callable[[str, int, int], None]]:
    """A Rich progress bar on stderr with one row per phase; yields the
    `(phase, done, total)` callback that long-running work reports to."""
    with Progress(
        TextColumn(f"{{task.description:<{width}}}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=transient,
        disable=disable,
    ) as bar:
        tasks: dict[str, int] = {}

        def update(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = int(bar.add_task(phase, total=total))
            bar.update(tasks[phase], completed=done, total=total)  # type: ignore[arg-type]

        yield update


def fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, default=str) + "\n")


@db_app.command("upgrade")
def db_upgrade(db: DbOption = None) -> None:
    """Create or migrate the schema to the latest revision."""
    settings = settings_for(db)
    engine = engine_from_settings(settings)
    try:
        revision = upgrade(engine)
    finally:
        engine.dispose()
    out.print(f"database at revision {revision}")


@catalog_app.command("load")
def catalog_load(
    db: DbOption = None,
    file: Annotated[
        Path | None, typer.Option(help="Catalog YAML (default: the demo bank's).")
    ] = None,
) -> None:
    """Load (replace) the product catalog from a YAML file."""
    engine = engine_from_settings(settings_for(db))
    try:
        spec = read_spec(file)
        with engine.begin() as conn:
            load_catalog(conn, spec)
    finally:
        engine.dispose()
    out.print(f"catalog {spec.version}: {len(spec.products)} products loaded")


@catalog_app.command("show")
def catalog_show(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Show the products, rates, fees and limits in the database."""
    from openteller.core import read_catalog

    engine = engine_from_settings(settings_for(db))
    try:
        catalog = read_catalog(engine)
    finally:
        engine.dispose()
    if as_json:
        print_json(
            {
                code: {
                    "name": p.name,
                    "kind": p.kind.value,
                    "currency": p.currency,
                    "rates": [r.__dict__ for r in p.rates],
                    "fees": [f.__dict__ for f in p.fees],
                    "limits": [lim.__dict__ for lim in p.limits],
                }
                for code, p in catalog.products.items()
            }
        )
        return
    for product in catalog.products.values():
        table = Table(title=f"{product.name} ({product.code})", title_justify="left")
        table.add_column("item")
        table.add_column("value", justify="right")
        table.add_column("description")
        for r in product.rates:
            table.add_row(f"{r.code} {r.tier}".strip(), f"{r.percent}%", r.description)
        for f in product.fees:
            value = " + ".join(
                x
                for x in (
                    f"{f.percent}%" if f.percent is not None else "",
                    f"{f.amount}" if f.amount is not None else "",
                )
                if x
            )
            table.add_row(f"fee {f.code}", value, f.description)
        for lim in product.limits:
            value = str(lim.amount) if lim.amount is not None else str(lim.count)
            table.add_row(f"limit {lim.code}", value, lim.description)
        out.print(table)


@ledger_app.command("check")
def ledger_check(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Verify every ledger invariant; exit 1 on any violation."""
    engine = engine_from_settings(settings_for(db))
    try:
        report = check_ledger(engine)
    finally:
        engine.dispose()
    if as_json:
        print_json(report.to_dict())
    else:
        out.print(
            f"checked {len(report.checks)} invariants over {report.accounts} accounts, "
            f"{report.transfers} transfers, {report.postings} postings"
        )
        for currency, total in report.totals.items():
            out.print(f"  sum of balances {currency}: {total}")
        for v in report.violations:
            out.print(f"[red]VIOLATION[/] {v.check}: {v.message} (ids: {v.ids[:10]})")
        out.print("[green]ledger OK[/]" if report.ok else "[red]ledger has violations[/]")
    if not report.ok:
        raise typer.Exit(1)


@ledger_app.command("stats")
def ledger_stats_cmd(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Counts and totals of the bank's data."""
    engine = engine_from_settings(settings_for(db))
    try:
        stats = ledger_stats(engine)
    finally:
        engine.dispose()
    if as_json:
        print_json(stats)
        return
    table = Table(title="Ledger statistics", title_justify="left")
    table.add_column("item")
    table.add_column("value", justify="right")
    for key, value in stats.items():
        if isinstance(value, dict):
            for sub, v in value.items():
                table.add_row(f"{key}.{sub}", json.dumps(v, default=str).strip('"'))
        else:
            table.add_row(key, str(value))
    out.print(table)


def main() -> None:
    """Console-script entry point: domain errors become one line on stderr and exit 2."""
    from openteller.cli import (  # noqa: F401
        chat,
        commands,
        credit,
        guard,
        insights,
        kb,
        nlu,
        prompts,
        staff,
    )

    try:
        app()
    except OpenTellerError as exc:
        detail = f" {json.dumps(exc.details, default=str)}" if exc.details else ""
        err.print(f"[bold red]error:[/] {exc.message} ({exc.code}){detail}", highlight=False)
        sys.exit(2)
    except ArgumentError as exc:
        err.print(f"[bold red]error:[/] invalid database URL: {exc}", highlight=False)
        sys.exit(2)
    except (OperationalError, InterfaceError) as exc:
        # Connection refused, unknown database, locked file: say so, no traceback.
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        err.print(f"[bold red]error:[/] database unavailable: {reason}", highlight=False)
        sys.exit(2)
