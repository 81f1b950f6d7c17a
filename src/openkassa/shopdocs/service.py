"""The rules of online-shop documents: associating a shop with a point, taking its documents into
the point's queue, and telling it where each is (the ModulKassa fiscalization API, reference
`modulkassa-fn-api.md`; the HTTP side is `shopdocs.api`).

A shop associates with the account's credentials (the owner's e-mail and password) and gets a
login (a UUID, kept when it associates again) and a 16-character password (replaced each time, the
old one refused at once) for one point and one client application. Everything else it does is
scoped to that point. A document is stored once per point and shop id: sending it again answers
the first one's status and stores nothing (plugins resend after a network error).
"""

from __future__ import annotations

import hmac
import secrets
import string
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

import httpx

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from openkassa import wakeups
from openkassa.accounts import service as accounts_service
from openkassa.accounts.plans import Feature
from openkassa.accounts.roles import Permission
from openkassa.accounts.service import Actor, require, require_feature
from openkassa.config import Settings
from openkassa.credentials import service as credentials_service
from openkassa.credentials.models import ONLINE_SHOP
from openkassa.db import Database, utcnow
from openkassa.jobs import service as jobs
from openkassa.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized
from openkassa.i18n import _
from openkassa.ids import new_id, secret_hash
from openkassa.points.models import Device, RetailPoint
from openkassa.protocol import shopdocs as wire
from openkassa.shopdocs.models import (COMPLETED, FAILED, PENDING, QUEUED, REQUEUED, WAIT_FOR_CALLBACK, WAITING,
                                       ShopAssociation, ShopDocument)
from openkassa.shopdocs.schemas import Problem, read_document

PASSWORD_LENGTH = 16
PASSWORD_ALPHABET = string.ascii_letters + string.digits
FRESH = timedelta(minutes=2)
"""A register of the point heard from this recently is READY (it asks for documents every 5 s)."""
LAST_USED_STEP = timedelta(minutes=1)  # `last_used_at` is written at most this often

# FN states (reference §5.11.9)
ASSOCIATED, READY, FN_FAILED, DISABLED = "ASSOCIATED", "READY", "FAILED", "DISABLED"

MESSAGES = {
    QUEUED: "Document queued for printing",
    REQUEUED: "Document requeued",
    PENDING: "Document is being processed",
    WAIT_FOR_CALLBACK: "Waiting for callback",
    COMPLETED: "Document successfully completed",
    "callback": "Document successfully completed with callback",
}
"""The status messages plugins show (the first is the real server's, reference §6); protocol text,
not translated."""


def associate(session: Session, *, login: str, password: str, ip: str, point_id: str,
              client_id: str) -> tuple[ShopAssociation, str, RetailPoint]:
    """Give a shop a login and a new password for a point of the account whose credentials it
    sent: a service login made for online shops in the ЛК, or the e-mail and password of a person
    who manages the account (as older plugins ask for). Returns the association, the password
    (shown this once) and the point."""
    if login.strip().lower().startswith(credentials_service.SERVICE_LOGIN_PREFIX):
        actor = credentials_service.authenticate_service_login(session, login=login, password=password,
                                                               purpose=ONLINE_SHOP)
        if actor is None:
            raise Unauthorized(_("Wrong service login or password."))
    else:
        actor = accounts_service.actor_for_password(session, email=login, password=password, ip=ip)
        require(actor, Permission.MANAGE)
    require_feature(actor, Feature.ONLINE_SHOP)
    point = _point(session, actor, point_id)
    client_id = client_id.strip()[:128]
    association = session.scalar(select(ShopAssociation).where(
        ShopAssociation.point_id == point.id, ShopAssociation.client_id == client_id).with_for_update())
    secret = "".join(secrets.choice(PASSWORD_ALPHABET) for _n in range(PASSWORD_LENGTH))
    if association is None:
        association = ShopAssociation(account_id=actor.account_id, point_id=point.id, client_id=client_id,
                                      user_name=str(uuid.uuid4()), password_hash=secret_hash(secret))
        session.add(association)
    else:
        association.password_hash, association.rotated_at = secret_hash(secret), utcnow()
    session.flush()
    return association, secret, point


def _point(session: Session, actor: Actor, point_id: str) -> RetailPoint:
    try:
        point = session.get(RetailPoint, uuid.UUID(point_id))
    except ValueError:
        point = None
    if point is None or point.account_id != actor.account_id or point.archived_at is not None:
        raise NotFound(_("Retail point not found."))
    return point


@dataclass(frozen=True)
class Shop:
    """An association as a request of the shop finds it, with what its point says: read in one
    statement compiled once (the shops' hot path, hundreds of documents a second)."""

    id: uuid.UUID
    account_id: uuid.UUID
    point_id: uuid.UUID
    created_at: datetime
    rotated_at: datetime
    takes_documents: bool  # the point is marked for online-shop documents and not archived
    zone: str


_associations, _points = ShopAssociation.__table__, RetailPoint.__table__
_SHOP = (select(_associations.c.id, _associations.c.account_id, _associations.c.point_id, _associations.c.created_at,
                _associations.c.rotated_at, _associations.c.password_hash, _associations.c.last_used_at,
                _points.c.online_shop, _points.c.archived_at, _points.c.timezone)
         .join(_points, _points.c.id == _associations.c.point_id).where(_associations.c.user_name == bindparam("user")))


def authenticate(session: Session, *, user_name: str, password: str) -> Shop:
    """The association whose login and password these are (a fast keyed hash: the password is 16
    random characters, and a shop sends hundreds of documents a second)."""
    row = session.connection().execute(_SHOP, {"user": user_name[:36]}).first()
    if row is None or not hmac.compare_digest(row.password_hash, secret_hash(password)):
        raise Unauthorized(_("Wrong login or password of the online-shop association."))
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_STEP:
        session.execute(update(ShopAssociation).where(ShopAssociation.id == row.id).values(last_used_at=now))
    return Shop(row.id, row.account_id, row.point_id, row.created_at, row.rotated_at,
                row.online_shop and row.archived_at is None, row.timezone)


def unbind(session: Session, shop: Shop, *, point_id: str | None = None) -> None:
    """Delete the association: its login and password stop working at once."""
    if point_id is not None and point_id != str(shop.point_id):
        raise NotFound(_("Retail point not found."))
    session.execute(delete(ShopAssociation).where(ShopAssociation.id == shop.id))


def fn_state(session: Session, shop: Shop) -> tuple[str, datetime]:
    """The point's readiness to fiscalize, and since when (reference §4.3): DISABLED when it is
    not marked for online-shop documents; ASSOCIATED until a register with a fiscal drive is bound
    to it; READY while one was heard from in the last two minutes, else FAILED (documents still
    queue and wait for it)."""
    if not shop.takes_documents:
        return DISABLED, shop.rotated_at
    seen = session.connection().execute(_LAST_SEEN, {"point": shop.point_id}).first()
    if seen is None:
        return ASSOCIATED, shop.created_at
    if seen.last_seen_at is None:
        return FN_FAILED, shop.created_at
    return (READY if utcnow() - seen.last_seen_at <= FRESH else FN_FAILED), seen.last_seen_at


_devices = Device.__table__
_LAST_SEEN = (select(_devices.c.id, _devices.c.last_seen_at)
              .where(_devices.c.point_id == bindparam("point"), _devices.c.unbound_at.is_(None), _devices.c.fn_serial != "")
              .order_by(_devices.c.last_seen_at.desc().nulls_last()).limit(1))
"""The point's register heard from last (Core, compiled once: asked with every document's status)."""


def submit(session: Session, shop: Shop, raw: object) -> ShopDocument:
    """Queue a document for the point's register; the one stored before when the shop sent this id
    already. Problem (a bad field, totals that do not match) is Invalid, and nothing is stored."""
    if not shop.takes_documents:
        raise Forbidden(_("The retail point is not marked for online-shop documents: switch it on in the "
                          "point's settings in the back office."))
    try:
        data = read_document(raw, zone=shop.zone)
    except Problem as problem:
        raise Invalid(str(problem)) from None
    now = utcnow()
    row = dict(id=new_id(), account_id=shop.account_id, point_id=shop.point_id, external_id=data.external_id,
               doc_num=data.doc_num, doc_type=data.doc_type, checkout_at=data.checkout_at, contact=data.contact,
               response_url=data.response_url, total=data.total, content=data.content, status=QUEUED,
               message=MESSAGES[QUEUED], failure_type="", fiscal=None, device_id=None, receipt_id=None, queued_at=now,
               status_changed_at=now, created_at=now)
    if session.execute(_INSERT[session.get_bind().dialect.name], row).first() is None:
        return _find(session, shop.point_id, data.external_id)  # sent before (or just now, by a retry racing it)
    wakeups.wake_on_commit(session, shop.account_id)  # the point's registers waiting for documents
    return ShopDocument(**row)  # as stored: answered without reading it back


_INSERT = {dialect: statement(ShopDocument.__table__).on_conflict_do_nothing(index_elements=["point_id", "external_id"])
           .returning(ShopDocument.__table__.c.id) for dialect, statement in (("postgresql", pg_insert),
                                                                             ("sqlite", sqlite_insert))}
"""One statement, compiled once: a document is queued unless the point has its id already."""


def document_of(session: Session, shop: Shop, external_id: str) -> ShopDocument:
    document = _find(session, shop.point_id, external_id)
    if document is None:
        raise NotFound(_("Document not found."))
    return document


def requeue(session: Session, shop: Shop, external_id: str) -> ShopDocument:
    """Put a FAILED document back at the end of the point's queue (reference §4.6)."""
    document = document_of(session, shop, external_id)
    if document.status != FAILED:
        raise Invalid(_("Only a FAILED document can be re-queued; this one is {status}.").format(status=document.status))
    now = utcnow()
    document.status, document.message, document.failure_type = REQUEUED, MESSAGES[REQUEUED], ""
    document.device_id, document.queued_at, document.status_changed_at = None, now, now
    session.flush()
    return document


def _find(session: Session, point_id: uuid.UUID, external_id: str) -> ShopDocument | None:
    return session.scalar(select(ShopDocument).where(ShopDocument.point_id == point_id,
                                                     ShopDocument.external_id == external_id[:256]))


# --- the register's side --------------------------------------------------------------------------

TAKE_LIMIT = 10  # documents a register takes at once: a minute's work at most
CALLBACK_TIMEOUT = 20.0  # seconds a shop has to answer its callback
CALLBACK_REDIRECTS = 3


def waiting(session: Session, *, point_id: uuid.UUID) -> int:
    """How many documents wait in the point's queue (the long poll's question)."""
    return session.scalar(select(func.count()).select_from(ShopDocument).where(
        ShopDocument.point_id == point_id, ShopDocument.status.in_(WAITING)))


def take(session: Session, *, device: Device, point: RetailPoint, limit: int = TAKE_LIMIT) -> list[ShopDocument]:
    """The point's next documents for this register, oldest first, now PENDING for it: first those
    it took before and has not reported (it restarted; its journal knows whether it made them),
    then the queue's. Two registers of a point never take the same document (the rows are locked,
    skipping those another is taking)."""
    if not point.online_shop:
        return []
    mine = list(session.scalars(select(ShopDocument).where(
        ShopDocument.point_id == point.id, ShopDocument.status == PENDING, ShopDocument.device_id == device.id)
        .order_by(ShopDocument.queued_at, ShopDocument.id).limit(limit)))
    fresh = list(session.scalars(select(ShopDocument).where(
        ShopDocument.point_id == point.id, ShopDocument.status.in_(WAITING))
        .order_by(ShopDocument.queued_at, ShopDocument.id).limit(limit - len(mine))
        .with_for_update(skip_locked=True))) if len(mine) < limit else []
    now = utcnow()
    for document in fresh:
        document.status, document.message, document.device_id = PENDING, MESSAGES[PENDING], device.id
        document.status_changed_at = now
    session.flush()
    return mine + fresh


def report(session: Session, *, device: Device, point: RetailPoint, document_id: uuid.UUID,
           result: wire.Result) -> ShopDocument:
    """What the register made of a document it took: the receipt's fiscal details (then the shop is
    called back when it gave a `responseURL`, else the document is COMPLETED), or why it failed.
    Reported twice (an answer lost on the way), the first report stands."""
    document = session.scalar(select(ShopDocument).where(ShopDocument.id == document_id,
                                                          ShopDocument.point_id == point.id).with_for_update())
    if document is None:
        raise NotFound(_("Document not found."))
    if document.fiscal is not None or (document.status == FAILED and result.failure is not None):
        return document
    if document.status != PENDING or document.device_id != device.id:
        raise Conflict(_("The document is not this register's to report: it is {status}.").format(status=document.status))
    now = utcnow()
    document.status_changed_at = now
    if result.failure is not None:
        document.status, document.failure_type, document.message = FAILED, result.failure.type, result.failure.message
    else:
        document.fiscal, document.receipt_id = result.fiscal.model_dump(), result.receipt_id
        if document.response_url:
            document.status, document.message = WAIT_FOR_CALLBACK, MESSAGES[WAIT_FOR_CALLBACK]
            jobs.enqueue(session, "shopdocs_callback", {"document_id": str(document.id)})
        else:
            document.status, document.message = COMPLETED, MESSAGES[COMPLETED]
    session.flush()
    return document


def callback_job(settings: Settings, payload: dict) -> None:
    """The outbox job "shopdocs_callback": tell the shop its document is fiscalized (reference §8.2:
    a GET of its `responseURL` with `status=SUCCESS` and the receipt's `qr` added to its own query);
    a 2xx answer completes the document, anything else is retried with the outbox's back-off. Sent
    from the worker, with no transaction open meanwhile: the shop may read the status while it
    answers (and sees WAIT_FOR_CALLBACK with the fiscal details)."""
    db = Database(settings.sqlalchemy_url)
    try:
        with db.transaction() as session:
            document = session.get(ShopDocument, uuid.UUID(payload["document_id"]))
            if document is None or document.status != WAIT_FOR_CALLBACK:
                return  # completed by an earlier delivery
            url, qr = document.response_url, document.fiscal["qr"]
        answer = _get(url, qr)
        if not answer.is_success:
            raise CallbackRefused(f"the shop answered {answer.status_code}")
        with db.transaction(immediate=True) as session:
            document = session.get(ShopDocument, uuid.UUID(payload["document_id"]))
            if document.status == WAIT_FOR_CALLBACK:
                document.status, document.message = COMPLETED, MESSAGES["callback"]
                document.status_changed_at = utcnow()
    finally:
        db.dispose()


class CallbackRefused(Exception):
    """The shop did not answer its callback with 2xx: the outbox tries again later."""


def _get(url: str, qr: str) -> httpx.Response:
    with httpx.Client(timeout=CALLBACK_TIMEOUT, follow_redirects=True, max_redirects=CALLBACK_REDIRECTS) as client:
        return client.get(_with_query(url, status="SUCCESS", qr=qr))


def _with_query(url: str, **extra: str) -> str:
    """The shop's own address with our parameters added to its query (its token and order id kept)."""
    parts = urlsplit(url)
    query = parts.query + ("&" if parts.query else "") + urlencode(extra, quote_via=quote)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))
