"""Durability: a register killed with SIGKILL at random moments during 1,000 sales, while its server
is stopped and started again now and then, loses no receipt and uploads none twice; its fiscal
drive's numbering has no gap and every document of the drive reaches the server exactly once."""

from __future__ import annotations

import random
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from openkassa.fiscal import tlv
from openkassa.fiscal.drive import SoftwareDrive
from openkassa.fiscal.enums import FormCode
from openkassa.register.sync import bind
from openkassa.register.journal import Journal
from openkassa.sales.models import SalesDocument

WORKER = Path(__file__).with_name("durability_worker.py")
SALES = 1_000
KILLS = 200


class Server:
    """`openkassa serve` in a process of its own, on the tests' database, to stop and start at will."""

    def __init__(self):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "openkassa.cli", "serve", "--port", str(self.port)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline and self.process.poll() is None, "the server did not start"
            time.sleep(0.1)

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


def run_worker(folder: Path, *arguments: str) -> subprocess.Popen:
    """The worker, its stdout read line by line here, its stderr appended to `worker.log` beside its folder."""
    with open(folder.with_name("worker.log"), "ab") as log:
        return subprocess.Popen([sys.executable, str(WORKER), str(folder), *arguments], stdout=subprocess.PIPE, stderr=log)


def worker_log(folder: Path) -> str:
    return folder.with_name("worker.log").read_text(errors="replace")[-3000:]


@pytest.fixture
def server():
    server = Server()
    server.start()
    yield server
    server.kill()


@pytest.mark.slow
def test_a_register_killed_200_times_in_1000_sales_loses_no_receipt_and_doubles_none(
        tmp_path, back_office, api, point, activation_code, server, db):
    # given a point with three products and a cashier, and a register bound to it over HTTP
    for n, code in enumerate(("4600000000022", "4600000000039", "4600000000046")):
        back_office("post", "/products", {"name": f"Товар {n}", "price": f"{50 + n}.90", "vat": 2, "barcodes": [code]})
    back_office("post", "/api/v1/cashiers", {"name": "Анна", "pin": "1234", "point_ids": [point["id"]],
                                             "can_cash_drawer": True, "can_close_shift": True})
    folder = tmp_path / "register"
    bind(folder, server=server.url, code=activation_code, name="Касса 1").close()
    chance = random.Random(20261127)

    # when the register sells, killed at random moments 200 times, the server down now and then
    kills, down = 0, False
    while True:
        worker = run_worker(folder, str(SALES))
        ready = worker.stdout.readline()
        assert ready == b"ready\n", worker_log(folder)
        if kills == KILLS:
            break
        time.sleep(chance.uniform(0, 0.15))
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        worker.stdout.close()
        kills += 1
        if chance.random() < 0.1:
            server.kill() if not down else server.start()
            down = not down
    with Journal.open(folder / "register.db") as journal:
        sold_under_fire = journal.sales_count()  # about what the killed runs sold (checked below)
    if down:
        server.start()
    out = worker.stdout.read()  # through the reader that read "ready": it may hold "done" already
    worker.wait(timeout=600)
    assert worker.returncode == 0 and out == b"done\n", worker_log(folder)
    # and once everything is uploaded
    flush = run_worker(folder, "--flush")
    assert flush.wait(timeout=120) == 0, worker_log(folder)

    # then the drive's numbering has no gap, and the OFD acknowledged every document
    with SoftwareDrive.open(folder / "drive.db") as drive:
        count = drive.audit()
        assert drive.status().unsent_count == 0
        forms = {number: tlv.decode_document(data)[0] for number, data in drive.documents()}
        serial = drive.serial
    receipts = {number for number, form in forms.items() if form == FormCode.RECEIPT}
    assert len(receipts) >= SALES
    # and the server holds every document of the drive exactly once, all accepted
    with db.transaction() as session:
        rows = session.execute(select(SalesDocument.id, SalesDocument.kind, SalesDocument.status, SalesDocument.fiscal_number)
                               .where(SalesDocument.fn_serial == serial)).all()
    assert sorted(row.fiscal_number for row in rows) == list(range(1, count + 1))
    assert {row.status for row in rows} == {"accepted"}
    assert {row.fiscal_number for row in rows if row.kind == "receipt"} == receipts
    # and every sale the buyer walked away with is among them
    completed = {uuid.UUID(line) for line in (folder / "completed").read_text().split()}
    on_server = {row.id for row in rows if row.kind == "receipt"}
    assert completed <= on_server
    assert kills == KILLS and sold_under_fire >= SALES // 3
