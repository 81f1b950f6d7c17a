"""Enqueueing outbox jobs and running them with retries and back-off."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from openkassa.config import Settings
from openkassa.db import Database, utcnow
from openkassa.jobs import mail
from openkassa.jobs.models import OutboxJob

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 10
Handler = Callable[[Settings, dict], None]
HANDLERS: dict[str, Handler] = {"email": mail.deliver}


def enqueue(session: Session, kind: str, payload: dict) -> OutboxJob:
    """Add a job to the outbox inside the caller's transaction."""
    if kind not in HANDLERS:
        raise ValueError(f"no handler for job kind {kind!r}")
    job = OutboxJob(kind=kind, payload=payload)
    session.add(job)
    return job


def enqueue_email(session: Session, *, to: str, subject: str, text: str) -> OutboxJob:
    return enqueue(session, "email", {"to": to, "subject": subject, "text": text})


def backoff(attempts: int) -> timedelta:
    """Wait before the next try: 10 s, 20 s, 40 s, … capped at one hour."""
    return timedelta(seconds=min(10 * 2 ** (attempts - 1), 3600))


def _claim(session: Session) -> OutboxJob | None:
    """Lock the oldest due job. On PostgreSQL SKIP LOCKED lets many workers share the queue."""
    query = (
        select(OutboxJob)
        .where(OutboxJob.status == "pending", OutboxJob.run_after <= utcnow())
        .order_by(OutboxJob.run_after, OutboxJob.id)
        .limit(1)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return session.scalars(query).first()


def run_due(db: Database, settings: Settings, *, limit: int = 100) -> int:
    """Deliver up to `limit` due jobs, one transaction each; return how many were tried."""
    tried = 0
    while tried < limit:
        with db.transaction() as session:
            job = _claim(session)
            if job is None:
                return tried
            tried += 1
            job.attempts += 1
            try:
                HANDLERS[job.kind](settings, job.payload)
            except Exception as exc:  # noqa: BLE001 - any failure is retried later
                job.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                if job.attempts >= MAX_ATTEMPTS:
                    job.status = "failed"
                    log.error("job %s (%s) failed for good: %s", job.id, job.kind, job.last_error)
                else:
                    job.run_after = utcnow() + backoff(job.attempts)
                    log.warning("job %s (%s) failed, retrying: %s", job.id, job.kind, job.last_error)
            else:
                job.status = "done"
                job.done_at = utcnow()
    return tried


class Worker:
    """Polls the outbox in a background thread (inside `serve`, or alone in `openkassa worker`)."""

    def __init__(self, db: Database, settings: Settings, *, interval: float = 1.0):
        self.db, self.settings, self.interval = db, settings, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self.run_forever, name="outbox-worker", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def run_forever(self) -> None:
        while not self._stop.is_set():
            try:
                run_due(self.db, self.settings)
            except Exception:  # noqa: BLE001 - keep the worker alive (database restarts)
                log.exception("outbox worker loop failed")
            self._stop.wait(self.interval)
