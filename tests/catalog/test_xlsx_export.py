"""The .xlsx export as other programs see it: openpyxl finds the header bold, grey and kept in view, prices
as numbers with kopecks and codes as text; python-calamine (our importer's reader) reads every cell back
as written; LibreOffice shows the same cells; a catalog comes out by name, with its groups and barcodes."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook
from sqlalchemy import select

from openkassa.accounts.models import User
from openkassa.accounts.service import actor_of
from openkassa.catalog import exports, service
from openkassa.catalog.columns import COLUMNS, format_row
from openkassa.catalog.schemas import GroupIn, ProductIn
from openkassa.catalog.spreadsheets import SHEET_NAME, write_xlsx
from openkassa.fiscal.enums import ItemType, Unit, VatRate

HEADERS = [column.ru for column in COLUMNS]
CHEESE = format_row({
    "name": "Сыр «Российский» & <Ко>", "short_name": "Сыр", "article": "=1+1", "code": "0012",
    "barcodes": ["4607100000013", "4607100000020"], "price": 19990, "min_price": 0, "cost_price": 10**12,
    "vat": VatRate.VAT_20, "unit": Unit.KILOGRAM, "kind": ItemType.GOODS, "group": ("Молочные продукты", "Сыры"),
    "by_weight": True, "free_price": False, "archived": False,
})
BAG = format_row({"name": "Пакет", "price": 5, "barcodes": ["2000000000008"]})


def exported(tmp_path: Path, *products: list[object]) -> Path:
    path = tmp_path / "export.xlsx"
    with path.open("wb") as out:
        write_xlsx(out, [HEADERS, *products])
    return path


def test_openpyxl_finds_a_bold_grey_header_kept_in_view(tmp_path):
    openpyxl = pytest.importorskip("openpyxl", reason="openpyxl, a reader other than ours, is not installed")
    # when a catalog is exported and opened with openpyxl
    sheet = openpyxl.load_workbook(exported(tmp_path, CHEESE, BAG))[SHEET_NAME]
    # then the header row is the template's, bold on grey, wrapped, and stays in view when scrolling
    assert [cell.value for cell in sheet[1]] == HEADERS
    assert all(cell.font.b and cell.fill.fgColor.rgb == "FFEEEEEE" and cell.alignment.wrap_text
               and cell.alignment.vertical == "top" for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    # and the columns are as wide as the template's
    widths = {letter: round(dimension.width) for letter, dimension in sheet.column_dimensions.items()}
    assert (widths["A"], widths["E"], widths["L"], widths["F"]) == (43, 31, 33, 17)


def test_openpyxl_finds_prices_as_numbers_and_codes_and_formulas_as_text(tmp_path):
    openpyxl = pytest.importorskip("openpyxl", reason="openpyxl, a reader other than ours, is not installed")
    # when a product with a leading-zero code, an article like a formula and two barcodes is exported
    sheet = openpyxl.load_workbook(exported(tmp_path, CHEESE, BAG))[SHEET_NAME]
    cells = {HEADERS[index]: cell for index, cell in enumerate(sheet[2])}
    # then prices are numbers shown with kopecks
    price = cells["Цена"]
    assert (price.value, price.data_type, price.number_format) == (199.9, "n", "0.00")
    assert (cells["Закупочная цена"].value, sheet["F3"].value) == (10_000_000_000, 0.05)
    # and codes, barcodes and the formula-like article are text cells in text-formatted columns
    for header, text in (("Код", "0012"), ("Штрихкоды", "4607100000013, 4607100000020"), ("Артикул", "=1+1"),
                         ("Наименование", "Сыр «Российский» & <Ко>")):
        assert (cells[header].value, cells[header].data_type, cells[header].number_format) == (text, "s", "@")
    # and the choices are the template's words
    assert [cells[header].value for header in ("НДС", "Единица измерения", "Группа", "Весовой")] == [
        "НДС 20%", "кг", "Молочные продукты/Сыры", "да"]


def test_python_calamine_reads_every_cell_back_as_written(tmp_path):
    # given texts that XML or Excel would change if written naively, and more rows than one write holds
    odd = ["  spaces kept  ", 'a "quote" & <tag>', "_x0041_ is not A", "tab\there", "bell\x07", "Ёлка ‒ 1½ кг"]
    many = [format_row({"name": f"Товар {n}", "code": f"{n:05d}", "price": n}) for n in range(5_000)]
    path = exported(tmp_path, CHEESE, [*odd, *[None] * (len(HEADERS) - len(odd))], *many)
    # when python-calamine reads the file
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(SHEET_NAME).to_python()
    # then every cell is as written: text as text, money as numbers, empty cells empty
    assert rows[0] == HEADERS
    assert rows[1] == [float(cell) if isinstance(cell, Decimal) else cell for cell in CHEESE]
    assert rows[2] == [*odd, *[""] * (len(HEADERS) - len(odd))]
    assert len(rows) == 3 + len(many)
    assert rows[-1][:6] == ["Товар 4999", "", "", "04999", "", 49.99]


def test_numbers_and_yes_no_cells_keep_their_types(tmp_path):
    # given cells of every type a writer may be handed
    path = exported(tmp_path, ["Сыр", 5, 2.5, True, False, Decimal("1.50"), None, ""])
    # then a spreadsheet reads numbers as numbers and booleans as booleans
    row = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()[1]
    assert row[:8] == ["Сыр", 5.0, 2.5, True, False, 1.5, "", ""]


def test_the_export_is_written_while_the_rows_come(tmp_path):
    # given a writer fed rows one by one
    out = io.BytesIO()
    written_before_the_end = []

    def rows():
        yield HEADERS
        for n in range(20_000):
            yield format_row({"name": f"Товар {n}", "price": n, "barcodes": [f"{4600000000000 + n}"]})
        written_before_the_end.append(out.tell())

    write_xlsx(out, rows())
    # then the file grew before the last row was made: the rows never all sit in memory
    assert 0 < written_before_the_end[0] < out.tell()


@pytest.fixture
def shop_catalog(db, owner, new_point) -> tuple[object, uuid.UUID]:
    """The owner (as an actor) and the catalog of a new point with products in two nested groups."""
    catalog_id = uuid.UUID(new_point()["catalog_id"])
    with db.transaction() as session:
        actor = actor_of(session, user_id=session.scalars(select(User.id).where(User.email == "owner@shop.ru")).one())
        dairy = service.create_group(session, actor, catalog_id, GroupIn(name="Молочные"))
        cheese = service.create_group(session, actor, catalog_id, GroupIn(name="Сыры", parent_id=dairy.id))
        for name, barcodes, group in [("Сыр", ["4600000000046", "4600000000039"], cheese), ("Молоко", [], dairy),
                                      ("Батон", ["4600000000022"], None), ("Сыр", ["4600000000015"], None)]:
            service.create_product(session, actor, catalog_id, ProductIn(
                name=name, price=100, barcodes=barcodes, group_id=group.id if group else None))
    return actor, catalog_id


def test_a_catalog_exports_by_name_with_its_groups_and_barcodes(db, shop_catalog, tmp_path, monkeypatch):
    actor, catalog_id = shop_catalog
    # given products read a couple at a time, as a big catalog is read in batches
    monkeypatch.setattr(exports, "BATCH", 2)
    # when the catalog is exported
    path = tmp_path / "export.xlsx"
    with db.transaction() as session, path.open("wb") as out:
        exports.write(session, actor, catalog_id, "xlsx", out)
    # then the products come by name (twins in the order they were made), each with its group's path
    # and its own barcodes in order
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    assert [(row[0], row[4], row[11]) for row in rows[1:]] == [
        ("Батон", "4600000000022", ""),
        ("Молоко", "", "Молочные"),
        ("Сыр", "4600000000039, 4600000000046", "Молочные/Сыры"),
        ("Сыр", "4600000000015", ""),
    ]


@pytest.mark.slow
def test_libreoffice_shows_the_same_cells(tmp_path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed: apt-get install libreoffice-calc-nogui")
    path = exported(tmp_path, CHEESE, BAG)
    # when LibreOffice converts the export to CSV (UTF-8, cells as shown)
    subprocess.run([soffice, f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless",
                    "--convert-to", 'csv:Text - txt - csv (StarCalc):44,34,76', "--outdir", str(tmp_path), str(path)],
                   check=True, capture_output=True, timeout=120)
    with (tmp_path / "export.csv").open(encoding="utf-8", newline="") as text:
        rows = list(csv.reader(text))
    # then it shows the header, codes as written, prices with kopecks, and the formula-like text as text
    assert rows[0] == HEADERS
    assert rows[1] == ["Сыр «Российский» & <Ко>", "Сыр", "=1+1", "0012", "4607100000013, 4607100000020", "199.90",
                       "0.00", "10000000000.00", "НДС 20%", "кг", "Товар", "Молочные продукты/Сыры", "да", "нет", "нет"]
    assert rows[2] == ["Пакет", "", "", "", "2000000000008", "0.05", *[""] * 9]
