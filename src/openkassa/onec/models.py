"""Tables of the 1C exchange: the exchange login of a catalog.

A product's 1C Ид lives on the catalog's own table (`products.external_id`).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from openkassa.db import Base, IdMixin, utcnow


class OnecExchange(IdMixin, Base):
    """The login 1C uses to fill one catalog (the catalog of a point, or of several sharing it).

    `session_hash` is the SHA-256 of the cookie given at `checkauth`: the exchange's later calls carry
    it instead of the password (one exchange at a time; a new `checkauth` starts another).
    """

    __tablename__ = "onec_exchanges"

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"), index=True)
    catalog_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("catalogs.id", ondelete="CASCADE"), unique=True)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    price_type: Mapped[str] = mapped_column(String(128), default="")  # "" is «Розничная…», else the first
    session_hash: Mapped[str] = mapped_column(String(64), default="", index=True)  # each file chunk finds its exchange by it
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_exchange_at: Mapped[datetime | None]  # the last `import` call; its result is the newest OnecExchangeRun


class OnecExchangeRun(IdMixin, Base):
    """One `import` call of an exchange and what it did (or why it was refused), for the page's history."""

    __tablename__ = "onec_exchange_runs"
    __table_args__ = (Index("ix_onec_exchange_runs_exchange_at", "exchange_id", "at"),)

    exchange_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("onec_exchanges.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    filename: Mapped[str] = mapped_column(String(200))
    succeeded: Mapped[bool]
    result: Mapped[str] = mapped_column(String(2000))
