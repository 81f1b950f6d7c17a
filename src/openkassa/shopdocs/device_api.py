"""The device API of online-shop documents (see `protocol.shopdocs`): a register of a point marked
for them takes the queued documents, as a long poll, and reports what it made of each."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from openkassa import wakeups
from openkassa.errors import Unauthorized
from openkassa.points import sync
from openkassa.points.device_api import CurrentDevice
from openkassa.protocol import shopdocs as wire
from openkassa.shopdocs import service
from openkassa.shopdocs.models import ShopDocument
from openkassa.web.deps import DbSession

router = APIRouter(prefix="/api/device/v1", tags=["device"])
_bearer = HTTPBearer(auto_error=False)
MAX_WAIT_SECONDS = 60


@router.post("/shop-documents/take")
async def take(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    wait: Annotated[float, Query(ge=0, le=MAX_WAIT_SECONDS, description=(
        "Seconds to wait for a document when none waits (a long poll); 0 answers at once."))] = 0,
) -> wire.Taken:
    """The point's next online-shop documents for this register, now PENDING for it (see `protocol.shopdocs`)."""
    if credentials is None:
        raise Unauthorized()
    db = request.app.state.db
    device, point = await run_in_threadpool(sync.device_for_token, db, credentials.credentials)

    def taken() -> list[wire.ShopDocument]:
        with db.transaction(immediate=True) as session:
            return [_wire(document) for document in service.take(session, device=device, point=point)]

    documents = await run_in_threadpool(taken)
    if not documents and wait and point.online_shop:
        def read() -> int:
            with db.snapshot() as session:
                return service.waiting(session, point_id=point.id)

        if await wakeups.wait_past(point.account_id, 0, wait, read, url=db.url):
            documents = await run_in_threadpool(taken)
    return wire.Taken(documents=documents)


@router.post("/shop-documents/{document_id}/result")
def report(db: DbSession, current: CurrentDevice, document_id: uuid.UUID, result: wire.Result) -> dict:
    """What the register made of a document it took: the receipt's fiscal details, or the failure."""
    device, point = current
    document = service.report(db, device=device, point=point, document_id=document_id, result=result)
    return {"status": document.status}


def _wire(document: ShopDocument) -> wire.ShopDocument:
    content = document.content
    return wire.ShopDocument(
        id=document.id, external_id=document.external_id, doc_num=document.doc_num, settlement=content["settlement"],
        checkout_at=document.checkout_at, contact=document.contact, tax_system=content["tax_system"],
        print=content["print"], text=content["text"], cashier=content["cashier"], client=content["client"],
        agent=content["agent"], lines=content["lines"], payments=content["payments"], total=document.total)
