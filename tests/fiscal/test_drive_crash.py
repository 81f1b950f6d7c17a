"""A drive killed at random moments never reuses a number, never loses or double-signs a document."""

from __future__ import annotations

import random
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from openkassa.fiscal.documents import decode
from openkassa.fiscal.drive import SoftwareDrive
from fiscal.drives import register

WORKER = Path(__file__).with_name("crash_worker.py")
KILLS = 200


@pytest.mark.slow
def test_a_drive_killed_200_times_keeps_a_whole_archive(tmp_path):
    # Given a registered drive
    path = tmp_path / "fn.sqlite3"
    with SoftwareDrive.create(path) as drive:
        register(drive)
    chance = random.Random(54)
    sizes = []
    for _ in range(KILLS):
        # When a process selling on it is killed with SIGKILL at a random moment
        worker = subprocess.Popen([sys.executable, str(WORKER), str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert worker.stdout.readline() == b"ready\n", worker.communicate()[1].decode()
        time.sleep(chance.uniform(0, 0.15))
        worker.kill()
        _, errors = worker.communicate()
        assert worker.returncode == -9, errors.decode()
        # Then the drive opens again with documents 1..N, each readable and signed by it
        with SoftwareDrive.open(path) as drive:
            sizes.append(drive.audit())
        assert_sales_signed_once_in_order(path)
    assert sizes == sorted(sizes) and sizes[-1] > sizes[0] + KILLS  # it kept selling between kills


def assert_sales_signed_once_in_order(path: Path) -> None:
    """Sales 0..k each signed once, in order; receipts numbered 1.. per shift; each shift opened once
    and closed with the right 1118 and 1111."""
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        rows = db.execute("SELECT request_id, number, shift, receipt_number, data FROM documents WHERE request_id IS NOT NULL ORDER BY number").fetchall()
        cash = [request_id for (request_id,) in db.execute("SELECT request_id FROM cash_operations ORDER BY id")]
        reports = db.execute("SELECT form, number, shift, data FROM documents WHERE form IN (2, 5) ORDER BY number").fetchall()
    assert [request_id for request_id, *_ in rows] == [f"sale-{k}" for k in range(len(rows))]
    assert cash == [f"in-{k}" for k in range(0, 10 * len(cash), 10)]
    last: dict[int, int] = {}
    for _, number, shift, receipt_number, _ in rows:
        assert receipt_number == last.get(shift, 0) + 1, f"receipt {number} breaks the numbering of shift {shift}"
        last[shift] = receipt_number
    opened: dict[int, int] = {}
    for form, number, shift, data in reports:
        if form == 2:
            assert shift not in opened and shift == len(opened) + 1, f"shift {shift} opened twice or out of turn"
            opened[shift] = number
        else:
            close = decode(data)
            assert close.receipts_count == last.get(shift, 0), f"1118 of shift {shift}"
            assert close.documents_count == number - opened[shift] + 1, f"1111 of shift {shift}"
