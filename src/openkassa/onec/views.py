"""The 1C exchange: the endpoint 1C calls (CommerceML 2, `/1c/exchange`) and the page «Обмен с 1С» of a
point's catalog (the exchange login, files uploaded by hand).

The endpoint follows 1C's protocol: `checkauth` (HTTP Basic with the exchange login) answers a
cookie that the later calls carry; `init` says zip is welcome and how big a chunk may be; `file`
appends a chunk to the named file; `import` merges. Answers are plain text, `success` or
`failure` and a message that 1C shows to its user.
"""

from __future__ import annotations

import base64
import binascii

from fastapi import APIRouter, Depends, Request
from fastapi.responses import PlainTextResponse
from starlette.concurrency import run_in_threadpool

from openkassa.accounts.deps import CurrentActor
from openkassa.accounts.plans import Feature, Plan, allows
from openkassa.accounts.roles import Permission
from openkassa.catalog.views import Listing, point_of
from openkassa.errors import DomainError, Forbidden, Invalid, PlanLimit, TooManyRequests, Unauthorized
from openkassa.i18n import _
from openkassa.onec import service
from openkassa.web import flash
from openkassa.web.deps import ClientIp, DbSession, FormData, require_csrf
from openkassa.web.security import csrf_is_valid
from openkassa.web.templating import render, see_other

router = APIRouter(dependencies=[Depends(require_csrf)], include_in_schema=False)
exchange_router = APIRouter(include_in_schema=False)  # 1C's calls: no browser, no CSRF token
# Files uploaded by hand check the CSRF token themselves, after their length: `require_csrf` would read
# (and spool) the whole form before the route could refuse it.
upload_router = APIRouter(include_in_schema=False)


# --- the endpoint 1C calls -------------------------------------------------------------------------------


def _text(body: str, status_code: int = 200, **headers: str) -> PlainTextResponse:
    return PlainTextResponse(body, status_code=status_code, headers=headers, media_type="text/plain; charset=utf-8")


def _basic(request: Request) -> tuple[str, str] | None:
    scheme, _space, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        login, _colon, password = base64.b64decode(encoded, validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return login, password


def _failure(error: DomainError) -> str:
    lines = [error.message] + [f"{where}: {message}" for where, message in (error.fields or {}).items()]
    return "failure\n" + "\n".join(lines)


@exchange_router.api_route("/1c/exchange", methods=["GET", "POST"])
async def exchange(request: Request, db: DbSession, ip: ClientIp, type: str = "", mode: str = "",  # noqa: A002
                   filename: str = ""):
    """1C's calls of a catalog exchange (type=catalog): checkauth, init, file, import."""
    settings = request.app.state.settings
    if type != "catalog":
        return _text("failure\n" + _("Only the catalog exchange (type=catalog) is supported."))
    try:
        if mode == "checkauth":
            credentials = _basic(request)
            if credentials is None:
                raise Unauthorized(_("Wrong 1C exchange login or password."))
            found, cookie = await run_in_threadpool(lambda: service.check_auth(db, *credentials, ip=ip))
            await run_in_threadpool(service.exchange_actor, db, found)
            await run_in_threadpool(service.empty_folder, settings.data_dir, found)
            return _text(f"success\n{service.COOKIE}\n{cookie}")
        found = await run_in_threadpool(_exchange_of, db, request, ip)
        if mode == "init":
            return _text(f"zip=yes\nfile_limit={service.FILE_LIMIT}")
        if mode == "file":
            declared = request.headers.get("content-length", "")
            body = b"" if declared.isdigit() and int(declared) > service.FILE_LIMIT else await request.body()
            if len(body) > service.FILE_LIMIT or not body and declared.isdigit() and int(declared) > 0:
                return _text("failure\n" + _("A chunk may have at most {limit} bytes.").format(limit=service.FILE_LIMIT))
            await run_in_threadpool(service.receive_chunk, settings.data_dir, found, filename, body)
            return _text("success")
        if mode == "import":
            return _text(await run_in_threadpool(_import, db, settings.data_dir, found, filename))
        return _text("failure\n" + _("Unknown mode «{mode}».").format(mode=mode))
    except Unauthorized as error:
        return _text("failure\n" + error.message, 401, **{"WWW-Authenticate": 'Basic realm="OpenKassa 1C"'})
    except TooManyRequests as error:
        return _text("failure\n" + error.message, 429, **{"Retry-After": str(error.retry_after)})
    except (Invalid, PlanLimit) as error:
        return _text(_failure(error))


def _exchange_of(db, request: Request, ip: str):
    """The exchange of a call after checkauth: by its cookie, else (a 1C that keeps no cookies) by its Basic login."""
    try:
        return service.by_cookie(db, request.cookies.get(service.COOKIE, ""))
    except Unauthorized:
        credentials = _basic(request)
        if credentials is None:
            raise
        return service.authenticate(db, *credentials, ip=ip)


def _import(db, data_dir, found, filename: str) -> str:
    """Merge and record the result on the exchange, success or not (a refusal leaves the catalog as it was)."""
    try:
        outcome = service.import_file(db, data_dir, found, filename)
    except (Invalid, PlanLimit) as error:
        service.record(db, found, filename, _failure(error).removeprefix("failure\n"), succeeded=False)
        raise
    if outcome is not None:
        service.record(db, found, filename, outcome.summary(), succeeded=True)
        return "success\n" + outcome.summary()
    return "success"


# --- the page «Обмен с 1С» -----------------------------------------------------------------------------


def _url(point) -> str:
    return f"/products/1c?point={point.id}"


def _page(request: Request, db, actor, point, *, status_code: int = 200, **context):
    if not allows(actor.plan, Feature.ONE_C):
        return render(request, "onec/plan.html", status_code=status_code, section="products", point=point,
                      back=Listing(point.id).url(), plans=[Plan.STANDARD.label, Plan.EXTENDED.label],
                      refusal=context.get("refusal"))
    exchange = service.get_exchange(db, actor, point.catalog_id)
    context = {"refusal": None, "outcome": None, "password": "", "price_type_error": "", **context}
    return render(request, "onec/exchange.html", status_code=status_code, section="products", point=point,
                  exchange=exchange, runs=service.runs(db, actor, exchange) if exchange else [],
                  url=request.app.state.settings.base_url.rstrip("/") + "/1c/exchange",
                  can_manage=actor.can(Permission.MANAGE), back=Listing(point.id).url(), **context)


@router.get("/products/1c")
def exchange_page(request: Request, db: DbSession, actor: CurrentActor, point: str = ""):
    """The point's catalog's 1C exchange: its login, the last exchange, files uploaded by hand."""
    return _page(request, db, actor, point_of(db, actor, point))


@router.post("/products/1c/on")
def switch_on(request: Request, db: DbSession, actor: CurrentActor, point: str = ""):
    """Switch the exchange on, or give it a new password: the password is shown this once."""
    chosen = point_of(db, actor, point)
    try:
        _exchange, password = service.switch_on(db, actor, chosen.catalog_id)
    except PlanLimit as error:
        return _page(request, db, actor, chosen, status_code=error.status, refusal=error)
    return _page(request, db, actor, chosen, password=password)


@router.post("/products/1c/off")
def switch_off(request: Request, db: DbSession, actor: CurrentActor, point: str = ""):
    chosen = point_of(db, actor, point)
    exchange = service.get_exchange(db, actor, chosen.catalog_id)
    service.switch_off(db, actor, chosen.catalog_id)
    if exchange is not None:
        service.empty_folder(request.app.state.settings.data_dir, exchange)
    flash.add(request, _("The 1C exchange is switched off; its login no longer works."))
    return see_other(_url(chosen))


@router.post("/products/1c/price-type")
def price_type(request: Request, db: DbSession, actor: CurrentActor, form: FormData, point: str = ""):
    chosen = point_of(db, actor, point)
    try:
        service.set_price_type(db, actor, chosen.catalog_id, str(form.get("price_type", "")))
    except Invalid as error:
        return _page(request, db, actor, chosen, status_code=422, price_type_error=error.fields.get("price_type", ""))
    flash.add(request, _("The price type is saved."))
    return see_other(_url(chosen))


@upload_router.post("/products/1c/upload")
async def upload(request: Request, db: DbSession, actor: CurrentActor, point: str = ""):
    """Merge import.xml, offers.xml or a .zip uploaded by hand; show what was done, or every problem."""
    chosen = await run_in_threadpool(point_of, db, actor, point)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > service.FOLDER_LIMIT:  # said before a byte of it is read
        refusal = Invalid(fields={"file": _("The exchange's files pass {limit} MB.").format(limit=service.FOLDER_LIMIT // 1024 // 1024)})
        return await run_in_threadpool(lambda: _page(request, db, actor, chosen, status_code=413, refusal=refusal))
    if not await csrf_is_valid(request):
        raise Forbidden(_("The form has expired. Reload the page and try again."))
    form = await request.form()
    files = [(upload.filename or "file", upload.file) for upload in form.getlist("files") if not isinstance(upload, str)
             and upload.filename]
    wanted = str(form.get("price_type", ""))
    try:
        outcome = await run_in_threadpool(_upload, db, actor, chosen.catalog_id, files, wanted)
    except (Invalid, PlanLimit) as error:
        refusal = error
    else:
        return await run_in_threadpool(lambda: _page(request, db, actor, chosen, outcome=outcome))
    return await run_in_threadpool(lambda: _page(request, db, actor, chosen, status_code=422, refusal=refusal))


def _upload(db, actor, catalog_id, files, wanted: str):
    catalog, offers = service.read_files(files)
    exchange = service.get_exchange(db, actor, catalog_id)
    return service.merge(db, actor, catalog_id, catalog=catalog, offers=offers,
                         price_type=wanted or (exchange.price_type if exchange else ""))
