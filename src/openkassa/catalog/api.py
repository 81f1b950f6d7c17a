"""JSON API of the catalog domain (`/api/v1/catalogs/{catalog_id}/…`): products, groups, bulk changes
and the changes since a revision.

A catalog is addressed by its own id, because several points may share one; a point's catalog is the
`catalog_id` of `/api/v1/points/{point_id}`.

Money (`price`, `min_price`, `cost_price`) is decimal roubles at this edge and integer kopecks behind it
(DESIGN.md: never float):
- answers carry it as a JSON string with exactly two places and a point: `"199.90"`, `"0.00"` — exact
  for every client, whatever its JSON library does with numbers;
- requests may send a string (`"199.90"`, `"199.9"`, `"200"`) or a JSON number (`199.9`, `200`): at most two
  places, not negative, at most 10 000 000 000. A JSON number is read from its own digits as a Decimal
  (`_ExactJsonRoute`), never through a float, so `199.999999999999999999` is refused rather than rounded;
- everything else is refused with a field error naming the field, as any other bad input.
The routes turn roubles into kopecks (`openkassa.money`) and hand the domain its own `ProductIn` /
`ProductChange`, which stay in kopecks for the web forms and the import.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Coroutine
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field, create_model

from openkassa.accounts.deps import ApiActor
from openkassa.credentials.scopes import Scope, key_access
from openkassa.catalog import imports, service
from openkassa.catalog.models import CatalogTombstone, ProductGroup
from openkassa.catalog.schemas import BulkIn, GroupIn, ProductChange, ProductIn, SortKey
from openkassa.catalog.service import GroupNode, ProductCard
from openkassa.errors import Invalid, NotFound, validate
from openkassa.fiscal.enums import ItemType, Unit, VatRate
from openkassa.inputs import Strict
from openkassa.money import ROUBLES_IN, ROUBLES_OUT, Roubles, RoublesOut, to_kopecks, to_roubles
from openkassa.web.deps import DbSession

M = TypeVar("M", bound=BaseModel)


# --- money at the edge ----------------------------------------------------------------------------


class _ExactJsonRequest(Request):
    """A request whose JSON numbers with a fraction or an exponent are read as Decimal, from their digits.

    Python's json (which FastAPI uses) and pydantic's own JSON parser both read 199.9 as a float; a float
    holds neither 0.1 nor 199.999999999999999999 exactly, so money sent as a number could be rounded
    unseen. Integers stay int; `NaN` and `Infinity` stay floats and are refused as not an amount.
    """

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = json.loads(await self.body(), parse_float=Decimal)
        return self._json


class _ExactJsonRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def exact(request: Request) -> Response:
            return await handler(_ExactJsonRequest(request.scope, request.receive))

        return exact


router = APIRouter(prefix="/api/v1/catalogs/{catalog_id}", tags=["catalog"], route_class=_ExactJsonRoute,
                   dependencies=[key_access(read=Scope.CATALOG_READ, write=Scope.CATALOG_WRITE)])

MONEY_FIELDS = ("price", "min_price", "cost_price")


def _in_roubles(model: type[BaseModel], name: str, doc: str) -> type[Strict]:
    """The API's twin of a domain input model: the same fields and field checks, but money in roubles.

    Built from the model's own fields, so a field added to the card reaches the API without a second list.
    Checks across fields (a minimum price above the price) run in `_in_kopecks`, on the domain model.
    """
    fields: dict[str, Any] = {}
    for field_name, info in model.model_fields.items():
        if field_name not in MONEY_FIELDS:
            fields[field_name] = (info.annotation, info)
        else:  # on a change the amount may be left out (None), but `null` is no amount
            default = None if info.default is None else Decimal("0.00")
            fields[field_name] = (Roubles, Field(default=default, description=ROUBLES_IN))
    return create_model(name, __base__=Strict, __doc__=doc, __module__=__name__, **fields)


ProductCardIn = _in_roubles(ProductIn, "ProductCardIn", "A whole product card; money in roubles.")
ProductChangeIn = _in_roubles(ProductChange, "ProductChangeIn", "Some fields of a product card; money in roubles.")


def _in_kopecks(data: BaseModel, model: type[M]) -> M:
    """The domain's input from the API's: the fields sent, money turned into kopecks, checked again as the
    domain checks it (a minimum price above the price is refused here, under `__all__`)."""
    sent = data.model_dump(exclude_unset=True)
    for name in MONEY_FIELDS:
        if sent.get(name) is not None:
            sent[name] = to_kopecks(sent[name])
    return validate(model, sent)


class ProductOut(BaseModel):
    """A product card. Money is roubles as a string ("199.90"); `vat`, `unit` and `kind` are ФФД 1.2 codes
    (1199, 2108, 1212)."""

    id: uuid.UUID
    name: str = Field(description="As printed on the receipt (1030), at most 128 characters.")
    short_name: str
    article: str
    code: str = Field(description="The shop's internal code, unique in the catalog; empty when none.")
    barcodes: list[str]
    price: RoublesOut = Field(description=ROUBLES_OUT)
    min_price: RoublesOut = Field(description="The lowest price a cashier may type at the till. " + ROUBLES_OUT)
    cost_price: RoublesOut = Field(description="The purchase price. " + ROUBLES_OUT)
    vat: VatRate = Field(description="The VAT rate as the code of tag 1199 (6 is without VAT).")
    vat_label: str
    unit: Unit = Field(description="The unit as the code of tag 2108 (0 is pieces, 11 kilograms).")
    unit_label: str
    kind: ItemType = Field(description="What is sold, as the code of tag 1212 (1 goods, 4 a service).")
    kind_label: str
    group_id: uuid.UUID | None
    by_weight: bool
    free_price: bool = Field(description="The cashier may type another price at the till.")
    archived: bool
    from_register: bool = Field(description="Made by a cashier at the till and not yet edited by a person.")
    revision: int = Field(description="The account's revision when the card last changed.")
    updated_at: datetime

    @classmethod
    def of(cls, card: ProductCard) -> ProductOut:
        product = card.product
        vat, unit, kind = VatRate(product.vat), Unit(product.unit), ItemType(product.kind)
        return cls(
            id=product.id, name=product.name, short_name=product.short_name, article=product.article,
            code=product.code, barcodes=card.barcodes, price=to_roubles(product.price),
            min_price=to_roubles(product.min_price), cost_price=to_roubles(product.cost_price),
            vat=vat, vat_label=vat.label, unit=unit, unit_label=unit.label, kind=kind, kind_label=kind.label, group_id=product.group_id,
            by_weight=product.by_weight, free_price=product.free_price, archived=product.archived,
            from_register=product.from_register, revision=product.revision, updated_at=product.updated_at,
        )


class ProductPageOut(BaseModel):
    items: list[ProductOut]
    next_cursor: str | None = Field(description="Pass it as `cursor` for the next page; null on the last page.")


class GroupOut(BaseModel):
    id: uuid.UUID
    parent_id: uuid.UUID | None
    name: str
    revision: int

    @classmethod
    def of(cls, group: ProductGroup) -> GroupOut:
        return cls(id=group.id, parent_id=group.parent_id, name=group.name, revision=group.revision)


class GroupTreeOut(BaseModel):
    """A group with its subgroups, each level by name."""

    id: uuid.UUID
    name: str
    children: list[GroupTreeOut]

    @classmethod
    def of(cls, node: GroupNode) -> GroupTreeOut:
        return cls(id=node.id, name=node.name, children=[cls.of(child) for child in node.children])


class GroupRename(Strict):
    """A group's new name (at most 128 characters, unique among its sisters)."""

    name: str


class BulkOut(BaseModel):
    changed: int = Field(description="How many products of the catalog the change touched.")


class UpsertIn(Strict):
    """Whole product cards, each with its internal `code`, by which it is found or created."""

    products: Annotated[list[ProductCardIn], Field(min_length=1, max_length=imports.MAX_UPSERT)]


class UpsertedOut(BaseModel):
    code: str
    id: uuid.UUID
    outcome: Literal["new", "changed", "unchanged"]


class UpsertOut(BaseModel):
    created: int
    updated: int
    unchanged: int
    products: list[UpsertedOut] = Field(description="Each card's product and what happened to it, in the order sent.")


class DeletedOut(BaseModel):
    kind: Literal["product", "group"]
    id: uuid.UUID

    @classmethod
    def of(cls, tombstone: CatalogTombstone) -> DeletedOut:
        return cls(kind=tombstone.kind, id=tombstone.object_id)


class ChangesOut(BaseModel):
    revision: int = Field(description="The catalog's newest revision: pass it as `since` next time.")
    products: list[ProductOut] = Field(description="Products created or changed after `since`, by revision.")
    groups: list[GroupOut] = Field(description="Groups created or renamed after `since`.")
    deleted: list[DeletedOut] = Field(description="Products and groups deleted after `since`.")


CatalogId = Annotated[uuid.UUID, Path(description="The catalog's id (a point's `catalog_id`).")]
_ARCHIVED = {"false": False, "true": True, "all": None}


# --- products -----------------------------------------------------------------------------------


@router.get("/products")
def list_products(
    db: DbSession,
    actor: ApiActor,
    catalog_id: CatalogId,
    q: Annotated[str, Query(max_length=200, description="Words of the name, article or code, or a barcode's start.")] = "",
    group_id: Annotated[uuid.UUID | None, Query(description="Only the products right in this group.")] = None,
    archived: Annotated[Literal["false", "true", "all"], Query(description="On sale, archived, or all.")] = "false",
    sort: SortKey = SortKey.NAME,
    desc: bool = False,
    cursor: Annotated[str | None, Query(description="The `next_cursor` of the previous page.")] = None,
    limit: Annotated[int, Query(ge=1, le=service.MAX_PAGE_SIZE)] = service.PAGE_SIZE,
) -> ProductPageOut:
    """A page of the catalog's products, found by what was typed, sorted by a column; prices in roubles."""
    page = service.list_products(db, actor, catalog_id, search_text=q, group_id=group_id, archived=_ARCHIVED[archived],
                                 sort=sort, descending=desc, cursor=cursor, limit=limit)
    return ProductPageOut(items=[ProductOut.of(card) for card in page.cards], next_cursor=page.next_cursor)


@router.post("/products", status_code=201)
def create_product(db: DbSession, actor: ApiActor, catalog_id: CatalogId, data: ProductCardIn) -> ProductOut:
    """Create a product card; `price`, `min_price` and `cost_price` are roubles ("199.90" or 199.9)."""
    return ProductOut.of(service.create_product(db, actor, catalog_id, _in_kopecks(data, ProductIn)))


@router.post("/products/upsert")
def upsert_products(db: DbSession, actor: ApiActor, catalog_id: CatalogId, data: UpsertIn) -> UpsertOut:
    """Create or replace up to 10,000 whole cards by their internal `code`, all or none; sending the
    same request again changes nothing. A code or barcode given twice, or a barcode of another
    product, is refused on `products.<index>.<field>`; "row N" in a message is the N-th card, from 1."""
    cards = []
    for index, card in enumerate(data.products):
        try:
            cards.append(_in_kopecks(card, ProductIn))
        except Invalid as error:  # a rule across fields: on this card's field
            raise Invalid(fields={f"products.{index}.{field}": message for field, message in error.fields.items()}) from None
    done = imports.upsert(db, actor, catalog_id, cards)
    outcomes = [item.outcome for item in done]
    return UpsertOut(created=outcomes.count("new"), updated=outcomes.count("changed"), unchanged=outcomes.count("unchanged"),
                     products=[UpsertedOut(code=item.code, id=item.product_id, outcome=item.outcome) for item in done])


@router.post("/products/bulk")
def bulk_change(db: DbSession, actor: ApiActor, catalog_id: CatalogId, data: BulkIn) -> BulkOut:
    """Move products to a group, set their VAT, archive, restore or delete them; ids of other catalogs are skipped."""
    return BulkOut(changed=service.bulk_change(db, actor, catalog_id, data))


@router.get("/products/by-barcode/{code:path}")
def find_by_barcode(
    db: DbSession, actor: ApiActor, catalog_id: CatalogId,
    code: Annotated[str, Path(pattern=r"^[\x21-\x7e]{1,64}$", description="The whole barcode, as scanned.")],
) -> ProductOut:
    """The product with this barcode, as the register finds it when a code is scanned."""
    card = service.find_by_barcode(db, actor, catalog_id, code)
    if card is None:
        raise NotFound()
    return ProductOut.of(card)


@router.get("/products/{product_id}")
def get_product(db: DbSession, actor: ApiActor, catalog_id: CatalogId, product_id: uuid.UUID) -> ProductOut:
    return ProductOut.of(service.get_product(db, actor, catalog_id, product_id))


@router.put("/products/{product_id}")
def replace_product(db: DbSession, actor: ApiActor, catalog_id: CatalogId, product_id: uuid.UUID,
                    data: ProductCardIn) -> ProductOut:
    """Replace the whole card (fields left out take their defaults); money in roubles."""
    return ProductOut.of(service.update_product(db, actor, catalog_id, product_id, _in_kopecks(data, ProductIn)))


@router.patch("/products/{product_id}")
def change_product(db: DbSession, actor: ApiActor, catalog_id: CatalogId, product_id: uuid.UUID,
                   data: ProductChangeIn) -> ProductOut:
    """Change the fields given (`"group_id": null` takes the product out of its group); money in roubles."""
    return ProductOut.of(service.update_product(db, actor, catalog_id, product_id, _in_kopecks(data, ProductChange)))


@router.delete("/products/{product_id}", status_code=204)
def delete_product(db: DbSession, actor: ApiActor, catalog_id: CatalogId, product_id: uuid.UUID) -> None:
    """Delete a product with its barcodes and hot keys; registers learn it from the changes."""
    if not service.delete_products(db, actor, catalog_id, [product_id]):
        raise NotFound()


# --- groups -------------------------------------------------------------------------------------


@router.get("/groups")
def list_groups(db: DbSession, actor: ApiActor, catalog_id: CatalogId) -> list[GroupTreeOut]:
    """The catalog's groups as a tree."""
    return [GroupTreeOut.of(node) for node in service.list_groups(db, actor, catalog_id)]


@router.post("/groups", status_code=201)
def create_group(db: DbSession, actor: ApiActor, catalog_id: CatalogId, data: GroupIn) -> GroupOut:
    """Create a group, at the top or inside `parent_id`."""
    return GroupOut.of(service.create_group(db, actor, catalog_id, data))


@router.patch("/groups/{group_id}")
def rename_group(db: DbSession, actor: ApiActor, catalog_id: CatalogId, group_id: uuid.UUID,
                 data: GroupRename) -> GroupOut:
    return GroupOut.of(service.rename_group(db, actor, catalog_id, group_id, data.name))


@router.delete("/groups/{group_id}", status_code=204)
def delete_group(db: DbSession, actor: ApiActor, catalog_id: CatalogId, group_id: uuid.UUID) -> None:
    """Delete a group and its subgroups; their products stay in the catalog, out of any group."""
    service.delete_group(db, actor, catalog_id, group_id)


# --- changes ------------------------------------------------------------------------------------


@router.get("/changes")
def changes_since(db: DbSession, actor: ApiActor, catalog_id: CatalogId,
                  since: Annotated[int, Query(ge=0, description="The `revision` of the previous answer; 0 for all.")] = 0,
                  ) -> ChangesOut:
    """What changed in the catalog after revision `since`: products and groups to keep, and what to delete."""
    changes = service.changed_since(db, service.get_catalog(db, actor, catalog_id).id, since)
    return ChangesOut(
        revision=changes.revision, products=[ProductOut.of(card) for card in changes.cards],
        groups=[GroupOut.of(group) for group in changes.groups], deleted=[DeletedOut.of(t) for t in changes.tombstones],
    )
