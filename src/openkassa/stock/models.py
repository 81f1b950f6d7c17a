"""Tables of the stock domain: warehouses and the points they serve, suppliers, stock documents
with their lines, the movement ledger and the balances derived from it.

The ledger (`stock_movements`) is append-only: a movement is written when a document is posted or
a fiscal document (a sale, a return) arrives, and never changed; a posted document is cancelled by
writing the reverse of its movements. `stock_balances` holds, for each warehouse and product, the
sum of its movements (quantity and value at cost) and the moving-average unit cost; it is changed
only in the transaction that writes the movements, with its rows locked in key order.

Quantities are thousandths, money kopecks, as everywhere. Product ids carry no foreign key (as in
`receipt_lines`): a product with a history may be deleted from the catalog later, and its history
stays.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from openkassa.db import Base, IdMixin, utcnow

# document kinds
RECEIPT = "receipt"  # приходная накладная: goods from a supplier, with purchase prices
WRITE_OFF = "write_off"  # списание, with a reason
COUNT = "count"  # инвентаризация: counted quantities against the book
TRANSFER = "transfer"  # перемещение to another warehouse of the account
KINDS = (RECEIPT, WRITE_OFF, COUNT, TRANSFER)

# document states
DRAFT = "draft"
POSTED = "posted"
CANCELLED = "cancelled"

WRITE_OFF_REASONS = ("spoilage", "loss", "own_use", "other")

# movement kinds: what moved the goods
MOVEMENT_KINDS = ("receipt", "write_off", "surplus", "shortage", "transfer_out", "transfer_in", "sale", "return",
                  "revaluation")
"""`revaluation`: value alone (quantity 0), written beside the movement that needed it: goods sold
short re-costed at the price they came in at, or value left on a balance with nothing on hand."""


class Warehouse(IdMixin, Base):
    """A place where goods are kept and counted: one point's back room, or a store several points
    sell from."""

    __tablename__ = "warehouses"
    __table_args__ = (Index("ix_warehouses_account", "account_id", "name"),)

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"))
    name: Mapped[str] = mapped_column(String(128))
    archived: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WarehousePoint(Base):
    """A point whose sales and returns move the goods of a warehouse: its stock accounting is on."""

    __tablename__ = "warehouse_points"

    point_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("retail_points.id", ondelete="CASCADE"), primary_key=True)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"))
    warehouse_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("warehouses.id"), index=True)
    since: Mapped[datetime] = mapped_column(default=utcnow)  # when it was switched on (the sales arriving from then move stock)


class Supplier(IdMixin, Base):
    """Who goods are bought from (приходные накладные name one)."""

    __tablename__ = "suppliers"
    __table_args__ = (Index("ix_suppliers_account", "account_id", "name"),)

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"))
    name: Mapped[str] = mapped_column(String(200))
    inn: Mapped[str] = mapped_column(String(12), default="")  # checked by its checksum; "" when not known
    kpp: Mapped[str] = mapped_column(String(9), default="")
    contact: Mapped[str] = mapped_column(String(200), default="")  # a person to call
    phone: Mapped[str] = mapped_column(String(32), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    address: Mapped[str] = mapped_column(String(500), default="")
    comment: Mapped[str] = mapped_column(Text, default="")
    archived: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class StockDocument(IdMixin, Base):
    """A receipt of goods, a write-off, an inventory count or a transfer: a draft while it is being
    filled, then posted (its movements written at once, all or none), and perhaps cancelled (the
    reverse movements written). `number` counts each kind's documents of the account from 1."""

    __tablename__ = "stock_documents"
    __table_args__ = (UniqueConstraint("account_id", "kind", "number"),
                      Index("ix_stock_documents_account", "account_id", "created_at"),
                      Index("ix_stock_documents_dated", "warehouse_id", "kind", "status", "dated_at"))  # counts after a day

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"))
    kind: Mapped[str] = mapped_column(String(16))
    number: Mapped[int]
    status: Mapped[str] = mapped_column(String(10), default=DRAFT)
    warehouse_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("warehouses.id"))
    target_warehouse_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("warehouses.id"))  # a transfer's
    supplier_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("suppliers.id"))  # a receipt's
    supplier_reference: Mapped[str] = mapped_column(String(64), default="")  # the supplier's invoice number
    reason: Mapped[str] = mapped_column(String(16), default="")  # a write-off's (WRITE_OFF_REASONS)
    comment: Mapped[str] = mapped_column(Text, default="")
    dated_at: Mapped[datetime] = mapped_column(default=utcnow)  # the document's date: its movements' moment
    author_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    lines_count: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(BigInteger, default=0)  # receipt: purchase sum; else value at cost when posted
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    posted_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]


class StockLine(Base):
    """A product's line of a stock document: one a product. `quantity` is received, written off,
    counted or transferred; `price` a receipt's purchase price a unit; `book_quantity` what the
    books held when a count was posted; `value` the line's value at cost when posted."""

    __tablename__ = "stock_lines"
    __table_args__ = (UniqueConstraint("document_id", "product_id"),)

    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("stock_documents.id", ondelete="CASCADE"),
                                                   primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[uuid.UUID] = mapped_column(index=True)
    quantity: Mapped[int] = mapped_column(BigInteger)
    price: Mapped[int] = mapped_column(BigInteger, default=0)
    book_quantity: Mapped[int | None] = mapped_column(BigInteger)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class Movement(Base):
    """One product's move in or out of a warehouse (the ledger, append-only).

    Behind each is a posted (or later cancelled) stock document, or an accepted fiscal document of
    a point whose stock accounting is on (`sale_id`, a row of `sales_documents`). `reversal` marks
    the movements a cancellation wrote. `balance_after` is the warehouse's quantity of the product
    right after it, in the ledger's order (`id`); `unit_cost` its unit cost then (kept so that
    cancelling a document can give back the unit cost from before it; 0, unknown, on the movements
    written before migration 0010)."""

    __tablename__ = "stock_movements"
    __table_args__ = (
        CheckConstraint("(document_id IS NULL) <> (sale_id IS NULL)", name="one_source"),
        Index("ix_stock_movements_product", "account_id", "warehouse_id", "product_id", "id"),
        Index("ix_stock_movements_moved", "account_id", "moved_at"),
        Index("ix_stock_movements_document", "document_id"),
        Index("ix_stock_movements_sale", "sale_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True,
                                    autoincrement=True)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"))
    warehouse_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("warehouses.id"))
    product_id: Mapped[uuid.UUID]
    kind: Mapped[str] = mapped_column(String(16))  # MOVEMENT_KINDS
    quantity: Mapped[int] = mapped_column(BigInteger)  # signed: in > 0, out < 0
    value: Mapped[int] = mapped_column(BigInteger)  # signed, at cost
    balance_after: Mapped[int] = mapped_column(BigInteger)
    unit_cost: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")  # the balance's, right after
    moved_at: Mapped[datetime]
    document_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("stock_documents.id"))
    sale_id: Mapped[uuid.UUID | None]  # sales_documents.id (no foreign key: the sales domain's table)
    position: Mapped[int] = mapped_column(default=0)  # the line's, in its document
    reversal: Mapped[bool] = mapped_column(default=False)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class Balance(Base):
    """A product's stock in a warehouse: the sum of its movements, and its moving-average unit cost
    (kopecks a unit; kept when the quantity falls to zero or below, for the goods sold short)."""

    __tablename__ = "stock_balances"
    __table_args__ = (
        Index("ix_stock_balances_quantity", "warehouse_id", "quantity"),  # in stock, below zero
        Index("ix_stock_balances_minimum", "warehouse_id", sqlite_where=text("minimum > 0"),
              postgresql_where=text("minimum > 0")),  # those with a minimum set, a few
    )

    warehouse_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("warehouses.id"), primary_key=True)
    product_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"))
    quantity: Mapped[int] = mapped_column(BigInteger, default=0)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
    unit_cost: Mapped[int] = mapped_column(BigInteger, default=0)
    minimum: Mapped[int] = mapped_column(BigInteger, default=0)  # alert below this; 0: no alert
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
