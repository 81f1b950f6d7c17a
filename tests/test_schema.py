"""The migrations build exactly the schema the models describe, on SQLite and on PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from openkassa.catalog.search import is_search_object
from openkassa.db import Base


def test_migrations_match_the_models(database):
    # given a database built only by running the migrations (the session fixture)
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={
            "compare_type": True, "render_as_batch": True,
            "include_name": lambda name, type_, parents: not is_search_object(name),  # no model describes them
        })
        # when it is compared with the models
        differences = compare_metadata(context, Base.metadata)
    # then nothing is missing or different: a model change always comes with its migration
    assert differences == []


def test_sqlite_runs_with_foreign_keys_and_wal(database):
    if database.engine.dialect.name != "sqlite":
        return
    with database.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
