"""The device API's sales routes: a register registers its software fiscal drive and uploads what
happened at the till (see `protocol.documents`)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from openkassa.points.device_api import CurrentDevice
from openkassa.protocol import documents as protocol
from openkassa.sales import service
from openkassa.web.deps import DbSession

router = APIRouter(prefix="/api/device/v1", tags=["device"])


@router.put("/drive")
def register_drive(db: DbSession, current: CurrentDevice, data: protocol.DriveKey) -> dict:
    """Tell the server the key the register's software fiscal drive signs with (a serial keeps its first key)."""
    device, _point = current
    drive = service.register_drive(db, device=device, data=data)
    return {"fn_serial": drive.fn_serial}


@router.post("/documents")
def upload(request: Request, db: DbSession, current: CurrentDevice, data: protocol.Upload) -> protocol.Uploaded:
    """Take up to 500 documents; answer what became of each, in order (idempotent on each document's id)."""
    device, point = current
    key = service.ofd_key(request.app.state.settings.secret_key)
    return protocol.Uploaded(results=service.ingest(db, device=device, point=point, documents=data.documents, ofd_key=key))
