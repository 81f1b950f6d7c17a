"""The printed receipt: hand-checked golden texts at 32 and 48 columns, no line wider than the paper,
and the QR code as its string, as half blocks (80 mm only) or left to whoever draws it."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openkassa.fiscal import layout, qr
from openkassa.fiscal.arithmetic import vat_of
from openkassa.fiscal.documents import DriveStamp, Item, Receipt
from openkassa.fiscal.enums import SettlementType, TaxSystem, Unit, VatRate

STAMP = DriveStamp(
    fn_serial="9999078900012345", registration_number="0000000001012345", user_inn="7707083893",
    user="ООО «Ромашка»", address="г. Москва, ул. Ленина, 1", place="Магазин", document_number=7,
    date_time=datetime(2026, 11, 27, 10, 15, 30), fiscal_sign=bytes([0x21, 0x04, 0xAA, 0x10, 0x75, 0x41]),
    shift=3, receipt_number=2,
)


def item(name: str, price: int, quantity: int, vat: VatRate, unit: Unit = Unit.PIECE) -> Item:
    amount = (price * quantity + 500) // 1000
    return Item(name=name, price=price, quantity=quantity, amount=amount, vat=vat, vat_amount=vat_of(amount, vat), unit=unit)


def receipt(stamp: DriveStamp | None = STAMP, items: tuple[Item, ...] | None = None) -> Receipt:
    # 2 × 50.00 = 100.00, VAT 20/120 = 16.67; 1.5 l × 89.90 = 134.85, VAT 10/110 = 12.26 (12.259)
    items = items or (item("Хлеб", 5_000, 2_000, VatRate.VAT_20), item("Молоко 3,2%", 8_990, 1_500, VatRate.VAT_10, Unit.LITRE))
    total = sum(line.amount for line in items)
    return Receipt(stamp=stamp, settlement=SettlementType.SALE, tax_system=TaxSystem.OSN, items=items, total=total,
                   cash=total - 1_000, electronic=1_000, cashier="Иванова А.")


GOLDEN_32 = """\
         ООО "Ромашка"
          КАССОВЫЙ ЧЕК
             ПРИХОД
ООО "Ромашка"
ИНН                   7707083893
г. Москва, ул. Ленина, 1
Магазин
27.11.2026 10:15         СМЕНА 3
ЧЕК                            2
--------------------------------
Хлеб
2 шт x 50.00             =100.00
НДС 20%                    16.67
ПОЛНЫЙ РАСЧЕТ
Молоко 3,2%
1.5 л x 89.90            =134.85
НДС 10%                    12.26
ПОЛНЫЙ РАСЧЕТ
--------------------------------
ИТОГ                     =234.85
НАЛИЧНЫМИ                =224.85
БЕЗНАЛИЧНЫМИ              =10.00
СУММА НДС 20%             =16.67
СУММА НДС 10%             =12.26
СНО                          ОСН
КАССИР                Иванова А.
РН ККТ          0000000001012345
ФН              9999078900012345
ФД                             7
ФП                    2853205313
      СПАСИБО ЗА ПОКУПКУ!
--------------------------------
t=20261127T1015&s=234.85&fn=9999
078900012345&i=7&fp=2853205313&n
=1"""

GOLDEN_48 = """\
                 ООО "Ромашка"
                  КАССОВЫЙ ЧЕК
                     ПРИХОД
ООО "Ромашка"
ИНН                                   7707083893
г. Москва, ул. Ленина, 1
Магазин
27.11.2026 10:15                         СМЕНА 3
ЧЕК                                            2
------------------------------------------------
Хлеб
2 шт x 50.00                             =100.00
НДС 20%                                    16.67
ПОЛНЫЙ РАСЧЕТ
Молоко 3,2%
1.5 л x 89.90                            =134.85
НДС 10%                                    12.26
ПОЛНЫЙ РАСЧЕТ
------------------------------------------------
ИТОГ                                     =234.85
НАЛИЧНЫМИ                                =224.85
БЕЗНАЛИЧНЫМИ                              =10.00
СУММА НДС 20%                             =16.67
СУММА НДС 10%                             =12.26
СНО                                          ОСН
КАССИР                                Иванова А.
РН ККТ                          0000000001012345
ФН                              9999078900012345
ФД                                             7
ФП                                    2853205313
              СПАСИБО ЗА ПОКУПКУ!
------------------------------------------------
t=20261127T1015&s=234.85&fn=9999078900012345&i=7
&fp=2853205313&n=1"""


@pytest.mark.parametrize(("width", "golden"), [(32, GOLDEN_32), (48, GOLDEN_48)])
def test_a_signed_receipt_prints_as_checked_by_hand(width, golden):
    printed = layout.render(receipt(), width=width, header=["ООО «Ромашка»"], footer=["СПАСИБО ЗА ПОКУПКУ!"])
    assert printed == golden


def test_a_draft_prints_without_seller_date_fiscal_details_or_qr():
    printed = layout.render(receipt(stamp=None))
    assert "ИТОГ                     =234.85" in printed
    for absent in ("ИНН", "СМЕНА", "РН ККТ", "ФН ", "ФД ", "ФП ", "t="):
        assert absent not in printed


def test_no_vat_and_zero_vat_print_the_sums_they_cover():
    items = (item("Книга", 30_000, 1_000, VatRate.NO_VAT), item("Экспорт", 1_005, 3_000, VatRate.VAT_0))
    printed = layout.render(receipt(items=items)).splitlines()
    assert "СУММА БЕЗ НДС            =300.00" in printed
    assert "СУММА С НДС 0%            =30.15" in printed
    assert "БЕЗ НДС" in printed  # the item's rate, no amount after it


@pytest.mark.parametrize("width", [0, 31, 40, 80])
def test_only_58_and_80_mm_paper_is_accepted(width):
    with pytest.raises(ValueError):
        layout.render(receipt(), width=width)


NAME_CHARACTERS = "абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГДЕЁЖЗ abcxyzABCXYZ0123456789 -.,%№\"()/  "


@settings(max_examples=60, deadline=None)
@given(
    names=st.lists(st.text(NAME_CHARACTERS, min_size=1, max_size=128).filter(str.strip), min_size=1, max_size=3),
    price=st.integers(2, 2**36),
    paper=st.sampled_from([(32, "string"), (32, "none"), (48, "string"), (48, "art"), (48, "none")]),
    header=st.lists(st.text(max_size=120), max_size=2),
)
def test_no_line_is_wider_than_the_paper(names, price, paper, header):
    width, qr_code = paper
    items = tuple(item(name, price, 999_999, VatRate.VAT_20_120, Unit.SQUARE_CENTIMETRE) for name in names)
    printed = layout.render(receipt(items=items), width=width, header=header, footer=header, qr_code=qr_code)
    assert all(len(line) <= width for line in printed.splitlines())


# --- the QR code --------------------------------------------------------------------------------------

QR_STRING = "t=20261127T1015&s=234.85&fn=9999078900012345&i=7&fp=2853205313&n=1"


def test_on_80_mm_paper_the_receipt_ends_with_its_qr_code_centred_under_the_rule():
    printed = layout.render(receipt(), width=48, header=["ООО «Ромашка»"], footer=["СПАСИБО ЗА ПОКУПКУ!"],
                            qr_code="art").splitlines()
    text_part = GOLDEN_48.splitlines()[:-2]  # all but the two lines of the QR string
    assert printed[: len(text_part)] == text_part
    code = printed[len(text_part):]
    art = qr.text_art(QR_STRING).splitlines()  # 45 columns wide
    assert code == [" " + line + "  " for line in art]  # 3 spare columns: 1 on the left, 2 on the right
    assert all(len(line) == 48 for line in code)


def test_on_58_mm_paper_the_qr_code_does_not_fit_and_is_refused_with_the_way_out():
    with pytest.raises(ValueError, match=r"45 columns wide .* does not fit 32: .*qr_code='none'"):
        layout.render(receipt(), width=32, qr_code="art")


def test_a_58_mm_preview_is_the_text_without_the_qr_and_the_code_as_a_block_of_its_own():
    text = layout.render(receipt(), width=32, header=["ООО «Ромашка»"], footer=["СПАСИБО ЗА ПОКУПКУ!"],
                         qr_code="none")
    assert text.splitlines() == GOLDEN_32.splitlines()[:-4]  # no rule, no QR string
    block = qr.text_art(QR_STRING).splitlines()
    assert all(len(line) == 45 for line in block)  # the screen shows it beside or under the paper


def test_a_draft_has_no_qr_code_in_any_form_even_on_58_mm_paper():
    for qr_code in ("string", "art", "none"):
        printed = layout.render(receipt(stamp=None), width=32, qr_code=qr_code)
        assert printed.splitlines()[-1] == "КАССИР                Иванова А."


def test_an_unknown_qr_form_is_refused():
    with pytest.raises(ValueError):
        layout.render(receipt(), width=48, qr_code="image")
