"""Validated input of the catalog domain, shared by the HTML forms, the JSON API and the import."""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, Field, model_validator

from openkassa.catalog import barcodes
from openkassa.fiscal.enums import ItemType, Unit, VatRate
from openkassa.i18n import _
from openkassa.inputs import Strict, single_line
from openkassa.money import MAX_KOPECKS

MAX_BARCODES = 20
WEIGHT_UNITS = frozenset({Unit.GRAM, Unit.KILOGRAM, Unit.TONNE})

Kopecks = Annotated[int, Field(ge=0, le=MAX_KOPECKS, description="An amount in kopecks, an integer: 19990 is 199.90 ₽.")]


def _barcodes(values: list[str]) -> list[str]:
    codes = [barcodes.normalize(value) for value in values]
    for code in codes:
        if codes.count(code) > 1:
            raise ValueError(_("Barcode {code} is given twice.").format(code=code))
    return codes


class ProductIn(Strict):
    """A product card as a person fills it in (every field: a new card or a whole edit)."""

    name: single_line(128)
    short_name: single_line(64, required=False) = ""
    article: single_line(64, required=False) = ""
    code: single_line(64, required=False) = ""
    barcodes: Annotated[list[str], Field(max_length=MAX_BARCODES), AfterValidator(_barcodes)] = []
    price: Kopecks = 0
    min_price: Kopecks = 0
    cost_price: Kopecks = 0
    vat: VatRate = VatRate.NO_VAT
    unit: Unit = Unit.PIECE
    kind: ItemType = ItemType.GOODS
    group_id: uuid.UUID | None = None
    by_weight: bool = False
    free_price: bool = False
    archived: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> ProductIn:
        if self.min_price > self.price and not self.free_price:
            raise ValueError(_("The minimum price cannot be above the price."))
        if self.by_weight and self.unit not in WEIGHT_UNITS:
            raise ValueError(_("A product sold by weight is measured in grams, kilograms or tonnes."))
        return self


class ProductChange(Strict):
    """Some fields of a card (an in-place price edit, the JSON PATCH); the rest stays as it is."""

    name: single_line(128) | None = None
    short_name: single_line(64, required=False) | None = None
    article: single_line(64, required=False) | None = None
    code: single_line(64, required=False) | None = None
    barcodes: Annotated[list[str], Field(max_length=MAX_BARCODES), AfterValidator(_barcodes)] | None = None
    price: Kopecks | None = None
    min_price: Kopecks | None = None
    cost_price: Kopecks | None = None
    vat: VatRate | None = None
    unit: Unit | None = None
    kind: ItemType | None = None
    group_id: uuid.UUID | None = None
    by_weight: bool | None = None
    free_price: bool | None = None
    archived: bool | None = None


def _group_name(name: str) -> str:
    if "/" in name:
        raise ValueError(_("A group's name cannot hold «/»: files write a group's path with it (Dairy/Cheese)."))
    return name


class GroupIn(Strict):
    name: Annotated[single_line(128), AfterValidator(_group_name)]
    parent_id: uuid.UUID | None = None


class SortKey(StrEnum):
    """The columns a product list sorts by (each served by an index at a million products)."""

    NAME = "name"
    PRICE = "price"
    ARTICLE = "article"
    CODE = "code"
    UPDATED = "updated"


class BulkAction(StrEnum):
    MOVE = "move"  # to a group (or out of all groups)
    VAT = "vat"
    ARCHIVE = "archive"
    RESTORE = "restore"
    DELETE = "delete"


class BulkIn(Strict):
    """The same change to many products at once."""

    action: BulkAction
    product_ids: Annotated[list[uuid.UUID], Field(min_length=1, max_length=10_000)]
    group_id: uuid.UUID | None = None  # for MOVE; None takes the products out of their group
    vat: VatRate | None = None  # for VAT

    @model_validator(mode="after")
    def _argument(self) -> BulkIn:
        if self.action is BulkAction.VAT and self.vat is None:
            raise ValueError(_("Choose the VAT rate."))
        return self
