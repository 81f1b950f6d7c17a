"""End to end: a real server, and a headless register over HTTP — activated by its code, synced,
selling, uploading — and the sale found in the back office."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

from openkassa.register import sale
from openkassa.register.catalog import LocalCatalog
from openkassa.register.till import Till


def headless(folder, *arguments: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "openkassa.cli", "register", "--data", str(folder), "--headless", *arguments],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def eventually(check, seconds: float = 20):
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "it did not happen in time"
        time.sleep(0.1)


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0, process.communicate()[1].decode()[-2000:]


@pytest.mark.slow
def test_a_headless_register_activates_syncs_sells_and_the_sale_shows_in_the_back_office(
        live_server, tmp_path, back_office, api, point, activation_code, owner):
    base_url, _settings = live_server
    # given a point with milk and a cashier
    milk = back_office("post", "/products", {"name": "Молоко 3,2%", "price": "89.90", "vat": 2, "barcodes": ["4600000000022"]})
    back_office("post", "/api/v1/cashiers", {"name": "Анна", "pin": "1234", "point_ids": [point["id"]]})
    folder = tmp_path / "register"

    # when a register is started headless with the server's address and the activation code
    register = headless(folder, "--server", base_url, "--code", activation_code)
    # then it binds, downloads the catalog and appears on the point's Devices page with its drive
    eventually(lambda: (folder / "catalog.db").exists() and LocalCatalog.open(folder / "catalog.db").by_barcode("4600000000022"))
    eventually(lambda: "9999" in owner.get(f"/points/{point['id']}/devices").text)

    # and a price changed in the back office reaches it while it runs
    back_office("patch", f"/products/{milk['id']}", {"price": "95.50"})
    eventually(lambda: LocalCatalog.open(folder / "catalog.db").by_barcode("4600000000022").price == 9550)
    stop(register)

    # when the cashier sells at the register (the screen's work, done here through the till)
    with Till.open(folder) as till:
        till.sign_in("1234")
        till.open_shift()
        till.scan("4600000000022")
        done = till.pay([sale.Tender("cash", 10000)])
    # and the register runs again, headless, and uploads
    register = headless(folder)
    try:
        # then the owner finds the sale among the point's documents, at the new price
        eventually(lambda: str(done.document.id) in owner.get(f"/points/{point['id']}/documents").text)
        assert "₽95.50" in owner.get(f"/points/{point['id']}/documents").text
    finally:
        stop(register)
    # and nothing waits at the register, neither in its outbox nor in its drive's queue to the OFD
    with Till.open(folder) as till:
        assert till.journal.unsent_count() == 0 and till.drive.status().unsent_count == 0
