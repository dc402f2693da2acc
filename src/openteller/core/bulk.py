"""Driver-level bulk writes: the ledger's hot path.

SQLAlchemy Core compiles and processes every parameter of every statement; for the
ledger's inserts that bookkeeping cost more than the database's own work. These helpers
build the SQL text once per shape and apply the columns' bind processors themselves, so
rows land exactly as `insert(table)` would write them: COPY on PostgreSQL, multi-row
INSERT on SQLite.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from sqlalchemy import Connection, Table
from sqlalchemy.exc import DBAPIError


def placeholder(conn: Connection) -> str:
    """The driver's placeholder: sqlite3 takes ?, psycopg %s."""
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


# SQLite allows 32,766 parameters per statement; stay below on every backend.
_PARAMS_PER_STATEMENT = 30_000
ROWS_PER_STATEMENT = _PARAMS_PER_STATEMENT // 3

_PROCESSORS: dict[tuple[str, str, str], Callable[[Any], Any] | None] = {}


def bulk_insert(
    conn: Connection, table: Table, rows: list[dict[str, Any]], *, suffix: str = ""
) -> Any:
    """Multi-row INSERT straight to the driver: the ledger's hot path.

    SQLAlchemy's per-parameter bookkeeping costs more than SQLite's own insert; the
    columns' bind processors (UTC datetimes, enums) are still applied, so rows land
    exactly as `insert(table)` would write them. With a `suffix` (one row only, e.g.
    ``ON CONFLICT ... RETURNING id``) the first column of the first returned row comes
    back, or None when nothing was returned.
    """
    names = list(rows[0])
    one_row = f"({', '.join(placeholder(conn) for _ in names)})"
    params = driver_params(conn, table, names, rows)
    head = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES "
    if suffix:
        if len(params) != 1:
            raise ValueError("a suffixed insert takes exactly one row")
        found = conn.exec_driver_sql(head + one_row + suffix, params[0]).first()
        return None if found is None else found[0]
    if conn.dialect.name == "postgresql":
        _copy(conn, table, names, params)
        return None
    # Multi-row VALUES: one statement per chunk instead of one per row.
    per_statement = max(1, _PARAMS_PER_STATEMENT // len(names))
    for start in range(0, len(params), per_statement):
        chunk = params[start : start + per_statement]
        conn.exec_driver_sql(
            head + ", ".join(one_row for _ in chunk),
            tuple(value for row in chunk for value in row),
        )
    return None


def _copy(conn: Connection, table: Table, names: list[str], rows: list[tuple[Any, ...]]) -> None:
    """PostgreSQL COPY inside the current transaction: ~6x a 500-row multi-row INSERT here."""
    import psycopg

    sql = f"COPY {table.name} ({', '.join(names)}) FROM STDIN"
    dbapi = cast("psycopg.Connection[Any]", conn.connection.dbapi_connection)
    try:
        with dbapi.cursor() as cursor, cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)
    except psycopg.Error as exc:
        # Same exception types as every other statement (a unique-key race retries).
        raise DBAPIError.instance(sql, None, exc, psycopg.Error) from exc


def driver_params(
    conn: Connection, table: Table, names: list[str], rows: list[dict[str, Any]]
) -> list[tuple[Any, ...]]:
    """Driver-ready parameter tuples: the columns' bind processors applied."""
    dialect = conn.dialect
    processors = []
    for name in names:
        key = (dialect.name, table.name, name)
        if key not in _PROCESSORS:
            # dialect_impl: a TypeDecorator's own bind_processor skips its impl's processor
            # (SQLite would then store "12:00:00" where Core stores "12:00:00.000000").
            _PROCESSORS[key] = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        processors.append(_PROCESSORS[key])
    # Column by column: each distinct value is converted once (a batch shares its
    # booking time and currency), and zip() builds the row tuples in C.
    columns = [
        _convert([row[name] for row in rows], proc)
        for name, proc in zip(names, processors, strict=True)
    ]
    return list(zip(*columns, strict=True))


def _convert(values: list[Any], proc: Callable[[Any], Any] | None) -> list[Any]:
    if proc is None:
        return values
    memo: dict[Any, Any] = {None: None}
    out = []
    for value in values:
        try:
            out.append(memo[value])
        except KeyError:
            memo[value] = converted = proc(value)
            out.append(converted)
    return out
