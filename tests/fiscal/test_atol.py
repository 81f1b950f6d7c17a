"""ATOL ДТО10 JSON tasks built from our documents: names from one table, sums exact to the kopeck."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from openkassa.fiscal.arithmetic import vat_of
from openkassa.fiscal.atol import (
    ATOL_NAMES,
    close_shift_task,
    correction_task,
    open_shift_task,
    receipt_task,
    report_x_task,
)
from openkassa.fiscal.documents import CorrectionReceipt, Item, Receipt
from openkassa.fiscal.enums import CorrectionType, ItemType, PaymentMethod, SettlementType, TaxSystem, Unit, VatRate


def item(name="Хлеб", price=5_000, quantity=2_000, vat=VatRate.VAT_20, **overrides) -> Item:
    amount = (price * quantity + 500) // 1000
    return Item(name=name, price=price, quantity=quantity, amount=amount, vat=vat, vat_amount=vat_of(amount, vat),
                **overrides)


def receipt(settlement=SettlementType.SALE, items=None, **overrides) -> Receipt:
    items = items or (item(), item("Молоко 3,2%", 8_990, 1_500, VatRate.VAT_10, unit=Unit.LITRE))
    total = sum(line.amount for line in items)
    values = dict(settlement=settlement, tax_system=TaxSystem.OSN, items=items, total=total,
                  cash=total - 1_000, electronic=1_000, cashier="Иванова А.", cashier_inn="500100732259")
    return Receipt(**values | overrides)


def test_a_two_item_sale_paid_in_cash_and_by_card_becomes_this_task():
    task = receipt_task(receipt())

    assert task == {
        "type": "sell",
        "taxationType": "osn",
        "electronically": False,
        "operator": {"name": "Иванова А.", "vatin": "500100732259"},
        "items": [
            {"type": "position", "name": "Хлеб", "price": 50.0, "quantity": 2.0, "amount": 100.0,
             "measurementUnit": 0, "paymentMethod": "fullPayment", "paymentObject": "commodity",
             "tax": {"type": "vat20"}},
            {"type": "position", "name": "Молоко 3,2%", "price": 89.9, "quantity": 1.5, "amount": 134.85,
             "measurementUnit": 41, "paymentMethod": "fullPayment", "paymentObject": "commodity",
             "tax": {"type": "vat10"}},
        ],
        "payments": [{"type": "cash", "sum": 224.85}, {"type": "electronically", "sum": 10.0}],
        "total": 234.85,
    }


def test_the_operator_given_overrides_the_receipt_s_cashier():
    task = receipt_task(receipt(), operator_name="Петров П.", operator_inn="", electronically=True)

    assert task["operator"] == {"name": "Петров П.", "vatin": "500100732259"}
    assert task["electronically"] is True


@pytest.mark.parametrize(("settlement", "expected"), [
    (SettlementType.SALE, "sell"),
    (SettlementType.SALE_RETURN, "sellReturn"),
    (SettlementType.PURCHASE, "buy"),
    (SettlementType.PURCHASE_RETURN, "buyReturn"),
])
def test_returns_and_purchases_get_their_task_type(settlement, expected):
    assert receipt_task(receipt(settlement))["type"] == expected


@pytest.mark.parametrize("table, members", [
    ("tax", list(VatRate)),
    ("taxationType", list(TaxSystem)),
    ("paymentMethod", list(PaymentMethod)),
    ("paymentObject", list(ItemType)),
    ("type", list(SettlementType)),
    ("correctionType", list(SettlementType)),
    ("correctionKind", list(CorrectionType)),
])
def test_every_value_of_our_enums_has_an_atol_name(table, members):
    assert set(ATOL_NAMES[table]) == set(members)
    assert len(set(ATOL_NAMES[table].values())) == len(members)  # no two values share a name


def test_every_vat_rate_and_tax_system_reaches_the_task():
    for rate in VatRate:
        task = receipt_task(receipt(items=(item(vat=rate),)))
        assert task["items"][0]["tax"]["type"] == ATOL_NAMES["tax"][rate]
    for system in TaxSystem.single():
        assert receipt_task(receipt(tax_system=system))["taxationType"] == ATOL_NAMES["taxationType"][system]


def test_item_amounts_add_up_to_the_total_to_the_kopeck():
    # 0.1 + 0.2 != 0.3 in floats: the prices below would drift if any sum were made in float
    lines = tuple(item(f"Товар {n}", price, 1_000) for n, price in enumerate((10, 20, 30, 1, 2, 99_999_99, 33_33)))
    task = receipt_task(receipt(items=lines))

    amounts = sum(Decimal(str(line["amount"])) for line in task["items"])
    payments = sum(Decimal(str(payment["sum"])) for payment in task["payments"])

    assert amounts == payments == Decimal(str(task["total"])) == Decimal(sum(line.amount for line in lines)) / 100


def test_a_receipt_paid_in_advance_on_credit_and_otherwise_lists_those_payments():
    task = receipt_task(receipt(cash=0, electronic=0, advance=9_000, credit=13_485, other=1_000))

    assert task["payments"] == [
        {"type": "prepaid", "sum": 90.0}, {"type": "credit", "sum": 134.85}, {"type": "other", "sum": 10.0},
    ]


def test_a_correction_by_order_carries_its_type_date_and_order_number():
    line = item("Кофе", 15_000, 1_000, VatRate.NO_VAT, item_type=ItemType.SERVICE)
    correction = CorrectionReceipt(settlement=SettlementType.SALE, tax_system=TaxSystem.USN_INCOME, items=(line,),
                                   total=15_000, cash=15_000, corrected_date=date(2026, 11, 20),
                                   correction_type=CorrectionType.BY_ORDER, order_number="ПР-17")

    task = correction_task(correction, operator_name="Иванова А.")

    assert task["type"] == "sellCorrection"
    assert task["correctionType"] == "instruction"
    assert task["correctionBaseDate"] == "2026.11.20"
    assert task["correctionBaseNumber"] == "ПР-17"
    assert task["taxationType"] == "usnIncome"
    assert task["items"][0]["paymentObject"] == "service"
    assert task["items"][0]["tax"] == {"type": "none"}
    assert task["payments"] == [{"type": "cash", "sum": 150.0}]


def test_a_purchase_correction_on_own_initiative_has_no_order_number():
    correction = CorrectionReceipt(settlement=SettlementType.PURCHASE, tax_system=TaxSystem.OSN, items=(item(),),
                                   total=10_000, electronic=10_000, corrected_date=date(2026, 11, 1))

    task = correction_task(correction)

    assert task["type"] == "buyCorrection"
    assert task["correctionType"] == "self"
    assert "correctionBaseNumber" not in task


def test_shift_and_x_report_tasks_name_the_operator():
    assert open_shift_task(operator_name="Иванова А.", operator_inn="500100732259") == {
        "type": "openShift", "operator": {"name": "Иванова А.", "vatin": "500100732259"},
    }
    assert close_shift_task(operator_name="Иванова А.") == {"type": "closeShift", "operator": {"name": "Иванова А."}}
    assert report_x_task(operator_name="Иванова А.") == {"type": "reportX", "operator": {"name": "Иванова А."}}
