"""Waking the registers' long-polls when an account's revision moves (`accounts.service.next_revision`).

A register asks for changes with `wait`: the request sleeps until its account's revision moves past
the one it has, then answers at once, so a price changed in the back office reaches the register in
about a second instead of at its next poll. Waiting is `async` (a sleeping register holds no thread
and no database connection) and is woken:

- in the same process, after the commit of a transaction that took a revision (SQLite's case: one
  `serve` process, whose outbox worker runs in a thread of it);
- on PostgreSQL, from any process: `next_revision` sends `NOTIFY openkassa_revisions` with the
  account's id (delivered on commit), and one thread a process listens and wakes its waiters.

Whatever is missed (a change committed by another process on SQLite, a listener reconnecting), a
waiter still sees by reading the revision again every `RECHECK_SECONDS`.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from collections.abc import Callable

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

CHANNEL = "openkassa_revisions"
RECHECK_SECONDS = 5.0
_BUMPED = "openkassa_bumped_accounts"  # session.info key: accounts whose revision this transaction took

_lock = threading.Lock()
_waiters: dict[uuid.UUID, set[tuple[asyncio.AbstractEventLoop, asyncio.Event]]] = {}
_listening: set[str] = set()  # the PostgreSQL URLs this process listens on


def revision_taken(session: Session, account_id: uuid.UUID) -> None:
    """Say that this transaction took a revision of the account: its waiters wake when it commits."""
    wake_on_commit(session, account_id)


def wake_on_commit(session: Session, account_id: uuid.UUID) -> None:
    """Wake the account's waiters when this transaction commits (a new revision, or anything else
    they wait for: an online shop's document for its point's registers)."""
    session.info.setdefault(_BUMPED, set()).add(account_id)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_notify(:channel, :account)"), {"channel": CHANNEL, "account": str(account_id)})


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint released: the transaction is still open
        return
    for account_id in session.info.pop(_BUMPED, ()):
        notify(account_id)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    if not session.in_nested_transaction():  # a savepoint's rollback leaves the rest to commit
        session.info.pop(_BUMPED, None)


def notify(account_id: uuid.UUID) -> None:
    """Wake every waiter of the account in this process (from any thread)."""
    with _lock:
        waiting = list(_waiters.get(account_id, ()))
    for loop, woken in waiting:
        try:
            loop.call_soon_threadsafe(woken.set)
        except RuntimeError:  # its loop has closed: the request is gone
            pass


async def wait_past(account_id: uuid.UUID, revision: int, timeout: float, read: Callable[[], int],
                    url: str = "") -> int:
    """Wait until the account's revision, as `read` (a blocking call) gives it, is other than
    `revision` (past it; or behind it, when the server was restored from a backup), or `timeout`
    seconds pass; returns the revision last read. `url` is the database's, to listen on
    when it is PostgreSQL."""
    if url.startswith("postgresql"):
        _listen(url)
    loop = asyncio.get_running_loop()
    woken = asyncio.Event()
    entry = (loop, woken)
    with _lock:  # registered before the revision is read: a change committed in between still wakes it
        _waiters.setdefault(account_id, set()).add(entry)
    try:
        deadline = loop.time() + timeout
        while True:
            woken.clear()
            current = await asyncio.to_thread(read)
            left = deadline - loop.time()
            if current != revision or left <= 0:
                return current
            try:
                await asyncio.wait_for(woken.wait(), min(left, RECHECK_SECONDS))
            except TimeoutError:
                pass
    finally:
        with _lock:
            _waiters[account_id].discard(entry)
            if not _waiters[account_id]:
                del _waiters[account_id]


def _listen(url: str) -> None:
    """Start this process's listener of PostgreSQL's notifications, once per database."""
    with _lock:
        if url in _listening:
            return
        _listening.add(url)
    threading.Thread(target=_listener, args=(url,), name="openkassa-revisions-listener", daemon=True).start()


def _listener(url: str) -> None:
    import psycopg

    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    while True:
        try:
            with psycopg.connect(dsn, autocommit=True) as connection:
                connection.execute(f"LISTEN {CHANNEL}")
                for notice in connection.notifies():
                    try:
                        notify(uuid.UUID(notice.payload))
                    except ValueError:
                        log.warning("a revision notification with a payload not an account id: %r", notice.payload)
        except Exception:  # noqa: BLE001 - the waiters recheck meanwhile; listen again shortly
            log.exception("listening for revision notifications failed; trying again")
            time.sleep(RECHECK_SECONDS)
