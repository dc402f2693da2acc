"""`openteller staff`: console logins for bank staff."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from openteller.cli.app import DbOption, JsonOption, app, out, print_json, settings_for
from openteller.core import (
    StaffRole,
    StaffView,
    SystemClock,
    ValidationFailed,
    create_staff,
    engine_from_settings,
    list_staff,
    set_staff_active,
)
from openteller.core.security import password_hasher

staff_app = typer.Typer(help="Staff console logins.", no_args_is_help=True)
app.add_typer(staff_app, name="staff")

MIN_PASSWORD = 12


def _row(member: StaffView) -> dict[str, object]:
    return {
        "id": member.id,
        "username": member.username,
        "full_name": member.full_name,
        "role": member.role.value,
        "active": member.active,
        "created_at": member.created_at.isoformat(),
    }


@staff_app.command("add")
def staff_add(
    username: Annotated[str, typer.Option(help="Login name, name@team (e.g. jo.kim@staff).")],
    full_name: Annotated[str, typer.Option("--name", help="Full name.")],
    role: Annotated[StaffRole, typer.Option(help="Console role.")],
    password: Annotated[
        str,
        typer.Option(
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            envvar="OPENTELLER_STAFF_PASSWORD",
            help=f"At least {MIN_PASSWORD} characters (prompted when not given).",
        ),
    ],
    db: DbOption = None,
) -> None:
    """Add a member of staff who can sign in to the console."""
    if len(password) < MIN_PASSWORD:
        raise ValidationFailed(f"a staff password has at least {MIN_PASSWORD} characters")
    settings = settings_for(db)
    engine = engine_from_settings(settings)
    try:
        with engine.begin() as conn:
            staff_id = create_staff(
                conn,
                username=username,
                full_name=full_name,
                role=role,
                password_hash=password_hasher(settings).hash(password),
                now=SystemClock().now(),
            )
    finally:
        engine.dispose()
    out.print(f"staff {staff_id} {username} ({role.value}) added")


@staff_app.command("list")
def staff_list(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Everyone with a console login."""
    engine = engine_from_settings(settings_for(db))
    try:
        with engine.connect() as conn:
            members = list_staff(conn)
    finally:
        engine.dispose()
    if as_json:
        print_json([_row(m) for m in members])
        return
    table = Table(title="Staff", title_justify="left")
    for column in ("id", "username", "full_name", "role", "active"):
        table.add_column(column)
    for m in members:
        table.add_row(str(m.id), m.username, m.full_name, m.role.value, "yes" if m.active else "no")
    out.print(table)


def _set_active(username: str, active: bool, db: str | None) -> None:
    engine = engine_from_settings(settings_for(db))
    try:
        with engine.begin() as conn:
            member = set_staff_active(conn, username, active)
    finally:
        engine.dispose()
    out.print(f"staff {member.username} {'activated' if active else 'deactivated'}")


@staff_app.command("deactivate")
def staff_deactivate(
    username: Annotated[str, typer.Argument(help="Login name.")], db: DbOption = None
) -> None:
    """Stop a login at once: its open tokens are refused from the next request."""
    _set_active(username, False, db)


@staff_app.command("activate")
def staff_activate(
    username: Annotated[str, typer.Argument(help="Login name.")], db: DbOption = None
) -> None:
    """Let a deactivated login sign in again."""
    _set_active(username, True, db)
