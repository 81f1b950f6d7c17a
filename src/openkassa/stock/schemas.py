"""Validated input of the stock domain, shared by the HTML forms, the JSON API and the imports.

Quantities are integer thousandths (1500 is 1.5 kg or one and a half pieces), money integer kopecks,
as in the rest of the API. Whether the products, warehouses and supplier named are the account's is
checked by the service, which knows the account."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, EmailStr, Field, StringConstraints

from openkassa.catalog.schemas import Kopecks
from openkassa.inputs import Strict, check_inn, multi_line, single_line

MAX_QUANTITY = 10**12
"""A billion units, in thousandths: more than any shop keeps of one product."""
MAX_LINES = 200_000
"""Lines one document may hold: an inventory count of a hypermarket's whole range."""

Quantity = Annotated[int, Field(ge=0, le=MAX_QUANTITY, description="Thousandths of the product's unit: 1500 is 1.5.")]


class LineIn(Strict):
    """A product's line: how much (received, written off, counted, transferred) and, on a receipt of
    goods, the purchase price of a unit."""

    product_id: uuid.UUID
    quantity: Quantity
    price: Kopecks = 0


class DocumentIn(Strict):
    """A stock document's header and lines (a draft's whole content: saving replaces it). What each
    kind needs (a transfer's target, a write-off's reason, a receipt's supplier and prices) is
    checked by the service with the rest of the document's rules."""

    kind: Literal["receipt", "write_off", "count", "transfer"]
    warehouse_id: uuid.UUID
    target_warehouse_id: uuid.UUID | None = None
    supplier_id: uuid.UUID | None = None
    supplier_reference: single_line(64, required=False) = ""  # type: ignore[valid-type]
    reason: Literal["", "spoilage", "loss", "own_use", "other"] = ""
    comment: multi_line(2000) = ""  # type: ignore[valid-type]
    dated_at: AwareDatetime | None = None  # None: now
    lines: Annotated[list[LineIn], Field(max_length=MAX_LINES)] = []


def _optional_inn(value: str) -> str:
    return check_inn(value) if value else ""


class SupplierIn(Strict):
    """A supplier's card; the INN may be left empty (a market seller has none to give)."""

    name: single_line(200)  # type: ignore[valid-type]
    inn: Annotated[str, StringConstraints(strip_whitespace=True, max_length=20), AfterValidator(_optional_inn)] = ""
    kpp: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^(\d{9})?$")] = ""
    contact: single_line(200, required=False) = ""  # type: ignore[valid-type]
    phone: single_line(32, required=False) = ""  # type: ignore[valid-type]
    email: Annotated[EmailStr, AfterValidator(str.lower), Field(max_length=254)] | Literal[""] = ""
    address: single_line(500, required=False) = ""  # type: ignore[valid-type]
    comment: multi_line(2000) = ""  # type: ignore[valid-type]


class WarehouseIn(Strict):
    name: single_line(128)  # type: ignore[valid-type]

