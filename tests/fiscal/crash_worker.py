"""Issues receipts on a software drive until it is killed: the child process of test_drive_crash.py.

Run as `python crash_worker.py DRIVE_FILE`. Sale k always carries request id `sale-k` and the same
draft. The worker notes the last k it finished in `DRIVE_FILE.progress` (without fsync, as a
register's own bookkeeping may lag) and after a restart replays from two sales before it: the drive
must answer those already signed with the stored document, never a second one. Every 25th sale
closes the shift; every 10th is preceded by a cash in.
"""

from __future__ import annotations

import sys
from pathlib import Path

from openkassa.fiscal.device import ShiftState
from openkassa.fiscal.documents import Item, Receipt
from openkassa.fiscal.drive import SoftwareDrive
from openkassa.fiscal.enums import SettlementType, TaxSystem, VatRate
from openkassa.fiscal.errors import ShiftClosed


def draft(k: int) -> Receipt:
    price = 1_000 + k
    items = tuple(
        Item(name=f"Товар {k}-{n}", price=price, quantity=1_000, amount=price, vat=VatRate.NO_VAT, vat_amount=0)
        for n in range(1 + k % 5)
    )
    total = price * len(items)
    return Receipt(settlement=SettlementType.SALE, tax_system=TaxSystem.USN_INCOME, items=items, total=total, cash=total)


def main(path: str) -> None:
    drive = SoftwareDrive.open(path)
    progress = Path(path + ".progress")
    k = max(0, int(progress.read_text() or 0) - 2) if progress.exists() else 0
    print("ready", flush=True)
    while True:
        try:
            if k % 10 == 0:
                drive.cash_in(100, request_id=f"in-{k}")
            receipt = drive.receipt(draft(k), request_id=f"sale-{k}")
        except ShiftClosed:
            drive.open_shift()
            continue
        status = drive.status()
        if k % 25 == 24 and status.shift_state is ShiftState.OPEN and receipt.stamp.shift == status.shift:
            drive.close_shift()
        k += 1
        progress.write_text(str(k))


if __name__ == "__main__":
    main(sys.argv[1])
