"""A software fiscal drive (ФН): the default `FiscalDevice`, with its archive in one SQLite file.

Like a real drive it numbers every fiscal document it forms (1040, from 1 over its life, without
gaps), counts shifts (1038) and receipts within a shift (1042), signs each document with a 6-byte
fiscal sign (1077) and keeps every document it signed until the OFD acknowledges it (1097, 1098,
1116). Its rules (reference §5): a shift lasts at most 24 hours, after which only closing it is
allowed; a document may not be dated earlier than the previous one; when the oldest document the
OFD has not acknowledged is older than 30 days the drive forms nothing but closing reports; a
closed drive signs nothing.

Durability. The archive *is* the state: shift, receipt and document numbers and all counters are
read back from the documents themselves, and each document is written in one SQLite transaction
(WAL, `synchronous=FULL`, so fsync'd) before the caller sees it. A process killed at any
instruction therefore leaves either the whole document or none of it; a number is never reused and
a signed document never lost. A register that lost the answer retries with the same `request_id`
and gets the document already signed, never a second one. One process holds the drive at a time
(an exclusive lock on `<file>.lock`).

The fiscal sign is HMAC-SHA-256 with the drive's secret over the document's bytes with the 1077
value zeroed, truncated to 6 bytes (bytes 2..5 give the printed ФП; byte 1 is the customary 04,
`unconfirmed.FISCAL_SIGN_PREFIX_BYTE_1`). A real drive's sign comes from its crypto module and
cannot be reproduced: an OFD or the FNS would reject it by design (reference §4.1).

Not modelled: re-registration (form 11), marking code requests, the OFD transport framing.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import os
import secrets
import sqlite3
import struct
import threading
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TypeVar

from openkassa.fiscal import unconfirmed
from openkassa.fiscal.device import CashOperation, DriveStatus, ShiftState, XReport
from openkassa.fiscal.documents import (
    VLN6_MAX,
    CorrectionCounters,
    CorrectionReceipt,
    Counters,
    DriveCloseReport,
    DriveFlags,
    DriveStamp,
    OperationCounters,
    Receipt,
    RegistrationReport,
    SettlementStatusReport,
    ShiftCloseReport,
    ShiftOpenReport,
    Document,
    decode,
    printable,
)
from openkassa.fiscal.enums import FormCode, SettlementType
from openkassa.fiscal.errors import (
    DecodeError,
    DriveBusy,
    DriveClosed,
    DriveError,
    FiscalError,
    InvalidDocument,
    InvalidRequest,
    NotEnoughCash,
    NotRegistered,
    OfdWaitExceeded,
    ResourceExhausted,
    ShiftAlreadyOpen,
    ShiftClosed,
    ShiftExpired,
    TimeWentBackwards,
)
from openkassa.fiscal.ofd import Acknowledgement, OfdLink

SERIAL_PREFIX = "9999"  # emulated drives; real serials start with the maker's code (9960, 7380, …)
KEY_VALIDITY_DAYS = 1110  # an «ФН-36»: keys for 36 months
ARCHIVE_CAPACITY = 1_000_000  # documents; the emulator's choice
SHIFT_LIMIT = timedelta(hours=24)
OFD_WAIT_LIMIT = timedelta(days=30)
OFD_TIMEOUT = timedelta(days=unconfirmed.OFD_TIMEOUT_FLAG_DAYS)
TIME_TOLERANCE = timedelta(seconds=unconfirmed.TIME_BACKWARDS_TOLERANCE_SECONDS)
COUNTER_MAX = 2**63 - 1  # what SQLite adds up; the counters' VLN holds more (2**64 - 1)
REQUEST_ID_MAX = 128

UNSIGNED = bytes(6)
_HEADER = struct.Struct("<HH")

SUMS = ("cash", "electronic", "advance", "credit", "other", "total")
VAT_SUMS = ("vat_20", "vat_10", "vat_20_120", "vat_10_110", "turnover_vat_0", "turnover_no_vat")
_VAT_COLUMN_OF_TAG = {1102: "vat_20", 1103: "vat_10", 1106: "vat_20_120", 1107: "vat_10_110", 1104: "turnover_vat_0", 1105: "turnover_no_vat"}
_PART_OF_SETTLEMENT = {
    SettlementType.SALE: "sale", SettlementType.SALE_RETURN: "sale_return",
    SettlementType.PURCHASE: "purchase", SettlementType.PURCHASE_RETURN: "purchase_return",
}
_SETTLEMENT_FORMS = (FormCode.RECEIPT, FormCode.BSO, FormCode.CORRECTION_RECEIPT, FormCode.BSO_CORRECTION)

_SCHEMA = f"""
CREATE TABLE drive (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    serial TEXT NOT NULL,
    secret BLOB NOT NULL,
    keys_expire_on TEXT NOT NULL,
    capacity INTEGER NOT NULL
);
CREATE TABLE documents (
    number INTEGER PRIMARY KEY,       -- 1040
    form INTEGER NOT NULL,
    shift INTEGER,                    -- 1038
    receipt_number INTEGER,           -- 1042
    signed_at TEXT NOT NULL,          -- 1012, local time
    request_id TEXT UNIQUE,           -- the register's id of the operation, for safe retries
    request_digest BLOB,              -- SHA-256 of the draft's bytes: a retry must send the same draft
    data BLOB NOT NULL,               -- the signed TLV bytes
    pending INTEGER NOT NULL,         -- 1: awaits the OFD's acknowledgement
    ofd_received_at TEXT,
    ofd_sign BLOB                     -- ФПО 1078
);
CREATE INDEX documents_pending ON documents (number) WHERE pending = 1;
-- What the numbering rules make impossible, the database refuses too (a second line of defence).
CREATE UNIQUE INDEX documents_one_registration ON documents (form) WHERE form = 1;
CREATE UNIQUE INDEX documents_one_open_report_per_shift ON documents (shift) WHERE form = 2;
CREATE UNIQUE INDEX documents_receipt_numbers ON documents (shift, receipt_number) WHERE receipt_number IS NOT NULL;
CREATE TRIGGER documents_in_order BEFORE INSERT ON documents
WHEN NEW.number != coalesce((SELECT max(number) FROM documents), 0) + 1
  OR (SELECT form FROM documents ORDER BY number DESC LIMIT 1) = 6
BEGIN SELECT RAISE(ABORT, 'a document out of order, or after the drive close report'); END;
-- One row per receipt and correction receipt: what the counters (1194, 1157, 1158) add up.
CREATE TABLE settlements (
    number INTEGER PRIMARY KEY REFERENCES documents (number),
    shift INTEGER NOT NULL,
    settlement INTEGER NOT NULL,      -- 1054
    correction INTEGER NOT NULL,
    {", ".join(f"{name} INTEGER NOT NULL" for name in SUMS + VAT_SUMS)}
);
CREATE INDEX settlements_shift ON settlements (shift);
CREATE TABLE cash_operations (
    id INTEGER PRIMARY KEY,
    shift INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('in', 'out')),
    amount INTEGER NOT NULL,
    cashier TEXT,
    made_at TEXT NOT NULL,
    request_id TEXT UNIQUE
);
CREATE INDEX cash_operations_shift ON cash_operations (shift);
"""

D = TypeVar("D", Receipt, CorrectionReceipt)


def _local_now() -> datetime:
    return datetime.now()


# --- the fiscal sign ---------------------------------------------------------------------------------


def _sign_offset(data: bytes) -> int:
    """Where the 6 bytes of 1077 start in a document's bytes (a requisite of the top level)."""
    position, end = 4, len(data)
    while position + 4 <= end:
        tag, length = _HEADER.unpack_from(data, position)
        if tag == 1077:
            if length != 6 or position + 10 > end:
                raise DecodeError(position, "the fiscal sign 1077 is exactly 6 bytes")
            return position + 4
        position += 4 + length
    raise DecodeError(position, "the document has no fiscal sign 1077")


def fiscal_sign(secret: bytes, unsigned: bytes) -> bytes:
    """The 6-byte 1077 of a document whose 1077 is still zero (see the module docstring)."""
    mac = hmac.new(secret, unsigned, hashlib.sha256).digest()
    return bytes((mac[0], unconfirmed.FISCAL_SIGN_PREFIX_BYTE_1)) + mac[2:6]


def seal(secret: bytes, unsigned: bytes) -> tuple[bytes, bytes]:
    """Sign a document's bytes: (the fiscal sign, the bytes with the sign in place of the zeros)."""
    offset = _sign_offset(unsigned)
    if unsigned[offset:offset + 6] != UNSIGNED:
        raise InvalidDocument(1077, "the document is signed already")
    sign = fiscal_sign(secret, unsigned)
    return sign, unsigned[:offset] + sign + unsigned[offset + 6:]


def verify(secret: bytes, data: bytes) -> bool:
    """True when the document's 1077 is the sign `secret` gives its bytes."""
    try:
        offset = _sign_offset(data)
    except DecodeError:
        return False
    unsigned = data[:offset] + UNSIGNED + data[offset + 6:]
    return hmac.compare_digest(fiscal_sign(secret, unsigned), data[offset:offset + 6])


# --- the drive ---------------------------------------------------------------------------------------


@dataclass
class _State:
    """What the archive says, kept in memory between documents; `_read_state` reads it back."""

    registration: RegistrationReport | None = None
    closed: bool = False
    last_number: int = 0
    last_at: datetime | None = None  # the latest date written, so a clock cannot creep back step by step
    shift: int = 0
    shift_open: bool = False
    shift_opened_at: datetime | None = None
    shift_open_number: int = 0  # 1040 of the open report
    receipt_number: int = 0
    lifetime_total: int = 0  # Σ 1020 of every receipt and correction: the counters must not overflow

    def apply(self, document: Document) -> None:
        """Take a document just committed to the archive into account."""
        stamp = document.stamp
        self.last_number = stamp.document_number
        self.last_at = max(stamp.date_time, self.last_at or stamp.date_time)
        form = document.form
        if form is FormCode.REGISTRATION:
            self.registration = document
        elif form is FormCode.SHIFT_OPEN:
            self.shift, self.shift_open, self.shift_opened_at = stamp.shift, True, stamp.date_time
            self.shift_open_number, self.receipt_number = stamp.document_number, 0
        elif form is FormCode.SHIFT_CLOSE:
            self.shift_open, self.shift_opened_at = False, None
        elif form is FormCode.DRIVE_CLOSE:
            self.closed = True
        elif form in _SETTLEMENT_FORMS:
            self.receipt_number = stamp.receipt_number
            self.lifetime_total += document.total


@dataclass(frozen=True)
class _Request:
    """A register's operation id and the digest of what it asked for."""

    id: str
    digest: bytes


class SoftwareDrive:
    """The emulated fiscal drive. Make one with `create()`, reopen it with `open()`, register it once.

    `clock` gives the local time at the place of settlement (naive), the time written in 1012.
    Every method may be called from any thread; they take turns.
    """

    def __init__(self, path: Path, connection: sqlite3.Connection, lock_file: int, clock: Callable[[], datetime]):
        self.path = path
        self._db: sqlite3.Connection | None = connection
        self._lock_file = lock_file
        self._clock = clock
        self._mutex = threading.RLock()
        serial, secret, keys_expire_on, capacity = connection.execute(
            "SELECT serial, secret, keys_expire_on, capacity FROM drive"
        ).fetchone()
        self.serial: str = serial
        self._secret: bytes = secret
        self._keys_expire_on = date.fromisoformat(keys_expire_on)
        self._capacity: int = capacity
        self._state = self._read_state()

    # --- making and opening ---------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        path: str | os.PathLike[str],
        *,
        serial: str | None = None,
        secret: bytes | None = None,
        clock: Callable[[], datetime] = _local_now,
        key_validity_days: int = KEY_VALIDITY_DAYS,
        capacity: int = ARCHIVE_CAPACITY,
    ) -> SoftwareDrive:
        """A new, unregistered drive in a new file: written aside, then linked in place, so it is
        never half made and never replaces a drive that exists."""
        path = Path(path)
        if path.exists():
            raise FileExistsError(f"a fiscal drive exists already: {path}")
        serial = serial or SERIAL_PREFIX + f"{secrets.randbelow(10**12):012d}"
        if not (len(serial) == 16 and serial.isascii() and serial.isdigit()):
            raise InvalidRequest(f"a fiscal drive serial (1041) is 16 digits: {serial!r}")
        if capacity < 1 or key_validity_days < 1:
            raise InvalidRequest("a drive holds at least one document and its keys last at least a day")
        descriptor, draft_name = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".new")
        os.close(descriptor)
        draft = Path(draft_name)
        try:
            connection = sqlite3.connect(draft, isolation_level=None)
            try:
                connection.executescript(f"BEGIN; {_SCHEMA} COMMIT;")
                connection.execute(
                    "INSERT INTO drive (id, serial, secret, keys_expire_on, capacity) VALUES (1, ?, ?, ?, ?)",
                    (serial, secret or secrets.token_bytes(32), (clock().date() + timedelta(days=key_validity_days)).isoformat(), capacity),
                )
            finally:
                connection.close()
            _fsync(draft)
            os.link(draft, path)  # refuses, unlike a rename, when another process made the drive meanwhile
            _fsync(path.parent)
        finally:
            draft.unlink(missing_ok=True)
        return cls.open(path, clock=clock)

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, clock: Callable[[], datetime] = _local_now) -> SoftwareDrive:
        """The drive in `path`, as its archive says it stands. Refuses a drive another process holds."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"no fiscal drive at {path}")
        lock_file = os.open(path.with_name(path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(lock_file)
            raise DriveBusy(f"the fiscal drive {path} is held by another process") from None
        connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        try:
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = FULL")  # fsync the WAL at every commit
            return cls(path, connection, lock_file, clock)
        except BaseException:
            connection.close()
            os.close(lock_file)
            raise

    def key(self) -> bytes:
        """The secret this drive signs with. A real drive never gives its keys away; the emulator does,
        so that a back office playing its OFD can check its fiscal signs (`verify`)."""
        return self._secret

    def close(self) -> None:
        """Let go of the file (the drive itself stays as it is; see `close_drive` for form 6)."""
        with self._mutex:
            if self._db is None:
                return
            self._db.close()
            self._db = None
            os.close(self._lock_file)

    def __enter__(self) -> SoftwareDrive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- status ---------------------------------------------------------------------------------

    def status(self) -> DriveStatus:
        with self._held() as db:
            state, now = self._state, self._clock()
            count, first_number, first_date = self._unsent_head(db)
            return DriveStatus(
                fn_serial=self.serial,
                registration=state.registration,
                closed=state.closed,
                last_document_number=state.last_number,
                last_document_at=state.last_at,
                shift=state.shift,
                shift_state=self._shift_state(now),
                shift_opened_at=state.shift_opened_at if state.shift_open else None,
                receipt_number=state.receipt_number if state.shift_open else 0,
                unsent_count=count,
                first_unsent_number=first_number,
                first_unsent_date=first_date,
                ofd_blocked=_ofd_blocked(now, first_date),
                key_resource_days=self._key_days(now),
                flags=self._flags(now, first_date),
            )

    # --- fiscal documents -----------------------------------------------------------------------

    def register(
        self,
        report: RegistrationReport,
        *,
        registration_number: str,
        user_inn: str,
        user: str,
        address: str,
        place: str,
    ) -> RegistrationReport:
        """Form the registration report (form 1, document 1): the drive takes the register's details.

        The report's 1213 (key resource) is the drive's own; whatever the draft says is replaced.
        """
        if type(report) is not RegistrationReport:
            raise InvalidRequest(f"expected a RegistrationReport draft, not {type(report).__name__}")
        with self._held():
            if self._state.registration is not None:
                raise DriveError("the drive is registered already; re-registration (form 11) is not supported")
            now = self._now()
            draft = replace(report, key_resource_days=self._key_days(now))
            identity = dict(registration_number=registration_number, user_inn=user_inn, user=user, address=address, place=place)
            return self._form(draft, now, identity=identity)

    def open_shift(self, cashier: str | None = None, cashier_inn: str | None = None) -> ShiftOpenReport:
        with self._held() as db:
            registration = self._registered()
            now = self._now()
            if self._state.shift_open:
                raise ShiftAlreadyOpen(f"shift {self._state.shift} is open; close it first")
            self._may_form(now)
            draft = ShiftOpenReport(
                kkt_version=registration.kkt_version, kkt_ffd_version=registration.kkt_ffd_version,
                cashier=cashier, cashier_inn=cashier_inn, flags=self._flags(now, self._unsent_head(db)[2]),
            )
            return self._form(draft, now, shift=self._state.shift + 1)

    def receipt(self, draft: Receipt, request_id: str | None = None) -> Receipt:
        return self._settle(Receipt, draft, request_id)

    def correction(self, draft: CorrectionReceipt, request_id: str | None = None) -> CorrectionReceipt:
        return self._settle(CorrectionReceipt, draft, request_id)

    def settlement_status_report(self) -> SettlementStatusReport:
        with self._held() as db:
            registration = self._registered()
            now = self._now()
            self._may_form(now)
            count, first_number, first_date = self._unsent_head(db)
            draft = SettlementStatusReport(
                lifetime_totals=self._counters(), key_resource_days=self._key_days(now), offline=registration.offline,
                unsent_count=count, first_unsent_number=first_number, first_unsent_date=first_date,
                unsent_totals=self._unsent_totals() if count else None,
            )
            return self._form(draft, now, shift=self._state.shift or None)

    def close_shift(self, cashier: str | None = None, cashier_inn: str | None = None) -> ShiftCloseReport:
        """Form the close report (form 5) with the shift's and the drive's counters.

        Its 1097/1098 count the documents awaiting the OFD before this report.
        """
        with self._held() as db:
            self._registered()
            now = self._now()
            state = self._state
            if not state.shift_open:
                raise ShiftClosed("no shift is open")
            self._may_form(now, closing=True)
            count, _, first_date = self._unsent_head(db)
            reports = 1 if unconfirmed.SHIFT_DOCUMENT_COUNT_INCLUDES_REPORTS else -1
            draft = ShiftCloseReport(
                receipts_count=state.receipt_number,
                documents_count=state.last_number + 1 - state.shift_open_number + reports,
                shift_totals=self._counters(state.shift),
                lifetime_totals=self._counters(),
                key_resource_days=self._key_days(now),
                unsent_count=count, first_unsent_date=first_date,
                cashier=cashier, cashier_inn=cashier_inn, flags=self._flags(now, first_date),
            )
            return self._form(draft, now, shift=state.shift)

    def close_drive(self, cashier: str | None = None, cashier_inn: str | None = None) -> DriveCloseReport:
        """Form the drive close report (form 6); the drive signs nothing after it."""
        with self._held():
            self._registered()
            now = self._now()
            if self._state.shift_open:
                raise ShiftAlreadyOpen("close the shift before closing the drive")
            if not self._state.shift:
                raise DriveError("the close report carries the last shift number (1038): a drive closes after its first shift")
            self._may_form(now, closing=True)
            draft = DriveCloseReport(lifetime_totals=self._counters(), cashier=cashier, cashier_inn=cashier_inn)
            return self._form(draft, now, shift=self._state.shift)

    # --- not fiscal -----------------------------------------------------------------------------

    def cash_in(self, amount: int, cashier: str | None = None, request_id: str | None = None) -> CashOperation:
        return self._cash("in", amount, cashier, request_id)

    def cash_out(self, amount: int, cashier: str | None = None, request_id: str | None = None) -> CashOperation:
        return self._cash("out", amount, cashier, request_id)

    def document_for(self, request_id: str) -> tuple[int, bytes] | None:
        """The document (1040, bytes) signed for `request_id`, if any (a register recovering after a crash asks)."""
        with self._held() as db:
            row = db.execute("SELECT number, data FROM documents WHERE request_id = ?", (_request_id(request_id),)).fetchone()
        return None if row is None else (row[0], row[1])

    def cash_operation(self, request_id: str) -> CashOperation | None:
        """The cash operation made for `request_id`, if any (a register recovering after a crash asks)."""
        with self._held() as db:
            row = db.execute(
                "SELECT shift, kind, amount, made_at, cashier FROM cash_operations WHERE request_id = ?", (_request_id(request_id),)
            ).fetchone()
        if row is None:
            return None
        return CashOperation(shift=row[0], kind=row[1], amount=row[2], made_at=datetime.fromisoformat(row[3]), cashier=row[4])

    def x_report(self) -> XReport:
        with self._held() as db:
            self._registered()
            state, now = self._state, self._clock()
            if not state.shift_open:
                raise ShiftClosed("the X report needs an open shift")
            cash_in, cash_out = db.execute(
                "SELECT coalesce(sum(CASE kind WHEN 'in' THEN amount END), 0),"
                " coalesce(sum(CASE kind WHEN 'out' THEN amount END), 0) FROM cash_operations WHERE shift = ?",
                (state.shift,),
            ).fetchone()
            return XReport(
                shift=state.shift, opened_at=state.shift_opened_at, made_at=now.replace(microsecond=0),
                receipts_count=state.receipt_number, totals=self._counters(state.shift),
                cash_in=cash_in, cash_out=cash_out, cash_in_drawer=self._drawer(state.shift),
                unsent_count=self._unsent_head(db)[0],
            )

    # --- the archive and the OFD ----------------------------------------------------------------

    def document(self, number: int) -> bytes:
        """The signed bytes of document `number` (1040)."""
        with self._held() as db:
            row = db.execute("SELECT data FROM documents WHERE number = ?", (number,)).fetchone()
        if row is None:
            raise DriveError(f"no document {number} in the archive")
        return row[0]

    def documents(self, since: int = 1) -> Iterator[tuple[int, bytes]]:
        """Every document from number `since` on, in order, as (1040, bytes)."""
        while True:
            with self._held() as db:
                rows = db.execute(
                    "SELECT number, data FROM documents WHERE number >= ? ORDER BY number LIMIT 500", (since,)
                ).fetchall()
            yield from rows
            if len(rows) < 500:
                return
            since = rows[-1][0] + 1

    def unsent(self, limit: int = 500) -> list[tuple[int, bytes]]:
        """The oldest documents awaiting the OFD, as (1040, bytes)."""
        with self._held() as db:
            return db.execute(
                "SELECT number, data FROM documents WHERE pending = 1 ORDER BY number LIMIT ?", (limit,)
            ).fetchall()

    def acknowledge(self, acknowledgement: Acknowledgement) -> bool:
        """Take the OFD's answer: an accepted document leaves the unsent queue. True if it was in it."""
        if acknowledgement.fn_serial != self.serial:
            raise DriveError(f"an acknowledgement for drive {acknowledgement.fn_serial}, not {self.serial}")
        if not acknowledgement.accepted:
            return False
        with self._held() as db, self._transaction(db):
            cursor = db.execute(
                "UPDATE documents SET pending = 0, ofd_received_at = ?, ofd_sign = ? WHERE number = ? AND pending = 1",
                (acknowledgement.received_at.isoformat(), acknowledgement.operator_sign, acknowledgement.document_number),
            )
            return cursor.rowcount == 1

    def exchange(self, link: OfdLink) -> int:
        """Send what awaits the OFD, oldest first; return how many were acknowledged.

        Each acknowledgement is committed as it comes, so an error of the link (raised to the
        caller) loses nothing already delivered.
        """
        acknowledged = 0
        while batch := self.unsent():
            progress = 0
            for number, data in batch:
                answer = link.send(self.serial, data)
                if answer.document_number == number and self.acknowledge(answer):
                    progress += 1
            acknowledged += progress
            if progress < len(batch):  # some refused: they stay queued for the next exchange
                break
        return acknowledged

    def audit(self) -> int:
        """Check the whole archive; return the number of documents, or raise `DriveError`.

        Numbers run 1..N without gaps; every document decodes, carries its own number and this
        drive's serial and its fiscal sign; the counters' rows agree with the receipts; the state
        in memory is what the archive says.
        """
        with self._held() as db:
            expected = 0
            for number, data in self.documents():
                expected += 1
                if number != expected:
                    raise DriveError(f"document {expected} is missing from the archive")
                try:
                    document = decode(data)
                except FiscalError as error:
                    raise DriveError(f"document {number} does not decode: {error}") from error
                if document.stamp.document_number != number or document.stamp.fn_serial != self.serial:
                    raise DriveError(f"document {number} carries another number or drive")
                if not verify(self._secret, data):
                    raise DriveError(f"document {number} has a wrong fiscal sign")
                if isinstance(document, Receipt | CorrectionReceipt):
                    row = db.execute(f"SELECT {_SETTLEMENT_COLUMNS} FROM settlements WHERE number = ?", (number,)).fetchone()
                    if row != _settlement_row(document):
                        raise DriveError(f"the counters' row of document {number} differs from the document")
            settlements = db.execute("SELECT count(*) FROM settlements").fetchone()[0]
            receipts = db.execute(
                f"SELECT count(*) FROM documents WHERE form IN ({', '.join('?' for _ in _SETTLEMENT_FORMS)})", _SETTLEMENT_FORMS
            ).fetchone()[0]
            if settlements != receipts:
                raise DriveError(f"the counters hold {settlements} rows for {receipts} receipts")
            if self._read_state() != self._state:
                raise DriveError("the drive's state in memory differs from its archive")
            return expected

    # --- inside ---------------------------------------------------------------------------------

    @contextmanager
    def _held(self) -> Iterator[sqlite3.Connection]:
        """Take the drive for one operation (threads take turns); refuse once the file is let go."""
        with self._mutex:
            if self._db is None:
                raise DriveError(f"the fiscal drive {self.path} was closed by this program (close())")
            yield self._db

    @staticmethod
    @contextmanager
    def _transaction(db: sqlite3.Connection) -> Iterator[None]:
        db.execute("BEGIN IMMEDIATE")
        try:
            yield
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise

    def _read_state(self) -> _State:
        state, db = _State(), self._db
        last = db.execute("SELECT number, form FROM documents ORDER BY number DESC LIMIT 1").fetchone()
        if last is None:
            return state
        state.last_number, state.closed = last[0], last[1] == FormCode.DRIVE_CLOSE
        state.last_at = datetime.fromisoformat(db.execute("SELECT max(signed_at) FROM documents").fetchone()[0])
        state.registration = decode(db.execute("SELECT data FROM documents WHERE number = 1").fetchone()[0])
        state.lifetime_total = db.execute("SELECT coalesce(sum(total), 0) FROM settlements").fetchone()[0]
        shift = db.execute(
            "SELECT number, form, shift, signed_at FROM documents WHERE form IN (?, ?) ORDER BY number DESC LIMIT 1",
            (FormCode.SHIFT_OPEN, FormCode.SHIFT_CLOSE),
        ).fetchone()
        if shift is not None:
            number, form, state.shift, signed_at = shift
            if form == FormCode.SHIFT_OPEN:
                state.shift_open, state.shift_opened_at, state.shift_open_number = True, datetime.fromisoformat(signed_at), number
                state.receipt_number = db.execute(
                    "SELECT coalesce(max(receipt_number), 0) FROM documents WHERE number > ?", (number,)
                ).fetchone()[0]
        return state

    def _now(self) -> datetime:
        """The time of the next document; refused if earlier than the latest one beyond the tolerance."""
        now = self._clock().replace(microsecond=0)
        latest = self._state.last_at
        if latest is not None and now < latest - TIME_TOLERANCE:
            raise TimeWentBackwards(f"the clock says {now}, a document is dated {latest} already")
        return now

    def _registered(self) -> RegistrationReport:
        if self._state.registration is None:
            raise NotRegistered("the drive is not registered")
        if self._state.closed:
            raise DriveClosed(f"the fiscal drive {self.serial} is closed")
        return self._state.registration

    def _shift_state(self, now: datetime) -> ShiftState:
        state = self._state
        if not state.shift_open:
            return ShiftState.CLOSED
        return ShiftState.EXPIRED if now - state.shift_opened_at > SHIFT_LIMIT else ShiftState.OPEN

    def _selling_shift(self, now: datetime) -> int:
        shift_state = self._shift_state(now)
        if shift_state is ShiftState.CLOSED:
            raise ShiftClosed("open a shift first")
        if shift_state is ShiftState.EXPIRED:
            raise ShiftExpired(f"shift {self._state.shift} opened at {self._state.shift_opened_at} is over 24 hours: close it")
        return self._state.shift

    def _may_form(self, now: datetime, closing: bool = False) -> None:
        """Refuse a new document when the OFD wait or the drive's resources are exhausted."""
        if closing and unconfirmed.CLOSE_ALLOWED_WHEN_OFD_BLOCKED:
            return
        first_date = self._unsent_head(self._db)[2]
        if _ofd_blocked(now, first_date):
            raise OfdWaitExceeded(f"the OFD has not acknowledged a document of {first_date} for over 30 days")
        if not closing and (self._state.last_number >= self._capacity or self._key_days(now) <= 0):
            raise ResourceExhausted("the drive's keys expired or its archive is full: replace the drive")

    def _key_days(self, now: datetime) -> int:
        return max(0, (self._keys_expire_on - now.date()).days)

    def _flags(self, now: datetime, first_unsent_date: datetime | None) -> DriveFlags:
        days = self._key_days(now)
        return DriveFlags(
            keys_expiring=days < 30,
            replace_urgently=days < 3,
            memory_full=self._state.last_number * 100 > self._capacity * 99,
            ofd_timeout=first_unsent_date is not None and now - first_unsent_date > OFD_TIMEOUT,
        )

    @staticmethod
    def _unsent_head(db: sqlite3.Connection) -> tuple[int, int | None, datetime | None]:
        """1097, 1116 and 1098: how many documents await the OFD, the first one's number and date."""
        count, first = db.execute("SELECT count(*), min(number) FROM documents WHERE pending = 1").fetchone()
        if not count:
            return 0, None, None
        signed_at = db.execute("SELECT signed_at FROM documents WHERE number = ?", (first,)).fetchone()[0]
        return count, first, datetime.fromisoformat(signed_at)

    def _settle(self, kind: type[D], draft: D, request_id: str | None) -> D:
        if type(draft) is not kind:
            raise InvalidRequest(f"expected a {kind.__name__} draft, not {type(draft).__name__}")
        if draft.stamp is not None:
            raise InvalidRequest("the draft is signed already: a drive signs drafts")
        request = None if request_id is None else _Request(_request_id(request_id), hashlib.sha256(draft.to_bytes()).digest())
        with self._held():
            if request is not None:
                known = self._known(request)
                if known is not None:
                    return known
            registration = self._registered()
            now = self._now()
            shift = self._selling_shift(now)
            self._may_form(now)
            if not draft.tax_system & registration.tax_systems:
                raise InvalidDocument(1055, f"the register is not registered for {draft.tax_system.label} (1062)")
            if self._state.lifetime_total + draft.total > COUNTER_MAX:
                raise ResourceExhausted("the drive's lifetime counters would overflow: replace the drive")
            return self._form(draft, now, shift=shift, receipt_number=self._state.receipt_number + 1, request=request)

    def _known(self, request: _Request) -> Document | None:
        """The document already signed for this request, if any; the request must be the same."""
        row = self._db.execute("SELECT data, request_digest FROM documents WHERE request_id = ?", (request.id,)).fetchone()
        if row is None:
            if self._db.execute("SELECT 1 FROM cash_operations WHERE request_id = ?", (request.id,)).fetchone():
                raise InvalidRequest(f"request {request.id!r} was a cash operation")
            return None
        data, digest = row
        if digest != request.digest:
            raise InvalidRequest(f"request {request.id!r} was used for another document ({len(data)} bytes already signed)")
        return decode(data)

    def _form(
        self,
        draft: Document,
        now: datetime,
        *,
        shift: int | None = None,
        receipt_number: int | None = None,
        request: _Request | None = None,
        identity: dict[str, str] | None = None,
    ) -> Document:
        """Number, sign and durably store `draft`; return the document as the archive holds it.

        Nothing is written if anything fails; the state in memory changes only after the commit,
        and is read back from the archive if anything fails after it.
        """
        state = self._state
        registration = draft if state.registration is None else state.registration
        if identity is None:
            stamp = registration.stamp
            identity = dict(registration_number=stamp.registration_number, user_inn=stamp.user_inn, user=stamp.user,
                            address=stamp.address, place=stamp.place)
        stamp = DriveStamp(
            fn_serial=self.serial, document_number=state.last_number + 1, date_time=now, fiscal_sign=UNSIGNED,
            shift=shift, receipt_number=receipt_number, **identity,
        )
        sign, data = seal(self._secret, draft.stamped(stamp).to_bytes())
        document = draft.stamped(replace(stamp, fiscal_sign=sign))
        try:  # what the archive will hold must read back as what was signed
            archived = decode(data)
        except FiscalError as error:
            raise InvalidDocument(getattr(error, "tag", None), f"the draft does not read back from its bytes: {error}") from error
        if archived != document:
            raise InvalidDocument(None, "the draft changed when read back from its bytes; nothing was signed")
        self._store(archived, data, request, pending=not registration.offline)
        return archived

    def _store(self, document: Document, data: bytes, request: _Request | None, pending: bool) -> None:
        db = self._db
        stamp = document.stamp
        try:
            with self._transaction(db):
                db.execute(
                    "INSERT INTO documents (number, form, shift, receipt_number, signed_at, request_id, request_digest, data, pending)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (stamp.document_number, int(document.form), stamp.shift, stamp.receipt_number, stamp.date_time.isoformat(),
                     request and request.id, request and request.digest, data, int(pending)),
                )
                if isinstance(document, Receipt | CorrectionReceipt):
                    db.execute(_INSERT_SETTLEMENT, _settlement_row(document))
            self._state.apply(document)
        except BaseException:
            self._state = self._read_state()  # whatever happened, the archive is the truth
            raise

    def _counters(self, shift: int | None = None) -> Counters:
        """1194 of `shift`, or 1157 over the drive's life, added up from the settlements."""
        where, parameters = ("WHERE shift = ?", (shift,)) if shift is not None else ("", ())
        rows = self._db.execute(
            f"SELECT settlement, correction, count(*), {', '.join(f'sum({name})' for name in SUMS + VAT_SUMS)}"
            f" FROM settlements {where} GROUP BY settlement, correction",
            parameters,
        ).fetchall()
        parts: dict[str, OperationCounters] = {}
        corrections: dict[str, OperationCounters] = {}
        for settlement, correction, count, *sums in rows:
            part = _PART_OF_SETTLEMENT[SettlementType(settlement)]
            (corrections if correction else parts)[part] = OperationCounters(count=count, **dict(zip(SUMS + VAT_SUMS, sums, strict=True)))
        correction_count = sum(part.count for part in corrections.values())
        return Counters(
            count=sum(part.count for part in parts.values()) + correction_count,
            corrections=CorrectionCounters(count=correction_count, **corrections),
            **parts,
        )

    def _unsent_totals(self) -> CorrectionCounters:
        """1158: the receipts and corrections awaiting the OFD by settlement type (no VAT sums)."""
        rows = self._db.execute(
            f"SELECT settlement, count(*), {', '.join(f'sum({name})' for name in SUMS)}"
            " FROM settlements JOIN documents USING (number) WHERE documents.pending = 1 GROUP BY settlement"
        ).fetchall()
        parts = {
            _PART_OF_SETTLEMENT[SettlementType(settlement)]: OperationCounters(count=count, **dict(zip(SUMS, sums, strict=True)))
            for settlement, count, *sums in rows
        }
        return CorrectionCounters(count=sum(part.count for part in parts.values()), **parts)

    def _drawer(self, shift: int) -> int:
        """Cash in the drawer: what the shift's receipts took in cash net of what they paid out, ± cash operations."""
        received = self._db.execute(
            "SELECT coalesce(sum(CASE WHEN settlement IN (?, ?) THEN cash ELSE -cash END), 0) FROM settlements WHERE shift = ?",
            (SettlementType.SALE, SettlementType.PURCHASE_RETURN, shift),
        ).fetchone()[0]
        moved = self._db.execute(
            "SELECT coalesce(sum(CASE kind WHEN 'in' THEN amount ELSE -amount END), 0) FROM cash_operations WHERE shift = ?",
            (shift,),
        ).fetchone()[0]
        return received + moved

    def _cash(self, kind: str, amount: int, cashier: str | None, request_id: str | None) -> CashOperation:
        if type(amount) is not int or not 0 < amount <= VLN6_MAX:
            raise InvalidRequest(f"a cash {kind} amount is a positive number of kopecks: {amount!r}")
        cashier = _cashier(cashier)
        request_id = None if request_id is None else _request_id(request_id)
        with self._held() as db:
            if request_id is not None:
                if db.execute("SELECT 1 FROM documents WHERE request_id = ?", (request_id,)).fetchone():
                    raise InvalidRequest(f"request {request_id!r} was a fiscal document")
                row = db.execute(
                    "SELECT shift, kind, amount, made_at, cashier FROM cash_operations WHERE request_id = ?", (request_id,)
                ).fetchone()
                if row is not None:
                    if (row[1], row[2]) != (kind, amount):
                        raise InvalidRequest(f"request {request_id!r} was used for another cash operation")
                    return CashOperation(shift=row[0], kind=row[1], amount=row[2], made_at=datetime.fromisoformat(row[3]), cashier=row[4])
            self._registered()
            now = self._now()
            shift = self._selling_shift(now)
            if kind == "out" and amount > (drawer := self._drawer(shift)):
                raise NotEnoughCash(f"the drawer holds {drawer} kopecks, {amount} asked")
            with self._transaction(db):
                db.execute(
                    "INSERT INTO cash_operations (shift, kind, amount, cashier, made_at, request_id) VALUES (?, ?, ?, ?, ?, ?)",
                    (shift, kind, amount, cashier, now.isoformat(), request_id),
                )
            return CashOperation(shift=shift, kind=kind, amount=amount, made_at=now, cashier=cashier)


def _ofd_blocked(now: datetime, first_unsent_date: datetime | None) -> bool:
    """The 30-day rule: the oldest document awaiting the OFD is older than that (reference §5)."""
    return first_unsent_date is not None and now - first_unsent_date > OFD_WAIT_LIMIT


def _request_id(value: object) -> str:
    if not isinstance(value, str) or not 0 < len(value) <= REQUEST_ID_MAX:
        raise InvalidRequest(f"a request id is a text of 1 to {REQUEST_ID_MAX} characters: {value!r}")
    return value


def _cashier(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not printable(value).strip() or len(printable(value)) > 64:
        raise InvalidRequest(f"a cashier (1021) is a text of at most 64 characters: {value!r}")
    return printable(value)


_SETTLEMENT_COLUMNS = ", ".join(("number", "shift", "settlement", "correction", *SUMS, *VAT_SUMS))
_INSERT_SETTLEMENT = (
    f"INSERT INTO settlements ({_SETTLEMENT_COLUMNS}) VALUES ({', '.join('?' for _ in _SETTLEMENT_COLUMNS.split(', '))})"
)


def _settlement_row(document: Receipt | CorrectionReceipt) -> tuple:
    """What a receipt adds to the counters: its sums by tender, and its VAT by rate (receipts only, §2.5)."""
    correction = isinstance(document, CorrectionReceipt)
    vat = dict.fromkeys(VAT_SUMS, 0)
    if not correction:  # correction counters hold no VAT sums
        for tag, value in document.vat_totals.items():
            column = _VAT_COLUMN_OF_TAG.get(tag)
            if column is not None:
                vat[column] += value
    stamp = document.stamp
    return (
        stamp.document_number, stamp.shift, int(document.settlement), int(correction),
        *(getattr(document, name) for name in SUMS), *(vat[name] for name in VAT_SUMS),
    )


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
