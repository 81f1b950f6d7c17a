"""The software fiscal drive: numbering, shifts, signing, counters, the OFD queue and its rules."""

from __future__ import annotations

import inspect
import sqlite3
from datetime import UTC, date, datetime, timedelta

import pytest

from openkassa.fiscal import drive as drive_module
from openkassa.fiscal.arithmetic import vat_of
from openkassa.fiscal.device import FiscalDevice, ShiftState
from openkassa.fiscal.documents import CorrectionReceipt, Item, Receipt, decode
from openkassa.fiscal.drive import SoftwareDrive, verify
from openkassa.fiscal.enums import FormCode, SettlementType, TaxSystem, VatRate
from openkassa.fiscal.errors import (
    DriveBusy,
    DriveClosed,
    DriveError,
    InvalidDocument,
    InvalidRequest,
    NotEnoughCash,
    NotRegistered,
    OfdWaitExceeded,
    ResourceExhausted,
    ShiftAlreadyOpen,
    ShiftClosed,
    ShiftExpired,
    TimeWentBackwards,
)
from openkassa.fiscal.ofd import EmulatedOfd
from fiscal.drives import register

SERIAL = "9999000000000042"
SECRET = b"s" * 32
START = datetime(2026, 11, 27, 9, 0, 0)


class Clock:
    """The till's local time, moved by the test."""

    def __init__(self, now: datetime = START):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def sale(price: int = 10_000, quantity: int = 1_000, *, cash: int | None = None, settlement=SettlementType.SALE,
         tax_system=TaxSystem.USN_INCOME, vat=VatRate.NO_VAT, name: str = "Молоко 3,2%") -> Receipt:
    amount = price * quantity // 1000
    item = Item(name=name, price=price, quantity=quantity, amount=amount, vat=vat, vat_amount=vat_of(amount, vat))
    cash = amount if cash is None else cash
    return Receipt(settlement=settlement, tax_system=tax_system, items=(item,), total=amount, cash=cash,
                   electronic=amount - cash, cashier="Иванова А.")


def correction(amount: int = 5_000) -> CorrectionReceipt:
    item = Item(name="Коррекция выручки", price=amount, quantity=1_000, amount=amount, vat=VatRate.NO_VAT, vat_amount=0)
    return CorrectionReceipt(settlement=SettlementType.SALE, tax_system=TaxSystem.USN_INCOME, items=(item,), total=amount,
                             cash=amount, corrected_date=date(2026, 11, 26))


def archived_numbers(path) -> list[int]:
    with sqlite3.connect(path) as db:
        return [number for (number,) in db.execute("SELECT number FROM documents ORDER BY number")]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def path(tmp_path):
    return tmp_path / "fn.sqlite3"


@pytest.fixture
def blank(path, clock):
    with SoftwareDrive.create(path, serial=SERIAL, secret=SECRET, clock=clock) as drive:
        yield drive


@pytest.fixture
def drive(blank):
    register(blank)
    return blank


@pytest.fixture
def selling(drive):
    drive.open_shift(cashier="Иванова А.")
    return drive


# --- a new drive -------------------------------------------------------------------------------------


def test_a_new_drive_has_a_16_digit_emulator_serial_and_is_not_registered(tmp_path):
    with SoftwareDrive.create(tmp_path / "fn") as drive:
        status = drive.status()

    assert len(drive.serial) == 16 and drive.serial.isdigit() and drive.serial.startswith("9999")
    assert not status.registered and status.last_document_number == 0 and status.shift_state is ShiftState.CLOSED


def test_a_drive_that_is_not_registered_signs_nothing(blank):
    with pytest.raises(NotRegistered):
        blank.open_shift()
    assert blank.status().last_document_number == 0


def test_creating_a_drive_over_an_existing_file_is_refused(path, drive):
    with pytest.raises(FileExistsError):
        SoftwareDrive.create(path)


def test_the_drive_offers_every_method_of_a_fiscal_device_with_its_signature():
    interface = {name for name in vars(FiscalDevice) if not name.startswith("_")}

    assert interface == {"status", "open_shift", "receipt", "correction", "cash_in", "cash_out", "x_report",
                         "settlement_status_report", "close_shift", "close_drive", "exchange"}
    for name in interface:
        assert inspect.signature(getattr(SoftwareDrive, name)) == inspect.signature(getattr(FiscalDevice, name)), name


# --- registration and numbering -----------------------------------------------------------------------


def test_registration_is_document_1_and_carries_the_drives_key_resource(blank):
    report = register(blank)

    assert report.stamp.document_number == 1 and report.stamp.shift is None
    assert report.stamp.fn_serial == SERIAL and report.stamp.date_time == START
    assert report.key_resource_days == drive_module.KEY_VALIDITY_DAYS
    assert blank.status().registration == report
    with pytest.raises(DriveError, match="registered already"):
        register(blank)


def test_documents_are_numbered_without_gaps_and_receipts_per_shift(drive, clock):
    opened = drive.open_shift()
    first, second = drive.receipt(sale()), drive.receipt(sale())
    closed = drive.close_shift()
    reopened = drive.open_shift()
    third = drive.receipt(sale())

    assert [d.stamp.document_number for d in (opened, first, second, closed, reopened, third)] == [2, 3, 4, 5, 6, 7]
    assert [d.stamp.shift for d in (opened, first, second, closed, reopened, third)] == [1, 1, 1, 1, 2, 2]
    assert [d.stamp.receipt_number for d in (first, second, third)] == [1, 2, 1]
    assert drive.audit() == 7


def test_a_receipt_comes_back_signed_and_its_bytes_decode_to_it(selling):
    signed = selling.receipt(sale(12_345))

    data = selling.document(signed.stamp.document_number)
    assert decode(data) == signed and signed.to_bytes() == data
    assert verify(SECRET, data)
    assert not verify(b"another drive's secret", data)
    assert signed.stamp.fiscal_sign[1] == 0x04
    assert signed.stamp.fiscal_sign_printed == int.from_bytes(signed.stamp.fiscal_sign[2:6], "big")


def test_a_refused_receipt_writes_nothing(path, selling):
    with pytest.raises(InvalidDocument) as refused:
        selling.receipt(sale(tax_system=TaxSystem.OSN, vat=VatRate.VAT_20))
    assert refused.value.tag == 1055
    with pytest.raises(InvalidRequest):
        selling.receipt(correction())  # a correction is not a receipt
    with pytest.raises(InvalidRequest):
        selling.receipt(sale(), request_id=42)

    assert archived_numbers(path) == [1, 2]
    assert selling.receipt(sale()).stamp.document_number == 3


def test_a_failure_while_storing_leaves_no_trace_and_no_gap(path, selling, monkeypatch):
    def broken(document):
        raise OSError("disk unplugged")

    with monkeypatch.context() as patched:
        patched.setattr(drive_module, "_settlement_row", broken)  # fails after the document's row is written
        with pytest.raises(OSError):
            selling.receipt(sale())

    assert archived_numbers(path) == [1, 2]
    assert selling.receipt(sale()).stamp.document_number == 3
    assert selling.audit() == 3


def test_an_interruption_right_after_the_commit_keeps_the_drive_consistent(selling, monkeypatch):
    with monkeypatch.context() as patched:
        patched.setattr(drive_module._State, "apply", lambda state, document: (_ for _ in ()).throw(KeyboardInterrupt))
        with pytest.raises(KeyboardInterrupt):
            selling.receipt(sale(), request_id="sale-1")

    assert selling.status().receipt_number == 1  # committed, so it counts
    assert selling.receipt(sale(), request_id="sale-1").stamp.document_number == 3
    assert selling.receipt(sale()).stamp.receipt_number == 2
    assert selling.audit() == 4


def test_the_archive_itself_refuses_a_document_out_of_order(path, selling):
    with sqlite3.connect(path) as db, pytest.raises(sqlite3.IntegrityError, match="out of order"):
        db.execute("INSERT INTO documents (number, form, signed_at, data, pending) VALUES (7, 3, '2026-11-27', x'00', 1)")


# --- the shift ----------------------------------------------------------------------------------------


def test_selling_needs_an_open_shift_and_a_shift_opens_once(drive):
    with pytest.raises(ShiftClosed):
        drive.receipt(sale())
    drive.open_shift()
    with pytest.raises(ShiftAlreadyOpen):
        drive.open_shift()


def test_after_24_hours_the_shift_only_closes(selling, clock):
    clock.advance(hours=24)
    selling.receipt(sale())
    clock.advance(seconds=1)

    assert selling.status().shift_state is ShiftState.EXPIRED
    with pytest.raises(ShiftExpired) as refused:
        selling.receipt(sale())
    assert refused.value.fn_code == 0x16
    report = selling.close_shift()
    assert report.receipts_count == 1
    assert selling.status().shift_state is ShiftState.CLOSED


def test_a_clock_gone_back_more_than_five_minutes_is_refused(selling, clock):
    clock.advance(minutes=-4)
    selling.receipt(sale())
    clock.advance(minutes=-2)

    with pytest.raises(TimeWentBackwards) as refused:
        selling.receipt(sale())
    assert refused.value.fn_code == 0x17


def test_the_close_report_adds_up_the_shift_and_the_drives_life(selling):
    selling.receipt(sale(10_000))  # cash
    selling.receipt(sale(20_000, cash=5_000))  # partly by card
    selling.receipt(sale(3_000, settlement=SettlementType.SALE_RETURN))
    selling.correction(correction(700))
    first = selling.close_shift()
    selling.open_shift()
    selling.receipt(sale(1_000))
    second = selling.close_shift()

    totals = first.shift_totals
    assert first.receipts_count == 4 and totals.count == 4
    assert first.documents_count == 6  # the open report, four receipts, the close report
    assert (totals.sale.count, totals.sale.total, totals.sale.cash, totals.sale.electronic) == (2, 30_000, 15_000, 15_000)
    assert totals.sale.turnover_no_vat == 30_000
    assert (totals.sale_return.count, totals.sale_return.total) == (1, 3_000)
    assert (totals.corrections.count, totals.corrections.sale.total) == (1, 700)
    assert first.lifetime_totals == totals
    assert second.shift_totals.count == 1 and second.lifetime_totals.count == 5
    assert second.lifetime_totals.sale.total == 31_000


def test_vat_goes_to_the_counter_of_its_rate(blank):
    register(blank, tax_systems=TaxSystem.OSN)
    blank.open_shift()
    for vat in (VatRate.VAT_20, VatRate.VAT_10, VatRate.VAT_20_120, VatRate.VAT_10_110, VatRate.VAT_0, VatRate.NO_VAT, VatRate.VAT_22):
        blank.receipt(sale(12_000, tax_system=TaxSystem.OSN, vat=vat))

    sales = blank.close_shift().shift_totals.sale

    assert (sales.vat_20, sales.vat_10, sales.vat_20_120, sales.vat_10_110) == (2_000, 1_091, 2_000, 1_091)
    assert (sales.turnover_vat_0, sales.turnover_no_vat, sales.total) == (12_000, 12_000, 84_000)


def test_a_receipt_that_would_overflow_the_lifetime_counters_is_refused(selling, monkeypatch):
    monkeypatch.setattr(drive_module, "COUNTER_MAX", 25_000)
    selling.receipt(sale(20_000))

    with pytest.raises(ResourceExhausted):
        selling.receipt(sale(5_001))
    assert selling.receipt(sale(5_000)).total == 5_000


# --- the same request twice ---------------------------------------------------------------------------


def test_a_retried_request_returns_the_signed_document_instead_of_a_second_one(selling):
    first = selling.receipt(sale(), request_id="sale-1")

    again = selling.receipt(sale(), request_id="sale-1")

    assert again == first
    assert selling.status().last_document_number == first.stamp.document_number
    with pytest.raises(InvalidRequest):
        selling.receipt(sale(99_900), request_id="sale-1")
    with pytest.raises(InvalidRequest):
        selling.cash_in(1_000, request_id="sale-1")


def test_a_retried_receipt_with_characters_cp866_lacks_is_recognised(selling):
    first = selling.receipt(sale(name="Сыр «Ŀa Ferme» — 1 ₽\x1b"), request_id="sale-1")

    assert selling.receipt(sale(name="Сыр «Ŀa Ferme» — 1 ₽\x1b"), request_id="sale-1") == first
    assert decode(selling.document(3)) == first and first.items[0].name == 'Сыр "L.a Ferme" - 1 р.?'


def test_a_retried_request_is_answered_even_after_the_shift_closed(selling):
    first = selling.receipt(sale(), request_id="sale-1")
    selling.close_shift()

    assert selling.receipt(sale(), request_id="sale-1") == first


# --- persistence ----------------------------------------------------------------------------------------


def test_a_reopened_drive_goes_on_where_it_stopped(path, selling, clock):
    selling.receipt(sale())
    selling.close()

    with SoftwareDrive.open(path, clock=clock) as reopened:
        status = reopened.status()
        assert (status.shift, status.shift_state, status.receipt_number, status.last_document_number) == (1, ShiftState.OPEN, 1, 3)
        assert reopened.receipt(sale()).stamp.receipt_number == 2


def test_one_process_holds_the_drive_at_a_time(path, drive):
    with pytest.raises(DriveBusy):
        SoftwareDrive.open(path)


@pytest.mark.parametrize(("original", "forged", "found"), [
    ("Молоко".encode("cp866"), "Малоко".encode("cp866"), "wrong fiscal sign"),
    (b"\x10\x27", b"\x11\x27", "does not decode"),  # the item's 10 000 kopecks no longer add up
])
def test_the_audit_finds_a_tampered_document(path, selling, original, forged, found):
    signed = selling.receipt(sale(10_000))
    data = signed.to_bytes()
    assert original in data
    with sqlite3.connect(path) as db:
        db.execute("UPDATE documents SET data = ? WHERE number = 3", (data.replace(original, forged, 1),))

    with pytest.raises(DriveError, match=f"document 3 .*{found}"):
        selling.audit()


# --- the OFD --------------------------------------------------------------------------------------------


def test_documents_await_the_ofd_until_it_acknowledges_them(selling, clock):
    selling.receipt(sale())
    status = selling.status()
    assert (status.unsent_count, status.first_unsent_number, status.first_unsent_date) == (3, 1, START)

    ofd = EmulatedOfd(b"ofd", clock=lambda: datetime(2026, 11, 27, 6, 5, tzinfo=UTC))
    assert selling.exchange(ofd) == 3

    assert ofd.received(SERIAL) == [1, 2, 3]
    assert selling.status().unsent_count == 0
    assert selling.exchange(ofd) == 0


def test_an_unacknowledged_document_raises_the_timeout_flag_after_two_days(drive, clock):
    clock.advance(days=2, minutes=1)

    report = drive.open_shift()

    assert report.flags.ofd_timeout and drive.status().flags.ofd_timeout


def test_after_30_days_without_the_ofd_the_drive_only_closes_the_shift(selling, clock):
    clock.advance(days=30, minutes=1)
    with pytest.raises(OfdWaitExceeded) as refused:
        selling.settlement_status_report()
    assert refused.value.fn_code == 0x15
    assert selling.status().ofd_blocked

    report = selling.close_shift()
    assert report.unsent_count == 2 and report.first_unsent_date == START

    selling.exchange(EmulatedOfd(b"ofd"))
    assert not selling.status().ofd_blocked
    selling.open_shift()


def test_an_offline_register_queues_nothing_for_the_ofd(blank):
    register(blank, offline=True, ofd_inn=None, ofd_name=None)
    blank.open_shift()

    assert blank.status().unsent_count == 0


def test_the_settlement_status_report_names_what_awaits_the_ofd(selling):
    selling.receipt(sale(10_000))
    selling.receipt(sale(4_000, settlement=SettlementType.SALE_RETURN))

    report = selling.settlement_status_report()

    assert (report.unsent_count, report.first_unsent_number, report.first_unsent_date) == (4, 1, START)
    assert report.unsent_totals.count == 2
    assert report.unsent_totals.sale.total == 10_000 and report.unsent_totals.sale_return.total == 4_000
    assert report.lifetime_totals.count == 2


# --- cash and the X report --------------------------------------------------------------------------------


def test_cash_in_and_out_move_the_drawer_without_a_fiscal_document(selling):
    selling.cash_in(50_000, cashier="Иванова А.")
    selling.receipt(sale(10_000))
    selling.receipt(sale(3_000, settlement=SettlementType.SALE_RETURN))
    selling.cash_out(20_000)
    number = selling.status().last_document_number

    report = selling.x_report()

    assert (report.cash_in, report.cash_out, report.cash_in_drawer) == (50_000, 20_000, 37_000)
    assert report.receipts_count == 2 and report.totals.sale.total == 10_000
    assert selling.status().last_document_number == number
    with pytest.raises(NotEnoughCash):
        selling.cash_out(37_001)
    with pytest.raises(InvalidRequest):
        selling.cash_in(0)


def test_a_retried_cash_operation_is_recorded_once(selling):
    first = selling.cash_in(1_000, request_id="in-1")
    assert selling.cash_in(1_000, request_id="in-1") == first
    assert selling.x_report().cash_in == 1_000


# --- the drive's resources and its end -------------------------------------------------------------------


def test_expiring_keys_raise_the_flags_and_then_only_closing_is_allowed(path, clock):
    with SoftwareDrive.create(path, clock=clock, key_validity_days=2) as drive:
        register(drive)
        report = drive.open_shift()
        assert report.flags.keys_expiring and report.flags.replace_urgently
        clock.advance(days=2)
        with pytest.raises(ResourceExhausted):
            drive.settlement_status_report()
        drive.close_shift()


def test_a_full_archive_raises_the_flag_and_refuses_new_receipts(path, clock):
    with SoftwareDrive.create(path, clock=clock, capacity=4) as drive:
        register(drive)
        drive.open_shift()
        drive.receipt(sale())
        drive.receipt(sale())
        assert drive.status().flags.memory_full
        with pytest.raises(ResourceExhausted):
            drive.receipt(sale())
        assert drive.close_shift().stamp.document_number == 5


def test_a_closed_drive_signs_nothing(selling):
    with pytest.raises(ShiftAlreadyOpen):
        selling.close_drive()
    selling.close_shift()

    report = selling.close_drive(cashier="Иванова А.")

    assert report.form is FormCode.DRIVE_CLOSE and report.stamp.shift == 1
    assert selling.status().closed
    with pytest.raises(DriveClosed):
        selling.open_shift()
