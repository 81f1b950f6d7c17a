"""The report's five sheets: what each holds, in which columns and formats, and how its rows go in.

- «Сводка» (Summary): what the report covers, then a row per point and the total: sales and returns
  (count and sum), corrections, revenue, payments by kind, discounts, cost, gross profit, cash in and
  out. Revenue is sales − returns ± corrections (a correction of a return subtracts), as on the
  dashboard; settlements 3 and 4 (расход) are no retail sales and count nowhere.
- «Продажи и возвраты» (Sales and returns): one row per line of each accepted sale and return.
- «Интернет-продажи» (Online sales): shop documents the registers fiscalized; their headers only
  until the online-shop integration exists.
- «Коррекции» (Corrections): one row per accepted correction receipt, of any settlement.
- «Операции с денежным ящиком» (Cash drawer operations): cash in and cash out.

Every sheet has its header row frozen and a filter on it; money is roubles with a rouble format,
quantities have three places, moments are dates and times in each document's point's time zone.
The summary is counted from the very rows the other sheets get, while they are written (one read of
the database), and written last; it is the first sheet all the same.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from openkassa.fiscal.enums import VatRate
from openkassa.i18n import _
from openkassa.reports.workbook import Column, Workbook, serial

PROGRESS_EVERY = 5_000
"""Rows between two calls of the progress callback."""


@dataclass(frozen=True)
class Names:
    """What the documents' ids stand for: points (with their time zones), registers, cashiers."""

    points: dict[uuid.UUID, str]
    zones: dict[uuid.UUID, ZoneInfo]
    devices: dict[uuid.UUID, str]
    cashiers: dict[uuid.UUID, str]


@dataclass(frozen=True)
class Heading:
    """The summary's title block."""

    company: str
    period: str  # "01.11.2026 – 30.11.2026"
    points: str  # "All points" or their names
    built_at: datetime  # local, naive
    zone: str


@dataclass
class Figures:
    """A point's figures on the summary. Money in kopecks; sums of returns are positive."""

    sales: int = 0
    sales_sum: int = 0
    returns: int = 0
    returns_sum: int = 0
    corrections: int = 0
    corrections_sum: int = 0  # signed: a correction of a return subtracts
    cash: int = 0  # paid in cash, net of returns
    electronic: int = 0
    other: int = 0  # prepayment, credit and other considerations (1215, 1216, 1217)
    discount: int = 0
    cost: int = 0
    cash_in: int = 0
    cash_out: int = 0

    @property
    def revenue(self) -> int:
        return self.sales_sum - self.returns_sum + self.corrections_sum

    @property
    def profit(self) -> int:
        return self.revenue - self.cost

    def add(self, other: Figures) -> None:
        for name in _FIGURES:
            setattr(self, name, getattr(self, name) + getattr(other, name))


_FIGURES = tuple(item.name for item in fields(Figures))
SIGN = {1: 1, 2: -1}


@dataclass
class Source:
    """The rows to write, as `service` reads them in one snapshot, and how to read their raw values.

    `lines`: a sale's or return's line each, ordered by document: (document id, point id, register id,
    made at, shift, receipt number, document number, settlement, cashier id, total, cash, electronic,
    other payments, discount, position, name, price, quantity, discount, sum, VAT rate, cost).
    `corrections`: (point id, register id, made at, shift, drive, document number, receipt number,
    settlement, cashier id, total, cash, electronic, advance, credit, other, discount, cost, reason).
    `cash`: (point id, register id, made at, shift, kind, sum, cashier id, reason).
    Ids and moments come as the database gives them; `uuid_of` and `moment_of` read them.
    """

    lines: Iterable[Sequence]
    corrections: Iterable[Sequence]
    cash: Iterable[Sequence]
    uuid_of: Callable[[object], uuid.UUID | None]
    moment_of: Callable[[object], datetime]
    point_ids: list[uuid.UUID]  # the summary's rows, in this order (points found in the rows follow)


def sheet_names() -> list[str]:
    return [_("Summary"), _("Sales and returns"), _("Online sales"), _("Corrections"), _("Cash drawer operations")]


def write(path: Path, *, tmpdir: Path, heading: Heading, names: Names, source: Source,
          progress: Callable[[int], None]) -> dict[uuid.UUID, Figures]:
    """Write the workbook to `path`; `progress(rows)` is called as rows go in. Returns the summary's figures."""
    book = Workbook(path, tmpdir=tmpdir)
    try:
        summary_sheet = book.worksheet(sheet_names()[0])  # first in the book, written last
        figures: dict[uuid.UUID, Figures] = {point_id: Figures() for point_id in source.point_ids}
        done = _Lines(book, names, source, figures, progress).write()
        online = book.sheet(sheet_names()[2], _online_columns())
        online.finish()
        done = _write_corrections(book, names, source, figures, progress, done)
        _write_cash(book, names, source, figures, progress, done)
        _write_summary(book, summary_sheet, heading, names, figures)
    finally:
        book.close()
    return figures


# --- «Продажи и возвраты» ---------------------------------------------------------------------------


def _line_columns() -> list[Column]:
    return [
        Column(_("Date and time"), "moment", 19), Column(_("Point"), "text", 28), Column(_("Register"), "text", 16),
        Column(_("Shift"), "number", 8), Column(_("Receipt No."), "number", 10), Column(_("Document No."), "number", 12),
        Column(_("Operation"), "text", 11), Column(_("Cashier"), "text", 22), Column(_("Line"), "number", 7),
        Column(_("Product"), "text", 40), Column(_("Price"), "money", 13), Column(_("Quantity"), "quantity", 11),
        Column(_("Discount"), "money", 12), Column(_("Sum"), "money", 14), Column(_("VAT"), "text", 12),
        Column(_("Cost"), "money", 14),
    ]


class _Lines:
    """The sales-and-returns sheet, written a row per receipt line from one f-string: the document's
    cells are made once per document (with a mark where the row number goes), the line's per line."""

    MARK = "\x00"  # no cell holds it: text cells write control characters as _x0000_

    def __init__(self, book: Workbook, names: Names, source: Source, figures: dict[uuid.UUID, Figures],
                 progress: Callable[[int], None]):
        self.sheet = book.sheet(sheet_names()[1], _line_columns())
        self.names, self.source, self.figures, self.progress = names, source, figures, progress
        self.kinds = {1: _("Sale"), 2: _("Return")}

    def write(self) -> int:
        sheet, source, names, figures, mark = self.sheet, self.source, self.names, self.figures, self.MARK
        uuid_of, moment_of = source.uuid_of, source.moment_of
        s_number, s_money, s_quantity = sheet.style(8), sheet.style(10), sheet.style(11)
        # texts as cells, remembered: (the cell, 1 when it is a shared string)
        product_cells: dict[str, tuple[str, int]] = {}
        vat_cells: dict[int, tuple[str, int]] = {}
        point_cells: dict[object, tuple] = {}
        device_cells: dict[object, tuple[str, int]] = {}
        cashier_cells: dict[object, tuple[str, int]] = {}
        kind_cells = {settlement: sheet.shared(6, label) for settlement, label in self.kinds.items()}
        last_document = None
        prefix = ""
        shared = 0
        point_figures = Figures()
        sign = 1
        row = sheet.next_row  # the last row written, counted from 1: the header's
        written = 0
        for (document_id, point_raw, device_raw, made_at, shift, receipt_number, fiscal_number, settlement, cashier_raw,
             total, cash, electronic, others, document_discount, position, name, price, quantity, discount, amount, vat,
             cost) in source.lines:
            if document_id != last_document:
                last_document = document_id
                point = point_cells.get(point_raw)
                if point is None:
                    point_id = uuid_of(point_raw)
                    point = point_cells[point_raw] = (point_id, names.zones.get(point_id, _UTC),
                                                      sheet.shared(1, names.points.get(point_id, "—")))
                point_id, zone, (point_cell, point_shared) = point
                device_cell, device_shared = device_cells.get(device_raw) or device_cells.setdefault(
                    device_raw, sheet.shared(2, names.devices.get(uuid_of(device_raw), "—")))
                cashier = cashier_cells.get(cashier_raw)
                if cashier is None:
                    cashier_id = uuid_of(cashier_raw)
                    cashier = cashier_cells[cashier_raw] = sheet.shared(
                        7, names.cashiers.get(cashier_id, _("Unknown cashier")) if cashier_id else _("No cashier"))
                cashier_cell, cashier_shared = cashier
                kind_cell, kind_shared = kind_cells[settlement]
                moment = serial(moment_of(made_at).astimezone(zone))
                prefix = (f'<c r="A{mark}"{sheet.style(0)}><v>{moment}</v></c><c r="B{mark}"{point_cell}'
                          f'<c r="C{mark}"{device_cell}' + _number_cell("D", mark, s_number, shift)
                          + _number_cell("E", mark, s_number, receipt_number)
                          + _number_cell("F", mark, s_number, fiscal_number)
                          + f'<c r="G{mark}"{kind_cell}<c r="H{mark}"{cashier_cell}')
                shared = point_shared + device_shared + kind_shared + cashier_shared
                point_figures = figures.get(point_id)
                if point_figures is None:
                    point_figures = figures[point_id] = Figures()
                sign = SIGN[settlement]
                if sign > 0:
                    point_figures.sales += 1
                    point_figures.sales_sum += total
                else:
                    point_figures.returns += 1
                    point_figures.returns_sum += total
                point_figures.cash += sign * cash
                point_figures.electronic += sign * electronic
                point_figures.other += sign * others
                point_figures.discount += sign * document_discount
            point_figures.cost += sign * cost
            product = product_cells.get(name)
            if product is None:
                if len(product_cells) >= 100_000:  # a bound on memory, whatever the catalog
                    product_cells.clear()
                product = product_cells[name] = sheet.shared(9, name)
            vat_cell = vat_cells.get(vat)
            if vat_cell is None:
                vat_cell = vat_cells[vat] = sheet.shared(14, _vat_label(vat))
            row += 1
            r = str(row)
            if price >= 0 and discount >= 0 and amount >= 0 and cost >= 0:
                sheet.append_xml(
                    f'<row r="{r}">{prefix.replace(mark, r)}<c r="I{r}"{s_number}><v>{position + 1}</v></c>'
                    f'<c r="J{r}"{product[0]}<c r="K{r}"{s_money}><v>{price // 100}.{price % 100:02d}</v></c>'
                    f'<c r="L{r}"{s_quantity}><v>{quantity // 1000}.{quantity % 1000:03d}</v></c>'
                    f'<c r="M{r}"{s_money}><v>{discount // 100}.{discount % 100:02d}</v></c>'
                    f'<c r="N{r}"{s_money}><v>{amount // 100}.{amount % 100:02d}</v></c>'
                    f'<c r="O{r}"{vat_cell[0]}<c r="P{r}"{s_money}><v>{cost // 100}.{cost % 100:02d}</v></c></row>',
                    shared + product[1] + vat_cell[1])
            else:  # never from a register (its sums are not negative); the general cells all the same
                line = sheet.cells([position + 1, name, price, quantity, discount, amount, _vat_label(vat), cost], 8)
                sheet.append_xml(f'<row r="{r}">{prefix.replace(mark, r)}'
                                 + "".join([f'<c r="{letter}{r}"{body}' for letter, body in line]) + "</row>", shared)
            written += 1
            if written % PROGRESS_EVERY == 0:
                self.progress(written)
        sheet.finish()
        self.progress(written)
        return written


# --- «Интернет-продажи», «Коррекции», «Операции с денежным ящиком» ---------------------------------------


def _online_columns() -> list[Column]:
    return [
        Column(_("Date and time"), "moment", 19), Column(_("Point"), "text", 28), Column(_("Register"), "text", 16),
        Column(_("Online shop"), "text", 20), Column(_("Order No."), "text", 14), Column(_("Receipt No."), "number", 10),
        Column(_("Document No."), "number", 12), Column(_("Operation"), "text", 11),
        Column(_("Buyer's e-mail or phone"), "text", 24), Column(_("Product"), "text", 40),
        Column(_("Price"), "money", 13), Column(_("Quantity"), "quantity", 11), Column(_("Sum"), "money", 14),
        Column(_("VAT"), "text", 12),
    ]


def _correction_columns() -> list[Column]:
    return [
        Column(_("Date and time"), "moment", 19), Column(_("Point"), "text", 28), Column(_("Register"), "text", 16),
        Column(_("Shift"), "number", 8), Column(_("Fiscal drive"), "text", 18), Column(_("Document No."), "number", 12),
        Column(_("Receipt No."), "number", 10), Column(_("Settlement type"), "text", 18), Column(_("Reason"), "text", 30),
        Column(_("Cashier"), "text", 22), Column(_("Sum"), "money", 14), Column(_("In cash"), "money", 14),
        Column(_("Cashless"), "money", 14), Column(_("Prepayment"), "money", 14), Column(_("Credit"), "money", 14),
        Column(_("Other consideration"), "money", 14), Column(_("Cost"), "money", 14),
    ]


def _cash_columns() -> list[Column]:
    return [
        Column(_("Date and time"), "moment", 19), Column(_("Point"), "text", 28), Column(_("Register"), "text", 16),
        Column(_("Shift"), "number", 8), Column(_("Operation"), "text", 12), Column(_("Sum"), "money", 14),
        Column(_("Cashier"), "text", 22), Column(_("Reason"), "text", 36),
    ]


def _settlement_label(settlement: int | None) -> str:
    """The settlement type (1054) as the fiscal documents name it: Приход, Возврат прихода, …"""
    return {1: _("Income"), 2: _("Return of income"), 3: _("Expense"), 4: _("Return of expense")}.get(
        settlement or 0, str(settlement))


class _Reader:
    """What a document's raw ids and moment stand for, remembered for the next documents."""

    def __init__(self, names: Names, source: Source):
        self.names, self.source = names, source
        self._ids: dict[object, uuid.UUID | None] = {}

    def id(self, raw: object) -> uuid.UUID | None:
        if raw not in self._ids:
            self._ids[raw] = self.source.uuid_of(raw)
        return self._ids[raw]

    def local(self, point_id: uuid.UUID | None, made_at: object) -> datetime:
        return self.source.moment_of(made_at).astimezone(self.names.zones.get(point_id, _UTC))

    def point(self, point_id: uuid.UUID | None) -> str:
        return self.names.points.get(point_id, "—")

    def device(self, raw: object) -> str:
        return self.names.devices.get(self.id(raw), "—")

    def cashier(self, raw: object) -> str:
        cashier_id = self.id(raw)
        return self.names.cashiers.get(cashier_id, _("Unknown cashier")) if cashier_id else _("No cashier")


def _write_corrections(book: Workbook, names: Names, source: Source, figures: dict[uuid.UUID, Figures],
                       progress: Callable[[int], None], done: int) -> int:
    sheet = book.sheet(sheet_names()[3], _correction_columns())
    read = _Reader(names, source)
    for (point_raw, device_raw, made_at, shift, fn_serial, fiscal_number, receipt_number, settlement, cashier_raw,
         total, cash, electronic, advance, credit, other, discount, cost, reason) in source.corrections:
        point_id = read.id(point_raw)
        sheet.add([read.local(point_id, made_at), read.point(point_id), read.device(device_raw), shift, fn_serial,
                   fiscal_number, receipt_number, _settlement_label(settlement), reason, read.cashier(cashier_raw),
                   total, cash, electronic, advance, credit, other, cost])
        sign = SIGN.get(settlement or 0, 0)
        if sign:
            point_figures = figures.setdefault(point_id, Figures())
            point_figures.corrections += 1
            point_figures.corrections_sum += sign * total
            point_figures.cash += sign * cash
            point_figures.electronic += sign * electronic
            point_figures.other += sign * (advance + credit + other)
            point_figures.discount += sign * discount
            point_figures.cost += sign * cost
        done += 1
        if done % PROGRESS_EVERY == 0:
            progress(done)
    sheet.finish()
    return done


def _write_cash(book: Workbook, names: Names, source: Source, figures: dict[uuid.UUID, Figures],
                progress: Callable[[int], None], done: int) -> int:
    sheet = book.sheet(sheet_names()[4], _cash_columns())
    read = _Reader(names, source)
    labels = {"cash_in": _("Cash in"), "cash_out": _("Cash out")}
    for point_raw, device_raw, made_at, shift, kind, total, cashier_raw, reason in source.cash:
        point_id = read.id(point_raw)
        sheet.add([read.local(point_id, made_at), read.point(point_id), read.device(device_raw), shift,
                   labels.get(kind, kind), total, read.cashier(cashier_raw), reason])
        point_figures = figures.setdefault(point_id, Figures())
        if kind == "cash_in":
            point_figures.cash_in += total
        else:
            point_figures.cash_out += total
        done += 1
        if done % PROGRESS_EVERY == 0:
            progress(done)
    sheet.finish()
    progress(done)
    return done


# --- «Сводка» -----------------------------------------------------------------------------------------


def _summary_columns() -> list[Column]:
    return [
        Column(_("Point"), "text", 30), Column(_("Sales"), "count", 10), Column(_("Sales sum"), "money", 15),
        Column(_("Returns"), "count", 10), Column(_("Returns sum"), "money", 15), Column(_("Corrections"), "count", 11),
        Column(_("Corrections sum"), "money", 15), Column(_("Revenue"), "money", 16), Column(_("In cash"), "money", 15),
        Column(_("Cashless"), "money", 15), Column(_("Other payments"), "money", 15),
        Column(_("Discounts given"), "money", 15), Column(_("Cost"), "money", 15), Column(_("Gross profit"), "money", 16),
        Column(_("Cash put in"), "money", 14), Column(_("Cash taken out"), "money", 14),
    ]


def _summary_row(label: str, figures: Figures) -> list[object]:
    return [label, figures.sales, figures.sales_sum, figures.returns, figures.returns_sum, figures.corrections,
            figures.corrections_sum, figures.revenue, figures.cash, figures.electronic, figures.other, figures.discount,
            figures.cost, figures.profit, figures.cash_in, figures.cash_out]


SUMMARY_HEADER_ROW = 7
"""The summary table's header row (0-based): the title block is above it."""


def _write_summary(book: Workbook, worksheet, heading: Heading, names: Names,
                   figures: dict[uuid.UUID, Figures]) -> None:
    worksheet.write_string(0, 0, _("Sales report"), book.title)
    for row, (label, value) in enumerate(((_("Company"), heading.company), (_("Period"), heading.period),
                                          (_("Points"), heading.points)), 1):
        worksheet.write_string(row, 0, label, book.label)
        worksheet.write_string(row, 1, value)
    worksheet.write_string(4, 0, _("Built"), book.label)
    worksheet.write_datetime(4, 1, heading.built_at, book.formats["moment"])
    worksheet.write_string(4, 2, heading.zone)
    worksheet.write_string(5, 0, _("Revenue is sales − returns ± corrections; gross profit is revenue − the cost "
                                   "price of what was sold (as it was when the receipt arrived)."))
    sheet = book.sheet(sheet_names()[0], _summary_columns(), header_row=SUMMARY_HEADER_ROW, worksheet=worksheet)
    total = Figures()
    for point_id, point_figures in figures.items():
        sheet.add(_summary_row(names.points.get(point_id, "—"), point_figures))
        total.add(point_figures)
    shown = sheet.rows
    sheet.add(_summary_row(_("Total"), total), total=True)
    sheet.finish(filter_rows=shown)


def _number_cell(letter: str, row: str, style: str, value: int | None) -> str:
    return "" if value is None else f'<c r="{letter}{row}"{style}><v>{int(value)}</v></c>'


def _vat_label(vat: int) -> str:
    try:
        return VatRate(vat).label
    except ValueError:
        return str(vat)


_UTC = ZoneInfo("UTC")
