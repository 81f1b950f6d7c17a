"""Enqueueing outbox jobs and running them with retries and back-off."""

from __future__ import annotations

import importlib
import logging
import threading
import time
import uuid
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from openkassa.config import Settings
from openkassa.db import Database, utcnow
from openkassa.jobs import mail
from openkassa.jobs.models import OutboxJob

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 10
POLL_INTERVAL = 1.0  # seconds between looks at the outbox
HOUSEKEEPING_INTERVAL = 3600  # seconds between housekeeping runs
LEASE = timedelta(minutes=5)  # longer than any delivery takes (SMTP gives up after 30 s)
Handler = Callable[[Settings, dict], None]
HANDLERS: dict[str, Handler | str] = {
    "email": mail.deliver,
    # A domain's handler is named "module:function" and imported when a job of its kind runs:
    # the domains build on jobs/, so jobs/ must not import them.
    "catalog_import_check": "openkassa.catalog.imports:check_job",
    "catalog_import_apply": "openkassa.catalog.imports:apply_job",
    "report_build": "openkassa.reports.service:build",
    "shopdocs_callback": "openkassa.shopdocs.service:callback_job",
}
HOUSEKEEPING: tuple[str, ...] = (
    "openkassa.ratelimit:purge",  # rate-limit attempts older than any window
    "openkassa.catalog.imports:purge",  # catalog imports checked and never applied
    "openkassa.reports.service:purge",  # reports and their files after 30 days; builds that never ended
)
"""Functions of a session the worker runs once an hour, each in a transaction of its own ("module:function")."""


def enqueue(session: Session, kind: str, payload: dict) -> OutboxJob:
    """Add a job to the outbox inside the caller's transaction."""
    if kind not in HANDLERS:
        raise ValueError(f"no handler for job kind {kind!r}")
    job = OutboxJob(kind=kind, payload=payload)
    session.add(job)
    return job


def enqueue_email(session: Session, *, to: str, subject: str, text: str,
                  attachments: list[dict] | None = None) -> OutboxJob:
    """A mail to send; `attachments`: [{path (under the data folder), filename, content_type}] (see `mail`)."""
    payload = {"to": to, "subject": subject, "text": text}
    if attachments:
        payload["attachments"] = attachments
    return enqueue(session, "email", payload)


def handler_for(kind: str) -> Handler:
    """The function that runs a job of this kind (imported on first use when named by a string)."""
    handler = HANDLERS[kind]
    return _named(handler) if isinstance(handler, str) else handler


def _named(name: str) -> Callable:
    module, _, function = name.partition(":")
    return getattr(importlib.import_module(module), function)


def housekeeping(db: Database) -> None:
    """Run each of `HOUSEKEEPING`; one that fails is logged and does not stop the others."""
    for name in HOUSEKEEPING:
        try:
            with db.transaction(immediate=True) as session:
                _named(name)(session)
        except Exception:  # noqa: BLE001 - the next hour tries again
            log.exception("housekeeping %s failed", name)


def backoff(attempts: int) -> timedelta:
    """Wait before the next try: 10 s, 20 s, 40 s, … capped at one hour."""
    return timedelta(seconds=min(10 * 2 ** (attempts - 1), 3600))


def _claim(db: Database) -> OutboxJob | None:
    """Take the oldest due job for this worker alone, and commit that before delivering it.

    One UPDATE … WHERE id = (the oldest due job) RETURNING claims the job and leases it:
    its run_after moves LEASE ahead, so no other worker sees it as due, and a worker that
    dies while delivering only delays it. On PostgreSQL the inner SELECT takes the row with
    FOR UPDATE SKIP LOCKED, so many workers share the queue without waiting on each other;
    on SQLite the statement holds the single write lock, so claims are serialised. No lock
    is held while the mail goes out, so a slow SMTP server never blocks the app's writes.
    """
    now = utcnow()
    oldest_due = (
        select(OutboxJob.id)
        .where(OutboxJob.status == "pending", OutboxJob.run_after <= now)
        .order_by(OutboxJob.run_after, OutboxJob.id)
        .limit(1)
    )
    if db.engine.dialect.name == "postgresql":
        oldest_due = oldest_due.with_for_update(skip_locked=True)
    with db.transaction(immediate=True) as session:
        return session.scalars(
            update(OutboxJob)
            .where(OutboxJob.id == oldest_due.scalar_subquery(), OutboxJob.status == "pending")
            .values(attempts=OutboxJob.attempts + 1, run_after=now + LEASE)
            .returning(OutboxJob),
            execution_options={"synchronize_session": False},
        ).first()


def _finish(db: Database, job_id: uuid.UUID, error: Exception | None) -> None:
    """Record how a delivery went: done, retried after a back-off, or failed for good."""
    with db.transaction(immediate=True) as session:
        job = session.get_one(OutboxJob, job_id)
        if error is None:
            job.status, job.done_at = "done", utcnow()
            return
        job.last_error = f"{type(error).__name__}: {error}"[:2000]
        if job.attempts >= MAX_ATTEMPTS:
            job.status = "failed"
            log.error("job %s (%s) failed for good: %s", job.id, job.kind, job.last_error)
        else:
            job.run_after = utcnow() + backoff(job.attempts)
            log.warning("job %s (%s) failed, retrying: %s", job.id, job.kind, job.last_error)


def run_due(db: Database, settings: Settings, *, limit: int = 100) -> int:
    """Deliver up to `limit` due jobs; return how many were tried.

    Delivery is at least once: a worker that dies between sending and recording it sends
    again when the lease runs out. Each job is claimed by one worker at a time.
    """
    tried = 0
    while tried < limit:
        job = _claim(db)
        if job is None:
            break
        tried += 1
        try:
            handler_for(job.kind)(settings, job.payload)
        except Exception as exc:  # noqa: BLE001 - any failure is retried later
            _finish(db, job.id, exc)
        else:
            _finish(db, job.id, None)
    return tried


class Worker:
    """Polls the outbox in a background thread (inside `serve`, or alone in `openkassa worker`)."""

    def __init__(self, db: Database, settings: Settings):
        self.db, self.settings = db, settings
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self.run_forever, name="outbox-worker", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def run_forever(self) -> None:
        next_housekeeping = 0.0
        while not self._stop.is_set():
            try:
                run_due(self.db, self.settings)
                if time.monotonic() >= next_housekeeping:
                    housekeeping(self.db)
                    next_housekeeping = time.monotonic() + HOUSEKEEPING_INTERVAL
            except Exception:  # noqa: BLE001 - keep the worker alive (database restarts)
                log.exception("outbox worker loop failed")
            self._stop.wait(POLL_INTERVAL)
