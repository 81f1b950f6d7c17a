"""The device API's reports: a register lists the reports of its point and downloads their files.

A register sees the reports that cover its point and no other point: its token must not read the
sales of the account's other points (a report of all points of a one-point account is its point's)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel

from openkassa.points.device_api import CurrentDevice
from openkassa.reports import service
from openkassa.reports.models import Report
from openkassa.web.deps import DbSession

router = APIRouter(prefix="/api/device/v1", tags=["device"])


class DeviceReportOut(BaseModel):
    id: uuid.UUID
    status: str  # queued, building, done, failed
    progress: int  # percent
    start: date
    end: date
    file_name: str | None
    file_size: int | None
    file_url: str | None  # once done
    created_at: datetime

    @classmethod
    def of(cls, report: Report) -> DeviceReportOut:
        done = report.status == "done"
        return cls(id=report.id, status=report.status, progress=service.progress(report), start=report.first_day,
                   end=report.last_day, file_name=report.file_name if done else None,
                   file_size=report.file_size if done else None,
                   file_url=f"/api/device/v1/reports/{report.id}/file" if done else None, created_at=report.created_at)


class DeviceReportsOut(BaseModel):
    reports: list[DeviceReportOut]


@router.get("/reports")
def reports(db: DbSession, current: CurrentDevice) -> DeviceReportsOut:
    """The newest 50 reports of the register's point, newest first."""
    _device, point = current
    return DeviceReportsOut(reports=[DeviceReportOut.of(report) for report in service.device_reports(db, point=point)])


@router.get("/reports/{report_id}/file", response_class=FileResponse,
            responses={200: {"content": {service.MEDIA_TYPE: {}}, "description": "The report's .xlsx."}})
def report_file(request: Request, db: DbSession, current: CurrentDevice, report_id: uuid.UUID) -> FileResponse:
    """A report's .xlsx, once built."""
    _device, point = current
    path, name = service.device_report_file(db, request.app.state.settings, point=point, report_id=report_id)
    return FileResponse(path, media_type=service.MEDIA_TYPE, filename=name)
