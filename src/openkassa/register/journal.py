"""The register's journal: what it did, kept until the server has it (`register.db`, the precious file).

The catalog (`catalog.py`) is a cache the server can always send again; this file is not. It holds:

- `meta`: the binding to the server (address, device token, point) and small settings;
- `intents`: an operation about to reach the fiscal drive — written (and fsync'd) before the drive
  is asked, with everything the register will upload about it and the number (1040) the drive
  will give it. A register killed between the drive's signature and the outbox finds the intent on
  its next start and completes it from the drive's archive (`Till.recover`), or drops it when the
  drive never signed: so a signed receipt always reaches the outbox, and only once;
- `outbox`: documents to upload (`protocol.documents`), oldest first; a document leaves the queue
  when the server's answer says it holds it (`accepted` or `quarantined`), and stays as history;
- `receipts`: an index of the receipts made here, to find one for a return by its number or QR;
- `parked`: receipts put aside to serve the next buyer, resumed later.

SQLite in WAL mode with `synchronous=FULL`: every commit is on disk before the call returns.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from openkassa.protocol import documents as protocol

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS intents (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    expected_number INTEGER,          -- the 1040 the drive will give it; NULL for a cash operation
    body TEXT NOT NULL,               -- the document to upload, but for its fiscal bytes
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    body TEXT NOT NULL,               -- protocol.documents JSON, as uploaded
    fiscal_number INTEGER UNIQUE,     -- 1040, for fiscal documents
    created_at TEXT NOT NULL,
    sent_at TEXT,                     -- when the server answered that it holds it
    status TEXT,                      -- accepted | quarantined
    reason TEXT
);
CREATE INDEX IF NOT EXISTS outbox_unsent ON outbox (seq) WHERE sent_at IS NULL;
CREATE TABLE IF NOT EXISTS receipts (
    id TEXT PRIMARY KEY REFERENCES outbox (id),
    shift INTEGER NOT NULL,
    number INTEGER NOT NULL,          -- 1042 within the shift
    fiscal_number INTEGER NOT NULL,   -- 1040
    fiscal_sign INTEGER NOT NULL,     -- the printed ФП
    settlement INTEGER NOT NULL,      -- 1054
    total INTEGER NOT NULL,
    made_at TEXT NOT NULL,
    original_id TEXT                  -- for a return: the receipt returned
);
CREATE INDEX IF NOT EXISTS receipts_number ON receipts (shift, number);
CREATE INDEX IF NOT EXISTS receipts_original ON receipts (original_id) WHERE original_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS parked (id TEXT PRIMARY KEY, cart TEXT NOT NULL, parked_at TEXT NOT NULL);
"""


@dataclass(frozen=True)
class Intent:
    id: uuid.UUID
    kind: str
    expected_number: int | None
    body: dict


@dataclass(frozen=True)
class Queued:
    """A document waiting in the outbox."""

    seq: int
    id: uuid.UUID
    body: dict


@dataclass(frozen=True)
class Parked:
    id: uuid.UUID
    cart: dict
    parked_at: datetime


def _now() -> str:
    return datetime.now(UTC).isoformat()


class Journal:
    """The journal in one SQLite file. One process holds it (the register holds its drive too); its
    threads (the screen, the sync worker) take turns on the one connection."""

    def __init__(self, connection: sqlite3.Connection):
        self._db = connection
        self._lock = threading.RLock()

    @classmethod
    def open(cls, path: str | Path) -> Journal:
        connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = FULL")
        connection.execute("PRAGMA foreign_keys = ON")
        connection.executescript(_SCHEMA)
        return cls(connection)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _rows(self, sql: str, arguments: tuple = ()) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, arguments).fetchall()

    # --- meta -------------------------------------------------------------------------------------

    def get(self, key: str, default: str | None = None) -> str | None:
        row = (self._rows("SELECT value FROM meta WHERE key = ?", (key,)) or [None])[0]
        return default if row is None else row[0]

    def set(self, **values: str | None) -> None:
        with self._transaction() as db:
            for key, value in values.items():
                if value is None:
                    db.execute("DELETE FROM meta WHERE key = ?", (key,))
                else:
                    db.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                               (key, value))

    # --- intents ----------------------------------------------------------------------------------

    def intend(self, document_id: uuid.UUID, kind: str, body: dict, expected_number: int | None) -> None:
        """Write down an operation before the drive is asked (see the module docstring)."""
        with self._transaction() as db:
            db.execute("INSERT INTO intents (id, kind, expected_number, body, created_at) VALUES (?, ?, ?, ?, ?)",
                       (str(document_id), kind, expected_number, json.dumps(body, ensure_ascii=False), _now()))

    def intents(self) -> list[Intent]:
        rows = self._rows("SELECT id, kind, expected_number, body FROM intents ORDER BY created_at")
        return [Intent(uuid.UUID(row[0]), row[1], row[2], json.loads(row[3])) for row in rows]

    def abandon(self, document_id: uuid.UUID) -> None:
        """The drive never did it: forget the intent."""
        with self._transaction() as db:
            db.execute("DELETE FROM intents WHERE id = ?", (str(document_id),))

    def complete(self, document: protocol.Document, *, fiscal_number: int | None = None, receipt: dict | None = None) -> None:
        """The drive did it: the document joins the outbox and its intent goes, in one transaction.
        `receipt`: the receipts index row (shift, number, fiscal_number, fiscal_sign, settlement, total)."""
        body = document.model_dump(mode="json")
        with self._transaction() as db:
            db.execute("INSERT INTO outbox (id, type, body, fiscal_number, created_at) VALUES (?, ?, ?, ?, ?)",
                       (str(document.id), document.type, json.dumps(body, ensure_ascii=False), fiscal_number, _now()))
            if receipt is not None and document.type in ("receipt", "correction"):
                db.execute("INSERT INTO receipts (id, shift, number, fiscal_number, fiscal_sign, settlement, total, made_at, original_id)"
                           " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           (str(document.id), receipt["shift"], receipt["number"], receipt["fiscal_number"], receipt["fiscal_sign"],
                            receipt["settlement"], receipt["total"], body["made_at"], body.get("original_id")))
            db.execute("DELETE FROM intents WHERE id = ?", (str(document.id),))

    def queue(self, document: protocol.Document, fiscal_number: int | None = None) -> bool:
        """Put a document in the outbox unless one with its id or fiscal number is there; True if added."""
        body = document.model_dump(mode="json")
        with self._transaction() as db:
            cursor = db.execute("INSERT OR IGNORE INTO outbox (id, type, body, fiscal_number, created_at) VALUES (?, ?, ?, ?, ?)",
                                (str(document.id), document.type, json.dumps(body, ensure_ascii=False), fiscal_number, _now()))
            return cursor.rowcount == 1

    # --- the outbox -------------------------------------------------------------------------------

    def unsent(self, limit: int = protocol.MAX_DOCUMENTS) -> list[Queued]:
        rows = self._rows("SELECT seq, id, body FROM outbox WHERE sent_at IS NULL ORDER BY seq LIMIT ?", (limit,))
        return [Queued(row[0], uuid.UUID(row[1]), json.loads(row[2])) for row in rows]

    def unsent_count(self) -> int:
        return (self._rows("SELECT count(*) FROM outbox WHERE sent_at IS NULL") or [None])[0][0]

    def mark_sent(self, results: list[protocol.Result]) -> int:
        """Take the server's answers: documents it holds leave the queue. Returns how many did."""
        held = [(_now(), result.status, result.reason, str(result.id)) for result in results
                if result.id is not None and result.status in ("accepted", "quarantined")]
        with self._transaction() as db:
            db.executemany("UPDATE outbox SET sent_at = ?, status = ?, reason = ? WHERE id = ? AND sent_at IS NULL", held)
        return len(held)

    def resend(self, fiscal_numbers: Iterable[int]) -> int:
        """Put the fiscal documents with these numbers (1040) back in the queue; returns how many were sent."""
        with self._transaction() as db:
            cursor = db.executemany("UPDATE outbox SET sent_at = NULL WHERE fiscal_number = ? AND sent_at IS NOT NULL",
                                    [(number,) for number in fiscal_numbers])
            return cursor.rowcount

    def fiscal_numbers(self) -> set[int]:
        """The drive numbers (1040) of every fiscal document in the outbox, sent or not."""
        return {row[0] for row in self._rows("SELECT fiscal_number FROM outbox WHERE fiscal_number IS NOT NULL")}

    # --- receipts made here -------------------------------------------------------------------------

    def find_receipt(self, *, shift: int | None = None, number: int | None = None, fiscal_number: int | None = None,
                     fiscal_sign: int | None = None) -> protocol.Receipt | None:
        """A sale made here, by its shift and number, or by the ФД and ФП of its QR code."""
        if fiscal_number is not None:
            where, arguments = "r.fiscal_number = ? AND r.fiscal_sign = ?", (fiscal_number, fiscal_sign)
        else:
            where, arguments = "r.shift = ? AND r.number = ?", (shift, number)
        row = (self._rows(f"SELECT o.body FROM receipts r JOIN outbox o ON o.id = r.id WHERE {where} AND r.settlement = 1",
                          arguments) or [None])[0]
        return None if row is None else protocol.Receipt.model_validate_json(row[0])

    def carried_over(self) -> int:
        """Cash the last closed shift left in the drawer for the next (0 when none)."""
        rows = self._rows("SELECT body FROM outbox WHERE type = 'shift_close' ORDER BY seq DESC LIMIT 1")
        return json.loads(rows[0][0]).get("carried_over", 0) if rows else 0

    def sales_count(self) -> int:
        """Sales made here (returns and corrections apart)."""
        return self._rows("SELECT count(*) FROM receipts WHERE settlement = 1")[0][0]

    def receipt(self, receipt_id: uuid.UUID) -> protocol.Receipt:
        """A receipt made here, by its id."""
        rows = self._rows("SELECT body FROM outbox WHERE id = ?", (str(receipt_id),))
        return protocol.Receipt.model_validate_json(rows[0][0])

    def made(self, receipt_id: uuid.UUID) -> protocol.Receipt | None:
        """The receipt made here under this id, or None (never, or not signed yet)."""
        rows = self._rows("SELECT body FROM outbox WHERE id = ?", (str(receipt_id),))
        return protocol.Receipt.model_validate_json(rows[0][0]) if rows else None

    def returns_of(self, original_id: uuid.UUID) -> list[protocol.Receipt]:
        rows = self._rows("SELECT o.body FROM receipts r JOIN outbox o ON o.id = r.id WHERE r.original_id = ?",
                          (str(original_id),))
        return [protocol.Receipt.model_validate_json(row[0]) for row in rows]

    # --- parked receipts ----------------------------------------------------------------------------

    def park(self, cart_id: uuid.UUID, cart: dict) -> None:
        with self._transaction() as db:
            db.execute("INSERT OR REPLACE INTO parked (id, cart, parked_at) VALUES (?, ?, ?)",
                       (str(cart_id), json.dumps(cart, ensure_ascii=False), _now()))

    def parked(self) -> list[Parked]:
        rows = self._rows("SELECT id, cart, parked_at FROM parked ORDER BY parked_at")
        return [Parked(uuid.UUID(row[0]), json.loads(row[1]), datetime.fromisoformat(row[2])) for row in rows]

    def unpark(self, cart_id: uuid.UUID) -> dict | None:
        with self._transaction() as db:
            row = db.execute("SELECT cart FROM parked WHERE id = ?", (str(cart_id),)).fetchone()
            db.execute("DELETE FROM parked WHERE id = ?", (str(cart_id),))
        return None if row is None else json.loads(row[0])
