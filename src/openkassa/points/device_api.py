"""The device API (`/api/device/v1`): what registers call. Authenticated by a device token."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from openkassa.errors import Unauthorized
from openkassa.points import service, sync
from openkassa.points.api import PointOut
from openkassa.points.models import Device, RetailPoint
from openkassa.points.schemas import ActivateIn, DeviceStatusIn
from openkassa.protocol import changes as protocol
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


@router.get("/changes", response_class=StreamingResponse,
            responses={200: {"content": {protocol.MEDIA_TYPE: {}}, "description": "NDJSON lines, `begin` to `end`."}})
async def changes(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    since: Annotated[int, Query(ge=0, le=2**62, description="The `revision` of the last stream applied; 0 for all.")] = 0,
    wait: Annotated[float, Query(ge=0, le=sync.MAX_WAIT_SECONDS, description=(
        "Seconds to wait for a change when there is none after `since` (a long poll); 0 answers at once."))] = 0,
) -> StreamingResponse:
    """What changed for the register's point after revision `since`, as a stream (see `protocol.changes`)."""
    if credentials is None:
        raise Unauthorized()
    db = request.app.state.db
    _device, point = await run_in_threadpool(sync.device_for_token, db, credentials.credentials)
    if wait:
        await sync.wait_for_changes(db, account_id=point.account_id, since=since, timeout=wait)
    return StreamingResponse(sync.response_body(db, point_id=point.id, since=since), media_type=protocol.MEDIA_TYPE)
