"""Alembic environment: the project's metadata, batch mode for SQLite's ALTER TABLE."""

from __future__ import annotations

from alembic import context

from openkassa.catalog.search import is_search_object
from openkassa.db import Base, make_engine
from openkassa.schema import load_models

load_models()
config = context.config


def run_migrations() -> None:
    connectable = config.attributes.get("connection")
    if connectable is not None:
        _run(connectable)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,
        compare_type=True,
        include_name=lambda name, type_, parents: not is_search_object(name),
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
