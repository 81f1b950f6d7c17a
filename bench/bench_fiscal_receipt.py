"""BENCH: build, validate, sign and encode a 100-line receipt (issue 3 asks for ≤ 1 ms).

Ours: arithmetic.settle → documents.Item/Receipt (validated against the ФФД tables) → TLV bytes
→ a 6-byte HMAC-SHA-256 fiscal sign, as the software drive will compute it.
Baseline: the same 100 items written as TLV bytes by a hand-rolled struct.pack loop with no
validation at all — the floor any encoder in Python pays.
"""

from __future__ import annotations

import hashlib
import hmac
import struct
import time
from datetime import datetime

from openkassa.fiscal import arithmetic
from openkassa.fiscal.documents import DriveStamp, Item, Receipt
from openkassa.fiscal.enums import SettlementType, TaxSystem, VatRate

KEY = b"k" * 32
LINES = 100
RUNS = 300


def ours() -> bytes:
    inputs = [arithmetic.LineInput(price=1_000 + n, quantity=1_000 + n, vat=VatRate.VAT_20) for n in range(LINES)]
    settled = arithmetic.settle(inputs, arithmetic.Payments(cash=10**9))
    items = tuple(
        Item(name=f"Товар {n}", price=line.price, quantity=line.quantity, amount=line.amount, vat=line.vat,
             vat_amount=line.vat_amount)
        for n, line in enumerate(settled.lines)
    )
    draft = Receipt(settlement=SettlementType.SALE, tax_system=TaxSystem.OSN, items=items, total=settled.total,
                    cash=settled.payments.cash, cashier="Иванова А.")
    body = draft.to_bytes()
    sign = hmac.new(KEY, body, hashlib.sha256).digest()[:6]
    stamp = DriveStamp(fn_serial="9999078900012345", registration_number="0000000001012345",
                       user_inn="7707083893", user="ООО Ромашка", address="Москва", place="Магазин",
                       document_number=7, date_time=datetime(2026, 11, 27, 10, 15), fiscal_sign=sign,
                       shift=1, receipt_number=1)
    return draft.stamped(stamp).to_bytes()


def baseline() -> bytes:
    out = bytearray()
    for n in range(LINES):
        name = f"Товар {n}".encode("cp866")
        price, qty = 1_000 + n, 1_000 + n
        amount = (price * qty + 500) // 1000
        item = b"".join((
            struct.pack("<HH", 1030, len(name)), name,
            struct.pack("<HHI", 1079, 4, price), struct.pack("<HHBH", 1023, 3, 3, qty),
            struct.pack("<HHI", 1043, 4, amount), struct.pack("<HHB", 1199, 1, 1),
        ))
        out += struct.pack("<HH", 1059, len(item)) + item
    return struct.pack("<HH", 3, len(out)) + bytes(out)


def best_of(fn) -> float:
    fn()
    best = float("inf")
    for _ in range(RUNS):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best * 1000


if __name__ == "__main__":
    mine, floor = best_of(ours), best_of(baseline)
    print(f"BENCH fiscal_receipt_100_lines {mine:.3f} ms baseline={floor:.3f} ratio={mine / floor:.1f}")
