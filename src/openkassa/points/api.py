"""JSON API of the points domain (`/api/v1`): points, activation codes, devices, cashiers."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel

from openkassa.accounts.deps import ApiActor
from openkassa.credentials.scopes import ANY_SCOPE, key_access
from openkassa.points import service
from openkassa.points.models import ActivationCode, Cashier, Device, RetailPoint
from openkassa.points.schemas import CashierIn, NewPointIn, PointIn, PointSettings, Rounding, tax_systems_of
from openkassa.web.deps import DbSession

# Any key may read the points, devices and cashiers: every other call needs their ids. Only people change them.
router = APIRouter(prefix="/api/v1", tags=["points"], dependencies=[key_access(read=ANY_SCOPE)])


class PointOut(PointSettings):
    id: uuid.UUID
    name: str
    address: str
    inn: str
    timezone: str
    tax_systems: list[int]
    default_tax_system: int
    catalog_id: uuid.UUID
    revision: int
    archived: bool

    @classmethod
    def of(cls, point: RetailPoint) -> PointOut:
        settings = {field: getattr(point, field) for field in PointSettings.model_fields}
        settings["rounding"] = Rounding(point.rounding)
        return cls(
            id=point.id, name=point.name, address=point.address, inn=point.inn, timezone=point.timezone,
            tax_systems=[int(t) for t in tax_systems_of(point.tax_systems)],
            default_tax_system=point.default_tax_system, catalog_id=point.catalog_id,
            revision=point.revision, archived=point.archived_at is not None, **settings,
        )


class ActivationCodeOut(BaseModel):
    code: str
    expires_at: datetime

    @classmethod
    def of(cls, code: ActivationCode) -> ActivationCodeOut:
        return cls(code=code.code, expires_at=code.expires_at)


class DeviceOut(BaseModel):
    id: uuid.UUID
    point_id: uuid.UUID
    name: str
    app_version: str
    serial: str
    fn_serial: str
    kkt_reg_number: str
    last_seen_at: datetime | None
    unsent_documents: int
    oldest_unsent_at: datetime | None
    last_ofd_exchange_at: datetime | None

    @classmethod
    def of(cls, device: Device) -> DeviceOut:
        return cls.model_validate(device, from_attributes=True)


class CashierOut(BaseModel):
    id: uuid.UUID
    name: str
    inn: str
    point_ids: list[uuid.UUID]
    can_return: bool
    can_discount: bool
    can_change_price: bool
    can_cash_drawer: bool
    can_close_shift: bool
    revision: int

    @classmethod
    def of(cls, cashier: Cashier) -> CashierOut:
        return cls(
            id=cashier.id, name=cashier.name, inn=cashier.inn, point_ids=[p.id for p in cashier.points],
            can_return=cashier.can_return, can_discount=cashier.can_discount,
            can_change_price=cashier.can_change_price, can_cash_drawer=cashier.can_cash_drawer,
            can_close_shift=cashier.can_close_shift, revision=cashier.revision,
        )


@router.get("/points")
def list_points(db: DbSession, actor: ApiActor, archived: bool = False) -> list[PointOut]:
    """The account's retail points (archived ones with `archived=true`)."""
    return [PointOut.of(p) for p in service.list_points(db, actor, archived=archived)]


@router.post("/points", status_code=201)
def create_point(db: DbSession, actor: ApiActor, data: NewPointIn) -> PointOut:
    """Create a point; its catalog is new, shared with another point, or a copy."""
    return PointOut.of(service.create_point(db, actor, data=data))


@router.get("/points/{point_id}")
def get_point(db: DbSession, actor: ApiActor, point_id: uuid.UUID) -> PointOut:
    return PointOut.of(service.get_point(db, actor, point_id))


@router.put("/points/{point_id}")
def update_point(db: DbSession, actor: ApiActor, point_id: uuid.UUID, data: PointIn) -> PointOut:
    """Replace a point's details and register settings."""
    return PointOut.of(service.update_point(db, actor, point_id=point_id, data=data))


@router.delete("/points/{point_id}")
def archive_point(db: DbSession, actor: ApiActor, point_id: uuid.UUID) -> PointOut:
    """Archive a point (kept with its history; its registers stop working)."""
    return PointOut.of(service.set_archived(db, actor, point_id=point_id, archived=True))


@router.post("/points/{point_id}/activation-code", status_code=201)
def new_activation_code(db: DbSession, actor: ApiActor, point_id: uuid.UUID) -> ActivationCodeOut:
    """A fresh single-use activation code (24 hours) for binding a register to the point."""
    return ActivationCodeOut.of(service.new_activation_code(db, actor, point_id=point_id))


@router.get("/points/{point_id}/devices")
def list_devices(db: DbSession, actor: ApiActor, point_id: uuid.UUID) -> list[DeviceOut]:
    return [DeviceOut.of(d) for d in service.list_devices(db, actor, point_id=point_id)]


@router.get("/devices/{device_id}")
def get_device(db: DbSession, actor: ApiActor, device_id: uuid.UUID) -> DeviceOut:
    return DeviceOut.of(service.get_device(db, actor, device_id))


@router.delete("/devices/{device_id}", status_code=204)
def unbind_device(db: DbSession, actor: ApiActor, device_id: uuid.UUID) -> None:
    """Unbind a register; its token stops working at once."""
    service.unbind_device(db, actor, device_id=device_id)


@router.get("/cashiers")
def list_cashiers(db: DbSession, actor: ApiActor, point_id: uuid.UUID | None = None) -> list[CashierOut]:
    return [CashierOut.of(c) for c in service.list_cashiers(db, actor, point_id=point_id)]


@router.post("/cashiers", status_code=201)
def create_cashier(db: DbSession, actor: ApiActor, data: CashierIn) -> CashierOut:
    return CashierOut.of(service.create_cashier(db, actor, data=data))


@router.get("/cashiers/{cashier_id}")
def get_cashier(db: DbSession, actor: ApiActor, cashier_id: uuid.UUID) -> CashierOut:
    return CashierOut.of(service.get_cashier(db, actor, cashier_id))


@router.put("/cashiers/{cashier_id}")
def update_cashier(db: DbSession, actor: ApiActor, cashier_id: uuid.UUID, data: CashierIn) -> CashierOut:
    """Replace a cashier's details; an empty `pin` keeps the current PIN."""
    return CashierOut.of(service.update_cashier(db, actor, cashier_id=cashier_id, data=data))


@router.delete("/cashiers/{cashier_id}", status_code=204)
def archive_cashier(db: DbSession, actor: ApiActor, cashier_id: uuid.UUID) -> None:
    service.archive_cashier(db, actor, cashier_id=cashier_id)
