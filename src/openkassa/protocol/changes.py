"""The changes stream: `GET /api/device/v1/changes?since=REVISION` answers NDJSON, one line each.

A register keeps the revision of the last stream it applied and asks for what changed after it
(0 the first time: everything). The stream is read from one snapshot of the server's data:

    {"type": "begin", "since": 120, "revision": 135}
    {"type": "point", ...}            the point's settings, when they changed
    {"type": "hot_keys", ...}         the whole grid, when it changed
    {"type": "cashier", ...}          each cashier that changed (`active: false`: remove it)
    {"type": "deleted", ...}          each product or group deleted
    {"type": "group", ...}            each group that changed, parents before children
    {"type": "product", ...}          each product that changed, with all its barcodes
    {"type": "end", "revision": 135, "lines": 42}

A register applies a stream only once it has read its `end` (a cut stream is asked for again,
from the same revision) and then keeps `revision`. Deletions come before the groups and products
that may take a deleted one's name or barcode; a product's barcodes replace all it had.

Money is integer kopecks and quantities integer thousandths, as in `fiscal`: both ends are ours,
and nothing is rounded on the way. VAT, unit and kind are the ФФД codes (tags 1199, 2108, 1212).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter


class _Line(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Begin(_Line):
    type: Literal["begin"] = "begin"
    since: int
    revision: int  # what the register keeps once it has applied the stream


class PointLine(_Line):
    """The point's settings a register works by."""

    type: Literal["point"] = "point"
    id: uuid.UUID
    catalog_id: uuid.UUID  # another than the register has: it drops its catalog and asks again from 0
    name: str
    address: str
    inn: str
    timezone: str
    tax_systems: list[int]
    default_tax_system: int
    rounding: int  # kopecks: 0, 10, 50 or 100, in the buyer's favour
    receipt_header: str
    receipt_footer: str
    carry_over_cash: bool
    allow_deferred_receipts: bool
    allow_price_change: bool
    allow_return_without_receipt: bool
    allow_free_price_sale: bool
    pay_bonus_card: bool
    pay_gift_certificate: bool
    pay_advance: bool
    allow_partial_payment: bool
    allow_credit: bool
    revision: int


class HotKey(_Line):
    position: int  # 0-based, row by row
    product_id: uuid.UUID


class HotKeysLine(_Line):
    """The point's whole hot-key grid: it replaces the one the register has."""

    type: Literal["hot_keys"] = "hot_keys"
    keys: list[HotKey]


class CashierLine(_Line):
    """A cashier of the point. `active` false: archived, or no longer at this point; remove them."""

    type: Literal["cashier"] = "cashier"
    id: uuid.UUID
    name: str
    inn: str
    pin_hash: str  # argon2: the register checks a PIN offline
    can_return: bool
    can_discount: bool
    can_change_price: bool
    can_cash_drawer: bool
    can_close_shift: bool
    active: bool
    revision: int


class DeletedLine(_Line):
    type: Literal["deleted"] = "deleted"
    kind: Literal["product", "group"]
    id: uuid.UUID
    revision: int


class GroupLine(_Line):
    type: Literal["group"] = "group"
    id: uuid.UUID
    parent_id: uuid.UUID | None
    name: str
    revision: int


class ProductLine(_Line):
    type: Literal["product"] = "product"
    id: uuid.UUID
    group_id: uuid.UUID | None
    name: str
    short_name: str
    article: str
    code: str
    barcodes: list[str]
    price: int  # kopecks
    min_price: int
    cost_price: int
    vat: int
    unit: int
    kind: int
    by_weight: bool
    free_price: bool
    archived: bool
    from_register: bool
    revision: int


class End(_Line):
    type: Literal["end"] = "end"
    revision: int
    lines: int  # between begin and end: a register that counted fewer read a cut stream


Line = Annotated[Begin | PointLine | HotKeysLine | CashierLine | DeletedLine | GroupLine | ProductLine | End,
                 Field(discriminator="type")]
LINE = TypeAdapter(Line)
"""Reads one line of the stream: `LINE.validate_json(text)`."""

MEDIA_TYPE = "application/x-ndjson"
