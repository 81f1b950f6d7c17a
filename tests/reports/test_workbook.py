"""The report's workbook writes its rows' XML itself into XlsxWriter's constant-memory sheets: whatever a
cell holds, openpyxl reads back exactly the value written."""

from __future__ import annotations

from datetime import date, datetime

import openpyxl
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl.utils.escape import unescape

from openkassa.reports.workbook import Column, Workbook, roubles

COLUMNS = [Column("Текст"), Column("Номер", "number"), Column("Деньги", "money"), Column("Количество", "quantity"),
           Column("Момент", "moment"), Column("День", "date"), Column("Штук", "count")]


def write_and_read(tmp_path, rows: list[list[object]]) -> list[tuple]:
    path = tmp_path / "book.xlsx"
    book = Workbook(path, tmpdir=tmp_path)
    sheet = book.sheet("Лист", COLUMNS)
    for row in rows:
        sheet.add(row)
    sheet.finish()
    book.close()
    read = openpyxl.load_workbook(path)["Лист"]
    assert read.freeze_panes == "A2"
    assert read.auto_filter.ref == f"A1:G{len(rows) + 1}"
    assert [cell.value for cell in read[1]] == [column.title for column in COLUMNS]
    return list(read.iter_rows(min_row=2, values_only=True))


def test_every_kind_of_cell_reads_back(tmp_path):
    rows = [
        ["Молоко", 1, 8990, 1500, datetime(2026, 11, 27, 9, 5, 7), date(2026, 11, 27), 3],
        [" <b>Tom & \"Jerry\"</b> ", 2**40, -12345, -250, datetime(2000, 1, 1), date(2099, 12, 31), 0],
        ["=1+1", None, 0, 1, None, None, None],
        ["_x0041_ and \x01 and \t", 0, 5, 0, datetime(2026, 3, 1, 23, 59, 59), date(2026, 2, 28), -7],
        ["", None, None, None, None, None, None],
        ["последняя", 5, None, None, None, None, None],
    ]
    found = write_and_read(tmp_path, rows)
    assert found[0] == ("Молоко", 1, 89.9, 1.5, datetime(2026, 11, 27, 9, 5, 7), datetime(2026, 11, 27), 3)
    assert found[1] == (" <b>Tom & \"Jerry\"</b> ", 2**40, -123.45, -0.25, datetime(2000, 1, 1), datetime(2099, 12, 31), 0)
    assert found[2] == ("=1+1", None, 0, 0.001, None, None, None)  # text, never a formula
    # a character XML cannot hold is written as Excel writes it (_x0001_), which Excel reads back (openpyxl
    # leaves it to `unescape`), and a literal "_x0041_" has its underscore escaped so it stays as it is
    assert (unescape(found[3][0]), *found[3][1:]) == (
        "_x0041_ and \x01 and \t", 0, 0.05, 0, datetime(2026, 3, 1, 23, 59, 59), datetime(2026, 2, 28), -7)
    assert found[4] == (None,) * 7  # an empty row
    assert found[5] == ("последняя", 5, None, None, None, None, None)


def test_an_empty_sheet_keeps_its_header_and_filter(tmp_path):
    assert write_and_read(tmp_path, []) == []


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=-(2**47), max_value=2**47))
def test_money_is_written_exactly_in_roubles(kopecks):
    sign = "-" if kopecks < 0 else ""
    assert roubles(kopecks) == f"{sign}{abs(kopecks) // 100}.{abs(kopecks) % 100:02d}"
    assert round(float(roubles(kopecks)) * 100) == kopecks


@settings(max_examples=30, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40))
def test_any_text_reads_back_as_written(tmp_path_factory, text):
    folder = tmp_path_factory.mktemp("text")
    [found] = write_and_read(folder, [[text, 1, None, None, None, None, None]])
    assert (unescape(found[0]) if found[0] else None) == (text if text else None)
