"""The columns of a catalog file: headers matched in Russian or English, cells read the way shops write them,
bad cells named by row and column, and export cells that read back to the same values."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openkassa.catalog.columns import (
    COLUMNS,
    KIND_CHOICES,
    UNIT_CHOICES,
    VAT_CHOICES,
    CellError,
    HeaderError,
    HeaderMap,
    format_row,
    match_headers,
    parse_row,
)
from openkassa.fiscal.enums import ItemType, Unit, VatRate
from openkassa.i18n import language

TEMPLATE_HEADERS = [column.ru for column in COLUMNS]


@pytest.fixture(autouse=True)
def russian():
    """The interface speaks Russian unless the user chose English."""
    with language("ru"):
        yield


def read(column: str, cell: object, row: int = 7) -> tuple[object, list[CellError]]:
    """The value of one cell under a header, as the import reads it."""
    header = match_headers(["Наименование", column])
    values, errors = parse_row(row, ["Сыр", cell], header)
    return values[header_key(header, column)] if not errors else None, errors


def header_key(header: HeaderMap, text: str) -> str:
    """The column a header of the file was matched to."""
    return next(key for key, written in header.headers.items() if written == text)


def value(column: str, cell: object) -> object:
    result, errors = read(column, cell)
    assert not errors, errors
    return result


def error(column: str, cell: object, row: int = 7) -> CellError:
    _, errors = read(column, cell, row)
    assert len(errors) == 1, errors
    return errors[0]


# --- headers -----------------------------------------------------------------------------------


def test_the_templates_russian_headers_are_all_recognised():
    # when the header row of the template is read
    header = match_headers(TEMPLATE_HEADERS)
    # then every column is found where the template puts it, and nothing is ignored
    assert header.positions == {column.key: index for index, column in enumerate(COLUMNS)}
    assert header.ignored == []


def test_english_headers_and_the_usual_variants_are_recognised():
    # given headers as other programs and people write them
    cells = ["Name", "Цена, руб.", "Штрих-код", "Ед. изм.", "НДС, %", "Признак предмета расчета", "  артикул ",
             "Sold by weight", "Категория", None, "Закупочная цена"]
    # when they are matched
    header = match_headers(cells)
    # then each lands on its column, and the header is kept as the user wrote it
    assert header.positions == {"name": 0, "price": 1, "barcodes": 2, "unit": 3, "vat": 4, "kind": 5, "article": 6,
                                "by_weight": 7, "group": 8, "cost_price": 10}
    assert header.headers["price"] == "Цена, руб."
    assert header.headers["article"] == "артикул"


def test_every_accepted_header_means_one_column_only():
    # given every spelling of every column, as the matching compares them
    spellings = [spelling for column in COLUMNS for spelling in (column.ru, column.en, *column.aliases)]
    # when each is matched alone with the name
    for column in COLUMNS:
        for spelling in (column.ru, column.en, *column.aliases):
            header = match_headers(["Наименование", spelling] if column.key != "name" else [spelling])
            # then it lands on its own column
            assert header_key(header, spelling) == column.key, spelling
    assert len(spellings) == len({spelling.lower().replace("ё", "е") for spelling in spellings})


def test_unknown_columns_are_ignored_and_listed_for_the_user():
    # when a file has columns the catalog does not know
    header = match_headers(["Наименование", "Поставщик", "Цена", "Остаток на складе"])
    # then they are listed as ignored, and the known ones still work
    assert header.ignored == ["Поставщик", "Остаток на складе"]
    assert set(header.positions) == {"name", "price"}


def test_a_file_without_the_name_column_is_refused_with_the_column_named():
    # when the header row has no name column
    with pytest.raises(HeaderError) as refused:
        match_headers(["Артикул", "Цена"])
    # then the user is told which column to add, in the words of the template
    assert refused.value.errors == [
        "В файле нет столбца «Наименование» (или «Name»): в первой заполненной строке файла должны быть "
        "заголовки столбцов, как в шаблоне."]


def test_a_column_given_twice_is_refused_with_both_headers_named():
    # when the price is given twice, once in Russian and once in English
    with pytest.raises(HeaderError) as refused:
        match_headers(["Наименование", "Цена", "Price"])
    # then the user learns which two columns clash
    assert refused.value.errors == ["Столбцы «Цена» и «Price» означают одно и то же — «Цена»: оставьте один из них."]


def test_header_messages_follow_the_users_language():
    # given an English-speaking user
    with language("en"), pytest.raises(HeaderError) as refused:
        # when the name column is missing
        match_headers(["Price"])
    # then the message is in English
    assert refused.value.errors[0].startswith("There is no «Наименование» (or «Name») column")


# --- rows --------------------------------------------------------------------------------------


def test_only_the_files_columns_are_read_and_an_empty_cell_clears_its_value():
    # given a file with a name, a price and an article column
    header = match_headers(["Наименование", "Цена", "Артикул"])
    # when a row has no article
    values, errors = parse_row(3, ["  Сыр   Российский ", "199,90", ""], header)
    # then the article is cleared (None) and the columns the file lacks are left alone (absent)
    assert values == {"name": "Сыр Российский", "price": 19990, "article": None}
    assert errors == []


def test_a_short_csv_line_reads_its_missing_cells_as_empty():
    header = match_headers(["Наименование", "Цена", "Артикул"])
    values, errors = parse_row(4, ["Сыр"], header)
    assert values == {"name": "Сыр", "price": None, "article": None}
    assert errors == []


def test_an_empty_name_is_read_as_cleared_for_the_domain_to_refuse():
    # when the name cell of row 9 is only spaces
    header = match_headers(["Наименование", "Цена"])
    values, errors = parse_row(9, ["   ", "10"], header)
    # then the cell reads as empty; that a card needs a name is the catalog's rule, not the file's
    assert values == {"name": None, "price": 1000} and errors == []


def test_all_bad_cells_of_a_row_are_reported_together_with_the_headers_as_written():
    # given a row with a bad price and an unknown VAT rate, under the file's own headers
    header = match_headers(["Название", "Розничная цена", "Ставка НДС"])
    # when it is read
    values, errors = parse_row(12, ["Сыр", "двести", "НДС 30%"], header)
    # then both cells are named by row and header, and the good cell is still read
    assert values == {"name": "Сыр"}
    assert [(e.row, e.column) for e in errors] == [(12, "Розничная цена"), (12, "Ставка НДС")]
    assert "«двести»" in errors[0].message and "«НДС 30%»" in errors[1].message


# --- money -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("cell", "kopecks"), [
    ("199,90", 19990), ("199.90", 19990), ("199,9", 19990), ("1234", 123400), ("0", 0),
    ("1 234,50", 123450), ("1 234.5", 123450), ("1\u00a0234,50", 123450), ("₽ 15", 1500), ("15 руб.", 1500),
    ("15р", 1500), ("1,234.50", 123450), ("1.234,50", 123450), (" 7,05 ", 705),
    (199.9, 19990), (0.1 + 0.2, 30), (4607.1, 460710), (12, 1200), (12.0, 1200), (10_000_000_000, 10**12),
])
def test_prices_are_read_as_shops_write_them(cell, kopecks):
    assert value("Цена", cell) == kopecks


@pytest.mark.parametrize(("cell", "message"), [
    ("-5", "Сумма не может быть отрицательной: «-5»."),
    (-5.5, "Сумма не может быть отрицательной: «-5.5»."),
    ("19,999", "В сумме не больше двух знаков копеек: «19,999»."),
    (0.005, "В сумме не больше двух знаков копеек: «0.005»."),
    ("двести", "Нужна сумма в рублях, например 199,90, а не «двести»."),
    ("12 шт", "Нужна сумма в рублях, например 199,90, а не «12 шт»."),
    (True, "Нужна сумма в рублях, например 199,90, а не «True»."),
    (datetime(2026, 3, 12), "Нужна сумма в рублях, например 199,90, а не «2026-03-12 00:00:00»."),
    ("10000000000,01", "Сумма «10000000000,01» слишком велика: не больше 10 000 000 000 рублей."),
    ("9" * 40, f"Сумма «{'9' * 40}» слишком велика: не больше 10 000 000 000 рублей."),
])
def test_a_bad_price_is_refused_naming_the_row_the_column_and_the_value(cell, message):
    assert error("Цена", cell, row=15) == CellError(15, "Цена", message)


# --- choices -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("cell", "rate"), [
    ("20%", VatRate.VAT_20), ("20", VatRate.VAT_20), ("0.2", VatRate.VAT_20), ("0,2", VatRate.VAT_20),
    ("НДС 20%", VatRate.VAT_20), ("ндс 20 %", VatRate.VAT_20), ("vat20", VatRate.VAT_20), (20, VatRate.VAT_20),
    (0.2, VatRate.VAT_20), ("10%", VatRate.VAT_10), (0.1, VatRate.VAT_10), ("0%", VatRate.VAT_0), (0, VatRate.VAT_0),
    ("20/120", VatRate.VAT_20_120), ("НДС 20/120", VatRate.VAT_20_120), ("vat120", VatRate.VAT_20_120),
    ("10/110", VatRate.VAT_10_110), ("без НДС", VatRate.NO_VAT), ("без ндс", VatRate.NO_VAT),
    ("БЕЗ НДС", VatRate.NO_VAT), ("не облагается", VatRate.NO_VAT), ("none", VatRate.NO_VAT),
    ("5%", VatRate.VAT_5), ("7%", VatRate.VAT_7), ("5/105", VatRate.VAT_5_105), ("7/107", VatRate.VAT_7_107),
    ("22%", VatRate.VAT_22), ("НДС 22%", VatRate.VAT_22), ("22/122", VatRate.VAT_22_122), ("vat122", VatRate.VAT_22_122),
])
def test_vat_rates_are_read_in_every_usual_spelling(cell, rate):
    assert value("НДС", cell) is rate


def test_every_vat_label_of_the_template_reads_back_as_its_rate():
    assert [value("НДС", label) for label in VAT_CHOICES] == list(VatRate)


@pytest.mark.parametrize("cell", ["НДС 30%", "18%", "1", "vat", "0.5"])
def test_an_unknown_vat_rate_is_refused_with_the_rates_to_choose_from(cell):
    refused = error("НДС", cell)
    assert refused.row == 7 and refused.column == "НДС"
    assert refused.message.startswith(f"Неизвестная ставка НДС «{cell}»: выберите одну из этих: НДС 20%, НДС 10%")
    assert "НДС 22/122" in refused.message


@pytest.mark.parametrize(("cell", "unit"), [
    ("шт", Unit.PIECE), ("шт.", Unit.PIECE), ("Штука", Unit.PIECE), ("pcs", Unit.PIECE), ("кг", Unit.KILOGRAM),
    ("кг.", Unit.KILOGRAM), ("г", Unit.GRAM), ("гр.", Unit.GRAM), ("л", Unit.LITRE), ("мл", Unit.MILLILITRE),
    ("м", Unit.METRE), ("м2", Unit.SQUARE_METRE), ("кв.м", Unit.SQUARE_METRE), ("м³", Unit.CUBIC_METRE),
    ("кВт·ч", Unit.KILOWATT_HOUR), (0, Unit.PIECE), ("11", Unit.KILOGRAM), (11.0, Unit.KILOGRAM), ("255", Unit.OTHER),
])
def test_units_are_read_by_name_or_by_their_code(cell, unit):
    assert value("Единица измерения", cell) is unit


def test_every_unit_label_of_the_template_reads_back_as_its_unit():
    assert [value("Единица измерения", label) for label in UNIT_CHOICES] == list(Unit)


def test_an_unknown_unit_is_refused_naming_the_value():
    assert error("Ед. изм.", "упаковка") == CellError(7, "Ед. изм.", (
        "Неизвестная единица измерения «упаковка»: напишите шт, кг, г, л, мл, м или другую единицу из списка в шаблоне."))


@pytest.mark.parametrize(("cell", "kind"), [
    ("Товар", ItemType.GOODS), ("товар", ItemType.GOODS), ("УСЛУГА", ItemType.SERVICE), (1, ItemType.GOODS),
    ("33", ItemType.MARKED_WITH_CODE), ("Товар с кодом маркировки", ItemType.MARKED_WITH_CODE),
    ("платеж", ItemType.PAYMENT), ("goods", ItemType.GOODS),
])
def test_kinds_are_read_by_label_in_any_case_or_by_their_code(cell, kind):
    assert value("Признак предмета расчёта", cell) is kind


def test_every_kind_label_of_the_template_reads_back_as_its_kind():
    assert [value("Признак предмета расчёта", label) for label in KIND_CHOICES] == list(ItemType)


def test_an_unknown_kind_is_refused_naming_the_value():
    assert error("Kind", "Подарок").message.startswith("Неизвестный признак предмета расчёта «Подарок»")


@pytest.mark.parametrize("cell", ["да", "Да", "yes", "YES", "1", "true", "+", "x", "X", "истина", True, 1, 1.0])
def test_yes_is_read_in_its_usual_spellings(cell):
    assert value("Весовой", cell) is True


@pytest.mark.parametrize("cell", ["нет", "НЕТ", "no", "0", "false", "-", "ложь", False, 0, 0.0])
def test_no_is_read_in_its_usual_spellings(cell):
    assert value("Весовой", cell) is False


def test_a_word_that_is_neither_yes_nor_no_is_refused():
    assert error("В архиве", "иногда") == CellError(7, "В архиве", "Напишите «да» или «нет», а не «иногда».")


# --- barcodes, groups, text -------------------------------------------------------------------


@pytest.mark.parametrize(("cell", "codes"), [
    ("4607100000013", ["4607100000013"]),
    ("4607100000013, 4607100000020", ["4607100000013", "4607100000020"]),
    ("4607100000013;4607100000020 46071000", ["4607100000013", "4607100000020", "46071000"]),
    ("0012345678905", ["0012345678905"]),
    ("ABC-123/x", ["ABC-123/x"]),
    (4607100000013.0, ["4607100000013"]),
    (4.607100000013e12, ["4607100000013"]),
    (4607100000013, ["4607100000013"]),
])
def test_barcodes_are_kept_as_written_even_when_a_spreadsheet_stored_them_as_numbers(cell, codes):
    assert value("Штрихкоды", cell) == codes


@pytest.mark.parametrize(("cell", "shown"), [
    ("4,6071E+12", "4,6071E+12"),
    ("4607100000013; 4,60710E+12", "4,60710E+12"),
    (12345678901234567.0, "1.23456789012346e+16"),
    (46071000.5, "46071000.5"),
])
def test_a_barcode_that_lost_digits_in_a_spreadsheet_is_refused(cell, shown):
    assert error("Штрихкод", cell) == CellError(7, "Штрихкод", (
        f"Штрихкод «{shown}» сохранён как число и потерял цифры: задайте столбцу текстовый формат и введите "
        "штрихкод заново."))


def test_a_group_is_a_path_of_names():
    assert value("Группа", " Молочные  продукты / Сыры ") == ("Молочные продукты", "Сыры")
    assert value("Группа", "Хлеб") == ("Хлеб",)


@pytest.mark.parametrize("cell", ["Молочные//Сыры", "/Сыры", "Сыры/", "Молочные/ /Сыры"])
def test_a_group_path_with_an_empty_part_is_refused(cell):
    assert error("Группа", cell).message == (
        f"В группе «{cell}» есть пустая часть: напишите путь так: Молочные продукты/Сыры.")


def test_text_is_tidied_and_spreadsheet_numbers_lose_their_point_zero():
    assert value("Краткое наименование", "Сыр\n Российский\t 45%") == "Сыр Российский 45%"
    assert value("Артикул", 12345.0) == "12345"
    assert value("Код", 7) == "7"
    assert value("Артикул", 12.5) == "12.5"


def test_a_text_cell_the_spreadsheet_turned_into_a_date_is_refused():
    # when Excel turned the article "3-12" into the 12th of March
    refused = error("Артикул", datetime(2026, 3, 12))
    # then the user learns why and how to keep it as text
    assert refused.column == "Артикул"
    assert refused.message == ("Таблица превратила «2026-03-12 00:00:00» в дату или время: задайте столбцу "
                               "текстовый формат и введите значение заново.")


# --- export and back -----------------------------------------------------------------------------

WORD = st.text(alphabet="абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГДЁЖЗabcXYZ0123456789%«»\"'=+-.,;:()№*#", min_size=1,
               max_size=12)
TEXT = st.lists(WORD, min_size=1, max_size=6).map(" ".join)
CODE = st.text(alphabet="0123456789ABCXYZabc-_/.", min_size=1, max_size=20)
MONEY = st.integers(min_value=0, max_value=10**12)


def optional(strategy):
    return st.none() | strategy


PRODUCTS = st.fixed_dictionaries({
    "name": TEXT,
    "short_name": optional(TEXT),
    "article": optional(TEXT),
    "code": optional(CODE),
    "barcodes": optional(st.lists(CODE, min_size=1, max_size=4)),
    "price": optional(MONEY),
    "min_price": optional(MONEY),
    "cost_price": optional(MONEY),
    "vat": optional(st.sampled_from(VatRate)),
    "unit": optional(st.sampled_from(Unit)),
    "kind": optional(st.sampled_from(ItemType)),
    "group": optional(st.lists(TEXT, min_size=1, max_size=4).map(tuple)),
    "by_weight": optional(st.booleans()),
    "free_price": optional(st.booleans()),
    "archived": optional(st.booleans()),
})


@given(PRODUCTS)
def test_an_exported_row_reads_back_as_the_same_product(product):
    # given a product exported with the template's columns
    cells = format_row(product)
    # when the row is read back as it is, as text (CSV) and as spreadsheet numbers (Excel)
    as_text = [str(cell).replace(".", ",") if isinstance(cell, Decimal) else cell for cell in cells]
    as_numbers = [float(cell) if isinstance(cell, Decimal) else cell for cell in cells]
    for row in (cells, as_text, as_numbers):
        values, errors = parse_row(2, row, match_headers(TEMPLATE_HEADERS))
        # then nothing changes
        assert errors == []
        assert values == product


def test_export_cells_are_what_a_person_reads():
    # when a product is exported
    cells = format_row({"name": "Сыр", "price": 19990, "vat": VatRate.VAT_22, "unit": Unit.KILOGRAM,
                        "kind": ItemType.GOODS, "by_weight": True, "barcodes": ["4607100000013", "ABC"],
                        "group": ("Молочные продукты", "Сыры"), "free_price": False})
    # then each cell is in the words of the template, money in roubles, and missing values empty
    assert cells == ["Сыр", None, None, None, "4607100000013, ABC", Decimal("199.90"), None, None, "НДС 22%", "кг",
                     "Товар", "Молочные продукты/Сыры", "да", "нет", None]
