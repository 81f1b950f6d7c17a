"""A drive killed at random moments never reuses a number, never loses or double-signs a document."""

from __future__ import annotations

import random
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from openkassa.fiscal.documents import Receipt, decode
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
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        rows = db.execute("SELECT request_id, number, shift, receipt_number, data FROM documents WHERE request_id IS NOT NULL ORDER BY number").fetchall()
        cash = [request_id for (request_id,) in db.execute("SELECT request_id FROM cash_operations ORDER BY id")]
    assert [request_id for request_id, *_ in rows] == [f"sale-{k}" for k in range(len(rows))]
    assert cash == [f"in-{k}" for k in range(0, 10 * len(cash), 10)]
    last: dict[int, int] = {}
    for _, number, shift, receipt_number, data in rows:
        assert receipt_number == last.get(shift, 0) + 1, f"receipt {number} breaks the numbering of shift {shift}"
        last[shift] = receipt_number
    sample = decode(rows[-1][4]) if rows else None
    assert sample is None or isinstance(sample, Receipt)
