"""A register's changes stream (`protocol.changes`): its point's settings, hot keys and cashiers, and
its catalog's changes, all read from one snapshot and written as NDJSON in chunks; asked with a
wait, it first sleeps until the account has changes (`wakeups`)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterable, Iterator

import anyio
from sqlalchemy import select
from sqlalchemy.orm import Session

from openkassa import wakeups
from openkassa.accounts.service import current_revision
from openkassa.catalog import changes as catalog_changes
from openkassa.db import Database
from openkassa.points import service
from openkassa.points.models import Cashier, Device, RetailPoint, cashier_points
from openkassa.points.schemas import tax_systems_of
from openkassa.protocol.changes import Begin, CashierLine, End, PointLine

CHUNK_BYTES = 64 * 1024  # lines are sent in chunks of about this size: one write per line costs more than the line
MAX_WAIT_SECONDS = 60  # the longest a register's request for changes may wait for one


def device_for_token(db: Database, token: str) -> tuple[Device, RetailPoint]:
    """The register behind a token, in a transaction of its own: a request that then waits for
    changes holds no connection meanwhile."""
    with db.transaction(immediate=True) as session:  # it marks the register as seen
        return service.device_for_token(session, token=token)


async def wait_for_changes(db: Database, *, account_id: uuid.UUID, since: int, timeout: float) -> None:
    """Return once the account has changes after revision `since`, or after `timeout` seconds."""
    def read() -> int:
        with db.snapshot() as session:
            return current_revision(session, account_id)

    await wakeups.wait_past(account_id, since, timeout, read, url=db.url)


async def response_body(db: Database, *, point_id: uuid.UUID, since: int) -> AsyncIterator[bytes]:
    """`stream` for an HTTP response: each chunk read in a worker thread, and the stream closed
    (its snapshot's transaction ended, its connection back in the pool) as soon as the response
    ends, even when the register hangs up halfway; left to the garbage collector, a cut stream
    would hold its connection meanwhile."""
    chunks = stream(db, point_id=point_id, since=since)
    try:
        while (chunk := await anyio.to_thread.run_sync(next, chunks, None)) is not None:
            yield chunk
    finally:
        with anyio.CancelScope(shield=True):  # the response was cancelled: close it all the same
            await anyio.to_thread.run_sync(chunks.close)


def stream(db: Database, *, point_id: uuid.UUID, since: int) -> Iterator[bytes]:
    """What changed for a point's registers after revision `since`, from `begin` to `end`.

    A `since` past the account's revision (the server was restored from a backup) answers
    everything, as from 0, and `begin` says so with `since: 0`: the register drops what it has.
    """
    with db.snapshot() as session:
        point = session.get(RetailPoint, point_id)
        revision = current_revision(session, point.account_id)
        since = since if since <= revision else 0
        yield from _chunks([Begin(since=since, revision=revision)])
        counted = _Counted(_lines(session, point, since))
        yield from _chunks(counted)
        yield from _chunks([End(revision=revision, lines=counted.count)])


def _lines(session: Session, point: RetailPoint, since: int) -> Iterator:
    if point.revision > since:  # its settings or its hot keys changed
        yield _point_line(point)
        yield catalog_changes.hot_keys(session, point.id)
    yield from _cashiers(session, point, since)
    yield from catalog_changes.lines(session, point.catalog_id, since)


def _point_line(point: RetailPoint) -> PointLine:
    fields = set(PointLine.model_fields) - {"type", "tax_systems"}
    return PointLine(**{field: getattr(point, field) for field in fields},
                     tax_systems=[int(system) for system in tax_systems_of(point.tax_systems)])


def _cashiers(session: Session, point: RetailPoint, since: int) -> Iterator[CashierLine]:
    """Each cashier of the account that changed; one archived, or not at this point, is inactive
    and comes without their PIN's hash (a register may have had them before; from 0 it has none,
    and only the point's cashiers come)."""
    here = set(session.scalars(select(cashier_points.c.cashier_id).where(cashier_points.c.point_id == point.id)))
    for cashier in session.scalars(select(Cashier).where(Cashier.account_id == point.account_id, Cashier.revision > since)
                                   .order_by(Cashier.revision)):
        active = cashier.archived_at is None and cashier.id in here
        if not active and since == 0:
            continue
        yield CashierLine(id=cashier.id, name=cashier.name, inn=cashier.inn, pin_hash=cashier.pin_hash if active else "",
                          can_return=cashier.can_return, can_discount=cashier.can_discount,
                          can_change_price=cashier.can_change_price, can_cash_drawer=cashier.can_cash_drawer,
                          can_close_shift=cashier.can_close_shift, active=active, revision=cashier.revision)


class _Counted:
    """The lines passed through, counted for `end`."""

    def __init__(self, lines: Iterable):
        self.lines, self.count = lines, 0

    def __iter__(self):
        for line in self.lines:
            self.count += 1
            yield line


def _chunks(lines: Iterable) -> Iterator[bytes]:
    chunk: list[bytes] = []
    size = 0
    for line in lines:
        data = line.model_dump_json().encode() + b"\n"
        chunk.append(data)
        size += len(data)
        if size >= CHUNK_BYTES:
            yield b"".join(chunk)
            chunk, size = [], 0
    if chunk:
        yield b"".join(chunk)
