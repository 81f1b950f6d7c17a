"""Catalog files: what LibreOffice, Excel-style CSVs, XlsxWriter and xlwt wrote is read right; files that are no
table, damaged, protected or too big are refused with a message saying what to do; an export reads back unchanged."""

from __future__ import annotations

import codecs
import io
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
import xlsxwriter

from openkassa.catalog import spreadsheets
from openkassa.catalog.columns import COLUMNS, CellError, HeaderError, format_row, match_headers, parse_row
from openkassa.catalog.spreadsheets import (
    MAX_BYTES,
    SpreadsheetError,
    detect_format,
    read_rows,
    write_csv,
    write_template,
    write_xls,
    write_xlsx,
)
from openkassa.fiscal.enums import ItemType, Unit, VatRate
from openkassa.i18n import language

FILES = Path(__file__).parent / "files"
HEADERS = [column.ru for column in COLUMNS]


@pytest.fixture(autouse=True)
def russian():
    with language("ru"):
        yield


def imported(path: Path, filename: str | None = None) -> tuple[list[int], dict[int, dict], list[CellError]]:
    """What an import sees in a file: the row numbers, each product row's values, and the bad cells."""
    rows = list(read_rows(path, filename or path.name))
    header = match_headers(rows[0][1])
    products, errors = {}, []
    for number, cells in rows[1:]:
        values, row_errors = parse_row(number, cells, header)
        products[number] = values
        errors += row_errors
    return [number for number, _ in rows], products, errors


def refusal(path: Path, filename: str | None = None) -> str:
    with pytest.raises(SpreadsheetError) as refused:
        read_rows(path, filename or path.name)
    return refused.value.message


# --- files written by spreadsheet programs ----------------------------------------------------


@pytest.mark.parametrize("name", ["libreoffice.xlsx", "libreoffice.xls", "libreoffice_windows1251.csv",
                                  "libreoffice_utf8.csv", "excel_utf8_bom.csv"])
def test_a_libreoffice_price_list_is_read_with_the_row_numbers_the_user_sees(name):
    # given LibreOffice's price list: header in row 2, empty rows 6, 9 and 10, a formula, a merged group
    # when it is imported
    numbers, products, errors = imported(FILES / name)
    # then the empty rows are skipped and every other row keeps its number from the spreadsheet
    assert numbers == [2, 3, 4, 5, 7, 8, 11]
    assert errors == []
    # and Cyrillic names, decimal-comma prices and barcodes are read as written
    assert products[3] == {
        "name": "Молоко «Простоквашино» 2,5% 930 мл", "price": 8990, "min_price": None, "barcodes": ["4607100000013"],
        "vat": VatRate.VAT_10, "unit": Unit.PIECE, "group": ("Молочные продукты", "Молоко"), "by_weight": False}
    # and the formula's calculated value is imported, and a barcode typed as a number keeps its digits
    assert products[4]["min_price"] == 9995 and products[4]["barcodes"] == ["4607100000020"]
    assert products[4]["by_weight"] is True and products[4]["unit"] is Unit.KILOGRAM
    # and a price typed as text "59,90" is read like the numbers
    assert products[5]["price"] == 5990 and products[5]["by_weight"] is None
    # and a group merged over two rows belongs to the first row only
    assert products[7]["group"] == ("Хлеб",) and products[8]["group"] is None
    assert products[11]["barcodes"] == ["4607100000051", "4607100000068"]
    assert products[11]["vat"] is VatRate.NO_VAT


@pytest.mark.parametrize("name", ["xlsxwriter.xlsx", "xlwt.xls"])
def test_a_file_written_by_a_program_with_numbers_as_numbers_is_read_as_text_where_text_is_meant(name):
    # given a file from XlsxWriter or xlwt where codes and barcodes are numbers, VAT a share and flags booleans
    numbers, products, errors = imported(FILES / name)
    # then codes and barcodes come back as their digits, and each cell in its meaning
    assert numbers == [1, 2, 3, 4] and errors == []
    assert products[2] == {
        "name": "Печенье «Юбилейное» 112 г", "code": "1001", "barcodes": ["4607100000013"], "price": 5490,
        "cost_price": 3294, "vat": VatRate.VAT_20, "unit": Unit.PIECE, "kind": ItemType.GOODS, "by_weight": False,
        "archived": False}
    assert products[3]["kind"] is ItemType.GOODS and products[3]["by_weight"] is True
    assert products[4] == {
        "name": "Доставка", "code": "D-1", "barcodes": None, "price": 30000, "cost_price": None, "vat": VatRate.NO_VAT,
        "unit": Unit.PIECE, "kind": ItemType.SERVICE, "by_weight": False, "archived": True}


def test_a_file_with_english_headers_is_read():
    numbers, products, errors = imported(FILES / "english_headers.xlsx")
    assert errors == []
    assert products[2] == {"name": "Чай «Беседа» 100 пакетиков", "price": 14900, "barcodes": ["4607100000013"],
                           "vat": VatRate.VAT_20, "unit": Unit.PIECE, "by_weight": False}
    assert products[3]["unit"] is Unit.KILOGRAM and products[3]["by_weight"] is True


def test_unknown_columns_of_a_file_are_ignored_and_named():
    rows = list(read_rows(FILES / "unknown_column.xlsx", "поставщик.xlsx"))
    header = match_headers(rows[0][1])
    assert header.ignored == ["Поставщик", "Остаток"]
    assert parse_row(2, rows[1][1], header) == ({"name": "Сок яблочный 1 л", "price": 11990}, [])


def test_a_file_without_the_name_column_is_refused_naming_the_column():
    rows = read_rows(FILES / "missing_name.xlsx", "missing_name.xlsx")
    with pytest.raises(HeaderError) as refused:
        match_headers(next(rows)[1])
    assert "«Наименование»" in refused.value.errors[0]


def test_bad_cells_in_a_csv_are_named_by_row_and_column(tmp_path):
    # given a CSV with a negative price, a price in words, and an unknown VAT rate
    path = tmp_path / "prices.csv"
    path.write_text("Наименование;Цена;НДС\nСыр;-199,90;НДС 20%\n\nХлеб;сорок;НДС 30%\n", encoding="utf-8")
    # when it is imported
    _, products, errors = imported(path)
    # then each bad cell is named by the row the user sees and the column's header
    assert errors == [
        CellError(2, "Цена", "Сумма не может быть отрицательной: «-199,90»."),
        CellError(4, "Цена", "Нужна сумма в рублях, например 199,90, а не «сорок»."),
        CellError(4, "НДС", errors[2].message),
    ]
    assert errors[2].message.startswith("Неизвестная ставка НДС «НДС 30%»")


# --- files that are not a catalog -------------------------------------------------------------


def test_a_truncated_xlsx_is_refused_as_damaged():
    assert refusal(FILES / "corrupt.xlsx", "Прайс.xlsx") == (
        "Файл «Прайс.xlsx» повреждён или обрезан: откройте его в Excel или LibreOffice, сохраните заново и "
        "загрузите новый файл.")


def test_a_program_renamed_to_xlsx_is_refused():
    assert refusal(FILES / "program.xlsx", "Прайс.xlsx") == (
        "Файл «Прайс.xlsx» не похож на таблицу Excel или CSV: это программа (.exe). Сохраните каталог в формате "
        ".xlsx, .xls или .csv и загрузите снова.")


def test_a_word_document_renamed_to_xlsx_is_refused():
    assert "это документ Word" in refusal(FILES / "document.xlsx")


def test_a_password_protected_xlsx_is_refused_with_what_to_do():
    assert refusal(FILES / "password.xlsx") == (
        "Файл «password.xlsx» защищён паролем: снимите пароль в Excel, сохраните файл и загрузите снова.")


def test_a_formula_without_a_calculated_value_is_refused_naming_its_row_and_column():
    # given an .xlsx whose formula in E2 was never calculated (as openpyxl writes them)
    # then the import refuses it rather than read the cell as empty
    assert refusal(FILES / "formula_without_value.xlsx") == (
        "Строка 2, столбец E: у формулы нет вычисленного значения. Откройте файл в Excel или LibreOffice, "
        "сохраните его и загрузите снова.")


def test_a_file_over_100_megabytes_is_refused_before_it_is_read(tmp_path):
    # given a file one byte over the limit (sparse: nothing is written to disk)
    path = tmp_path / "huge.csv"
    with path.open("wb") as file:
        file.truncate(MAX_BYTES + 1)
    # then it is refused by its size, with what to do
    assert refusal(path) == ("Файл «huge.csv» занимает 100 МБ, а загрузить можно не больше 100 МБ: разделите "
                             "каталог на несколько файлов.")


def test_an_empty_file_is_refused(tmp_path):
    path = tmp_path / "empty.xlsx"
    path.write_bytes(b"")
    assert refusal(path) == "Файл «empty.xlsx» пуст."


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_a_sheet_with_no_filled_row_is_refused_as_having_no_header(tmp_path, kind):
    path = tmp_path / f"blank.{kind}"
    if kind == "xlsx":
        workbook = xlsxwriter.Workbook(path)
        workbook.add_worksheet().write_string(3, 2, "   ")
        workbook.close()
    else:
        path.write_text(";;\n\n  ;\n", encoding="utf-8")
    assert refusal(path).startswith(f"В файле «blank.{kind}» нет ни одной строки: впишите заголовки столбцов")


@pytest.mark.parametrize(("head", "reason"), [
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "это документ PDF"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "это картинка"),
    (b"\xff\xd8\xff\xe0\x00\x10JFIF", "это картинка"),
    (b"PK\x03\x04\x14\x00\x00\x00\x08\x00photos/cat.jpg", "это zip-архив"),
    (b"PK\x03\x04\x14\x00mimetypeapplication/vnd.oasis.opendocument.spreadsheet", "это таблица OpenDocument (.ods)"),
    (b"Rar!\x1a\x07\x00", "это архив"),
    (b"<html xmlns:o='urn:schemas-microsoft-com:office:office'><table>", "это веб-страница (HTML)"),
    (b'<?xml version="1.0"?>\n<?mso-application progid="Excel.Sheet"?>\n<Workbook '
     b'xmlns="urn:schemas-microsoft-com:office:spreadsheet">', "это таблица Excel 2003 в формате XML"),
    (bytes(range(256)) * 4, "в нём не таблица и не текст"),
])
def test_files_that_are_not_tables_are_refused_saying_what_they_are(head, reason):
    with pytest.raises(SpreadsheetError) as refused:
        detect_format(head, "каталог.xls")
    assert refused.value.message.startswith(f"Файл «каталог.xls» не похож на таблицу Excel или CSV: {reason}")


@pytest.mark.parametrize(("name", "kind"), [
    ("libreoffice.xlsx", "xlsx"), ("libreoffice.xls", "xls"), ("xlwt.xls", "xls"),
    ("excel_utf8_bom.csv", "csv"), ("libreoffice_windows1251.csv", "csv"),
])
def test_the_format_is_told_by_the_content_not_the_name(name, kind):
    assert detect_format((FILES / name).read_bytes()[: spreadsheets.HEAD_BYTES], "price.txt") == kind


def test_an_xls_saved_under_an_xlsx_name_is_read(tmp_path):
    path = tmp_path / "renamed.xlsx"
    path.write_bytes((FILES / "libreoffice.xls").read_bytes())
    assert imported(path)[0] == [2, 3, 4, 5, 7, 8, 11]


# --- CSV: encodings and separators -----------------------------------------------------------


def test_a_unicode_text_file_from_excel_is_read(tmp_path):
    # given Excel's "Unicode text": UTF-16 with a BOM, tab-separated
    path = tmp_path / "unicode.txt"
    path.write_bytes(codecs.BOM_UTF16_LE + "Наименование\tЦена\r\nСыр\t199,90\r\n".encode("utf-16-le"))
    _, products, errors = imported(path)
    assert products == {2: {"name": "Сыр", "price": 19990}} and errors == []


def test_a_csv_in_windows_1251_with_only_latin_letters_at_its_start_is_still_decoded(tmp_path):
    # given a Windows-1251 CSV whose first Cyrillic letter comes after the first megabyte
    path = tmp_path / "late.csv"
    filler = "".join(f"Item {n} {'x' * 1000};{n}\n" for n in range(1100))
    path.write_bytes(("Name;Price\n" + filler + "Сыр;10\n").encode("cp1251"))
    # then the Cyrillic name is read right
    rows = list(read_rows(path, "late.csv"))
    assert rows[-1] == (1102, ["Сыр", "10"])


def test_a_csv_that_changes_encoding_half_way_is_refused_naming_the_row(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_bytes("Наименование;Цена\nСыр;10\n".encode() + "Хлеб;5\n".encode("cp1251"))
    with pytest.raises(SpreadsheetError) as refused:
        list(read_rows(path, "mixed.csv"))
    assert refused.value.message == ("Строка 3 файла «mixed.csv» записана в другой кодировке, чем строки выше: "
                                     "сохраните файл заново как «CSV UTF-8».")


def test_a_csv_with_an_unclosed_quote_is_refused_naming_the_row(tmp_path):
    # given a quote opened in row 3 and never closed, so the rest of the file runs into one cell
    path = tmp_path / "quotes.csv"
    path.write_text("Наименование;Цена\nСыр;10\n\"Хлеб;5\n" + "Батон;3\n" * 20_000, encoding="utf-8")
    with pytest.raises(SpreadsheetError) as refused:
        list(read_rows(path, "quotes.csv"))
    assert refused.value.message == "Строку 3 файла «quotes.csv» не удалось прочитать: проверьте в ней кавычки."


@pytest.mark.parametrize(("text", "cells"), [
    ("Наименование;Цена\nСыр;199,90\n", ["Сыр", "199,90"]),
    ("Наименование,Цена\nСыр,\"199,90\"\n", ["Сыр", "199,90"]),
    ("Наименование\tЦена\nСыр\t199.90\n", ["Сыр", "199.90"]),
    ("\n\n\"Наименование, полное\";Цена\n\"Сыр; плавленый\";10\n", ["Сыр; плавленый", "10"]),
])
def test_the_csv_separator_is_found_from_the_header_line(tmp_path, text, cells):
    path = tmp_path / "p.csv"
    path.write_text(text, encoding="utf-8")
    rows = list(read_rows(path, "p.csv"))
    assert rows[-1][1] == cells


# --- export and back ------------------------------------------------------------------------------


def catalog() -> list[dict]:
    """Products that use every VAT rate, unit and kind, and the values that trip spreadsheets."""
    products = [
        {"name": "=СУММ(A1:A2) не формула", "short_name": "Сыр", "article": "007", "code": "0012",
         "barcodes": ["4607100000013", "ABC-1"], "price": 19990, "min_price": 0, "cost_price": 10**12,
         "vat": VatRate.VAT_22_122, "unit": Unit.SQUARE_METRE, "kind": ItemType.MARKED_WITH_CODE,
         "group": ("Молочные продукты", "Сыры"), "by_weight": True, "free_price": False, "archived": None},
        {"name": "Пакет", "short_name": None, "article": None, "code": None, "barcodes": None, "price": 1,
         "min_price": None, "cost_price": None, "vat": None, "unit": None, "kind": None, "group": None,
         "by_weight": None, "free_price": None, "archived": True},
    ]
    for n in range(31):
        products.append({
            "name": f"Товар «{n}»; с запятой, и \"кавычками\"", "short_name": None, "article": f"A-{n}",
            "code": str(1000 + n), "barcodes": [str(4600000000000 + n)], "price": n * 1001, "min_price": n,
            "cost_price": None, "vat": list(VatRate)[n % len(VatRate)], "unit": list(Unit)[n % len(Unit)],
            "kind": list(ItemType)[n % len(ItemType)], "group": ("Группа", str(n)), "by_weight": n % 2 == 0,
            "free_price": n % 3 == 0, "archived": False})
    return products


@pytest.mark.parametrize(("write", "suffix"), [(write_xlsx, "xlsx"), (write_xls, "xls"), (write_csv, "csv")])
def test_an_exported_catalog_imports_back_unchanged(tmp_path, write, suffix):
    # given a catalog exported to a file
    products = catalog()
    path = tmp_path / f"export.{suffix}"
    with path.open("wb") as out:
        write(out, [HEADERS, *(format_row(product) for product in products)])
    # when the file is imported
    numbers, imported_products, errors = imported(path)
    # then every product comes back with the same values, in the same order
    assert errors == []
    assert numbers == list(range(1, len(products) + 2))
    assert list(imported_products.values()) == products


def test_a_csv_export_opens_in_russian_excel(tmp_path):
    out = io.BytesIO()
    write_csv(out, [HEADERS, format_row({"name": "Сыр", "price": 19990, "barcodes": ["4607100000013"]})])
    data = out.getvalue()
    # then it starts with the BOM Excel needs to see UTF-8, and uses ";" and a decimal comma
    assert data.startswith(codecs.BOM_UTF8)
    assert data.decode("utf-8-sig").splitlines()[1] == "Сыр;;;;4607100000013;199,90;;;;;;;;;"


def test_prices_in_an_xlsx_export_are_numbers_and_codes_are_text(tmp_path):
    out = io.BytesIO()
    write_xlsx(out, [HEADERS, format_row({"name": "Сыр", "code": "0012", "price": 19990, "barcodes": ["4607100000013"]})])
    path = tmp_path / "export.xlsx"
    path.write_bytes(out.getvalue())
    cells = list(read_rows(path, "export.xlsx"))[1][1]
    assert cells[:6] == ["Сыр", "", "", "0012", "4607100000013", 199.9]


def test_more_products_than_an_xls_sheet_holds_are_refused_with_what_to_use():
    rows = (HEADERS if number == 0 else ["Товар"] for number in range(65_537))
    with pytest.raises(SpreadsheetError) as refused:
        write_xls(io.BytesIO(), rows)
    assert refused.value.message == ("Больше 65535 товаров не помещается в файл .xls: выгрузите каталог в .xlsx "
                                     "или .csv.")


def test_more_products_than_an_xlsx_sheet_holds_are_refused(monkeypatch):
    # given an .xlsx sheet that holds the header and two products (a million takes minutes to write)
    monkeypatch.setattr(spreadsheets, "XLSX_MAX_ROWS", 3)
    with pytest.raises(SpreadsheetError) as refused:
        write_xlsx(io.BytesIO(), [HEADERS, ["Товар"], ["Товар"], ["Товар"]])
    assert refused.value.message == "Больше 2 товаров не помещается на лист .xlsx: выгрузите каталог в .csv."


def test_the_template_has_the_headers_an_example_and_drop_down_lists(tmp_path):
    # given the template a user downloads
    path = tmp_path / "template.xlsx"
    with path.open("wb") as out:
        write_template(out)
    # then its first row holds the Russian headers, and its example product imports without errors
    rows = list(read_rows(path, "template.xlsx"))
    assert rows[0] == (1, HEADERS)
    values, errors = parse_row(2, rows[1][1], match_headers(rows[0][1]))
    assert errors == [] and values["name"] == "Молоко 3,2% 1 л" and values["vat"] is VatRate.VAT_10
    # and VAT, unit, kind and the yes/no columns offer drop-down lists, and the header row stays in view
    with zipfile.ZipFile(path) as xlsx:
        sheet = xlsx.read("xl/worksheets/sheet1.xml").decode()
    assert sheet.count('<dataValidation type="list"') == 6
    assert "'Списки'!$A$1:$A$12" in sheet and "'Списки'!$B$1:$B$24" in sheet and "'Списки'!$C$1:$C$31" in sheet
    assert '"да,нет"' in sheet
    assert 'state="frozen"' in sheet


def test_a_money_cell_of_the_export_is_decimal_roubles():
    assert format_row({"name": "Сыр", "price": 5})[5] == Decimal("0.05")
