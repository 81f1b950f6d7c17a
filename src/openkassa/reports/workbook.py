"""The report's .xlsx: XlsxWriter in `constant_memory` mode, with a fast path for the rows of long sheets.

XlsxWriter makes the workbook: the sheets, their column widths and number formats, the frozen header,
the filter, the styles, the zip. In `constant_memory` mode it keeps one row in memory and writes each
finished row as XML into a temporary file per sheet, which it copies into the sheet when the workbook
closes. Its own `write_*` calls cost ~12 µs a cell on our machine (228 s for a million lines of 16
cells), so `Sheet.append` writes the rows' XML itself into that same temporary file, a few thousand
rows at a time: the same XML XlsxWriter writes (inline strings, numbers with a style), four times
faster and more. Headers, title blocks and everything around the rows still go through XlsxWriter.

Texts that repeat (points, registers, cashiers, product names: `Sheet.shared`) go in the workbook's
shared strings table, as XlsxWriter writes them outside constant_memory mode, at most `SHARED_LIMIT`
different ones (then inline): a sheet's XML is a quarter smaller, and so is the time to zip it. The zip
is deflated at level 3 instead of zlib's 6 (`_COMPRESSION`): twice as fast, for a file a sixth larger.

The fast path touches these parts of XlsxWriter, checked when a sheet is made: the worksheet's
`row_data_fh` (the temporary file), `previous_row` and `_write_single_row` (the row it holds),
`_check_dimensions` (the sheet's <dimension>); `Format._get_xf_index` (a format's style number, as
XlsxWriter's own cells take it); the workbook's `str_table` (`_get_shared_string_index`, `count`); and
the `ZipFile` its module closes the workbook with (see `_ZipFile`). The tests read the files with
openpyxl and LibreOffice.

Values: money is integer kopecks (written as roubles with two places, never through a float),
quantities integer thousandths, moments naive local datetimes (the point's time zone), counts and
numbers ints, text str. None or "" leaves a cell empty.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Literal

import xlsxwriter
import xlsxwriter.workbook
from xlsxwriter.utility import xl_col_to_name

Kind = Literal["text", "number", "count", "money", "quantity", "moment", "date"]

SHEET_ROWS = 1_048_576
"""Rows of an .xlsx sheet (Excel's limit), the header included."""

NUMBER_FORMATS: dict[str, str] = {
    "text": "@",
    "number": "0",  # receipt, document and shift numbers: no thousands separator
    "count": "#,##0",
    "money": '#,##0.00 "₽"',
    "quantity": "#,##0.000",
    "moment": "dd.mm.yyyy hh:mm:ss",
    "date": "dd.mm.yyyy",
}
SHARED_LIMIT = 200_000
"""Different texts a workbook shares at most; more are written inline (memory stays bounded whatever the rows)."""
_ROWS_PER_WRITE = 2_000
_COMPRESSION = 3  # zlib's level for the report's zip; measured on 850 MB of sheet: 6 takes 14 s, 3 takes 7 s
_EPOCH = datetime(1899, 12, 30)  # day 0 of Excel's 1900 date system (its 1900 leap-year bug included)
_SAFE_TEXT = re.compile(r"[^&<>\x00-\x1f\ufffe\uffff]*")  # needs no escaping: no markup, no control character
_EXCEL_ESCAPED = re.compile(r"_x[0-9A-Fa-f]{4}_|[\x00-\x08\x0b-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class Column:
    title: str
    kind: Kind = "text"
    width: float = 12


class Workbook:
    """One .xlsx file being written; `sheet` adds a sheet, `close` writes the file."""

    def __init__(self, path: Path, *, tmpdir: Path | None = None):
        self.xlsx = xlsxwriter.Workbook(str(path), {
            "constant_memory": True, "tmpdir": str(tmpdir) if tmpdir else None,
            "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False,
        })
        self.header = self.xlsx.add_format({"bold": True, "bg_color": "#F1F5F9", "bottom": 1, "text_wrap": True,
                                            "valign": "top"})
        self.title = self.xlsx.add_format({"bold": True, "font_size": 14})
        self.label = self.xlsx.add_format({"bold": True})
        self.total = {kind: self.xlsx.add_format({"bold": True, "top": 1, "num_format": pattern})
                      for kind, pattern in NUMBER_FORMATS.items()}
        self.formats = {kind: self.xlsx.add_format({"num_format": pattern}) for kind, pattern in NUMBER_FORMATS.items()}

    def worksheet(self, name: str):
        """A new XlsxWriter worksheet, for rows written above a `Sheet`'s header (a title block)."""
        return self.xlsx.add_worksheet(name[:31])

    def sheet(self, name: str, columns: Sequence[Column], *, header_row: int = 0, worksheet=None) -> Sheet:
        """A sheet whose header is row `header_row` (0-based) of `worksheet`, or of a new worksheet `name`."""
        return Sheet(self, worksheet if worksheet is not None else self.worksheet(name), columns, header_row)

    def close(self) -> None:
        token = _compression.set(_COMPRESSION)
        try:
            self.xlsx.close()
        finally:
            _compression.reset(token)


class Sheet:
    """A sheet with a header row, frozen, and rows under it (`append`); `finish` puts the filter on."""

    def __init__(self, book: Workbook, worksheet, columns: Sequence[Column], header_row: int):
        if not (worksheet.constant_memory and hasattr(worksheet, "row_data_fh") and hasattr(worksheet, "previous_row")
                and hasattr(worksheet, "_write_single_row")):
            raise RuntimeError("this XlsxWriter's worksheet lacks what the report's fast rows rely on")
        self.book, self.worksheet, self.columns, self.header_row = book, worksheet, list(columns), header_row
        self._letters = [xl_col_to_name(index) for index in range(len(columns))]
        self._styles = [f' s="{book.formats[column.kind]._get_xf_index()}"' for column in columns]
        self._render = [_RENDERERS[column.kind] for column in columns]
        self._total_styles = [f' s="{book.total[column.kind]._get_xf_index()}"' for column in columns]
        for index, column in enumerate(columns):
            worksheet.set_column(index, index, column.width, book.formats[column.kind])
            worksheet.write_string(header_row, index, column.title, book.header)
        worksheet.freeze_panes(header_row + 1, 0)
        self.next_row = header_row + 1  # 0-based, as XlsxWriter counts
        self._parts: list[str] = []
        self._held = False  # XlsxWriter's pending row has been written out before ours

    @property
    def rows(self) -> int:
        """Rows under the header so far."""
        return self.next_row - self.header_row - 1

    def cells(self, values: Sequence[object], first: int = 0, *, total: bool = False) -> list[tuple[str, str]]:
        """Values of columns `first`, `first + 1`, … as cells to `append` (the same cells may go in many rows)."""
        styles = self._total_styles if total else self._styles
        return [(self._letters[index], styles[index] + self._render[index](value))
                for index, value in enumerate(values, first) if value is not None and value != ""]

    def style(self, index: int) -> str:
        """The style attribute of column `index`'s cells (` s="3"`)."""
        return self._styles[index]

    def text(self, index: int, value: object) -> str:
        """A text cell of column `index` without its opening `<c r="…"` (see `append_xml`)."""
        return self._styles[index] + _text(value)

    def shared(self, index: int, value: object) -> tuple[str, int]:
        """The same as `text`, from the workbook's shared strings, for a text many rows repeat; with 1 when
        it is shared (0 when it had to be inline), to count in `append_xml`'s `shared` per cell written."""
        text = str(value)
        table = self.book.xlsx.str_table
        if (text.startswith("<r>") and text.endswith("</r>")) or (
                table.unique_count >= SHARED_LIMIT and text not in table.string_table):
            return self.text(index, text), 0  # XlsxWriter would write "<r>…</r>" as rich text, unescaped
        position = table._get_shared_string_index(text)
        table.count -= 1  # counted as the cells are written
        return f'{self._styles[index]} t="s"><v>{position}</v></c>', 1

    def append(self, *cells: list[tuple[str, str]]) -> None:
        """One row of `cells` lists (from `cells`), left to right."""
        row = str(self.next_row + 1)
        self.append_xml(f'<row r="{row}">' + "".join([f'<c r="{letter}{row}"{body}'
                                                      for part in cells for letter, body in part]) + "</row>")

    def append_xml(self, xml: str, shared: int = 0) -> None:
        """One row written by the caller: the `<row>` element numbered `next_row + 1` (Excel counts
        from 1), its cells in column order, each with its `r`, `style(index)` and value as `cells` or
        `shared` make them; `shared`: how many of its cells are shared strings. The long sheets' rows
        come this way, from one f-string a row."""
        self.book.xlsx.str_table.count += shared
        if not self._held:
            self.worksheet._write_single_row(self.next_row)  # the header (or title) row XlsxWriter holds
            self._held = True
        self._parts.append(xml)
        self.next_row += 1
        if len(self._parts) >= _ROWS_PER_WRITE:
            self.flush()

    def add(self, values: Sequence[object], *, total: bool = False) -> None:
        """One row of values, a value a column."""
        self.append(self.cells(values, total=total))

    def flush(self) -> None:
        if self._parts:
            self.worksheet.row_data_fh.write("".join(self._parts))
            self._parts.clear()

    def finish(self, *, filter_rows: int | None = None) -> None:
        """Write what is pending, tell XlsxWriter the sheet's size, and put the filter on the header and
        the first `filter_rows` rows under it (all of them by default; at least the header)."""
        self.flush()
        last = self.next_row - 1
        if self._held:
            self.worksheet.previous_row = last  # the row XlsxWriter would hold next: ours, written
            self.worksheet.table.clear()
            self.worksheet._check_dimensions(last, len(self.columns) - 1)
        rows = self.rows if filter_rows is None else filter_rows
        self.worksheet.autofilter(self.header_row, 0, self.header_row + max(rows, 0), len(self.columns) - 1)


# --- the zip ----------------------------------------------------------------------------------------------


_compression: ContextVar[int | None] = ContextVar("report_compression", default=None)


class _ZipFile(zipfile.ZipFile):
    """XlsxWriter's zip, deflated at the level `Workbook.close` sets for its own call (its context);
    every other XlsxWriter file of the process gets zlib's default, as before."""

    def __init__(self, *args, **kwargs):
        if kwargs.get("compresslevel") is None:
            kwargs["compresslevel"] = _compression.get()
        super().__init__(*args, **kwargs)


if xlsxwriter.workbook.ZipFile is zipfile.ZipFile:
    xlsxwriter.workbook.ZipFile = _ZipFile  # XlsxWriter names no level; the name is its module's


# --- cells ------------------------------------------------------------------------------------------


def _text(value: object) -> str:
    text = str(value)
    if _SAFE_TEXT.fullmatch(text) and text[:1] != " " and text[-1:] != " " and "_x" not in text:
        return f' t="inlineStr"><is><t>{text}</t></is></c>'
    text = _EXCEL_ESCAPED.sub(_excel_escape, text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))
    space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    return f' t="inlineStr"><is><t{space}>{text}</t></is></c>'


def _excel_escape(match: re.Match[str]) -> str:
    """A character XML cannot hold, as Excel writes it (_xHHHH_); a literal _xHHHH_ gets its underscore
    escaped so that Excel does not read it as that character."""
    found = match[0]
    return "_x005F" + found if len(found) > 1 else f"_x{ord(found):04X}_"


def _number(value: int) -> str:
    return f"><v>{int(value)}</v></c>"


def roubles(kopecks: int) -> str:
    """Kopecks as roubles with two places, by integer arithmetic: -12345 is "-123.45"."""
    if kopecks < 0:
        kopecks = -kopecks
        return f"-{kopecks // 100}.{kopecks % 100:02d}"
    return f"{kopecks // 100}.{kopecks % 100:02d}"


def _money(kopecks: int) -> str:
    return f"><v>{roubles(int(kopecks))}</v></c>"


def _quantity(thousandths: int) -> str:
    thousandths = int(thousandths)
    sign, value = ("-", -thousandths) if thousandths < 0 else ("", thousandths)
    return f"><v>{sign}{value // 1000}.{value % 1000:03d}</v></c>"


def serial(moment: datetime | date) -> str:
    """A local date or moment as Excel's serial number (days since 30.12.1899, time as the fraction)."""
    if not isinstance(moment, datetime):
        return str((moment - _EPOCH.date()).days)
    delta = moment.replace(tzinfo=None, microsecond=0) - _EPOCH
    return repr(delta.days + delta.seconds / 86400)


def _moment(moment: datetime | date) -> str:
    return f"><v>{serial(moment)}</v></c>"


_RENDERERS = {"text": _text, "number": _number, "count": _number, "money": _money, "quantity": _quantity,
              "moment": _moment, "date": _moment}
