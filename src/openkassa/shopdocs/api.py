"""The ModulKassa-compatible fiscalization API for online shops, under `/api/fn` and `/fn`
(reference `modulkassa-fn-api.md`): existing shop plugins work by changing their base URL.

Its shapes are the reference's, not the house JSON API's: HTTP Basic on every call (the account's
credentials to associate, the association's afterwards), 200 with a JSON body on success, and
errors as a Spring-style body `{"timestamp", "status", "error", "message", "path"}` (`error_body`,
used by the app's error handlers for these paths). Bodies are read by hand: GET, DELETE and the
associate call ignore whatever a plugin sends (`[]`, nothing, a JSON content type with no body),
and a document is read leniently by `shopdocs.schemas`.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime
from decimal import Decimal
from http import HTTPStatus
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from openkassa.errors import DomainError, Invalid, PlanLimit, Unauthorized
from openkassa.i18n import _
from openkassa.shopdocs import service
from openkassa.shopdocs.models import ShopDocument
from openkassa.shopdocs.service import Shop
from openkassa.web.deps import ClientIp, DbSession

PREFIXES = ("/api/fn", "/fn")
MAX_BODY = 1024 * 1024  # a document of 1,000 positions is about 400 KB


class TooLarge(DomainError):
    status = 413
    code = "too_large"

    def default_message(self) -> str:
        return _("The document is larger than {limit} KB.").format(limit=MAX_BODY // 1024)


def serves(path: str) -> bool:
    return any(path == prefix or path.startswith(prefix + "/") for prefix in PREFIXES)


def error_response(request, error: DomainError, headers: dict[str, str] | None = None) -> JSONResponse:
    """An error as the plugins read it (reference §3.4): 400 for anything invalid, 403 for a plan
    that does not include online-shop documents."""
    status = 400 if isinstance(error, Invalid) else 403 if isinstance(error, PlanLimit) else error.status
    message = error.message
    if isinstance(error, Invalid) and error.fields:
        message = "; ".join(f"{field}: {text}" if field != "__all__" else text for field, text in error.fields.items())
    headers = dict(headers or {})
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="fn"'
    body = {"timestamp": datetime.now(UTC).isoformat(timespec="milliseconds"), "status": status,
            "error": HTTPStatus(status).phrase, "message": message, "path": request.url.path}
    return JSONResponse(body, status_code=status, headers=headers)


def _credentials(request: Request) -> tuple[str, str]:
    """HTTP Basic, sent preemptively by every plugin; UTF-8, or ISO-8859-1 as .NET encodes it."""
    scheme, _space, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        raise Unauthorized(_("Send the login and password by HTTP Basic."))
    try:
        raw = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise Unauthorized(_("Send the login and password by HTTP Basic.")) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    login, colon, password = text.partition(":")
    if not colon:
        raise Unauthorized(_("Send the login and password by HTTP Basic."))
    return login, password


Credentials = Annotated[tuple[str, str], Depends(_credentials)]


def _association(db: DbSession, credentials: Credentials) -> Shop:
    login, password = credentials
    return service.authenticate(db, user_name=login, password=password)


Association = Annotated[Shop, Depends(_association)]


async def _document_body(request: Request) -> object:
    """The JSON body, numbers as decimals (never binary floats), at most MAX_BODY bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise TooLarge()
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise TooLarge()
    try:
        return json.loads(bytes(body).decode("utf-8-sig"), parse_float=Decimal)
    except (UnicodeDecodeError, ValueError, RecursionError):  # RecursionError: arrays nested thousands deep
        raise Invalid(_("The body is not valid JSON (UTF-8).")) from None


DocumentBody = Annotated[object, Depends(_document_body)]


def associate(point_id: str, db: DbSession, credentials: Credentials, ip: ClientIp, clientId: str = "") -> dict:  # noqa: N803
    login, password = credentials
    association, secret, point = service.associate(db, login=login, password=password, ip=ip, point_id=point_id,
                                                   client_id=clientId)
    return {"userName": association.user_name, "password": secret, "name": point.name, "address": point.address}


def unbind(db: DbSession, association: Association) -> Response:
    service.unbind(db, association)
    return Response(status_code=200)


def unbind_point(point_id: str, db: DbSession, association: Association) -> Response:
    service.unbind(db, association, point_id=point_id)
    return Response(status_code=200)


def status(db: DbSession, association: Association) -> dict:
    state, since = service.fn_state(db, association)
    return {"status": state, "dateTime": _moment(since)}


async def send(request: Request, body: DocumentBody) -> JSONResponse:
    """One hop to a worker thread for all of it (the shops' hot path: ~500 documents a second): the
    login checked, the document queued and its status read in one transaction."""
    login, password = _credentials(request)

    def queued() -> dict:
        with request.app.state.db.transaction(immediate=True) as session:
            association = service.authenticate(session, user_name=login, password=password)
            return _status_body(session, association, service.submit(session, association, body))

    return JSONResponse(await run_in_threadpool(queued))


def document_status(document_id: str, db: DbSession, association: Association) -> dict:
    return _status_body(db, association, service.document_of(db, association, document_id))


def requeue(document_id: str, db: DbSession, association: Association) -> dict:
    return _status_body(db, association, service.requeue(db, association, document_id))


def _status_body(db, association: Shop, document: ShopDocument) -> dict:
    """DocumentStatus (reference §5.8): all six keys, null where empty."""
    state, _since = service.fn_state(db, association)
    failure = {"type": document.failure_type, "message": document.message} if document.failure_type else None
    return {"status": document.status, "fnState": state, "fiscalInfo": document.fiscal, "failureInfo": failure,
            "message": document.message, "timeStatusChanged": _moment(document.status_changed_at)}


def _moment(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


router = APIRouter()
for _prefix in PREFIXES:
    _shown = _prefix == "/api/fn"
    _tags = ["Online-shop fiscalization (ModulKassa-compatible)"]
    router.add_api_route(_prefix + "/v1/associate/{point_id}", associate, methods=["POST"], include_in_schema=_shown,
                         tags=_tags, summary="Associate with a retail point (or rotate the password)")
    router.add_api_route(_prefix + "/v1/associate", unbind, methods=["DELETE"], include_in_schema=_shown, tags=_tags,
                         summary="Delete the association")
    router.add_api_route(_prefix + "/v1/associate/{point_id}", unbind_point, methods=["DELETE"], include_in_schema=False)
    router.add_api_route(_prefix + "/associate", unbind, methods=["DELETE"], include_in_schema=False)
    router.add_api_route(_prefix + "/v1/status", status, methods=["GET"], include_in_schema=_shown, tags=_tags,
                         summary="Is the point ready to fiscalize")
    for _version in ("v1", "v2"):
        router.add_api_route(f"{_prefix}/{_version}/doc", send, methods=["POST"], include_in_schema=_shown, tags=_tags,
                             summary="Queue a document for fiscalization")
    router.add_api_route(_prefix + "/v1/doc/{document_id}/status", document_status, methods=["GET"],
                         include_in_schema=_shown, tags=_tags, summary="A document's status")
    router.add_api_route(_prefix + "/v1/doc/{document_id}/re-queue", requeue, methods=["PUT"],
                         include_in_schema=_shown, tags=_tags, summary="Re-queue a FAILED document")
