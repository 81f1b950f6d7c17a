"""Fiscal documents: built, signed by a drive stamp, through bytes and back, and refused when wrong."""

from __future__ import annotations

import dataclasses
import inspect
import re
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openkassa.fiscal import requirements, tlv
from openkassa.fiscal.arithmetic import line_amount, vat_of
from openkassa.fiscal.documents import (
    CorrectionCounters,
    CorrectionReceipt,
    Counters,
    DriveCloseReport,
    DriveFlags,
    DriveStamp,
    Item,
    OperationCounters,
    Receipt,
    RegistrationReport,
    SettlementStatusReport,
    ShiftCloseReport,
    ShiftOpenReport,
    decode,
    printable,
)
from openkassa.fiscal.enums import CorrectionType, FormCode, ItemType, PaymentMethod, SettlementType, TaxSystem, Unit, VatRate
from openkassa.fiscal.errors import InvalidDocument

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference" / "ffd-1.2.md"
MOMENT = datetime(2026, 11, 27, 10, 15, 30)


# --- builders ---------------------------------------------------------------------------------------


def stamp(**overrides) -> DriveStamp:
    values = dict(
        fn_serial="9999078900012345", registration_number="0000000001012345", user_inn="7707083893",
        user="ООО «Ромашка»", address="г. Москва, ул. Ленина, 1", place="Магазин", document_number=7,
        date_time=MOMENT, fiscal_sign=bytes([0x21, 0x04, 0xAA, 0x10, 0x75, 0x41]), shift=3, receipt_number=2,
    )
    return DriveStamp(**values | overrides)


def item(name="Хлеб", price=5_000, quantity=2_000, vat=VatRate.VAT_20, **overrides) -> Item:
    amount = overrides.pop("amount", (price * quantity + 500) // 1000)
    return Item(name=name, price=price, quantity=quantity, amount=amount, vat=vat,
                vat_amount=overrides.pop("vat_amount", vat_of(amount, vat)), **overrides)


def receipt(**overrides) -> Receipt:
    items = overrides.pop("items", (item(), item("Молоко 3,2%", 8_990, 1_500, VatRate.VAT_10, unit=Unit.LITRE)))
    total = sum(line.amount for line in items)
    values = dict(settlement=SettlementType.SALE, tax_system=TaxSystem.OSN, items=items, total=total,
                  cash=total - 1_000, electronic=1_000, cashier="Иванова А.", cashier_inn="500100732259")
    return Receipt(**values | overrides)


def correction(**overrides) -> CorrectionReceipt:
    line = item("Кофе", 15_000, 1_000, VatRate.NO_VAT)
    values = dict(settlement=SettlementType.SALE, tax_system=TaxSystem.USN_INCOME, items=(line,), total=15_000,
                  cash=15_000, corrected_date=date(2026, 11, 20), correction_type=CorrectionType.BY_ORDER,
                  order_number="ПР-17")
    return CorrectionReceipt(**values | overrides)


def sale_counters(count=2, cash=30_000, electronic=10_000) -> OperationCounters:
    return OperationCounters(count=count, cash=cash, electronic=electronic, total=cash + electronic,
                             vat_20=5_000, turnover_no_vat=1_000)


def counters(times: int = 1) -> Counters:
    corrections = CorrectionCounters(count=times, sale=OperationCounters(count=times, cash=15_000 * times, total=15_000 * times))
    return Counters(count=3 * times, sale=sale_counters(2 * times), corrections=corrections)


def shift_close(**overrides) -> ShiftCloseReport:
    values = dict(receipts_count=3, documents_count=5, shift_totals=counters(), lifetime_totals=counters(4),
                  key_resource_days=400, unsent_count=2, first_unsent_date=datetime(2026, 11, 27, 9, 0),
                  cashier="Иванова А.", flags=DriveFlags(ofd_timeout=True))
    return ShiftCloseReport(**values | overrides)


def registration(**overrides) -> RegistrationReport:
    values = dict(kkt_serial="00106700000001", kkt_version="3.0", cashier="Петров П.",
                  tax_systems=TaxSystem.OSN | TaxSystem.USN_INCOME, key_resource_days=1095,
                  ofd_inn="7704358518", ofd_name="ОФД «Ярус»", fns_site="www.nalog.gov.ru", usage_conditions=0x100)
    return RegistrationReport(**values | overrides)


DOCUMENTS = {
    "receipt": lambda: receipt(stamp=stamp()),
    "bso": lambda: receipt(bso=True, stamp=stamp()),
    "receipt draft": receipt,
    "correction receipt": lambda: correction(stamp=stamp()),
    "bso correction draft": lambda: correction(bso=True, correction_type=CorrectionType.OWN_INITIATIVE, order_number=None),
    "registration report": lambda: registration(stamp=stamp(shift=None, receipt_number=None, document_number=1)),
    "shift open report": lambda: ShiftOpenReport(kkt_version="3.0", cashier="Иванова А.", stamp=stamp(receipt_number=None),
                                                 flags=DriveFlags(keys_expiring=True), operator_message=0x4),
    "shift close report": lambda: shift_close(stamp=stamp(receipt_number=None)),
    "settlement status report": lambda: SettlementStatusReport(
        lifetime_totals=counters(), key_resource_days=300, unsent_count=1, first_unsent_number=5,
        first_unsent_date=MOMENT, unsent_totals=CorrectionCounters(count=1, sale=OperationCounters(count=1, cash=100, total=100)),
        stamp=stamp(receipt_number=None)),
    "drive close report": lambda: DriveCloseReport(lifetime_totals=counters(4), stamp=stamp(receipt_number=None)),
}


def fields_without(document, tag: int) -> list:
    return [(t, v) for t, v in document.fields() if t != tag]


# --- building and reading back -------------------------------------------------------------------


@pytest.mark.parametrize("build", DOCUMENTS.values(), ids=DOCUMENTS.keys())
def test_every_document_reads_back_from_its_bytes_as_it_was(build):
    # given a document built by the register (and stamped by the drive, where it is complete)
    document = build()
    # when it is written to bytes and read back, by its class and by its form code
    data = document.to_bytes()
    # then both give the same document
    assert type(document).from_bytes(data) == document
    assert decode(data) == document


@pytest.mark.parametrize("build", DOCUMENTS.values(), ids=DOCUMENTS.keys())
def test_every_document_writes_the_bytes_of_its_requisites(build):
    # given any document, when written (its parts written apart and joined), then it is its requisites encoded
    document = build()
    assert document.to_bytes() == tlv.encode_document(document.form, document.fields())


EXTRAS = [(), ((1191, "партия 12"),), ((1163, [(1302, "4601234567893")]),), ((1223, [(1075, "+79990000000")]), (1222, 2))]


@st.composite
def any_item(draw) -> Item:
    """An item of any kind the register can sell: every rate, method, type and unit, weighed or not, extras."""
    quantity = draw(st.one_of(st.integers(1, 10**7), st.sampled_from([1, 10, 100, 1_000, 2_500, 10**12])))
    price = draw(st.integers(0, min(10**8, 10**14 // quantity)))  # Σ of five items stays a 6-byte sum
    amount = line_amount(price, quantity) - draw(st.integers(0, 3))
    vat = draw(st.sampled_from(VatRate))
    name = draw(st.text(alphabet=bytes(range(32, 256)).decode("cp866") + "«»—₽é", min_size=1, max_size=128))
    return Item(name=name if name.strip() else "Товар", price=price, quantity=quantity, amount=max(amount, 0), vat=vat,
                vat_amount=vat_of(max(amount, 0), vat), payment_method=draw(st.sampled_from(PaymentMethod)),
                item_type=draw(st.sampled_from(ItemType)), unit=draw(st.sampled_from(Unit)),
                extra=draw(st.sampled_from(EXTRAS)))


@settings(max_examples=100, deadline=None)
@given(items=st.lists(any_item(), min_size=1, max_size=5), signed=st.booleans())
def test_a_receipt_of_any_items_writes_the_bytes_of_its_requisites_and_reads_back(items, signed):
    # given a receipt of any items, a draft or signed
    total = sum(line.amount for line in items)
    document = Receipt(settlement=SettlementType.SALE, tax_system=TaxSystem.OSN, items=tuple(items), total=total,
                       cash=total, stamp=stamp() if signed else None)
    # when written, then the bytes are its requisites encoded, and they read back as the receipt
    data = document.to_bytes()
    assert data == tlv.encode_document(document.form, document.fields())
    assert decode(data) == document


@pytest.mark.parametrize("build", DOCUMENTS.values(), ids=DOCUMENTS.keys())
def test_every_built_document_satisfies_the_requirement_table_of_its_form(build):
    # given any document the constructors accept
    document = build()
    # when its requisites are held to the table of its form, then nothing is refused
    requirements.check(document.form, document.fields(), draft=not document.complete)


def test_a_receipt_starts_with_what_the_drive_writes_in_its_order():
    # given a draft receipt, as the register submits it
    draft = receipt()
    assert not draft.complete and draft.fields()[0] == (1054, SettlementType.SALE)
    # when the drive stamps it
    signed = replace(draft, stamp=stamp())
    # then the drive's requisites come first, in the order of real drives (§2.0), then 1054 and 1020
    tags = [tag for tag, _ in signed.fields()]
    assert tags[:9] == [1209, 1041, 1037, 1018, 1040, 1012, 1077, 1038, 1042]
    assert tags[12:14] == [1054, 1020]
    assert signed.complete and signed.form is FormCode.RECEIPT
    assert signed.stamp.fiscal_sign_printed == 2853205313


def test_a_bso_is_form_4_and_a_bso_correction_form_41():
    # given receipts marked as БСО, then their form codes are 4 and 41, and reading keeps the mark
    assert receipt(bso=True).form is FormCode.BSO
    assert correction(bso=True).form is FormCode.BSO_CORRECTION
    assert decode(receipt(bso=True).to_bytes()).bso


def test_a_receipt_writes_the_vat_totals_of_the_rates_its_items_use():
    # given a receipt with lines at 20 %, 10 %, no VAT and the unconfirmed 22 %
    lines = (item(), item("Сок", 10_000, 1_000, VatRate.VAT_10), item("Газета", 3_000, 1_000, VatRate.NO_VAT),
             item("Чай", 11_000, 1_000, VatRate.VAT_22))
    document = receipt(items=lines, cash=sum(line.amount for line in lines), electronic=0)
    # when its requisites are written
    written = dict(document.fields())
    # then 1102 and 1103 hold the VAT of their lines, 1105 the amount without VAT, and 22 % has no total
    assert written[1102] == lines[0].vat_amount
    assert written[1103] == lines[1].vat_amount
    assert written[1105] == 3_000
    assert {1104, 1106, 1107}.isdisjoint(written)


def test_a_quantity_is_written_with_the_fewest_decimals():
    # given quantities in thousandths, when written as FVLN, then trailing zeros are dropped
    assert dict(item(quantity=2_500).fields())[1023] == Decimal("2.5")
    assert dict(item(quantity=10_000).fields())[1023] == Decimal("10")
    assert dict(item(quantity=1).fields())[1023] == Decimal("0.001")


def test_text_outside_cp866_is_replaced_by_close_equivalents():
    # given a name with typographic quotes, a dash, the rouble sign and №
    # when it is made printable, then only CP866 remains and № stays
    assert printable("«Молоко» — 1 ₽ № 5, café") == '"Молоко" - 1 р. № 5, cafe'
    assert item(name="Сыр «Российский»").name == 'Сыр "Российский"'


def test_a_non_breaking_space_a_tab_and_a_middle_dot_are_replaced_though_cp866_has_them():
    assert printable("Цена\u00a01·5\tшт") == "Цена 1.5 шт"


def test_a_text_already_printable_is_kept_as_it_is():
    text = "Молоко 3,2% № 5 (ёмкость 1 л) ╔═╗"
    assert printable(text) == text


def test_control_codes_never_reach_the_drive_or_a_printer():
    assert printable("Хлеб\x1b@\x00\x7f\nбелый\r") == "Хлеб?@?? белый "


@given(st.text())
def test_what_printable_returns_it_keeps_and_cp866_holds(text):
    # given any text, once made printable
    once = printable(text)
    # then making it printable again changes nothing (a signed document reads back as it was)
    assert printable(once) == once
    # and CP866 holds it byte for byte
    assert once.encode("cp866").decode("cp866") == once


def test_a_letter_whose_decomposition_holds_a_replaced_character_is_stable():
    # ŀ decomposes into l and a middle dot, which is itself replaced by a full stop
    assert printable("ŀ") == printable(printable("ŀ")) == "l."


# --- refusals -------------------------------------------------------------------------------------


@pytest.mark.parametrize("tag", [1054, 1020, 1059, 1040, 1077, 1041, 1012])
def test_a_receipt_missing_a_mandatory_requisite_is_refused_naming_it(tag):
    # given the requisites of a signed receipt without one mandatory requisite
    fields = fields_without(receipt(stamp=stamp()), tag)
    # when they are read, then the refusal names the requisite
    with pytest.raises(InvalidDocument, match="mandatory requisite") as refused:
        Receipt.from_fields(fields)
    assert refused.value.tag == tag
    assert str(tag) in str(refused.value)


def test_a_receipt_whose_total_differs_from_its_items_is_refused_on_1020():
    # given items worth 10 000 + 13 485 kopecks, when the total says otherwise, then 1020 is named
    with pytest.raises(InvalidDocument) as refused:
        receipt(total=99_999, cash=99_999, electronic=0)
    assert refused.value.tag == 1020


def test_a_receipt_whose_payments_differ_from_its_total_is_refused_on_1031():
    # given payments of 2.00 for a receipt of 234.85, when it is built, then the payments (1031…) are named
    with pytest.raises(InvalidDocument) as refused:
        receipt(cash=100, electronic=100)
    assert refused.value.tag == 1031


def test_a_read_receipt_whose_vat_total_differs_from_its_items_is_refused_naming_the_total():
    # given a receipt whose 1102 was altered
    fields = [(tag, value + 1 if tag == 1102 else value) for tag, value in receipt().fields()]
    # when it is read, then 1102 is named
    with pytest.raises(InvalidDocument) as refused:
        Receipt.from_fields(fields)
    assert refused.value.tag == 1102


def test_a_read_receipt_without_the_vat_total_of_a_rate_it_uses_is_refused():
    # given a receipt with a 10 % line whose 1103 is missing, when it is read, then 1103 is named
    with pytest.raises(InvalidDocument) as refused:
        Receipt.from_fields(fields_without(receipt(), 1103))
    assert refused.value.tag == 1103


def test_an_item_name_of_129_characters_is_refused_and_128_accepted():
    # given names at the limit and one past it, when items are built, then only the longer is refused
    assert len(item(name="х" * 128).name) == 128
    with pytest.raises(InvalidDocument) as refused:
        item(name="х" * 129)
    assert refused.value.tag == 1030


def test_an_unknown_vat_rate_is_refused_on_1199():
    # given a VAT code the format does not define, when an item is built or read, then 1199 is named
    with pytest.raises(InvalidDocument) as refused:
        Item(name="Хлеб", price=100, quantity=1_000, amount=100, vat=42, vat_amount=0)
    assert refused.value.tag == 1199
    fields = [(tag, 42 if tag == 1199 else value) for tag, value in item().fields()]
    with pytest.raises(InvalidDocument) as refused:
        Item.from_fields(fields)
    assert refused.value.tag == 1199


@pytest.mark.parametrize("quantity", [-1_000, 0])
def test_a_quantity_that_is_not_positive_is_refused_on_1023(quantity):
    # given a negative or zero quantity, when an item is built, then 1023 is named
    with pytest.raises(InvalidDocument) as refused:
        Item(name="Хлеб", price=100, quantity=quantity, amount=0, vat=VatRate.NO_VAT, vat_amount=0)
    assert refused.value.tag == 1023


@pytest.mark.parametrize(("field", "tag"), [("price", 1079), ("amount", 1043), ("vat_amount", 1200)])
def test_negative_or_out_of_range_sums_are_refused(field, tag):
    # given a sum below zero or beyond the 6-byte VLN, when an item is built, then its tag is named
    for wrong in (-1, 2**48):
        with pytest.raises(InvalidDocument) as refused:
            replace(item(), **{field: wrong})
        assert refused.value.tag == tag


def test_an_item_amount_above_price_times_quantity_is_refused_on_1043():
    # given a line of 1.00 × 1 claiming 1.01, when it is built, then 1043 is named
    with pytest.raises(InvalidDocument) as refused:
        item(price=100, quantity=1_000, amount=101)
    assert refused.value.tag == 1043


def test_an_item_vat_that_is_not_the_vat_of_its_amount_is_refused_on_1200():
    # given a 100.00 line at 20 % claiming 0.01 of VAT, when it is built, then 1200 is named
    with pytest.raises(InvalidDocument) as refused:
        item(vat_amount=1)
    assert refused.value.tag == 1200


def test_a_receipt_with_two_taxation_systems_is_refused_on_1055():
    # given a settlement under ОСН and УСН at once, when it is built, then 1055 is named
    with pytest.raises(InvalidDocument) as refused:
        receipt(tax_system=TaxSystem.OSN | TaxSystem.USN_INCOME)
    assert refused.value.tag == 1055


def test_a_receipt_without_items_is_refused_on_1059():
    # given a receipt of nothing, when it is built, then 1059 is named
    with pytest.raises(InvalidDocument) as refused:
        receipt(items=(), total=0, cash=0, electronic=0)
    assert refused.value.tag == 1059


def test_a_requisite_outside_the_table_of_the_form_is_refused():
    # given a receipt carrying a shift report's receipt count
    fields = [*receipt().fields(), (1118, 3)]
    # when it is checked, then 1118 is named as not allowed
    with pytest.raises(InvalidDocument, match="not allowed") as refused:
        requirements.check(FormCode.RECEIPT, fields, draft=True)
    assert refused.value.tag == 1118


def test_a_correction_by_order_without_the_order_number_is_refused_on_1179():
    # given a correction by order of the tax authority without the order's number,
    # when it is built or read, then 1179 is named
    with pytest.raises(InvalidDocument) as refused:
        correction(order_number=None)
    assert refused.value.tag == 1179
    fields = [(tag, [(1178, datetime(2026, 11, 20))] if tag == 1174 else value) for tag, value in correction().fields()]
    with pytest.raises(InvalidDocument) as refused:
        CorrectionReceipt.from_fields(fields)
    assert refused.value.tag == 1179


def test_a_draft_with_only_part_of_the_stamp_is_refused_naming_what_is_missing():
    # given a draft to which someone added a document number, but no fiscal sign
    fields = [(1040, 8), *receipt().fields()]
    with pytest.raises(InvalidDocument, match="mandatory requisite") as refused:
        Receipt.from_fields(fields)
    assert refused.value.tag in requirements.DRIVE_TAGS


def test_a_receipt_number_is_refused_in_a_shift_report_and_required_in_a_receipt():
    # given stamps with and without 1042, when put on a shift report and a receipt, then 1042 is named
    with pytest.raises(InvalidDocument) as refused:
        shift_close(stamp=stamp())
    assert refused.value.tag == 1042
    with pytest.raises(InvalidDocument) as refused:
        receipt(stamp=stamp(receipt_number=None))
    assert refused.value.tag == 1042


def test_a_draft_stamped_twice_as_the_drive_does_gives_the_bytes_of_each_stamp():
    # given a draft, stamped to be signed, then stamped again with the sign (as the drive does)
    draft = receipt()
    to_sign = draft.stamped(stamp(fiscal_sign=bytes(6)))
    signed = draft.stamped(stamp())
    # then each has the bytes of the draft with its own stamp
    assert to_sign.to_bytes() == replace(draft, stamp=stamp(fiscal_sign=bytes(6))).to_bytes()
    assert signed.to_bytes() == replace(draft, stamp=stamp()).to_bytes()
    assert draft.to_bytes() == replace(draft).to_bytes()


def test_a_draft_stamped_by_the_drive_is_the_draft_with_its_stamp_and_reads_back_from_its_bytes():
    # given a draft receipt, as the register submits it
    draft = receipt()
    # when the drive stamps it
    signed = draft.stamped(stamp())
    # then it is the draft with the stamp, complete, and its bytes read back as it is
    assert signed == replace(draft, stamp=stamp())
    assert signed.complete and not draft.complete
    assert Receipt.from_bytes(signed.to_bytes()) == signed
    assert decode(signed.to_bytes()) == signed


def test_a_stamp_without_a_shift_number_is_refused_on_a_receipt_naming_1038():
    # given a draft receipt and a stamp without the shift number a receipt requires
    draft = receipt()
    # when the drive stamps the draft with it, then 1038 is named
    with pytest.raises(InvalidDocument, match="1038") as refused:
        draft.stamped(stamp(shift=None))
    assert refused.value.tag == 1038


def test_a_stamp_is_refused_on_a_document_the_drive_has_stamped_already():
    # given a receipt the drive has signed
    signed = receipt().stamped(stamp())
    # when it is stamped again, then it is refused and stays as it was
    with pytest.raises(InvalidDocument, match="signed already"):
        signed.stamped(stamp(document_number=8))
    assert signed.stamp == stamp()


def test_only_a_drive_stamp_stamps_a_draft():
    # given a draft receipt, when something that is not a DriveStamp is put on it, then it is refused
    with pytest.raises(InvalidDocument, match="DriveStamp"):
        receipt().stamped(stamp().fields())


def test_an_online_registration_without_the_ofd_is_refused_on_1017():
    # given an online register without an OFD, then 1017 is named; offline it needs none
    with pytest.raises(InvalidDocument) as refused:
        registration(ofd_inn=None)
    assert refused.value.tag == 1017
    assert registration(ofd_inn=None, ofd_name=None, offline=True).offline


def test_shift_counters_that_disagree_are_refused_naming_the_counter():
    # given a shift whose count 1134 is not the sum of its parts
    with pytest.raises(InvalidDocument) as refused:
        Counters(count=5, sale=sale_counters(2))
    assert refused.value.tag == 1134
    # given sale counters whose grand total is not the sum of its payments
    with pytest.raises(InvalidDocument) as refused:
        OperationCounters(count=1, cash=100, total=150)
    assert refused.value.tag == 1201
    # given a close report whose receipt count differs from the shift counters
    with pytest.raises(InvalidDocument) as refused:
        shift_close(receipts_count=4, documents_count=6)
    assert refused.value.tag == 1118
    # given unsent documents without the date of the first
    with pytest.raises(InvalidDocument) as refused:
        shift_close(first_unsent_date=None)
    assert refused.value.tag == 1098


def test_correction_counters_hold_no_vat():
    # given correction counters with a VAT sum, when built, then the VAT requisite 1139 is named
    with pytest.raises(InvalidDocument) as refused:
        CorrectionCounters(count=1, sale=sale_counters(1))
    assert refused.value.tag == 1139


def test_an_unknown_form_is_refused():
    # given a receipt's requisites read as a shift close report, or a form that does not exist, then both are refused
    with pytest.raises(InvalidDocument):
        Receipt.from_fields(receipt().fields(), form=FormCode.SHIFT_CLOSE)
    with pytest.raises(InvalidDocument):
        requirements.check(99, [])


def test_extra_requisites_of_an_item_are_kept_and_checked():
    # given an item with a user requisite (1191) and an EAN-13 product code (1163)
    line = item(extra=((1191, "партия 12"), (1163, [(1302, "4601234567893")])))
    document = receipt(items=(line,), cash=line.amount, electronic=0)
    # when it goes through bytes, then they are still there
    assert decode(document.to_bytes()).items[0].extra == line.extra
    # and an extra that is a field of the item, or two codes in one 1163, are refused
    with pytest.raises(InvalidDocument) as refused:
        item(extra=((1030, "ещё имя"),))
    assert refused.value.tag == 1030
    with pytest.raises(InvalidDocument) as refused:
        item(extra=((1163, [(1302, "4601234567893"), (1301, "46012345")]),))
    assert refused.value.tag == 1163


def test_plain_numbers_for_the_rate_method_type_and_unit_become_their_members():
    # given an item built with the numbers the format writes (as read from bytes)
    line = Item(name="Сахар", price=9_000, quantity=1_500, amount=13_500, vat=2, vat_amount=1_227,
                payment_method=4, item_type=1, unit=11)
    # then they are the enum members
    assert (line.vat, line.payment_method, line.item_type, line.unit) == (VatRate.VAT_10, PaymentMethod.FULL_PAYMENT,
                                                                         ItemType.GOODS, Unit.KILOGRAM)
    assert line == item("Сахар", 9_000, 1_500, VatRate.VAT_10, unit=Unit.KILOGRAM)


@pytest.mark.parametrize(
    ("wrong", "tag"),
    [
        (dict(name="", price=-1), 1030),
        (dict(price=-1, quantity=0), 1079),
        (dict(price=True), 1079),
        (dict(quantity=0, vat=42), 1023),
        (dict(quantity=1.5), 1023),
        (dict(amount=2**48, vat=42), 1043),
        (dict(vat=42, vat_amount=-1), 1199),
        (dict(vat_amount=-1, payment_method=0), 1200),
        (dict(payment_method=0, item_type=0), 1214),
        (dict(item_type=0, unit=1), 1212),
        (dict(unit=1), 2108),
        (dict(extra=((1030, "again"),)), 1030),
    ],
)
def test_the_first_field_of_an_item_at_fault_is_named(wrong, tag):
    # given an item with one or two fields wrong, when it is built, then the first of them (in field order) is named
    values = dict(name="Хлеб", price=5_000, quantity=2_000, amount=10_000, vat=VatRate.VAT_20, vat_amount=1_667)
    with pytest.raises(InvalidDocument) as refused:
        Item(**values | wrong)
    assert refused.value.tag == tag


def test_an_item_is_built_from_exactly_its_fields_by_keyword():
    # given Item's own __init__ (written out for speed), then it takes the dataclass fields, keyword only, with their defaults
    parameters = [(p.name, p.kind, p.default) for p in inspect.signature(Item).parameters.values()]
    assert parameters == [(f.name, inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.empty if f.default is dataclasses.MISSING else f.default)
                          for f in dataclasses.fields(Item)]
    # and it is frozen as the other documents are
    with pytest.raises(AttributeError):
        item().price = 1


def test_payment_method_item_type_and_unit_default_to_full_payment_goods_and_pieces():
    # given an item read without 1214, 1212 and 2108, then it is a full payment for pieces of goods
    line = Item.from_fields([(tag, value) for tag, value in item().fields() if tag not in (1214, 1212, 2108)])
    assert (line.payment_method, line.item_type, line.unit) == (PaymentMethod.FULL_PAYMENT, ItemType.GOODS, Unit.PIECE)


# --- the tables against the reference --------------------------------------------------------------

SECTIONS = {
    "### 2.1": (FormCode.REGISTRATION, 0),
    "### 2.2": (FormCode.SHIFT_OPEN, 0),
    "### 2.3": (FormCode.RECEIPT, 0),
    "### 2.5": (FormCode.SHIFT_CLOSE, 0),
    "### 2.6": (FormCode.DRIVE_CLOSE, 0),
    "### 2.7": (FormCode.SETTLEMENT_STATUS, 0),
    "### 2.8": (FormCode.CORRECTION_RECEIPT, 0),
}


def reference_table(heading: str, index: int) -> dict[int, tuple[str, str]]:
    """Tag → (obligation, medium) of the `index`-th table under a heading of the reference."""
    lines = REFERENCE.read_text(encoding="utf-8").splitlines()
    start = next(number for number, line in enumerate(lines) if line.startswith(heading))
    tables: list[dict] = []
    in_table = False
    for line in lines[start + 1:]:
        if line.startswith("#"):
            break
        if not line.startswith("|"):
            in_table = False
            continue
        if not in_table:
            tables.append({})
            in_table = True
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if cells[0].isdigit() and re.fullmatch(r"[MSO] (P|E|PE)", cells[-1]):
            tables[-1][int(cells[0])] = tuple(cells[-1].split())
    return tables[index]


@pytest.mark.skipif(not REFERENCE.exists(), reason="the shared reference is not next to the repository")
@pytest.mark.parametrize("heading", SECTIONS, ids=[f"§{h[4:]}" for h in SECTIONS])
def test_the_requirement_table_of_each_form_is_the_one_of_the_reference(heading):
    # given the table of the form in §2 of the reference
    form, index = SECTIONS[heading]
    expected = reference_table(heading, index)
    mandatory = {tag for tag, (obligation, _) in expected.items() if obligation == "M"}
    assert mandatory, "the reference table was not found"
    # when it is compared with ours, then every tag has the same obligation and medium
    ours = {tag: (str(r.obligation), str(r.medium)) for tag, r in requirements.FORMS[form].items()}
    assert {tag for tag, (obligation, _) in ours.items() if obligation == "M"} == mandatory
    assert ours == expected


@pytest.mark.skipif(not REFERENCE.exists(), reason="the shared reference is not next to the repository")
def test_the_item_table_is_the_one_of_the_reference():
    # given the item table of §2.4, then ours has the same tags, obligations and media
    ours = {tag: (str(r.obligation), str(r.medium)) for tag, r in requirements.ITEM.items()}
    assert ours == reference_table("### 2.4", 0)
