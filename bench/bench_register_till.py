"""BENCH: the register answers the cashier at once with a 1,000,000-item catalog (issue 5).

- scan to line: `Till.scan(barcode)` of random barcodes — the product found in the local catalog and
  put on the receipt (target with the screen: ≤ 20 ms); baseline: `LocalCatalog.by_barcode` alone;
- close and sign: `Till.pay` of a three-line receipt — the arithmetic, the intent written down, the
  drive's signature, the outbox (target ≤ 100 ms); baseline: the drive signing the same draft alone
  (`SoftwareDrive.receipt`), its own fsync'd commit included;
- with `--screen`, scan to line on screen: the barcode typed into the cashier's app in one burst and
  Enter, as a USB scanner types (Textual's pilot, headless), until the line is in the receipt
  table; receipts grow to `--lines` lines (10 by default) before the next starts: the time grows
  with the lines on screen (Textual redraws the table), about 1.5 ms a line.

Run: `.venv/bin/python bench/bench_register_till.py [--products N] [--screen]`.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

from bench_register_catalog import ean13, line, p95, stream, timings


def main() -> None:
    arguments = argparse.ArgumentParser()
    arguments.add_argument("--products", type=int, default=1_000_000)
    arguments.add_argument("--runs", type=int, default=300)
    arguments.add_argument("--screen", action="store_true")
    arguments.add_argument("--lines", type=int, default=10, help="lines a receipt grows to before the next starts (--screen)")
    options = arguments.parse_args()
    folder = Path(tempfile.mkdtemp())

    from argon2 import PasswordHasher

    from openkassa.fiscal.enums import TaxSystem, VatRate
    from openkassa.protocol.changes import Begin, CashierLine, End
    from openkassa.register import sale
    from openkassa.register.catalog import LocalCatalog
    from openkassa.register.till import Till

    lines = stream(options.products)
    gc.freeze()
    with LocalCatalog.open(folder / "catalog.db") as catalog:
        catalog.apply(lines)
        revision = catalog.revision
        cashier = CashierLine(id=uuid.uuid4(), name="Кассир", inn="", pin_hash=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash("1234"),
                              can_return=True, can_discount=True, can_change_price=True, can_cash_drawer=True,
                              can_close_shift=True, active=True, revision=revision + 1)
        point = catalog.point().model_copy(update={"address": "г. Москва, ул. Тверская, 1", "revision": revision + 1})
        catalog.apply([Begin(since=revision, revision=revision + 1), point, cashier, End(revision=revision + 1, lines=2)])
    del lines
    gc.unfreeze()
    gc.collect()

    chance = random.Random(7)
    codes = [ean13(chance.randrange(options.products)) for _ in range(options.runs)]
    with Till.open(folder) as till:
        till.ensure_drive()
        till.sign_in("1234")
        till.open_shift()

        def scan(code: str) -> None:
            assert till.scan(code) is not None
            if len(till.cart.lines) > 50:
                till.cancel()

        scans = timings(scan, codes)
        lookups = timings(lambda code: till.catalog.by_barcode(code), codes)
        line("register_scan_to_line_p95", p95(scans) * 1000, "ms", p95(lookups) * 1000,
             f" median={sorted(scans)[len(scans) // 2] * 1000:.3f} ms, {options.products} products")

        till.cancel()
        pays = []
        for n in range(options.runs // 3):
            for code in codes[3 * n:3 * n + 3]:
                till.scan(code)
            started = time.perf_counter()
            till.pay([sale.Tender("cash", 10_000_000)])
            pays.append(time.perf_counter() - started)
        drafts = []
        for n in range(options.runs // 3):
            products = [till.catalog.by_barcode(code) for code in codes[3 * n:3 * n + 3]]
            closed = sale.close([sale.CartLine(product_id=p.id, name=p.name, price=p.price, vat=VatRate(p.vat)) for p in products],
                                [sale.Tender("cash", 10_000_000)], tax_system=TaxSystem.OSN)
            drafts.append(closed.draft)
        signs = timings(lambda draft: till.drive.receipt(draft), drafts)
        line("register_close_and_sign_p95", p95(pays) * 1000, "ms", p95(signs) * 1000,
             f" median={sorted(pays)[len(pays) // 2] * 1000:.1f} ms")

        if options.screen:
            screen = asyncio.run(_on_screen(till, codes[:150], options.lines))
            line("register_scan_to_line_on_screen_p95", p95(screen) * 1000, "ms", p95(scans) * 1000,
                 f" median={sorted(screen)[len(screen) // 2] * 1000:.1f} ms, receipts of up to {options.lines} lines"
                 " (Textual pilot, headless)")


async def _on_screen(till, codes: list[str], lines: int) -> list[float]:
    """Type each barcode and Enter into the app in one burst, as a USB scanner does (the key events
    posted as the terminal's driver posts them); time until the receipt table shows the new line."""
    from textual import events
    from textual.widgets import DataTable

    from openkassa.register.app import RegisterApp

    app = RegisterApp(till)
    times = []
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        table = app.sale.query_one("#lines", DataTable)
        for code in codes:
            if len(till.cart.lines) >= lines:
                till.cancel()
                app.sale.show_cart()
                await pilot.pause()
            await pilot.pause()  # the screen idle, as between two items at a till
            before = table.row_count
            started = time.perf_counter()
            for character in code:
                app.post_message(events.Key(character, character))
            app.post_message(events.Key("enter", "\r"))
            while table.row_count == before:
                await asyncio.sleep(0)
            times.append(time.perf_counter() - started)
    return times


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    main()
