"""Counting failed attempts (sign-in, activation codes) per key in a sliding window.

Kept in the database, not in process memory, so several `serve` processes share it.
A failure is recorded in its own short transaction: the request that failed rolls
back, but the attempt must still count.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Index, String, delete, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from openkassa.db import Base, IdMixin, utcnow
from openkassa.errors import TooManyRequests


class FailedAttempt(IdMixin, Base):
    __tablename__ = "failed_attempts"
    __table_args__ = (Index("ix_failed_attempts_key_at", "key", "at"),)

    key: Mapped[str] = mapped_column(String(300))
    at: Mapped[datetime] = mapped_column(default=utcnow)


def ensure_allowed(session: Session, key: str, *, limit: int, window: timedelta) -> None:
    """Raise TooManyRequests when `key` has failed `limit` times within `window`."""
    since = utcnow() - window
    count, oldest = session.execute(
        select(func.count(), func.min(FailedAttempt.at)).where(
            FailedAttempt.key == key, FailedAttempt.at > since
        )
    ).one()
    if count >= limit:
        retry_after = int((oldest + window - utcnow()).total_seconds()) + 1
        raise TooManyRequests(retry_after=max(retry_after, 1))


def record_failure(session: Session, key: str, *, keep: timedelta = timedelta(days=1)) -> None:
    """Count one failed attempt for `key`, committed at once in a separate session."""
    with Session(session.get_bind()) as own:
        own.execute(delete(FailedAttempt).where(FailedAttempt.at < utcnow() - keep))
        own.add(FailedAttempt(key=key))
        own.commit()


def clear(session: Session, key: str) -> None:
    """Forget the failures of `key` (after a successful sign-in)."""
    session.execute(delete(FailedAttempt).where(FailedAttempt.key == key))
