"""Bank staff who sign in to the console: analysts, compliance officers, product owners.

Staff and customers sign in at the same token endpoint. A staff username is an email-like
name (`jo.kim@staff`) and a customer username never holds an "@", so the endpoint knows
which table to read from the name alone, and no name can mean both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from argon2 import PasswordHasher
from sqlalchemy import Connection, Table, insert, select, update

from openteller.core.errors import AlreadyExists, NotFound, ValidationFailed
from openteller.core.models import StaffRole, StaffUser
from openteller.core.security import verify_password, verify_unknown

staff_t = cast(Table, StaffUser.__table__)

_STAFF_NAME = re.compile(r"[a-z][a-z0-9._-]{0,40}@[a-z][a-z0-9.-]{0,20}")


@dataclass(frozen=True)
class StaffView:
    id: int
    username: str
    full_name: str
    role: StaffRole
    active: bool
    created_at: datetime


@dataclass(frozen=True)
class StaffCredentials:
    """What the token endpoint needs to check a password."""

    id: int
    password_hash: str
    role: StaffRole
    active: bool


def is_staff_username(username: str) -> bool:
    return "@" in username


def create_staff(
    conn: Connection,
    *,
    username: str,
    full_name: str,
    role: StaffRole | str,
    password_hash: str,
    now: datetime,
) -> int:
    """Add a member of staff; the username must look like `name@team`."""
    if not _STAFF_NAME.fullmatch(username):
        raise ValidationFailed(
            "a staff username is lowercase name@team (letters, digits, . _ -)", username=username
        )
    try:
        staff_role = StaffRole(role)
    except ValueError:
        raise ValidationFailed(
            "unknown staff role", role=str(role), roles=[r.value for r in StaffRole]
        ) from None
    if not full_name.strip() or len(full_name) > 200:
        raise ValidationFailed("a full name of 1 to 200 characters is required")
    taken = conn.execute(select(staff_t.c.id).where(staff_t.c.username == username)).first()
    if taken is not None:
        raise AlreadyExists("username is taken", username=username)
    return int(
        conn.execute(
            insert(staff_t)
            .values(
                username=username,
                full_name=full_name.strip(),
                role=staff_role,
                password_hash=password_hash,
                active=True,
                created_at=now,
            )
            .returning(staff_t.c.id)
        ).scalar_one()
    )


def _view(row: object) -> StaffView:
    return StaffView(
        id=int(row.id),  # type: ignore[attr-defined]
        username=row.username,  # type: ignore[attr-defined]
        full_name=row.full_name,  # type: ignore[attr-defined]
        role=StaffRole(row.role),  # type: ignore[attr-defined]
        active=bool(row.active),  # type: ignore[attr-defined]
        created_at=row.created_at,  # type: ignore[attr-defined]
    )


_COLUMNS = (
    staff_t.c.id,
    staff_t.c.username,
    staff_t.c.full_name,
    staff_t.c.role,
    staff_t.c.active,
    staff_t.c.created_at,
)


def list_staff(conn: Connection) -> list[StaffView]:
    return [_view(r) for r in conn.execute(select(*_COLUMNS).order_by(staff_t.c.id))]


def get_staff(conn: Connection, staff_id: int) -> StaffView:
    row = conn.execute(select(*_COLUMNS).where(staff_t.c.id == staff_id)).first()
    if row is None:
        raise NotFound("staff member not found", staff_id=staff_id)
    return _view(row)


def staff_credentials(conn: Connection, username: str) -> StaffCredentials | None:
    row = conn.execute(
        select(staff_t.c.id, staff_t.c.password_hash, staff_t.c.role, staff_t.c.active).where(
            staff_t.c.username == username
        )
    ).first()
    if row is None:
        return None
    return StaffCredentials(int(row.id), row.password_hash, StaffRole(row.role), bool(row.active))


def authenticate_staff(
    conn: Connection, hasher: PasswordHasher, username: str, password: str
) -> StaffCredentials | None:
    """The staff member when the password is theirs and the login is active; None for an
    unknown name, a wrong password or a deactivated login (each costs one verification)."""
    member = staff_credentials(conn, username)
    if member is None:
        verify_unknown(hasher, password)
        return None
    if not verify_password(hasher, member.password_hash, password) or not member.active:
        return None
    return member


def set_staff_active(conn: Connection, username: str, active: bool) -> StaffView:
    """Switch a staff login on or off; their open tokens stop working at the next request."""
    done = conn.execute(update(staff_t).where(staff_t.c.username == username).values(active=active))
    if done.rowcount != 1:
        raise NotFound("staff member not found", username=username)
    row = conn.execute(select(*_COLUMNS).where(staff_t.c.username == username)).one()
    return _view(row)
