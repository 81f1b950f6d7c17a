"""The database schema: every domain's tables, and migrating a database to the newest one."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from openkassa.db import ensure_sqlite_dir

MIGRATIONS = Path(__file__).parent / "migrations"


def load_models() -> None:
    """Import every domain's models so that Base.metadata knows all tables."""
    from openkassa import ratelimit  # noqa: F401
    from openkassa.accounts import models as _accounts  # noqa: F401
    from openkassa.catalog import models as _catalog  # noqa: F401
    from openkassa.credentials import models as _credentials  # noqa: F401
    from openkassa.jobs import models as _jobs  # noqa: F401
    from openkassa.onec import models as _onec  # noqa: F401
    from openkassa.points import models as _points  # noqa: F401
    from openkassa.reports import models as _reports  # noqa: F401
    from openkassa.sales import models as _sales  # noqa: F401
    from openkassa.shopdocs import models as _shopdocs  # noqa: F401
    from openkassa.stats import models as _stats  # noqa: F401
    from openkassa.stock import models as _stock  # noqa: F401


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url)
    return config


def migrate(url: str) -> None:
    """Bring the database at `url` to the newest schema (creating an SQLite file if needed)."""
    ensure_sqlite_dir(url)
    command.upgrade(alembic_config(url), "head")
