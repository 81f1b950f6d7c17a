"""Catalog files: reading .xlsx, .xls and .csv rows, and writing the template and the exports.

The format is told by the file's content, never by its name: people rename files, and some
programs save web pages or CSV under an .xls name. Reading yields the header row and then the
product rows, as raw cells with the row numbers a person sees in the spreadsheet; `columns`
gives them meaning. Writers take the same: the header row (the template's headers), then the
products' `columns.format_row` cells, in the template's column order.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from decimal import Decimal
from itertools import chain
from pathlib import Path, PurePosixPath
from typing import BinaryIO
from xml.etree import ElementTree

import xlsxwriter
import xlwt
from python_calamine import CalamineError, CalamineWorkbook, PasswordError, SheetTypeEnum, SheetVisibleEnum
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

from openkassa.catalog.columns import BOOL_CHOICES, COLUMNS, FORMULA_STARTS, KIND_CHOICES, UNIT_CHOICES, VAT_CHOICES, format_row
from openkassa.fiscal.enums import ItemType, Unit, VatRate
from openkassa.i18n import _

MAX_BYTES = 100 * 1024 * 1024
HEAD_BYTES = 64 * 1024  # what `detect_format` needs to see
XLSX_MAX_ROWS = 1_048_576  # the header row included
XLS_MAX_ROWS = 65_536

SHEET_NAME = "Товары"
LISTS_SHEET_NAME = "Списки"
_WIDTHS = {"name": 42, "short_name": 24, "barcodes": 30, "kind": 30, "group": 32, "unit": 18}
_TEXT_KINDS = {"text", "barcodes", "group"}  # typed as text in Excel, so 0012 and long barcodes stay as written

_EXAMPLE = {
    "name": "Молоко 3,2% 1 л", "short_name": "Молоко 3,2%", "article": "МЛК-032", "code": "1001",
    "barcodes": ["4607100000013"], "price": 8990, "min_price": 8500, "cost_price": 6420,
    "vat": VatRate.VAT_10, "unit": Unit.PIECE, "kind": ItemType.GOODS, "group": ("Молочные продукты", "Молоко"),
    "by_weight": False, "free_price": False, "archived": False,
}


class SpreadsheetError(Exception):
    """A file that cannot be read or written as a catalog table; `message` says what to do, translated."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# --- the format -----------------------------------------------------------------------------

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls (and .doc, and password-protected .xlsx)
_IMAGES = (b"\x89PNG", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"II*\x00", b"MM\x00*")
_ARCHIVES = (b"Rar!", b"7z\xbc\xaf\x27\x1c", b"\x1f\x8b")
_HTML = re.compile(rb"\s*(?:<\?xml[^>]*>\s*)?<(?:!doctype\s+html|html)", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x19\x1b-\x1f]")  # never in text (tab, newlines, form feed, ^Z are)


def detect_format(head: bytes, filename: str) -> str:
    """"xlsx", "xls" or "csv", told by the first bytes of a file; SpreadsheetError for anything else."""
    if not head:
        raise SpreadsheetError(_("The file «{name}» is empty.").format(name=filename))
    if head.startswith(b"PK\x03\x04"):
        if b"xl/" in head:
            return "xlsx"
        if b"word/" in head:
            reason = _("it is a Word document")
        elif b"opendocument.spreadsheet" in head:
            reason = _("it is an OpenDocument table (.ods)")
        else:
            reason = _("it is a zip archive")
    elif head.startswith(_OLE2):
        return "xls"
    elif head.startswith(b"MZ") and not _looks_like_text(head):
        reason = _("it is a program (.exe)")
    elif head.startswith(b"%PDF"):
        reason = _("it is a PDF document")
    elif head.startswith(_IMAGES) or (head.startswith(b"RIFF") and head[8:12] == b"WEBP"):
        reason = _("it is a picture")
    elif head.startswith(_ARCHIVES):
        reason = _("it is an archive")
    elif _HTML.match(head):
        reason = _("it is a web page (HTML), even if its name ends in .xls")
    elif b"urn:schemas-microsoft-com:office:spreadsheet" in head:
        reason = _("it is an Excel 2003 XML table")
    elif _looks_like_text(head):
        return "csv"
    else:
        reason = _("its contents are neither a spreadsheet nor text")
    raise SpreadsheetError(_("The file «{name}» is not an Excel table or a CSV file: {reason}. Save the catalog "
                             "as .xlsx, .xls or .csv and upload it again.").format(name=filename, reason=reason))


def _looks_like_text(head: bytes) -> bool:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = head[: len(head) // 2 * 2].decode("utf-16", errors="replace")
    else:
        text = head.decode("cp1251", errors="replace")  # any 8-bit text decodes; control bytes stay visible
    return not _CONTROL.search(text)


# --- reading --------------------------------------------------------------------------------


def read_rows(path: Path, filename: str) -> Iterator[tuple[int, list[object]]]:
    """The filled rows of the file's first visible sheet, header first: (row number as seen, cells).

    A file that cannot be used at all (too big, not a table, damaged, empty) raises SpreadsheetError
    here, before any row; a CSV line that cannot be decoded raises it when reached.
    """
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise SpreadsheetError(_("The file «{name}» is {size} MB, and at most {limit} MB can be imported: split "
                                 "the catalog into several files.").format(
            name=filename, size=round(size / 1024 / 1024), limit=MAX_BYTES // 1024 // 1024))
    with path.open("rb") as file:
        head = file.read(HEAD_BYTES)
    kind = detect_format(head, filename)
    rows = _filled(_csv_rows(path, filename, head) if kind == "csv" else _workbook_rows(path, filename, kind))
    first = next(rows, None)
    if first is None:
        raise SpreadsheetError(_("The file «{name}» has no rows: put the column headers in the first row and the "
                                 "products below them, as in the template.").format(name=filename))
    return chain([first], rows)


def _filled(rows: Iterator[tuple[int, list[object]]]) -> Iterator[tuple[int, list[object]]]:
    """The rows with at least one cell that is not empty or spaces."""
    for number, cells in rows:
        for cell in cells:
            if cell is not None and cell != "" and not (type(cell) is str and cell.isspace()):
                yield number, cells
                break


def _workbook_rows(path: Path, filename: str, kind: str) -> Iterator[tuple[int, list[object]]]:
    # From the bytes, not the path: python-calamine picks its reader by the file's extension,
    # and a renamed file would fail. The file is at most MAX_BYTES.
    try:
        with path.open("rb") as file:
            workbook = CalamineWorkbook.from_filelike(file)
        sheet_name = next((sheet.name for sheet in workbook.sheets_metadata
                           if sheet.typ == SheetTypeEnum.WorkSheet and sheet.visible == SheetVisibleEnum.Visible), None)
        if sheet_name is None:
            raise SpreadsheetError(_("The file «{name}» has no sheet with a table.").format(name=filename))
        # python-calamine reads the whole sheet into its own memory here; rows become Python lists one by one.
        sheet = workbook.get_sheet_by_name(sheet_name)
    except CalamineError as exc:
        if isinstance(exc, PasswordError) or _is_encrypted(path):
            raise SpreadsheetError(_("The file «{name}» is protected by a password: remove the password in Excel, "
                                     "save the file and upload it again.").format(name=filename)) from exc
        raise _damaged(filename) from exc
    if kind == "xlsx":
        try:
            _refuse_formulas_without_values(path, filename, sheet_name)
        except (zipfile.BadZipFile, ElementTree.ParseError) as exc:
            raise _damaged(filename) from exc
    if sheet.start is None:
        return iter(())
    return enumerate(sheet.iter_rows(), 1)  # python-calamine starts at row 1, empty rows included


def _damaged(filename: str) -> SpreadsheetError:
    return SpreadsheetError(_("The file «{name}» is damaged or cut short: open it in Excel or LibreOffice, save it "
                              "again and upload the new file.").format(name=filename))


def _is_encrypted(path: Path) -> bool:
    """Whether the file is an .xlsx that Excel encrypted with a password (an OLE2 file with this stream)."""
    marker = "EncryptedPackage".encode("utf-16-le")
    tail = b""
    with path.open("rb") as file:
        if file.read(len(_OLE2)) != _OLE2:
            return False
        while chunk := file.read(1024 * 1024):
            if marker in tail + chunk:
                return True
            tail = chunk[-len(marker):]
    return False


def _refuse_formulas_without_values(path: Path, filename: str, sheet_name: str) -> None:
    """Refuse a formula the program that wrote the file never calculated (openpyxl writes such files).

    Excel and LibreOffice store each formula's last value, which is what we import; without one
    the cell would read as empty and silently clear the product's value.
    """
    with zipfile.ZipFile(path) as archive:
        part = _sheet_part(archive, sheet_name)
        if part is None or not _contains_formula(archive, part):
            return
        with archive.open(part) as xml:
            for _event, element in ElementTree.iterparse(xml):
                tag = element.tag.rpartition("}")[2]
                if tag == "c":
                    children = {child.tag.rpartition("}")[2]: child for child in element}
                    value = children.get("v")
                    if "f" in children and (value is None or not value.text):
                        cell = element.get("r", "")
                        raise SpreadsheetError(_("Row {row}, column {column}: the formula has no calculated value. "
                                                 "Open the file in Excel or LibreOffice, save it and upload it again."
                                                 ).format(row=cell.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
                                                          column=cell.rstrip("0123456789")))
                elif tag == "row":
                    element.clear()


def _sheet_part(archive: zipfile.ZipFile, sheet_name: str) -> str | None:
    """The path inside the .xlsx of the named sheet's XML."""
    relationship = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    try:
        workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        links = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except KeyError:
        return None
    sheet_id = next((sheet.get(relationship) for sheet in workbook.iter()
                     if sheet.tag.endswith("}sheet") and sheet.get("name") == sheet_name), None)
    target = next((link.get("Target", "") for link in links if link.get("Id") == sheet_id), None)
    if target is None:
        return None
    return target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl", target))


def _contains_formula(archive: zipfile.ZipFile, part: str) -> bool:
    """A quick scan of the sheet's XML for an <f> element: most catalogs have none and skip the XML parsing."""
    tail = b""
    with archive.open(part) as xml:
        while chunk := xml.read(1024 * 1024):
            text = tail + chunk
            start = text.find(b"<f")
            while start != -1:
                if text[start + 2:start + 3] in (b">", b" ", b"/"):  # not <formula1> of a drop-down list
                    return True
                start = text.find(b"<f", start + 2)
            tail = chunk[-3:]
    return False


def _csv_rows(path: Path, filename: str, head: bytes) -> Iterator[tuple[int, list[object]]]:
    encoding = _csv_encoding(path, head)
    delimiter = _csv_delimiter(head.decode(encoding, errors="replace"))
    number = 0
    try:
        with path.open(encoding=encoding, newline="") as text:
            # Each record is one spreadsheet row, even one with a line break inside quotes.
            for number, cells in enumerate(csv.reader(text, delimiter=delimiter), 1):
                yield number, cells
    except UnicodeDecodeError as exc:
        raise SpreadsheetError(_("Row {row} of the file «{name}» is in another text encoding than the rows above "
                                 "it: save the file again as CSV UTF-8.").format(
            row=_undecodable_line(path, encoding), name=filename)) from exc
    except csv.Error as exc:
        raise SpreadsheetError(_("Row {row} of the file «{name}» cannot be read: check the quotes in it.").format(
            row=number + 1, name=filename)) from exc


def _csv_encoding(path: Path, head: bytes) -> str:
    """UTF-8 (with or without a BOM), UTF-16 with a BOM, else Windows-1251.

    Decided by the first line with non-ASCII text: a Windows-1251 Cyrillic word is never valid UTF-8.
    """
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    with path.open("rb") as file:
        while chunk := file.read(1024 * 1024):
            if found := _NON_ASCII.search(chunk):
                line_end = chunk.find(b"\n", found.start())
                sample = chunk[found.start():line_end if line_end > 0 else None][:4096]
                try:
                    codecs.getincrementaldecoder("utf-8")().decode(sample)  # a cut last letter is no error
                except UnicodeDecodeError:
                    return "cp1251"
                return "utf-8"
    return "utf-8"


_NON_ASCII = re.compile(rb"[\x80-\xff]")


def _undecodable_line(path: Path, encoding: str) -> int:
    """The number of the first line that is not in `encoding` (read again only when one is found)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    with path.open("rb") as file:
        for number, line in enumerate(file, 1):
            try:
                decoder.decode(line)
            except UnicodeDecodeError:
                return number
    return 0


def _csv_delimiter(head: str) -> str:
    """";", tab or ",": whichever splits the header line into the most fields (";" on a tie, as Excel)."""
    line = next((line for line in head.splitlines() if line.strip()), "")
    return max((";", "\t", ","), key=lambda delimiter: len(next(csv.reader([line], delimiter=delimiter), [])))


# --- writing --------------------------------------------------------------------------------


_XLSX_OPTIONS = {"strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False}


def write_template(out: BinaryIO) -> None:
    """The import template: the headers, one example product, drop-down lists for the choice columns."""
    workbook = xlsxwriter.Workbook(out, _XLSX_OPTIONS)
    sheet = _write_xlsx_sheet(workbook, [[column.ru for column in COLUMNS], format_row(_EXAMPLE)])
    lists = workbook.add_worksheet(LISTS_SHEET_NAME)
    lists.hide()
    for index, choices in enumerate((VAT_CHOICES, UNIT_CHOICES, KIND_CHOICES)):
        lists.write_column(0, index, choices)
    sources = {
        "vat": f"='{LISTS_SHEET_NAME}'!$A$1:$A${len(VAT_CHOICES)}",
        "unit": f"='{LISTS_SHEET_NAME}'!$B$1:$B${len(UNIT_CHOICES)}",
        "kind": f"='{LISTS_SHEET_NAME}'!$C$1:$C${len(KIND_CHOICES)}",
        "bool": list(BOOL_CHOICES),
    }
    for index, column in enumerate(COLUMNS):
        if column.kind in sources:
            # A warning, not a stop: the import also reads other spellings ("20%", "кг.", "yes").
            sheet.data_validation(1, index, XLSX_MAX_ROWS - 1, index, {
                "validate": "list", "source": sources[column.kind], "error_type": "warning"})
    workbook.close()


def write_xlsx(out: BinaryIO, rows: Iterable[list[object]], size: int | None = None) -> None:
    """An .xlsx export of `rows`: the header row, then the products' `format_row` cells. Memory stays flat.

    The sheet looks as the template's (`_write_xlsx_sheet`), but its XML is written here, a few thousand
    rows at a time straight into the zip entry: XlsxWriter spent nine times as long on a million products
    (81 s). Text is written as inline strings (never a formula, even "=1+1"), money as numbers with kopecks.

    `size`, the number of rows with the header, goes in the sheet's <dimension>, which comes before the
    rows: importers (ours too) estimate their progress by it. Without it the sheet has none, which
    Excel, LibreOffice and python-calamine accept; they read the rows as they are either way.
    """
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=_XLSX_COMPRESSION) as archive:
        for name, xml in _XLSX_PARTS.items():
            archive.writestr(name, xml)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            dimension = "" if size is None else f'<dimension ref="A1:{_LETTERS[-1]}{size}"/>'
            sheet.write(f"{_SHEET_START}{dimension}{_SHEET_VIEW}".encode())
            parts: list[str] = []
            styles = _HEADER_STYLES
            for number, cells in enumerate(rows, 1):
                if number > XLSX_MAX_ROWS:
                    raise SpreadsheetError(_("More than {limit} products do not fit in an .xlsx sheet: export to "
                                             ".csv.").format(limit=XLSX_MAX_ROWS - 1))
                row = str(number)
                parts.append(f'<row r="{row}">')
                for letter, style, cell in zip(_LETTERS, styles, cells):
                    kind = type(cell)
                    if kind is str:
                        if not cell:
                            continue  # an empty text is an empty cell
                        if (cell.isprintable() and cell[0] != " " != cell[-1] and "&" not in cell and "<" not in cell
                                and ">" not in cell and "_x" not in cell):  # the usual text, written as it is
                            parts.append(f'<c r="{letter}{row}"{style} t="inlineStr"><is><t>{cell}</t></is></c>')
                        else:
                            parts.append(f'<c r="{letter}{row}"{style} t="inlineStr"><is>{_xml_text(cell)}</is></c>')
                    elif kind is Decimal:
                        parts.append(f'<c r="{letter}{row}"{_MONEY_STYLE}><v>{cell}</v></c>')
                    elif kind is bool:
                        parts.append(f'<c r="{letter}{row}"{style} t="b"><v>{cell:d}</v></c>')
                    elif kind is int or kind is float:
                        parts.append(f'<c r="{letter}{row}"{style}><v>{cell!r}</v></c>')
                    elif cell is not None:
                        raise TypeError(f"an .xlsx cell cannot hold {cell!r}")
                parts.append("</row>")
                styles = _COLUMN_STYLES
                if number % _ROWS_PER_WRITE == 0:
                    sheet.write("".join(parts).encode())
                    parts.clear()
            sheet.write(("".join(parts) + _SHEET_END).encode())


def _xml_text(text: str) -> str:
    """The <t> element of an unusual text: XML-escaped, spaces at its ends kept, and the characters XML
    cannot hold (control characters, which names never have) written as Excel writes them, _xHHHH_;
    a literal "_x0041_" gets its underscore escaped so that Excel does not read it as "A"."""
    text = _EXCEL_ESCAPED.sub(_excel_escape, text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))
    if text[0].isspace() or text[-1].isspace():
        return f'<t xml:space="preserve">{text}</t>'
    return f"<t>{text}</t>"


_EXCEL_ESCAPED = re.compile(r"_x[0-9A-Fa-f]{4}_|[\x00-\x08\x0b-\x1f\ufffe\uffff]")


def _excel_escape(match: re.Match[str]) -> str:
    found = match[0]
    return "_x005F" + found if len(found) > 1 else f"_x{ord(found):04X}_"


# zlib's level, measured on a million products: 3 takes a second more than 1 for a file an eighth smaller
# (78 MB); the default 6 takes six seconds more for another ninth.
_XLSX_COMPRESSION = 3
_ROWS_PER_WRITE = 2_000
_LETTERS = [xl_col_to_name(index) for index in range(len(COLUMNS))]
# The cell formats of "xl/styles.xml" (its cellXfs), by index: 0 plain, 1 the header, 2 text, 3 money.
_COLUMN_FORMATS = [3 if column.kind == "money" else 2 if column.kind in _TEXT_KINDS else 0 for column in COLUMNS]
_COLUMN_STYLES = [f' s="{index}"' if index else "" for index in _COLUMN_FORMATS]
_HEADER_STYLES = [' s="1"'] * len(COLUMNS)
_MONEY_STYLE = ' s="3"'
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
_XLSX_PARTS = {
    "[Content_Types].xml": (
        f'{_XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>'),
    "_rels/.rels": (
        f'{_XML}<Relationships xmlns="{_PACKAGE_RELATIONSHIPS}">'
        f'<Relationship Id="rId1" Type="{_RELATIONSHIPS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
    "xl/workbook.xml": (
        f'{_XML}<workbook xmlns="{_MAIN}" xmlns:r="{_RELATIONSHIPS}"><bookViews><workbookView/></bookViews>'
        f'<sheets><sheet name="{SHEET_NAME}" sheetId="1" r:id="rId1"/></sheets></workbook>'),
    "xl/_rels/workbook.xml.rels": (
        f'{_XML}<Relationships xmlns="{_PACKAGE_RELATIONSHIPS}">'
        f'<Relationship Id="rId1" Type="{_RELATIONSHIPS}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{_RELATIONSHIPS}/styles" Target="styles.xml"/></Relationships>'),
    "xl/styles.xml": (
        f'{_XML}<styleSheet xmlns="{_MAIN}">'
        '<numFmts count="2"><numFmt numFmtId="164" formatCode="@"/><numFmt numFmtId="165" formatCode="0.00"/>'
        '</numFmts>'
        '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
        '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
        '<fills count="3"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill>'
        '<fill><patternFill patternType="solid"><fgColor rgb="FFEEEEEE"/><bgColor indexed="64"/></patternFill></fill>'
        '</fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        '<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1" applyAlignment="1">'
        '<alignment vertical="top" wrapText="1"/></xf>'
        '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
        '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'),
}
# Widths as Excel writes them: the characters plus 5 pixels of padding (7 a character), in 1/256.
_COLS = "".join(
    f'<col min="{index}" max="{index}" width="{int((_WIDTHS.get(column.key, 16) + 5 / 7) * 256) / 256}"'
    + (f' style="{xf}"' if xf else "") + ' customWidth="1"/>'
    for index, (column, xf) in enumerate(zip(COLUMNS, _COLUMN_FORMATS), 1))
_SHEET_START = f'{_XML}<worksheet xmlns="{_MAIN}" xmlns:r="{_RELATIONSHIPS}">'
_SHEET_VIEW = (  # the first row kept in view
    '<sheetViews><sheetView tabSelected="1" workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
    'activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft"/></sheetView></sheetViews>'
    f'<sheetFormatPr defaultRowHeight="15"/><cols>{_COLS}</cols><sheetData>')
_SHEET_END = ('</sheetData><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
              "</worksheet>")


def _write_xlsx_sheet(workbook: xlsxwriter.Workbook, rows: Iterable[list[object]]) -> Worksheet:
    """The template's sheet of products: the first row bold and kept in view, money as numbers with
    kopecks, text as text (never a formula, even "=1+1"). `write_xlsx` writes the same look itself."""
    sheet = workbook.add_worksheet(SHEET_NAME)
    header = workbook.add_format({"bold": True, "bg_color": "#EEEEEE", "text_wrap": True, "valign": "top"})
    money = workbook.add_format({"num_format": "0.00"})
    text = workbook.add_format({"num_format": "@"})
    for index, column in enumerate(COLUMNS):
        column_format = money if column.kind == "money" else text if column.kind in _TEXT_KINDS else None
        sheet.set_column(index, index, _WIDTHS.get(column.key, 16), column_format)
    sheet.freeze_panes(1, 0)
    for number, cells in enumerate(rows):
        cell_format = header if number == 0 else None
        for index, cell in enumerate(cells):
            if cell is None:
                continue
            if type(cell) is str:
                sheet.write_string(number, index, cell, cell_format)
            elif isinstance(cell, Decimal):
                sheet.write_number(number, index, float(cell), money)
            else:
                sheet.write(number, index, cell, cell_format)
    return sheet


def write_xls(out: BinaryIO, rows: Iterable[list[object]]) -> None:
    """An .xls export (Excel 97–2003) of the header row and at most 65,535 products."""
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet(SHEET_NAME)
    header = xlwt.easyxf("font: bold on; pattern: pattern solid, fore_colour gray25")
    plain = xlwt.easyxf("")
    money = xlwt.easyxf(num_format_str="0.00")
    for index, column in enumerate(COLUMNS):
        sheet.col(index).width = 256 * _WIDTHS.get(column.key, 16)
    sheet.set_panes_frozen(True)
    sheet.set_horz_split_pos(1)
    for number, cells in enumerate(rows):
        if number >= XLS_MAX_ROWS:
            raise SpreadsheetError(_("More than {limit} products do not fit in an .xls file: export to .xlsx "
                                     "or .csv.").format(limit=XLS_MAX_ROWS - 1))
        row = sheet.row(number)
        for index, cell in enumerate(cells):
            if isinstance(cell, Decimal):
                row.set_cell_number(index, float(cell), money)
            elif cell is not None:
                row.write(index, cell, header if number == 0 else plain)
    book.save(out)


def write_csv(out: BinaryIO, rows: Iterable[list[object]]) -> None:
    """A .csv export as Russian Excel writes it: UTF-8 with a BOM, ";" between cells, a decimal comma."""
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
    csv.writer(text, delimiter=";", lineterminator="\r\n").writerows(
        [_csv_cell(cell) for cell in cells] for cells in rows)
    text.flush()
    text.detach()  # the caller owns `out`


def _csv_cell(cell: object) -> object:
    if isinstance(cell, Decimal):
        return str(cell).replace(".", ",")
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        return "'" + cell  # Excel would run «=…» from a CSV as a formula; the quote makes it text, import drops it
    return "" if cell is None else cell
