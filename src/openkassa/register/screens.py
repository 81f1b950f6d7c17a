"""The cashier app's dialogs: each collects what the cashier types, hands it to the `Till`, and shows
the Till's refusal (`TillError`, in Russian) in its own red line while it stays open.

Every dialog works from the keyboard alone: Enter goes to the next field and, in the last one, does
the thing; Escape cancels (dismissing with None); lists are picked with the arrows and Enter.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

from openkassa.fiscal.device import XReport
from openkassa.fiscal.documents import Counters, ShiftCloseReport
from openkassa.fiscal.errors import FiscalError
from openkassa.money import to_kopecks, to_roubles
from openkassa.protocol import documents as protocol
from openkassa.register import sale
from openkassa.register.till import Till, TillError

PAYMENT_NAMES = {"cash": "Наличные", "card": "Карта", "bonus": "Бонусная карта", "gift": "Подарочный сертификат",
                 "advance": "Аванс", "credit": "В кредит"}
PAYMENT_KEYS = {"cash": "Enter", "card": "F3", "bonus": "F4", "gift": "F5", "advance": "F6", "credit": "F7"}
PAYMENT_BUTTONS = {"cash": "Наличные", "card": "Карта", "bonus": "Бонусы", "gift": "Сертификат", "advance": "Аванс",
                   "credit": "Кредит"}


# --- what the cashier types, read -----------------------------------------------------------------------

def rub(kopecks: int) -> str:
    """Money as the cashier reads it: `1 234,50`."""
    return f"{to_roubles(kopecks):,.2f}".replace(",", " ").replace(".", ",")


MONEY = re.compile(r"^\d[\d ]{0,12}([.,]\d{1,2})?$")  # up to a thousand billion roubles, two decimals


def parse_money(text: str, what: str = "сумму") -> int:
    """Roubles as typed (`150`, `150,50`, `1 500.5`) in kopecks; a refusal the cashier reads otherwise
    (a scanner's barcode typed into the field, say, is not money)."""
    text = text.strip()
    if not MONEY.match(text):
        raise TillError(f"Введите {what}: например, 150 или 150,50.")
    return to_kopecks(text.replace(" ", "").replace(",", "."))


def parse_quantity(text: str) -> int:
    """A quantity or a weight as typed (`2`, `0,350`) in thousandths."""
    try:
        value = Decimal(text.strip().replace(",", ".")) * 1000
    except InvalidOperation:
        raise TillError("Введите количество: например, 2 или 0,350.") from None
    if not value.is_finite() or value != value.to_integral_value():
        raise TillError("Количество — не больше трёх знаков после запятой.")
    return int(value)


def quantity_text(thousandths: int) -> str:
    """Thousandths as the cashier reads them: `2`, `0,35`."""
    return format((Decimal(thousandths) / 1000).normalize(), "f").replace(".", ",")


def parse_discount(text: str) -> dict[str, int]:
    """`10%` as a percent, anything else as a sum: the keyword arguments of the Till's discounts."""
    text = text.strip()
    if text.endswith("%"):
        number = text[:-1].strip()
        if not number.isdigit():
            raise TillError("Скидка в процентах — целое число, например 10%.")
        return {"percent": int(number)}
    return {"amount": parse_money(text, "скидку (сумму или процент, например 10%)")}


def _plain(text: str) -> Content:
    """Text shown as it is: product names may hold square brackets, which markup would eat."""
    return Content(text)


# --- dialogs ---------------------------------------------------------------------------------------------

class Dialog(ModalScreen):
    """A modal box with a title, its fields, a red line for refusals and a hint of the keys.

    Its screen is opaque (drawing the sale screen through a translucent one costs a tenth of a second
    a key), so it repeats the till's warnings on top: they stay in sight whatever dialog is open."""

    BINDINGS = [Binding("escape", "cancel", "Отмена")]

    def on_mount(self) -> None:
        till = getattr(self.app, "till", None)
        warnings = till.status().warnings if till is not None else ()
        if warnings:
            self.mount(Static(_plain("\n".join(f"⚠ {warning}" for warning in warnings)), classes="dialog-warnings"))

    def action_cancel(self) -> None:
        self.dismiss(None)

    def refuse(self, message: str) -> None:
        """Show why the Till said no; the dialog stays open for another try."""
        self.query_one("#error", Static).update(_plain(message))
        self.app.bell()

    def attempt(self, work: Callable[[], Any]) -> Any:
        """Run `work`; a refusal (the Till's, or the drive's) shows in the red line and gives None."""
        try:
            return work()
        except TillError as error:
            self.refuse(str(error))
        except FiscalError as error:  # a safety net: the Till turns the drive's refusals into its own
            self.refuse(f"Касса отказала: {error}")
        except ValidationError as error:  # a safety net too: what the protocol refuses
            self.refuse(f"Данные не проходят проверку: {error.errors()[0]['msg']}")
        return None


@dataclass(frozen=True)
class Field:
    """One field of a form: an input, or a choice of `choices` ((label, value) pairs)."""

    id: str
    label: str
    value: str = ""
    placeholder: str = ""
    password: bool = False
    choices: tuple[tuple[str, str], ...] = ()


class FormScreen(Dialog):
    """A few fields and what to do with them: `submit(values)` calls the Till and returns what to
    dismiss with (never None); a refusal keeps the form open with its reason."""

    def __init__(self, title: str, fields: Sequence[Field], submit: Callable[[dict[str, str]], Any], *,
                 note: str = "", hint: str = "Enter — далее / готово · Esc — отмена"):
        super().__init__()
        self.heading, self.fields, self.submit, self.note, self.hint = title, fields, submit, note, hint

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(_plain(self.heading), classes="dialog-title")
            if self.note:
                yield Static(_plain(self.note), classes="note")
            for field in self.fields:
                yield Label(_plain(field.label), classes="field-label")
                if field.choices:
                    yield Select(field.choices, value=field.value or field.choices[0][1], allow_blank=False, id=field.id, compact=True)
                else:
                    yield Input(field.value, placeholder=field.placeholder, password=field.password, id=field.id, compact=True)
            yield Static("", id="error", classes="error")
            yield Static(self.hint, classes="hint")

    def values(self) -> dict[str, str]:
        return {field.id: str(self.query_one(f"#{field.id}").value) for field in self.fields}

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        order = [widget for widget in self.query("Input, Select")]
        position = order.index(event.input)
        if position + 1 < len(order):
            order[position + 1].focus()
        else:
            self.action_submit()

    def action_submit(self) -> None:
        result = self.attempt(lambda: self.submit(self.values()))
        if result is not None:
            self.dismiss(result)


class ChoiceScreen(Dialog):
    """A list to pick from with the arrows and Enter; dismisses with the picked option's id."""

    def __init__(self, title: str, options: Sequence[tuple[str, str]], *, note: str = ""):
        super().__init__()
        self.heading, self.options, self.note = title, options, note

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(_plain(self.heading), classes="dialog-title")
            if self.note:
                yield Static(_plain(self.note), classes="note")
            yield OptionList(*(Option(_plain(label), id=key) for key, label in self.options), id="choices")
            yield Static("", id="error", classes="error")
            yield Static("↑↓ — выбрать · Enter — да · Esc — отмена", classes="hint")

    def on_mount(self) -> None:
        self.query_one(OptionList).highlighted = 0

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)


def terminal_screen(amount: int) -> ChoiceScreen:
    """The emulated card terminal: the cashier approves or declines the buyer's card."""
    return ChoiceScreen(f"Терминал: оплата картой {rub(amount)} ₽", [("approve", "Одобрить"), ("decline", "Отклонить")],
                        note="Эмулятор банковского терминала")


class ReportScreen(Dialog):
    """Text to read (an X or a Z report): Enter or Escape closes it."""

    BINDINGS = [Binding("escape,enter", "cancel", "Закрыть")]

    def __init__(self, title: str, text: str):
        super().__init__()
        self.heading, self.text = title, text

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(_plain(self.heading), classes="dialog-title")
            yield Static(_plain(self.text), id="report")
            yield Static("Enter — закрыть", classes="hint")


def x_report_text(report: XReport) -> str:
    """The X report's figures, a line each."""
    return "\n".join([
        f"Смена № {report.shift}, открыта {report.opened_at:%d.%m.%Y %H:%M}",
        f"Отчёт на {report.made_at:%d.%m.%Y %H:%M}",
        *_totals(report.totals, report.receipts_count),
        f"Внесено: {rub(report.cash_in)} ₽",
        f"Выплачено: {rub(report.cash_out)} ₽",
        f"Наличных в ящике: {rub(report.cash_in_drawer)} ₽",
        f"Не передано в ОФД: {report.unsent_count}",
    ])


def z_report_text(report: ShiftCloseReport, carried_over: int) -> str:
    """The shift close report's figures, and the cash left for the next shift."""
    return "\n".join([
        f"Смена № {report.stamp.shift} закрыта {report.stamp.date_time:%d.%m.%Y %H:%M}",
        *_totals(report.shift_totals, report.receipts_count),
        f"Оставлено в ящике на следующую смену: {rub(carried_over)} ₽",
        f"Не передано в ОФД: {report.unsent_count}",
        f"ФД № {report.stamp.document_number}, ФП {report.stamp.fiscal_sign_printed}",
    ])


def _totals(totals: Counters, receipts: int) -> list[str]:
    return [
        f"Чеков: {receipts}",
        f"Продажи: {totals.sale.count} на {rub(totals.sale.total)} ₽ (наличными {rub(totals.sale.cash)}, "
        f"безналичными {rub(totals.sale.electronic)})",
        f"Возвраты: {totals.sale_return.count} на {rub(totals.sale_return.total)} ₽ "
        f"(наличными {rub(totals.sale_return.cash)}, безналичными {rub(totals.sale_return.electronic)})",
        f"Коррекции: {totals.corrections.count}",
    ]


class ReceiptScreen(Dialog):
    """The receipt as printed, its QR code drawn, and the change to give, large."""

    BINDINGS = [Binding("escape,enter", "cancel", "Закрыть")]

    def __init__(self, text: str, qr_art: str, change: int):
        super().__init__()
        self.text, self.qr_art, self.change = text, qr_art, change

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog receipt"):
            if self.change:
                yield Label(f"Сдача: {rub(self.change)} ₽", id="change")
            yield Static("Enter — новый чек · ↑↓ — прокрутить", classes="hint")
            with VerticalScroll(id="paper"):
                yield Static(_plain(self.text), id="receipt-text")
                yield Static(_plain(self.qr_art), id="receipt-qr")


class SignInScreen(Dialog):
    """The PIN pad: a cashier signs in (at the start and after «Выйти»); there is no cancelling it."""

    def __init__(self, till: Till):
        super().__init__()
        self.till = till

    def action_cancel(self) -> None:
        """Escape does not get past the PIN pad."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Вход кассира", classes="dialog-title")
            yield Label("PIN-код", classes="field-label")
            yield Input(password=True, id="pin", placeholder="••••", compact=True)
            yield Static("", id="error", classes="error")
            yield Static("Enter — войти · Ctrl+Q — выйти из программы", classes="hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        cashier = self.attempt(lambda: self.till.sign_in(event.value))
        event.input.value = ""
        if cashier is not None:
            self.dismiss(cashier)


class PaymentScreen(Dialog):
    """Paying the receipt: tenders one after another until the total is covered, then the Till signs it.

    The amount field holds what is left to pay; Enter takes it (or what was typed) in cash and shows
    the change; F3 by card through the terminal (declined: the receipt stays open), F4–F7 the other
    kinds the point accepts. Dismisses with the `Done` receipt."""

    BINDINGS = [
        Binding("escape", "cancel", "Отмена"),
        *(Binding(key.lower(), f"tender('{kind}')", PAYMENT_NAMES[kind]) for kind, key in PAYMENT_KEYS.items() if kind != "cash"),
    ]

    def __init__(self, till: Till, due: int, allowed: Sequence[str], *, refund: bool = False):
        super().__init__()
        self.till, self.due, self.allowed, self.refund = till, due, tuple(allowed), refund
        self.tenders: list[sale.Tender] = []

    @property
    def left(self) -> int:
        return max(0, self.due - sum(tender.amount for tender in self.tenders))

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog payment"):
            yield Label("Возврат: выдать покупателю" if self.refund else "Оплата", classes="dialog-title")
            yield Label(f"{'К выдаче' if self.refund else 'К оплате'}: {rub(self.due)} ₽", id="due", classes="due-to-pay")
            yield Static("", id="tenders")
            yield Label("Сумма", classes="field-label")
            yield Input(rub(self.due).replace(" ", ""), id="amount", compact=True)
            yield Label("", id="change")
            if {"bonus", "gift"} & set(self.allowed):
                yield Label("Номер бонусной карты или сертификата", classes="field-label")
                yield Input(id="reference", compact=True)
            yield Label("Телефон или e-mail покупателя (электронный чек)", classes="field-label")
            yield Input(id="contact", placeholder="+79001234567 или name@example.ru", compact=True)
            with Grid(id="kinds"):
                for kind in self.allowed:
                    yield Button(f"{PAYMENT_BUTTONS.get(kind, kind)} {PAYMENT_KEYS.get(kind, '')}", id=f"pay-{kind}", compact=True)
            yield Static("", id="error", classes="error")
            yield Static("Enter — наличными · F3–F7 — другие способы · Esc — отмена", classes="hint")

    def on_mount(self) -> None:
        self.query_one("#amount", Input).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "tender":
            return parameters[0] in self.allowed
        return True

    @on(Input.Changed, "#amount")
    def show_change(self, event: Input.Changed) -> None:
        try:
            amount = parse_money(event.value) if event.value.strip() else 0
        except TillError:
            amount = 0
        change = amount - self.left
        self.query_one("#change", Label).update(f"Сдача: {rub(change)} ₽" if change > 0 and not self.refund else "")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "reference":  # a certificate's or bonus card's number: on to the sum and its key
            self.query_one("#amount", Input).focus()
            return
        self.action_tender("cash")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_tender(event.button.id.removeprefix("pay-"))

    def action_tender(self, kind: str) -> None:
        field = self.query_one("#amount", Input)
        if self.left == 0 and not self.tenders:  # given away whole by a discount: nothing to pay
            self._pay()
            return
        amount = self.attempt(lambda: parse_money(field.value) if field.value.strip() else self.left)
        if amount is None:
            return
        if amount <= 0:
            self.refuse("Введите сумму больше нуля.")
            return
        if self.refund and amount > self.left:
            self.refuse("Возврат: нельзя выдать больше, чем осталось вернуть.")
            return
        if kind != "cash" and amount > self.left:
            self.refuse("Без сдачи: безналичная часть не может быть больше остатка.")
            return
        reference = self.query_one("#reference", Input).value.strip() if kind in ("bonus", "gift") else ""
        if kind == "card":
            self.app.push_screen(terminal_screen(amount), lambda answer: self._terminal_answered(answer, amount))
            return
        self._take(sale.Tender(kind, amount, reference=reference[:64]))

    def _terminal_answered(self, answer: str | None, amount: int) -> None:
        if answer != "approve":
            self.refuse("Терминал отклонил оплату картой. Чек не закрыт: выберите другой способ оплаты.")
            return
        self._take(sale.Tender("card", amount, reference=f"{secrets.randbelow(10**6):06d}"))

    def _take(self, tender: sale.Tender) -> None:
        self.tenders.append(tender)
        self.query_one("#error", Static).update("")
        self.query_one("#tenders", Static).update(_plain("\n".join(
            f"{PAYMENT_NAMES.get(t.kind, t.kind)}: {rub(t.amount)} ₽" for t in self.tenders)))
        if self.left > 0:
            field = self.query_one("#amount", Input)
            field.value = rub(self.left).replace(" ", "")
            field.focus()
            field.select_all()
            return
        self._pay()

    def _pay(self) -> None:
        contact = self.query_one("#contact", Input).value
        done = self.attempt(lambda: self.till.pay(self.tenders, buyer_contact=contact))
        if done is None:
            # Nothing was signed. Cash goes back to the buyer; an approved card payment stays taken,
            # so the card is not charged twice: the cashier fixes the cause (the contact, say) and pays again.
            self.tenders[:] = [tender for tender in self.tenders if tender.kind != "cash"]
            self.query_one("#tenders", Static).update(_plain("\n".join(
                f"{PAYMENT_NAMES.get(t.kind, t.kind)}: {rub(t.amount)} ₽" for t in self.tenders)))
        else:
            self.dismiss(done)


class ReturnScreen(Dialog):
    """A return: find the sale by its number (смена/номер) or by scanning its QR code, then say how
    much of each line comes back (all that is left, by default). F7 again: a return without a receipt."""

    BINDINGS = [Binding("escape", "cancel", "Отмена"), Binding("f7", "without_receipt", "Без чека")]

    def __init__(self, till: Till, number: str = ""):
        super().__init__()
        self.till, self.number = till, number
        self.original: protocol.Receipt | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Возврат", classes="dialog-title")
            yield Label("Номер чека (смена/номер или номер в этой смене) или QR-код чека", classes="field-label")
            yield Input(self.number, id="number", placeholder="1/3", compact=True)
            yield Vertical(id="return-lines")
            yield Static("", id="error", classes="error")
            yield Static("Enter — найти; по строкам — дальше, на последней — вернуть · F7 — без чека · Esc — отмена", classes="hint")

    async def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "number":
            await self._find(event.value)
            return
        index = int(event.input.id.removeprefix("return-"))
        if index + 1 < len(self.original.lines):  # line by line: Enter on the last line returns them
            self.query_one(f"#return-{index + 1}", Input).focus()
        else:
            self._start()

    async def _find(self, text: str) -> None:
        original = self.attempt(lambda: self.till.find_receipt(text))
        if original is None:
            return
        self.original = original
        returnable = self.till.returnable(original)
        box = self.query_one("#return-lines", Vertical)
        await box.remove_children()
        rows = []
        for index, line in enumerate(original.lines):
            left = max(0, returnable[index][0])
            rows.append(Horizontal(
                Label(_plain(f"{index + 1}. {line.name}: продано {quantity_text(line.quantity)} на {rub(line.amount)} ₽"),
                      classes="return-name"),
                Input(quantity_text(left), id=f"return-{index}", classes="return-quantity", compact=True),
                classes="return-line"))
        await box.mount_all(rows)
        self.query_one("#error", Static).update(_plain(f"Чек смены {original.shift} на {rub(original.total)} ₽: "
                                                       "укажите, сколько вернуть, и нажмите Enter."))
        self.query_one("#return-0", Input).focus()

    def _start(self) -> None:
        original = self.original
        quantities = self.attempt(lambda: {
            index: parse_quantity(self.query_one(f"#return-{index}", Input).value or "0") for index in range(len(original.lines))})
        if quantities is not None and self.attempt(lambda: self.till.start_return(original, quantities) or True):
            self.dismiss(True)

    def action_without_receipt(self) -> None:
        if self.attempt(lambda: self.till.start_return_without_receipt() or True):
            self.dismiss(True)
