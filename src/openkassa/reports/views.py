"""HTML pages of the reports («Отчёты»): the form to ask for a report, the list of reports with their
progress (each report being built is a row HTMX polls every second), and the downloads.

A request the service refuses (a reversed or too long period, no point chosen, too many reports
waiting) re-renders the form with the field's message; another account's point is not found (404).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from babel.numbers import format_decimal
from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse

from openkassa.accounts.deps import CurrentActor
from openkassa.accounts.roles import Permission
from openkassa.accounts.service import require
from openkassa.errors import Conflict, Invalid, NotFound, validate
from openkassa.i18n import _, current_language
from openkassa.points import service as points_service
from openkassa.reports import service
from openkassa.reports.models import Report
from openkassa.reports.schemas import ReportIn
from openkassa.web import flash
from openkassa.web.deps import DbSession, FormData, require_csrf
from openkassa.web.templating import is_htmx, render, see_other

router = APIRouter(dependencies=[Depends(require_csrf)], include_in_schema=False)

PRESETS = {
    "today": lambda: _("Today"), "yesterday": lambda: _("Yesterday"), "week": lambda: _("This week"),
    "month": lambda: _("This month"), "last_month": lambda: _("Last month"), "custom": lambda: _("Custom range"),
}


@dataclass(frozen=True)
class Row:
    """A report as its row in the list shows it."""

    report: Report
    points: str
    progress: int

    @property
    def waiting(self) -> bool:
        return self.report.status in ("queued", "building")


def _number(value: int) -> str:
    return format_decimal(value, locale=current_language())


def _size(size: int) -> str:
    """A file's size: «1,2 МБ» or «35 КБ»."""
    if size >= 1024 * 1024:
        return _("{size} MB").format(size=format_decimal(round(size / 1024 / 1024, 1), locale=current_language()))
    return _("{size} KB").format(size=_number(max(1, round(size / 1024))))


def _rows(db, actor, reports: list[Report], points: dict[uuid.UUID, list[uuid.UUID]]) -> list[Row]:
    names = {point.id: point.name for point in points_service.list_points(db, actor)
             + points_service.list_points(db, actor, archived=True)}
    rows = []
    for report in reports:
        label = (_("All points") if report.all_points
                 else ", ".join(sorted(names.get(point_id, "—") for point_id in points.get(report.id, []))))
        rows.append(Row(report, label, service.progress(report)))
    return rows


def _zone(db, actor) -> str:
    return points_service.zone_of(db, account_id=actor.account_id)


def _page(request: Request, db, actor, *, form: dict, errors: dict[str, str], status_code: int = 200,
          before: uuid.UUID | None = None):
    page = service.list_reports(db, actor, before=before)
    return render(
        request, "reports/reports.html", status_code=status_code, section="reports",
        points=points_service.list_points(db, actor), form=form, errors=errors,
        presets=[(key, label()) for key, label in PRESETS.items()],
        rows=_rows(db, actor, page.reports, page.points), next_cursor=page.next_cursor, zone=_zone(db, actor),
        period_label=service.period_label, size=_size, number=_number,
        max_days=service.MAX_DAYS, max_lines=_number(service.MAX_LINES), max_waiting=service.MAX_WAITING,
        kept_days=service.KEPT.days, attachment_mb=service.MAIL_ATTACHMENT_BYTES // 1024 // 1024,
    )


@router.get("/reports")
def reports(request: Request, db: DbSession, actor: CurrentActor, before: str = ""):
    """The form (the period of the dashboard's presets or dates, the points, the address) and the reports."""
    require(actor, Permission.REPORTS)
    try:
        cursor = uuid.UUID(before) if before else None
    except ValueError:
        raise NotFound() from None
    form = {"period": "month", "scope": "all", "points": [], "email": service.default_email(db, actor),
            "start": "", "end": ""}
    return _page(request, db, actor, form=form, errors={}, before=cursor)


def _asked(form: dict) -> ReportIn:
    """The form as the service reads it: «all points», or the points ticked (none ticked is a choice of none)."""
    data = {name: form.get(name, "") for name in ("period", "start", "end", "email")}
    chosen = form.get("points", [])
    data["points"] = None if form.get("scope", "all") == "all" else ([chosen] if isinstance(chosen, str) else chosen)
    try:
        return validate(ReportIn, data)
    except Invalid as error:
        if error.fields.get("points") == _("Not found."):
            raise NotFound() from None  # a mangled point id names no point
        for name in ("start", "end"):
            if error.fields.get(name) == _("Wrong value."):
                error.fields[name] = _("Enter a valid date.")
        raise


@router.post("/reports")
def ask(request: Request, db: DbSession, actor: CurrentActor, form: FormData):
    """Ask for a report: it is queued and built by the worker while this page shows its progress."""
    require(actor, Permission.REPORTS)
    try:
        report = service.request_report(db, actor, _asked(form))
    except (Invalid, Conflict) as error:
        fields = error.fields if isinstance(error, Invalid) and error.fields else {"__all__": error.message}
        shown = {"period": "month", "scope": "all", "points": [], "email": "", "start": "", "end": "", **form}
        if isinstance(shown["points"], str):
            shown["points"] = [shown["points"]]
        return _page(request, db, actor, form=shown, errors=fields, status_code=422 if isinstance(error, Invalid) else 409)
    message = _("The report for {period} is being built. It appears below when it is ready").format(
        period=service.period_label(report.first_day, report.last_day))
    flash.add(request, message + (_(", and goes to {email}.").format(email=report.email) if report.email else "."))
    return see_other("/reports")


@router.get("/reports/{report_id}")
def report_row(request: Request, db: DbSession, actor: CurrentActor, report_id: uuid.UUID):
    """A report's row in the list (HTMX polls it while the report is built); the list itself otherwise."""
    report = service.get_report(db, actor, report_id)
    if not is_htmx(request):
        return see_other("/reports")
    [row] = _rows(db, actor, [report], service.points_of(db, [report.id]))
    return render(request, "reports/row.html", row=row, zone=_zone(db, actor), period_label=service.period_label,
                  size=_size, number=_number)


@router.get("/reports/{report_id}/file")
def download(request: Request, db: DbSession, actor: CurrentActor, report_id: uuid.UUID):
    """The report's .xlsx."""
    path, name = service.report_file(db, actor, request.app.state.settings, report_id)
    return FileResponse(path, media_type=service.MEDIA_TYPE, filename=name)
