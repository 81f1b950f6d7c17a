"""Tables of the points domain."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Column, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from openkassa.db import Base, IdMixin, utcnow


class RetailPoint(IdMixin, Base):
    """A shop (торговая точка) with its seller details and register settings."""

    __tablename__ = "retail_points"

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"), index=True)
    catalog_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("catalogs.id"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    address: Mapped[str] = mapped_column(String(256))
    inn: Mapped[str] = mapped_column(String(12))
    timezone: Mapped[str] = mapped_column(String(64))
    # Bit mask as in ФФД tags 1055/1062: the taxation systems the point may use.
    tax_systems: Mapped[int]
    default_tax_system: Mapped[int]

    # Register settings, sent to the point's registers.
    push_catalog_updates: Mapped[bool] = mapped_column(default=True)
    rounding: Mapped[int] = mapped_column(default=0)  # kopecks: 0, 10, 50 or 100, in the buyer's favour
    receipt_header: Mapped[str] = mapped_column(Text, default="")  # cliché lines
    receipt_footer: Mapped[str] = mapped_column(Text, default="")  # advertising text
    carry_over_cash: Mapped[bool] = mapped_column(default=False)
    allow_deferred_receipts: Mapped[bool] = mapped_column(default=False)
    allow_price_change: Mapped[bool] = mapped_column(default=False)
    allow_return_without_receipt: Mapped[bool] = mapped_column(default=False)
    allow_free_price_sale: Mapped[bool] = mapped_column(default=False)
    pay_bonus_card: Mapped[bool] = mapped_column(default=False)
    pay_gift_certificate: Mapped[bool] = mapped_column(default=False)
    pay_advance: Mapped[bool] = mapped_column(default=False)
    allow_partial_payment: Mapped[bool] = mapped_column(default=False)
    allow_credit: Mapped[bool] = mapped_column(default=False)
    online_shop: Mapped[bool] = mapped_column(default=False, server_default="0")  # takes an online shop's documents

    revision: Mapped[int] = mapped_column(default=0)
    archived_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ActivationCode(IdMixin, Base):
    """A short single-use code that binds a register to a point within 24 hours."""

    __tablename__ = "activation_codes"

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"), index=True)
    point_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("retail_points.id", ondelete="CASCADE"), index=True)
    # Kept readable so the owner can see it again on the point's page until it is used or expires.
    code: Mapped[str] = mapped_column(String(8), unique=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Device(IdMixin, Base):
    """A register bound to a point; it authenticates with a token of which we keep the hash."""

    __tablename__ = "devices"

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"), index=True)
    point_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("retail_points.id"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    app_version: Mapped[str] = mapped_column(String(40), default="")
    serial: Mapped[str] = mapped_column(String(64), default="")
    fn_serial: Mapped[str] = mapped_column(String(16), default="")  # fiscal drive number, once reported
    kkt_reg_number: Mapped[str] = mapped_column(String(20), default="")  # KKT registration number
    unsent_documents: Mapped[int] = mapped_column(default=0, server_default="0")  # not yet acknowledged by the OFD
    oldest_unsent_at: Mapped[datetime | None]  # the oldest of them: at 30 days the drive stops
    last_ofd_exchange_at: Mapped[datetime | None]
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    last_seen_at: Mapped[datetime | None]
    unbound_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


cashier_points = Table(
    "cashier_points",
    Base.metadata,
    Column("cashier_id", ForeignKey("cashiers.id", ondelete="CASCADE"), primary_key=True),
    Column("point_id", ForeignKey("retail_points.id", ondelete="CASCADE"), primary_key=True),
)


class Cashier(IdMixin, Base):
    """A person who sells on registers; signs in there with a PIN."""

    __tablename__ = "cashiers"

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    inn: Mapped[str] = mapped_column(String(12), default="")
    pin_hash: Mapped[str] = mapped_column(String(200))
    can_return: Mapped[bool] = mapped_column(default=False)
    can_discount: Mapped[bool] = mapped_column(default=False)
    can_change_price: Mapped[bool] = mapped_column(default=False)
    can_cash_drawer: Mapped[bool] = mapped_column(default=False)
    can_close_shift: Mapped[bool] = mapped_column(default=True)
    revision: Mapped[int] = mapped_column(default=0)
    archived_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    points: Mapped[list[RetailPoint]] = relationship(secondary=cashier_points, order_by=RetailPoint.name)
