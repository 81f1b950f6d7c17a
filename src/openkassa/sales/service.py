"""Sales: taking in what registers upload (`protocol.documents`) and showing it in the ЛК.

Ingestion. A batch is read document by document, so one bad document costs nothing of the rest:
- a document without a readable id is rejected (nothing can be kept for it idempotently);
- a document the server has already (same id) gets its first answer again, marked `repeated`;
- a fiscal document is read from its signed bytes: they must decode and carry a fiscal sign the
  drive's registered key gives them; the register's own view (lines, discounts, payments by kind,
  shift, totals) must agree with what the server recomputes and with the bytes;
- whatever fails a check is kept in quarantine with every reason found, never dropped.
All of a batch is written with one insert that skips ids taken meanwhile by a racing upload, whose
documents are then answered as repeated.

The emulated OFD. The server acknowledges a fiscal document whose bytes decode and whose sign
checks out, even one quarantined for a disagreement of the register's view: the drive signed it,
so the OFD has it, and the 30-day rule must only stop a register that is really cut off. One
acknowledged document per drive number: the same bytes sent again under another id get the first
acknowledgement, other bytes under a taken number get none.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy import Row, and_, exists, func, insert, or_, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openkassa.accounts.roles import Permission
from openkassa.accounts.service import Actor, require
from openkassa.catalog import service as catalog_service
from openkassa.db import utcnow
from openkassa.errors import Conflict, DomainError, Invalid, NotFound
from openkassa.fiscal import documents as fiscal_documents
from openkassa.fiscal.arithmetic import line_amount
from openkassa.fiscal.drive import verify
from openkassa.fiscal.errors import FiscalError
from openkassa.fiscal.ofd import operator_sign
from openkassa.i18n import _
from openkassa.money import to_roubles
from openkassa.points import service as points_service
from openkassa.points.models import Device, RetailPoint
from openkassa.protocol import documents as protocol
from openkassa.sales.models import ACCEPTED, QUARANTINED, FiscalDrive, ReceiptLine, SalesDocument
from openkassa.sales.rows import made_within
from openkassa.stats import rollups
from openkassa.stock import service as stock_service

_OFD_KEY_CONTEXT = b"openkassa: the emulated OFD's signing key"
_TENDERS = ("cash", "electronic", "advance", "credit", "other")
_FORMS = {
    "shift_open": fiscal_documents.ShiftOpenReport,
    "shift_close": fiscal_documents.ShiftCloseReport,
    "receipt": fiscal_documents.Receipt,
    "correction": fiscal_documents.CorrectionReceipt,
    "report": (fiscal_documents.RegistrationReport, fiscal_documents.SettlementStatusReport,
               fiscal_documents.DriveCloseReport),
}


def ofd_key(secret_key: str) -> bytes:
    """The key the server signs its OFD acknowledgements with, derived from the site's secret key."""
    return hmac.new(secret_key.encode("utf-8"), _OFD_KEY_CONTEXT, hashlib.sha256).digest()


def register_drive(session: Session, *, device: Device, data: protocol.DriveKey) -> FiscalDrive:
    """Learn the key a register's software drive signs with. A serial keeps its first key."""
    drive = session.scalar(select(FiscalDrive).where(FiscalDrive.account_id == device.account_id,
                                                     FiscalDrive.fn_serial == data.fn_serial))
    if drive is not None:
        if not hmac.compare_digest(drive.key, data.key):
            raise Conflict(_("The fiscal drive {serial} is known with another key.").format(serial=data.fn_serial))
        return drive
    drive = FiscalDrive(account_id=device.account_id, device_id=device.id, fn_serial=data.fn_serial, key=data.key)
    session.add(drive)
    session.flush()
    return drive


# --- ingestion -----------------------------------------------------------------------------------------


@dataclass
class _Checked:
    """One new document of the batch, read and judged, ready to be written."""

    index: int
    row: dict
    lines: list[dict] = field(default_factory=list)
    product: protocol.NewProduct | None = None
    problems: list[str] = field(default_factory=list)
    signed: bool = False  # its fiscal bytes decode and their sign checks out: the OFD may acknowledge it
    acknowledged_as: _Taken | None = None  # the same bytes are on record under another id, acknowledged


def ingest(session: Session, *, device: Device, point: RetailPoint, documents: list[dict],
           ofd_key: bytes) -> list[protocol.Result]:
    """Take a batch a register uploaded; answer one result per document, in order (see the module doc)."""
    now = utcnow()
    results: list[protocol.Result | None] = [None] * len(documents)
    first_of: dict[uuid.UUID, int] = {}
    repeats: list[tuple[int, uuid.UUID]] = []
    for index, raw in enumerate(documents):
        document_id = _id_of(raw)
        if document_id is None:
            results[index] = protocol.Result(id=None, status="rejected", reason=_("The document has no valid id (a UUID)."))
        elif document_id in first_of:
            repeats.append((index, document_id))
        else:
            first_of[document_id] = index

    stored = _stored(session, first_of)
    context = _Context(
        device=device, point=point, now=now,
        drives=dict(session.execute(select(FiscalDrive.fn_serial, FiscalDrive.key)
                                    .where(FiscalDrive.account_id == device.account_id)).all()),
        cashiers=set(points_service.cashier_names(session, account_id=device.account_id)),
    )
    checked = [_check(index, document_id, _storable(documents[index]), context)
               for document_id, index in first_of.items() if document_id not in stored]
    zone = ZoneInfo(point.timezone)
    for item in checked:
        _local_time(item.row, zone)
    _acknowledge(session, checked, ofd_key=ofd_key, now=now)
    inserted = _insert(session, checked)
    written = [item for item in checked if item.row["id"] in inserted]
    _follow_up(session, written, point)
    for item in written:
        results[item.index] = _result(item.row, repeated=False, borrowed=item.acknowledged_as)

    raced = [document_id for document_id, index in first_of.items() if results[index] is None and document_id not in stored]
    stored.update(_stored(session, raced))
    for document_id, index in first_of.items():
        if results[index] is None:
            row = stored.get(document_id)
            results[index] = (_answer_stored(session, row, device) if row is not None else protocol.Result(
                id=document_id, status="rejected", reason=_("Another upload took this document's fiscal number; send it again.")))
    for index, document_id in repeats:
        results[index] = results[first_of[document_id]].model_copy(update={"repeated": True})
    return results  # type: ignore[return-value]


@dataclass(frozen=True)
class _Context:
    device: Device
    point: RetailPoint
    now: datetime
    drives: dict[str, bytes]
    cashiers: set[uuid.UUID]


def _storable(value: object) -> object:
    """The document as it can be kept: no NUL character (PostgreSQL's text refuses it) and no
    NaN or infinity (JSON has none) anywhere in it."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, dict):
        return {_storable(key): _storable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_storable(item) for item in value]
    return value


def _id_of(raw: object) -> uuid.UUID | None:
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
        return None
    try:
        return uuid.UUID(raw["id"])
    except ValueError:
        return None


_STORED_COLUMNS = (SalesDocument.id, SalesDocument.account_id, SalesDocument.status, SalesDocument.reason,
                   SalesDocument.fn_serial, SalesDocument.fiscal_number, SalesDocument.tlv,
                   SalesDocument.ofd_received_at, SalesDocument.ofd_sign)


def _stored(session: Session, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Row]:
    ids = list(ids)
    if not ids:
        return {}
    return {row.id: row for row in session.execute(select(*_STORED_COLUMNS).where(SalesDocument.id.in_(ids)))}


def _answer_stored(session: Session, row: Row, device: Device) -> protocol.Result:
    if row.account_id != device.account_id:  # another account's document: say nothing of it
        return protocol.Result(id=row.id, status="rejected", reason=_("This document id is taken; a register makes a new one for each document."))
    borrowed = None
    if row.ofd_sign is None and row.fiscal_number is not None:  # a copy of a document acknowledged under another id
        borrowed = session.execute(
            select(SalesDocument.id, SalesDocument.tlv, SalesDocument.ofd_received_at, SalesDocument.ofd_sign)
            .where(SalesDocument.account_id == row.account_id, SalesDocument.fn_serial == row.fn_serial,
                   SalesDocument.fiscal_number == row.fiscal_number, SalesDocument.ofd_sign.is_not(None),
                   SalesDocument.tlv == row.tlv)).first()
    return _result(row._asdict(), repeated=True, borrowed=borrowed)


def _result(row: dict, *, repeated: bool, borrowed: _Taken | Row | None = None) -> protocol.Result:
    """The answer about a document written now or before; `borrowed`: the acknowledged copy of its bytes."""
    ofd = None
    if row.get("ofd_sign") is not None:
        borrowed = _Taken(row["id"], row["tlv"], row["ofd_received_at"], row["ofd_sign"])
    if borrowed is not None:
        ofd = protocol.Ofd(fn_serial=row["fn_serial"], document_number=row["fiscal_number"],
                           received_at=borrowed.ofd_received_at, operator_sign=borrowed.ofd_sign)
    status = "accepted" if row["status"] == ACCEPTED else "quarantined"
    return protocol.Result(id=row["id"], status=status, repeated=repeated, reason=row.get("reason"), ofd=ofd)


def _check(index: int, document_id: uuid.UUID, raw: dict, context: _Context) -> _Checked:
    """Read one new document and judge it: the row to write, with the problems found."""
    row = dict(id=document_id, account_id=context.device.account_id, point_id=context.point.id,
               device_id=context.device.id, received_at=context.now, body=raw, fn_serial=None, fiscal_number=None,
               receipt_number=None, fiscal_sign=None, tlv=None, ofd_received_at=None, ofd_sign=None,
               settlement=None, shift=None, cashier_id=None, original_id=None,
               total=0, discount=0, **dict.fromkeys(_TENDERS, 0))
    try:
        document = protocol.DOCUMENT.validate_python(raw)
    except ValidationError as error:
        claimed = raw.get("type")
        row.update(kind=(claimed if isinstance(claimed, str) else "unknown")[:16], made_at=context.now)
        return _judged(_Checked(index, row, problems=[_invalid(error)]))
    row.update(kind=document.type, made_at=document.made_at, cashier_id=document.cashier_id,
               shift=getattr(document, "shift", None))
    item = _Checked(index, row)
    if document.cashier_id is not None and document.cashier_id not in context.cashiers:
        item.problems.append(_("The cashier {id} is not one of the account's.").format(id=document.cashier_id))
    if isinstance(document, protocol.CashOperation):
        row.update(kind=f"cash_{document.kind}", total=document.amount)
    elif isinstance(document, protocol.NewProduct):
        item.product = document
    elif isinstance(document, protocol.ShiftOpen):
        row["total"] = document.cash
    elif isinstance(document, protocol.ShiftClose):
        row["total"] = document.counted_cash
    if isinstance(document, protocol.Receipt):
        _read_receipt(item, document)
    if document.type in protocol.FISCAL_TYPES:
        _read_fiscal(item, document, context)
    return _judged(item)


def _local_time(row: dict, zone: ZoneInfo) -> None:
    local = row["made_at"].astimezone(zone)
    row.update(local_day=local.date(), local_hour=local.hour)


def _judged(item: _Checked) -> _Checked:
    item.row["status"] = QUARANTINED if item.problems else ACCEPTED
    item.row["reason"] = " ".join(item.problems) or None
    return item


def _invalid(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "document"
    return _("The document cannot be read: {field}: {message}.").format(field=where, message=first["msg"])


def _roubles(kopecks: int) -> str:
    return f"{to_roubles(kopecks)} ₽"


def _read_receipt(item: _Checked, document: protocol.Receipt) -> None:
    """The register's view of a sale, recomputed: each line's sum, the total, the payments."""
    problems = item.problems
    for position, line in enumerate(document.lines):
        try:
            expected = line_amount(line.price, line.quantity) - line.discount
        except FiscalError:
            problems.append(_("Line {n}: price × quantity is beyond any receipt.").format(n=position + 1))
            continue
        if line.amount != expected:
            problems.append(_("Line {n}: the sum is {sum}, but price × quantity − discount is {expected}.").format(
                n=position + 1, sum=_roubles(line.amount), expected=_roubles(expected)))
        item.lines.append(dict(document_id=document.id, position=position, account_id=item.row["account_id"],
                               product_id=line.product_id, name=line.name, price=line.price, quantity=line.quantity,
                               discount=line.discount, amount=line.amount, vat=line.vat))
    lines_total = sum(line.amount for line in document.lines)
    if lines_total != document.total:
        problems.append(_("The lines add up to {sum}, but the receipt's total is {total}.").format(
            sum=_roubles(lines_total), total=_roubles(document.total)))
    tenders = dict.fromkeys(_TENDERS, 0)
    for payment in document.payments:
        tenders[protocol.TENDER_OF_PAYMENT[payment.kind]] += payment.amount
        if payment.tendered is not None and payment.tendered < payment.amount:
            problems.append(_("A cash payment of {sum} was tendered only {tendered}.").format(
                sum=_roubles(payment.amount), tendered=_roubles(payment.tendered)))
    paid = sum(tenders.values())
    if paid != document.total:
        problems.append(_("The payments add up to {paid}, but the receipt's total is {total}.").format(
            paid=_roubles(paid), total=_roubles(document.total)))
    item.row.update(settlement=document.settlement, total=document.total, original_id=document.original_id,
                    discount=sum(line.discount for line in document.lines), **tenders)


def _read_fiscal(item: _Checked, document: protocol.Document, context: _Context) -> None:
    """The signed bytes: they must decode, be signed by a drive the server knows, and agree with the rest."""
    data: bytes = document.fiscal
    try:
        fiscal = fiscal_documents.decode(data)
    except FiscalError as error:
        item.problems.append(_("The fiscal document cannot be read: {error}.").format(error=error))
        return
    stamp = fiscal.stamp
    if stamp is None:
        item.problems.append(_("The fiscal document is not signed."))
        return
    key = context.drives.get(stamp.fn_serial)
    if key is None:
        item.problems.append(_("The fiscal drive {serial} is not registered with the server.").format(serial=stamp.fn_serial))
        return
    if not verify(key, data):
        item.problems.append(_("The fiscal sign of document {number} does not check out.").format(number=stamp.document_number))
        return
    item.signed = True
    item.row.update(fn_serial=stamp.fn_serial, fiscal_number=stamp.document_number, receipt_number=stamp.receipt_number,
                    fiscal_sign=stamp.fiscal_sign_printed, tlv=data)
    if not isinstance(fiscal, _FORMS[document.type]):
        item.problems.append(_("The fiscal part is a document of form {form}, not a {kind}.").format(
            form=int(fiscal.form), kind=document.type))
        return
    if document.type != "report" and stamp.shift != document.shift:
        item.problems.append(_("The document says shift {shift}, its fiscal part shift {fiscal}.").format(
            shift=document.shift, fiscal=stamp.shift))
    if isinstance(fiscal, fiscal_documents.Receipt | fiscal_documents.CorrectionReceipt):
        _compare_settlement(item, document, fiscal)


def _compare_settlement(item: _Checked, document: protocol.Receipt, fiscal: fiscal_documents.Receipt) -> None:
    """The figures the drive signed are the receipt's; the register's view must say the same."""
    problems, row = item.problems, item.row
    if int(fiscal.settlement) != document.settlement:
        problems.append(_("The settlement type is {kind}, the fiscal part says {fiscal}.").format(
            kind=document.settlement, fiscal=int(fiscal.settlement)))
    if fiscal.total != document.total:
        problems.append(_("The total is {total}, the fiscal part says {fiscal}.").format(
            total=_roubles(document.total), fiscal=_roubles(fiscal.total)))
    if len(fiscal.items) != len(document.lines):
        problems.append(_("The receipt has {lines} lines, its fiscal part {items}.").format(
            lines=len(document.lines), items=len(fiscal.items)))
    else:
        for position, (line, fiscal_item) in enumerate(zip(document.lines, fiscal.items, strict=True)):
            if (line.amount, line.quantity, int(line.vat)) != (fiscal_item.amount, fiscal_item.quantity, int(fiscal_item.vat)):
                problems.append(_("Line {n} differs from its fiscal part.").format(n=position + 1))
    for name in _TENDERS:
        if row[name] != getattr(fiscal, name):
            problems.append(_("The payments of kind {kind} add up to {sum}, the fiscal part says {fiscal}.").format(
                kind=name, sum=_roubles(row[name]), fiscal=_roubles(getattr(fiscal, name))))
    # What counts is what the drive signed.
    row.update(settlement=int(fiscal.settlement), total=fiscal.total, **{name: getattr(fiscal, name) for name in _TENDERS})


def _acknowledge(session: Session, checked: list[_Checked], *, ofd_key: bytes, now: datetime) -> None:
    """Play the OFD for every signed document: one acknowledged document per drive number."""
    signed = [item for item in checked if item.signed]
    if not signed:
        return
    numbers = {(item.row["fn_serial"], item.row["fiscal_number"]) for item in signed}
    taken = {(row.fn_serial, row.fiscal_number): row for row in session.execute(
        select(SalesDocument.id, SalesDocument.fn_serial, SalesDocument.fiscal_number, SalesDocument.tlv,
               SalesDocument.ofd_received_at, SalesDocument.ofd_sign)
        .where(SalesDocument.account_id == signed[0].row["account_id"], SalesDocument.ofd_sign.is_not(None),
               tuple_(SalesDocument.fn_serial, SalesDocument.fiscal_number).in_(numbers)))}
    for item in signed:
        row = item.row
        number = (row["fn_serial"], row["fiscal_number"])
        first = taken.get(number)
        if first is None:
            row.update(ofd_received_at=now, ofd_sign=operator_sign(ofd_key, row["fn_serial"], row["tlv"]))
            taken[number] = _Taken(row["id"], row["tlv"], row["ofd_received_at"], row["ofd_sign"])
            continue
        if first.tlv == row["tlv"]:
            item.problems.append(_("This fiscal document is on record already, as {id}.").format(id=first.id))
            item.acknowledged_as = first
        else:
            item.problems.append(_("Another document numbered {number} of drive {serial} is on record.").format(
                number=number[1], serial=number[0]))
        _judged(item)


@dataclass(frozen=True)
class _Taken:
    id: uuid.UUID
    tlv: bytes
    ofd_received_at: datetime
    ofd_sign: bytes


def _insert(session: Session, checked: list[_Checked]) -> set[uuid.UUID]:
    """Write the documents, skipping any whose id (or acknowledged number) a racing upload took; return those written."""
    if not checked:
        return set()
    dialect = session.get_bind().dialect.name
    statement = (pg_insert if dialect == "postgresql" else sqlite_insert)(SalesDocument).on_conflict_do_nothing()
    rows = [item.row for item in checked]
    return set(session.scalars(statement.returning(SalesDocument.id), rows))


def _follow_up(session: Session, written: list[_Checked], point: RetailPoint) -> None:
    """What accepted documents bring along: products for the catalog (first, so that a product made
    on the register moves stock on its first sale), then their receipt lines.

    A product the catalog refuses (a name or barcode its rules do not take) puts its document in
    quarantine with the catalog's reason."""
    accepted = [item for item in written if item.row["status"] == ACCEPTED]
    lines = [line for item in accepted for line in item.lines]
    for item in accepted:
        if item.product is None:
            continue
        product = item.product
        try:
            with session.begin_nested():
                catalog_service.add_from_register(
                    session, account_id=point.account_id, catalog_id=point.catalog_id, name=product.name,
                    price=product.price, barcode=product.barcode or None, product_id=product.id)
        except (DomainError, ValidationError, IntegrityError) as error:
            message = (error.errors()[0]["msg"] if isinstance(error, ValidationError)
                       else error.message if isinstance(error, DomainError) else _("the id is taken by another product"))
            item.problems.append(_("The catalog does not take this product: {error}").format(error=message))
            _judged(item)
            session.execute(update(SalesDocument).where(SalesDocument.id == product.id)
                            .values(status=item.row["status"], reason=item.row["reason"]))
    if lines:
        # the cost of goods the stock moved is their moving-average cost; of the rest, the catalog's cost price
        moved = stock_service.record_sales(session, account_id=point.account_id, point_id=point.id,
                                           receipts=[item.row for item in accepted], lines=lines)
        unmoved = [line for line in lines if (line["document_id"], line["position"]) not in moved]
        cost_prices = catalog_service.cost_prices(
            session, account_id=point.account_id, product_ids={line["product_id"] for line in unmoved} - {None})
        for line in lines:
            key = (line["document_id"], line["position"])
            line["cost"] = moved[key] if key in moved else line_amount(cost_prices.get(line["product_id"], 0),
                                                                       line["quantity"])
        session.execute(insert(ReceiptLine), lines)
        rollups.record(session, account_id=point.account_id, point_id=point.id,
                       receipts=[item.row for item in accepted], lines=lines)


# --- the ЛК -----------------------------------------------------------------------------------------

PAGE_SIZE = 50


@dataclass(frozen=True)
class DocumentPage:
    documents: list[SalesDocument]
    cashiers: dict[uuid.UUID, str]
    next_cursor: str | None  # the `before` of the next page, None on the last
    quarantined: int  # how many of the point's documents wait in quarantine


def list_documents(session: Session, actor: Actor, *, point_id: uuid.UUID, quarantined: bool = False,
                   before: str | None = None) -> DocumentPage:
    """A point's documents, newest first, a page at a time; only the quarantined ones when asked."""
    require(actor, Permission.VIEW)
    point = points_service.get_point(session, actor, point_id)
    scope = (SalesDocument.account_id == actor.account_id, SalesDocument.point_id == point.id)
    query = select(SalesDocument).where(*scope)
    if quarantined:
        query = query.where(SalesDocument.status == QUARANTINED)
    documents, next_cursor = _newest_first(session, query, before)
    waiting = session.scalar(select(func.count()).select_from(SalesDocument)
                             .where(*scope, SalesDocument.status == QUARANTINED))
    return DocumentPage(documents=documents, cashiers=points_service.cashier_names(session, account_id=actor.account_id),
                        next_cursor=next_cursor, quarantined=waiting)


def _newest_first(session: Session, query, before: str | None) -> tuple[list[SalesDocument], str | None]:
    """A page of the documents `query` selects, newest first, from the cursor `before`; and the
    cursor of the next page (None on the last)."""
    if before:
        made_at, document_id = _read_cursor(before)
        query = query.where(tuple_(SalesDocument.made_at, SalesDocument.id) < tuple_(made_at, document_id))
    documents = list(session.scalars(query.order_by(SalesDocument.made_at.desc(), SalesDocument.id.desc())
                                     .limit(PAGE_SIZE + 1)))
    if len(documents) <= PAGE_SIZE:
        return documents, None
    documents = documents[:PAGE_SIZE]
    return documents, f"{documents[-1].made_at.isoformat()}_{documents[-1].id}"


@dataclass(frozen=True)
class ReceiptFilter:
    """Which receipts and corrections a figure stands for (`find_receipts`); None: any."""

    account_id: uuid.UUID
    point_ids: list[uuid.UUID] | None  # None: every point of the account
    days: list[date]  # local days, as the statistics count them
    kind: str | None = None  # "sale", "return", "correction"
    cashier_id: uuid.UUID | None = None
    without_cashier: bool = False  # only those made outside a cashier's session
    hour: int | None = None  # local hour of the day
    product_id: uuid.UUID | None = None
    free_price: bool = False  # only those with a line sold at a free price, with no product


_KINDS = {
    "sale": (SalesDocument.kind == "receipt", SalesDocument.settlement == 1),
    "return": (SalesDocument.kind == "receipt", SalesDocument.settlement == 2),
    "correction": (SalesDocument.kind == "correction", SalesDocument.settlement.in_((1, 2))),
}


def find_receipts(session: Session, wanted: ReceiptFilter, *, before: str | None = None) -> DocumentPage:
    """The accepted receipts and corrections behind a figure of the statistics, newest first, a page at
    a time. The days bound `made_at` (`rows.made_within`) so the account's time index is used, and
    `local_day` says exactly."""
    first, last = min(wanted.days), max(wanted.days)
    query = select(SalesDocument).where(
        SalesDocument.account_id == wanted.account_id, SalesDocument.status == ACCEPTED,
        *made_within(first, last),
        SalesDocument.local_day.in_(wanted.days) if len(wanted.days) < last.toordinal() - first.toordinal() + 1
        else SalesDocument.local_day.between(first, last),
        or_(*(and_(*condition) for condition in _KINDS.values())) if wanted.kind is None else and_(*_KINDS[wanted.kind]))
    if wanted.point_ids is not None:
        query = query.where(SalesDocument.point_id.in_(wanted.point_ids))
    if wanted.cashier_id is not None:
        query = query.where(SalesDocument.cashier_id == wanted.cashier_id)
    if wanted.without_cashier:
        query = query.where(SalesDocument.cashier_id.is_(None))
    if wanted.hour is not None:
        query = query.where(SalesDocument.local_hour == wanted.hour)
    if wanted.product_id is not None or wanted.free_price:
        product = ReceiptLine.product_id.is_(None) if wanted.free_price else ReceiptLine.product_id == wanted.product_id
        query = query.where(exists().where(ReceiptLine.document_id == SalesDocument.id, product))
    documents, next_cursor = _newest_first(session, query, before)
    return DocumentPage(documents=documents, cashiers=points_service.cashier_names(session, account_id=wanted.account_id),
                        next_cursor=next_cursor, quarantined=0)


def _read_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        made_at, document_id = cursor.rsplit("_", 1)
        return datetime.fromisoformat(made_at), uuid.UUID(document_id)
    except ValueError:
        raise Invalid(fields={"before": _("This page link is broken; open the list again.")}) from None


def get_document(session: Session, actor: Actor, document_id: uuid.UUID) -> tuple[SalesDocument, list[ReceiptLine]]:
    """One document of the account with its receipt lines."""
    require(actor, Permission.VIEW)
    document = session.get(SalesDocument, document_id)
    if document is None or document.account_id != actor.account_id:
        raise NotFound()
    lines = list(session.scalars(select(ReceiptLine).where(ReceiptLine.document_id == document.id)
                                 .order_by(ReceiptLine.position)))
    return document, lines


def sold_names(session: Session, *, account_id: uuid.UUID, product_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    """A name each product was sold under, for products the catalog no longer has."""
    names: dict[uuid.UUID, str] = {}
    for product_id in product_ids:
        name = session.scalar(select(ReceiptLine.name).where(ReceiptLine.product_id == product_id,
                                                             ReceiptLine.account_id == account_id).limit(1))
        if name is not None:
            names[product_id] = name
    return names
