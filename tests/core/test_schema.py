"""Migrations build exactly the schema the models declare, and go down cleanly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from openteller.core.models import Base
from openteller.core.schema import current_revision, head_revision, reset
from tests.conftest import HEAD_REVISION


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []
    assert current_revision(engine) == head_revision() == HEAD_REVISION


def test_reset_leaves_an_empty_migrated_database(engine: Engine) -> None:
    assert reset(engine) == HEAD_REVISION
    tables = set(inspect(engine).get_table_names())
    assert {t.name for t in Base.metadata.sorted_tables} <= tables
