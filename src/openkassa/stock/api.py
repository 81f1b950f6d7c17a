"""JSON API of stock (`/api/v1/stock/...`): warehouses and the points they serve, suppliers, stock
documents, balances and the movement ledger.

- `PUT /points/{point_id}` with `{"warehouse_id": null}` switches a point's stock accounting on with
  a new warehouse named after it (or `{"warehouse_id": "…"}`: one of the account's warehouses);
  `DELETE /points/{point_id}` switches it off (the warehouse and its history stay).
- Documents (`kind`: `receipt`, `write_off`, `count`, `transfer`) are made as drafts (`POST
  /documents`, 201), replaced whole (`PUT`), filled a product at a time (`POST /documents/{id}/lines`
  with a `barcode` or a `product_id`: a product already there gets `quantity` more), deleted while
  drafts, then posted (`POST …/post`: every movement at once or none) and perhaps cancelled (`POST
  …/cancel`: the reverse movements written). Posting twice, cancelling a draft, or editing a posted
  document answers 409. The answers to changes carry the document's header; `GET /documents/{id}`
  adds its lines.
- `GET /balances?warehouse_id=…` pages a warehouse's stock by product name (`only`: `in_stock`,
  `negative`, `low`), `GET /movements?start=…&end=…` the ledger in its order.

Quantities are integer thousandths of the product's unit, as in the domain (`1500` is 1.5 kg or one
and a half pieces): a JSON integer, never a string or a fraction. Money is decimal roubles, as in the
catalog's and the statistics' APIs: answers carry a string with two places and a point (`"89.90"`;
values at cost and a count's total may be negative, `"-20.00"`); a receipt's purchase `price` may be
sent as a string (`"89.90"`) or a JSON number (`89.9`), read from its digits, never through a float.

Bad input answers 422 with `{"error": {"code": "invalid", "message", "fields"}}`; a document's line is
named by its row from 1, as the service names it: `lines.2` (the service's rules: another account's
product, a service, a product twice) or `lines.2.quantity` (the line's shape: a negative or
non-numeric quantity), with the message starting "Row 2:". Nothing is written then. Another
account's document, warehouse, supplier or point answers 404; a role that may only look, 403; a plan
without the warehouse, 402 `plan_limit`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Coroutine
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import AwareDatetime, BaseModel, BeforeValidator, Field, WithJsonSchema, create_model

from openkassa.accounts.deps import ApiActor
from openkassa.credentials.scopes import Scope, key_access
from openkassa.errors import Invalid, NotFound, message_for
from openkassa.i18n import _
from openkassa.inputs import Strict
from openkassa.money import ROUBLES_IN, ROUBLES_OUT, Roubles, RoublesOut, to_kopecks, to_roubles
from openkassa.stock import service
from openkassa.stock.models import MOVEMENT_KINDS, Movement, StockDocument, StockLine, Supplier, Warehouse
from openkassa.stock.schemas import MAX_LINES, DocumentIn, LineIn, Quantity, SupplierIn, WarehouseIn
from openkassa.stock.service import BalanceRow
from openkassa.web.deps import DbSession

# --- the edge: exact numbers, rows from 1 ----------------------------------------------------------------


class _ExactJsonRequest(Request):
    """A request whose JSON numbers with a fraction are read as Decimal, from their digits (see the
    catalog's API): a price of 89.9 is 89.90, never the float nearest to it."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = json.loads(await self.body(), parse_float=Decimal)
        return self._json


def _invalid(error: RequestValidationError) -> Exception:
    """The app's answer to a request's shape, but a document line named by its row from 1 ("lines.2.quantity",
    "Row 2: …"), as the service names the rows it refuses."""
    fields: dict[str, str] = {}
    for item in error.errors():
        where, loc = item["loc"][:1], list(item["loc"][1:])
        if where == ("path",):
            return NotFound()  # /documents/not-an-id names nothing that exists
        message = message_for(item)
        if item["type"] == "json_invalid":
            loc = []
        elif len(loc) >= 2 and loc[0] == "lines" and isinstance(loc[1], int):
            loc[1] += 1
            message = _("Row {row}: {problem}").format(row=loc[1], problem=message)
        fields.setdefault(".".join(str(part) for part in loc) or "__all__", message)
    return Invalid(fields=fields)


class _StockRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(_ExactJsonRequest(request.scope, request.receive))
            except RequestValidationError as error:
                raise _invalid(error) from None

        return route


router = APIRouter(prefix="/api/v1/stock", tags=["stock"], route_class=_StockRoute,
                   dependencies=[key_access(read=Scope.STOCK_READ, write=Scope.STOCK_WRITE)])


def _whole(value: object) -> object:
    if isinstance(value, (Decimal, float)):
        raise ValueError(_("Quantities are whole thousandths of the unit: 1500 is 1.5."))
    return value


Thousandths = Annotated[Quantity, Field(strict=True), BeforeValidator(_whole)]
"""A quantity as the API takes it: a JSON integer of thousandths, not negative (no string, no fraction,
no `true`)."""
SignedRoubles = Annotated[
    Decimal,
    WithJsonSchema({"type": "string", "pattern": r"^-?[0-9]+\.[0-9]{2}$", "examples": ["-20.00"]}, mode="serialization"),
]
VALUE_OUT = "At cost (the moving average), signed. " + ROUBLES_OUT


# --- input ---------------------------------------------------------------------------------------------


class LineApiIn(Strict):
    """A product's line; a receipt's purchase `price` of a unit in roubles."""

    product_id: uuid.UUID
    quantity: Thousandths
    price: Roubles = Field(default=Decimal("0.00"), description=ROUBLES_IN)


DocumentApiIn = create_model(
    "DocumentApiIn", __base__=Strict, __module__=__name__,
    __doc__="A stock document's header and lines (a draft's whole content: saving replaces it); prices in roubles.",
    **{name: (info.annotation, info) for name, info in DocumentIn.model_fields.items() if name != "lines"},
    lines=(Annotated[list[LineApiIn], Field(max_length=MAX_LINES)], []),
)


def _document_in(data: BaseModel) -> DocumentIn:
    """The domain's document from the API's: prices in kopecks. The lines were checked by the same rules
    (`LineIn`'s, plus a whole quantity), so they are built without checking them again."""
    header = data.model_dump(exclude={"lines"}, exclude_unset=True)
    lines = [LineIn.model_construct(product_id=line.product_id, quantity=line.quantity, price=to_kopecks(line.price))
             for line in data.lines]
    return DocumentIn(**header, lines=lines)


class AddLineIn(Strict):
    """A product for a draft, by its `barcode` (typed or scanned) or its `product_id`."""

    barcode: str = Field(default="", max_length=64)
    product_id: uuid.UUID | None = None
    quantity: Annotated[int, Field(strict=True), BeforeValidator(_whole)] = Field(
        default=1000, description="Thousandths to add: 1000 is one piece (each scan of a count adds one).")
    price: Roubles | None = Field(default=None, description="A receipt's purchase price of a unit. " + ROUBLES_IN)


class StockPointIn(Strict):
    warehouse_id: uuid.UUID | None = Field(default=None, description="null: a new warehouse named after the point.")


# --- answers -------------------------------------------------------------------------------------------


class WarehouseOut(BaseModel):
    id: uuid.UUID
    name: str
    archived: bool
    created_at: datetime

    @classmethod
    def of(cls, warehouse: Warehouse) -> WarehouseOut:
        return cls(id=warehouse.id, name=warehouse.name, archived=warehouse.archived, created_at=warehouse.created_at)


class StockPointOut(BaseModel):
    point_id: uuid.UUID
    warehouse: WarehouseOut = Field(description="The warehouse whose goods the point's sales move.")


class SupplierOut(BaseModel):
    id: uuid.UUID
    name: str
    inn: str
    kpp: str
    contact: str
    phone: str
    email: str
    address: str
    comment: str
    archived: bool
    created_at: datetime

    @classmethod
    def of(cls, supplier: Supplier) -> SupplierOut:
        return cls(id=supplier.id, name=supplier.name, inn=supplier.inn, kpp=supplier.kpp, contact=supplier.contact,
                   phone=supplier.phone, email=supplier.email, address=supplier.address, comment=supplier.comment,
                   archived=supplier.archived, created_at=supplier.created_at)


class DocumentOut(BaseModel):
    """A stock document's header."""

    id: uuid.UUID
    kind: str  # receipt, write_off, count, transfer
    number: int = Field(description="Counts each kind's documents of the account from 1.")
    status: str  # draft, posted, cancelled
    warehouse_id: uuid.UUID
    target_warehouse_id: uuid.UUID | None
    supplier_id: uuid.UUID | None
    supplier_reference: str
    reason: str
    comment: str
    dated_at: datetime
    author_id: uuid.UUID | None
    lines_count: int
    total: SignedRoubles = Field(description="A receipt's purchase sum; once posted, a write-off's or transfer's value "
                                             "at cost, a count's difference (a shortage takes away). " + ROUBLES_OUT)
    created_at: datetime
    posted_at: datetime | None
    cancelled_at: datetime | None

    @classmethod
    def of(cls, document: StockDocument) -> DocumentOut:
        return cls(**cls._fields_of(document))

    @staticmethod
    def _fields_of(document: StockDocument) -> dict:
        return dict(id=document.id, kind=document.kind, number=document.number, status=document.status,
                    warehouse_id=document.warehouse_id, target_warehouse_id=document.target_warehouse_id,
                    supplier_id=document.supplier_id, supplier_reference=document.supplier_reference,
                    reason=document.reason, comment=document.comment, dated_at=document.dated_at,
                    author_id=document.author_id, lines_count=document.lines_count, total=to_roubles(document.total),
                    created_at=document.created_at, posted_at=document.posted_at, cancelled_at=document.cancelled_at)


class LineOut(BaseModel):
    row: int = Field(description="The line's place in the document, from 1 (as error messages name it).")
    product_id: uuid.UUID
    quantity: int = Field(description="Thousandths: received, written off, counted or transferred.")
    price: RoublesOut = Field(description="A receipt's purchase price of a unit. " + ROUBLES_OUT)
    book_quantity: int | None = Field(description="A posted count's: what the books held, in thousandths.")
    value: SignedRoubles = Field(description="Once posted: the line's value at cost (a count's: the difference). "
                                             + ROUBLES_OUT)

    @classmethod
    def of(cls, line: StockLine) -> LineOut:
        return cls(row=line.position + 1, product_id=line.product_id, quantity=line.quantity, price=to_roubles(line.price),
                   book_quantity=line.book_quantity, value=to_roubles(line.value))


class DocumentWithLinesOut(DocumentOut):
    lines: list[LineOut]


class DocumentPageOut(BaseModel):
    items: list[DocumentOut]
    next_cursor: str | None = Field(description="Pass it as `before` for the next page; null on the last page.")


class BalanceOut(BaseModel):
    product_id: uuid.UUID
    name: str
    code: str
    quantity: int = Field(description="Thousandths; below zero when more was sold than the books hold.")
    value: SignedRoubles = Field(description=VALUE_OUT)
    unit_cost: RoublesOut = Field(description="The moving-average cost of a unit. " + ROUBLES_OUT)
    minimum: int = Field(description="Thousandths below which the product is flagged; 0: never.")
    negative: bool
    low: bool = Field(description="Below the minimum set.")

    @classmethod
    def of(cls, row: BalanceRow) -> BalanceOut:
        return cls(product_id=row.product_id, name=row.name, code=row.code, quantity=row.quantity, value=to_roubles(row.value),
                   unit_cost=to_roubles(row.unit_cost), minimum=row.minimum, negative=row.negative, low=row.low)


class BalancePageOut(BaseModel):
    items: list[BalanceOut]
    next_cursor: str | None = Field(description="Pass it as `cursor` for the next page; null on the last page.")


class MovementOut(BaseModel):
    id: int = Field(description="The ledger's order.")
    warehouse_id: uuid.UUID
    product_id: uuid.UUID
    product_name: str | None = Field(description="null: the product was deleted from the catalog since.")
    kind: str = Field(description="What moved the goods: " + ", ".join(MOVEMENT_KINDS) + ".")
    quantity: int = Field(description="Thousandths, signed: in > 0, out < 0; 0 when value alone moved (a revaluation).")
    value: SignedRoubles = Field(description=VALUE_OUT)
    balance_after: int = Field(description="The warehouse's quantity of the product right after it, in thousandths.")
    moved_at: datetime
    document_id: uuid.UUID | None = Field(description="The stock document behind it, or null for a sale's.")
    document_kind: str | None
    document_number: int | None
    sale_id: uuid.UUID | None = Field(description="The fiscal document (a receipt, a correction) behind it.")
    reversal: bool = Field(description="Written when its document was cancelled.")

    @classmethod
    def of(cls, movement: Movement, page: service.MovementPage) -> MovementOut:
        document = page.documents.get(movement.document_id) if movement.document_id else None
        return cls(id=movement.id, warehouse_id=movement.warehouse_id, product_id=movement.product_id,
                   product_name=page.names.get(movement.product_id), kind=movement.kind, quantity=movement.quantity,
                   value=to_roubles(movement.value), balance_after=movement.balance_after, moved_at=movement.moved_at,
                   document_id=movement.document_id, document_kind=document.kind if document else None,
                   document_number=document.number if document else None, sale_id=movement.sale_id,
                   reversal=movement.reversal)


class MovementPageOut(BaseModel):
    items: list[MovementOut]
    next_cursor: int | None = Field(description="Pass it as `after` for the next page; null on the last page.")


# --- warehouses and points -----------------------------------------------------------------------------


@router.get("/warehouses")
def warehouses(db: DbSession, actor: ApiActor) -> list[WarehouseOut]:
    """The account's warehouses in use, by name."""
    return [WarehouseOut.of(warehouse) for warehouse in service.list_warehouses(db, actor)]


@router.post("/warehouses", status_code=201)
def create_warehouse(db: DbSession, actor: ApiActor, data: WarehouseIn) -> WarehouseOut:
    """A warehouse serving no point yet (a central store); a point's own is made by `PUT /points/{id}`."""
    return WarehouseOut.of(service.create_warehouse(db, actor, data))


@router.put("/points/{point_id}")
def enable_stock(db: DbSession, actor: ApiActor, point_id: uuid.UUID, data: StockPointIn) -> StockPointOut:
    """Switch a point's stock accounting on: its sales and returns move the warehouse's goods from now on.
    The first thing to do then is an inventory count."""
    warehouse = service.enable_stock(db, actor, point_id=point_id, warehouse_id=data.warehouse_id)
    return StockPointOut(point_id=point_id, warehouse=WarehouseOut.of(warehouse))


@router.delete("/points/{point_id}", status_code=204)
def disable_stock(db: DbSession, actor: ApiActor, point_id: uuid.UUID) -> None:
    """Switch a point's stock accounting off: its sales no longer move goods; the warehouse and its history stay."""
    service.disable_stock(db, actor, point_id=point_id)


# --- suppliers -----------------------------------------------------------------------------------------


@router.get("/suppliers")
def suppliers(db: DbSession, actor: ApiActor,
              search: Annotated[str, Query(max_length=200, description="A part of the name, or the INN's start.")] = "",
              archived: bool = False) -> list[SupplierOut]:
    """The account's suppliers by name (the archived ones with `archived=true`)."""
    return [SupplierOut.of(supplier) for supplier in service.list_suppliers(db, actor, search=search, archived=archived)]


@router.post("/suppliers", status_code=201)
def create_supplier(db: DbSession, actor: ApiActor, data: SupplierIn) -> SupplierOut:
    """A supplier's card; an INN another supplier of the account has is refused on `inn`."""
    return SupplierOut.of(service.create_supplier(db, actor, data))


@router.put("/suppliers/{supplier_id}")
def update_supplier(db: DbSession, actor: ApiActor, supplier_id: uuid.UUID, data: SupplierIn) -> SupplierOut:
    """Replace a supplier's card."""
    return SupplierOut.of(service.update_supplier(db, actor, supplier_id, data))


@router.post("/suppliers/{supplier_id}/archive")
def archive_supplier(db: DbSession, actor: ApiActor, supplier_id: uuid.UUID) -> SupplierOut:
    """Hide a supplier from the lists; its documents keep it."""
    return SupplierOut.of(service.set_supplier_archived(db, actor, supplier_id, True))


@router.post("/suppliers/{supplier_id}/restore")
def restore_supplier(db: DbSession, actor: ApiActor, supplier_id: uuid.UUID) -> SupplierOut:
    return SupplierOut.of(service.set_supplier_archived(db, actor, supplier_id, False))


# --- documents -----------------------------------------------------------------------------------------


@router.get("/documents")
def documents(
    db: DbSession, actor: ApiActor,
    kind: Literal["receipt", "write_off", "count", "transfer"] | None = None,
    status: Literal["draft", "posted", "cancelled"] | None = None,
    warehouse_id: Annotated[uuid.UUID | None, Query(description="From or to this warehouse.")] = None,
    before: Annotated[str | None, Query(max_length=200, description="The `next_cursor` of the previous page.")] = None,
) -> DocumentPageOut:
    """The account's stock documents, newest first, 50 a page (headers only)."""
    page = service.list_documents(db, actor, kind=kind, status=status, warehouse_id=warehouse_id, before=before)
    return DocumentPageOut(items=[DocumentOut.of(document) for document in page.documents], next_cursor=page.next_cursor)


@router.post("/documents", status_code=201)
def create_document(db: DbSession, actor: ApiActor, data: DocumentApiIn,  # type: ignore[valid-type]
                    response: Response) -> DocumentOut:
    """A new draft, numbered next among the account's documents of its kind (its lines at `Location`)."""
    document = service.create_document(db, actor, _document_in(data))
    response.headers["Location"] = f"/api/v1/stock/documents/{document.id}"
    return DocumentOut.of(document)


@router.get("/documents/{document_id}")
def document(db: DbSession, actor: ApiActor, document_id: uuid.UUID) -> DocumentWithLinesOut:
    """A document with its lines, in their order."""
    found, lines = service.get_document(db, actor, document_id)
    return DocumentWithLinesOut(**DocumentOut._fields_of(found), lines=[LineOut.of(line) for line in lines])


@router.put("/documents/{document_id}")
def update_document(db: DbSession, actor: ApiActor, document_id: uuid.UUID,
                    data: DocumentApiIn) -> DocumentOut:  # type: ignore[valid-type]
    """Replace a draft's header and lines; a posted or cancelled document is never edited (409)."""
    return DocumentOut.of(service.update_document(db, actor, document_id, _document_in(data)))


@router.delete("/documents/{document_id}", status_code=204)
def delete_document(db: DbSession, actor: ApiActor, document_id: uuid.UUID) -> None:
    """Delete a draft; a posted document is cancelled instead (409)."""
    service.delete_document(db, actor, document_id)


@router.post("/documents/{document_id}/lines")
def add_line(db: DbSession, actor: ApiActor, document_id: uuid.UUID, data: AddLineIn) -> LineOut:
    """Add a product to a draft by its barcode or id: a product already there gets `quantity` more,
    a new one a line at the end. Answers the product's line as it now is."""
    line = service.add_line(db, actor, document_id, barcode=data.barcode, product_id=data.product_id,
                            quantity=data.quantity, price=None if data.price is None else to_kopecks(data.price))
    return LineOut.of(line)


@router.post("/documents/{document_id}/post")
def post_document(db: DbSession, actor: ApiActor, document_id: uuid.UUID) -> DocumentOut:
    """Post a draft: all its movements are written at once, or none (a count: the differences from the book)."""
    return DocumentOut.of(service.post_document(db, actor, document_id))


@router.post("/documents/{document_id}/cancel")
def cancel_document(db: DbSession, actor: ApiActor, document_id: uuid.UUID) -> DocumentOut:
    """Cancel a posted document: the reverse of each of its movements is written, so the balances are
    as if it had not been posted."""
    return DocumentOut.of(service.cancel_document(db, actor, document_id))


# --- balances and movements ----------------------------------------------------------------------------


@router.get("/balances")
def balances(
    db: DbSession, actor: ApiActor,
    warehouse_id: uuid.UUID,
    catalog_id: Annotated[uuid.UUID | None,
                          Query(description="Left out: the catalog of the points the warehouse serves.")] = None,
    search: Annotated[str, Query(max_length=200, description="Words of the name, article or code, or a barcode's start.")] = "",
    only: Literal["all", "in_stock", "negative", "low"] = "all",
    cursor: Annotated[str | None, Query(max_length=1000, description="The `next_cursor` of the previous page.")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = service.PAGE_SIZE,
) -> BalancePageOut:
    """A page of a warehouse's stock by product name: every product of the catalog with its balance (0 for
    those never moved), or only those in stock, below zero, or below their minimum."""
    page = service.list_balances(db, actor, warehouse_id=warehouse_id, catalog_id=catalog_id, search_text=search,
                                 only=only, cursor=cursor, limit=limit)
    return BalancePageOut(items=[BalanceOut.of(row) for row in page.rows], next_cursor=page.next_cursor)


MovementKinds = Annotated[list[str], Query(description="Kinds of movement, repeated for several: " + ", ".join(MOVEMENT_KINDS))]


@router.get("/movements")
def movements(
    db: DbSession, actor: ApiActor,
    start: Annotated[AwareDatetime, Query(description="Moved from this moment on (ISO 8601 with its offset).")],
    end: Annotated[AwareDatetime, Query(description="Moved before this moment.")],
    warehouse_id: uuid.UUID | None = None,
    product_id: uuid.UUID | None = None,
    kind: MovementKinds = [],  # noqa: B006 (FastAPI copies defaults)
    after: Annotated[int | None, Query(ge=0, description="The `next_cursor` of the previous page.")] = None,
) -> MovementPageOut:
    """The ledger of a period in its order, 50 a page, each movement with the balance it left."""
    page = service.list_movements(db, actor, start=start, end=end, warehouse_id=warehouse_id, product_id=product_id,
                                  kinds=kind, after=after)
    return MovementPageOut(items=[MovementOut.of(movement, page) for movement in page.movements],
                           next_cursor=int(page.next_cursor) if page.next_cursor else None)
