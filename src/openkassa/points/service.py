"""Rules of the points domain: points and settings, activation codes, devices, cashiers.

Plain functions taking a Session and keyword arguments; the caller owns the transaction.
Every query is scoped by the actor's account; another account's row is NotFound.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload

from openkassa import ratelimit
from openkassa.accounts.plans import Feature
from openkassa.accounts.roles import Permission
from openkassa.accounts.service import Actor, lock_account, next_revision, require, require_feature
from openkassa.catalog import service as catalog_service
from openkassa.db import utcnow
from openkassa.errors import Invalid, NotFound, Unauthorized
from openkassa.fiscal.drive import OFD_WAIT_LIMIT
from openkassa.i18n import _
from openkassa.ids import new_secret, secret_hash
from openkassa.passwords import hash_pin
from openkassa.points.models import ActivationCode, Cashier, Device, RetailPoint
from openkassa.points.schemas import (
    ActivateIn,
    CashierIn,
    CatalogChoice,
    DeviceStatusIn,
    NewPointIn,
    PointIn,
    PointSettings,
)

# No look-alikes: without 0/O, 1/I/L, 2/Z, 5/S, 8/B. 25 symbols, 8 places: 1.5·10¹¹ codes.
CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
CODE_LENGTH = 8
CODE_TTL = timedelta(hours=24)
ACTIVATION_WINDOW = timedelta(minutes=15)
ACTIVATION_FAILURES_PER_IP = 10
DEFAULT_ZONE = "Europe/Moscow"  # a new point's, and the account's while it has none
OFD_WARNING_DAYS = 5  # days before its drive stops from which a register's page warns

_SETTING_FIELDS = tuple(PointSettings.model_fields)


# --- points -----------------------------------------------------------------------------


def list_points(session: Session, actor: Actor, *, archived: bool = False) -> list[RetailPoint]:
    require(actor, Permission.VIEW)
    query = select(RetailPoint).where(RetailPoint.account_id == actor.account_id)
    query = query.where(RetailPoint.archived_at.is_not(None) if archived else RetailPoint.archived_at.is_(None))
    return list(session.scalars(query.order_by(RetailPoint.name, RetailPoint.id)))


def zone_of(session: Session, *, account_id: uuid.UUID) -> str:
    """The time zone to read and show an account's times in: its first open point's (by name), else
    Moscow's."""
    return session.scalar(
        select(RetailPoint.timezone).where(RetailPoint.account_id == account_id, RetailPoint.archived_at.is_(None))
        .order_by(RetailPoint.name, RetailPoint.id).limit(1)) or DEFAULT_ZONE


def get_point(session: Session, actor: Actor, point_id: uuid.UUID) -> RetailPoint:
    require(actor, Permission.VIEW)
    point = session.get(RetailPoint, point_id)
    if point is None or point.account_id != actor.account_id:
        raise NotFound()
    return point


def find_point(session: Session, point_id: uuid.UUID) -> RetailPoint:
    """A point by its id alone, for the operator's shell (no signed-in user to check it against)."""
    point = session.get(RetailPoint, point_id)
    if point is None:
        raise NotFound()
    return point


def _active_points(session: Session, account_id: uuid.UUID) -> int:
    return session.scalar(
        select(func.count())
        .select_from(RetailPoint)
        .where(RetailPoint.account_id == account_id, RetailPoint.archived_at.is_(None))
    )


def _apply(point: RetailPoint, data: PointIn) -> None:
    point.name, point.address, point.inn, point.timezone = data.name, data.address, data.inn, data.timezone
    point.tax_systems, point.default_tax_system = data.tax_mask, int(data.default_tax_system)
    for field in _SETTING_FIELDS:
        setattr(point, field, getattr(data, field))


def create_point(session: Session, actor: Actor, *, data: NewPointIn) -> RetailPoint:
    """Create a point with its catalog (new, shared or copied) and a first activation code."""
    require(actor, Permission.MANAGE)
    lock_account(session, actor.account_id)
    require_feature(actor, Feature.POINTS, in_use=_active_points(session, actor.account_id))
    if data.online_shop:
        require_feature(actor, Feature.ONLINE_SHOP)
    if data.catalog == CatalogChoice.NEW:
        catalog = catalog_service.create_catalog(session, actor, name=data.name)
    else:
        try:
            source = get_point(session, actor, data.catalog_source_point_id)
        except NotFound:
            raise Invalid(fields={"catalog_source_point_id": _("Choose a point from the list.")}) from None
        if data.catalog == CatalogChoice.SHARED:
            catalog = catalog_service.get_catalog(session, actor, source.catalog_id)
        else:
            catalog = catalog_service.copy_catalog(session, actor, source_id=source.catalog_id, name=data.name)
    point = RetailPoint(account_id=actor.account_id, catalog_id=catalog.id)
    _apply(point, data)
    point.revision = next_revision(session, actor.account_id)
    session.add(point)
    session.flush()
    new_activation_code(session, actor, point_id=point.id)
    return point


def update_point(session: Session, actor: Actor, *, point_id: uuid.UUID, data: PointIn) -> RetailPoint:
    require(actor, Permission.MANAGE)
    point = get_point(session, actor, point_id)
    if data.online_shop and not point.online_shop:
        require_feature(actor, Feature.ONLINE_SHOP)
    _apply(point, data)
    point.revision = next_revision(session, actor.account_id)
    return point


def set_archived(session: Session, actor: Actor, *, point_id: uuid.UUID, archived: bool) -> RetailPoint:
    """Archive a point (its registers stop syncing, its code dies) or bring it back."""
    require(actor, Permission.MANAGE)
    point = get_point(session, actor, point_id)
    if archived and point.archived_at is None:
        point.archived_at = utcnow()
        session.execute(
            update(ActivationCode)
            .where(ActivationCode.point_id == point.id, ActivationCode.used_at.is_(None))
            .values(expires_at=utcnow())
        )
    elif not archived and point.archived_at is not None:
        lock_account(session, actor.account_id)
        require_feature(actor, Feature.POINTS, in_use=_active_points(session, actor.account_id))
        point.archived_at = None
    point.revision = next_revision(session, actor.account_id)
    return point


def catalog_sharers(session: Session, actor: Actor, *, point: RetailPoint) -> list[RetailPoint]:
    """Other points of the account that use the same catalog."""
    return list(
        session.scalars(
            select(RetailPoint).where(
                RetailPoint.account_id == actor.account_id,
                RetailPoint.catalog_id == point.catalog_id,
                RetailPoint.id != point.id,
            )
        )
    )


# --- activation codes and devices -------------------------------------------------------


def _random_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(code: str) -> str:
    """What a person typed (any case, with spaces or a dash) as stored."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def new_activation_code(session: Session, actor: Actor, *, point_id: uuid.UUID) -> ActivationCode:
    """Issue a fresh code for a point; any older unused code of the point stops working."""
    require(actor, Permission.MANAGE)
    point = get_point(session, actor, point_id)
    if point.archived_at is not None:
        raise Invalid(_("The point is archived. Restore it to bind registers."))
    now = utcnow()
    session.execute(
        update(ActivationCode)
        .where(ActivationCode.point_id == point.id, ActivationCode.used_at.is_(None), ActivationCode.expires_at > now)
        .values(expires_at=now)
    )
    while True:  # a clash among 1.5·10¹¹ codes is rare, but a unique index must never fail a save
        code = _random_code()
        if session.scalar(select(ActivationCode.id).where(ActivationCode.code == code)) is None:
            break
    activation = ActivationCode(account_id=actor.account_id, point_id=point.id, code=code, expires_at=now + CODE_TTL)
    session.add(activation)
    session.flush()
    return activation


def current_activation_code(session: Session, actor: Actor, *, point_id: uuid.UUID) -> ActivationCode | None:
    point = get_point(session, actor, point_id)
    if not actor.can(Permission.MANAGE):
        return None
    return session.scalars(
        select(ActivationCode)
        .where(
            ActivationCode.point_id == point.id,
            ActivationCode.used_at.is_(None),
            ActivationCode.expires_at > utcnow(),
        )
        .order_by(ActivationCode.created_at.desc())
    ).first()


def activate_device(session: Session, *, data: ActivateIn, ip: str) -> tuple[Device, RetailPoint, str]:
    """Bind a register to a point by its code; returns the device, its point and its token.

    Guesses are counted per network; a right code takes its attempt back, so provisioning
    many registers from one place is not limited. Past the limit even a right code is refused.
    Spending the code is one UPDATE, so two registers racing with one code cannot both bind.
    """
    guess = ratelimit.attempt(
        session, f"activate-ip:{ratelimit.network(ip)}", limit=ACTIVATION_FAILURES_PER_IP, window=ACTIVATION_WINDOW
    )
    now = utcnow()
    point_id = session.execute(
        update(ActivationCode)
        .where(
            ActivationCode.code == normalize_code(data.code),
            ActivationCode.used_at.is_(None),
            ActivationCode.expires_at > now,
        )
        .values(used_at=now)
        .returning(ActivationCode.point_id)
    ).scalar_one_or_none()
    point = session.get(RetailPoint, point_id) if point_id else None
    if point is None or point.archived_at is not None:
        raise Invalid(fields={"code": _("The code is wrong, used or expired. Get a new one in the back office.")})
    ratelimit.forgive(session, guess)
    token = new_secret()
    device = Device(
        account_id=point.account_id,
        point_id=point.id,
        name=data.device.name,
        app_version=data.device.app_version,
        serial=data.device.serial,
        token_hash=secret_hash(token),
        last_seen_at=now,
    )
    session.add(device)
    session.flush()
    return device, point, token


def device_for_token(session: Session, *, token: str) -> tuple[Device, RetailPoint]:
    """The bound, active register behind a device token; marks it as seen."""
    device = session.scalars(select(Device).where(Device.token_hash == secret_hash(token))).first()
    point = session.get(RetailPoint, device.point_id) if device else None
    if device is None or device.unbound_at is not None or point.archived_at is not None:
        raise Unauthorized(_("This register is not bound to a point. Activate it with a new code."))
    device.last_seen_at = utcnow()
    return device, point


def ofd_days_left(device: Device) -> int | None:
    """Whole days until the register's fiscal drive stops forming receipts because the OFD has not
    acknowledged a document for 30 days (0: it has stopped); None when nothing waits."""
    if not device.unsent_documents or device.oldest_unsent_at is None:
        return None
    return max(0, (device.oldest_unsent_at + OFD_WAIT_LIMIT - utcnow()).days)


def report_device_status(session: Session, *, device: Device, data: DeviceStatusIn) -> Device:
    """What a register tells about itself (app version, fiscal drive, KKT registration number)."""
    for field, value in data.model_dump(exclude_unset=True).items():
        setattr(device, field, value)
    return device


def list_devices(session: Session, actor: Actor, *, point_id: uuid.UUID) -> list[Device]:
    point = get_point(session, actor, point_id)
    return list(
        session.scalars(
            select(Device)
            .where(Device.point_id == point.id, Device.unbound_at.is_(None))
            .order_by(Device.created_at)
        )
    )


def device_counts(session: Session, actor: Actor) -> dict[uuid.UUID, int]:
    """How many registers are bound to each point of the account."""
    rows = session.execute(
        select(Device.point_id, func.count())
        .where(Device.account_id == actor.account_id, Device.unbound_at.is_(None))
        .group_by(Device.point_id)
    )
    return {point_id: count for point_id, count in rows}


def device_names(session: Session, *, account_id: uuid.UUID) -> dict[uuid.UUID, str]:
    """Every register the account ever had, unbound ones too (their documents stay theirs), by id."""
    return dict(session.execute(select(Device.id, Device.name).where(Device.account_id == account_id)).all())


def get_device(session: Session, actor: Actor, device_id: uuid.UUID) -> Device:
    require(actor, Permission.VIEW)
    device = session.get(Device, device_id)
    if device is None or device.account_id != actor.account_id or device.unbound_at is not None:
        raise NotFound()
    return device


def unbind_device(session: Session, actor: Actor, *, device_id: uuid.UUID) -> Device:
    """Unbind a register: its token stops working with the next request."""
    require(actor, Permission.MANAGE)
    device = get_device(session, actor, device_id)
    device.unbound_at = utcnow()
    return device


# --- cashiers ---------------------------------------------------------------------------


def list_cashiers(session: Session, actor: Actor, *, point_id: uuid.UUID | None = None) -> list[Cashier]:
    require(actor, Permission.VIEW)
    query = (
        select(Cashier)
        .where(Cashier.account_id == actor.account_id, Cashier.archived_at.is_(None))
        .options(selectinload(Cashier.points))
        .order_by(Cashier.name)
    )
    if point_id is not None:
        get_point(session, actor, point_id)  # another account's point is not found, not empty
        query = query.where(Cashier.points.any(RetailPoint.id == point_id))
    return list(session.scalars(query))


def cashier_names(session: Session, *, account_id: uuid.UUID) -> dict[uuid.UUID, str]:
    """Every cashier the account ever had, archived ones too (their past documents stay theirs), by id."""
    return dict(session.execute(select(Cashier.id, Cashier.name).where(Cashier.account_id == account_id)).all())


def get_cashier(session: Session, actor: Actor, cashier_id: uuid.UUID) -> Cashier:
    require(actor, Permission.VIEW)
    cashier = session.get(Cashier, cashier_id)
    if cashier is None or cashier.account_id != actor.account_id or cashier.archived_at is not None:
        raise NotFound()
    return cashier


def _cashier_points(session: Session, actor: Actor, point_ids: list[uuid.UUID]) -> list[RetailPoint]:
    points = list(
        session.scalars(
            select(RetailPoint).where(RetailPoint.account_id == actor.account_id, RetailPoint.id.in_(point_ids))
        )
    )
    if len(points) != len(set(point_ids)):
        raise Invalid(fields={"point_ids": _("Choose points from the list.")})
    return points


def _apply_cashier(session: Session, actor: Actor, cashier: Cashier, data: CashierIn) -> None:
    cashier.points = _cashier_points(session, actor, data.point_ids)
    cashier.name, cashier.inn = data.name, data.inn
    cashier.can_return, cashier.can_discount = data.can_return, data.can_discount
    cashier.can_change_price, cashier.can_cash_drawer = data.can_change_price, data.can_cash_drawer
    cashier.can_close_shift = data.can_close_shift
    if data.pin:
        cashier.pin_hash = hash_pin(data.pin)
    cashier.revision = next_revision(session, actor.account_id)


def create_cashier(session: Session, actor: Actor, *, data: CashierIn) -> Cashier:
    require(actor, Permission.MANAGE)
    if not data.pin:
        raise Invalid(fields={"pin": _("Required.")})
    cashier = Cashier(account_id=actor.account_id)
    _apply_cashier(session, actor, cashier, data)
    session.add(cashier)
    session.flush()
    return cashier


def update_cashier(session: Session, actor: Actor, *, cashier_id: uuid.UUID, data: CashierIn) -> Cashier:
    require(actor, Permission.MANAGE)
    cashier = get_cashier(session, actor, cashier_id)
    _apply_cashier(session, actor, cashier, data)
    return cashier


def archive_cashier(session: Session, actor: Actor, *, cashier_id: uuid.UUID) -> Cashier:
    """Remove a cashier from the registers; their past receipts keep their name."""
    require(actor, Permission.MANAGE)
    cashier = get_cashier(session, actor, cashier_id)
    cashier.archived_at = utcnow()
    cashier.revision = next_revision(session, actor.account_id)
    return cashier
