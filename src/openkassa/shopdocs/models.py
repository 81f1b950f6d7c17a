"""Online-shop documents: receipts an online shop sends through the ModulKassa-compatible
fiscalization API (`/api/fn`), queued for a register of the point, and the shop's credentials.

A shop first associates with a point marked for online-shop documents
(`RetailPoint.online_shop`) and gets a login and password for it (`ShopAssociation`, one per point
and client application); with them it sends documents (`ShopDocument`), which wait in the
point's queue until a register takes them, fiscalizes them and reports back.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from openkassa.db import Base, IdMixin, utcnow

# A document's life (reference §6): QUEUED → PENDING (a register took it) → PRINTED (fiscalized)
# → WAIT_FOR_CALLBACK (the shop is being told) → COMPLETED; or FAILED, and REQUEUED by the shop.
QUEUED = "QUEUED"
PENDING = "PENDING"
PRINTED = "PRINTED"
WAIT_FOR_CALLBACK = "WAIT_FOR_CALLBACK"
COMPLETED = "COMPLETED"
FAILED = "FAILED"
REQUEUED = "REQUEUED"
STATUSES = (QUEUED, PENDING, PRINTED, WAIT_FOR_CALLBACK, COMPLETED, FAILED, REQUEUED)
WAITING = (QUEUED, REQUEUED)  # in the point's queue


class ShopAssociation(IdMixin, Base):
    """A shop's credentials for one point (and one client application of the shop, `client_id`,
    "" when it names none). Associating again keeps `user_name` and replaces the password."""

    __tablename__ = "shop_associations"
    __table_args__ = (UniqueConstraint("point_id", "client_id"),)

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"), index=True)
    point_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("retail_points.id", ondelete="CASCADE"))
    client_id: Mapped[str] = mapped_column(String(128), default="")
    user_name: Mapped[str] = mapped_column(String(36), unique=True)
    password_hash: Mapped[str] = mapped_column(String(64))  # ids.secret_hash: 16 random characters, not a person's
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    rotated_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]


class ShopDocument(IdMixin, Base):
    """A receipt an online shop asked to fiscalize at a point: the shop's own id (`external_id`,
    unique per point: sending it again is answered with the first one's status), what to fiscalize
    (`content`: the document as the register reads it, money in kopecks, quantities in
    thousandths), and where it is in its life."""

    __tablename__ = "shop_documents"
    __table_args__ = (
        UniqueConstraint("point_id", "external_id"),
        Index("ix_shop_documents_queue", "point_id", "status", "queued_at"),  # the register's queue, oldest first
        Index("ix_shop_documents_account", "account_id", "created_at"),
    )

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"))
    point_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("retail_points.id"))
    external_id: Mapped[str] = mapped_column(String(256))
    doc_num: Mapped[str] = mapped_column(String(256))
    doc_type: Mapped[str] = mapped_column(String(16))  # SALE, RETURN, BUY, BUY_RETURN
    checkout_at: Mapped[datetime]
    contact: Mapped[str] = mapped_column(String(256))  # the buyer's e-mail or phone (1008)
    response_url: Mapped[str] = mapped_column(Text, default="")
    total: Mapped[int] = mapped_column(BigInteger)  # kopecks
    content: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), default=QUEUED)
    message: Mapped[str] = mapped_column(Text, default="")
    failure_type: Mapped[str] = mapped_column(String(32), default="")
    fiscal: Mapped[dict | None] = mapped_column(JSON)  # FiscalInfo once fiscalized
    device_id: Mapped[uuid.UUID | None]  # the register that took it
    receipt_id: Mapped[uuid.UUID | None]  # the receipt it made (sales_documents.id; no foreign key: sales' table)
    queued_at: Mapped[datetime] = mapped_column(default=utcnow)  # sent, or re-queued: its place in the queue
    status_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
