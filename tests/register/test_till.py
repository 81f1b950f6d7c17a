"""The till: a cashier's work at the register, offline, against its own drive, journal and catalog.

The point's settings, cashiers and products arrive as a changes stream (as from the server)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest

from openkassa.fiscal.device import ShiftState
from openkassa.fiscal.enums import SettlementType, VatRate
from openkassa.protocol import changes
from openkassa.register import sale
from openkassa.register.till import Till, TillError
from register.offline import SENIOR

@pytest.fixture
def till(open_till) -> Till:
    till = open_till()
    till.sign_in("1234")
    return till


def test_a_cashier_opens_a_shift_sells_by_scanner_with_change_and_the_sale_waits_in_the_outbox(till):
    # given a senior cashier who opened a shift with 1 000 ₽ in the drawer
    till.open_shift(cash=100000)

    # when she scans milk twice and a bread the catalog does not know, made into a product on the spot
    till.scan("4600000000022")
    till.scan("4600000000022\n")
    assert till.scan("4600000000039") is None
    till.new_product("4600000000039", "Хлеб бородинский", 5500)
    # and the buyer pays 500 ₽ in cash
    done = till.pay([sale.Tender("cash", 50000)])

    # then the receipt holds two lines, its total and the change
    assert [(line.name, line.quantity) for line in done.document.lines] == [("Молоко 3,2% 1 л", 2000), ("Хлеб бородинский", 1000)]
    assert done.receipt.total == 2 * 8990 + 5500 and done.change == 50000 - 23480
    assert done.receipt.stamp.receipt_number == 1
    # and the printout shows ИТОГ and the QR string is the receipt's
    assert "ИТОГ" in done.text() and f"s={234.80:.2f}" in done.qr
    # and the outbox holds the shift opening, the opening cash-in, the new product, the receipt and the registration
    assert till.status().unsynced == 5
    assert till.cart.lines == []


def test_a_weighed_product_needs_its_weight_and_is_priced_by_it(till):
    till.open_shift()
    cheese = till.catalog.by_barcode("2000000000015")
    with pytest.raises(TillError, match="вес"):
        till.add(cheese)
    till.add(cheese, quantity=350)
    done = till.pay([sale.Tender("card", 31465)])
    assert done.receipt.total == 31465  # 899.00 × 0.350 kg


def test_rights_from_the_back_office_apply(open_till):
    # given a junior cashier without the right to discounts, returns, cash drawer or closing the shift
    till = open_till()
    till.sign_in("5678")
    till.open_shift()
    till.scan("4600000000022")
    # then each of those is refused with a reason he understands
    with pytest.raises(TillError, match="скидки"):
        till.discount_receipt(percent=10)
    with pytest.raises(TillError, match="вносить"):
        till.cash_in(1000)
    with pytest.raises(TillError, match="закрывать смену"):
        till.close_shift(0)
    with pytest.raises(TillError, match="PIN"):
        till.sign_in("0000")


def test_discounts_on_a_line_and_the_receipt_are_spread_to_the_kopeck(till):
    till.open_shift()
    till.scan("4600000000022")
    till.add(till.catalog.by_barcode("4600000000022"), quantity=2000)
    assert len(till.cart.lines) == 1  # the same product again adds to its line
    till.discount_line(0, percent=10)  # 10 % of 269.70 → 26.97
    till.discount_receipt(amount=1001)
    done = till.pay([sale.Tender("cash", 30000)])
    assert done.receipt.total == 3 * 8990 - 2697 - 1001
    assert sum(line.discount for line in done.document.lines) == 2697 + 1001
    assert sum(line.amount for line in done.document.lines) == done.receipt.total


def test_a_parked_receipt_is_resumed_later(till):
    till.open_shift()
    till.scan("4600000000022")
    till.park()
    till.add(till.catalog.by_barcode("4600000000022"), quantity=3000)
    till.pay([sale.Tender("card", 26970)])
    [parked] = till.parked()
    till.resume(parked.id)
    assert [line.quantity for line in till.cart.lines] == [1000]
    assert till.parked() == []


def test_payments_the_point_does_not_take_are_refused_and_mixed_payments_work(till):
    till.open_shift()
    till.scan("4600000000022")
    with pytest.raises(TillError, match="способ оплаты"):
        till.pay([sale.Tender("bonus", 8990)])
    done = till.pay([sale.Tender("gift", 5000, reference="GC-1"), sale.Tender("card", 2000), sale.Tender("cash", 5000)])
    assert (done.receipt.advance, done.receipt.electronic, done.receipt.cash, done.change) == (5000, 2000, 1990, 3010)


def test_a_return_by_receipt_number_gives_back_what_was_paid_and_not_more(till):
    # given a sale of two milks with a receipt discount
    till.open_shift()
    till.add(till.catalog.by_barcode("4600000000022"), quantity=2000)
    till.discount_receipt(amount=980)
    sold = till.pay([sale.Tender("cash", 17000)])
    # when the buyer brings one milk back, the receipt found by its number
    original = till.find_receipt(str(sold.receipt.stamp.receipt_number))
    till.start_return(original, {0: 1000})
    returned = till.pay([sale.Tender("cash", 8500)])
    # then the return gives back half of what was paid, as a return of a sale
    assert returned.receipt.settlement is SettlementType.SALE_RETURN and returned.receipt.total == 8500
    # and the other milk can be returned once, found by the receipt's QR code, but not a third
    till.start_return(till.find_receipt(sold.qr), {0: 1000})
    till.pay([sale.Tender("cash", 8500)])
    with pytest.raises(TillError, match="не больше 0"):
        till.start_return(original, {0: 1000})


def test_a_return_without_a_receipt_needs_the_points_permission(till):
    till.open_shift()
    with pytest.raises(TillError, match="без чека"):
        till.start_return_without_receipt()


def test_the_shift_closes_with_counted_cash_and_carries_the_rest_over(till):
    till.open_shift(cash=50000)
    till.scan("4600000000022")
    till.pay([sale.Tender("cash", 8990)])
    till.cash_out(20000, "Инкассация")
    x = till.x_report()
    assert x.cash_in_drawer == 50000 + 8990 - 20000
    till.close_shift(counted_cash=x.cash_in_drawer, carry_over=30000)
    assert till.status().shift_state is ShiftState.CLOSED
    assert till.carried_over == 30000


def test_the_cashier_is_warned_before_the_24_hour_rule_bites(till, clock):
    till.open_shift()
    clock.now += timedelta(hours=23, minutes=30)
    assert any("24 часов" in warning for warning in till.status().warnings)
    clock.now += timedelta(hours=1)
    assert till.status().shift_state is ShiftState.EXPIRED
    till.scan("4600000000022")
    with pytest.raises(TillError, match="24 часов"):
        till.pay([sale.Tender("cash", 8990)])


def test_a_correction_receipt_is_signed_and_queued(till):
    till.open_shift()
    done = till.correction([sale.CartLine(product_id=None, name="Продажа без чека", price=15000, vat=VatRate.NO_VAT)],
                           [sale.Tender("cash", 15000)], corrected_date=datetime(2026, 11, 26).date(), reason="Сбой питания")
    assert done.document.type == "correction" and done.receipt.total == 15000


def test_returns_count_by_the_line_they_give_back_and_refund_exactly_what_was_paid(till):
    # given a sale of three milks and a cheese with a receipt discount spread over both lines
    till.open_shift()
    till.add(till.catalog.by_barcode("4600000000022"), quantity=3000)
    till.add(till.catalog.by_barcode("2000000000015"), quantity=1000)
    till.discount_receipt(amount=1000)
    sold = till.pay([sale.Tender("card", 3 * 8990 + 89900 - 1000)])
    original = till.find_receipt(str(sold.receipt.stamp.receipt_number))
    paid = [line.amount for line in original.lines]

    # when the cheese alone comes back, then the milks one by one
    till.start_return(original, {1: 1000})
    refunds = [till.pay([sale.Tender("card", paid[1])]).receipt.total]
    for _ in range(3):
        till.start_return(original, {0: 1000})
        refunds.append(till.pay([sale.Tender("cash", 10000)]).receipt.total)

    # then the cheese cannot come back twice, and the refunds add up to exactly what was paid
    with pytest.raises(TillError, match="не больше 0"):
        till.start_return(original, {1: 1000})
    assert sum(refunds) == sum(paid) == sold.receipt.total


def test_a_parked_return_counts_and_a_return_by_receipt_takes_nothing_else(till):
    # given a sale of one milk and its return begun and parked
    till.open_shift()
    till.scan("4600000000022")
    sold = till.pay([sale.Tender("cash", 8990)])
    original = till.find_receipt(str(sold.receipt.stamp.receipt_number))
    till.start_return(original)
    # then the return takes no other product and no other quantity
    with pytest.raises(TillError, match="возврате по чеку"):
        till.scan("4600000000022")
    with pytest.raises(TillError, match="возврате по чеку"):
        till.set_quantity(0, 5000)
    till.park()
    # and while it is parked, the same milk cannot be returned a second time
    with pytest.raises(TillError, match="Нечего возвращать"):
        till.start_return(original)
    # and the parked one, resumed, still can
    till.resume(till.parked()[0].id)
    assert till.pay([sale.Tender("cash", 8990)]).receipt.total == 8990


def test_a_receipt_given_away_whole_by_discount_is_signed_with_no_payment(till):
    till.open_shift()
    till.scan("4600000000022")
    till.discount_receipt(percent=100)
    done = till.pay([])
    assert done.receipt.total == 0 and done.document.payments == []


def test_a_crash_between_an_intent_and_the_drive_leaves_the_next_sale_its_number(till):
    # given a sale written down as an intent whose drive never signed (a crash, a full disk)
    till.open_shift()
    number = till.drive.status().last_document_number + 1
    till.journal.intend(uuid.uuid4(), "receipt", {"id": str(uuid.uuid4())}, number)
    # when the cashier sells again without a restart
    till.scan("4600000000022")
    done = till.pay([sale.Tender("cash", 8990)])
    # then the sale takes the number, the stale intent is gone, and a restart's recovery is quiet
    assert done.receipt.stamp.document_number == number
    assert till.journal.intents() == []
    assert till.recover() == 0


def test_the_opening_cash_reaches_the_drawer_even_if_the_register_died_after_opening_the_shift(till):
    # given the opening cash written down and the shift opened, but the register killed before the cash-in
    opening = uuid.uuid4()
    shift = till.drive.status().shift + 1
    till.journal.intend(opening, "cash", {"type": "cash", "id": str(opening), "made_at": till.now().isoformat(),
                                          "cashier_id": str(SENIOR), "shift": shift, "kind": "in", "amount": 50000,
                                          "reason": "Остаток на начало смены", "opening": True}, None)
    till.drive.open_shift()
    # when it starts again
    till.recover()
    # then the drawer holds the opening cash
    assert till.x_report().cash_in_drawer == 50000


def test_a_drive_whose_registration_was_cut_short_is_registered_at_the_next_start(tmp_path, clock, open_till):
    from openkassa.fiscal.drive import SoftwareDrive

    # given a register folder whose drive was made but never registered
    folder = tmp_path / "register"
    folder.mkdir()
    SoftwareDrive.create(folder / "drive.db").close()
    # when the register starts
    till = open_till()
    # then its drive is registered and it can open a shift
    assert till.drive.status().registered
    till.sign_in("1234")
    till.open_shift()


def test_a_time_zone_changed_in_the_back_office_does_not_stop_the_register(till):
    # given a shift opened in Moscow time
    till.open_shift()
    # when the point's time zone moves west
    point = till.catalog.point()
    revision = till.catalog.revision
    till.catalog.apply([changes.Begin(since=revision, revision=revision + 1),
                        point.model_copy(update={"timezone": "Europe/Kaliningrad", "revision": revision + 1}),
                        changes.End(revision=revision + 1, lines=1)])
    # then the register still sells, and warns the cashier
    till.scan("4600000000022")
    till.pay([sale.Tender("cash", 8990)])
    assert any("Часовой пояс" in warning for warning in till.status().warnings)
