"""Counting attempts (sign-in, activation codes, mails) per key in a sliding window.

Kept in the database, not in process memory, so several `serve` processes share it.
An attempt is recorded first, in its own committed transaction, and only then counted:
parallel requests cannot all slip under the limit, and the request that fails afterwards
rolls back without taking its attempt with it.

On SQLite call `attempt` before the request's own first query: the second connection's
commit would otherwise make the request's read snapshot stale, and its first write would fail.
"""

from __future__ import annotations

import ipaddress
import uuid
from datetime import datetime, timedelta

from sqlalchemy import Index, String, delete, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from openkassa.db import IMMEDIATE, Base, IdMixin, utcnow
from openkassa.errors import TooManyRequests
from openkassa.ids import new_id

KEEP = timedelta(days=1)  # no window is longer than this


class Attempt(IdMixin, Base):
    __tablename__ = "rate_limit_attempts"
    __table_args__ = (Index("ix_rate_limit_attempts_key_at", "key", "at"),)

    key: Mapped[str] = mapped_column(String(300))
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


def network(ip: str) -> str:
    """The unit a limit applies to: an IPv4 address, or the /64 network of an IPv6 one
    (a single IPv6 customer usually holds a whole /64)."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def attempt(session: Session, key: str, *, limit: int, window: timedelta) -> uuid.UUID:
    """Record an attempt for `key`; raise TooManyRequests when it is more than `limit` in `window`.

    Returns the attempt's id, so that a success that should not count can be `forgive`n.
    """
    now = utcnow()
    with Session(session.get_bind()) as own:
        own.connection(execution_options={IMMEDIATE: True})
        own.execute(delete(Attempt).where(Attempt.key == key, Attempt.at < now - KEEP))
        attempt_id = new_id()
        own.add(Attempt(id=attempt_id, key=key, at=now))
        own.commit()
        count, oldest = own.execute(
            select(func.count(), func.min(Attempt.at)).where(Attempt.key == key, Attempt.at > now - window)
        ).one()
    if count > limit:
        retry_after = int((oldest + window - now).total_seconds()) + 1
        raise TooManyRequests(retry_after=max(retry_after, 1))
    return attempt_id


def forgive(session: Session, attempt_id: uuid.UUID) -> None:
    """Take back one attempt (a success that must not count towards the limit)."""
    session.execute(delete(Attempt).where(Attempt.id == attempt_id))


def clear(session: Session, key: str) -> None:
    """Forget every attempt of `key` (after a successful sign-in)."""
    session.execute(delete(Attempt).where(Attempt.key == key))


def purge(session: Session) -> int:
    """Delete attempts older than any window (keys that are never hit again); run by the worker."""
    return session.execute(delete(Attempt).where(Attempt.at < utcnow() - KEEP)).rowcount
