"""The interface the register app talks to: a fiscal device (a cash register with its fiscal drive).

`FiscalDevice` is what every device offers — the software drive (`drive.SoftwareDrive`) is the
default one; a real register can be plugged in behind the same methods (`atol.py` already turns our
drafts into ATOL JSON tasks). The register builds drafts (`documents.Receipt` without a stamp); the
device numbers and signs them and returns them complete.

Cash in / cash out and the X report are not fiscal documents: the device records them, they take
no document number (1040) and nothing of them goes to the OFD.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Protocol

from openkassa.fiscal.documents import (
    Counters,
    CorrectionReceipt,
    DriveCloseReport,
    DriveFlags,
    Receipt,
    RegistrationReport,
    SettlementStatusReport,
    ShiftCloseReport,
    ShiftOpenReport,
)
from openkassa.fiscal.ofd import OfdLink


class ShiftState(Enum):
    """Where the shift stands: closed → open → (after 24 hours) expired → closed (reference §5)."""

    CLOSED = "closed"
    OPEN = "open"
    EXPIRED = "expired"  # open for more than 24 hours: only closing it is allowed

    @property
    def label(self) -> str:
        return {"closed": "Смена закрыта", "open": "Смена открыта", "expired": "Смена превысила 24 часа"}[self.value]


@dataclass(frozen=True)
class DriveStatus:
    """What a device reports about its fiscal drive, read without forming a document."""

    fn_serial: str  # 1041
    registration: RegistrationReport | None  # None until registered
    closed: bool  # the drive close report (form 6) was formed
    last_document_number: int  # 1040 of the last document, 0 before registration
    last_document_at: datetime | None
    shift: int  # 1038 of the current or the last shift, 0 before the first
    shift_state: ShiftState
    shift_opened_at: datetime | None  # when the current shift opened; None when closed
    receipt_number: int  # 1042 of the last receipt of the current shift, 0 when none
    unsent_count: int  # 1097
    first_unsent_number: int | None  # 1116
    first_unsent_date: datetime | None  # 1098
    ofd_blocked: bool  # the oldest unsent document is older than 30 days: no new documents
    key_resource_days: int  # 1213
    flags: DriveFlags  # 1050–1053

    @property
    def registered(self) -> bool:
        return self.registration is not None


@dataclass(frozen=True)
class CashOperation:
    """Внесение or выплата: cash put into or taken out of the drawer during a shift (not fiscal)."""

    shift: int
    kind: str  # "in" or "out"
    amount: int  # kopecks, > 0
    made_at: datetime
    cashier: str | None = None


@dataclass(frozen=True)
class XReport:
    """The X report: the current shift's totals so far, printed without closing it (not fiscal)."""

    shift: int
    opened_at: datetime
    made_at: datetime
    receipts_count: int  # the last 1042 so far
    totals: Counters  # what the close report's 1194 would hold now
    cash_in: int  # Σ внесений
    cash_out: int  # Σ выплат
    cash_in_drawer: int  # cash received − cash paid out by receipts, plus cash in − cash out
    unsent_count: int


class FiscalDevice(Protocol):
    """A cash register with a fiscal drive. Every method that forms a document returns it signed.

    `request_id` makes a call idempotent: the register passes the UUID it gave the sale, and if the
    device already formed a document for it (say the answer was lost in a crash) it returns that
    document instead of signing a second one.
    """

    def status(self) -> DriveStatus: ...

    def open_shift(self, cashier: str | None = None, cashier_inn: str | None = None) -> ShiftOpenReport: ...

    def receipt(self, draft: Receipt, request_id: str | None = None) -> Receipt: ...

    def correction(self, draft: CorrectionReceipt, request_id: str | None = None) -> CorrectionReceipt: ...

    def cash_in(self, amount: int, cashier: str | None = None, request_id: str | None = None) -> CashOperation: ...

    def cash_out(self, amount: int, cashier: str | None = None, request_id: str | None = None) -> CashOperation: ...

    def x_report(self) -> XReport: ...

    def settlement_status_report(self) -> SettlementStatusReport: ...

    def close_shift(self, cashier: str | None = None, cashier_inn: str | None = None) -> ShiftCloseReport: ...

    def close_drive(self, cashier: str | None = None, cashier_inn: str | None = None) -> DriveCloseReport: ...

    def exchange(self, link: OfdLink) -> int:
        """Deliver the documents awaiting the OFD through `link`; return how many it acknowledged.

        A device that talks to its OFD by itself returns 0.
        """
        ...
