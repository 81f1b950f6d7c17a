"""Tables of the catalog domain (the product card grows with the catalog capability)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from openkassa.db import Base, IdMixin, utcnow


class Catalog(IdMixin, Base):
    """A list of products; points point at one, and several points may share it."""

    __tablename__ = "catalogs"

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Product(IdMixin, Base):
    """A product card as printed on the receipt."""

    __tablename__ = "products"
    __table_args__ = (Index("ix_products_catalog_name", "catalog_id", "name"),)

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"), index=True)
    catalog_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("catalogs.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(128))
    barcode: Mapped[str] = mapped_column(String(64), default="")
    price: Mapped[int] = mapped_column(default=0)  # kopecks
    vat: Mapped[str] = mapped_column(String(10), default="none")
    revision: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
