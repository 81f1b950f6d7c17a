"""Make the catalog files the import tests read (see README.md). Needs LibreOffice (`soffice`) on PATH.

Run from anywhere: `.venv/bin/python tests/catalog/files/make.py`. The files are committed; CI
does not run this.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import xlsxwriter
import xlwt

HERE = Path(__file__).parent

# --- written by LibreOffice, from a flat OpenDocument sheet -----------------------------------

# Row 1 is empty, so the header is row 2; rows 6, 9 and 10 are empty. The min price of row 4 is
# a formula; the group of row 7 is merged down over row 8. Cells: str → text, number → a number
# shown with a decimal comma (an int: a plain number), ("formula", value) → a formula with its calculated value,
# ("merged", text, rows) → text merged down over that many rows, None → nothing.
LIBREOFFICE_ROWS = [
    [],
    ["Наименование", "Цена", "Минимальная цена", "Штрихкоды", "НДС", "Единица измерения", "Группа", "Весовой"],
    ["Молоко «Простоквашино» 2,5% 930 мл", 89.9, None, "4607100000013", "НДС 10%", "шт",
     "Молочные продукты/Молоко", "нет"],
    ["Сыр Российский", 199.9, ("of:=[.B4]*0.5", 99.95), 4607100000020, "НДС 10%", "кг",
     "Молочные продукты/Сыры", "да"],
    ["Кефир 1%", "59,90", None, None, "НДС 10%", "шт", "Молочные продукты", None],
    [],
    ["Хлеб «Бородинский»", 45.5, None, "4607100000037", "НДС 10%", "шт", ("merged", "Хлеб", 2), "нет"],
    ["Батон нарезной", 39, None, "4607100000044", "НДС 10%", "шт", "covered", "нет"],
    [],
    [],
    ["Вода «Святой источник» 0,5 л", 55, None, "4607100000051; 4607100000068", "БЕЗ НДС", "шт", "Напитки", "нет"],
]

ENGLISH_ROWS = [
    ["Name", "Price", "Barcodes", "VAT", "Unit", "Sold by weight"],
    ["Чай «Беседа» 100 пакетиков", 149.0, "4607100000013", "20%", "pcs", "no"],
    ["Яблоки Гала", 129.9, None, "10%", "kg", "yes"],
]

_FODS = """<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0"
 xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"
 xmlns:number="urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0"
 xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
 xmlns:of="urn:oasis:names:tc:opendocument:xmlns:of:1.2"
 office:version="1.2" office:mimetype="application/vnd.oasis.opendocument.spreadsheet">
<office:styles>
<style:default-style style:family="table-cell"><style:text-properties fo:language="ru" fo:country="RU"/>
</style:default-style>
<number:number-style style:name="N2" number:language="ru" number:country="RU">
<number:number number:decimal-places="2" number:min-integer-digits="1"/></number:number-style>
<style:style style:name="money" style:family="table-cell" style:data-style-name="N2"/>
</office:styles>
<office:body><office:spreadsheet><table:table table:name="Товары">
{rows}
</table:table></office:spreadsheet></office:body></office:document>
"""


def _fods_cell(cell: object) -> str:
    if cell is None:
        return "<table:table-cell/>"
    if cell == "covered":
        return "<table:covered-table-cell/>"
    if isinstance(cell, tuple) and cell[0] == "merged":
        return (f'<table:table-cell table:number-rows-spanned="{cell[2]}" office:value-type="string">'
                f"<text:p>{escape(cell[1])}</text:p></table:table-cell>")
    if isinstance(cell, tuple):
        return (f'<table:table-cell table:style-name="money" table:formula="{cell[0]}" '
                f'office:value-type="float" office:value="{cell[1]}"/>')
    if isinstance(cell, int):  # a plain number, as a barcode typed without a text format
        return f'<table:table-cell office:value-type="float" office:value="{cell}"/>'
    if isinstance(cell, float):
        return f'<table:table-cell table:style-name="money" office:value-type="float" office:value="{cell}"/>'
    return f'<table:table-cell office:value-type="string"><text:p>{escape(cell)}</text:p></table:table-cell>'


def _fods(rows: list[list[object]]) -> str:
    return _FODS.format(rows="\n".join(
        "<table:table-row>" + ("".join(_fods_cell(cell) for cell in row) or "<table:table-cell/>")
        + "</table:table-row>" for row in rows))


def libreoffice(rows: list[list[object]], name: str, *filters: str) -> None:
    """Save `rows` through LibreOffice as `name` with each filter ("xlsx", "xls", "csv:…")."""
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / f"{name}.fods"
        source.write_text(_fods(rows), encoding="utf-8")
        for convert_to in filters:
            subprocess.run(["soffice", "--headless", "--convert-to", convert_to, "--outdir", tmp, str(source)],
                           check=True, capture_output=True)
        for made in Path(tmp).iterdir():
            if made.suffix != ".fods":
                (HERE / made.name).write_bytes(made.read_bytes())


# --- written by XlsxWriter and xlwt --------------------------------------------------------


def xlsxwriter_file(name: str, rows: list[list[object]]) -> Path:
    path = HERE / name
    workbook = xlsxwriter.Workbook(path)
    sheet = workbook.add_worksheet("Лист1")
    for number, row in enumerate(rows):
        for index, cell in enumerate(row):
            if isinstance(cell, tuple):
                sheet.write_formula(number, index, cell[0], None, cell[1])
            elif cell is not None:
                sheet.write(number, index, cell)
    workbook.close()
    return path


def xlwt_file(name: str, rows: list[list[object]]) -> None:
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("Лист1")
    for number, row in enumerate(rows):
        for index, cell in enumerate(row):
            if cell is not None:
                sheet.write(number, index, cell)
    book.save(str(HERE / name))


# Numbers as numbers (barcodes too, as a careless export leaves them), real booleans, a formula.
PROGRAM_ROWS = [
    ["Наименование", "Код", "Штрихкоды", "Цена", "Закупочная цена", "НДС", "Единица измерения",
     "Признак предмета расчёта", "Весовой", "В архиве"],
    ["Печенье «Юбилейное» 112 г", 1001, 4607100000013, 54.9, ("=D2*0.6", 32.94), 0.2, "шт", "Товар", False, False],
    ["Конфеты «Мишка косолапый»", 1002, 4607100000020, 1299.0, 800, "20%", "кг", 1, True, False],
    ["Доставка", "D-1", None, 300, None, "без НДС", "шт", "Услуга", False, True],
]

UNKNOWN_COLUMN_ROWS = [
    ["Наименование", "Цена", "Поставщик", "Остаток"],
    ["Сок яблочный 1 л", 119.9, "ООО «Сады Придонья»", 12],
]

MISSING_NAME_ROWS = [
    ["Артикул", "Цена", "НДС"],
    ["А-100", 99.9, "НДС 20%"],
]


def without_formula_values(source: Path, name: str) -> None:
    """A copy of an .xlsx whose formulas have no calculated value, as openpyxl writes them."""
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(HERE / name, "w", zipfile.ZIP_DEFLATED) as copy:
        for item in original.infolist():
            data = original.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                data = data.replace(b"<v>32.94</v>", b"")
            copy.writestr(item, data)


def word_document(name: str) -> None:
    """The smallest .docx Word opens, under an .xlsx name."""
    with zipfile.ZipFile(HERE / name, "w", zipfile.ZIP_DEFLATED) as docx:
        docx.writestr("[Content_Types].xml", (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName='
            '"/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.'
            'document.main+xml"/></Types>'))
        docx.writestr("_rels/.rels", (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>'))
        docx.writestr("word/document.xml", (
            '<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
            'wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Прайс-лист</w:t></w:r></w:p></w:body>'
            '</w:document>'))


def program(name: str) -> None:
    """The first bytes of a Windows program, under an .xlsx name."""
    header = bytearray(128)
    header[:2] = b"MZ"
    header[0x3C] = 0x80  # where the PE header would start
    stub = b"This program cannot be run in DOS mode.\r\r\n$"
    header[0x4E:0x4E + len(stub)] = stub
    (HERE / name).write_bytes(bytes(header) + b"PE\x00\x00")


def password_protected(source: str, name: str) -> None:
    """An .xlsx encrypted as Excel does when a password is set, by msoffcrypto-tool (pip) if installed."""
    tool = shutil.which("msoffcrypto-tool")
    if tool is None:
        print(f"skipped {name}: pip install msoffcrypto-tool (in any virtualenv) to remake it")
        return
    subprocess.run([tool, "-e", "-p", "secret", str(HERE / source), str(HERE / name)], check=True)


def main() -> None:
    libreoffice(LIBREOFFICE_ROWS, "libreoffice", "xlsx", "xls:MS Excel 97",
                "csv:Text - txt - csv (StarCalc):59,34,34")  # ";", quotes, Windows-1251
    (HERE / "libreoffice.csv").rename(HERE / "libreoffice_windows1251.csv")
    libreoffice(LIBREOFFICE_ROWS, "libreoffice_utf8", "csv:Text - txt - csv (StarCalc):44,34,76")  # ",", UTF-8
    libreoffice(ENGLISH_ROWS, "english_headers", "xlsx")
    (HERE / "excel_utf8_bom.csv").write_bytes(
        (HERE / "libreoffice_windows1251.csv").read_bytes().decode("cp1251").encode("utf-8-sig"))
    written = xlsxwriter_file("xlsxwriter.xlsx", PROGRAM_ROWS)
    without_formula_values(written, "formula_without_value.xlsx")
    xlwt_file("xlwt.xls", [[cell[1] if isinstance(cell, tuple) else cell for cell in row] for row in PROGRAM_ROWS])
    xlsxwriter_file("unknown_column.xlsx", UNKNOWN_COLUMN_ROWS)
    xlsxwriter_file("missing_name.xlsx", MISSING_NAME_ROWS)
    data = written.read_bytes()
    (HERE / "corrupt.xlsx").write_bytes(data[: len(data) // 2])
    program("program.xlsx")
    word_document("document.xlsx")
    password_protected("english_headers.xlsx", "password.xlsx")


if __name__ == "__main__":
    main()
