"""A table of figures as a file to download: .xlsx (XlsxWriter) or .csv (as Russian Excel reads it);
the statistics' blocks and the stock balances are downloaded through it.

A `Table` is a title, typed columns and rows of plain values as the service gives them (money in
kopecks, quantities in thousandths, shares as fractions, days as dates); each writer turns the
values into what its format holds best. In .xlsx money is a number with a rouble format, a share a
number with a percent format, a day a date, and the header row stays in view with a filter on it.
In .csv (UTF-8 with a BOM, ";" and a decimal comma: `catalog.spreadsheets.write_csv`, which also
quotes a cell Excel would run as a formula) money is roubles, a share a number of percent ("25,00", its
column titled "…, %"), a day 27.11.2026.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Literal

import xlsxwriter

from openkassa.catalog.spreadsheets import write_csv
from openkassa.money import to_roubles

Kind = Literal["text", "int", "money", "quantity", "share", "date"]

MEDIA_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
FORMATS = tuple(MEDIA_TYPES)

_NUMBER_FORMATS = {
    "int": "#,##0",
    "money": '#,##0.00 "₽"',
    "quantity": "#,##0.000",
    "share": "0.00%",
    "date": "dd.mm.yyyy",
}
_WIDTHS = {"text": 36, "int": 12, "money": 16, "quantity": 14, "share": 12, "date": 12}
_SHEET_FORBIDDEN = str.maketrans({character: " " for character in "[]:*?/\\"})


@dataclass(frozen=True)
class Column:
    title: str
    kind: Kind = "text"


@dataclass
class Table:
    """One table as it goes into a file."""

    title: str  # the sheet's name
    columns: Sequence[Column]
    rows: list[list[object]] = field(default_factory=list)


def write(table: Table, file_format: str) -> bytes:
    """The table as the bytes of a .xlsx or a .csv file."""
    if file_format == "xlsx":
        return to_xlsx(table)
    if file_format == "csv":
        return to_csv(table)
    raise ValueError(f"no such format: {file_format}")


def to_xlsx(table: Table) -> bytes:
    out = io.BytesIO()
    workbook = xlsxwriter.Workbook(out, {"constant_memory": True, "strings_to_numbers": False,
                                         "strings_to_formulas": False, "strings_to_urls": False})
    sheet = workbook.add_worksheet((table.title.translate(_SHEET_FORBIDDEN).strip() or "Sheet")[:31])
    header = workbook.add_format({"bold": True, "bg_color": "#F1F5F9", "bottom": 1, "text_wrap": True,
                                  "valign": "top"})
    formats = {kind: workbook.add_format({"num_format": pattern}) for kind, pattern in _NUMBER_FORMATS.items()}
    for index, column in enumerate(table.columns):
        width = max(_WIDTHS[column.kind], min(len(column.title) + 2, 40))
        sheet.set_column(index, index, width, formats.get(column.kind))
    sheet.freeze_panes(1, 0)
    for index, column in enumerate(table.columns):
        sheet.write_string(0, index, column.title, header)
    for row_number, row in enumerate(table.rows, 1):
        for index, (column, value) in enumerate(zip(table.columns, row, strict=True)):
            _write_cell(sheet, row_number, index, column.kind, value, formats)
    sheet.autofilter(0, 0, max(len(table.rows), 1), len(table.columns) - 1)
    workbook.close()
    return out.getvalue()


def _write_cell(sheet, row: int, column: int, kind: Kind, value: object, formats: dict) -> None:
    if value is None or value == "" and kind != "text":
        sheet.write_blank(row, column, None, formats.get(kind))
    elif kind == "text":
        sheet.write_string(row, column, str(value))
    elif kind == "date":
        sheet.write_datetime(row, column, value, formats["date"])
    else:
        sheet.write_number(row, column, _number(kind, value), formats[kind])


def _number(kind: Kind, value) -> Decimal | int:
    if kind == "money":
        return to_roubles(value)
    if kind == "quantity":
        return Decimal(value) / 1000
    return value  # int, or a share as a fraction


def to_csv(table: Table) -> bytes:
    out = io.BytesIO()
    write_csv(out, [[f"{column.title}, %" if column.kind == "share" else column.title for column in table.columns],
                    *([_csv_value(column.kind, value) for column, value in zip(table.columns, row, strict=True)]
                      for row in table.rows)])
    return out.getvalue()


def _csv_value(kind: Kind, value: object) -> object:
    if value is None:
        return ""
    if kind == "money":
        return to_roubles(value)  # type: ignore[arg-type]
    if kind == "quantity":
        return (Decimal(value) / 1000).quantize(Decimal("0.001"))  # type: ignore[arg-type]
    if kind == "share":
        return (Decimal(value) * 100).quantize(Decimal("0.01"))  # type: ignore[arg-type]
    if kind == "date" and isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    return value
