"""BENCH: receipts the software fiscal drive commits durably per second (issue 3 asks for ≥ 300/s).

Ours: `SoftwareDrive.receipt()` with a request id — check the shift and the clock, number, sign,
encode and commit each 5-line receipt in its own fsync'd SQLite transaction (WAL, synchronous=FULL),
as a register does at every sale.
Baseline: the floor of the same durability — the same receipt bytes inserted into a bare SQLite
table, one fsync'd transaction each, with nothing computed.
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
from pathlib import Path

from openkassa.fiscal.documents import Item, Receipt, RegistrationReport
from openkassa.fiscal.drive import SoftwareDrive
from openkassa.fiscal.enums import SettlementType, TaxSystem, VatRate

RECEIPTS = 1_000
LINES = 5


def draft(k: int) -> Receipt:
    items = tuple(
        Item(name=f"Товар {n}", price=1_000 + k, quantity=1_000, amount=1_000 + k, vat=VatRate.NO_VAT, vat_amount=0)
        for n in range(LINES)
    )
    total = sum(item.amount for item in items)
    return Receipt(settlement=SettlementType.SALE, tax_system=TaxSystem.USN_INCOME, items=items, total=total, cash=total)


def ours(folder: Path) -> tuple[float, bytes]:
    with SoftwareDrive.create(folder / "fn.sqlite3") as drive:
        drive.register(
            RegistrationReport(kkt_serial="1", kkt_version="1.0", cashier="Кассир", tax_systems=TaxSystem.USN_INCOME,
                               key_resource_days=0, ofd_inn="7704358518", ofd_name="ОФД"),
            registration_number="0000000001012345", user_inn="7707083893", user="ООО Ромашка", address="Москва", place="Магазин",
        )
        drive.open_shift()
        drafts = [draft(k) for k in range(RECEIPTS)]
        start = time.perf_counter()
        for k, receipt in enumerate(drafts):
            signed = drive.receipt(receipt, request_id=f"sale-{k}")
        elapsed = time.perf_counter() - start
        return RECEIPTS / elapsed, signed.to_bytes()


def baseline(folder: Path, data: bytes) -> float:
    db = sqlite3.connect(folder / "floor.sqlite3", isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = FULL")
    db.execute("CREATE TABLE documents (number INTEGER PRIMARY KEY, request_id TEXT UNIQUE, data BLOB NOT NULL)")
    start = time.perf_counter()
    for k in range(RECEIPTS):
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO documents VALUES (?, ?, ?)", (k + 1, f"sale-{k}", data))
        db.execute("COMMIT")
    elapsed = time.perf_counter() - start
    db.close()
    return RECEIPTS / elapsed


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as folder:
        rate, data = ours(Path(folder))
        floor = baseline(Path(folder), data)
    print(f"BENCH fiscal_drive_receipts_per_second {rate:.0f} /s baseline={floor:.0f} ratio={rate / floor:.2f}")
