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
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from openkassa.accounts import service as accounts_service
from openkassa.accounts.plans import Feature
from openkassa.accounts.roles import Permission
from openkassa.accounts.service import Actor, require, require_feature
from openkassa.db import utcnow
from openkassa.errors import Forbidden, Invalid, NotFound, Unauthorized
from openkassa.i18n import _
from openkassa.ids import secret_hash
from openkassa.points.models import Device, RetailPoint
from openkassa.shopdocs.models import FAILED, QUEUED, REQUEUED, ShopAssociation, ShopDocument
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
}
"""The status messages plugins show (the first is the real server's, reference §6); protocol text,
not translated."""


def associate(session: Session, *, email: str, password: str, ip: str, point_id: str,
              client_id: str) -> tuple[ShopAssociation, str, RetailPoint]:
    """Give a shop a login and a new password for a point of the account whose credentials it
    sent; returns the association, the password (shown this once) and the point."""
    actor = accounts_service.actor_for_password(session, email=email, password=password, ip=ip)
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


def authenticate(session: Session, *, user_name: str, password: str) -> ShopAssociation:
    """The association whose login and password these are (a fast keyed hash: the password is 16
    random characters, and a shop sends hundreds of documents a second)."""
    association = session.scalar(select(ShopAssociation).where(ShopAssociation.user_name == user_name[:36]))
    if association is None or not hmac.compare_digest(association.password_hash, secret_hash(password)):
        raise Unauthorized(_("Wrong login or password of the online-shop association."))
    now = utcnow()
    if association.last_used_at is None or now - association.last_used_at >= LAST_USED_STEP:
        association.last_used_at = now
    return association


def unbind(session: Session, association: ShopAssociation, *, point_id: str | None = None) -> None:
    """Delete the association: its login and password stop working at once."""
    if point_id is not None and point_id != str(association.point_id):
        raise NotFound(_("Retail point not found."))
    session.execute(delete(ShopAssociation).where(ShopAssociation.id == association.id))


def fn_state(session: Session, association: ShopAssociation) -> tuple[str, datetime]:
    """The point's readiness to fiscalize, and since when (reference §4.3): DISABLED when it is
    not marked for online-shop documents; ASSOCIATED until a register with a fiscal drive is bound
    to it; READY while one was heard from in the last two minutes, else FAILED (documents still
    queue and wait for it)."""
    point = session.get(RetailPoint, association.point_id)
    if not point.online_shop or point.archived_at is not None:
        return DISABLED, association.rotated_at
    seen = session.execute(
        select(Device.id, Device.last_seen_at).where(Device.point_id == point.id, Device.unbound_at.is_(None),
                                                     Device.fn_serial != "")
        .order_by(Device.last_seen_at.desc().nulls_last()).limit(1)).first()
    if seen is None:
        return ASSOCIATED, association.created_at
    if seen.last_seen_at is None:
        return FN_FAILED, association.created_at
    return (READY if utcnow() - seen.last_seen_at <= FRESH else FN_FAILED), seen.last_seen_at


def submit(session: Session, association: ShopAssociation, raw: object) -> ShopDocument:
    """Queue a document for the point's register; the one stored before when the shop sent this id
    already. Problem (a bad field, totals that do not match) is Invalid, and nothing is stored."""
    point = session.get(RetailPoint, association.point_id)
    if not point.online_shop or point.archived_at is not None:
        raise Forbidden(_("The retail point is not marked for online-shop documents: switch it on in the "
                          "point's settings in the back office."))
    try:
        data = read_document(raw, zone=point.timezone)
    except Problem as problem:
        raise Invalid(str(problem)) from None
    found = _find(session, point.id, data.external_id)
    if found is not None:
        return found
    now = utcnow()
    dialect = session.get_bind().dialect.name
    session.execute((pg_insert if dialect == "postgresql" else sqlite_insert)(ShopDocument).values(
        id=uuid.uuid4(), account_id=point.account_id, point_id=point.id, external_id=data.external_id,
        doc_num=data.doc_num, doc_type=data.doc_type, checkout_at=data.checkout_at, contact=data.contact,
        response_url=data.response_url, total=data.total, content=data.content, status=QUEUED,
        message=MESSAGES[QUEUED], failure_type="", queued_at=now, status_changed_at=now, created_at=now,
    ).on_conflict_do_nothing(index_elements=["point_id", "external_id"]))  # the same id sent twice at once
    return _find(session, point.id, data.external_id)


def document_of(session: Session, association: ShopAssociation, external_id: str) -> ShopDocument:
    document = _find(session, association.point_id, external_id)
    if document is None:
        raise NotFound(_("Document not found."))
    return document


def requeue(session: Session, association: ShopAssociation, external_id: str) -> ShopDocument:
    """Put a FAILED document back at the end of the point's queue (reference §4.6)."""
    document = document_of(session, association, external_id)
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
