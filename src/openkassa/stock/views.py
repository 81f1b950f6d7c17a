"""HTML pages of the stock («Склад»): documents (receipts of goods, write-offs, inventory counts,
transfers) with the draft editor a scanner types into, the balances, the movement ledger, suppliers,
and the warehouses the points sell from.

Every rule is the service's: these routes read the forms, call it and show what it says. A refused
input is shown next to its field (a scan's message under the entry, a line's in its row, a posting's
above the lines), never as an error page; a call that is refused and shown is made inside a
savepoint, so whatever it did before refusing is undone and the request commits nothing half-done.
An account whose plan has no warehouse sees, instead of these pages, what the warehouse gives and
which plans include it.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, TypeVar
from pathlib import Path
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from openkassa import tables
from openkassa.accounts import service as accounts_service
from openkassa.accounts.deps import CurrentActor
from openkassa.accounts.plans import Feature, Plan, allows
from openkassa.accounts.roles import Permission
from openkassa.catalog import service as catalog_service
from openkassa.catalog.schemas import MAX_KOPECKS
from openkassa.errors import Conflict, Invalid, NotFound, PlanLimit, validate
from openkassa.i18n import _
from openkassa.points import service as points_service
from openkassa.stock import service
from openkassa.stock.models import (CANCELLED, COUNT, DRAFT, KINDS, MOVEMENT_KINDS, POSTED, RECEIPT, TRANSFER,
                                    WRITE_OFF, WRITE_OFF_REASONS, StockDocument, StockLine, Warehouse)
from openkassa.stock.schemas import DocumentIn, SupplierIn, WarehouseIn
from openkassa.tables import Column, Table
from openkassa.web import flash
from openkassa.web.deps import DbSession, FormData, require_csrf
from openkassa.web.forms import money_text, parse, quantity_text, read_money, read_quantity
from openkassa.web.templating import fmt, is_htmx, money, render, see_other

router = APIRouter(dependencies=[Depends(require_csrf)], include_in_schema=False)

PRODUCT_CHOICES = 10  # products offered when one is chosen by name
EXPORT_ROWS = 1_048_575  # an .xlsx sheet's rows, less the header

T = TypeVar("T")


# --- words and numbers ------------------------------------------------------------------------------


DOCUMENT_KINDS = {
    RECEIPT: lambda: _("Goods receipt"), WRITE_OFF: lambda: _("Write-off"), COUNT: lambda: _("Inventory count"),
    TRANSFER: lambda: _("Transfer"),
}
STATUSES = {DRAFT: lambda: _("Draft"), POSTED: lambda: _("Posted"), CANCELLED: lambda: _("Cancelled")}
STATUS_BADGES = {DRAFT: "badge-grey", POSTED: "badge-green", CANCELLED: "badge-red"}
REASONS = {"spoilage": lambda: _("Spoilage"), "loss": lambda: _("Loss"), "own_use": lambda: _("Own use"),
           "other": lambda: _("Other")}
MOVEMENTS = {
    "receipt": lambda: _("Goods received"), "write_off": lambda: _("Written off"), "surplus": lambda: _("Surplus"),
    "shortage": lambda: _("Shortage"), "transfer_out": lambda: _("Transfer (out)"),
    "transfer_in": lambda: _("Transfer (in)"), "sale": lambda: _("Sale"), "return": lambda: _("Return"),
    "count": lambda: _("Inventory count"), "revaluation": lambda: _("Revaluation"),
}
BALANCE_FILTERS = {"all": lambda: _("All products"), "in_stock": lambda: _("In stock"),
                   "negative": lambda: _("Below zero"), "low": lambda: _("Below the minimum")}


class Labels:
    """What the templates call things (`labels`), in the interface's language."""

    @staticmethod
    def kind(kind: str) -> str:
        return DOCUMENT_KINDS[kind]()

    @staticmethod
    def status(status: str) -> str:
        return STATUSES[status]()

    @staticmethod
    def badge(status: str) -> str:
        return STATUS_BADGES[status]

    @staticmethod
    def reason(reason: str) -> str:
        return REASONS[reason]() if reason in REASONS else "—"

    @staticmethod
    def movement(kind: str) -> str:
        return MOVEMENTS[kind]() if kind in MOVEMENTS else kind

    @staticmethod
    def title(document: StockDocument) -> str:
        """«Приходная накладная № 3»."""
        return _("{kind} No. {number}").format(kind=DOCUMENT_KINDS[document.kind](), number=document.number)

    @staticmethod
    def signed(thousandths: int) -> str:
        """A quantity with its sign: +1,5 or −2 (nothing for zero)."""
        shown = fmt.quantity(abs(thousandths))
        return f"+{shown}" if thousandths > 0 else f"−{shown}" if thousandths < 0 else shown

    @staticmethod
    def signed_money(kopecks: int) -> str:
        return f"+{money(kopecks)}" if kopecks > 0 else f"−{money(-kopecks)}" if kopecks < 0 else money(0)


labels = Labels()


def _uuid(value: str) -> uuid.UUID | None:
    """An id of the address or a form ("" is none); a mangled one names nothing that exists."""
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotFound() from None


def _page(request: Request, name: str, status_code: int = 200, **context):
    return render(request, name, status_code=status_code, section="stock", labels=labels, fmt=fmt, **context)


def _plan_page(request: Request, actor) -> Response | None:
    """For a plan without the warehouse, the page saying what it gives and which plans have it; else None."""
    if allows(actor.plan, Feature.WAREHOUSE):
        return None
    return _page(request, "stock/plan.html", plans=[Plan.STANDARD.label, Plan.EXTENDED.label], tab="")


def _refusal(error: Invalid | Conflict | PlanLimit) -> dict[str, str]:
    return error.fields if isinstance(error, Invalid) and error.fields else {"__all__": error.message}


def _message(error: ValueError | Invalid | Conflict | PlanLimit) -> str:
    """A refusal as the one message shown beside what was typed: a number not read, the first field's
    message, or the refusal's own."""
    if isinstance(error, ValueError):
        return str(error)
    return next(iter(error.fields.values()), error.message)


def _attempt(db, change: Callable[[], T]) -> tuple[T | None, str]:
    """Make a change in a savepoint: what it returns and no message; or, refused (a number typed that is
    none, Invalid, Conflict, PlanLimit), None and the refusal's message, the savepoint undone."""
    try:
        with db.begin_nested():
            return change(), ""
    except (ValueError, Invalid, Conflict, PlanLimit) as error:
        return None, _message(error)


@dataclass(frozen=True)
class Names:
    """Names of what documents point to: warehouses, suppliers, authors."""

    warehouses: dict[uuid.UUID, str]
    suppliers: dict[uuid.UUID, str]
    authors: dict[uuid.UUID, str]

    def warehouse(self, warehouse_id: uuid.UUID | None) -> str:
        return self.warehouses.get(warehouse_id, "—") if warehouse_id else "—"

    def supplier(self, supplier_id: uuid.UUID | None) -> str:
        return self.suppliers.get(supplier_id, "—") if supplier_id else "—"

    def author(self, user_id: uuid.UUID | None) -> str:
        return self.authors.get(user_id, "—") if user_id else "—"


def _names(db, actor, documents: list[StockDocument] = ()) -> Names:
    warehouses = {warehouse.id: warehouse.name for warehouse in service.list_warehouses(db, actor)}
    for document in documents:  # an archived warehouse is not listed, but its documents still name it
        for warehouse_id in filter(None, (document.warehouse_id, document.target_warehouse_id)):
            if warehouse_id not in warehouses:
                warehouses[warehouse_id] = service.get_warehouse(db, actor, warehouse_id).name
    suppliers = {supplier.id: supplier.name for archived in (False, True)
                 for supplier in service.list_suppliers(db, actor, archived=archived)}
    authors = accounts_service.user_names(db, account_id=actor.account_id)
    return Names(warehouses, suppliers, authors)


# --- warehouses and the points they serve -----------------------------------------------------------


@dataclass(frozen=True)
class PointStock:
    """A point as the warehouses page shows it: its stock accounting on (with a warehouse) or off."""

    point: object
    warehouse_id: uuid.UUID | None


def _warehouses_page(request: Request, db, actor, *, form: dict | None = None, errors: dict | None = None,
                     status_code: int = 200, enabled: uuid.UUID | None = None):
    warehouses = service.list_warehouses(db, actor)
    rows = [PointStock(point, service.warehouse_of(db, point_id=point.id))
            for point in points_service.list_points(db, actor)]
    just_enabled = next((row for row in rows if row.point.id == enabled and row.warehouse_id), None)
    served: dict[uuid.UUID, list[str]] = {}
    for row in rows:
        if row.warehouse_id:
            served.setdefault(row.warehouse_id, []).append(row.point.name)
    return _page(request, "stock/warehouses.html", status_code=status_code, tab="warehouses", warehouses=warehouses,
                 rows=rows, served=served, names={w.id: w.name for w in warehouses}, form=form or {},
                 errors=errors or {}, just_enabled=just_enabled, can_manage=actor.can(Permission.MANAGE))


@router.get("/stock")
def stock(actor: CurrentActor):
    return see_other("/stock/documents")


@router.get("/stock/warehouses")
def warehouses(request: Request, db: DbSession, actor: CurrentActor, enabled: str = ""):
    """The warehouses, and for each point whether its sales move stock, and from which warehouse."""
    if (shown := _plan_page(request, actor)) is not None:
        return shown
    return _warehouses_page(request, db, actor, enabled=_uuid(enabled))


@router.post("/stock/warehouses")
def create_warehouse(request: Request, db: DbSession, actor: CurrentActor, form: FormData):
    try:
        with db.begin_nested():
            warehouse = service.create_warehouse(db, actor, parse(WarehouseIn, {"name": form.get("name", "")}))
    except (Invalid, PlanLimit) as error:
        return _warehouses_page(request, db, actor, form=form, errors=_refusal(error), status_code=422)
    flash.add(request, _("The warehouse «{name}» is added.").format(name=warehouse.name))
    return see_other("/stock/warehouses")


@router.post("/stock/points/{point_id}/enable")
def enable_stock(request: Request, db: DbSession, actor: CurrentActor, point_id: uuid.UUID, form: FormData):
    """Switch a point's stock accounting on: with a new warehouse named after it, or one chosen."""
    chosen = str(form.get("warehouse_id", ""))
    try:
        with db.begin_nested():
            warehouse = service.enable_stock(db, actor, point_id=point_id,
                                             warehouse_id=None if chosen in ("", "new") else _uuid(chosen))
    except PlanLimit as error:
        return _warehouses_page(request, db, actor, errors=_refusal(error), status_code=402)
    point = points_service.get_point(db, actor, point_id)
    flash.add(request, _("Stock accounting is on for «{point}»: its sales now move the goods of «{warehouse}».").format(
        point=point.name, warehouse=warehouse.name))
    return see_other(f"/stock/warehouses?enabled={point_id}")


@router.post("/stock/points/{point_id}/disable")
def disable_stock(request: Request, db: DbSession, actor: CurrentActor, point_id: uuid.UUID):
    service.disable_stock(db, actor, point_id=point_id)
    point = points_service.get_point(db, actor, point_id)
    flash.add(request, _("Stock accounting is off for «{point}»: its sales no longer move goods. "
                         "The warehouse and its history stay.").format(point=point.name))
    return see_other("/stock/warehouses")


# --- documents: the list ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DocumentFilter:
    """What the document list shows (the query of its address)."""

    kind: str = ""
    status: str = ""
    warehouse: uuid.UUID | None = None

    def url(self, before: str | None = None, **changes) -> str:
        chosen = replace(self, **changes)
        params = {"kind": chosen.kind, "status": chosen.status, "warehouse": str(chosen.warehouse or ""),
                  "before": before or ""}
        query = urlencode({name: value for name, value in params.items() if value})
        return "/stock/documents" + (f"?{query}" if query else "")


@router.get("/stock/documents")
def documents(request: Request, db: DbSession, actor: CurrentActor, kind: str = "", status: str = "",
              warehouse: str = "", before: str = ""):
    """The account's stock documents, newest first, filtered by kind, status and warehouse."""
    if (shown := _plan_page(request, actor)) is not None:
        return shown
    listing = DocumentFilter(kind if kind in KINDS else "", status if status in STATUSES else "", _uuid(warehouse))
    try:
        page = service.list_documents(db, actor, kind=listing.kind or None, status=listing.status or None,
                                      warehouse_id=listing.warehouse, before=before or None)
    except Invalid as error:  # a damaged page link: back to the first page, saying why
        flash.add(request, _message(error), "error")
        return see_other(listing.url())
    return _page(request, "stock/documents.html", tab="documents", page=page, listing=listing,
                 names=_names(db, actor, page.documents), zones=service.zones(db, actor), before=before,
                 kinds=[(key, label()) for key, label in DOCUMENT_KINDS.items()],
                 statuses=[(key, label()) for key, label in STATUSES.items()],
                 warehouses=service.list_warehouses(db, actor), can_manage=actor.can(Permission.MANAGE))


# --- documents: a new one ------------------------------------------------------------------------------


def _new_page(request: Request, db, actor, *, form: dict, errors: dict | None = None, status_code: int = 200):
    warehouses = service.list_warehouses(db, actor)
    return _page(request, "stock/new.html", status_code=status_code, tab="documents", form=form, errors=errors or {},
                 kind=form["kind"], warehouses=warehouses,
                 warehouse_options=[("", _("Choose a warehouse"))] + [(str(w.id), w.name) for w in warehouses],
                 supplier_options=[("", _("No supplier"))] + [(str(s.id), s.name)
                                                              for s in service.list_suppliers(db, actor)],
                 reason_options=[("", _("Choose the reason"))] + [(key, REASONS[key]()) for key in WRITE_OFF_REASONS])


@router.get("/stock/documents/new")
def new_document(request: Request, db: DbSession, actor: CurrentActor, kind: str = COUNT, warehouse: str = ""):
    """A new document's header (the lines are added in the draft that it makes)."""
    if (shown := _plan_page(request, actor)) is not None:
        return shown
    if kind not in KINDS:
        raise NotFound()
    warehouses = service.list_warehouses(db, actor)
    chosen = _uuid(warehouse) or (warehouses[0].id if len(warehouses) == 1 else None)
    now = datetime.now(ZoneInfo(service.zones(db, actor).of(chosen)))  # none chosen yet: the account's
    return _new_page(request, db, actor, form={"kind": kind, "warehouse_id": str(chosen or ""),
                                               "dated_at": now.strftime("%Y-%m-%dT%H:%M")})


def _document_input(form: dict, zones: service.Zones) -> DocumentIn:
    """The header form as DocumentIn (the fields of other kinds left out); Invalid names every bad field.
    The date typed is the warehouse's local time."""
    kind = str(form.get("kind", ""))
    data = {"kind": kind, "warehouse_id": form.get("warehouse_id") or None, "comment": form.get("comment", "")}
    if kind == TRANSFER:
        data["target_warehouse_id"] = form.get("target_warehouse_id") or None
    if kind == RECEIPT:
        data.update(supplier_id=form.get("supplier_id") or None, supplier_reference=form.get("supplier_reference", ""))
    if kind == WRITE_OFF:
        data["reason"] = form.get("reason", "")
    errors: dict[str, str] = {}
    if data["warehouse_id"] is None:
        errors["warehouse_id"] = _("Choose a warehouse.")
    typed = str(form.get("dated_at", "")).strip()
    if typed:
        try:
            zone = zones.of(uuid.UUID(str(data["warehouse_id"])))
        except ValueError:  # no warehouse, or a mangled one: said below
            zone = zones.account
        try:
            data["dated_at"] = datetime.fromisoformat(typed).replace(tzinfo=ZoneInfo(zone))
        except ValueError:
            errors["dated_at"] = _("Enter a valid date.")
    shape = {name: value for name, value in data.items() if value is not None}
    shape.setdefault("warehouse_id", uuid.UUID(int=0))  # none chosen is said above; the rest is still checked
    try:
        document = validate(DocumentIn, shape)
    except Invalid as error:
        raise Invalid(fields={**error.fields, **errors}) from None
    if errors:
        raise Invalid(fields=errors)
    return document


@router.post("/stock/documents/new")
def create_document(request: Request, db: DbSession, actor: CurrentActor, form: FormData):
    if str(form.get("kind", "")) not in KINDS:
        raise NotFound()
    try:
        with db.begin_nested():
            document = service.create_document(db, actor, _document_input(form, service.zones(db, actor)))
    except (Invalid, PlanLimit) as error:
        return _new_page(request, db, actor, form=form, errors=_refusal(error), status_code=422)
    flash.add(request, _("The draft «{title}» is made. Scan or type the products into it.").format(
        title=labels.title(document)))
    return see_other(f"/stock/documents/{document.id}")


# --- documents: the draft editor and the posted document -------------------------------------------------


@dataclass(frozen=True)
class LineRow:
    """A line as the document's table shows it."""

    row: int  # 1, 2, … as the service names lines in its messages ("lines.3")
    line: StockLine
    name: str

    @property
    def difference(self) -> int:
        """A posted count's surplus (+) or shortage (−)."""
        return self.line.quantity - (self.line.book_quantity or 0)


def _lines(db, actor, lines: list[StockLine], *, start: int = 1) -> list[LineRow]:
    """Lines as the table shows them, numbered from `start`, named after their products."""
    names = catalog_service.product_names(db, account_id=actor.account_id,
                                          product_ids={line.product_id for line in lines})
    return [LineRow(row, line, names.get(line.product_id, _("Deleted product")))
            for row, line in enumerate(lines, start=start)]


def _rows_context(actor, document: StockDocument, *, scanned: int | None = None) -> dict:
    """What the rows of the lines table need beside the lines (stock/line_rows.html); `scanned`: the line to mark."""
    return {"document": document, "editable": document.status == DRAFT and actor.can(Permission.MANAGE),
            "row_errors": {}, "line_errors": {}, "typed": {}, "scanned": scanned, "line_sum": service.line_sum,
            "quantity_text": quantity_text, "money_text": money_text}


def _document_context(db, actor, document_id: uuid.UUID, *, errors: dict | None = None,
                      line_errors: dict | None = None, typed: dict | None = None, scanned: int | None = None) -> dict:
    """What the document's page and its lines fragment show; `errors` by the service's field names ("lines.3"
    is the third row), `line_errors` and `typed` by line position (an edit in place refused)."""
    document, lines = service.get_document(db, actor, document_id)
    errors = errors or {}
    row_errors = {int(name.split(".", 1)[1]): message for name, message in errors.items()
                  if name.startswith("lines.") and name.split(".", 1)[1].isdigit()}
    return {
        **_rows_context(actor, document, scanned=scanned), "rows": _lines(db, actor, lines),
        "names": _names(db, actor, [document]), "zone": service.zones(db, actor).of(document.warehouse_id), "errors": errors,
        "row_errors": row_errors, "line_errors": line_errors or {}, "typed": typed or {},
        "can_manage": actor.can(Permission.MANAGE),
    }


def _document_page(request: Request, db, actor, document_id: uuid.UUID, *, status_code: int = 200, **context):
    return _page(request, "stock/document.html", status_code=status_code, tab="documents",
                 **_document_context(db, actor, document_id, **context))


@router.get("/stock/documents/{document_id}")
def document(request: Request, db: DbSession, actor: CurrentActor, document_id: uuid.UUID):
    """A draft to fill (scanning or typing barcodes, choosing products by name), or a posted document to read."""
    if (shown := _plan_page(request, actor)) is not None:
        return shown
    return _document_page(request, db, actor, document_id)


def _back_to_document(request: Request, document_id: uuid.UUID, message: str) -> Response:
    """Without the script, a form posted plainly: the document's page again, a refusal above it."""
    if message:
        flash.add(request, message, "error")
    return see_other(f"/stock/documents/{document_id}")


def _lines_fragment(request: Request, db, actor, document_id: uuid.UUID, *, scan_error: str = "", **context):
    """The whole lines table (swapped in place) with the scan entry's messages, out of band."""
    shown = _document_context(db, actor, document_id, **context)
    added = next((row for row in shown["rows"] if row.line.position == shown["scanned"]), None)
    return _page(request, "stock/lines_fragment.html", scan_error=scan_error, added=added, **shown)


def _scanned_line(request: Request, db, actor, document_id: uuid.UUID, line: StockLine | None, message: str):
    """A scan's answer to a page that shows the table: the line added or changed alone, or the refusal."""
    if line is None:
        return _page(request, "stock/line_scanned.html", added=None, scan_error=message)
    document, _none = service.get_document(db, actor, document_id, lines=False)
    [added] = _lines(db, actor, [line], start=service.line_number(db, actor, document_id, line.position))
    return _page(request, "stock/line_scanned.html", added=added, rows=[added], scan_error="",
                 **_rows_context(actor, document, scanned=line.position))


@router.post("/stock/documents/{document_id}/lines")
def add_line(request: Request, db: DbSession, actor: CurrentActor, document_id: uuid.UUID, form: FormData):
    """A scan (a barcode and Enter) or a product chosen by name: one more of it (or the quantity typed).

    Answered, to stock.js (HTMX), with the line alone when the page shows the table (`HX-Target: lines-table`),
    else with the whole table; 200 even when refused, as HTMX swaps only successful answers and the entry
    must show the message. A plain form post goes back to the page."""
    typed = str(form.get("quantity", "")).strip()
    line, message = _attempt(db, lambda: service.add_line(
        db, actor, document_id, barcode=str(form.get("barcode", "")), quantity=read_quantity(typed) if typed else 1000,
        product_id=_uuid(str(form.get("product_id", "")))))
    if not is_htmx(request):
        return _back_to_document(request, document_id, message)
    if request.headers.get("HX-Target") == "lines-table":
        return _scanned_line(request, db, actor, document_id, line, message)
    return _lines_fragment(request, db, actor, document_id, scan_error=message, scanned=line.position if line else None)


async def _uploaded(request: Request) -> UploadFile | None:
    """The form's file (starlette keeps a big one on disk), or None when none was chosen."""
    upload = (await request.form()).get("file")
    return upload if isinstance(upload, UploadFile) and upload.filename else None


@router.post("/stock/documents/{document_id}/import")
def import_lines(request: Request, db: DbSession, actor: CurrentActor, document_id: uuid.UUID,
                 upload: Annotated[UploadFile | None, Depends(_uploaded)]):
    """The lines of a spreadsheet added to a draft, all rows or none; the bad rows named next to the form."""
    if upload is None:
        return _document_page(request, db, actor, document_id, status_code=422,
                              errors={"file": _("Choose a file to upload.")})
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "lines"
        with path.open("wb") as file:
            shutil.copyfileobj(upload.file, file)
        try:
            with db.begin_nested():
                added = service.import_lines(db, actor, document_id, path=path, filename=upload.filename)
        except (Invalid, Conflict) as error:
            return _document_page(request, db, actor, document_id, status_code=422, errors=_refusal(error))
    flash.add(request, _("{count} rows of «{name}» are added.").format(count=added, name=upload.filename))
    return see_other(f"/stock/documents/{document_id}")


@router.post("/stock/documents/{document_id}/lines/{position}")
def change_line(request: Request, db: DbSession, actor: CurrentActor, document_id: uuid.UUID, position: int,
                form: FormData):
    """A line's quantity (and a receipt's purchase price) edited in place; 0 removes it, but a count's."""
    typed = {"quantity": str(form.get("quantity", "")), "price": form.get("price")}

    def change():
        quantity = read_quantity(typed["quantity"])
        price = read_money(str(typed["price"]), required=True, maximum=MAX_KOPECKS) if typed["price"] is not None else None
        return service.change_line(db, actor, document_id, position, quantity=quantity, price=price)

    _line, message = _attempt(db, change)
    if not is_htmx(request):
        return _back_to_document(request, document_id, message)
    return _lines_fragment(request, db, actor, document_id, line_errors={position: message} if message else None,
                           typed={position: typed} if message else None)


@router.get("/stock/documents/{document_id}/products")
def product_choices(request: Request, db: DbSession, actor: CurrentActor, document_id: uuid.UUID, q: str = ""):
    """Goods whose name, article or code starts with what was typed, to add to the draft (HTMX)."""
    document, _found = service.get_document(db, actor, document_id)
    cards = []
    if q.strip():
        for catalog_id in service.catalogs_of(db, actor, document.warehouse_id):
            cards += catalog_service.list_products(db, actor, catalog_id, search_text=q[:100], limit=PRODUCT_CHOICES,
                                                   kinds=service.GOODS).cards
    return _page(request, "stock/product_choices.html", document=document, cards=cards[:PRODUCT_CHOICES], q=q)


@router.post("/stock/documents/{document_id}/post")
def post_document(request: Request, db: DbSession, actor: CurrentActor, document_id: uuid.UUID):
    """Post a draft: all its movements at once, or nothing and the reasons above the lines."""
    try:
        with db.begin_nested():
            posted = service.post_document(db, actor, document_id)
    except (Invalid, Conflict, PlanLimit) as error:
        return _document_page(request, db, actor, document_id, errors=_refusal(error),
                              status_code=422 if isinstance(error, Invalid) else 409)
    flash.add(request, _("The document «{title}» is posted.").format(title=labels.title(posted)))
    return see_other(f"/stock/documents/{document_id}")


@router.post("/stock/documents/{document_id}/delete")
def delete_document(request: Request, db: DbSession, actor: CurrentActor, document_id: uuid.UUID):
    document, _found = service.get_document(db, actor, document_id)
    title = labels.title(document)
    try:
        with db.begin_nested():
            service.delete_document(db, actor, document_id)
    except Conflict as error:
        return _document_page(request, db, actor, document_id, errors=_refusal(error), status_code=409)
    flash.add(request, _("The draft «{title}» is deleted.").format(title=title))
    return see_other("/stock/documents")


@router.post("/stock/documents/{document_id}/cancel")
def cancel_document(request: Request, db: DbSession, actor: CurrentActor, document_id: uuid.UUID):
    """Cancel a posted document: its movements are written again the other way."""
    try:
        with db.begin_nested():
            cancelled = service.cancel_document(db, actor, document_id)
    except Conflict as error:
        return _document_page(request, db, actor, document_id, errors=_refusal(error), status_code=409)
    flash.add(request, _("The document «{title}» is cancelled: the stock is as it was before it.").format(
        title=labels.title(cancelled)))
    return see_other(f"/stock/documents/{document_id}")


# --- balances -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BalanceListing:
    """What the balances page shows (the query of its address): a warehouse, one of the catalogs of the points
    it serves (None: the first), and the products found and filtered."""

    warehouse: uuid.UUID
    catalog: uuid.UUID | None = None
    q: str = ""
    only: str = "all"

    def url(self, cursor: str | None = None, path: str = "/stock/balances", **changes) -> str:
        chosen = replace(self, **changes)
        params = {"warehouse": str(chosen.warehouse), "catalog": str(chosen.catalog or ""), "q": chosen.q,
                  "only": "" if chosen.only == "all" else chosen.only, "cursor": cursor or ""}
        return f"{path}?" + urlencode({name: value for name, value in params.items() if value})

    def export_url(self) -> str:
        return self.url(path="/stock/balances.xlsx")


@dataclass(frozen=True)
class Balances:
    """The balances asked for: the account's warehouses, the one shown and its catalogs, the listing."""

    warehouses: list[Warehouse]
    warehouse: Warehouse
    catalogs: list[uuid.UUID]
    listing: BalanceListing


def _balances(db, actor, *, warehouse: str, catalog: str, q: str, only: str) -> Balances | None:
    """The warehouse asked (or the first) and the catalog asked, when it is one of the warehouse's (else its
    first: a catalog of the warehouse shown before); None when the account has no warehouse."""
    warehouses = service.list_warehouses(db, actor)
    chosen = service.get_warehouse(db, actor, _uuid(warehouse)) if warehouse else (warehouses[0] if warehouses else None)
    if chosen is None:
        return None
    catalogs = service.catalogs_of(db, actor, chosen.id)
    catalog_id = _uuid(catalog)
    return Balances(warehouses, chosen, catalogs, BalanceListing(
        chosen.id, catalog=catalog_id if catalog_id in catalogs else None, q=q[:100],
        only=only if only in BALANCE_FILTERS else "all"))


def _balances_page(db, actor, listing: BalanceListing, *, cursor: str | None = None,
                   limit: int = service.PAGE_SIZE) -> service.BalancePage:
    return service.list_balances(db, actor, warehouse_id=listing.warehouse, catalog_id=listing.catalog,
                                 search_text=listing.q, only=listing.only, cursor=cursor or None, limit=limit)


def _catalog_choices(db, actor, catalogs: list[uuid.UUID]) -> list[tuple[uuid.UUID, str]]:
    """The catalogs to choose from, each named after the points that sell from it, as the catalog pages name them."""
    points = points_service.list_points(db, actor)
    return [(catalog_id, ", ".join(point.name for point in points if point.catalog_id == catalog_id))
            for catalog_id in catalogs]


def _balances_table(request: Request, db, actor, listing: BalanceListing, *, cursor: str = "", template: str,
                    errors: dict | None = None, typed: dict | None = None, **context):
    page = _balances_page(db, actor, listing, cursor=cursor)
    return _page(request, template, tab="balances", listing=listing, balances=page.rows, cursor=cursor,
                 more_url=listing.url(cursor=page.next_cursor) if page.next_cursor else None,
                 errors=errors or {}, typed=typed or {}, quantity_text=quantity_text,
                 can_manage=actor.can(Permission.MANAGE), **context)


@router.get("/stock/balances")
def balances(request: Request, db: DbSession, actor: CurrentActor, warehouse: str = "", catalog: str = "", q: str = "",
             only: str = "all", cursor: str = ""):
    """A warehouse's stock by product of one of its catalogs: found as typed, filtered (in stock, below zero, below
    the minimum)."""
    if (shown := _plan_page(request, actor)) is not None:
        return shown
    asked = _balances(db, actor, warehouse=warehouse, catalog=catalog, q=q, only=only)
    if asked is None:
        return _page(request, "stock/balances.html", tab="balances", warehouses=[], listing=None)
    listing = asked.listing
    try:
        if is_htmx(request):  # as a search is typed: the table; "show more": the rows
            template = "stock/balances_table.html" if request.headers.get("HX-Target") == "balances-table" \
                else "stock/balance_rows.html"
            return _balances_table(request, db, actor, listing, cursor=cursor, template=template)
        return _balances_table(request, db, actor, listing, cursor=cursor, template="stock/balances.html",
                               warehouses=asked.warehouses, warehouse=asked.warehouse,
                               catalogs=_catalog_choices(db, actor, asked.catalogs) if len(asked.catalogs) > 1 else [],
                               filters=[(key, label()) for key, label in BALANCE_FILTERS.items()])
    except Invalid as error:  # a damaged page link: back to the first page, saying why
        flash.add(request, _message(error), "error")
        return see_other(listing.url())


@router.post("/stock/balances/minimum")
def set_minimum(request: Request, db: DbSession, actor: CurrentActor, form: FormData):
    """A product's minimum edited in place: the table comes back with it (and its flag), or with the message."""
    asked = _balances(db, actor, warehouse=str(form.get("warehouse", "")), catalog=str(form.get("catalog", "")),
                      q=str(form.get("q", "")), only=str(form.get("only", "all")))
    product_id = _uuid(str(form.get("product", "")))
    if asked is None or product_id is None:
        raise NotFound()
    listing = asked.listing
    typed = str(form.get("minimum", "")).strip()
    _done, message = _attempt(db, lambda: service.set_minimum(
        db, actor, warehouse_id=listing.warehouse, product_id=product_id, minimum=read_quantity(typed) if typed else 0))
    cursor = str(form.get("cursor", ""))
    if not is_htmx(request):
        flash.add(request, message or _("The minimum is saved."), "error" if message else "success")
        return see_other(listing.url(cursor=cursor or None))
    return _balances_table(request, db, actor, listing, cursor=cursor, template="stock/balances_table.html",
                           errors={product_id: message} if message else None,
                           typed={product_id: typed} if message else None)


@router.get("/stock/balances.xlsx")
def export_balances(request: Request, db: DbSession, actor: CurrentActor, warehouse: str = "", catalog: str = "",
                    q: str = "", only: str = "all"):
    """The balances of the current filter as an .xlsx file (every page of them)."""
    if not allows(actor.plan, Feature.WAREHOUSE):
        return see_other("/stock/balances")
    asked = _balances(db, actor, warehouse=warehouse, catalog=catalog, q=q, only=only)
    if asked is None:
        raise NotFound()
    rows: list[list[object]] = []
    cursor = None
    while len(rows) < EXPORT_ROWS:
        page = _balances_page(db, actor, asked.listing, cursor=cursor, limit=catalog_service.MAX_PAGE_SIZE)
        for row in page.rows:
            flag = _("below zero") if row.negative else _("below the minimum") if row.low else ""
            rows.append([row.name, row.code or None, row.quantity, row.unit_cost, row.value, row.minimum or None, flag])
        cursor = page.next_cursor
        if cursor is None:
            break
    table = Table(_("Stock"), [Column(_("Product")), Column(_("Code")), Column(_("Quantity"), "quantity"),
                               Column(_("Unit cost"), "money"), Column(_("Value at cost"), "money"),
                               Column(_("Minimum"), "quantity"), Column(_("Flag"))], rows[:EXPORT_ROWS])
    today = datetime.now(ZoneInfo(service.zones(db, actor).account)).date()
    filename = (f"{_('Stock')}. {asked.warehouse.name}. {BALANCE_FILTERS[asked.listing.only]()}. "
                f"{today.strftime('%d.%m.%Y')}.xlsx")
    fallback = f"stock-{today.isoformat()}.xlsx"
    return Response(tables.to_xlsx(table), media_type=tables.MEDIA_TYPES["xlsx"], headers={
        "Content-Disposition": f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"})


# --- movements ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MovementFilter:
    """What the movements page shows (the query of its address): a period of days, a warehouse, a product, kinds."""

    start: date
    end: date
    warehouse: uuid.UUID | None = None
    product: uuid.UUID | None = None
    kinds: tuple[str, ...] = ()

    def url(self, after: int | None = None, **changes) -> str:
        chosen = replace(self, **changes)
        params = [("start", chosen.start.isoformat()), ("end", chosen.end.isoformat()),
                  ("warehouse", str(chosen.warehouse or "")), ("product", str(chosen.product or "")),
                  *(("kind", kind) for kind in chosen.kinds), ("after", str(after or ""))]
        return "/stock/movements?" + urlencode([(name, value) for name, value in params if value])


def _movement_filter(request: Request, zone: str) -> tuple[MovementFilter, dict[str, str]]:
    """The filter as asked (this month by default), and what is wrong with it, by field."""
    params = request.query_params
    today = datetime.now(ZoneInfo(zone)).date()
    errors: dict[str, str] = {}
    days = {}
    for name, default in (("start", today.replace(day=1)), ("end", today)):
        typed = params.get(name, "")
        try:
            days[name] = date.fromisoformat(typed) if typed else default
        except ValueError:
            days[name], errors[name] = default, _("Enter a valid date.")
    if days["end"] < days["start"] and not errors:
        errors["end"] = _("The period ends before it starts.")
    kinds = tuple(kind for kind in params.getlist("kind") if kind in MOVEMENT_KINDS)
    return MovementFilter(days["start"], days["end"], _uuid(params.get("warehouse", "")),
                          _uuid(params.get("product", "")), kinds), errors


@router.get("/stock/movements")
def movements(request: Request, db: DbSession, actor: CurrentActor, after: int | None = None):
    """The ledger: each movement of the period with the balance it left, the document behind it linked."""
    if (shown := _plan_page(request, actor)) is not None:
        return shown
    zone = service.zones(db, actor).account
    listing, errors = _movement_filter(request, zone)
    page = None
    if not errors:
        tz = ZoneInfo(zone)
        start = datetime.combine(listing.start, time(), tz).astimezone(UTC)
        end = datetime.combine(listing.end + timedelta(days=1), time(), tz).astimezone(UTC)
        try:
            page = service.list_movements(db, actor, start=start, end=end, warehouse_id=listing.warehouse,
                                          product_id=listing.product, kinds=listing.kinds, after=after)
        except Invalid as error:
            errors = _refusal(error)
    product_name = None
    if listing.product is not None:
        product_name = catalog_service.product_names(db, account_id=actor.account_id,
                                                     product_ids=[listing.product]).get(listing.product)
    context = dict(listing=listing, errors=errors, page=page, zone=zone, product_name=product_name,
                   names=_names(db, actor, list(page.documents.values()) if page else []),
                   more_url=listing.url(after=int(page.next_cursor)) if page and page.next_cursor else None)
    if is_htmx(request) and after is not None and page is not None:  # "show more": the rows
        return _page(request, "stock/movement_rows.html", **context)
    return _page(request, "stock/movements.html", status_code=422 if errors else 200, tab="movements",
                 warehouses=service.list_warehouses(db, actor),
                 kinds=[(kind, MOVEMENTS[kind]()) for kind in MOVEMENT_KINDS], **context)


# --- suppliers ----------------------------------------------------------------------------------------------


SUPPLIER_FIELDS = tuple(SupplierIn.model_fields)


@router.get("/stock/suppliers")
def suppliers(request: Request, db: DbSession, actor: CurrentActor, q: str = "", archived: bool = False):
    """Who goods are bought from: found by name or INN as it is typed; the archive apart."""
    if (shown := _plan_page(request, actor)) is not None:
        return shown
    found = service.list_suppliers(db, actor, search=q.strip()[:100], archived=archived)
    context = dict(suppliers=found, q=q, archived=archived, can_manage=actor.can(Permission.MANAGE))
    if is_htmx(request) and request.headers.get("HX-Target") == "suppliers-table":
        return _page(request, "stock/suppliers_table.html", **context)
    return _page(request, "stock/suppliers.html", tab="suppliers", **context)


def _supplier_page(request: Request, *, supplier=None, form: dict, errors: dict | None = None, status_code: int = 200):
    return _page(request, "stock/supplier.html", status_code=status_code, tab="suppliers", supplier=supplier,
                 form=form, errors=errors or {})


@router.get("/stock/suppliers/new")
def new_supplier(request: Request, actor: CurrentActor):
    if (shown := _plan_page(request, actor)) is not None:
        return shown
    return _supplier_page(request, form={})


@router.post("/stock/suppliers/new")
def create_supplier(request: Request, db: DbSession, actor: CurrentActor, form: FormData):
    try:
        with db.begin_nested():
            supplier = service.create_supplier(db, actor, parse(SupplierIn, _supplier_form(form)))
    except (Invalid, PlanLimit) as error:
        return _supplier_page(request, form=form, errors=_refusal(error), status_code=422)
    flash.add(request, _("The supplier «{name}» is saved.").format(name=supplier.name))
    return see_other("/stock/suppliers")


def _supplier_form(form: dict) -> dict:
    return {name: form.get(name, "") for name in SUPPLIER_FIELDS}


@router.get("/stock/suppliers/{supplier_id}")
def supplier(request: Request, db: DbSession, actor: CurrentActor, supplier_id: uuid.UUID):
    if (shown := _plan_page(request, actor)) is not None:
        return shown
    found = service.get_supplier(db, actor, supplier_id)
    return _supplier_page(request, supplier=found, form={name: getattr(found, name) for name in SUPPLIER_FIELDS})


@router.post("/stock/suppliers/{supplier_id}")
def update_supplier(request: Request, db: DbSession, actor: CurrentActor, supplier_id: uuid.UUID, form: FormData):
    found = service.get_supplier(db, actor, supplier_id)
    try:
        with db.begin_nested():
            found = service.update_supplier(db, actor, supplier_id, parse(SupplierIn, _supplier_form(form)))
    except Invalid as error:
        return _supplier_page(request, supplier=found, form=form, errors=_refusal(error), status_code=422)
    flash.add(request, _("The supplier «{name}» is saved.").format(name=found.name))
    return see_other("/stock/suppliers")


@router.post("/stock/suppliers/{supplier_id}/archive")
def archive_supplier(request: Request, db: DbSession, actor: CurrentActor, supplier_id: uuid.UUID, form: FormData):
    archived = form.get("archived", "on") == "on"
    found = service.set_supplier_archived(db, actor, supplier_id, archived)
    message = (_("The supplier «{name}» is moved to the archive.") if archived
               else _("The supplier «{name}» is restored from the archive."))
    flash.add(request, message.format(name=found.name))
    return see_other("/stock/suppliers" + ("?archived=true" if not archived else ""))
