"""Keeping a register and its server in step: binding, uploading the outbox, pulling the catalog.

`bind` makes a register of a folder: the activation code, the point's catalog, a software fiscal
drive registered for the point, its key told to the server. `Link` then does the rounds:

- push: the outbox in batches of 500, oldest first; each document the server holds leaves the queue,
  and each OFD acknowledgement in the answers takes its document out of the drive's unsent queue;
- pull: the changes stream since the catalog's revision, as a long poll, so a change made in the ЛК
  reaches the screen in about a second;
- heartbeat: the app version, the drive, its unsent documents and the last OFD exchange;
- the online shop's documents of the point (`register.shop.Desk`): taken, fiscalized, reported.

`Link.run` keeps both going in two threads until stopped (the Textual app runs it as a worker,
`--headless` as the whole program): a pusher woken by every new document (`nudge`) or every few
seconds, and a puller that long-polls. Server down: both retry with a growing pause; nothing is
lost meanwhile, since everything waits in the journal.
"""

from __future__ import annotations

import logging
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

from openkassa.fiscal.ofd import Acknowledgement
from openkassa.register.client import ServerClient, SyncError, Unauthorized
from openkassa.register.shop import Desk
from openkassa.register.till import Till, TillError

log = logging.getLogger(__name__)

PUSH_EVERY_SECONDS = 5.0  # when nothing nudges the pusher
LONG_POLL_SECONDS = 25.0
MAX_PAUSE_SECONDS = 30.0  # the longest pause between tries while the server is down


def app_version() -> str:
    try:
        return metadata.version("openkassa")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0"


def bind(folder: str | Path, *, server: str, code: str, name: str = "Касса", serial: str = "",
         http: httpx.Client | None = None) -> Till:
    """Bind the register in `folder` to the point of an activation code, and get it ready to sell.

    Refused when the register still holds documents the server has not confirmed and the code is
    another point's (switching point then would strand them); the code is used up all the same,
    and the owner unbinds the register in the ЛК."""
    till = Till.open(folder)
    try:
        till.recover()
        unsynced = till.journal.unsent_count()
        client = ServerClient(server, http=http)
        activation = client.activate(code, name=name, app_version=app_version(), serial=serial)
        if unsynced and till.journal.get("point_id") not in (None, str(activation.point_id)):
            # The documents belong to the point they were made at: bound anew to the same point
            # (after an unbinding, say), the register uploads them; to another, it would strand them.
            raise TillError(f"На кассе {unsynced} невыгруженных документов другой точки: сначала выгрузите их, "
                            "потом привязывайте кассу к новой точке.")
        till.journal.set(server=server.rstrip("/"), token=activation.token, device_id=str(activation.device_id),
                         point_id=str(activation.point_id), account_id=str(activation.account_id),
                         sender_email=f"no-reply@{httpx.URL(server).host or 'localhost'}", drive_key_told=None)
        till.catalog.forget()  # revisions count per account: a new binding starts from 0
        client.pull(till.catalog)
        till.ensure_drive(kkt_serial=serial)
        Link(till, client).step()
        return till
    except BaseException:
        till.close()
        raise


@dataclass(frozen=True)
class Step:
    pushed: int
    revision: int


class Link:
    """The register's connection to its server (see the module docstring)."""

    def __init__(self, till: Till, client: ServerClient | None = None):
        self.till = till
        journal = till.journal
        self.client = client or ServerClient(journal.get("server") or "", journal.get("token"))
        self._nudged = threading.Event()
        self.online: bool | None = None  # None until the first try
        self.last_error = ""

    @property
    def bound(self) -> bool:
        return bool(self.till.journal.get("token"))

    def stock(self, product_id: uuid.UUID) -> int | None:
        """A product's quantity in the warehouse the point sells from (None: no stock kept, or not bound);
        raises `SyncError` when the server cannot tell."""
        return self.client.stock(product_id) if self.bound else None

    def nudge(self) -> None:
        """Something new waits in the outbox: push it now."""
        self._nudged.set()

    def step(self, wait: float = 0) -> Step:
        """One round: the drive's key if the server lacks it, the outbox, the heartbeat, the catalog."""
        self._tell_key()
        pushed = self.push()
        self.heartbeat()
        revision = self.client.pull(self.till.catalog, wait)
        return Step(pushed, revision)

    def push(self) -> int:
        """Upload the outbox until it is empty; returns how many documents the server now holds."""
        journal, drive = self.till.journal, self.till.drive
        held = 0
        while batch := journal.unsent():
            results = self.client.upload([queued.body for queued in batch])
            # The drive first: a register killed after it sends the batch again and the server answers
            # the same acknowledgements; one killed after marking it sent would never drain its drive.
            for result in results:
                if result.ofd is not None and drive is not None and result.ofd.fn_serial == drive.serial:
                    ofd = result.ofd
                    drive.acknowledge(Acknowledgement(fn_serial=ofd.fn_serial, document_number=ofd.document_number,
                                                      received_at=ofd.received_at, operator_sign=ofd.operator_sign, code=ofd.code))
            if any(result.ofd is not None for result in results):
                journal.set(last_ofd_exchange_at=datetime.now(UTC).isoformat())
            held += journal.mark_sent(results)
            if len(results) and not any(result.status in ("accepted", "quarantined") for result in results):
                break  # the server refused the whole head of the queue: try again later, not in a loop
        return held

    def heartbeat(self) -> None:
        drive = self.till.drive
        fields: dict = {"app_version": app_version()}
        if drive is not None:
            status = drive.status()
            fields |= {"fn_serial": drive.serial, "unsent_documents": status.unsent_count}
            if status.registration is not None:
                fields["kkt_reg_number"] = status.registration.stamp.registration_number
            if status.first_unsent_date is not None:
                zone = self.till.catalog.point().timezone if self.till.catalog.point() else "UTC"
                fields["oldest_unsent_at"] = _aware(status.first_unsent_date, zone)
        exchanged = self.till.journal.get("last_ofd_exchange_at")
        if exchanged:
            fields["last_ofd_exchange_at"] = datetime.fromisoformat(exchanged)
        self.client.report_status(**fields)

    def _tell_key(self) -> None:
        drive, journal = self.till.drive, self.till.journal
        if drive is None or journal.get("drive_key_told") == drive.serial:
            return
        self.client.register_drive(drive.serial, drive.key())
        journal.set(drive_key_told=drive.serial)

    # --- running ------------------------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Push and pull, and serve the online shop's documents (`register.shop`), until `stop` is
        set (or the register is unbound)."""
        puller = threading.Thread(target=self._pull_loop, args=(stop,), name="register-pull", daemon=True)
        puller.start()
        desk = Desk(self.till, self.client, made=self.nudge)
        threading.Thread(target=desk.run, args=(stop,), name="register-shop", daemon=True).start()
        try:
            self._push_loop(stop)
        except BaseException as error:  # the screen shows the link as down, with why
            self._went(False, f"{type(error).__name__}: {error}")
            stop.set()
            raise
        puller.join(timeout=1)

    def _push_loop(self, stop: threading.Event) -> None:
        pause = 1.0
        while not stop.is_set():
            try:
                self._tell_key()
                self.push()
                self.heartbeat()
            except Unauthorized as error:
                self._went(False, str(error))
                stop.set()
                return
            except (SyncError, TillError) as error:
                self._went(False, str(error))
                stop.wait(pause)
                pause = min(pause * 2, MAX_PAUSE_SECONDS)
                continue
            self._went(True)
            pause = 1.0
            self._nudged.wait(PUSH_EVERY_SECONDS)
            self._nudged.clear()

    def _pull_loop(self, stop: threading.Event) -> None:
        pause = 1.0
        while not stop.is_set():
            try:
                self.client.pull(self.till.catalog, LONG_POLL_SECONDS)
                pause = 1.0
            except Unauthorized:
                stop.set()
                return
            except (SyncError, TillError) as error:
                log.info("catalog pull failed: %s", error)
                stop.wait(pause)
                pause = min(pause * 2, MAX_PAUSE_SECONDS)
            except Exception:
                if stop.is_set():  # the register is closing: its catalog may be gone under the long poll
                    return
                log.exception("catalog pull failed")  # selling goes on from the catalog as it is; try again
                stop.wait(MAX_PAUSE_SECONDS)

    def _went(self, online: bool, error: str = "") -> None:
        if online != self.online:
            log.info("server %s%s", "reached" if online else "unreachable", f": {error}" if error else "")
        self.online, self.last_error = online, error


def _aware(local: datetime, zone: str) -> datetime:
    """The drive's local time (naive, at the point) as an aware UTC time."""
    return local.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)
