"""`openteller seed` and `openteller serve`."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from openteller.cli.app import DbOption, JsonOption, app, err, out, print_json, settings_for
from openteller.core import SystemClock, engine_from_settings, upgrade
from openteller.core.demo.seeder import SeedOptions, seed_bank
from openteller.core.schema import reset as reset_schema

SHOW_LOGINS = 50  # the demo bank's size: `make demo` prints every login


@app.command()
def seed(
    customers: Annotated[int, typer.Option(min=1, max=100_000, help="Number of customers.")] = 50,
    months: Annotated[int, typer.Option(min=1, max=60, help="Months of history.")] = 6,
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same bank.")] = 42,
    as_of: Annotated[
        str | None, typer.Option(help="Last day of history, YYYY-MM-DD (default: today).")
    ] = None,
    reset: Annotated[bool, typer.Option(help="Wipe the database first.")] = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create a realistic demo bank and post its history through the ledger."""
    last_day = None
    if as_of is not None:
        try:
            last_day = date.fromisoformat(as_of)
        except ValueError:
            raise typer.BadParameter("expected YYYY-MM-DD", param_hint="--as-of") from None
    settings = settings_for(db)
    engine = engine_from_settings(settings)
    try:
        (reset_schema if reset else upgrade)(engine)
        with Progress(
            TextColumn("{task.description:<10}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            transient=as_json,
        ) as bar:
            tasks: dict[str, int] = {}

            def progress(phase: str, done: int, total: int) -> None:
                if phase not in tasks:
                    tasks[phase] = int(bar.add_task(phase, total=total))
                bar.update(tasks[phase], completed=done)  # type: ignore[arg-type]

            result = seed_bank(
                engine,
                settings,
                SeedOptions(customers=customers, months=months, seed=seed, as_of=last_day),
                clock=SystemClock(),
                progress=progress,
            )
    finally:
        engine.dispose()
    if as_json:
        print_json(result.to_dict())
        return
    out.print(
        f"seeded {result.customers} customers, {result.months} months "
        f"({result.start} to {result.as_of}): {result.transfers} transfers, "
        f"{result.holds_pending} pending card holds, labels {result.labels} "
        f"in {result.seconds:.1f} s"
    )
    table = Table(title="Demo logins", title_justify="left")
    table.add_column("customer_id", justify="right")
    table.add_column("username")
    table.add_column("password")
    shown = result.logins if len(result.logins) <= SHOW_LOGINS else result.logins[:10]
    for login in shown:
        table.add_row(str(login.customer_id), login.username, login.password)
    out.print(table)
    if len(shown) < len(result.logins):
        out.print(f"... and {len(result.logins) - len(shown)} more (use --json for all)")
    if result.staff_logins:
        staff = Table(title="Staff console logins", title_justify="left")
        staff.add_column("role")
        staff.add_column("username")
        staff.add_column("password")
        for member in result.staff_logins:
            staff.add_row(member.role, member.username, member.password)
        out.print(staff)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes.")] = 1,
    access_log: Annotated[
        bool, typer.Option(help="Log one line per request (off under load tests).")
    ] = True,
    db: DbOption = None,
) -> None:
    """Serve the API and web app (uvicorn)."""
    import os
    import shutil
    import tempfile

    import uvicorn

    settings = settings_for(db)
    engine = engine_from_settings(settings)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    # Workers are separate processes: they rebuild Settings from the environment.
    os.environ["OPENTELLER_DATABASE_URL"] = settings.database_url
    # One torch thread per process unless told otherwise: a chat turn encodes one short
    # message, and request threads (not intra-op threads) give the concurrency. Measured
    # under load: 23 ms a query with one thread, 631 ms with two fighting over 2 cores.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    out.print(f"OpenTeller serving {settings.bank_name} on http://{host}:{port}")
    # Several workers share /metrics through prometheus-client's multiprocess mode: its
    # variable must be set before the workers import the library, and the directory must
    # start empty (stale files would be summed). A directory the caller set is theirs.
    metrics_dir = None
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        metrics_dir = tempfile.mkdtemp(prefix="openteller-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    try:
        uvicorn.run(
            "openteller.api:app_from_env",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="info",
            access_log=access_log,
        )
    finally:
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)
