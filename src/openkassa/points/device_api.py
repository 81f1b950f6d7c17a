"""The device API (`/api/device/v1`): what registers call. Authenticated by a device token."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from openkassa.errors import Unauthorized
from openkassa.points import service
from openkassa.points.api import PointOut
from openkassa.points.models import Device, RetailPoint
from openkassa.points.schemas import ActivateIn, DeviceStatusIn
from openkassa.web.deps import ClientIp, DbSession

router = APIRouter(prefix="/api/device/v1", tags=["device"])
_bearer = HTTPBearer(auto_error=False)


class DeviceIdentity(BaseModel):
    device_id: uuid.UUID
    account_id: uuid.UUID
    point: PointOut


class ActivateOut(DeviceIdentity):
    token: str


def _device(
    db: DbSession, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> tuple[Device, RetailPoint]:
    if credentials is None:
        raise Unauthorized()
    return service.device_for_token(db, token=credentials.credentials)


CurrentDevice = Annotated[tuple[Device, RetailPoint], Depends(_device)]


@router.post("/activate", status_code=201)
def activate(db: DbSession, ip: ClientIp, data: ActivateIn) -> ActivateOut:
    """Bind a register to a point with an activation code; answers the device token (shown once)."""
    device, point, token = service.activate_device(db, data=data, ip=ip)
    return ActivateOut(device_id=device.id, account_id=device.account_id, point=PointOut.of(point), token=token)


@router.patch("/me")
def report_status(db: DbSession, current: CurrentDevice, data: DeviceStatusIn) -> DeviceIdentity:
    """The register reports its app version, fiscal drive serial and KKT registration number."""
    device, point = current
    service.report_device_status(db, device=device, data=data)
    return DeviceIdentity(device_id=device.id, account_id=device.account_id, point=PointOut.of(point))


@router.get("/me")
def me(current: CurrentDevice) -> DeviceIdentity:
    """The register and its point, as the server knows them (checks that the token still works)."""
    device, point = current
    return DeviceIdentity(device_id=device.id, account_id=device.account_id, point=PointOut.of(point))
