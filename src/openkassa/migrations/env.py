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
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # A batch migration rebuilds a table by copying it and dropping the old one, and that DROP
        # would delete (ON DELETE CASCADE) the rows of every table referring to it: sales lines
        # went with their receipts in a first try of 0006. SQLite reads this pragma only outside a
        # transaction; the references are checked once the migrations are done.
        connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,
        compare_type=True,
        include_name=lambda name, type_, parents: not is_search_object(name),
    )
    with context.begin_transaction():
        context.run_migrations()
        if sqlite:
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"the migrations left rows referring to nothing: {broken[:5]}")
    if sqlite:
        connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")


run_migrations()
