"""The receipt's QR string (1196): built as the reference writes it, read back, refused when malformed."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openkassa.fiscal import qr
from openkassa.fiscal.arithmetic import vat_of
from openkassa.fiscal.documents import DriveStamp, Item, Receipt
from openkassa.fiscal.enums import SettlementType, TaxSystem, VatRate
from openkassa.fiscal.errors import InvalidDocument
from openkassa.fiscal.qr import QrData

MOMENT = datetime(2026, 11, 27, 10, 15, 30)
FN = "9999078900012345"


def data(**overrides) -> QrData:
    values = dict(date_time=MOMENT, total=123_450, fn_serial=FN, document_number=7,
                  fiscal_sign=2_853_205_313, settlement=SettlementType.SALE)
    return QrData(**values | overrides)


def signed_receipt(stamp: DriveStamp | None) -> Receipt:
    bread = Item(name="Хлеб", price=5_000, quantity=2_000, amount=10_000, vat=VatRate.VAT_20,
                 vat_amount=vat_of(10_000, VatRate.VAT_20))
    return Receipt(stamp=stamp, settlement=SettlementType.SALE_RETURN, tax_system=TaxSystem.OSN,
                   items=(bread,), total=10_000, cash=10_000)


def test_the_worked_example_is_written_exactly_as_the_reference_shows():
    assert qr.build(data()) == "t=20261127T1015&s=1234.50&fn=9999078900012345&i=7&fp=2853205313&n=1"


def test_kopecks_below_ten_keep_their_leading_zero():
    assert "&s=12.05&" in qr.build(data(total=1_205))
    assert "&s=0.00&" in qr.build(data(total=0))


def test_a_signed_receipt_gives_its_time_total_drive_number_and_printed_fp():
    stamp = DriveStamp(fn_serial=FN, registration_number="0000000001012345", user_inn="7707083893",
                       user="ООО Ромашка", address="г. Москва", place="Магазин", document_number=42,
                       date_time=MOMENT, fiscal_sign=bytes([0x21, 0x04, 0xAA, 0x10, 0x75, 0x41]),
                       shift=3, receipt_number=2)
    text = qr.build(qr.of_receipt(signed_receipt(stamp)))
    assert text == "t=20261127T1015&s=100.00&fn=9999078900012345&i=42&fp=2853205313&n=2"


def test_a_draft_receipt_has_no_qr_code():
    with pytest.raises(InvalidDocument) as refused:
        qr.of_receipt(signed_receipt(None))
    assert refused.value.tag == 1196


def test_seconds_keys_in_any_order_and_unknown_keys_are_read():
    parsed = qr.parse("n=1&fp=2853205313&ofd=x&i=7&fn=9999078900012345&s=1234.50&t=20261127T101530")
    assert parsed == data()


@settings(max_examples=200, deadline=None)
@given(
    moment=st.datetimes(datetime(1970, 1, 2), datetime(2106, 2, 6)).map(lambda m: m.replace(second=0, microsecond=0)),
    total=st.integers(0, 2**48 - 1),
    fn=st.text("0123456789", min_size=16, max_size=16),
    number=st.integers(1, 2**32 - 1),
    fp=st.integers(0, 2**32 - 1),
    settlement=st.sampled_from(SettlementType),
)
def test_what_is_built_reads_back_the_same(moment, total, fn, number, fp, settlement):
    original = QrData(moment, total, fn, number, fp, settlement)
    assert qr.parse(qr.build(original)) == original


@pytest.mark.parametrize("text", [
    "",
    "t=20261127T1015&s=1234.50&fn=9999078900012345&i=7&fp=2853205313",  # no n
    "t=20261127T1015&s=1234.5&fn=9999078900012345&i=7&fp=2853205313&n=1",  # one decimal
    "t=20261127T1015&s=1234,50&fn=9999078900012345&i=7&fp=2853205313&n=1",  # a comma
    "t=20261127T1015&s=-1.00&fn=9999078900012345&i=7&fp=2853205313&n=1",
    "t=2026-11-27T10:15&s=1234.50&fn=9999078900012345&i=7&fp=2853205313&n=1",
    "t=20261327T1015&s=1234.50&fn=9999078900012345&i=7&fp=2853205313&n=1",  # month 13
    "t=20261127T1015&s=1234.50&fn=999907890001234&i=7&fp=2853205313&n=1",  # 15 digits
    "t=20261127T1015&s=1234.50&fn=9999078900012345&i=0&fp=2853205313&n=1",  # no document 0
    "t=20261127T1015&s=1234.50&fn=9999078900012345&i=7&fp=4294967296&n=1",  # over 32 bits
    "t=20261127T1015&s=1234.50&fn=9999078900012345&i=٧&fp=2853205313&n=1",  # not ASCII digits
    "t=20261127T1015&s=1234.50&fn=9999078900012345&i=7&fp=2853205313&n=5",
    "t=20261127T1015&s=1234.50&fn=9999078900012345&i=7&fp=2853205313&n=1&n=2",
    "t=20261127T1015&s=1234.50&fn=9999078900012345&i=7&fp&n=1",
])
def test_a_malformed_string_is_refused_on_1196(text):
    with pytest.raises(InvalidDocument) as refused:
        qr.parse(text)
    assert refused.value.tag == 1196
