"""Reports («Документы → Отчёты»): someone asks for a report of some points over a period; the worker
builds it as an .xlsx (`sheets`) while its page shows the progress; then it is downloaded, mailed as
an attachment, and read by the point's registers through the device API.

Asking (`request_report`) checks everything that can be checked at once — the role (REPORTS), the
period (the dashboard's rules: forward, at most `MAX_DAYS` days, from 2000 to tomorrow), the points
(another account's is not found), how many of the account's reports wait (`MAX_WAITING`) — and then
writes the report, its points and the outbox job `report_build` in the caller's transaction.

Building (`build`, the job's handler) reads everything from one snapshot of the database
(`Database.snapshot()`: REPEATABLE READ on PostgreSQL), so the summary and the sheets agree however
long it takes and whatever registers upload meanwhile. It first counts the rows (a sheet holds at
most `MAX_LINES` under its header: more fails the report with that reason), then streams them in
batches into the workbook (`sheets.write`, XlsxWriter in constant memory), so memory does not grow
with the rows. The progress is written in short transactions of its own, about once a second; they
also show the build is alive (`heartbeat_at`). The file is written beside its final name and renamed
when whole, in the transaction that marks the report done and queues its mail, so a report that is
done has its file, and its mail goes once. A failure marks the report failed with a reason; a
worker that dies midway leaves the job to the outbox, whose next try starts over once the heartbeat
is `STALE` (a build still alive elsewhere makes the try wait, `BuildingElsewhere`).

The hourly housekeeping (`purge`) forgets reports and files after `KEPT`, and fails builds that never
ended.
"""

from __future__ import annotations

import logging
import os
import time as clock
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_date
from babel.numbers import format_decimal
from sqlalchemy import delete, exists, func, insert, select, update
from sqlalchemy.orm import Session

from openkassa.accounts import service as accounts_service
from openkassa.accounts.roles import Permission
from openkassa.accounts.service import Actor, lock_account, require
from openkassa.config import Settings, get_settings
from openkassa.db import Database, utcnow
from openkassa.errors import Conflict, Invalid, NotFound
from openkassa.i18n import _, current_language, language
from openkassa.jobs.service import enqueue, enqueue_email
from openkassa.points import service as points_service
from openkassa.points.models import RetailPoint
from openkassa.reports import sheets
from openkassa.reports.models import BUILDING, DONE, FAILED, QUEUED, WAITING, Report, report_points
from openkassa.reports.schemas import ReportIn
from openkassa.reports.workbook import SHEET_ROWS
from openkassa.sales import rows as sales_rows
from openkassa.stats import service as stats_service

log = logging.getLogger(__name__)

BUILD_JOB = "report_build"
MAX_DAYS = stats_service.MAX_DAYS
"""The longest period a report covers: the dashboard's (a year, leap day included)."""
MAX_LINES = SHEET_ROWS - 1
"""Rows a sheet holds under its header (Excel's limit): receipt lines, corrections or cash operations."""
MAX_WAITING = 3
"""Reports of an account queued or being built at once; the next must wait for one of them."""
KEPT = timedelta(days=30)
"""How long a report and its file are kept after it was asked for."""
ABANDONED = timedelta(days=1)
"""A report not built this long after it was asked for is failed by the housekeeping."""
STALE = timedelta(minutes=2)
"""A build whose progress has not moved this long is taken to have died (progress moves every second)."""
PROGRESS_SECONDS = 1.0
MAIL_ATTACHMENT_BYTES = 20 * 1024 * 1024
"""A file up to this size goes with its mail; a larger one is downloaded by the link in the mail
(mail servers commonly refuse messages of 25 MB and more, and base64 adds a third)."""
PAGE_SIZE = 50
MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class BuildingElsewhere(Exception):
    """Another worker is building this report and is alive: the outbox tries again later."""


class _Refused(Exception):
    """The report cannot be built as asked; `message` says why, translated."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class _Superseded(Exception):
    """A later build of the same report took over (this one was thought dead)."""


# --- asking -----------------------------------------------------------------------------------------


def request_report(session: Session, actor: Actor, data: ReportIn) -> Report:
    """Record a report to build and queue its build, in the caller's transaction; `Invalid` names the
    field that is wrong, another account's point is `NotFound`, too many waiting reports a `Conflict`."""
    require(actor, Permission.REPORTS)
    if data.points is None:
        chosen = _all_points(session, actor)
        if not chosen:
            raise Invalid(fields={"points": _("The account has no points yet: add a point first.")})
    else:
        if not data.points:
            raise Invalid(fields={"points": _("Choose at least one point.")})
        chosen = []
        for point_id in dict.fromkeys(data.points):
            chosen.append(points_service.get_point(session, actor, point_id))  # another account's: NotFound
    scope = stats_service.scope_for(session, actor, point_id=chosen[0].id if data.points else None)
    period = stats_service.period_for(scope, preset=data.period, start=data.start, end=data.end)
    email = data.email if "email" in data.model_fields_set else default_email(session, actor)
    lock_account(session, actor.account_id)
    waiting = session.scalar(select(func.count()).select_from(Report).where(
        Report.account_id == actor.account_id, Report.status.in_(WAITING)))
    if waiting >= MAX_WAITING:
        raise Conflict(_("{count} reports are being built already: wait until one of them is ready.").format(
            count=waiting))
    report = Report(account_id=actor.account_id, user_id=actor.user_id, first_day=period.start, last_day=period.end,
                    all_points=data.points is None, email=email or "", language=current_language(), status=QUEUED)
    session.add(report)
    session.flush()
    session.execute(insert(report_points), [{"report_id": report.id, "point_id": point.id} for point in chosen])
    enqueue(session, BUILD_JOB, {"report_id": str(report.id)})
    return report


def default_email(session: Session, actor: Actor) -> str:
    """Where a report is mailed unless asked otherwise: the account owner's address."""
    try:
        return accounts_service.owner_actor(session, account_id=actor.account_id).email
    except NotFound:
        return actor.email


def _all_points(session: Session, actor: Actor) -> list[RetailPoint]:
    return points_service.list_points(session, actor) + points_service.list_points(session, actor, archived=True)


# --- reading ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportPage:
    reports: list[Report]
    points: dict[uuid.UUID, list[uuid.UUID]]  # each report's points
    next_cursor: uuid.UUID | None  # the `before` of the next page; None on the last


def list_reports(session: Session, actor: Actor, *, before: uuid.UUID | None = None) -> ReportPage:
    """The account's reports, newest first, a page at a time (ids are time-ordered: the cursor is one)."""
    require(actor, Permission.REPORTS)
    query = select(Report).where(Report.account_id == actor.account_id)
    if before is not None:
        query = query.where(Report.id < before)
    reports = list(session.scalars(query.order_by(Report.id.desc()).limit(PAGE_SIZE + 1)))
    more = len(reports) > PAGE_SIZE
    reports = reports[:PAGE_SIZE]
    return ReportPage(reports, points_of(session, [report.id for report in reports]),
                      reports[-1].id if more else None)


def get_report(session: Session, actor: Actor, report_id: uuid.UUID) -> Report:
    require(actor, Permission.REPORTS)
    report = session.get(Report, report_id)
    if report is None or report.account_id != actor.account_id:
        raise NotFound()
    return report


def points_of(session: Session, report_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[uuid.UUID]]:
    found: dict[uuid.UUID, list[uuid.UUID]] = {report_id: [] for report_id in report_ids}
    if report_ids:
        for report_id, point_id in session.execute(select(report_points.c.report_id, report_points.c.point_id)
                                                   .where(report_points.c.report_id.in_(report_ids))):
            found[report_id].append(point_id)
    return found


def progress(report: Report) -> int:
    """How much of the report is built, in percent."""
    if report.status == DONE:
        return 100
    if report.status != BUILDING or not report.rows_total:
        return 0
    return min(99, report.rows_done * 100 // report.rows_total)


def file_path(settings: Settings, report_id: uuid.UUID) -> Path:
    return settings.data_dir / "reports" / f"{report_id}.xlsx"


def report_file(session: Session, actor: Actor, settings: Settings, report_id: uuid.UUID) -> tuple[Path, str]:
    """The built file of a report and the name to download it under."""
    return _file(settings, get_report(session, actor, report_id))


def _file(settings: Settings, report: Report) -> tuple[Path, str]:
    path = file_path(settings, report.id)
    if report.status != DONE or not path.is_file():
        raise NotFound(_("This report has no file: it is not built yet, or it was deleted after {days} days.").format(
            days=KEPT.days))
    return path, report.file_name


# --- the register's view ------------------------------------------------------------------------------


def _of_point_alone(point_id: uuid.UUID):
    """Reports covering this point and no other: a register reads its own point's sales, nobody else's."""
    return (exists().where(report_points.c.report_id == Report.id, report_points.c.point_id == point_id),
            ~exists().where(report_points.c.report_id == Report.id, report_points.c.point_id != point_id))


def device_reports(session: Session, *, point: RetailPoint) -> list[Report]:
    """The newest reports of the register's point (those covering it alone), newest first."""
    return list(session.scalars(select(Report).where(Report.account_id == point.account_id, *_of_point_alone(point.id))
                                .order_by(Report.id.desc()).limit(PAGE_SIZE)))


def device_report_file(session: Session, settings: Settings, *, point: RetailPoint,
                       report_id: uuid.UUID) -> tuple[Path, str]:
    report = session.scalars(select(Report).where(Report.id == report_id, Report.account_id == point.account_id,
                                                  *_of_point_alone(point.id))).first()
    if report is None:
        raise NotFound()
    return _file(settings, report)


# --- building ---------------------------------------------------------------------------------------


def build(settings: Settings, payload: dict) -> None:
    """The outbox job "report_build": build the report's file, mark it done and queue its mail, or
    mark it failed with the reason. A report done or failed already is left alone (the outbox
    delivers at least once)."""
    report_id = uuid.UUID(payload["report_id"])
    db = Database(settings.sqlalchemy_url)
    try:
        _build(db, settings, report_id)
    finally:
        db.dispose()


def _build(db: Database, settings: Settings, report_id: uuid.UUID) -> None:
    started = _start(db, report_id)
    if started is None:
        return
    attempt, report_language = started
    folder = settings.data_dir / "reports"
    (folder / "tmp").mkdir(parents=True, exist_ok=True)
    part = folder / f"{report_id}.{attempt}.part"
    with language(report_language):
        try:
            size = _write(db, report_id, attempt, part, folder / "tmp")
            _done(db, settings, report_id, attempt, part, size)
        except _Superseded:
            log.warning("report %s: build %s was superseded by a later one", report_id, attempt)
        except _Refused as refusal:
            _fail(db, report_id, attempt, refusal.message)
        except Exception:  # noqa: BLE001 - shown as a failure, not retried: someone watches the progress bar
            log.exception("building the report %s failed", report_id)
            _fail(db, report_id, attempt, _("Something went wrong on our side while building the report. "
                                            "Please ask for it again."))
        finally:
            part.unlink(missing_ok=True)


def _start(db: Database, report_id: uuid.UUID) -> tuple[int, str] | None:
    """Take the report for this build: its attempt number and language; None when there is nothing to do."""
    with db.transaction(immediate=True) as session:
        report = session.get(Report, report_id)
        if report is None or report.status in (DONE, FAILED):
            return None
        now = utcnow()
        if report.status == BUILDING and report.heartbeat_at is not None and now - report.heartbeat_at < STALE:
            raise BuildingElsewhere(f"report {report_id} is being built by attempt {report.attempt}")
        report.status, report.attempt = BUILDING, report.attempt + 1
        report.started_at = report.heartbeat_at = now
        report.rows_done = report.rows_total = 0
        report.error = ""
        return report.attempt, report.language


class _Progress:
    """Writes how far the build is, in a short transaction of its own about once a second."""

    def __init__(self, db: Database, report_id: uuid.UUID, attempt: int):
        self.db, self.report_id, self.attempt = db, report_id, attempt
        self._last = clock.monotonic()

    def total(self, rows: int) -> None:
        self._write(rows_total=rows)

    def __call__(self, rows: int) -> None:
        if clock.monotonic() - self._last >= PROGRESS_SECONDS:
            self._write(rows_done=rows)

    def _write(self, **values: int) -> None:
        with self.db.transaction(immediate=True) as session:
            moved = session.execute(update(Report).where(Report.id == self.report_id, Report.attempt == self.attempt,
                                                         Report.status == BUILDING)
                                    .values(heartbeat_at=utcnow(), **values)).rowcount
        if not moved:
            raise _Superseded()
        self._last = clock.monotonic()


def _write(db: Database, report_id: uuid.UUID, attempt: int, part: Path, tmpdir: Path) -> int:
    """Write the workbook to `part` from one snapshot; returns its size in bytes."""
    progress = _Progress(db, report_id, attempt)
    with db.snapshot() as session:
        report = session.get_one(Report, report_id)
        actor = _acting(session, report)
        points = {point.id: point for point in _all_points(session, actor)}
        chosen = [point_id for point_id in points_of(session, [report.id])[report.id] if point_id in points]
        chosen.sort(key=lambda point_id: (points[point_id].name, point_id))
        scope = sales_rows.Scope(report.account_id, None if report.all_points else chosen, report.first_day, report.last_day)
        connection = session.connection()
        lines, corrections, cash = sales_rows.counts(connection, scope)
        if max(lines, corrections, cash) > MAX_LINES:
            raise _Refused(_("The period has {count} receipt lines, more than a sheet holds ({limit}): choose a "
                             "shorter period or fewer points.").format(count=_number(lines), limit=_number(MAX_LINES))
                           if lines > MAX_LINES else
                           _("The period has more documents than a sheet holds ({limit}): choose a shorter period or "
                             "fewer points.").format(limit=_number(MAX_LINES)))
        progress.total(lines + corrections + cash)
        names = sheets.Names(
            points={point_id: point.name for point_id, point in points.items()},
            zones={point_id: ZoneInfo(point.timezone) for point_id, point in points.items()},
            devices=points_service.device_names(session, account_id=report.account_id),
            cashiers=points_service.cashier_names(session, account_id=report.account_id))
        zone = points[chosen[0]].timezone if chosen else points_service.DEFAULT_ZONE
        heading = sheets.Heading(
            company=actor.company_name, period=period_label(report.first_day, report.last_day),
            points=_("All points") if report.all_points else ", ".join(points[point_id].name for point_id in chosen),
            built_at=datetime.now(ZoneInfo(zone)).replace(tzinfo=None, microsecond=0), zone=zone)
        source = sheets.Source(lines=sales_rows.lines(connection, scope), corrections=sales_rows.corrections(connection, scope),
                               cash=sales_rows.cash_operations(connection, scope), uuid_of=sales_rows.uuid_of,
                               moment_of=sales_rows.moment_of,
                               point_ids=chosen)
        sheets.write(part, tmpdir=tmpdir, heading=heading, names=names, source=source, progress=progress)
    return part.stat().st_size


def _acting(session: Session, report: Report) -> Actor:
    """Whose rights read the account's points for the build: the owner's (the asker may have left)."""
    try:
        return accounts_service.owner_actor(session, account_id=report.account_id)
    except NotFound:
        return accounts_service.actor_of(session, user_id=report.user_id)


def _done(db: Database, settings: Settings, report_id: uuid.UUID, attempt: int, part: Path, size: int) -> None:
    with db.transaction(immediate=True) as session:
        report = session.get(Report, report_id)
        if report is None or report.attempt != attempt or report.status != BUILDING:
            raise _Superseded()
        os.replace(part, file_path(settings, report_id))
        report.status, report.finished_at, report.heartbeat_at = DONE, utcnow(), utcnow()
        report.rows_done = report.rows_total
        report.file_name = file_name(report.first_day, report.last_day)
        report.file_size = size
        if report.email:
            _mail(session, settings, report)


def _fail(db: Database, report_id: uuid.UUID, attempt: int, message: str) -> None:
    with db.transaction(immediate=True) as session:
        session.execute(update(Report).where(Report.id == report_id, Report.attempt == attempt)
                        .values(status=FAILED, error=message[:2000], finished_at=utcnow()))


def _mail(session: Session, settings: Settings, report: Report) -> None:
    """Queue the report's mail: the file attached, or the link to it when it is too large to attach."""
    period = period_label(report.first_day, report.last_day)
    link = settings.base_url.rstrip("/") + "/reports"
    attachments = []
    if report.file_size <= MAIL_ATTACHMENT_BYTES:
        body = [_("The sales report for {period} is attached.").format(period=period),
                _("It can also be downloaded from the Reports page for {days} days: {link}").format(days=KEPT.days,
                                                                                                  link=link)]
        attachments.append({"path": f"reports/{report.id}.xlsx", "filename": report.file_name,
                            "content_type": MEDIA_TYPE})
    else:
        body = [_("The sales report for {period} is ready.").format(period=period),
                _("At {size} MB it is too large to attach: download it from the Reports page within {days} days: "
                  "{link}").format(size=_number(-(-report.file_size // (1024 * 1024))), days=KEPT.days, link=link)]
    enqueue_email(session, to=report.email, subject=_("Sales report for {period}").format(period=period),
                  text="\n\n".join(body) + "\n", attachments=attachments)


def period_label(first: date, last: date) -> str:
    return _day(first) if first == last else f"{_day(first)} – {_day(last)}"


def file_name(first: date, last: date) -> str:
    """The download's name: «Отчёт по продажам 01.11.2026–30.11.2026.xlsx»."""
    days = _day(first) if first == last else f"{_day(first)}–{_day(last)}"
    return f"{_('Sales report')} {days}.xlsx".replace("/", ".")


def _day(value: date) -> str:
    return format_date(value, "dd.MM.yyyy" if current_language() == "ru" else "yyyy-MM-dd", locale=current_language())


def _number(value: int) -> str:
    return format_decimal(value, locale=current_language())


# --- housekeeping -----------------------------------------------------------------------------------


def purge(session: Session) -> int:
    """Forget reports asked for more than `KEPT` ago, with their files; fail those never built within
    `ABANDONED`; delete files nothing refers to (a crashed build's). Run hourly by the worker; returns
    how many reports were forgotten."""
    now = utcnow()
    session.execute(update(Report).where(Report.status.in_(WAITING), Report.created_at < now - ABANDONED).values(
        status=FAILED, finished_at=now,
        error=_("The report was not built in time. Please ask for it again.")))
    old = list(session.scalars(select(Report.id).where(Report.created_at < now - KEPT)))
    if old:
        session.execute(delete(report_points).where(report_points.c.report_id.in_(old)))
        session.execute(delete(Report).where(Report.id.in_(old)))
    folder = get_settings().data_dir / "reports"
    for report_id in old:
        file_path(get_settings(), report_id).unlink(missing_ok=True)
    if folder.is_dir():
        for path in [*folder.glob("*.part"), *(folder / "tmp").glob("*"), *folder.glob("*.xlsx")]:
            age = now.timestamp() - path.stat().st_mtime
            if age > (KEPT + timedelta(days=1)).total_seconds() or (path.suffix != ".xlsx" and age > ABANDONED.total_seconds()):
                path.unlink(missing_ok=True)
    return len(old)
