"""The receipt's QR code (1196): its string built as the reference writes it, read back, refused when
malformed; the code drawn as SVG, PNG and half-block text that reads back as the same modules."""

from __future__ import annotations

import struct
from datetime import datetime
from xml.etree import ElementTree

import pytest
import segno
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


# --- the code drawn -----------------------------------------------------------------------------------

RECEIPT_QR = "t=20261127T1015&s=234.85&fn=9999078900012345&i=7&fp=2853205313&n=1"
HALVES = {"█": (1, 1), "▀": (1, 0), "▄": (0, 1), " ": (0, 0)}


def modules_of(art: str) -> list[tuple[int, ...]]:
    """What a camera sees in the half blocks: each line back into its top and bottom module rows."""
    rows: list[tuple[int, ...]] = []
    for line in art.split("\n"):
        pairs = [HALVES[char] for char in line]
        rows += [tuple(top for top, _ in pairs), tuple(bottom for _, bottom in pairs)]
    return rows


def segnos_code(text: str) -> list[tuple[int, ...]]:
    """The modules segno draws for the same string: a full QR code, error correction M, quiet zone 4."""
    return [tuple(row) for row in segno.make(text, error="m", micro=False).matrix_iter(border=4)]


receipt_qr_strings = st.builds(
    QrData,
    date_time=st.datetimes(datetime(2020, 1, 1), datetime(2106, 2, 6)),
    total=st.integers(0, 10**14 - 1),  # below a trillion roubles
    fn_serial=st.text("0123456789", min_size=16, max_size=16),
    document_number=st.integers(1, 2**32 - 1),
    fiscal_sign=st.integers(0, 2**32 - 1),
    settlement=st.sampled_from(SettlementType),
).map(qr.build)


def test_the_svg_is_an_svg_document_a_page_or_a_mail_can_show():
    document = ElementTree.fromstring(qr.svg(RECEIPT_QR))
    assert document.tag == "{http://www.w3.org/2000/svg}svg"
    assert document.get("width") == document.get("height") == "225"  # (37 modules + 2 × 4) × 5 px


def test_the_png_is_a_square_png_image():
    image = qr.png(RECEIPT_QR)
    assert image.startswith(b"\x89PNG\r\n\x1a\n")
    assert image[12:16] == b"IHDR"
    assert struct.unpack(">II", image[16:24]) == (225, 225)


def test_the_worked_example_in_half_blocks_is_segnos_code_with_its_quiet_zone():
    art = qr.text_art(RECEIPT_QR)
    code = segnos_code(RECEIPT_QR)
    assert len(code) == 45  # version 5: 37 modules and 4 of quiet zone on each side
    assert modules_of(art) == code + [(0,) * 45]  # an odd row count: the last lower halves are light
    assert art.splitlines()[0] == art.splitlines()[-1] == " " * 45


@settings(max_examples=60, deadline=None)
@given(text=receipt_qr_strings)
def test_any_receipts_code_reads_back_from_its_half_blocks(text):
    art = qr.text_art(text)
    code = segnos_code(text)
    assert modules_of(art)[: len(code)] == code
    assert set(art) <= {"█", "▀", "▄", " ", "\n"}


@settings(max_examples=60, deadline=None)
@given(text=receipt_qr_strings)
def test_a_receipts_code_fits_80_mm_paper_but_not_58_mm(text):
    widths = {len(line) for line in qr.text_art(text).splitlines()}
    assert len(widths) == 1
    assert 32 < widths.pop() <= 48


def test_only_a_total_of_a_trillion_roubles_with_the_longest_numbers_is_wider_than_80_mm_paper():
    longest = qr.build(data(total=2**48 - 1, document_number=2**32 - 1, fiscal_sign=2**32 - 1))
    assert len(qr.text_art(longest).splitlines()[0]) == 49  # version 6: 41 modules + 2 × 4
