"""HTML pages of catalog files: import (upload, progress, preview, apply or cancel), export, the template.

An upload is streamed to disk as it arrives: it is never whole in memory, and a file over the limit
is refused before it is all read. The outbox worker checks it (`imports.check_job`) while the
import's page shows the progress, polled by HTMX, and then the preview. An export is written to a
spooled temporary file (on disk past a megabyte) and streamed from it, so memory does not grow with
the catalog and a file that cannot be written is refused with a message, not cut short.
"""

from __future__ import annotations

import hmac
import io
import re
import secrets
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, Literal
from urllib.parse import quote
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response, StreamingResponse
from python_multipart.multipart import MultipartParseError, MultipartParser, parse_options_header
from starlette.concurrency import run_in_threadpool

from openkassa.accounts.deps import CurrentActor
from openkassa.accounts.roles import Permission
from openkassa.accounts.service import Actor, require
from openkassa.catalog import columns, exports, imports, spreadsheets
from openkassa.catalog.models import CatalogImport
from openkassa.catalog.views import Listing, point_of
from openkassa.errors import Forbidden, Invalid, NotFound
from openkassa.i18n import _, current_language
from openkassa.jobs.service import enqueue
from openkassa.points.models import RetailPoint
from openkassa.web import flash
from openkassa.web.deps import DbSession, FormData, require_csrf
from openkassa.web.security import CSRF_COOKIE, CSRF_FIELD, csrf_header_is_valid
from openkassa.web.templating import is_htmx, render, see_other

router = APIRouter(dependencies=[Depends(require_csrf)], include_in_schema=False)
# The upload checks the CSRF token itself, as the form streams in: `require_csrf` would read the
# whole form (the file spooled to a temporary file of any size) before the route could refuse it.
upload_router = APIRouter(include_in_schema=False)

CHECK_JOB = "catalog_import_check"
FORM_OVERHEAD = 64 * 1024  # bytes of a form beside its file: boundaries, headers, the CSRF token
FIELD_BYTES = 1024  # a form field beside the file (the CSRF token); longer ones are not ours
SPOOL_BYTES = 1024 * 1024  # an export bigger than this goes to disk while it is written
CHUNK_BYTES = 64 * 1024
_NOT_IN_FILE_NAMES = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')

ExportFormat = Literal["xlsx", "xls", "csv"]


# --- receiving a file -------------------------------------------------------------------------------


class UploadRefused(Exception):
    """An upload that is not kept; `message` says why, translated."""

    def __init__(self, message: str, status_code: int = 422):
        super().__init__(message)
        self.message, self.status_code = message, status_code


@dataclass(frozen=True)
class ReceivedFile:
    """A form's file, written to disk as it arrived."""

    name: str  # as it was called on the sender's computer
    path: Path
    size: int


def _too_large(limit: int) -> str:
    return _("The file is larger than {limit} MB, the most that can be imported at once: split the catalog "
             "into several files.").format(limit=max(1, limit // 1024 // 1024))


class _MultipartForm:
    """The callbacks of python-multipart's streaming parser: small fields kept, one file written to disk.

    The parser calls them from `write`; the file's bytes wait in `pending` until `write_pending`,
    which the caller runs in a thread so that the event loop never waits for the disk.
    """

    def __init__(self, field: str, path: Path, limit: int, csrf_ok: Callable[[str], bool]):
        self.field, self.path, self.limit, self.csrf_ok = field, path, limit, csrf_ok
        self.fields: dict[str, str] = {}
        self.filename: str | None = None  # None until the file's part begins
        self.size = 0
        self.pending: list[bytes] = []
        self._file: BinaryIO | None = None
        self._header_name = self._header_value = self._disposition = b""
        self._part = ""  # "field", "file" or "" (skipped)
        self._name = ""
        self._value = bytearray()

    @property
    def callbacks(self) -> dict:
        return {"on_part_begin": self.on_part_begin, "on_header_field": self.on_header_field,
                "on_header_value": self.on_header_value, "on_header_end": self.on_header_end,
                "on_headers_finished": self.on_headers_finished, "on_part_data": self.on_part_data,
                "on_part_end": self.on_part_end}

    def on_part_begin(self) -> None:
        self._disposition, self._value = b"", bytearray()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        if self._header_name.lower() == b"content-disposition":
            self._disposition = self._header_value
        self._header_name = self._header_value = b""

    def on_headers_finished(self) -> None:
        _kind, options = parse_options_header(self._disposition)
        self._name = options.get(b"name", b"").decode("utf-8", "replace")
        if b"filename" not in options:
            self._part = "field"
        elif self._name == self.field and self.filename is None:
            # Not a byte of the file is written before the form is known to be ours.
            if not self.csrf_ok(self.fields.get(CSRF_FIELD, "")):
                raise Forbidden(_("The form has expired. Reload the page and try again."))
            name = options[b"filename"].decode("utf-8", "replace")
            self.filename = name.replace("\\", "/").rpartition("/")[2]  # some browsers send the whole path
            self._part = "file"
        else:
            self._part = ""

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._part == "file":
            self.size += end - start
            if self.size > self.limit:
                raise UploadRefused(_too_large(self.limit), 413)
            self.pending.append(data[start:end])
        elif self._part == "field":
            self._value += data[start:end]
            if len(self._value) > FIELD_BYTES or len(self.fields) > 20:
                raise UploadRefused(_("The form cannot be read: reload the page and try again."), 400)

    def on_part_end(self) -> None:
        if self._part == "field":
            self.fields[self._name] = self._value.decode("utf-8", "replace")
        self._part = ""

    def write_pending(self) -> None:
        if self._file is None:
            self._file = self.path.open("xb")
        self._file.writelines(self.pending)
        self.pending.clear()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()

    def discard(self) -> None:
        self.close()
        self.path.unlink(missing_ok=True)


def _csrf_ok(request: Request, sent: str) -> bool:
    """The page's token came with the request: in the HTMX header, or as the form's field."""
    expected = request.cookies.get(CSRF_COOKIE, "")
    return csrf_header_is_valid(request) or (bool(expected) and hmac.compare_digest(expected.encode(), sent.encode()))


async def receive_file(request: Request, folder: Path, *, field: str, limit: int) -> ReceivedFile:
    """Stream the multipart form's file `field` into a new file in `folder`, refusing it past `limit` bytes.

    The page's CSRF token (the header, or the field our forms send before the file) is checked
    before the file is written. Nothing is kept of a refused upload.
    """
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + FORM_OVERHEAD:
        raise UploadRefused(_too_large(limit), 413)  # said before a byte of it is read
    kind, options = parse_options_header(request.headers.get("content-type", ""))
    if kind != b"multipart/form-data" or not options.get(b"boundary"):
        raise UploadRefused(_("Choose a file to upload."))
    folder.mkdir(parents=True, exist_ok=True)
    form = _MultipartForm(field, folder / f"upload-{secrets.token_hex(8)}.part", limit,
                          lambda sent: _csrf_ok(request, sent))
    parser = MultipartParser(options[b"boundary"], form.callbacks)
    try:
        async for chunk in request.stream():
            parser.write(chunk)
            if form.pending:
                await run_in_threadpool(form.write_pending)
        parser.finalize()
        form.close()
    except MultipartParseError as error:
        form.discard()
        raise UploadRefused(_("The upload was cut short: try again.")) from error
    except BaseException:
        form.discard()
        raise
    if not form.filename:
        form.discard()
        raise UploadRefused(_("Choose a file to upload."))
    if form.size == 0:
        form.path.touch()  # an empty file is the check's to refuse, by name
    return ReceivedFile(form.filename, form.path, form.size)


# --- importing --------------------------------------------------------------------------------------


def _point_to_import_into(db, actor: Actor, point: str) -> RetailPoint:
    chosen = point_of(db, actor, point)
    require(actor, Permission.MANAGE)  # before a byte of the upload is read, not when it is stored
    return chosen


def _upload_page(request: Request, point: RetailPoint, *, error: str = "", status_code: int = 200):
    limit = spreadsheets.MAX_BYTES
    return render(
        request, "catalog/import_upload.html", status_code=status_code, section="products", point=point,
        error=error, max_bytes=limit, max_mb=max(1, limit // 1024 // 1024), too_large=_too_large(limit),
        columns=columns.COLUMNS, notes=_column_notes(),
        back=Listing(point.id).url(),
    )


def _column_notes() -> dict[str, str]:
    """What a cell of each kind of column holds, for the upload page's list of columns."""
    return {
        "money": _("In roubles: 89,90 or 89.90."),
        "barcodes": _("Several separated by commas. EAN-13, EAN-8 and UPC-A check digits are verified."),
        "vat": _("As in the template's list: 20%, 10%, without VAT, 20/120, 22%, …"),
        "unit": _("As in the template's list: шт, кг, л, …"),
        "kind": _("As in the template's list; goods when empty."),
        "group": _("Nested groups separated by «/»: Dairy/Milk. Missing groups are created."),
        "bool": _("да or нет (yes or no)."),
    }


@router.get("/products/import")
def upload_form(request: Request, db: DbSession, actor: CurrentActor, point: str = ""):
    """The form to upload a catalog file, with the template and the columns a file may have."""
    return _upload_page(request, _point_to_import_into(db, actor, point))


@upload_router.post("/products/import")
async def upload(request: Request, db: DbSession, actor: CurrentActor, point: str = ""):
    """Receive a catalog file and have the worker check it; then show the import's page (its progress)."""
    chosen = await run_in_threadpool(_point_to_import_into, db, actor, point)
    folder = request.app.state.settings.data_dir / "imports"
    try:
        received = await receive_file(request, folder, field="file", limit=spreadsheets.MAX_BYTES)
    except UploadRefused as refusal:
        return _upload_page(request, chosen, error=refusal.message, status_code=refusal.status_code)
    import_id = await run_in_threadpool(_start_check, db, actor, chosen, received)
    return see_other(_import_url(import_id, chosen))


def _start_check(db, actor: Actor, point: RetailPoint, received: ReceivedFile) -> uuid.UUID:
    """Record the import and queue its check, in the request's transaction; the file takes the import's id."""
    try:
        job = imports.start(db, actor, point.catalog_id, received.name)
        staged = received.path.rename(received.path.with_name(str(job.id)))
    except BaseException:
        received.path.unlink(missing_ok=True)
        raise
    enqueue(db, CHECK_JOB, {"import_id": str(job.id), "path": str(staged), "language": current_language()})
    return job.id


def _import_url(import_id: uuid.UUID, point: RetailPoint | None, action: str = "") -> str:
    return f"/products/imports/{import_id}{action}" + (f"?point={point.id}" if point else "")


def _import_and_point(db, actor: Actor, import_id: uuid.UUID, point: str) -> tuple[CatalogImport, RetailPoint | None]:
    """The import, and the point whose products page it was started from (when the address names one)."""
    job = imports.get(db, actor, import_id)
    chosen = point_of(db, actor, point) if point else None
    if chosen is not None and chosen.catalog_id != job.catalog_id:
        raise NotFound()
    return job, chosen


def _number(value: int) -> str:
    """12 345 in Russian, 12,345 in English."""
    return format_decimal(value, locale=current_language())


@router.get("/products/imports/{import_id}")
def import_page(request: Request, db: DbSession, actor: CurrentActor, import_id: uuid.UUID, point: str = ""):
    """An import: the progress while its file is checked (HTMX polls this), then the preview to apply."""
    job, chosen = _import_and_point(db, actor, import_id, point)
    problems = imports.problems(db, job, imports.PROBLEMS_SHOWN) if job.state == "ready" else []
    present = set(job.columns.split(",")) if job.columns else set()
    context = {
        "job": job, "point": chosen, "problems": problems, "number": _number,
        "more_rows": max(0, job.invalid - len({problem.row for problem in problems})),
        "columns_read": [column.en if current_language() == "en" else column.ru
                         for column in columns.COLUMNS if column.key in present],
        "ignored": [name for name in job.ignored_columns.split("\n") if name],
        "can_manage": actor.can(Permission.MANAGE), "url": _import_url(job.id, chosen),
        "apply_url": _import_url(job.id, chosen, "/apply"), "cancel_url": _import_url(job.id, chosen, "/cancel"),
        "back": Listing(chosen.id).url() if chosen else "/products",
    }
    if is_htmx(request):
        return render(request, "catalog/import_status.html", **context)
    return render(request, "catalog/import.html", section="products", **context)


@router.post("/products/imports/{import_id}/apply")
def apply_import(request: Request, db: DbSession, actor: CurrentActor, import_id: uuid.UUID, form: FormData,
                 point: str = ""):
    """Write the checked file to the catalog, all of it or (rows with errors skipped on request) nothing;
    a large file is applied by the worker while its page shows that it is being applied."""
    job, chosen = _import_and_point(db, actor, import_id, point)
    skip_invalid = form.get("skip_invalid") == "on"
    try:
        if job.rows_total >= imports.APPLY_IN_BACKGROUND:
            imports.apply_later(db, actor, job.id, skip_invalid=skip_invalid)
            return see_other(_import_url(job.id, chosen))
        job = imports.apply(db, actor, job.id, skip_invalid=skip_invalid)
    except Invalid as error:
        flash.add(request, error.message, "error")
        return see_other(_import_url(job.id, chosen))
    message = _("«{name}» is imported: {new} products added, {changed} changed.").format(
        name=job.filename, new=_number(job.new), changed=_number(job.changed))
    if job.invalid:
        message += " " + _("Rows with errors skipped: {count}.").format(count=_number(job.invalid))
    flash.add(request, message)
    return see_other(Listing(chosen.id).url() if chosen else "/products")


@router.post("/products/imports/{import_id}/cancel")
def cancel_import(request: Request, db: DbSession, actor: CurrentActor, import_id: uuid.UUID, point: str = ""):
    """Forget a checked file without changing the catalog."""
    job, chosen = _import_and_point(db, actor, import_id, point)
    try:
        imports.cancel(db, actor, job.id)
    except Invalid as error:  # applied already, or being applied
        flash.add(request, error.message, "error")
        return see_other(_import_url(job.id, chosen))
    flash.add(request, _("The import of «{name}» is cancelled; the catalog is unchanged.").format(name=job.filename))
    return see_other(Listing(chosen.id).url() if chosen else "/products")


# --- exporting --------------------------------------------------------------------------------------


def _attachment(filename: str, fallback: str) -> dict[str, str]:
    """Headers of a download named `filename` (any letters, RFC 6266), `fallback` for old clients."""
    return {"Content-Disposition": f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"}


def _chunks(file: BinaryIO) -> Iterator[bytes]:
    try:
        while chunk := file.read(CHUNK_BYTES):
            yield chunk
    finally:
        file.close()


@router.get("/products/template.xlsx")
def template(actor: CurrentActor):
    """The import template: the headers, an example product and drop-down lists (for anyone signed in)."""
    out = io.BytesIO()
    spreadsheets.write_template(out)
    return Response(out.getvalue(), media_type=exports.MEDIA_TYPES["xlsx"],
                    headers=_attachment(_("Products template") + ".xlsx", "products-template.xlsx"))


@router.get("/products/export.{file_format}")
def export(request: Request, db: DbSession, actor: CurrentActor, file_format: ExportFormat, point: str = ""):
    """The point's catalog as a file with the template's columns: importing it back changes nothing."""
    chosen = point_of(db, actor, point)
    spooled = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
    try:
        exports.write(db, actor, chosen.catalog_id, file_format, spooled)
    except spreadsheets.SpreadsheetError as error:  # more products than the format holds
        spooled.close()
        flash.add(request, error.message, "error")
        return see_other(Listing(chosen.id).url())
    except BaseException:
        spooled.close()
        raise
    size = spooled.tell()
    spooled.seek(0)
    today = datetime.now(ZoneInfo(chosen.timezone)).date().isoformat()
    name = _NOT_IN_FILE_NAMES.sub(" ", f"{_('Products')} {chosen.name} {today}").strip()
    return StreamingResponse(_chunks(spooled), media_type=exports.MEDIA_TYPES[file_format], headers={
        **_attachment(f"{name}.{file_format}", f"products-{today}.{file_format}"), "Content-Length": str(size)})
