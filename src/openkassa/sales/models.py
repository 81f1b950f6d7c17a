"""Tables of the sales domain: the documents registers upload, their receipt lines, and the keys of
the software fiscal drives the server checks fiscal signs with.

A document's id is the UUID the register made when the operation happened: the upload is an
idempotent insert on it. The fiscal details (drive, number 1040, receipt number 1042, ФП, totals)
are read from the signed TLV bytes kept in `tlv`, never taken from the register's word; `body` keeps
the document as uploaded, so a quarantined one can be read and judged later.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, LargeBinary, SmallInteger, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from openkassa.db import Base, IdMixin, utcnow

ACCEPTED = "accepted"
QUARANTINED = "quarantined"


class FiscalDrive(IdMixin, Base):
    """A software fiscal drive a register uses, with the key it signs with (see `protocol.documents.DriveKey`)."""

    __tablename__ = "fiscal_drives"
    __table_args__ = (UniqueConstraint("account_id", "fn_serial"),)

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"))
    device_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("devices.id"), index=True)
    fn_serial: Mapped[str] = mapped_column(String(16))
    key: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SalesDocument(Base):
    """One document a register uploaded. Sums are kopecks.

    `total` is the receipt's 1020, the cash counted at a shift's opening or closing, or the sum of a
    cash drawer operation; `cash` … `other` are the receipt's five payment sums (1031, 1081, 1215,
    1216, 1217). Only accepted documents count in figures; quarantined ones wait for a person.
    """

    __tablename__ = "sales_documents"
    __table_args__ = (
        Index("ix_sales_documents_point_made", "account_id", "point_id", "made_at"),
        Index("ix_sales_documents_account_made", "account_id", "made_at"),  # all points' receipts in a period
        # The OFD's rule: one acknowledged document per number of a drive.
        Index("uq_sales_documents_fiscal_number", "account_id", "fn_serial", "fiscal_number", unique=True,
              sqlite_where=text("ofd_sign IS NOT NULL"), postgresql_where=text("ofd_sign IS NOT NULL")),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"))
    point_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("retail_points.id"))
    device_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("devices.id"))
    # shift_open, shift_close, receipt, correction, cash_in, cash_out, product or report; a document
    # that could not be read keeps the type it claimed, cut to 16
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    shift: Mapped[int | None]  # 1038
    made_at: Mapped[datetime]
    # made_at in the point's time zone when the document arrived: the day and hour statistics count it in
    local_day: Mapped[date]
    local_hour: Mapped[int] = mapped_column(SmallInteger)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    cashier_id: Mapped[uuid.UUID | None]  # one of the account's cashiers (checked at upload)
    settlement: Mapped[int | None]  # 1054
    total: Mapped[int] = mapped_column(BigInteger, default=0)
    cash: Mapped[int] = mapped_column(BigInteger, default=0)
    electronic: Mapped[int] = mapped_column(BigInteger, default=0)
    advance: Mapped[int] = mapped_column(BigInteger, default=0)
    credit: Mapped[int] = mapped_column(BigInteger, default=0)
    other: Mapped[int] = mapped_column(BigInteger, default=0)
    discount: Mapped[int] = mapped_column(BigInteger, default=0)  # Σ of the lines' discounts
    original_id: Mapped[uuid.UUID | None]  # the receipt a return was made against
    fn_serial: Mapped[str | None] = mapped_column(String(16))  # 1041
    fiscal_number: Mapped[int | None] = mapped_column(BigInteger)  # 1040
    receipt_number: Mapped[int | None] = mapped_column(BigInteger)  # 1042
    fiscal_sign: Mapped[int | None] = mapped_column(BigInteger)  # the printed ФП
    tlv: Mapped[bytes | None] = mapped_column(LargeBinary)
    body: Mapped[dict] = mapped_column(JSON)
    ofd_received_at: Mapped[datetime | None]
    ofd_sign: Mapped[bytes | None] = mapped_column(LargeBinary)  # ФПО 1078: the OFD acknowledged it


class ReceiptLine(Base):
    """A line of an accepted receipt or correction, as the register sold it."""

    __tablename__ = "receipt_lines"

    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sales_documents.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)  # from 0
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"))
    product_id: Mapped[uuid.UUID | None] = mapped_column(index=True)  # no foreign key: a sold product may be deleted later
    name: Mapped[str] = mapped_column(String(128))
    price: Mapped[int] = mapped_column(BigInteger)
    quantity: Mapped[int] = mapped_column(BigInteger)  # thousandths
    discount: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[int] = mapped_column(BigInteger)
    vat: Mapped[int]  # 1199
    cost: Mapped[int] = mapped_column(BigInteger, default=0)  # the product's cost price × quantity when the receipt arrived
