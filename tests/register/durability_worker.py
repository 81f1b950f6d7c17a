"""A register that sells until it is killed: the child process of test_durability.py.

Run as `python durability_worker.py DATA_DIR TARGET`. It opens (and recovers) the register in
DATA_DIR, bound already, signs in, and sells until the journal holds TARGET sales, uploading in the
background as the register app does (the server may be down: nothing waits for it). After each
sale the till answered, it appends the receipt's id to DATA_DIR/completed (fsync'd): those are the
sales a buyer walked away with. A shift closes after 40 receipts and the next opens; some sales take cash in first.
With `--flush` it only uploads everything and exits 0 once the outbox is empty.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

from openkassa.fiscal.device import ShiftState
from openkassa.register import sale
from openkassa.register.sync import Link
from openkassa.register.till import Till, TillError

BARCODES = ("4600000000022", "4600000000039", "4600000000046")


def main(folder: str, target: int, flush: bool) -> None:
    till = Till.open(folder)
    till.recover()
    link = Link(till)
    if flush:
        link.step()
        sys.exit(0 if till.journal.unsent_count() == 0 else 1)
    stop = threading.Event()
    threading.Thread(target=link.run, args=(stop,), daemon=True).start()
    till.sign_in("1234")
    completed = os.open(Path(folder) / "completed", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    print("ready", flush=True)
    while (sold := till.journal.sales_count()) < target:
        if till.status().shift_state is not ShiftState.OPEN:
            till.open_shift(cash=0)
        if till.drive.status().receipt_number >= 40:
            till.close_shift(counted_cash=till.x_report().cash_in_drawer)
            continue
        if sold % 7 == 3:
            till.cash_in(100, "Размен")
        for n in range(1 + sold % 3):
            till.scan(BARCODES[n])
        try:
            done = till.pay([sale.Tender("cash", 100000)])
        except TillError:
            till.cancel()
            raise
        os.write(completed, f"{done.document.id}\n".encode())
        os.fsync(completed)
        link.nudge()
    print("done", flush=True)


if __name__ == "__main__":
    flush = sys.argv[2] == "--flush"
    main(sys.argv[1], 0 if flush else int(sys.argv[2]), flush)
