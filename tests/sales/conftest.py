"""A till for the sales tests: a register bound to a point, with a registered software fiscal drive
whose key the server knows, that sells and uploads the way the register app does."""

from __future__ import annotations

import base64
import itertools
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from openkassa.fiscal.drive import SoftwareDrive
from openkassa.fiscal.enums import SettlementType, TaxSystem, VatRate
from openkassa.protocol import documents as protocol
from openkassa.register import sale
from fiscal.drives import register as register_drive


class Till:
    """A bound register with its drive: makes documents as the register app does, uploads them."""

    def __init__(self, register, drive: SoftwareDrive):
        self.register = register
        self.drive = drive
        self.shift = 0
        self._clock = itertools.count()

    def call(self, method: str, path: str, json=None, token: str | None = None):
        return self.register.client.request(method, f"/api/device/v1{path}", json=json,
                                            headers={"Authorization": f"Bearer {token or self.register.token}"})

    def tell_key(self):
        key = base64.b64encode(self.drive.key()).decode()
        return self.call("PUT", "/drive", {"fn_serial": self.drive.serial, "key": key})

    def now(self) -> datetime:
        return datetime(2026, 11, 27, 9, 0, tzinfo=UTC) + timedelta(seconds=next(self._clock))

    def open_shift(self, cash: int = 0) -> protocol.ShiftOpen:
        report = self.drive.open_shift(cashier="Иванова А.")
        self.shift = report.stamp.shift
        return protocol.ShiftOpen(id=uuid.uuid4(), made_at=self.now(), shift=self.shift, cash=cash, fiscal=report.to_bytes())

    def close_shift(self, counted_cash: int = 0) -> protocol.ShiftClose:
        report = self.drive.close_shift(cashier="Иванова А.")
        return protocol.ShiftClose(id=uuid.uuid4(), made_at=self.now(), shift=report.stamp.shift,
                                   counted_cash=counted_cash, fiscal=report.to_bytes())

    def sell(self, *lines: sale.CartLine, tenders: list[sale.Tender] | None = None, receipt_discount: int = 0,
             settlement: SettlementType = SettlementType.SALE, cashier_id: uuid.UUID | None = None) -> protocol.Receipt:
        lines = list(lines) or [sale.CartLine(product_id=None, name="Хлеб", price=4500, vat=VatRate.VAT_10)]
        due = sum(line.price * line.quantity // 1000 for line in lines)
        closed = sale.close(lines, tenders or [sale.Tender("cash", due)], tax_system=TaxSystem.USN_INCOME,
                            settlement=settlement, receipt_discount=receipt_discount, cashier="Иванова А.")
        signed = self.drive.receipt(closed.draft)
        return sale.document(closed, signed, id=uuid.uuid4(), made_at=self.now(), shift=self.shift, cashier_id=cashier_id)

    def upload(self, *documents, token: str | None = None):
        body = [d.model_dump(mode="json") if isinstance(d, protocol.BaseModel) else d for d in documents]
        return self.call("POST", "/documents", {"documents": body}, token=token)

    def results(self, *documents) -> list[dict]:
        response = self.upload(*documents)
        assert response.status_code == 200, response.text
        return response.json()["results"]


@pytest.fixture
def new_till(tmp_path, point, new_register, fresh_code):
    """A further till bound to a point (by default `point`), its drive's key told to the server."""
    opened = []

    def make(point_id=None, *, tell_key: bool = True) -> Till:
        register = new_register()
        assert register.activate(fresh_code(point_id or point["id"])).status_code == 201
        drive = SoftwareDrive.create(tmp_path / f"drive-{len(opened)}.db")
        register_drive(drive)
        opened.append(drive)
        till = Till(register, drive)
        if tell_key:
            assert till.tell_key().status_code == 200
        return till

    yield make
    for drive in opened:
        drive.close()


@pytest.fixture
def till(new_till) -> Till:
    return new_till()
