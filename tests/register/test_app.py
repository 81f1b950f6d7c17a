"""The cashier's app, driven as a cashier drives it: keys typed (a scanner types digits and Enter), buttons
clicked, and what the screen shows read back; then what the till's drive and journal hold.

The register is offline and alone: its catalog gets a changes stream as from the server (a point, two
cashiers — PIN 1234 with every right, 5678 with none — milk, weighed cheese, bread on a hot key)."""

from __future__ import annotations

import threading
from contextlib import asynccontextmanager
from datetime import timedelta

import pytest
from textual import events
from textual.widgets import DataTable, Digits, Input, OptionList

from openkassa.fiscal.device import ShiftState
from openkassa.fiscal.enums import SettlementType
from openkassa.register import sale
from openkassa.register.app import SEARCH_PAUSE, RegisterApp
from openkassa.register.screens import ChoiceScreen, FormScreen, PaymentScreen, ReceiptScreen, ReportScreen, ReturnScreen, SignInScreen
from openkassa.register.till import Till
from register.offline import BREAD_CODE, CHEESE_CODE, MILK_CODE

pytestmark = pytest.mark.anyio

@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def till(open_till) -> Till:
    return open_till()


@asynccontextmanager
async def register(till: Till, *, pin: str | None = "1234", shift_cash: int | None = None, **options):
    """The app running in a test terminal, the cashier of `pin` signed in (None: at the PIN pad), and the
    shift opened with `shift_cash` in the drawer."""
    if pin is not None:
        till.sign_in(pin)  # the PIN pad has its own story; the others start at the sale screen
    app = RegisterApp(till, **options)
    async with app.run_test(size=(100, 36)) as pilot:
        if shift_cash is not None:
            till.open_shift(shift_cash)
        yield app, pilot


async def type_in(pilot, text: str, *keys: str) -> None:
    """Type `text` in one burst, as a USB scanner (or a quick cashier) does, then press `keys`.

    The keys go to the app as the terminal's driver sends them; `pilot.press` would wait for the
    screen to settle after each one, which costs a tenth of a second a key."""
    for character in text:
        pilot.app.post_message(events.Key(character, character))
    await pilot.pause()
    if keys:
        await pilot.press(*keys)


def shown(app, selector: str) -> str:
    """The text a widget of the top screen shows."""
    return str(app.screen.query_one(selector).render())


def status(app) -> str:
    """The status line of the sale screen (read even while a dialog covers it)."""
    return str(app.sale.query_one("#status").render())


def rows(app) -> list[list[str]]:
    table = app.sale.query_one("#lines", DataTable)
    return [[str(cell) for cell in table.get_row_at(row)] for row in range(table.row_count)]


def total(app) -> str:
    return app.sale.query_one("#total", Digits).value


async def scan(pilot, code: str) -> None:
    await type_in(pilot, code, "enter")


async def fill(pilot, field: str, text: str) -> None:
    """Type into a field of the top dialog, replacing what it holds."""
    widget = pilot.app.screen.query_one(f"#{field}", Input)
    widget.value = ""
    widget.focus()
    await type_in(pilot, text)


class FakeLink:
    """A link to a server that is always there: it runs until stopped and counts its nudges."""

    def __init__(self):
        self.online = True
        self.nudges = 0
        self.running, self.stopped = threading.Event(), threading.Event()

    def nudge(self) -> None:
        self.nudges += 1

    def stock(self, product_id) -> None:
        return None  # its point keeps no stock

    def run(self, stop: threading.Event) -> None:
        self.running.set()
        stop.wait()
        self.stopped.set()


# --- signing in, the shift ------------------------------------------------------------------------------------

async def test_a_cashier_signs_in_with_her_pin_after_a_wrong_one(till):
    async with register(till, pin=None) as (app, pilot):
        # given the PIN pad on start, which Escape does not get past
        assert isinstance(app.screen, SignInScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, SignInScreen)
        # when a wrong PIN is typed
        await type_in(pilot, "0000", "enter")
        # then the pad says so and stays
        assert isinstance(app.screen, SignInScreen)
        assert shown(app, "#error") == "Неверный PIN-код."
        # when the right one is typed, the sale screen greets her and the status names her
        await type_in(pilot, "1234", "enter")
        assert app.screen is app.sale
        assert "Кассир: Иванова Анна" in status(app)
        assert "Смена закрыта" in status(app)
        assert till.cashier.name == "Иванова Анна"
        # and the footer shows the keys of the sale
        footer = [key.description for key in app.sale.query("FooterKey")]
        assert {"Оплата", "Поиск", "Кол-во", "Скидка", "Отложить", "Возврат", "Смена", "Цена", "Своб. цена", "Удалить"} <= set(footer)
        # and «Выйти» in the shift menu brings the PIN pad back
        await pilot.press("f8")
        assert isinstance(app.screen, ChoiceScreen)
        await pilot.press("down", "enter")
        assert isinstance(app.screen, SignInScreen) and till.cashier is None


async def test_the_cashier_opens_the_shift_with_the_cash_in_the_drawer(till):
    async with register(till) as (app, pilot):
        # when she opens the shift from F8 with 1 000 ₽ in the drawer
        await pilot.press("f8", "enter")
        assert isinstance(app.screen, FormScreen)
        assert app.screen.query_one("#cash", Input).value == "0,00"  # nothing carried over
        await fill(pilot, "cash", "1000")
        await pilot.press("enter")
        # then the status shows the open shift, and the drawer holds the cash
        assert app.screen is app.sale
        assert "Смена открыта № 1" in status(app)
        assert "Смена 1 открыта." in shown(app, "#message")
        assert till.x_report().cash_in_drawer == 100000
        # and the shift opening and its cash-in wait for upload, counted in the status
        assert f"Не выгружено: {till.journal.unsent_count()}" in status(app)


async def test_an_x_report_shows_the_shift_so_far(till):
    async with register(till, shift_cash=50000) as (app, pilot):
        till.scan(MILK_CODE)
        till.pay([sale.Tender("cash", 8990)])
        await pilot.press("f8")  # X-отчёт is the first item of an open shift's menu
        await pilot.press("enter")
        assert isinstance(app.screen, ReportScreen)
        report = shown(app, "#report")
        assert "Чеков: 1" in report and "Продажи: 1 на 89,90 ₽" in report
        assert "Наличных в ящике: 589,90 ₽" in report
        await pilot.press("enter")
        assert app.screen is app.sale


async def test_cash_in_and_cash_out_with_a_reason(till):
    async with register(till, shift_cash=10000) as (app, pilot):
        await pilot.press("f8", "down", "enter")  # Внесение
        await fill(pilot, "amount", "500")
        await pilot.press("enter")  # to the reason
        await type_in(pilot, "Размен", "enter")
        assert "Внесено 500,00 ₽." in shown(app, "#message")
        await pilot.press("f8", "down", "down", "enter")  # Выплата
        await fill(pilot, "amount", "2000")
        await pilot.press("enter", "enter")
        # more than the drawer holds: the drive refuses, the dialog stays with the reason
        assert isinstance(app.screen, FormScreen)
        assert "не хватает наличных" in shown(app, "#error")
        await fill(pilot, "amount", "300")
        await pilot.press("enter")
        await type_in(pilot, "Инкассация", "enter")
        assert "Выплачено 300,00 ₽." in shown(app, "#message")
        assert till.x_report().cash_in_drawer == 10000 + 50000 - 30000


async def test_closing_the_shift_counts_the_cash_and_carries_some_over(till):
    async with register(till, shift_cash=50000) as (app, pilot):
        await pilot.press("f8", "down", "down", "down", "enter")  # Закрыть смену
        form = app.screen
        assert isinstance(form, FormScreen)
        assert form.query_one("#counted", Input).value == "500,00"  # what the drawer should hold
        await pilot.press("enter")  # the counted cash as proposed
        await fill(pilot, "carry", "300")
        await pilot.press("enter")
        # then the Z report shows, the shift is closed and 300 ₽ wait for the next one
        assert isinstance(app.screen, ReportScreen)
        assert "Оставлено в ящике на следующую смену: 300,00 ₽" in shown(app, "#report")
        await pilot.press("enter")
        assert till.status().shift_state is ShiftState.CLOSED and till.carried_over == 30000
        assert "Смена закрыта" in status(app)
        # and the next opening proposes the carried-over cash
        await pilot.press("f8", "enter")
        assert app.screen.query_one("#cash", Input).value == "300,00"


async def test_the_24_hour_rule_is_warned_of_before_it_bites(till, clock):
    async with register(till, shift_cash=0) as (app, pilot):
        await pilot.pause()
        assert not app.sale.query_one("#warnings").display
        # when the shift has been open 23 hours and a half
        clock.now += timedelta(hours=23, minutes=30)
        app.sale.show_status()  # what the one-second timer does
        # then the warning is on screen, highlighted above everything
        warnings = app.sale.query_one("#warnings")
        assert warnings.display and "Смена закроется по правилу 24 часов" in str(warnings.render())
        # and it stays in sight over the dialogs
        await pilot.press("f8")
        assert "Смена закроется по правилу 24 часов" in shown(app, ".dialog-warnings")


# --- the sale ------------------------------------------------------------------------------------------------

async def test_scanning_two_products_and_paying_cash_shows_the_change(till):
    async with register(till, shift_cash=0) as (app, pilot):
        # when the scanner reads the milk twice and the bread once
        await scan(pilot, MILK_CODE)
        await scan(pilot, MILK_CODE)
        await scan(pilot, BREAD_CODE)
        # then the table shows two lines and the large total
        assert rows(app) == [["1", "Молоко 3,2% 1 л", "2", "89,90", "", "179,80"], ["2", "Хлеб бородинский", "1", "55,00", "", "55,00"]]
        assert total(app) == "234.80"
        # when the buyer pays 500 ₽ in cash
        await pilot.press("f2")
        assert isinstance(app.screen, PaymentScreen)
        await fill(pilot, "amount", "500")
        assert shown(app, "#change") == "Сдача: 265,20 ₽"
        await pilot.press("enter")
        # then the printed receipt shows with its QR code and the change
        assert isinstance(app.screen, ReceiptScreen)
        assert shown(app, "#change") == "Сдача: 265,20 ₽"
        printed = shown(app, "#receipt-text")
        assert "ИТОГ" in printed and "=234.80" in printed and "Спасибо за покупку!" in printed
        assert "█" in shown(app, "#receipt-qr")
        # and the drive signed receipt 1; the receipt waits for upload; a new receipt starts
        assert till.drive.status().receipt_number == 1
        assert till.journal.find_receipt(shift=1, number=1).total == 23480
        await pilot.press("enter")
        assert app.screen is app.sale and rows(app) == [] and total(app) == "0.00"
        assert app.sale.query_one("#entry", Input).has_focus


async def test_an_unknown_barcode_becomes_a_new_product_and_is_sold(till):
    async with register(till, shift_cash=0) as (app, pilot):
        unsent = till.journal.unsent_count()
        await scan(pilot, "4600000000999")
        assert isinstance(app.screen, FormScreen) and "4600000000999" in shown(app, ".note")
        await type_in(pilot, "Сок яблочный", "enter")
        await type_in(pilot, "120", "enter")
        assert rows(app) == [["1", "Сок яблочный", "1", "120,00", "", "120,00"]]
        assert till.journal.unsent_count() == unsent + 1  # the new product goes to the server
        await pilot.press("f2", "enter")
        assert isinstance(app.screen, ReceiptScreen) and "Сок яблочный" in shown(app, "#receipt-text")


async def test_typing_letters_searches_and_enter_adds_the_product_found(till):
    async with register(till, shift_cash=0) as (app, pilot):
        await type_in(pilot, "хле")
        await pilot.pause(SEARCH_PAUSE + 0.1)
        results = app.sale.query_one("#results", OptionList)
        assert results.display and [str(option.prompt) for option in results.options] == ["Хлеб бородинский — 55,00 ₽"]
        await pilot.press("enter")
        assert rows(app)[0][1] == "Хлеб бородинский"
        assert not results.display and app.sale.query_one("#entry", Input).value == ""
        # and the arrows pick among several results, shown once the typing pauses
        await type_in(pilot, "м")
        await type_in(pilot, "о")
        await pilot.pause(SEARCH_PAUSE + 0.1)
        assert [str(option.prompt) for option in results.options] == ["Молоко 3,2% 1 л — 89,90 ₽"]
        await pilot.press("down", "enter")
        assert [row[1] for row in rows(app)] == ["Хлеб бородинский", "Молоко 3,2% 1 л"]


async def test_a_hot_key_adds_its_product(till):
    async with register(till, shift_cash=0) as (app, pilot):
        await pilot.pause()
        assert str(app.sale.query_one("#hot-0").label) == "Хлеб\n55,00 ₽"
        await pilot.click("#hot-0")
        await pilot.click("#hot-0")
        assert rows(app) == [["1", "Хлеб бородинский", "2", "55,00", "", "110,00"]]
        assert app.sale.query_one("#entry", Input).has_focus


async def test_a_weighed_product_asks_its_weight(till):
    async with register(till, shift_cash=0) as (app, pilot):
        await scan(pilot, CHEESE_CODE)
        assert isinstance(app.screen, FormScreen) and "Вес, кг" in shown(app, ".field-label")
        await type_in(pilot, "0,35", "enter")
        assert rows(app) == [["1", "Сыр российский", "0,35 кг", "899,00", "", "314,65"]]
        # and F4 weighs it again
        await pilot.press("f4")
        await fill(pilot, "quantity", "1,2")
        await pilot.press("enter")
        assert rows(app)[0][2:] == ["1,2 кг", "899,00", "", "1 078,80"]
        assert total(app) == "1 078.80"


async def test_a_barcode_scanned_into_the_weight_is_refused_and_the_receipt_stays(till):
    async with register(till, shift_cash=0) as (app, pilot):
        # given a weighed product waiting for its weight
        await scan(pilot, CHEESE_CODE)
        # when the cashier scans another product's barcode into the weight field by mistake
        await type_in(pilot, MILK_CODE, "enter")
        # then the dialog says why it refuses, and the app goes on with an empty receipt
        assert isinstance(app.screen, FormScreen) and "Слишком большая" in shown(app, "#error")
        await pilot.press("escape")
        await scan(pilot, MILK_CODE)
        assert [row[1] for row in rows(app)] == ["Молоко 3,2% 1 л"]


async def test_a_receipt_given_away_by_a_full_discount_is_paid_with_nothing(till):
    async with register(till, shift_cash=0) as (app, pilot):
        await scan(pilot, MILK_CODE)
        till.discount_receipt(percent=100)
        await pilot.press("f2", "enter")
        assert isinstance(app.screen, ReceiptScreen)
        assert till.journal.find_receipt(shift=1, number=1).total == 0


async def test_an_approved_card_payment_is_kept_when_the_receipt_is_refused(till):
    async with register(till, shift_cash=0) as (app, pilot):
        # given a receipt half paid by an approved card
        await scan(pilot, MILK_CODE)
        await pilot.press("f2")
        await fill(pilot, "amount", "50")
        await pilot.press("f3", "enter")  # the terminal: Одобрить
        # when the rest is paid in cash with a buyer's contact the register refuses
        await fill(pilot, "contact", "not a contact")
        await fill(pilot, "amount", "39,90")
        await pilot.press("enter")
        # then the refusal shows, the card payment stays taken, and the receipt closes once the contact is fixed
        assert "телефон" in shown(app, "#error") and "Карта: 50,00" in shown(app, "#tenders")
        await fill(pilot, "contact", "+7 900 123-45-67")
        await fill(pilot, "amount", "39,90")
        await pilot.press("enter")
        assert isinstance(app.screen, ReceiptScreen)
        receipt = till.journal.find_receipt(shift=1, number=1)
        assert [(p.kind, p.amount) for p in receipt.payments] == [("card", 5000), ("cash", 3990)]


async def test_a_line_discount_in_percent_and_a_receipt_discount_in_roubles(till):
    async with register(till, shift_cash=0) as (app, pilot):
        for _ in range(3):
            await scan(pilot, MILK_CODE)
        await pilot.press("f5")
        await type_in(pilot, "10%", "enter")  # on the line: 10 % of 269,70
        await type_in(pilot, "10", "enter")  # on the receipt: 10 ₽
        assert rows(app) == [["1", "Молоко 3,2% 1 л", "3", "89,90", "26,97", "242,73"]]
        assert "Скидка на чек: 10,00 ₽" in shown(app, "#discounts")
        assert total(app) == "232.73"
        await pilot.press("f2", "enter")
        assert till.journal.find_receipt(shift=1, number=1).total == 26970 - 2697 - 1000


async def test_a_junior_cashier_is_refused_a_discount_with_the_reason(till):
    async with register(till, pin="5678", shift_cash=0) as (app, pilot):
        await scan(pilot, MILK_CODE)
        await pilot.press("f5")
        await type_in(pilot, "10%", "enter", "enter")
        assert isinstance(app.screen, FormScreen)
        assert shown(app, "#error") == "У вас нет права давать скидки."
        await pilot.press("escape")
        assert rows(app)[0][4] == "" and total(app) == "89.90"


async def test_a_price_change_and_a_free_price_sale(till):
    async with register(till, shift_cash=0) as (app, pilot):
        await scan(pilot, MILK_CODE)
        await pilot.press("f9")
        await fill(pilot, "price", "80")
        await pilot.press("enter")
        assert rows(app) == [["1", "Молоко 3,2% 1 л", "1", "80,00", "", "80,00"]]
        await pilot.press("f10")
        await type_in(pilot, "Пакет", "enter", "5", "enter")
        assert rows(app)[1] == ["2", "Пакет", "1", "5,00", "", "5,00"]
        assert total(app) == "85.00"


async def test_a_declined_card_leaves_the_receipt_open_and_an_approved_one_pays_it(till):
    async with register(till, shift_cash=0) as (app, pilot):
        await scan(pilot, MILK_CODE)
        await pilot.press("f2", "f3")
        assert isinstance(app.screen, ChoiceScreen) and "Терминал: оплата картой 89,90 ₽" in shown(app, ".dialog-title")
        await pilot.press("down", "enter")  # Отклонить
        assert isinstance(app.screen, PaymentScreen)
        assert "Терминал отклонил оплату" in shown(app, "#error")
        assert till.cart.lines and till.drive.status().receipt_number == 0
        await pilot.press("f3", "enter")  # Одобрить
        assert isinstance(app.screen, ReceiptScreen) and "БЕЗНАЛИЧНЫМИ" in shown(app, "#receipt-text")
        assert till.journal.find_receipt(shift=1, number=1).payments[0].kind == "card"


async def test_a_mixed_payment_by_gift_certificate_card_and_cash(till):
    async with register(till, shift_cash=0) as (app, pilot):
        await scan(pilot, MILK_CODE)
        await pilot.press("f2")
        await fill(pilot, "amount", "50")
        await fill(pilot, "reference", "GC-1")
        await pilot.press("f5")  # a gift certificate for 50 ₽
        assert "Подарочный сертификат: 50,00 ₽" in shown(app, "#tenders")
        assert app.screen.query_one("#amount", Input).value == "39,90"
        await fill(pilot, "amount", "20")
        await pilot.press("f3", "enter")  # 20 ₽ by card, approved
        await fill(pilot, "amount", "50")
        await pilot.press("enter")  # the rest in cash
        assert isinstance(app.screen, ReceiptScreen) and shown(app, "#change") == "Сдача: 30,10 ₽"
        paid = till.journal.find_receipt(shift=1, number=1).payments
        assert [(payment.kind, payment.amount) for payment in paid] == [("gift", 5000), ("card", 2000), ("cash", 1990)]


async def test_the_buyers_contact_goes_on_the_receipt(till):
    async with register(till, shift_cash=0) as (app, pilot):
        await scan(pilot, BREAD_CODE)
        await pilot.press("f2")
        await fill(pilot, "contact", "buyer@example.ru")
        await pilot.press("enter")
        assert "buyer@example.ru" in shown(app, "#receipt-text")
        assert till.journal.find_receipt(shift=1, number=1).buyer_contact == "buyer@example.ru"


async def test_a_parked_receipt_is_resumed_from_the_list(till):
    async with register(till, shift_cash=0) as (app, pilot):
        await scan(pilot, MILK_CODE)
        await pilot.press("f6")
        assert rows(app) == [] and "Чек отложен" in shown(app, "#message")
        # a second buyer is served meanwhile
        await scan(pilot, BREAD_CODE)
        await pilot.press("f2", "enter", "enter")
        # then F6 on an empty receipt lists the parked one
        await pilot.press("f6")
        assert isinstance(app.screen, ChoiceScreen) and "Молоко 3,2% 1 л" in str(app.screen.query_one(OptionList).options[0].prompt)
        await pilot.press("enter")
        assert rows(app) == [["1", "Молоко 3,2% 1 л", "1", "89,90", "", "89,90"]] and till.parked() == []


async def test_delete_removes_the_selected_line_and_escape_cancels_the_receipt(till):
    async with register(till, shift_cash=0) as (app, pilot):
        await scan(pilot, MILK_CODE)
        await scan(pilot, BREAD_CODE)
        await pilot.press("up", "delete")
        assert [row[1] for row in rows(app)] == ["Хлеб бородинский"]
        await pilot.press("escape")
        assert isinstance(app.screen, ChoiceScreen)
        await pilot.press("down", "enter")
        assert rows(app) == [] and till.cart.lines == []


# --- returns and corrections -----------------------------------------------------------------------------------

async def test_a_return_of_part_of_a_receipt_found_by_its_number(till):
    async with register(till, shift_cash=0) as (app, pilot):
        # given a sale of three milks and a bread
        till.add(till.catalog.by_barcode(MILK_CODE), quantity=3000)
        till.scan(BREAD_CODE)
        till.pay([sale.Tender("cash", 50000)])
        # when the buyer brings one milk back: F7, the receipt «1/1»
        await pilot.press("f7")
        assert isinstance(app.screen, ReturnScreen)
        await type_in(pilot, "1/1", "enter")
        assert app.screen.query_one("#return-0", Input).value == "3"  # all, by default
        await fill(pilot, "return-0", "1")
        await pilot.press("enter")  # on to the next line, not yet the return
        assert isinstance(app.screen, ReturnScreen) and app.screen.focused.id == "return-1"
        await fill(pilot, "return-1", "0")
        await pilot.press("enter")
        # then the return receipt holds one milk and the payment back opens at once
        assert isinstance(app.screen, PaymentScreen) and "К выдаче: 89,90 ₽" in shown(app, "#due")
        assert rows(app) == [["1", "Молоко 3,2% 1 л", "1", "89,90", "", "89,90"]]
        assert str(app.sale.query_one("#mode").render()) == "ВОЗВРАТ ПРОДАЖИ по чеку"
        await pilot.press("enter")
        assert isinstance(app.screen, ReceiptScreen) and "ВОЗВРАТ ПРИХОДА" in shown(app, "#receipt-text")
        [returned] = till.journal.returns_of(till.journal.find_receipt(shift=1, number=1).id)
        assert returned.settlement == SettlementType.SALE_RETURN and returned.total == 8990
        assert [(line.name, line.quantity) for line in returned.lines] == [("Молоко 3,2% 1 л", 1000)]
        # and the next return of that receipt proposes what is left of it
        await pilot.press("enter", "f7")
        await type_in(pilot, "1/1", "enter")
        assert [app.screen.query_one(f"#return-{index}", Input).value for index in (0, 1)] == ["2", "1"]


async def test_a_return_found_by_the_receipts_qr_code_scanned_into_the_entry(till):
    async with register(till, shift_cash=0) as (app, pilot):
        till.scan(MILK_CODE)
        sold = till.pay([sale.Tender("cash", 8990)])
        app.sale.query_one("#entry", Input).value = sold.qr
        await pilot.press("enter")
        assert isinstance(app.screen, ReturnScreen)
        await pilot.press("enter")  # find it
        await pilot.press("enter")  # return all of it
        assert isinstance(app.screen, PaymentScreen)
        await pilot.press("escape")
        assert "ВОЗВРАТ ПРОДАЖИ по чеку" in shown(app, "#mode")


async def test_a_return_without_a_receipt_is_refused_where_the_point_forbids_it(till):
    async with register(till, shift_cash=0) as (app, pilot):
        await pilot.press("f7", "f7")
        assert isinstance(app.screen, ReturnScreen)
        assert shown(app, "#error") == "На этой точке возврат без чека запрещён."


async def test_a_return_without_a_receipt_where_the_point_allows_it(open_till):
    till = open_till(allow_return_without_receipt=True)
    async with register(till, shift_cash=10000) as (app, pilot):
        await pilot.press("f7", "f7")
        assert app.screen is app.sale and shown(app, "#mode") == "ВОЗВРАТ ПРОДАЖИ без чека"
        await scan(pilot, MILK_CODE)
        await pilot.press("f2")
        assert "К выдаче: 89,90 ₽" in shown(app, "#due")
        await pilot.press("enter")
        assert isinstance(app.screen, ReceiptScreen) and "ВОЗВРАТ ПРИХОДА" in shown(app, "#receipt-text")
        assert till.x_report().cash_in_drawer == 10000 - 8990


async def test_a_correction_receipt_for_a_sale_made_without_one(till):
    async with register(till, shift_cash=0) as (app, pilot):
        await pilot.press("f8", "down", "down", "down", "down", "enter")  # Чек коррекции
        assert isinstance(app.screen, FormScreen) and shown(app, ".dialog-title") == "Чек коррекции"
        await fill(pilot, "amount", "150")
        await fill(pilot, "date", "26.11.2026")
        await fill(pilot, "reason", "Сбой питания")
        await pilot.press("enter")  # to the order number, empty
        await pilot.press("enter")
        assert isinstance(app.screen, ReceiptScreen) and "КОРРЕКЦИИ" in shown(app, "#receipt-text")
        assert till.drive.status().receipt_number == 1


# --- after the receipt, offline first ---------------------------------------------------------------------------

async def test_each_receipt_is_written_to_the_receipts_folder_and_printed(till, tmp_path):
    printer = tmp_path / "printer.bin"
    async with register(till, shift_cash=0, receipts_dir=tmp_path / "receipts", printer=str(printer), width=48) as (app, pilot):
        await scan(pilot, MILK_CODE)
        await pilot.press("f2", "enter")
        await app.workers.wait_for_complete()
    saved = (tmp_path / "receipts" / "0001-0001.txt").read_text(encoding="utf-8")
    assert "ИТОГ" in saved and "Молоко 3,2% 1 л" in saved and "█" in saved
    assert max(len(line) for line in saved.split("\n\n")[0].splitlines()) == 48  # 80 mm paper
    job = printer.read_bytes()
    assert job.startswith(b"\x1b@") and "ИТОГ".encode("cp866") in job and job.endswith(b"\x1dVB\x00")


async def test_the_link_syncs_in_a_worker_is_nudged_by_each_document_and_stops_on_exit(till):
    link = FakeLink()
    async with register(till, shift_cash=0, link=link) as (app, pilot):
        assert link.running.wait(5)
        await scan(pilot, MILK_CODE)
        await pilot.press("f2", "enter")
        assert link.nudges == 1
        app.sale.show_status()
        assert "Сервер: в сети" in status(app)
        assert f"Не выгружено: {till.journal.unsent_count()}" in status(app)
        link.online = False
        app.sale.show_status()
        assert "Сервер: нет связи" in status(app)
    assert link.stopped.wait(5)


async def test_a_link_that_fails_is_told_and_the_register_goes_on_selling(till):
    class BrokenLink(FakeLink):
        def run(self, stop: threading.Event) -> None:
            raise RuntimeError("адрес сервера не задан")

    async with register(till, shift_cash=0, link=BrokenLink()) as (app, pilot):
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "Связь с сервером остановлена: адрес сервера не задан" in shown(app, "#message")
        await scan(pilot, MILK_CODE)
        await pilot.press("f2", "enter")
        assert isinstance(app.screen, ReceiptScreen)
