"""Catalog files in the back office: a file uploaded, checked by the worker, previewed and applied or
cancelled; exports that import back unchanged; the template; the price list; who may do what."""

from __future__ import annotations

import re
import uuid
from html import unescape
from pathlib import Path
from urllib.parse import unquote

import pytest
from sqlalchemy import func, select, update

from openkassa.catalog import imports, spreadsheets
from openkassa.catalog.columns import COLUMNS
from openkassa.catalog.models import CatalogImport, ImportRow
from openkassa.errors import Invalid
from openkassa.jobs.models import OutboxJob
from openkassa.jobs.service import run_due
from support import create_owner, sign_in

FILES = Path(__file__).parent / "files"
HEADER = "Наименование;Код;Штрихкоды;Цена;Группа"
WITH_A_BAD_ROW = (
    HEADER,
    "Сметана 20%;S-1;4600000000039;120,50;Молочные",
    "Творог 9%;S-2;;abc;Молочные",
    "Ряженка;S-3;;75;",
)


def csv_file(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def text(html: str) -> str:
    """A page's words without the markup, as a person reads them."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path, monkeypatch):
    """Uploads kept in a folder of each test's own."""
    monkeypatch.setattr(settings, "data_dir", tmp_path)


@pytest.fixture
def shop(new_point) -> dict:
    return new_point("Магазин у дома")


@pytest.fixture
def upload(owner, shop):
    """Send a file through the upload form as the owner; returns the answer."""

    def send(content: bytes, name: str = "товары.csv", browser=None):
        browser = browser or owner
        return browser.submit(f"/products/import?point={shop['id']}", files={"file": (name, content, "application/octet-stream")})

    return send


@pytest.fixture
def checked(db, settings, owner, upload):
    """Upload a file and let the worker check it; returns the import page's address."""

    def run(content: bytes, name: str = "товары.csv") -> str:
        answer = upload(content, name)
        assert answer.status_code == 303, answer.text
        run_due(db, settings)
        return answer.headers["location"]

    return run


@pytest.fixture
def staged_files(settings):
    """The files kept in the upload folder."""
    return lambda: sorted(path.name for path in (settings.data_dir / "imports").glob("*"))


def product_names(browser, shop) -> list[str]:
    page = browser.get("/products", params={"point": shop["id"]}).text
    return [unescape(name) for name in re.findall(r'<a href="/products/[0-9a-f-]{36}\?point=[^"]+">([^<]*)</a>', page)]


def flashed(browser, answer) -> str:
    assert answer.status_code == 303, answer.text
    return text(browser.get(answer.headers["location"]).text)


def test_the_products_page_links_to_import_export_and_the_price_list(owner, shop):
    page = owner.get("/products", params={"point": shop["id"]}).text
    for link in ("/products/import?", "/products/export.xlsx?", "/products/export.xls?", "/products/export.csv?",
                 "/products/price-list?", "/products/template.xlsx"):
        assert link in page


def test_the_upload_page_says_what_a_file_may_hold(owner, shop):
    page = owner.get("/products/import", params={"point": shop["id"]}).text
    # a file input for the three formats, the template, every column by its Russian header, and the limit
    assert 'type="file" name="file" accept=".xlsx,.xls,.csv"' in page
    assert 'href="/products/template.xlsx"' in page
    assert all(f">{column.ru}" in page for column in COLUMNS)
    assert "up to 100 MB" in text(page)


def test_an_upload_is_checked_by_the_worker_then_previewed(db, settings, owner, shop, upload, staged_files):
    # given the owner uploads a file with one bad row
    answer = upload(csv_file(*WITH_A_BAD_ROW))
    assert answer.status_code == 303
    page_url = answer.headers["location"]
    assert re.fullmatch(rf"/products/imports/[0-9a-f-]{{36}}\?point={shop['id']}", page_url)
    # then, until the worker runs, the page shows the check under way and asks for news every second
    waiting = owner.get(page_url).text
    assert "Checking the file" in waiting and 'hx-trigger="every 1s"' in waiting
    assert len(staged_files()) == 1

    # when the worker checks it
    run_due(db, settings)

    # then the status (as HTMX polls it) is the preview, and the polling stops
    status = owner.get(page_url, headers={"HX-Request": "true"}).text
    assert "<html" not in status and "hx-trigger" not in status
    words = text(status)
    assert "New products 2" in words and "Changed products 0" in words and "Unchanged 0" in words and "Rows with errors 1" in words
    # and the bad row is listed by its row number, its column and the reason
    assert re.search(r"<td[^>]*>3</td><td>Цена</td><td>Expected an amount in roubles[^<]*abc", status)
    # and nothing of the uploaded file is kept once it is checked
    assert staged_files() == []
    # and the estimate of the rows for the progress bar was right
    with db.transaction() as session:
        assert session.scalars(select(CatalogImport.rows_expected)).one() == 3


def test_the_progress_bar_shows_the_rows_checked_of_those_expected(db, owner, upload):
    page_url = upload(csv_file(*WITH_A_BAD_ROW)).headers["location"]
    # given the worker halfway through a file it expects 40,000 rows of
    with db.transaction() as session:
        session.execute(update(CatalogImport).values(rows_total=12_000, rows_expected=40_000))

    status = owner.get(page_url, headers={"HX-Request": "true"}).text

    assert '<progress max="40000" value="12000"' in status and 'hx-trigger="every 1s"' in status
    assert "Rows checked: 12,000 of about 40,000." in text(status)


def test_the_preview_lists_the_first_problems_and_counts_the_rest(monkeypatch, owner, checked):
    monkeypatch.setattr(imports, "PROBLEMS_SHOWN", 2)
    bad_rows = [f"Товар {number};T-{number};;не цена" for number in range(5)]

    page = owner.get(checked(csv_file("Наименование;Код;Штрихкоды;Цена", *bad_rows))).text

    assert re.findall(r'<td class="num">(\d+)</td><td>Цена</td>', page) == ["2", "3"]
    assert "Rows with errors not shown here: 3." in text(page)


def test_applying_is_refused_with_errors_unless_they_are_skipped(owner, shop, checked):
    page_url = checked(csv_file(*WITH_A_BAD_ROW))
    apply_url = page_url.replace("?", "/apply?")
    preview = owner.get(page_url).text
    # the Apply button waits for the box to be ticked
    assert re.search(r'<button[^>]*id="apply-import"[^>]*disabled', preview)
    assert "Skip the rows with errors" in preview

    # when the owner applies anyway, then nothing is written and the page says why
    refused = owner.submit(apply_url)
    assert refused.headers["location"] == page_url
    assert "1 rows have errors" in flashed(owner, refused)
    assert product_names(owner, shop) == []

    # when they tick "skip the rows with errors" and apply
    done = owner.submit(apply_url, {"skip_invalid": "on"})
    # then they are back at the products, told what was done, and the good rows are products now
    assert done.headers["location"] == f"/products?point={shop['id']}"
    words = flashed(owner, done)
    assert "«товары.csv» is imported: 2 products added, 0 changed." in words and "Rows with errors skipped: 1." in words
    assert product_names(owner, shop) == ["Ряженка", "Сметана 20%"]
    # and the import's page says it is done, with nothing left to apply
    page = owner.get(page_url).text
    assert "This file is imported" in page and "apply-import" not in page


def test_a_large_file_is_applied_by_the_worker_while_its_page_says_so(db, settings, owner, shop, checked, monkeypatch):
    # given a checked file counted as large (the threshold lowered to its size)
    monkeypatch.setattr(imports, "APPLY_IN_BACKGROUND", 3)
    page_url = checked(csv_file(*WITH_A_BAD_ROW))
    # when the owner applies it skipping the bad row, then they stay on its page, which says it is being applied
    answer = owner.submit(page_url.replace("?", "/apply?"), {"skip_invalid": "on"})
    assert answer.headers["location"] == page_url
    page = text(owner.get(page_url).text)
    assert "Applying the file…" in page and "apply-import" not in page
    assert product_names(owner, shop) == []
    # and it cannot be cancelled halfway
    assert "being applied" in flashed(owner, owner.submit(page_url.replace("?", "/cancel?")))
    # and when the worker has applied it, the page (which it polls) says what was done
    run_due(db, settings)
    assert "This file is imported: 2 products added, 0 changed." in text(owner.get(page_url).text)
    assert product_names(owner, shop) == ["Ряженка", "Сметана 20%"]


def test_a_large_file_the_worker_cannot_apply_is_ready_again_with_the_reason(db, settings, owner, shop, checked,
                                                                             monkeypatch):
    # given a large checked file, and a catalog that changes under it so that applying is refused
    monkeypatch.setattr(imports, "APPLY_IN_BACKGROUND", 3)
    page_url = checked(csv_file(*WITH_A_BAD_ROW))
    owner.submit(page_url.replace("?", "/apply?"), {"skip_invalid": "on"})

    def refused(*_arguments, **_options):
        raise Invalid("Товар с кодом S-1 уже есть.")

    monkeypatch.setattr(imports, "apply", refused)
    # when the worker tries, then the preview is back with the reason, and nothing was written
    run_due(db, settings)
    page = text(owner.get(page_url).text)
    assert "Товар с кодом S-1 уже есть." in page and "Apply" in page
    assert product_names(owner, shop) == []


def test_cancelling_forgets_the_file_and_changes_nothing(owner, shop, checked):
    page_url = checked(csv_file(*WITH_A_BAD_ROW))

    answer = owner.submit(page_url.replace("?", "/cancel?"))

    assert "The import of «товары.csv» is cancelled" in flashed(owner, answer)
    assert owner.get(page_url).status_code == 404
    assert product_names(owner, shop) == []


def test_cancelling_while_the_file_is_checked_stops_the_check(db, settings, owner, shop, upload, staged_files):
    page_url = upload(csv_file(*WITH_A_BAD_ROW)).headers["location"]

    owner.submit(page_url.replace("?", "/cancel?"))
    run_due(db, settings)

    assert owner.get(page_url).status_code == 404
    assert staged_files() == [] and product_names(owner, shop) == []
    with db.transaction() as session:
        assert session.scalars(select(OutboxJob.status).where(OutboxJob.kind == "catalog_import_check")).one() == "done"


def test_a_check_cut_short_starts_over(db, settings, owner, upload):
    # given a worker that stopped after staging a row (the job runs again when its lease runs out)
    page_url = upload(csv_file(*WITH_A_BAD_ROW)).headers["location"]
    with db.transaction() as session:
        job = session.scalars(select(CatalogImport)).one()
        session.add(ImportRow(import_id=job.id, row=2, new_product_id=uuid.uuid4(), name="Сметана 20%"))
        job.rows_total = 1

    run_due(db, settings)

    assert "New products 2 Changed products 0 Unchanged 0 Rows with errors 1" in text(owner.get(page_url).text)


@pytest.mark.parametrize("step", ["_write", "_classify"])  # staging a batch, and matching the rows
def test_a_failure_of_ours_while_checking_fails_the_import_with_a_message(db, settings, owner, upload, monkeypatch,
                                                                         staged_files, caplog, step):
    def broken(*_arguments):
        raise RuntimeError("a bug")

    monkeypatch.setattr(imports, step, broken)
    page_url = upload(csv_file(*WITH_A_BAD_ROW)).headers["location"]

    run_due(db, settings)

    page = text(owner.get(page_url).text)
    assert "The file cannot be imported" in page and "Something went wrong on our side" in page
    assert staged_files() == [] and "a bug" in caplog.text
    with db.transaction() as session:  # shown to the person, not retried
        assert session.scalars(select(OutboxJob.status).where(OutboxJob.kind == "catalog_import_check")).one() == "done"


def test_a_renamed_program_fails_with_the_reason(owner, shop, checked, staged_files):
    page_url = checked((FILES / "program.xlsx").read_bytes(), name="каталог.xlsx")

    page = text(owner.get(page_url).text)

    assert "The file cannot be imported" in page and "it is a program (.exe)" in page
    assert "The catalog is unchanged." in page and "Try another file" in page
    assert staged_files() == []


@pytest.mark.parametrize("size", [10_000, 1_001], ids=["told-by-its-length", "found-while-reading"])
def test_an_upload_over_the_limit_is_refused_and_nothing_is_kept(db, monkeypatch, upload, staged_files, size):
    # given a limit of 1000 bytes: a form within FORM_OVERHEAD of it is refused only as the file streams in
    monkeypatch.setattr(spreadsheets, "MAX_BYTES", 1_000)

    answer = upload(b"x" * size)

    assert answer.status_code == 413
    assert "The file is larger than" in text(answer.text) and 'type="file"' in answer.text
    assert staged_files() == []
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(CatalogImport)) == 0
        assert session.scalar(select(func.count()).select_from(OutboxJob).where(OutboxJob.kind != "email")) == 0


def test_an_upload_without_the_pages_token_is_refused_before_it_is_stored(db, owner, shop, staged_files):
    answer = owner.post(f"/products/import?point={shop['id']}", data={"csrf_token": "forged"},
                        files={"file": ("товары.csv", csv_file(*WITH_A_BAD_ROW), "text/csv")})

    assert answer.status_code == 403
    assert staged_files() == []


def test_an_upload_without_a_file_asks_for_one(owner, shop):
    answer = owner.submit(f"/products/import?point={shop['id']}", files={"file": ("", b"", "application/octet-stream")})

    assert answer.status_code == 422 and "Choose a file to upload." in answer.text


@pytest.fixture
def stocked(shop, owner, checked):
    """The shop with products that use every column: groups, barcodes, prices, VAT, archived."""
    rows = [
        "Наименование;Краткое наименование;Артикул;Код;Штрихкоды;Цена;Минимальная цена;Закупочная цена;НДС;"
        "Единица измерения;Признак предмета расчёта;Группа;Весовой;Свободная цена;В архиве",
        "Молоко 3,2% 1 л;Молоко;MLK-1;101;4600000000022;89,90;85;64,20;10%;шт;товар;Молочные/Молоко;нет;нет;нет",
        "Сыр «Российский»;Сыр;;102;4600000000039, 4600000000046;899;;;20%;кг;товар;Молочные;да;нет;нет",
        "Доставка;;;103;;300;;;без НДС;шт;услуга;;нет;да;нет",
        "Старый товар;;;104;;10;;;20%;шт;товар;;нет;нет;да",
    ]
    owner.submit(checked(csv_file(*rows)).replace("?", "/apply?"))
    assert len(product_names(owner, shop)) == 3  # the archived one is not on sale
    return shop


@pytest.mark.parametrize("file_format", ["xlsx", "xls", "csv"])
def test_an_export_imports_back_unchanged(db, owner, stocked, checked, file_format):
    # when the owner exports the catalog
    answer = owner.get(f"/products/export.{file_format}", params={"point": stocked["id"]})
    # then a file comes with a Russian name of the point
    assert answer.status_code == 200
    disposition = answer.headers["content-disposition"]
    assert disposition.startswith("attachment;") and "filename*=UTF-8''" in disposition
    assert unquote(disposition.split("''")[1]).startswith("Products Магазин у дома ")
    assert int(answer.headers["content-length"]) == len(answer.content)

    # and importing it back finds every product unchanged
    page = text(owner.get(checked(answer.content, name=f"export.{file_format}")).text)
    assert "New products 0 Changed products 0 Unchanged 4 Rows with errors 0" in page
    assert "The catalog already has everything this file holds." in page
    # and its progress bar knew the number of rows beforehand (an .xls is not estimated)
    with db.transaction() as session:
        expected = session.scalars(select(CatalogImport.rows_expected).order_by(CatalogImport.created_at.desc())).first()
    assert expected == {"xlsx": 4, "csv": 4, "xls": 0}[file_format]


def test_an_xls_export_of_more_products_than_it_holds_suggests_another_format(owner, stocked, monkeypatch):
    monkeypatch.setattr(spreadsheets, "XLS_MAX_ROWS", 3)  # the header and two products

    answer = owner.get("/products/export.xls", params={"point": stocked["id"]})

    assert "More than 2 products do not fit in an .xls file: export to .xlsx or .csv." in flashed(owner, answer)


def test_an_unknown_export_format_is_not_found(owner, shop):
    assert owner.get("/products/export.pdf", params={"point": shop["id"]}).status_code == 404


def test_the_template_downloads_as_a_valid_xlsx(owner, tmp_path):
    answer = owner.get("/products/template.xlsx")

    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    path = tmp_path / "template.xlsx"
    path.write_bytes(answer.content)
    (_number, header), (_number, example) = list(spreadsheets.read_rows(path, path.name))
    assert header == [column.ru for column in COLUMNS] and example[0] == "Молоко 3,2% 1 л"


def test_the_price_list_shows_products_on_sale_by_group_ready_to_print(owner, stocked):
    page = owner.get("/products/price-list", params={"point": stocked["id"]}).text

    words = text(page)
    # groups by their path, products with barcodes and prices; nothing archived
    assert re.search(r"Молочные Name Barcode Price Сыр «Российский» 4600000000039, 4600000000046 ₽899.00", words)
    assert "Молочные / Молоко Name Barcode Price Молоко 3,2% 1 л 4600000000022 ₽89.90" in words
    assert "Without a group Name Barcode Price Доставка ₽300.00" in words
    assert "Старый товар" not in words
    assert 'onclick="window.print()"' in page


def test_the_price_list_of_one_group(owner, stocked):
    # given the price list's choice of groups
    page = owner.get("/products/price-list", params={"point": stocked["id"]}).text
    dairy = re.search(r'<option value="([0-9a-f-]{36})"\s*>Молочные</option>', page).group(1)

    words = text(owner.get("/products/price-list", params={"point": stocked["id"], "group": dairy}).text)

    # the group with its subgroup, and nothing else
    assert "Сыр «Российский»" in words and "Молоко 3,2%" in words and "Доставка" not in words


def test_an_accountant_can_export_but_not_import(accountant, shop, upload, checked, staged_files):
    point = {"point": shop["id"]}
    page_url = checked(csv_file(*WITH_A_BAD_ROW))
    # the accountant sees the export, not the import
    products = accountant.get("/products", params=point).text
    assert "/products/export.csv?" in products and "/products/import?" not in products
    assert accountant.get("/products/export.csv", params=point).status_code == 200
    # and cannot open the upload form, upload, apply or cancel
    assert accountant.get("/products/import", params=point).status_code == 403
    assert upload(csv_file(*WITH_A_BAD_ROW), browser=accountant).status_code == 403
    assert accountant.submit(page_url.replace("?", "/apply?"), {"skip_invalid": "on"}).status_code == 403
    assert accountant.submit(page_url.replace("?", "/cancel?")).status_code == 403
    # but sees the preview, without the buttons
    preview = accountant.get(page_url).text
    assert "Rows with errors" in preview and "apply-import" not in preview
    assert staged_files() == []


def test_another_accounts_import_is_not_found(db, new_browser, checked):
    page_url = checked(csv_file(*WITH_A_BAD_ROW))
    import_path = page_url.split("?")[0]
    create_owner(db, email="other@shop.ru")
    stranger = sign_in(new_browser(), "other@shop.ru")

    assert stranger.get(import_path).status_code == 404
    assert stranger.submit(f"{import_path}/apply", {"skip_invalid": "on"}).status_code == 404
    assert stranger.submit(f"{import_path}/cancel").status_code == 404
    assert stranger.get(f"/products/imports/{uuid.uuid4()}").status_code == 404


def test_the_import_pages_speak_russian(new_browser, shop, checked):
    page_url = checked(csv_file(*WITH_A_BAD_ROW))
    russian = sign_in(new_browser("ru"), "owner@shop.ru")

    preview = text(russian.get(page_url).text)
    upload_page = text(russian.get("/products/import", params={"point": shop["id"]}).text)

    for words in ("Новые товары 2", "Строки с ошибками 1", "Пропустить строки с ошибками", "Применить", "Отменить"):
        assert words in preview
    assert "Загрузить и проверить" in upload_page and "Скачать шаблон" in upload_page
