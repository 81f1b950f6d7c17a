"""The receipt as an ESC/POS print job: read back command by command as a printer would take it."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from openkassa.fiscal import escpos, layout
from openkassa.fiscal.documents import DriveStamp, Item, Receipt
from openkassa.fiscal.enums import SettlementType, TaxSystem, VatRate

STAMP = DriveStamp(
    fn_serial="9999078900012345", registration_number="0000000001012345", user_inn="7707083893",
    user="ООО «Ромашка»", address="г. Москва, ул. Ленина, 1", place="Магазин", document_number=7,
    date_time=datetime(2026, 11, 27, 10, 15, 30), fiscal_sign=bytes([0x21, 0x04, 0xAA, 0x10, 0x75, 0x41]),
    shift=3, receipt_number=2,
)
QR_STRING = "t=20261127T1015&s=234.85&fn=9999078900012345&i=7&fp=2853205313&n=1"


def receipt(stamp: DriveStamp | None = STAMP, name: str = "Сыр") -> Receipt:
    cheese = Item(name=name, price=23_485, quantity=1_000, amount=23_485, vat=VatRate.NO_VAT, vat_amount=0)
    return Receipt(stamp=stamp, settlement=SettlementType.SALE, tax_system=TaxSystem.OSN, items=(cheese,),
                   total=23_485, cash=23_485, cashier="Иванова А.")

INIT, PC866 = b"\x1b@", b"\x1bt\x11"
PARTIAL_CUT = b"\x1dVB\x00"  # GS V 66 0
QR_COMMAND = re.compile(rb"\x1d\(k(..)\x31(.)", re.DOTALL)  # GS ( k pL pH cn=49 fn


def qr_commands(job: bytes) -> list[tuple[int, bytes]]:
    """Each `GS ( k` QR command as (function, parameters), its length read from pL pH as a printer reads it."""
    commands, start = [], 0
    while match := QR_COMMAND.search(job, start):
        length = int.from_bytes(match[1], "little")  # cn and fn count in it
        commands.append((match[2][0], job[match.end(): match.start() + 5 + length]))
        start = match.start() + 5 + length
    return commands


@pytest.mark.parametrize("width", [32, 48])
def test_a_signed_receipt_prints_its_text_in_cp866_its_qr_code_then_is_cut(width):
    job = escpos.receipt_job(receipt(), width=width, header=["ООО «Ромашка»"], footer=["СПАСИБО ЗА ПОКУПКУ!"])
    assert job.startswith(INIT + PC866)
    text = layout.render(receipt(), width=width, header=["ООО «Ромашка»"], footer=["СПАСИБО ЗА ПОКУПКУ!"],
                         qr_code="none")
    assert job[len(INIT + PC866):].startswith(text.encode("cp866") + b"\n")
    assert "ИТОГ".encode("cp866") in job and b"t=" not in job.split(b"\x1d(k")[0]  # no QR string as text
    assert job.endswith(PARTIAL_CUT)


def test_the_printer_is_told_to_store_exactly_the_qr_string_and_print_it_as_model_2_with_level_m():
    commands = qr_commands(escpos.receipt_job(receipt()))
    assert commands == [
        (65, b"\x32\x00"),  # model 2
        (67, bytes([escpos.QR_MODULE_SIZE])),  # dots per module
        (69, b"\x31"),  # error correction M
        (80, b"\x30" + QR_STRING.encode("ascii")),  # store: pL pH = 66 characters + 3
        (81, b"\x30"),  # print
    ]


def test_the_store_command_counts_the_string_and_three_bytes_in_pl_ph():
    job = escpos.receipt_job(receipt())
    store = job.index(b"\x31\x50\x30" + QR_STRING.encode("ascii")) - 5
    assert job[store: store + 5] == b"\x1d(kE\x00"  # 0x45 = 69 = 66 + 3


def test_the_qr_code_is_centred_and_the_cut_follows_at_the_start_of_a_line():
    job = escpos.receipt_job(receipt())
    assert b"\x1ba\x01\x1d(k" in job  # ESC a 1 before the first QR command
    assert job.endswith(b"\x1d(k\x03\x001Q0\n\x1ba\x00" + PARTIAL_CUT)


def test_a_draft_prints_no_qr_code():
    job = escpos.receipt_job(receipt(stamp=None))
    assert b"\x1d(k" not in job
    assert job.endswith("КАССИР                Иванова А.".encode("cp866") + b"\n" + PARTIAL_CUT)


def test_a_name_cannot_send_the_printer_a_command():
    # ESC p opens the cash drawer; ESC @ would reset the printer mid-receipt
    job = escpos.receipt_job(receipt(stamp=None, name="Чай\x1bp\x00\x19\x1b@"))
    assert "Чай?p???@".encode("cp866") in job
    assert job.count(b"\x1b") == 2 and job.count(b"\x1d") == 1  # ESC @, ESC t, GS V: no others


def test_a_character_cp866_lacks_prints_as_a_question_mark():
    assert escpos.encode("Цена €5") == INIT + PC866 + "Цена ?5\n".encode("cp866") + PARTIAL_CUT
