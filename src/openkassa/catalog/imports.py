"""Importing a catalog file: check it first (the preview), then apply all of it in one transaction.

Checking streams the file row by row (`spreadsheets.read_rows`, `columns.parse_row`), checks each
row as a card would be checked, and stages it in `catalog_import_rows` in batches, so memory does
not grow with the file; a large file is read by a second process meanwhile (`_read_apart`). The database then matches the staged rows to products — by internal code,
then by barcode — finds what the file gives twice and what belongs to another product, and says of
each row whether it is new, changed, unchanged or invalid. Applying matches again (the catalog may
have changed since the preview), then inserts and updates with a few set-based statements. A row
with an internal code no product has is a new product, even if one of its barcodes is known (then
the barcode is refused as another product's), unless that product has no code yet.

A column the file does not have leaves that field of existing products as it is; an empty cell of a
column the file has clears it (to "", 0, no group, no barcodes, the default VAT, unit and kind).

Files uploaded in the back office are checked by the outbox worker (`check_job`); the import's page
shows `rows_total` of `rows_expected` meanwhile. A large file is applied by the worker too
(`apply_later`, `apply_job`), so no web request waits for a million rows.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import pickle
import queue
import re
import signal
import threading
import traceback
import uuid
import zipfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing, contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import BigInteger, Table, Uuid, and_, case, delete, exists, func, insert, literal, select, text, update
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.orm import Session

from openkassa.accounts.roles import Permission
from openkassa.accounts.service import Actor, actor_of, current_revision, lock_account, next_revision, require
from openkassa.catalog import barcodes, columns, search, spreadsheets
from openkassa.catalog.models import (
    Barcode,
    CatalogImport,
    ImportBarcode,
    ImportGroup,
    ImportProblem,
    ImportRow,
    Product,
    ProductGroup,
    new_search_key,
)
from openkassa.catalog.schemas import MAX_BARCODES, WEIGHT_UNITS, ProductIn
from openkassa.catalog.service import MAX_GROUP_DEPTH, get_catalog
from openkassa.config import Settings
from openkassa.db import Database, utcnow
from openkassa.errors import DomainError, Invalid, NotFound
from openkassa.fiscal.enums import ItemType, Unit, VatRate
from openkassa.i18n import _, current_language, language, set_language
from openkassa.ids import new_id, new_ids
from openkassa.jobs.service import enqueue

log = logging.getLogger(__name__)

BATCH = 10_000  # rows staged in one transaction; a bound list of keys is cut to this too
PROBLEMS_SHOWN = 1_000
KEPT = timedelta(days=7)  # how long an import waits to be applied before `purge` forgets it
APPLY_JOB = "catalog_import_apply"
APPLY_IN_BACKGROUND = 20_000  # rows of a file from which the worker applies it, not the web request
READ_APART_ROWS = 200_000  # rows a file is expected to have from which a second process reads it (`_read_apart`)
READ_AHEAD = 4  # batches that process may have read before the database has staged them
READER_EXIT_SECONDS = 5  # how long that process may take to exit after its last batch before it is killed
BULK_ROWS = 10_000  # new products from which an import may build the indexes after inserting
SEARCH_KEYS_A_FILE = spreadsheets.MAX_BYTES + 2  # a row takes a byte at least: no row number reaches it
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_TEXT_LIMITS = {"name": 128, "short_name": 64, "article": 64, "code": 64}
_CLEARED = {
    "name": "", "short_name": "", "article": "", "code": "", "price": 0, "min_price": 0, "cost_price": 0,
    "vat": int(VatRate.NO_VAT), "unit": int(Unit.PIECE), "kind": int(ItemType.GOODS),
    "by_weight": False, "free_price": False, "archived": False,
}
"""What an empty cell of a column sets (the defaults of a new card)."""
_FIELDS = tuple(_CLEARED)  # the card's plain fields an import writes; group and barcodes are apart


# --- starting and checking -----------------------------------------------------------------------


def start(session: Session, actor: Actor, catalog_id: uuid.UUID, filename: str) -> CatalogImport:
    """Record a file to import into a catalog; `check` reads it next."""
    require(actor, Permission.MANAGE)
    catalog = get_catalog(session, actor, catalog_id)
    job = CatalogImport(account_id=actor.account_id, catalog_id=catalog.id, filename=filename[:255])
    session.add(job)
    session.flush()
    return job


def get(session: Session, actor: Actor, import_id: uuid.UUID) -> CatalogImport:
    require(actor, Permission.VIEW)
    job = session.get(CatalogImport, import_id)
    if job is None or job.account_id != actor.account_id:
        raise NotFound()
    return job


def problems(session: Session, job: CatalogImport, limit: int = PROBLEMS_SHOWN) -> list[ImportProblem]:
    """The invalid rows' problems in row order (the first `limit` of them)."""
    return list(session.scalars(select(ImportProblem).where(ImportProblem.import_id == job.id)
                                .order_by(ImportProblem.row, ImportProblem.column).limit(limit)))


def check(db: Database, import_id: uuid.UUID, path: Path, progress: Callable[[int], None] | None = None) -> None:
    """Read the file, stage its rows and classify them; the import becomes "ready", or "failed" with
    the reason when the file itself cannot be used (not a spreadsheet, no header, a column missing)."""
    try:
        header = _stage(db, import_id, path, progress)
    except _Cancelled:
        return
    except (spreadsheets.SpreadsheetError, columns.HeaderError) as error:
        message = error.message if isinstance(error, spreadsheets.SpreadsheetError) else " ".join(error.errors)
        with db.transaction(immediate=True) as session:
            _unstage(session, import_id)
            session.execute(update(CatalogImport).where(CatalogImport.id == import_id)
                            .values(state="failed", error=message[:1000], finished_at=utcnow()))
        return
    with db.transaction(immediate=True) as session:
        job = session.get(CatalogImport, import_id)
        if job is None:  # cancelled after the last batch
            return
        job.columns = ",".join(header.positions)
        job.ignored_columns = "\n".join(header.ignored)[:2000]
        _classify(session, job)
        job.state = "ready"


def check_job(settings: Settings, payload: dict) -> None:
    """The outbox job "catalog_import_check": check an uploaded file in its uploader's language, then delete it.

    If the worker stops midway, the file stays and the job runs again from the start. An import
    cancelled meanwhile is left alone. An error of ours fails the import rather than retrying for an
    hour, since someone is watching its progress bar; the log has the details.
    """
    import_id, path = uuid.UUID(payload["import_id"]), Path(payload["path"])
    db = Database(settings.sqlalchemy_url)
    try:
        with language(payload.get("language", "")):
            _check_uploaded(db, import_id, path)
    finally:
        db.dispose()
    path.unlink(missing_ok=True)


def _check_uploaded(db: Database, import_id: uuid.UUID, path: Path) -> None:
    with db.transaction(immediate=True) as session:
        job = session.get(CatalogImport, import_id)
        if job is None or job.state != "checking":
            return
        _unstage(session, import_id)  # what an attempt cut short had staged
        job.rows_total = 0
    try:
        check(db, import_id, path)
    except Exception:  # noqa: BLE001 - any failure of ours is shown, not retried
        with db.transaction(immediate=True) as session:
            job = session.get(CatalogImport, import_id)
            if job is None:  # cancelled while it was being checked
                return
            log.exception("checking the catalog import %s failed", import_id)
            _unstage(session, import_id)
            job.state, job.finished_at = "failed", utcnow()
            job.error = _("Something went wrong on our side while checking the file. Please upload it again.")


def cancel(session: Session, actor: Actor, import_id: uuid.UUID) -> CatalogImport:
    """Forget an import that was not applied: its staged rows and the import itself."""
    require(actor, Permission.MANAGE)
    job = get(session, actor, import_id)
    if job.state == "applied":
        raise Invalid(_("This file is imported already: there is nothing to cancel."))
    if job.state == "applying":
        raise Invalid(_("This file is being applied: it cannot be cancelled halfway."))
    _unstage(session, job.id)
    session.delete(job)
    return job


def purge(session: Session) -> int:
    """Forget imports not applied within `KEPT` of their upload, with what they staged, and rows
    staged by imports deleted with their catalog (run hourly by the worker); returns how many
    imports. Applied imports stay, as the catalog's history."""
    stale = list(session.scalars(select(CatalogImport.id).where(
        CatalogImport.state != "applied", CatalogImport.created_at < utcnow() - KEPT)))
    for import_id in stale:
        _unstage(session, import_id)
    session.execute(delete(CatalogImport).where(CatalogImport.id.in_(stale)))
    for model in (ImportRow, ImportBarcode, ImportGroup):  # staged by imports deleted with their catalog
        session.execute(delete(model).where(~exists().where(CatalogImport.id == model.import_id)))
    return len(stale)


def _unstage(session: Session, import_id: uuid.UUID) -> None:
    """Delete what checking an import has staged."""
    for model in (ImportRow, ImportBarcode, ImportGroup, ImportProblem):
        session.execute(delete(model).where(model.import_id == import_id))


def _stage(db: Database, import_id: uuid.UUID, path: Path, progress: Callable[[int], None] | None) -> columns.HeaderMap:
    with db.transaction(immediate=True) as session:
        job = session.get(CatalogImport, import_id)
        if job is None:
            raise _Cancelled()
        filename = job.filename
        job.rows_expected = _expected_rows(path, filename)
        read = _read_apart if job.rows_expected >= READ_APART_ROWS else _read
    driver = db.engine.url.drivername
    with closing(read(path, filename, driver, import_id)) as batches:
        header = columns.match_headers(next(batches))  # as the reader matched it
        names = _staged_names(header)
        for batch in batches:
            _write(db, import_id, names, batch)
            if progress is not None:
                progress(batch.total)
    return header


def _staged_fields(header: columns.HeaderMap) -> tuple:
    return tuple(field for field in _STAGED_FIELDS if field[0] in header.positions)


def _staged_names(header: columns.HeaderMap) -> tuple[str, ...]:
    """The columns of `catalog_import_rows` a file with this header stages."""
    return ("import_id", "row", "outcome", "new_product_id", *(field[0] for field in _staged_fields(header)),
            "group_path", "group_key")


class _Batch(NamedTuple):
    """Rows of a file as staged: `rows` for `catalog_import_rows` (with the columns the header
    gives), their barcodes, the problems of the invalid ones, and the rows read so far."""
    rows: list[tuple]
    codes: list[tuple]
    problems: list[tuple]
    total: int


def _read(path: Path, filename: str, driver: str, import_id: uuid.UUID) -> Iterator:
    """Read, parse and check a file's rows: first the header row's cells, then `_Batch`es of at
    most `BATCH` rows, with values as the database's `driver` takes them. The last batch may be
    empty; each says how many rows were read so far."""
    to_driver = _uuid_values(make_url(f"{driver}://").get_dialect()())
    rows = spreadsheets.read_rows(path, filename)
    header_row = next(rows, None)
    if header_row is None:
        raise spreadsheets.SpreadsheetError(_("The file is empty."))
    header = columns.match_headers(header_row[1])
    yield header_row[1]
    job_key = to_driver(import_id)
    fields = _staged_fields(header)
    group_keys: dict[tuple[str, ...], int] = {}  # each distinct path of the file gets a number
    nothing = (None,) * (len(fields) + 2)  # an invalid row stages no values
    product_ids = new_ids()
    batch = _Batch([], [], [], 0)
    total = 0
    for number, cells in rows:
        values, errors = columns.parse_row(number, cells, header)
        errors += _card_errors(number, values, header, group_keys)
        total += 1
        if errors:
            batch.rows.append((job_key, number, "invalid", to_driver(next(product_ids)), *nothing))
            batch.problems.extend((to_driver(new_id()), job_key, error.row, error.column[:200], error.message[:500])
                                  for error in errors)
        else:
            batch.rows.append(_staged_row(job_key, number, to_driver(next(product_ids)), values, fields, group_keys))
            batch.codes.extend((job_key, number, code) for code in values.get("barcodes") or ())
        if len(batch.rows) >= BATCH:
            yield batch._replace(total=total)
            batch = _Batch([], [], [], 0)
    yield batch._replace(total=total)


def _read_apart(path: Path, filename: str, driver: str, import_id: uuid.UUID) -> Iterator:
    """`_read` in a second process, which hands the batches over as they are read: checking a large
    file's rows takes Python longer than staging them takes the database, and on two cores the two
    run at once. A failure there is raised here as it was raised there."""
    context = multiprocessing.get_context("spawn")  # no copy of this process's connections and threads
    receiving, sending = context.Pipe(duplex=False)
    reader = context.Process(target=_read_into, args=(sending, path, filename, driver, import_id, current_language()),
                             name="openkassa-import-reader", daemon=True)
    finished = False
    try:
        reader.start()
        sending.close()  # the reader's end: when the reader stops, receiving ends instead of waiting
        while True:
            try:
                item = pickle.loads(receiving.recv_bytes())
            except EOFError:
                reader.join()
                raise RuntimeError(f"the process reading the file stopped (exit code {reader.exitcode})") from None
            if item is None:
                finished = True
                break
            if isinstance(item, _Failure):
                finished = True
                raise item.rebuilt()
            yield item
    finally:
        sending.close()
        receiving.close()  # a reader still sending gets a broken pipe and exits (`_read_into`)
        if reader.pid is not None:
            reader.join(timeout=READER_EXIT_SECONDS if finished else 0)
            if reader.is_alive():  # cancelled, or the database refused a batch
                reader.kill()
                reader.join()


def _read_into(sending, path: Path, filename: str, driver: str, import_id: uuid.UUID, language_code: str) -> None:
    """The second process of `_read_apart`: every item of `_read`, then None (or the failure).

    The items are pickled here and sent by a thread, which waits on the pipe without the GIL: the
    reading goes on while the database stages the batches before, `READ_AHEAD` of them at most.
    When the pipe breaks (the first process stopped, even killed), the process exits at once.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is for the first process, which stops this one
    set_language(language_code)
    ready: queue.Queue[bytes | None] = queue.Queue(maxsize=READ_AHEAD)

    def send() -> None:
        try:
            while (data := ready.get()) is not None:
                sending.send_bytes(data)
        except BaseException:  # noqa: BLE001 - nobody is left to read: not even the main thread may wait on
            os._exit(1)

    sender = threading.Thread(target=send, name="openkassa-import-sender", daemon=True)
    sender.start()
    try:
        for item in _read(path, filename, driver, import_id):
            ready.put(pickle.dumps(item, pickle.HIGHEST_PROTOCOL))
        last = None
    except spreadsheets.SpreadsheetError as error:
        last = _Failure("spreadsheet", error.message)
    except columns.HeaderError as error:
        last = _Failure("header", error.errors)
    except Exception:  # noqa: BLE001 - anything else is ours: its trace goes along for the log
        last = _Failure("crash", traceback.format_exc())
    ready.put(pickle.dumps(last, pickle.HIGHEST_PROTOCOL))
    ready.put(None)
    sender.join()
    sending.close()


class _Failure(NamedTuple):
    """What stopped the second process of `_read_apart`."""
    kind: str
    detail: object

    def rebuilt(self) -> Exception:
        if self.kind == "spreadsheet":
            return spreadsheets.SpreadsheetError(self.detail)
        if self.kind == "header":
            return columns.HeaderError(self.detail)
        return RuntimeError(f"reading the file failed:\n{self.detail}")


_BARCODES = ("import_id", "row", "code")
_PROBLEMS = ("id", "import_id", "row", "column", "message")


def _same(value: object) -> object:
    return value


_STAGED_FIELDS = tuple((key, int(value), int) if key in ("vat", "unit", "kind") else (key, value, _same)
                       for key, value in _CLEARED.items())
"""Each field a row may stage: its key, what an empty cell stages, and how a value is staged (a code
as a plain int, not its enum)."""


def _staged_row(job_key: object, number: int, product_key: object, values: dict[str, object], fields: tuple,
                group_keys: dict[tuple[str, ...], int]) -> tuple:
    """A valid row as staged: the values of the file's `fields`, an empty cell as what it clears to;
    the fields the file does not have stay NULL (applying leaves them alone). A group path comes
    with its number in the file (`group_keys`), by which its group is found for all its rows."""
    group = values.get("group")
    return (job_key, number, None, product_key,
            *[cleared if (value := values[key]) is None else stage(value) for key, cleared, stage in fields],
            *(("/".join(group), group_keys.setdefault(group, len(group_keys) + 1)) if group else (None, None)))


def _write(db: Database, import_id: uuid.UUID, names: tuple[str, ...], batch: _Batch) -> None:
    """One batch of staged rows (with the columns `names`) in a transaction of its own; the import's row
    count shows the progress."""
    with db.transaction(immediate=True) as session:
        if not session.execute(update(CatalogImport).where(CatalogImport.id == import_id).values(rows_total=batch.total)).rowcount:
            raise _Cancelled()  # staged rows have no foreign key to refuse them: stop reading the file
        for table, table_names, rows in ((_rows, names, batch.rows), (ImportBarcode.__table__, _BARCODES, batch.codes),
                                         (ImportProblem.__table__, _PROBLEMS, batch.problems)):
            _insert(session, table, table_names, rows)


class _Cancelled(Exception):
    """The import was cancelled (deleted) while its file was being checked."""


def _uuid_values(dialect: Dialect) -> Callable[[uuid.UUID], object]:
    """How the database's driver takes a UUID (SQLite stores it as hex text)."""
    convert = Uuid().bind_processor(dialect)
    return convert or (lambda value: value)


def _insert(session: Session, table: Table, names: tuple[str, ...], rows: list[tuple]) -> None:
    """An executemany straight to the driver: the staging of a million rows is the hot path, and
    compiling parameters row by row costs more than the insert. The values must be as the driver
    takes them (UUIDs through `_uuid_values`). No rows, no statement."""
    if not rows:
        return
    connection = session.connection()
    quote = connection.dialect.identifier_preparer
    marker = "?" if connection.dialect.name == "sqlite" else "%s"
    connection.exec_driver_sql(f"INSERT INTO {quote.format_table(table)} ({', '.join(quote.quote(name) for name in names)}) "
                               f"VALUES ({', '.join([marker] * len(names))})", rows)


_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"[A-Z]{1,3}\d+(?::[A-Z]{1,3}(\d+))?\"")


def _expected_rows(path: Path, filename: str) -> int:
    """About how many product rows the file has, for the progress bar; 0 when it cannot be told cheaply.

    A CSV: its size by the length of its first lines. An .xlsx: the last row of the largest sheet's
    `<dimension>`, which Excel, LibreOffice and XlsxWriter write at the top of the sheet. An .xls is
    not estimated: it holds 65,535 rows at most and is checked in seconds.
    """
    try:
        size = path.stat().st_size
        with path.open("rb") as file:
            head = file.read(spreadsheets.HEAD_BYTES)
        kind = spreadsheets.detect_format(head, filename)
        if kind == "csv":
            lines = head.count(b"\n") + (not head.endswith(b"\n"))
            return max(0, (lines if len(head) == size else round(size * lines / len(head))) - 1)
        if kind == "xlsx":
            with zipfile.ZipFile(path) as archive:
                last_rows = [int(found.group(1) or 1) for name in archive.namelist()
                             if name.startswith("xl/worksheets/") and name.endswith(".xml")
                             if (found := _DIMENSION.search(archive.open(name).read(4096)))]
            return max(0, max(last_rows, default=1) - 1)
    except Exception:  # noqa: BLE001 - an estimate never stops a check: reading the file says what is wrong
        pass
    return 0


def _card_errors(number: int, values: dict[str, object], header: columns.HeaderMap,
                 group_keys: dict[tuple[str, ...], int]) -> list[columns.CellError]:
    """The rules of a card (`schemas.ProductIn`) a row must keep, written out for speed: a million rows
    go through here. A group path already numbered (`group_keys`) was found valid before."""
    found: list[tuple[str, str]] = []  # (column key, message)
    for key, limit in _TEXT_LIMITS.items():
        text = values.get(key)
        if text:
            if len(text) > limit:
                found.append((key, _("{length} characters, at most {limit} allowed.").format(length=len(text), limit=limit)))
            elif _CONTROL.search(text):
                found.append((key, _("Remove the control characters.")))
        elif key == "name" and "name" in values:
            found.append((key, _("The name is required.")))
    path = values.get("group")
    if path and path not in group_keys:
        found += [("group", message) for message in _group_errors(path)]
    codes = values.get("barcodes")
    if codes:
        found += [("barcodes", message) for message in _barcode_errors(codes)]
    # A rule some of whose columns the file lacks is checked with the stored values (`_refuse_inconsistent`).
    if "min_price" in values and "price" in values and "free_price" in values:
        price, min_price = values["price"] or 0, values["min_price"] or 0  # an empty cell clears to 0
        if min_price > price and not values["free_price"]:
            found.append(("min_price", _("The minimum price cannot be above the price.")))
    if values.get("by_weight") and "unit" in values and values["unit"] not in WEIGHT_UNITS:  # empty: pieces
        found.append(("by_weight", _("A product sold by weight is measured in grams, kilograms or tonnes.")))
    return [columns.CellError(number, header.headers[key], message) for key, message in found]


def _group_errors(path: tuple[str, ...]) -> list[str]:
    errors = []
    if len(path) > MAX_GROUP_DEPTH:
        errors.append(_("Groups nest at most {depth} deep.").format(depth=MAX_GROUP_DEPTH))
    for part in path:
        if len(part) > _TEXT_LIMITS["name"]:
            errors.append(_("{length} characters, at most {limit} allowed.").format(length=len(part), limit=_TEXT_LIMITS["name"]))
        elif _CONTROL.search(part):
            errors.append(_("Remove the control characters."))
    return errors


def _barcode_errors(codes: list[str]) -> list[str]:
    if len(codes) > MAX_BARCODES:
        return [_("At most {count} barcodes a product.").format(count=MAX_BARCODES)]
    errors = []
    for code in codes:
        try:
            barcodes.normalize(code)
        except ValueError as error:
            errors.append(str(error))
    if len(set(codes)) < len(codes):
        errors.append(_("A barcode is given twice in the cell."))
    return errors


_PRICE_RULE = ("price", "min_price", "free_price")  # the columns of each rule `_refuse_inconsistent` checks
_WEIGHT_RULE = ("by_weight", "unit")


# --- classifying ------------------------------------------------------------------------------------


_rows = ImportRow.__table__


def _classify(session: Session, job: CatalogImport) -> None:
    """Match the staged rows to products and say what each would do; count the outcomes."""
    present = set(job.columns.split(",")) if job.columns else set()
    if session.get_bind().dialect.name == "postgresql":  # fresh statistics, or the duplicate search plans quadratically
        session.execute(text("ANALYZE catalog_import_rows, catalog_import_barcodes"))
    # Read before matching: a product committed meanwhile moves the revision past this one, so apply matches again.
    job.checked_revision = current_revision(session, job.account_id)
    pending = and_(_rows.c.import_id == job.id, _rows.c.outcome.is_(None))
    session.execute(update(_rows).where(_rows.c.import_id == job.id, _rows.c.outcome.in_(("new", "changed", "unchanged")))
                    .values(outcome=None, product_id=None))
    _refuse_twice_in_file(session, job)
    if session.scalar(select(exists().where(Product.catalog_id == job.catalog_id))):  # else every row is new
        _match(session, job)
    _refuse_inconsistent(session, job, present)
    if "group" in present:
        _resolve_groups(session, job, create=False)
    session.execute(update(_rows).where(pending, _rows.c.product_id.is_(None)).values(outcome="new"))
    same = exists(select(1).where(Product.id == _rows.c.product_id, *_unchanged(present)))
    session.execute(update(_rows).where(pending).values(outcome=case((same, "unchanged"), else_="changed")))
    counts = dict(session.execute(select(_rows.c.outcome, func.count()).where(_rows.c.import_id == job.id)
                                  .group_by(_rows.c.outcome)).all())
    job.new, job.changed, job.unchanged, job.invalid = (counts.get(outcome, 0) for outcome in ("new", "changed", "unchanged", "invalid"))


def _match(session: Session, job: CatalogImport) -> None:
    """Find each staged row's product, by internal code, then by barcode, and refuse the rows that
    would take what belongs to another product."""
    pending = and_(_rows.c.import_id == job.id, _rows.c.outcome.is_(None))
    session.execute(update(_rows).where(pending, _rows.c.code != "").values(product_id=(
        select(Product.id).where(Product.catalog_id == job.catalog_id, Product.code == _rows.c.code, Product.code != "")
        .scalar_subquery()
    )))
    # A code is a product's identity: a row whose code is new matches by barcode only a product without a code.
    session.execute(update(_rows).where(pending, _rows.c.product_id.is_(None)).values(product_id=(
        select(Barcode.product_id).join(ImportBarcode, and_(Barcode.catalog_id == job.catalog_id, Barcode.code == ImportBarcode.code))
        .join(Product, Product.id == Barcode.product_id)
        .where(ImportBarcode.import_id == _rows.c.import_id, ImportBarcode.row == _rows.c.row,
               (_rows.c.code == "") | _rows.c.code.is_(None) | (Product.code == ""))
        .limit(1).scalar_subquery()
    )))
    _refuse_conflicts(session, job)


def _refuse(session: Session, job: CatalogImport, found: Iterable[tuple[int, str, str]]) -> None:
    """Mark rows invalid, each with the column at fault and the reason."""
    found = list(found)
    if not found:
        return
    session.execute(insert(ImportProblem), [
        {"id": new_id(), "import_id": job.id, "row": row, "column": column[:200], "message": message[:500]}
        for row, column, message in found
    ])
    refused = sorted({row for row, _column, _message in found})
    for start in range(0, len(refused), BATCH):  # a bound list stays under the databases' limits on parameters
        session.execute(update(_rows).where(_rows.c.import_id == job.id, _rows.c.row.in_(refused[start:start + BATCH]))
                        .values(outcome="invalid"))


def _header(key: str) -> str:
    return next(column.ru for column in columns.COLUMNS if column.key == key)


def _refuse_twice_in_file(session: Session, job: CatalogImport) -> None:
    """A code or a barcode given in two rows: the later rows are refused, naming the first."""
    firsts = select(_rows.c.code, func.min(_rows.c.row).label("first")).where(
        _rows.c.import_id == job.id, _rows.c.outcome.is_(None), _rows.c.code != "").group_by(_rows.c.code).having(func.count() > 1).subquery()
    twice = session.execute(select(_rows.c.row, _rows.c.code, firsts.c.first).join(firsts, firsts.c.code == _rows.c.code)
                            .where(_rows.c.import_id == job.id, _rows.c.outcome.is_(None), _rows.c.row != firsts.c.first)).all()
    _refuse(session, job, [(row, _header("code"), _("Code {code} is in row {first} already.").format(code=code, first=first))
                           for row, code, first in twice])
    first_codes = select(ImportBarcode.code, func.min(ImportBarcode.row).label("first")).where(
        ImportBarcode.import_id == job.id).group_by(ImportBarcode.code).having(func.count() > 1).subquery()
    twice = session.execute(select(ImportBarcode.row, ImportBarcode.code, first_codes.c.first)
                            .join(first_codes, first_codes.c.code == ImportBarcode.code)
                            .where(ImportBarcode.import_id == job.id, ImportBarcode.row != first_codes.c.first)).all()
    _refuse(session, job, [(row, _header("barcodes"), _("Barcode {code} is in row {first} already.").format(code=code, first=first))
                           for row, code, first in twice])


def _refuse_conflicts(session: Session, job: CatalogImport) -> None:
    """What belongs to another product than the one a row matched, and two rows matching one product."""
    pending = and_(_rows.c.import_id == job.id, _rows.c.outcome.is_(None))
    owners = session.execute(
        select(_rows.c.row, ImportBarcode.code, Product.name)
        .join(ImportBarcode, and_(ImportBarcode.import_id == _rows.c.import_id, ImportBarcode.row == _rows.c.row))
        .join(Barcode, and_(Barcode.catalog_id == job.catalog_id, Barcode.code == ImportBarcode.code))
        .join(Product, Product.id == Barcode.product_id)
        .where(pending, (_rows.c.product_id.is_(None)) | (_rows.c.product_id != Barcode.product_id))
    ).all()
    _refuse(session, job, [(row, _header("barcodes"), _("Barcode {code} belongs to «{name}».").format(code=code, name=name))
                           for row, code, name in owners])
    owners = session.execute(
        select(_rows.c.row, _rows.c.code, Product.name)
        .join(Product, and_(Product.catalog_id == job.catalog_id, Product.code == _rows.c.code, Product.code != ""))
        .where(pending, _rows.c.product_id.is_not(None), Product.id != _rows.c.product_id)
    ).all()
    _refuse(session, job, [(row, _header("code"), _("Code {code} belongs to «{name}».").format(code=code, name=name))
                           for row, code, name in owners])
    firsts = select(_rows.c.product_id, func.min(_rows.c.row).label("first")).where(pending, _rows.c.product_id.is_not(None)) \
        .group_by(_rows.c.product_id).having(func.count() > 1).subquery()
    twice = session.execute(select(_rows.c.row, firsts.c.first).join(firsts, firsts.c.product_id == _rows.c.product_id)
                            .where(pending, _rows.c.row != firsts.c.first)).all()
    _refuse(session, job, [(row, _header("name"), _("The same product as row {first}.").format(first=first)) for row, first in twice])


def _refuse_inconsistent(session: Session, job: CatalogImport, present: set[str]) -> None:
    """Rows that would break a card's rule together with what the file leaves as it is: the stored
    value of a matched product, the default of a new one (a minimum price above the price, a unit
    that does not weigh for a product sold by weight). A file with all the columns of a rule, or
    none, was checked row by row already (`_card_errors`)."""
    def value(key: str):
        return _rows.c[key] if key in present else func.coalesce(getattr(Product, key), literal(_CLEARED[key]))

    rules = [
        (_PRICE_RULE, (value("min_price") > value("price")) & ~value("free_price"),
         _("The minimum price cannot be above the price.")),
        (_WEIGHT_RULE, value("by_weight") & value("unit").not_in([int(unit) for unit in WEIGHT_UNITS]),
         _("A product sold by weight is measured in grams, kilograms or tonnes.")),
    ]
    for keys, broken, message in rules:
        given = [key for key in keys if key in present]
        if not given or len(given) == len(keys):
            continue
        found = session.scalars(select(_rows.c.row).outerjoin(Product, Product.id == _rows.c.product_id)
                                .where(_rows.c.import_id == job.id, _rows.c.outcome.is_(None), broken)).all()
        _refuse(session, job, [(row, _header(given[-1]), message) for row in found])


def _unchanged(present: set[str]) -> list:
    """Conditions under which a matched row would change nothing of its product."""
    conditions = [getattr(Product, key) == _rows.c[key] for key in _FIELDS if key in present]
    if "group" in present:
        conditions += [Product.group_id.is_not_distinct_from(_rows.c.group_id),
                       _rows.c.group_path.is_(None) | _rows.c.group_id.is_not(None)]  # a group still to make is a change
    if "barcodes" in present:
        # Each subquery is about the row being classified (`correlate`): left alone, SQLAlchemy would
        # give it a FROM of its own and count over every staged row of every import.
        mine = select(func.count()).select_from(Barcode).where(Barcode.product_id == _rows.c.product_id) \
            .correlate(_rows).scalar_subquery()
        given = select(func.count()).select_from(ImportBarcode).where(
            ImportBarcode.import_id == _rows.c.import_id, ImportBarcode.row == _rows.c.row).correlate(_rows).scalar_subquery()
        missing = exists(select(1).select_from(ImportBarcode).where(
            ImportBarcode.import_id == _rows.c.import_id, ImportBarcode.row == _rows.c.row,
            ~exists(select(1).where(Barcode.product_id == _rows.c.product_id, Barcode.code == ImportBarcode.code)
                    .correlate(_rows, ImportBarcode))).correlate(_rows))
        conditions += [mine == given, ~missing]
    return conditions


def _resolve_groups(session: Session, job: CatalogImport, *, create: bool) -> None:
    """Find (and when applying, make) the group of each staged path; the same name in any case is one group.

    Each path has its number in the file (`group_key`, given while staging); the groups found go to
    `catalog_import_groups` by that number, and one statement gives each row its group: a statement
    per path would read all the rows again for each of a file's thousand groups.
    """
    session.execute(delete(ImportGroup).where(ImportGroup.import_id == job.id))
    groups = session.execute(select(ProductGroup.id, ProductGroup.parent_id, ProductGroup.name)
                             .where(ProductGroup.catalog_id == job.catalog_id)).all()
    if not groups and not create:  # nothing to find: spare reading every row
        return
    paths = session.execute(select(_rows.c.group_key, func.min(_rows.c.group_path)).where(
        _rows.c.import_id == job.id, _rows.c.outcome.is_distinct_from("invalid"), _rows.c.group_key.is_not(None))
        .group_by(_rows.c.group_key)).all()
    if not paths:
        return
    children = {(parent_id, name.lower()): group_id for group_id, parent_id, name in groups}
    revision = next_revision(session, job.account_id) if create else 0
    found: list[tuple] = []
    for key, path in paths:
        parent = None
        for name in path.split("/"):
            group_id = children.get((parent, name.lower()))
            if group_id is None and create:
                group_id = new_id()
                session.add(ProductGroup(id=group_id, account_id=job.account_id, catalog_id=job.catalog_id,
                                         parent_id=parent, name=name, revision=revision))
                session.flush()
                children[(parent, name.lower())] = group_id
            parent = group_id
            if parent is None:
                break
        if parent is not None:
            found.append((key, parent))
    if not found:
        return
    to_driver = _uuid_values(session.get_bind().dialect)
    job_key = to_driver(job.id)
    _insert(session, ImportGroup.__table__, ("import_id", "group_key", "group_id"),
            [(job_key, key, to_driver(group_id)) for key, group_id in found])
    session.execute(update(_rows).where(_rows.c.import_id == job.id, _rows.c.group_key.is_not(None)).values(group_id=(
        select(ImportGroup.group_id).where(ImportGroup.import_id == _rows.c.import_id, ImportGroup.group_key == _rows.c.group_key)
        .scalar_subquery())))


# --- applying ---------------------------------------------------------------------------------------


def apply_later(session: Session, actor: Actor, import_id: uuid.UUID, *, skip_invalid: bool = False) -> CatalogImport:
    """Have the worker apply a large file (`apply_job`), so no web request waits for a million rows;
    the import is "applying" meanwhile. What `apply` would refuse at once is refused here."""
    require(actor, Permission.MANAGE)
    job = get(session, actor, import_id)
    if job.state != "ready":
        raise Invalid(_("This import is not waiting to be applied."))
    if job.invalid and not skip_invalid:
        raise Invalid(_("{count} rows have errors: correct the file, or choose to skip those rows.").format(count=job.invalid))
    job.state, job.error = "applying", ""
    enqueue(session, APPLY_JOB, {"import_id": str(job.id), "user_id": str(actor.user_id), "skip_invalid": skip_invalid,
                                 "language": current_language()})
    return job


def apply_job(settings: Settings, payload: dict) -> None:
    """The outbox job "catalog_import_apply": apply an import in its applier's name and language.

    When `apply` refuses (the catalog changed since the preview and rows broke), or fails, the import
    is ready again with the reason, which its page shows; it is not retried, as somebody is watching.
    """
    import_id, user_id = uuid.UUID(payload["import_id"]), uuid.UUID(payload["user_id"])
    db = Database(settings.sqlalchemy_url)
    try:
        with language(payload.get("language", "")):
            try:
                with db.transaction(immediate=True) as session:
                    apply(session, actor_of(session, user_id=user_id), import_id, skip_invalid=payload["skip_invalid"])
            except DomainError as refusal:  # the rows broke, or the person may no longer change the catalog
                _back_to_ready(db, import_id, refusal.message)
            except Exception:  # noqa: BLE001 - any failure of ours is shown, not retried
                log.exception("applying the catalog import %s failed", import_id)
                _back_to_ready(db, import_id, _("Something went wrong on our side while applying the file. "
                                                "Nothing was changed; please try again."))
    finally:
        db.dispose()


def _back_to_ready(db: Database, import_id: uuid.UUID, reason: str) -> None:
    with db.transaction(immediate=True) as session:
        session.execute(update(CatalogImport).where(CatalogImport.id == import_id, CatalogImport.state == "applying")
                        .values(state="ready", error=reason[:1000]))


def apply(session: Session, actor: Actor, import_id: uuid.UUID, *, skip_invalid: bool = False) -> CatalogImport:
    """Write what the checked file says, all of it or nothing. Invalid rows stop it unless skipped."""
    require(actor, Permission.MANAGE)
    lock_account(session, actor.account_id)  # one catalog change at a time: matching stays true
    job = get(session, actor, import_id)
    session.refresh(job)  # as it is now that this transaction holds the lock: another apply may have run
    if job.state not in ("ready", "applying"):
        raise Invalid(_("This import is not waiting to be applied."))
    if current_revision(session, actor.account_id) != job.checked_revision:  # the catalog may have changed
        _classify(session, job)
    if job.invalid and not skip_invalid:
        raise Invalid(_("{count} rows have errors: correct the file, or choose to skip those rows.").format(count=job.invalid))
    present = set(job.columns.split(","))
    revision = next_revision(session, actor.account_id)
    now = utcnow()
    if "group" in present:
        _resolve_groups(session, job, create=True)
    with _indexes_built_after(session, job):
        _write_products(session, job, present, revision, now)
    job.state, job.finished_at = "applied", now
    _forget_staged(session, job.id)
    return job


MAX_UPSERT = 10_000  # products one bulk upsert takes
_UPSERT_COLUMNS = (*_FIELDS, "barcodes", "group")
_API_FIELDS = {column.ru: "group_id" if column.key == "group" else column.key for column in columns.COLUMNS}
"""The API's field of each column a problem names."""


class Upserted(NamedTuple):
    code: str
    product_id: uuid.UUID
    outcome: str  # "new", "changed" or "unchanged"


def upsert(session: Session, actor: Actor, catalog_id: uuid.UUID, cards: list[ProductIn]) -> list[Upserted]:
    """Create or replace whole product cards by their internal code, all or none: the JSON API's bulk
    upsert, idempotent (sent twice, the second time changes nothing).

    The cards go through the import's matching and writing (staged as the rows 1, 2, … of a file that
    has every column), so a code or a barcode given twice, or a barcode of another product, is
    refused as in a file; each problem is raised on `products.<index>.<field>`. Answers each card's
    product and what happened to it, in the order sent.
    """
    require(actor, Permission.MANAGE)
    catalog = get_catalog(session, actor, catalog_id)
    lock_account(session, actor.account_id)  # one catalog change at a time: the matching stays true
    _refuse_cards(session, catalog.id, cards)
    job = CatalogImport(account_id=actor.account_id, catalog_id=catalog.id, filename="API", state="ready",
                        columns=",".join(_UPSERT_COLUMNS))
    session.add(job)
    session.flush()
    to_driver = _uuid_values(session.get_bind().dialect)
    job_key, product_ids = to_driver(job.id), new_ids()
    _insert(session, _rows, ("import_id", "row", "outcome", "new_product_id", *_FIELDS, "group_id"), [
        (job_key, row, None, to_driver(next(product_ids)), *(stage(getattr(card, key)) for key, _cleared, stage in _STAGED_FIELDS),
         None if card.group_id is None else to_driver(card.group_id))
        for row, card in enumerate(cards, start=1)])
    _insert(session, ImportBarcode.__table__, _BARCODES,
            [(job_key, row, code) for row, card in enumerate(cards, start=1) for code in card.barcodes])
    _classify(session, job)
    if job.invalid:
        raise Invalid(fields={f"products.{problem.row - 1}.{_API_FIELDS.get(problem.column, 'code')}": problem.message
                              for problem in reversed(problems(session, job))})  # the first problem of a field stays
    done = [Upserted(cards[row - 1].code, product_id, outcome) for row, product_id, outcome in session.execute(
        select(_rows.c.row, func.coalesce(_rows.c.product_id, _rows.c.new_product_id), _rows.c.outcome)
        .where(_rows.c.import_id == job.id).order_by(_rows.c.row))]
    if job.new or job.changed:
        apply(session, actor, job.id)
    else:  # a retry: no revision taken, no register woken
        _forget_staged(session, job.id)
    session.delete(job)  # a request, not a file: no import to keep in the catalog's history
    return done


def _refuse_cards(session: Session, catalog_id: uuid.UUID, cards: list[ProductIn]) -> None:
    """What the import's matching does not check: every card has its code, and its group is of this catalog."""
    fields: dict[str, str] = {}
    if len(cards) > MAX_UPSERT:
        raise Invalid(fields={"products": _("At most {count} products a request.").format(count=MAX_UPSERT)})
    for index, card in enumerate(cards):
        if not card.code:
            fields[f"products.{index}.code"] = _("Required: products are matched by their internal code.")
    wanted = {card.group_id for card in cards if card.group_id is not None}
    known = set(session.scalars(select(ProductGroup.id).where(ProductGroup.catalog_id == catalog_id,
                                                              ProductGroup.id.in_(wanted)))) if wanted else set()
    for index, card in enumerate(cards):
        if card.group_id is not None and card.group_id not in known:
            fields[f"products.{index}.group_id"] = _("Not found.")
    if fields:
        raise Invalid(fields=fields)


def _forget_staged(session: Session, import_id: uuid.UUID) -> None:
    """Delete an applied import's staged rows. On SQLite, when no other import has any, all of each
    table goes: a DELETE without WHERE frees its pages at once (a second less at a million rows)."""
    alone = session.get_bind().dialect.name == "sqlite" and not any(  # both ends of the key: no walk over our rows
        session.scalar(select(exists().where(other))) for other in (_rows.c.import_id < import_id, _rows.c.import_id > import_id))
    for model in (ImportBarcode, ImportGroup, ImportRow):
        session.execute(delete(model) if alone else delete(model).where(model.import_id == import_id))


def _write_products(session: Session, job: CatalogImport, present: set[str], revision: int, now: datetime) -> None:
    """Insert the new products, update the changed ones, and give both their barcodes."""
    fields = [key for key in _FIELDS if key in present]
    new_rows = and_(_rows.c.import_id == job.id, _rows.c.outcome == "new")
    defaults = {key: literal(value) for key, value in _CLEARED.items() if key not in present}
    session.execute(insert(Product).from_select(
        ["id", "account_id", "catalog_id", "group_id", "search_key", "revision", "from_register", "created_at", "updated_at",
         *fields, *defaults],
        select(_rows.c.new_product_id, literal(job.account_id, Uuid()), literal(job.catalog_id, Uuid()), _rows.c.group_id,
               literal(new_search_key(SEARCH_KEYS_A_FILE), BigInteger()) + _rows.c.row, literal(revision), literal(False),
               literal(now, Product.created_at.type), literal(now, Product.updated_at.type),
               *(_rows.c[key] for key in fields), *defaults.values())
        .where(new_rows)
        .order_by(_rows.c.row)  # rising search keys: SQLite's FTS5 adds a run of them in one go, a random one each alone
    ))
    changed = {key: _rows.c[key] for key in fields}
    if "group" in present:
        changed["group_id"] = _rows.c.group_id
    session.execute(update(Product).where(Product.id == _rows.c.product_id, _rows.c.import_id == job.id, _rows.c.outcome == "changed")
                    .values(**changed, revision=revision, updated_at=now, from_register=False)
                    .execution_options(synchronize_session=False))  # no session objects to refresh: not a million keys back
    if "barcodes" in present:
        session.execute(delete(Barcode).where(Barcode.product_id.in_(
            select(_rows.c.product_id).where(_rows.c.import_id == job.id, _rows.c.outcome == "changed")))
            .execution_options(synchronize_session=False))
        session.execute(insert(Barcode).from_select(["catalog_id", "code", "product_id"], select(
            literal(job.catalog_id, Uuid()), ImportBarcode.code, func.coalesce(_rows.c.product_id, _rows.c.new_product_id)
        ).join(_rows, and_(_rows.c.import_id == ImportBarcode.import_id, _rows.c.row == ImportBarcode.row))
         .where(ImportBarcode.import_id == job.id, _rows.c.outcome.in_(("new", "changed")))))


@contextmanager
def _indexes_built_after(session: Session, job: CatalogImport) -> Iterator[None]:
    """On SQLite, when an import at least doubles the products table, its secondary indexes are
    dropped and built again after the inserts: sorting a million keys once is several times faster
    than inserting them one by one (27 s against 11 s for seven indexes of a million products). The
    search index's insert trigger is dropped too, and the new products' words go in with one
    statement, in search-key order. It all happens in the import's transaction: a failure rolls the
    indexes back with the rest, and other connections read the indexed snapshot meanwhile."""
    if (session.get_bind().dialect.name != "sqlite" or job.new < BULK_ROWS
            or job.new < session.scalar(select(func.count()).select_from(Product))):
        yield
        return
    dropped = session.execute(text(  # the constraints' own indexes (no sql) stay: they cannot be dropped
        "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND (type = 'index' "
        "AND tbl_name IN ('products', 'product_barcodes') OR type = 'trigger' AND name = :trigger)"),
        {"trigger": search.SQLITE_INSERT_TRIGGER}).all()
    connection = session.connection()
    for kind, name, _sql in dropped:
        connection.exec_driver_sql(f'DROP {kind.upper()} "{name}"')
    yield
    session.execute(search.sqlite_index_products(  # the staged rows in order: rising search keys, no sort
        lambda words: words.join_from(_rows, Product, Product.id == _rows.c.new_product_id)
        .where(_rows.c.import_id == job.id, _rows.c.outcome == "new").order_by(_rows.c.row)))
    for _kind, _name, sql in dropped:
        connection.exec_driver_sql(sql)
