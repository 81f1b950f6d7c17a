"""JSON API of the reports (`/api/v1/reports`): ask for a report, follow its progress, download its file.

`POST /api/v1/reports` takes `{"period": "last_month"}` or `{"period": "custom", "start": "2026-11-01",
"end": "2026-11-30"}`, optionally `points` (ids; left out: every point of the account) and `email`
(left out: the account owner's; null or "": not mailed), and answers 202 with the report, queued;
`GET /api/v1/reports/{id}` shows how far it is (`status`, `progress` in percent); once `done`, its
`file_url` downloads the .xlsx. A period the service refuses answers 422 naming the field, another
account's point 404, a fourth report while three are being built 409, a role without reports 403.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse
from pydantic import BaseModel

from openkassa.accounts.deps import ApiActor
from openkassa.credentials.scopes import Scope, key_access
from openkassa.reports import service
from openkassa.reports.models import Report
from openkassa.reports.schemas import ReportIn
from openkassa.web.deps import DbSession

router = APIRouter(prefix="/api/v1/reports", tags=["reports"],
                   dependencies=[key_access(read=Scope.REPORTS, write=Scope.REPORTS)])


class ReportOut(BaseModel):
    id: uuid.UUID
    status: str  # queued, building, done, failed
    progress: int  # percent
    rows_total: int
    rows_done: int
    start: date
    end: date
    all_points: bool
    points: list[uuid.UUID]
    email: str | None
    file_name: str | None
    file_size: int | None
    file_url: str | None
    error: str | None
    created_at: datetime
    finished_at: datetime | None

    @classmethod
    def of(cls, report: Report, points: list[uuid.UUID]) -> ReportOut:
        done = report.status == "done"
        return cls(id=report.id, status=report.status, progress=service.progress(report), rows_total=report.rows_total,
                   rows_done=report.rows_done, start=report.first_day, end=report.last_day,
                   all_points=report.all_points, points=sorted(points), email=report.email or None,
                   file_name=report.file_name if done else None, file_size=report.file_size if done else None,
                   file_url=f"/api/v1/reports/{report.id}/file" if done else None, error=report.error or None,
                   created_at=report.created_at, finished_at=report.finished_at)


class ReportListOut(BaseModel):
    reports: list[ReportOut]
    next: uuid.UUID | None  # the `before` of the next page


@router.post("", status_code=202)
def ask(db: DbSession, actor: ApiActor, data: ReportIn, response: Response) -> ReportOut:
    """Ask for a report; the worker builds it (follow it at `Location`)."""
    report = service.request_report(db, actor, data)
    response.headers["Location"] = f"/api/v1/reports/{report.id}"
    return ReportOut.of(report, service.points_of(db, [report.id])[report.id])


@router.get("")
def reports(db: DbSession, actor: ApiActor, before: uuid.UUID | None = None) -> ReportListOut:
    """The account's reports, newest first, 50 a page."""
    page = service.list_reports(db, actor, before=before)
    return ReportListOut(reports=[ReportOut.of(report, page.points[report.id]) for report in page.reports],
                         next=page.next_cursor)


@router.get("/{report_id}")
def report(db: DbSession, actor: ApiActor, report_id: uuid.UUID) -> ReportOut:
    found = service.get_report(db, actor, report_id)
    return ReportOut.of(found, service.points_of(db, [found.id])[found.id])


@router.get("/{report_id}/file", response_class=FileResponse,
            responses={200: {"content": {service.MEDIA_TYPE: {}}, "description": "The report's .xlsx."}})
def download(request: Request, db: DbSession, actor: ApiActor, report_id: uuid.UUID) -> FileResponse:
    path, name = service.report_file(db, actor, request.app.state.settings, report_id)
    return FileResponse(path, media_type=service.MEDIA_TYPE, filename=name)
