"""The emulated OFD: it acknowledges signed documents once, and refuses drafts, garbage and doubles."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

import pytest

from openkassa.fiscal.arithmetic import vat_of
from openkassa.fiscal.documents import DriveStamp, Item, Receipt
from openkassa.fiscal.enums import SettlementType, TaxSystem, VatRate
from openkassa.fiscal.ofd import Acknowledgement, EmulatedOfd, OfdLink, ResponseCode

FN = "9999078900012345"
KEY = b"ofd-test-key"
NOW = datetime(2026, 11, 27, 7, 20, tzinfo=UTC)


def stamp(number: int, fn_serial: str = FN) -> DriveStamp:
    return DriveStamp(
        fn_serial=fn_serial, registration_number="0000000001012345", user_inn="7707083893",
        user="ООО «Ромашка»", address="г. Москва, ул. Ленина, 1", place="Магазин", document_number=number,
        date_time=datetime(2026, 11, 27, 10, 15, 30), fiscal_sign=bytes([0x21, 0x04, 0xAA, 0x10, 0x75, 0x41]),
        shift=1, receipt_number=number,
    )


def receipt(number: int | None = 2, price: int = 5_000, fn_serial: str = FN) -> Receipt:
    line = Item(name="Хлеб", price=price, quantity=1_000, amount=price, vat=VatRate.VAT_10,
                vat_amount=vat_of(price, VatRate.VAT_10))
    return Receipt(settlement=SettlementType.SALE, tax_system=TaxSystem.OSN, items=(line,), total=price, cash=price,
                   stamp=None if number is None else stamp(number, fn_serial))


@pytest.fixture
def ofd() -> EmulatedOfd:
    return EmulatedOfd(KEY, clock=lambda: NOW)


def test_a_signed_receipt_is_accepted_with_a_deterministic_operator_sign(ofd):
    document = receipt(2).to_bytes()

    answer = ofd.send(FN, document)

    expected_sign = hmac.new(KEY, FN.encode() + document, hashlib.sha256).digest()[:16]
    assert answer == Acknowledgement(fn_serial=FN, document_number=2, received_at=NOW, operator_sign=expected_sign, code=0)
    assert answer.accepted
    assert ofd.received(FN) == [2]


def test_the_emulated_ofd_is_an_ofd_link(ofd):
    link: OfdLink = ofd
    assert link.send(FN, receipt(2).to_bytes()).accepted


def test_sending_the_same_document_again_returns_the_first_acknowledgement():
    moments = iter([NOW, NOW.replace(hour=9)])
    ofd = EmulatedOfd(KEY, clock=lambda: next(moments))
    document = receipt(3).to_bytes()

    first = ofd.send(FN, document)
    second = ofd.send(FN, document)

    assert second == first
    assert second.received_at == NOW
    assert ofd.received(FN) == [3]


def test_another_document_under_an_accepted_number_is_refused(ofd):
    ofd.send(FN, receipt(4, price=5_000).to_bytes())

    answer = ofd.send(FN, receipt(4, price=6_000).to_bytes())

    assert answer.code == ResponseCode.CHECK_FAILED == 14
    assert not answer.accepted
    assert ofd.received(FN) == [4]


def test_a_draft_without_the_drive_stamp_is_refused(ofd):
    answer = ofd.send(FN, receipt(None).to_bytes())

    assert answer.code == 14
    assert ofd.received(FN) == []


def test_a_document_whose_sums_disagree_is_refused(ofd):
    document = receipt(5, price=5_000).to_bytes()
    total = (1020).to_bytes(2, "little") + (2).to_bytes(2, "little")  # 1020, two bytes of VLN
    assert document.count(total + (5_000).to_bytes(2, "little")) == 1
    tampered = document.replace(total + (5_000).to_bytes(2, "little"), total + (5_001).to_bytes(2, "little"))

    answer = ofd.send(FN, tampered)

    assert answer.code == 14
    assert answer.document_number == 0
    assert ofd.received(FN) == []


def test_bytes_that_are_no_document_are_not_recognised(ofd):
    answer = ofd.send(FN, b"\x03\x00\xff")

    assert answer.code == ResponseCode.NOT_RECOGNISED == 11
    assert answer.document_number == 0
    assert ofd.received(FN) == []


def test_a_document_sent_in_the_name_of_another_drive_is_refused(ofd):
    answer = ofd.send("9999078900099999", receipt(6).to_bytes())

    assert answer.code == 14
    assert ofd.received("9999078900099999") == []


def test_received_lists_each_drive_s_numbers_in_order(ofd):
    other = "9999078900054321"
    for number in (7, 5, 6):
        ofd.send(FN, receipt(number).to_bytes())
    ofd.send(other, receipt(1, fn_serial=other).to_bytes())

    assert ofd.received(FN) == [5, 6, 7]
    assert ofd.received(other) == [1]


def test_a_refused_number_can_be_accepted_when_sent_correctly(ofd):
    ofd.send(FN, receipt(None).to_bytes())

    assert ofd.send(FN, receipt(8).to_bytes()).accepted
    assert ofd.received(FN) == [8]


def test_an_acknowledgement_refuses_a_long_sign_and_a_naive_time():
    with pytest.raises(ValueError):
        Acknowledgement(fn_serial=FN, document_number=1, received_at=NOW, operator_sign=bytes(17))
    with pytest.raises(ValueError):
        Acknowledgement(fn_serial=FN, document_number=1, received_at=datetime(2026, 1, 1), operator_sign=bytes(16))
