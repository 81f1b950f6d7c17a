"""The cashier's app (`openkassa register`): a Textual screen over the `Till`.

One sale screen, always there, and dialogs over it (`screens.py`). The screen only collects what the
cashier types and shows what the Till answers: every rule (rights, the shift, the sums) is the Till's,
and its refusals are shown in the cashier's words.

The sale screen: the status line (shift, cashier, server, documents not yet uploaded) and, highlighted,
the warnings of the 24-hour and 30-day rules before they bite; one input that always has the focus —
a scanner types a barcode and Enter, letters search the catalog as they are typed (↑↓ and Enter, or
a click, add the product found); the receipt's lines, its discounts and the sum to pay in large
digits; the point's hot keys. Keys, shown in the footer:

    F2 оплата          F3 поиск            F4 количество / вес    F5 скидка (строка, чек)
    F6 отложить / вернуть отложенный       F7 возврат (F7 ещё раз — без чека)
    F8 смена: открыть, X-отчёт, внесение, выплата, закрыть, чек коррекции, выйти
    F9 цена строки     F10 товар по свободной цене                Delete удалить строку
    Escape очистить ввод / отменить чек (в диалогах — отмена)     Ctrl+Q выход

After every receipt the printout (58 or 80 mm) and its QR code appear on screen; the same text goes
to `receipts_dir` as `СМЕНА-НОМЕР.txt` and, when `printer` names a device or a file, the ESC/POS job
goes there. With a `Link`, the app keeps the register in step with its server in a thread worker and
nudges it after every document.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from rich.text import Text
from pydantic import ValidationError
from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.coordinate import Coordinate
from textual.content import Content
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Button, DataTable, Digits, Footer, Input, Label, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from openkassa.fiscal import escpos, layout, qr
from openkassa.fiscal.arithmetic import line_amount
from openkassa.fiscal.device import ShiftState
from openkassa.fiscal.documents import ShiftCloseReport
from openkassa.fiscal.enums import SettlementType, Unit
from openkassa.fiscal.errors import FiscalError
from openkassa.protocol.changes import CashierLine
from openkassa.register import sale
from openkassa.register.catalog import Product
from openkassa.register.client import SyncError
from openkassa.register.screens import (
    ChoiceScreen, Field, FormScreen, PaymentScreen, ReceiptScreen, ReportScreen, ReturnScreen, SignInScreen,
    parse_discount, parse_money, parse_quantity, quantity_text, rub, x_report_text, z_report_text,
)
from openkassa.register.till import Cart, Done, Till, TillError

if TYPE_CHECKING:
    from openkassa.register.sync import Link

COLUMNS = (("Кол-во", 8), ("Цена", 9), ("Скидка", 8), ("Сумма", 10))  # the lines table's, but № and the name
SEARCH_PAUSE = 0.15  # seconds without a key before the search runs (a scanner types a code in a few ms)

CSS = """
#status { height: 1; padding: 0 1; background: $primary; color: $text; }
#warnings { height: auto; padding: 0 1; background: $error; color: $text; text-style: bold; }
#body { height: 1fr; }
#sale { width: 3fr; padding: 0 1; }
#mode { height: 1; text-style: bold; }
#mode.return { background: $warning; color: $text; }
#results { height: auto; max-height: 10; border: round $accent; }
#message { height: auto; min-height: 1; color: $success; }
#message.error { color: $error; text-style: bold; }
#lines { height: 1fr; }
#totals { height: auto; }
#discounts { width: 1fr; height: 100%; content-align: left bottom; }
#due { width: 40; height: auto; }
#due-caption { width: 100%; text-align: right; text-style: bold; }
#total { width: 100%; text-align: right; }
#hot-keys { width: 2fr; height: auto; grid-size: 2; grid-rows: 4; grid-gutter: 0 1; padding: 1 1 0 0; }
#hot-keys Button { width: 100%; height: 4; }
Dialog { align: center middle; background: $background; }
.dialog-warnings { dock: top; height: auto; padding: 0 1; background: $error; color: $text; text-style: bold; }
.dialog { width: 72; max-width: 100%; height: auto; max-height: 100%; overflow-y: auto;
          border: thick $accent; background: $surface; padding: 0 2; }
.dialog-title { width: 100%; content-align: center middle; text-style: bold; }
.note { margin-bottom: 1; }
.field-label { margin-top: 1; }
.error { height: auto; color: $error; text-style: bold; }
Dialog Input { background: $boost; }
.hint { color: $text-muted; }
#choices { height: auto; max-height: 14; }
.receipt { width: 60; height: 100%; }
#paper { height: 1fr; background: white; color: black; padding: 0 1; }
#change { width: 100%; text-style: bold; color: $success; text-align: center; }
.due-to-pay { text-style: bold; }
#kinds { height: auto; margin-top: 1; grid-size: 3; grid-rows: 1; grid-gutter: 1 1; }
#kinds Button { width: 100%; }
#return-lines { height: auto; }
.return-line { height: auto; }
.return-name { width: 1fr; }
.return-quantity { width: 14; }
"""


class KeysFooter(Footer):
    """Textual's footer of keys, composed again only when the keys it shows change.

    Textual's own composes all its keys anew at every change of focus, of any screen; a cashier's
    every dialog would pay for it (a third of the app's work on a register's modest processor)."""

    _shown: tuple = ()

    def bindings_changed(self, screen: Screen) -> None:
        shown = tuple((binding.key, binding.description, enabled)
                      for _node, binding, enabled, _tooltip in screen.active_bindings.values() if binding.show)
        if shown != self._shown or not self._bindings_ready or not self.children:
            if screen.app.app_focus:
                self._shown = shown
            super().bindings_changed(screen)


class SaleScreen(Screen):
    """The receipt being rung up, the entry that takes barcodes and searches, the hot keys and the status."""

    BINDINGS = [
        Binding("f2", "pay", "Оплата"),
        Binding("f3", "find", "Поиск"),
        Binding("f4", "quantity", "Кол-во"),
        Binding("f5", "discount", "Скидка"),
        Binding("f6", "park", "Отложить"),
        Binding("f7", "refund", "Возврат"),
        Binding("f8", "shift_menu", "Смена"),
        Binding("f9", "price", "Цена"),
        Binding("f10", "free_price", "Своб. цена"),
        # priority: the entry would take Delete for itself; with text in it, Delete still edits the text
        Binding("delete", "remove_line", "Удалить", priority=True),
        Binding("escape", "clear", "Отмена", show=False),
        Binding("up", "move(-1)", "Вверх", show=False),
        Binding("down", "move(1)", "Вниз", show=False),
    ]

    def __init__(self, till: Till):
        super().__init__()
        self.till = till
        self.found: list[Product] = []  # the search results under the entry
        self._search_timer: Timer | None = None
        self._shown: list[tuple] = []  # the rows the lines table shows
        self.picked = False  # the cashier moved through the results with the arrows
        self.hot_keys_revision: int | None = None

    # --- layout -------------------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(id="status")
        yield Static(id="warnings")
        with Horizontal(id="body"):
            with Vertical(id="sale"):
                yield Static(id="mode")
                yield Input(placeholder="Штрихкод, название или артикул", id="entry", select_on_focus=False)
                yield OptionList(id="results")
                yield Static(id="message")
                yield DataTable(id="lines", cursor_type="row", zebra_stripes=True)
                with Horizontal(id="totals"):
                    yield Static(id="discounts")
                    with Vertical(id="due"):
                        yield Label("К оплате, ₽", id="due-caption")
                        yield Digits("0.00", id="total")
            yield Grid(id="hot-keys")
        yield KeysFooter()

    def on_mount(self) -> None:
        table = self.query_one("#lines", DataTable)
        # Fixed widths: a table sized to its content measures every cell again at each new line. The
        # name takes what the others leave (`on_resize`).
        for label, width in (("№", 3), ("Товар", 24), *COLUMNS):
            table.add_column(label, key=label, width=width)
        table.can_focus = False  # the entry keeps the focus; ↑↓ move the table's cursor from there
        results = self.query_one("#results", OptionList)
        results.can_focus = False
        results.display = False
        self.show_cart()
        self.show_status()
        self.set_interval(1, self.show_status)  # the screen's own timer: it stops with the screen
        self.query_one("#entry", Input).focus()

    # --- what the cashier sees --------------------------------------------------------------------------------

    def on_resize(self) -> None:
        self.call_after_refresh(self._fit_columns)

    def _fit_columns(self) -> None:
        table = self.query_one("#lines", DataTable)
        others = 3 + sum(width for _label, width in COLUMNS) + 2 * (len(COLUMNS) + 2)  # cells have a space each side
        name = max(12, table.size.width - others - 2)
        if table.columns["Товар"].width != name:
            table.columns["Товар"].width = name
            table.refresh()

    def show_status(self) -> None:
        """The status line and the warnings; the hot keys again when the catalog changed."""
        till = self.till
        status = till.status()
        shift = status.shift_state.label + (f" № {status.shift}" if status.shift and status.shift_state is not ShiftState.CLOSED else "")
        cashier = till.cashier.name if till.cashier else "вход не выполнен"
        link = self.app.link
        server = "Без сервера" if link is None else {None: "Сервер: связь…", True: "Сервер: в сети", False: "Сервер: нет связи"}[link.online]
        parts = [shift, f"Кассир: {cashier}", server, f"Не выгружено: {status.unsynced}"]
        if status.unsent_to_ofd:
            parts.append(f"Не в ОФД: {status.unsent_to_ofd}")
        _show(self.query_one("#status", Static), " │ ".join(parts))
        warnings = self.query_one("#warnings", Static)
        _show(warnings, "\n".join(f"⚠ {warning}" for warning in status.warnings))
        warnings.display = bool(status.warnings)
        if till.catalog.revision != self.hot_keys_revision:
            self.hot_keys_revision = till.catalog.revision
            self.call_later(self.show_hot_keys)

    async def show_hot_keys(self) -> None:
        grid = self.query_one("#hot-keys", Grid)
        await grid.remove_children()
        grid.display = bool(self.till.catalog.hot_keys())  # none: the receipt takes the whole width
        self.call_after_refresh(self._fit_columns)
        buttons = [Button(Content(f"{product.short_name or product.name}\n{rub(product.price)} ₽"), id=f"hot-{position}",
                          name=str(product.id)) for position, product in self.till.catalog.hot_keys()]
        for button in buttons:
            # A Button ignores clicks during its 0.2 s "pressed" effect: a cashier tapping a hot key
            # twice quickly must get two of the product, so these have no effect to wait for.
            button.active_effect_duration = 0
        await grid.mount_all(buttons)

    def show_cart(self, select: int | None = None) -> None:
        """The lines, the discounts and the sum to pay; the table's cursor on line `select` (or where it was)."""
        cart = self.till.cart
        table = self.query_one("#lines", DataTable)
        row = table.cursor_row if select is None else select
        rows = [_row(number, line) for number, line in enumerate(cart.lines, 1)]
        # A scan adds a line or one more of a line: change only that (a table redrawn whole costs
        # a few milliseconds a line, and a receipt may have a hundred).
        if len(rows) < len(self._shown):
            table.clear()
            self._shown = []
        for index, cells in enumerate(rows):
            if index >= len(self._shown):
                table.add_row(*cells, key=str(index))
            elif cells != self._shown[index]:
                for column, (new, old) in enumerate(zip(cells, self._shown[index], strict=True)):
                    if new != old:
                        table.update_cell_at(Coordinate(index, column), new)
        self._shown = rows
        if cart.lines:
            table.move_cursor(row=min(max(row, 0), len(cart.lines) - 1))
        returning = cart.settlement is SettlementType.SALE_RETURN
        mode = self.query_one("#mode", Static)
        if returning:
            mode.update("ВОЗВРАТ ПРОДАЖИ по чеку" if cart.original_id else "ВОЗВРАТ ПРОДАЖИ без чека")
        else:
            mode.update("Продажа")
        mode.set_class(returning, "return")
        self.query_one("#due-caption", Label).update("К выдаче, ₽" if returning else "К оплате, ₽")
        self.query_one("#discounts", Static).update(
            f"Скидка на чек: {rub(cart.receipt_discount)} ₽" if cart.receipt_discount else "")
        self.query_one("#total", Digits).update(_digits(self.to_pay()))

    def to_pay(self) -> int:
        """What the buyer pays: the receipt's sum, rounded in the buyer's favour as the point rounds sales."""
        return self.till.to_pay() if self.till.catalog.point() is not None else self.till.cart.due

    def say(self, message: str, *, error: bool = False) -> None:
        """A line under the entry: what just happened, or why the Till refused (in red, with a bell)."""
        line = self.query_one("#message", Static)
        line.update(Content(message))
        line.set_class(error, "error")
        if error:
            self.app.bell()

    @contextmanager
    def refusals(self) -> Iterator[None]:
        """The Till's refusals within, shown to the cashier."""
        try:
            yield
        except TillError as error:
            self.say(str(error), error=True)
        except (FiscalError, ValidationError) as error:  # a safety net: the Till turns these into its own
            self.say(f"Касса отказала: {error}", error=True)

    def selected(self) -> int | None:
        """The index of the line under the table's cursor; None (and said so) for an empty receipt."""
        if not self.till.cart.lines:
            self.say("Чек пуст: отсканируйте или найдите товар.", error=True)
            return None
        return min(max(self.query_one("#lines", DataTable).cursor_row, 0), len(self.till.cart.lines) - 1)

    # --- the entry: scanner and search ----------------------------------------------------------------------

    @on(Input.Changed, "#entry")
    def search_as_typed(self, event: Input.Changed) -> None:
        """Search once the typing pauses: a scanner's burst of digits (and its Enter) never waits for a
        search, a cashier sees the results a moment after the last letter."""
        self.picked = False
        if self._search_timer is not None:
            self._search_timer.stop()
        self._search_timer = self.set_timer(SEARCH_PAUSE, self.show_results)

    def show_results(self) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
            self._search_timer = None
        text = self.query_one("#entry", Input).value.strip()
        self.found = self.till.search(text) if text and not text.startswith("t=") else []
        results = self.query_one("#results", OptionList)
        results.clear_options()
        results.add_options([
            Option(Content(f"{product.name} — {rub(product.price)} ₽" + (" (на вес)" if product.by_weight else "")), id=str(index))
            for index, product in enumerate(self.found)])
        results.display = bool(self.found)
        if self.found:
            results.highlighted = 0

    @on(Input.Submitted, "#entry")
    def entered(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text:
            return
        if self._search_timer is not None:  # Enter came before the pause: a scan, or quick typing
            self._search_timer.stop()
            self._search_timer = None
            if not text.isdigit():
                self.show_results()
        highlighted = self.query_one("#results", OptionList).highlighted or 0
        if self.picked and self.found:
            self._add_found(highlighted)
        elif text.isdigit():  # a scanner: the barcode, or an exact code or article
            self.clear_entry()
            self.scanned(text)
        elif text.startswith("t=") or "&fn=" in text:  # a receipt's QR code: the buyer brings something back
            self.clear_entry()
            self.action_refund(text)
        elif self.found:
            self._add_found(highlighted)
        else:
            self.say(f"Ничего не найдено: «{text}».", error=True)

    def scanned(self, code: str) -> None:
        """A barcode: the Till rings it up; a product that needs a weight or a price asks for it first;
        an unknown code is an internal code or article typed by hand, or else a new product."""
        product = self.till.catalog.by_barcode(code)
        if product is not None and (product.by_weight or (product.free_price and product.price == 0)):
            self.add_product(product)
            return
        with self.refusals():
            line = self.till.scan(code)
            if line is not None:
                self.line_added(line)
                return
            product = next((product for product in self.till.search(code) if code in (product.code, product.article)), None)
            if product is None:
                self.offer_new_product(code)
            else:
                self.add_product(product)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self._add_found(event.option_index)

    @on(OptionList.OptionHighlighted, "#results")
    def ask_stock(self, event: OptionList.OptionHighlighted) -> None:
        """The highlighted product's stock, asked of the server in the background (a newer question
        cancels an older one); nothing when the register works alone or its point keeps no stock."""
        link = getattr(self.app, "link", None)
        if link is None or event.option_index >= len(self.found):
            return
        product = self.found[event.option_index]
        self.run_worker(partial(self._tell_stock, link, product), thread=True, exclusive=True, group="stock",
                        exit_on_error=False)

    def _tell_stock(self, link, product: Product) -> None:
        try:
            quantity = link.stock(product.id)
        except SyncError:
            self.app.call_from_thread(self.say, f"{product.name}: остаток не узнать — нет связи с сервером.")
            return
        if quantity is not None:
            unit = Unit(product.unit).label if product.unit in set(Unit) else ""
            self.app.call_from_thread(self.say, f"{product.name}: остаток {quantity_text(quantity)} {unit}".rstrip() + ".")

    def _add_found(self, index: int) -> None:
        product = self.found[index]
        self.clear_entry()
        self.add_product(product)

    def clear_entry(self) -> None:
        entry = self.query_one("#entry", Input)
        entry.value = ""
        entry.focus()
        self.found = []
        self.query_one("#results", OptionList).display = False

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """A hot key: its product joins the receipt."""
        if event.button.id and event.button.id.startswith("hot-"):
            product = self.till.catalog.product(uuid.UUID(event.button.name))
            self.query_one("#entry", Input).focus()
            if product is not None:
                self.add_product(product)

    def add_product(self, product: Product) -> None:
        """A product on the receipt; a weighed one asks its weight, one of free price its price."""
        till = self.till
        if product.by_weight:
            self.app.push_screen(FormScreen(
                "Вес товара", [Field("quantity", f"Вес, {Unit(product.unit).label}", placeholder="0,350")],
                lambda values: till.add(product, quantity=parse_quantity(values["quantity"])), note=product.name), self.line_added)
        elif product.free_price and product.price == 0:
            self.app.push_screen(FormScreen(
                "Цена товара", [Field("price", "Цена, ₽")],
                lambda values: till.add(product, price=parse_money(values["price"], "цену")), note=product.name), self.line_added)
        else:
            with self.refusals():
                self.line_added(till.add(product))

    def line_added(self, line: sale.CartLine | None) -> None:
        if line is None:
            return
        index = next(index for index, each in enumerate(self.till.cart.lines) if each is line)
        self.show_cart(select=index)
        self.say(f"{line.name}: {quantity_text(line.quantity)} × {rub(line.price)} ₽")

    def offer_new_product(self, barcode: str) -> None:
        def made(line: sale.CartLine | None) -> None:
            if line is not None:
                self.app.document_done()
                self.line_added(line)

        self.say(f"Штрихкод {barcode} не найден.", error=True)
        self.app.push_screen(FormScreen(
            "Новый товар", [Field("name", "Название"), Field("price", "Цена, ₽")],
            lambda values: self.till.new_product(barcode, values["name"], parse_money(values["price"], "цену")),
            note=f"Штрихкода {barcode} нет в каталоге. Создать товар? Он продаётся сразу и попадёт в каталог точки."),
            made)

    # --- keys -----------------------------------------------------------------------------------------------

    def action_move(self, step: int) -> None:
        results = self.query_one("#results", OptionList)
        if results.display and self.found:
            (results.action_cursor_down if step > 0 else results.action_cursor_up)()
            self.picked = True
        else:
            table = self.query_one("#lines", DataTable)
            table.move_cursor(row=max(0, table.cursor_row + step))

    def action_find(self) -> None:
        entry = self.query_one("#entry", Input)
        entry.focus()
        entry.select_all()

    def action_clear(self) -> None:
        entry = self.query_one("#entry", Input)
        if entry.value or self.found:
            self.clear_entry()
        elif self.till.cart.lines or self.till.cart.settlement is not SettlementType.SALE:
            def answered(answer: str | None) -> None:
                if answer == "yes":
                    self.till.cancel()
                    self.show_cart()
                    self.say("Чек отменён.")

            self.app.push_screen(ChoiceScreen("Отменить чек?", [("no", "Нет, продолжить"), ("yes", "Да, отменить чек")]), answered)

    def action_remove_line(self) -> None:
        entry = self.query_one("#entry", Input)
        if entry.value:
            entry.action_delete_right()
            return
        index = self.selected()
        if index is not None:
            with self.refusals():
                name = self.till.cart.lines[index].name
                self.till.remove(index)
                self.show_cart(select=index)
                self.say(f"Удалено: {name}")

    def action_quantity(self) -> None:
        index = self.selected()
        if index is None:
            return
        line = self.till.cart.lines[index]
        what = "Количество" if line.unit == Unit.PIECE else "Вес"
        self.app.push_screen(FormScreen(
            what, [Field("quantity", f"{what}, {Unit(line.unit).label}", quantity_text(line.quantity))],
            lambda values: self.till.set_quantity(index, parse_quantity(values["quantity"])) or True, note=line.name),
            lambda _: self.show_cart(select=index))

    def action_discount(self) -> None:
        index = self.selected()
        if index is None:
            return
        line = self.till.cart.lines[index]

        def give(values: dict[str, str]) -> bool:
            if not values["line"].strip() and not values["receipt"].strip():
                raise TillError("Введите скидку: сумму или процент.")
            before = (line.discount, self.till.cart.receipt_discount)
            try:
                if values["line"].strip():
                    self.till.discount_line(index, **parse_discount(values["line"]))
                if values["receipt"].strip():
                    self.till.discount_receipt(**parse_discount(values["receipt"]))
            except TillError:  # both or neither
                line.discount, self.till.cart.receipt_discount = before
                raise
            return True

        self.app.push_screen(FormScreen(
            "Скидка", [Field("line", f"На строку {index + 1} «{line.name}»: сумма или %", placeholder="10% или 50"),
                       Field("receipt", "На весь чек: сумма или %", placeholder="5% или 100")], give),
            lambda _: self.show_cart(select=index))

    def action_price(self) -> None:
        index = self.selected()
        if index is None:
            return
        line = self.till.cart.lines[index]

        def change(values: dict[str, str]) -> bool:
            self.till.set_price(index, parse_money(values["price"], "цену"))
            return True

        self.app.push_screen(FormScreen("Цена", [Field("price", "Новая цена, ₽", rub(line.price).replace(" ", ""))], change,
                                        note=line.name),
                             lambda _: self.show_cart(select=index))

    def action_free_price(self) -> None:
        self.app.push_screen(FormScreen(
            "Товар по свободной цене", [Field("name", "Название"), Field("price", "Цена, ₽")],
            lambda values: self.till.add_free(values["name"], parse_money(values["price"], "цену"))), self.line_added)

    def action_park(self) -> None:
        till = self.till
        if till.cart.lines:
            with self.refusals():
                till.park()
                self.show_cart()
                self.say("Чек отложен. F6 — вернуть отложенный.")
            return
        parked = till.parked()
        if not parked:
            self.say("Отложенных чеков нет.", error=True)
            return
        point = till.catalog.point()
        zone = ZoneInfo(point.timezone) if point else None
        options = []
        for each in parked:
            cart = Cart.from_json(each.cart)
            options.append((str(each.id), f"{each.parked_at.astimezone(zone):%H:%M} · {len(cart.lines)} поз. · "
                                          f"{rub(cart.due)} ₽ · {cart.lines[0].name if cart.lines else ''}"))

        def resume(cart_id: str | None) -> None:
            if cart_id is not None:
                with self.refusals():
                    till.resume(uuid.UUID(cart_id))
                    self.show_cart(select=0)
                    self.say("Отложенный чек возвращён.")

        self.app.push_screen(ChoiceScreen("Отложенные чеки", options), resume)

    def action_refund(self, number: str = "") -> None:
        def started(ok: bool | None) -> None:
            self.show_cart(select=0)
            if ok and self.till.cart.lines:
                self.action_pay()
            elif ok:
                self.say("Возврат без чека: отсканируйте возвращаемые товары и нажмите F2.")

        self.app.push_screen(ReturnScreen(self.till, number), started)

    def action_pay(self) -> None:
        cart = self.till.cart
        if not cart.lines:
            self.say("Чек пуст: отсканируйте или найдите товар.", error=True)
            return
        with self.refusals():
            self.till.check_can_pay()  # before the card terminal takes any money
            allowed = self.till.allowed_payments()
            self.app.push_screen(PaymentScreen(self.till, self.to_pay(), allowed, refund=cart.settlement is SettlementType.SALE_RETURN),
                                 self.paid)

    def paid(self, done: Done | None) -> None:
        if done is not None:
            self.app.receipt_done(done)

    # --- the shift (F8) ---------------------------------------------------------------------------------------

    def action_shift_menu(self) -> None:
        closed = self.till.status().shift_state is ShiftState.CLOSED
        options = [("open", "Открыть смену")] if closed else [
            ("x_report", "X-отчёт"), ("cash_in", "Внесение наличных"), ("cash_out", "Выплата наличных"),
            ("close", "Закрыть смену (Z-отчёт)"), ("correction", "Чек коррекции")]
        options.append(("sign_out", "Выйти (сменить кассира)"))
        self.app.push_screen(ChoiceScreen("Смена", options),
                             lambda choice: getattr(self, f"shift_{choice}")() if choice else None)

    def shift_open(self) -> None:
        def open_shift(values: dict[str, str]) -> str:
            report = self.till.open_shift(parse_money(values["cash"]))
            return f"Смена {report.stamp.shift} открыта."

        self.app.push_screen(FormScreen(
            "Открытие смены", [Field("cash", "Наличные в ящике, ₽", rub(self.till.carried_over).replace(" ", ""))], open_shift),
            self.app.document_done)

    def shift_x_report(self) -> None:
        with self.refusals():
            self.app.push_screen(ReportScreen("X-отчёт", x_report_text(self.till.x_report())))

    def shift_cash_in(self) -> None:
        self._cash("Внесение наличных", self.till.cash_in, "Внесено")

    def shift_cash_out(self) -> None:
        self._cash("Выплата наличных", self.till.cash_out, "Выплачено")

    def _cash(self, title: str, operation, done: str) -> None:
        def move(values: dict[str, str]) -> str:
            amount = parse_money(values["amount"])
            operation(amount, values["reason"].strip())
            return f"{done} {rub(amount)} ₽."

        self.app.push_screen(FormScreen(title, [Field("amount", "Сумма, ₽"), Field("reason", "Основание", placeholder="Размен, инкассация…")],
                                        move), self.app.document_done)

    def shift_close(self) -> None:
        till = self.till
        try:
            in_drawer = rub(till.x_report().cash_in_drawer).replace(" ", "")
        except TillError:
            in_drawer = ""
        fields = [Field("counted", "Наличные в ящике (пересчитано), ₽", in_drawer)]
        point = till.catalog.point()
        if point is not None and point.carry_over_cash:
            fields.append(Field("carry", "Оставить в ящике на следующую смену, ₽", "0"))

        def close(values: dict[str, str]) -> tuple[ShiftCloseReport, int]:
            carry = parse_money(values.get("carry") or "0")
            return till.close_shift(parse_money(values["counted"]), carry), carry

        def closed(result: tuple[ShiftCloseReport, int] | None) -> None:
            if result is not None:
                report, carry = result
                self.app.document_done(f"Смена {report.stamp.shift} закрыта.")
                self.app.push_screen(ReportScreen("Z-отчёт: смена закрыта", z_report_text(report, carry)))

        self.app.push_screen(FormScreen("Закрытие смены", fields, close), closed)

    def shift_correction(self) -> None:
        till = self.till

        def correct(values: dict[str, str]) -> Done:
            amount = parse_money(values["amount"])
            try:
                corrected = datetime.strptime(values["date"].strip(), "%d.%m.%Y").date()
            except ValueError:
                raise TillError("Введите дату расчёта: ДД.ММ.ГГГГ.") from None
            if amount <= 0 or not values["name"].strip():
                raise TillError("Укажите предмет расчёта и сумму.")
            line = sale.CartLine(product_id=None, name=values["name"].strip()[:128], price=amount)
            return till.correction([line], [sale.Tender(values["kind"], amount)], corrected_date=corrected,
                                   settlement=SettlementType(int(values["settlement"])), reason=values["reason"].strip(),
                                   order_number=values["order"].strip() or None)

        self.app.push_screen(FormScreen("Чек коррекции", [
            Field("name", "Предмет расчёта", "Расчёт без чека"),
            Field("amount", "Сумма, ₽"),
            Field("kind", "Оплата", "cash", choices=(("Наличные", "cash"), ("Карта", "card"))),
            Field("settlement", "Признак расчёта", str(int(SettlementType.SALE)),
                  choices=(("Приход", str(int(SettlementType.SALE))), ("Возврат прихода", str(int(SettlementType.SALE_RETURN))))),
            Field("date", "Дата расчёта без чека", placeholder="ДД.ММ.ГГГГ"),
            Field("reason", "Основание", placeholder="Сбой питания"),
            Field("order", "Номер предписания налоговой (если есть)"),
        ], correct), self.paid)

    def shift_sign_out(self) -> None:
        self.till.sign_out()
        self.show_status()
        self.app.sign_in()


def _show(widget: Static, text: str) -> None:
    """Put text in a widget, as it is (no markup); the same text again costs no new layout (the status,
    refreshed every second, mostly says the same)."""
    if str(widget.render()) != text:
        widget.update(Content(text))


def _digits(kopecks: int) -> str:
    """The sum for the large digits: `1 234.50`."""
    return rub(kopecks).replace(",", ".")


class RegisterApp(App[None]):
    """The cashier's app over a `Till` (see the module docstring); `link` keeps it in step with its server."""

    TITLE = "OpenKassa — касса"
    CSS = CSS
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [Binding("ctrl+q", "quit", "Выход", priority=True)]

    def __init__(self, till: Till, link: Link | None = None, *, receipts_dir: Path | None = None,
                 printer: str | None = None, width: int = 32):
        if width not in layout.WIDTHS:
            raise ValueError(f"a receipt is {layout.WIDTHS} columns wide, not {width}")
        super().__init__()
        self.till, self.link = till, link
        self.receipts_dir = Path(receipts_dir) if receipts_dir is not None else None
        self.printer, self.width = printer, width
        self.sale = SaleScreen(till)
        self._stop = threading.Event()

    def get_default_screen(self) -> Screen:
        return self.sale

    def on_mount(self) -> None:
        if self.link is not None:
            self.run_worker(self._keep_in_sync, thread=True, name="sync", group="sync", exit_on_error=False)
        if self.till.cashier is None:  # a till handed over with a cashier signed in starts at the sale
            self.sign_in()

    def on_unmount(self) -> None:
        self._stop.set()
        if self.link is not None:
            self.link.nudge()  # wakes the pusher from its wait, so the worker sees the stop at once

    def _keep_in_sync(self) -> None:
        self.link.run(self._stop)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.name == "sync" and event.state is WorkerState.ERROR:
            self.sale.say(f"Связь с сервером остановлена: {event.worker.error}", error=True)

    def sign_in(self) -> None:
        self.push_screen(SignInScreen(self.till), self._signed_in)

    def _signed_in(self, cashier: CashierLine | None) -> None:
        self.sale.show_status()
        if cashier is not None:
            closed = self.till.status().shift_state is ShiftState.CLOSED
            self.sale.say(f"Здравствуйте, {cashier.name}!" + (" Смена закрыта: F8 — открыть смену." if closed else ""))

    def document_done(self, message: str | None = None) -> None:
        """A document went to the outbox: the link uploads it now, the status counts it."""
        if self.link is not None:
            self.link.nudge()
        self.sale.show_status()
        if message:
            self.sale.say(message)

    def receipt_done(self, done: Done) -> None:
        """A signed receipt: on screen with its QR code, into the receipts folder, to the printer."""
        point = self.till.catalog.point()
        header = tuple(point.receipt_header.splitlines()) if point else ()
        footer = tuple(point.receipt_footer.splitlines()) if point else ()
        text = done.text(self.width, header=header, footer=footer)
        art = qr.text_art(done.qr)
        self._save(done, text, art)
        if self.printer:
            job = escpos.receipt_job(done.receipt, width=self.width, header=header, footer=footer)
            self.run_worker(partial(self._send_to_printer, job), thread=True, group="printer", exit_on_error=False)
        self.document_done(f"Чек № {done.receipt.stamp.receipt_number} на {rub(done.receipt.total)} ₽ пробит."
                           + (f" Сдача {rub(done.change)} ₽." if done.change else ""))
        self.sale.show_cart(select=0)
        self.push_screen(ReceiptScreen(text, art, done.change))

    def _save(self, done: Done, text: str, art: str) -> None:
        if self.receipts_dir is None:
            return
        stamp = done.receipt.stamp
        try:
            self.receipts_dir.mkdir(parents=True, exist_ok=True)
            (self.receipts_dir / f"{stamp.shift:04d}-{stamp.receipt_number:04d}.txt").write_text(f"{text}\n\n{art}\n", encoding="utf-8")
        except OSError as error:
            self.sale.say(f"Чек не сохранён в файл: {error}", error=True)

    def _send_to_printer(self, job: bytes) -> None:
        """In a thread: a printer may keep the write waiting."""
        try:
            with open(self.printer, "ab") as printer:
                printer.write(job)
        except OSError as error:
            self.call_from_thread(self.sale.say, f"Принтер не напечатал чек: {error}", error=True)


def _row(number: int, line: sale.CartLine) -> tuple:
    """A line of the receipt as the lines table shows it."""
    unit = "" if line.unit == Unit.PIECE else f" {Unit(line.unit).label}"
    return (str(number), Text(line.name), quantity_text(line.quantity) + unit, rub(line.price),
            rub(line.discount) if line.discount else "", rub(line_amount(line.price, line.quantity) - line.discount))
