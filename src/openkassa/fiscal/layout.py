"""The printed receipt as plain text for 58 mm (32 columns) and 80 mm (48 columns) paper (§4.3).

In the usual order: cliché, «КАССОВЫЙ ЧЕК» and the settlement type, seller, date and numbers, the
items with their VAT and method, ИТОГ, non-zero tenders, VAT per rate, taxation system, cashier,
the fiscal details (РН ККТ, ФН, ФД, ФП), the footer, and the QR code (1196). Header and footer
lines (cliché, advertising) are centered and made CP866-printable as the drive's own texts are.
A draft (unstamped) receipt prints without the seller, the date, the numbers, the fiscal details
and the QR code. Money prints as cash registers print it: `1234.50`.

The QR code ends the receipt in one of three forms (`qr_code=`), after a rule:

- `"string"` (the default): the QR string itself, cut to the width — plain text anywhere;
- `"art"`: the code drawn in half blocks (`qr.text_art`), centred — the terminal's preview. The
  code is 41 or 45 columns wide with its quiet zone (49 for the longest strings), so it fits only
  80 mm paper: at 32 columns `render` refuses with a ValueError rather than overflow the paper.
  A 58 mm preview lays the text out with `"none"` and shows `qr.text_art()` as a block of its own;
- `"none"`: nothing — for whatever draws the code itself: a printer (`escpos.receipt_job`) or a page
  with `qr.svg()`.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from decimal import Decimal
from typing import Literal, get_args

from openkassa.fiscal import qr
from openkassa.fiscal.documents import Receipt, printable
from openkassa.fiscal.enums import VatRate
from openkassa.money import to_roubles

WIDTHS = (32, 48)  # 58 mm and 80 mm paper
TENDERS = {
    "cash": "НАЛИЧНЫМИ",
    "electronic": "БЕЗНАЛИЧНЫМИ",
    "advance": "ПРЕДОПЛАТА (ЗАЧЕТ АВАНСА)",
    "credit": "ПОСТОПЛАТА (КРЕДИТ)",
    "other": "ВСТРЕЧНОЕ ПРЕДОСТАВЛЕНИЕ",
}
QrForm = Literal["string", "art", "none"]


def render(
    receipt: Receipt,
    *,
    width: int = 32,
    header: Sequence[str] = (),
    footer: Sequence[str] = (),
    qr_code: QrForm = "string",
) -> str:
    """The receipt as printed: lines of at most `width` characters (32 or 48), joined by newlines."""
    if width not in WIDTHS:
        raise ValueError(f"a receipt prints 32 (58 mm) or 48 (80 mm) columns, not {width}")
    if qr_code not in get_args(QrForm):
        raise ValueError(f"the QR code prints as one of {get_args(QrForm)}, not {qr_code!r}")
    page = _Page(width)
    for line in header:
        page.centered(printable(line))
    page.centered(receipt.form.title)
    page.centered(receipt.settlement.printed)
    stamp = receipt.stamp
    if stamp is not None:
        page.text(stamp.user)
        page.pair("ИНН", stamp.user_inn)
        page.text(stamp.address)
        page.text(stamp.place)
        page.pair(f"{stamp.date_time:%d.%m.%Y %H:%M}", f"СМЕНА {stamp.shift}")
        page.pair("ЧЕК", str(stamp.receipt_number))
    page.rule()
    for item in receipt.items:
        page.text(item.name)
        page.pair(f"{_quantity(item.quantity)} {item.unit.label} x {_money(item.price)}", f"={_money(item.amount)}")
        page.pair(item.vat.printed, "" if item.vat is VatRate.NO_VAT else _money(item.vat_amount))
        page.text(item.payment_method.printed)
    page.rule()
    page.pair("ИТОГ", f"={_money(receipt.total)}")
    for name, label in TENDERS.items():
        if amount := getattr(receipt, name):
            page.pair(label, f"={_money(amount)}")
    for label, amount in _vat_totals(receipt).items():
        page.pair(label, f"={_money(amount)}")
    page.pair("СНО", receipt.tax_system.printed)
    if receipt.cashier is not None:
        page.pair("КАССИР", receipt.cashier)
    if receipt.buyer_contact is not None:
        page.pair("ЭЛ. АДР. ПОКУПАТЕЛЯ", receipt.buyer_contact)
        page.pair("ЭЛ. АДР. ОТПРАВИТЕЛЯ", receipt.sender_email or "")
    if receipt.fns_site is not None:
        page.pair("САЙТ ФНС", receipt.fns_site)
    if stamp is not None:
        page.pair("РН ККТ", stamp.registration_number)
        page.pair("ФН", stamp.fn_serial)
        page.pair("ФД", str(stamp.document_number))
        page.pair("ФП", str(stamp.fiscal_sign_printed))
    for line in footer:
        page.centered(printable(line))
    if stamp is not None and qr_code != "none":
        page.rule()
        text = qr.build(qr.of_receipt(receipt))
        if qr_code == "string":
            page.cut(text)
        else:
            page.qr_code(qr.text_art(text))
    return "\n".join(page.lines)


def _money(kopecks: int) -> str:
    return str(to_roubles(kopecks))


def _quantity(thousandths: int) -> str:
    """Thousandths with the decimals they need: 2000 → 2, 1500 → 1.5, 250 → 0.25."""
    text = f"{Decimal(thousandths).scaleb(-3):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _vat_totals(receipt: Receipt) -> dict[str, int]:
    """The VAT of each rate the items use, in the order of first use; 0 % and no VAT show the sum taxed."""
    totals: dict[str, int] = {}
    for item in receipt.items:
        if item.vat is VatRate.NO_VAT:
            label, amount = "СУММА БЕЗ НДС", item.amount
        elif item.vat is VatRate.VAT_0:
            label, amount = "СУММА С НДС 0%", item.amount
        else:
            label, amount = f"СУММА {item.vat.printed}", item.vat_amount
        totals[label] = totals.get(label, 0) + amount
    return totals


class _Page:
    """Lines of at most `width` characters; whatever is too long wraps rather than overflows."""

    def __init__(self, width: int):
        self.width, self.lines = width, []

    def text(self, text: str) -> None:
        self.lines += textwrap.wrap(text, self.width, break_long_words=True) or [""]

    def centered(self, text: str) -> None:
        self.lines += [line.center(self.width).rstrip() for line in textwrap.wrap(text, self.width)] or [""]

    def pair(self, left: str, right: str) -> None:
        """`left` at the left edge and `right` at the right, on one line when they fit, else on two."""
        if len(left) + 1 + len(right) <= self.width:
            self.lines.append((left + right.rjust(self.width - len(left))).rstrip())
            return
        self.text(left)
        self.lines += [line.rjust(self.width) for line in textwrap.wrap(right, self.width, break_long_words=True)]

    def cut(self, text: str) -> None:
        """Text without spaces (the QR string) cut into slices of the width."""
        self.lines += [text[start:start + self.width] for start in range(0, len(text), self.width)]

    def qr_code(self, art: str) -> None:
        """The QR code in half blocks, centred and kept whole: its quiet zone is spaces, so no line is stripped."""
        lines = art.splitlines()
        if len(lines[0]) > self.width:
            raise ValueError(
                f"the QR code is {len(lines[0])} columns wide in half blocks and does not fit {self.width}: "
                "lay the receipt out with qr_code='none' and show qr.text_art() under it"
            )
        margin = " " * ((self.width - len(lines[0])) // 2)
        self.lines += [(margin + line).ljust(self.width) for line in lines]

    def rule(self) -> None:
        self.lines.append("-" * self.width)
