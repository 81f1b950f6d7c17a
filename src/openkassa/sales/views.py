"""HTML pages of the sales domain: a point's documents from its registers, quarantine included."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request

from openkassa.accounts.deps import CurrentActor
from openkassa.i18n import _
from openkassa.points import service as points_service
from openkassa.sales import service
from openkassa.web.deps import DbSession, require_csrf
from openkassa.web.templating import render

router = APIRouter(dependencies=[Depends(require_csrf)], include_in_schema=False)


def kind_label(kind: str, settlement: int | None) -> str:
    if kind in ("receipt", "correction") and settlement == 2:
        return _("Return") if kind == "receipt" else _("Return correction")
    return {
        "shift_open": _("Shift opened"), "shift_close": _("Shift closed"), "receipt": _("Sale"),
        "correction": _("Correction"), "cash_in": _("Cash in"), "cash_out": _("Cash out"),
        "product": _("New product"), "report": _("Fiscal report"),
    }.get(kind, _("Unreadable document"))


@router.get("/points/{point_id}/documents")
def documents(request: Request, db: DbSession, actor: CurrentActor, point_id: uuid.UUID,
              quarantined: bool = False, before: str | None = None):
    point = points_service.get_point(db, actor, point_id)
    page = service.list_documents(db, actor, point_id=point_id, quarantined=quarantined, before=before)
    return render(request, "sales/documents.html", section="points", point=point, tab="documents", page=page,
                  quarantined=quarantined, kind_label=kind_label)


@router.get("/documents/{document_id}")
def document(request: Request, db: DbSession, actor: CurrentActor, document_id: uuid.UUID):
    found, lines = service.get_document(db, actor, document_id)
    point = points_service.get_point(db, actor, found.point_id)
    return render(request, "sales/document.html", section="points", point=point, tab="documents", document=found,
                  lines=lines, kind_label=kind_label)
