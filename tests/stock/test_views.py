"""The stock pages as a shop owner uses them: a plan without the warehouse says what it gives; stock
accounting is switched on for a point; an inventory count is filled by typing barcodes (a wrong one
named under the entry), posted, and read back; the balances flag what is below zero or below the
minimum; the movements show the running balance and lead to their document; a posted document is
cancelled; suppliers have their INN checked. Every refusal shows on the page, never as an error page."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from html import unescape
from html.parser import HTMLParser
from io import BytesIO
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from sqlalchemy import func, select

from openkassa.stock.models import Movement, StockDocument, Supplier
from support import create_owner, sign_in

HTMX = {"HX-Request": "true"}
MILK, BREAD, SALT = "4600000000015", "4600000000022", "4600000000039"


class _Tables(HTMLParser):
    """The rows of the tables of a page (or a fragment) as lists of cell texts (an input's value; not what only
    screen readers read), by the table's id."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._in_head = False
        self._hidden: list[str] = []  # the elements for screen readers only being read

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if self._hidden or "sr-only" in (attrs.get("class") or "").split():
            self._hidden.append(tag)
            return
        if tag == "table":
            self._table = attrs.get("id") or f"table-{len(self.tables)}"
            self.tables[self._table] = []
        elif tag == "thead":
            self._in_head = True
        elif tag == "tr" and self._table and not self._in_head:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "input" and self._cell is not None and attrs.get("type") not in ("hidden", "checkbox"):
            self._cell.append(" " + (attrs.get("value") or ""))
        elif self._cell is not None:
            self._cell.append(" ")

    def handle_endtag(self, tag):
        if self._hidden:
            if tag == self._hidden[-1]:
                self._hidden.pop()
            return
        if tag == "thead":
            self._in_head = False
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None and not self._hidden:
            self._cell.append(data)


def table(html: str, table_id: str) -> list[list[str]]:
    parser = _Tables()
    parser.feed(html)
    assert table_id in parser.tables, f"no table #{table_id} on the page"
    return parser.tables[table_id]


def text_of(html: str, element_id: str) -> str:
    """The text of the element with this id (no nested element of its own tag)."""
    found = re.search(rf'<(\w+)[^>]*\bid="{element_id}"[^>]*>(.*?)</\1>', html, re.S)
    assert found, f"no #{element_id}"
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", found.group(2))).split())


def followed(browser, response) -> str:
    """The page a redirect leads to (where the flash message shows)."""
    assert response.status_code == 303, response.text
    return browser.get(response.headers["location"]).text


@pytest.fixture
def shop(owner, api, point):
    """The owner's point with three goods of known cost and barcodes; returns the point with `products` by name."""
    products = {}
    for name, price, cost, barcode in (("Молоко 3,2%", "89.90", "55.00", MILK), ("Хлеб", "45.00", "20.00", BREAD),
                                       ("Соль", "25.00", "10.00", SALT)):
        response = api.post(f"/api/v1/catalogs/{point['catalog_id']}/products",
                            json={"name": name, "price": price, "cost_price": cost, "barcodes": [barcode]})
        assert response.status_code == 201, response.text
        products[name] = response.json()["id"]
    return {**point, "products": products}


def switch_on(owner, point) -> str:
    """Switch the point's stock accounting on with a new warehouse; returns the warehouse's id."""
    page = followed(owner, owner.submit(f"/stock/points/{point['id']}/enable", {"warehouse_id": "new"}))
    return re.search(r'/stock/documents/new\?kind=count&amp;warehouse=([0-9a-f-]{36})', page).group(1)


def new_document(owner, kind: str, warehouse: str, **fields) -> str:
    """Make a draft through the header form; returns its address."""
    response = owner.submit("/stock/documents/new", {"kind": kind, "warehouse_id": warehouse, "dated_at": "",
                                                     "comment": "", **fields})
    assert response.status_code == 303, response.text
    return response.headers["location"]


def scan(owner, document: str, barcode: str) -> str:
    """Type a barcode into the entry and press Enter (the script posts it as HTMX does)."""
    response = owner.submit(f"{document}/lines", {"barcode": barcode}, headers=HTMX)
    assert response.status_code == 200, response.text
    return response.text


def test_a_starter_plan_sees_what_the_warehouse_gives_instead_of_the_pages(db, new_browser):
    # given an owner on the Starter plan
    create_owner(db, email="small@shop.ru", plan="start")
    browser = sign_in(new_browser(), "small@shop.ru")
    # when she opens «Stock» from the sidebar
    home = browser.get("/stock/documents")
    assert '<a href="/stock/documents" class="active">Stock</a>' in home.text
    # then she reads what the warehouse gives and which plans have it, with a way to the plans
    for url in ("/stock/documents", "/stock/balances", "/stock/movements", "/stock/suppliers", "/stock/warehouses"):
        page = browser.get(url)
        assert page.status_code == 200
        assert "Your plan does not include the warehouse" in page.text
        assert "It comes with the plans «Standard» and «Extended»." in page.text
        assert 'href="/plan"' in page.text
    # and in Russian it says so too
    browser.cookies.set("ok_lang", "ru")
    assert "Склад не входит в ваш тариф" in browser.get("/stock/documents").text


def test_switching_stock_on_for_a_point_proposes_an_inventory_count(owner, shop):
    # given a point whose stock accounting is off
    page = owner.get("/stock/warehouses").text
    [row] = table(page, "points-stock")
    assert row[:3] == ["Магазин на Ленина", "off", "—"] and "A new warehouse «Магазин на Ленина» Switch on" in row[3]
    # when the owner switches it on with a new warehouse
    page = followed(owner, owner.submit(f"/stock/points/{shop['id']}/enable", {"warehouse_id": "new"}))
    # then its sales move the goods of a warehouse named after it, and the first step is offered
    assert "Stock accounting is on for «Магазин на Ленина»" in page
    assert table(page, "points-stock")[0][:3] == ["Магазин на Ленина", "on", "Магазин на Ленина"]
    assert "First step: count what is on the shelves" in page
    warehouse = re.search(r'href="/stock/documents/new\?kind=count&amp;warehouse=([0-9a-f-]{36})">Create an inventory count', page)
    assert warehouse
    # and the link opens a count of that warehouse
    form = owner.get(f"/stock/documents/new?kind=count&warehouse={warehouse.group(1)}").text
    assert "New document: Inventory count" in form
    assert f'<option value="{warehouse.group(1)}" selected>' in form
    # when she switches it off, then the point is off again and the warehouse stays
    page = followed(owner, owner.submit(f"/stock/points/{shop['id']}/disable"))
    assert "Stock accounting is off for «Магазин на Ленина»" in page
    assert table(page, "points-stock")[0][1] == "off"
    assert table(page, "warehouses-list")[0][:2] == ["Магазин на Ленина", "none: a central store"]


def test_a_count_is_filled_by_typing_barcodes_and_posted(db, owner, shop):
    warehouse = switch_on(owner, shop)
    # given a new inventory count of the point's warehouse
    document = new_document(owner, "count", warehouse)
    page = owner.get(document).text
    assert "<h1>Inventory count No. 1</h1>" in page
    assert 'id="scan-barcode"' in page and "autofocus" in page
    # when the barcode of milk is typed three times and bread once, each with Enter
    for code in (MILK, MILK, BREAD, MILK):
        fragment = scan(owner, document, code)
    # then each scan adds one, and the entry says what was added last
    assert table(fragment, "lines-table") == [["1", "Молоко 3,2%", "3", "Save"], ["2", "Хлеб", "1", "Save"]]
    assert text_of(fragment, "scan-status") == "Added: «Молоко 3,2%», now 3."
    assert text_of(fragment, "scan-error") == ""

    # when a barcode no product has is typed
    fragment = scan(owner, document, "1234567")
    # then the entry says so, and the lines are as they were
    assert text_of(fragment, "scan-error") == "No product has the barcode 1234567."
    assert [row[2] for row in table(fragment, "lines-table")] == ["3", "1"]

    # when bread's count is corrected to 2 in its row, and milk's to something that is no number
    fragment = owner.submit(f"{document}/lines/1", {"quantity": "2"}, headers=HTMX).text
    assert [row[2] for row in table(fragment, "lines-table")] == ["3", "2"]
    fragment = owner.submit(f"{document}/lines/0", {"quantity": "много"}, headers=HTMX).text
    # then the row keeps what was typed and says what is wrong
    assert table(fragment, "lines-table")[0][1:3] == [
        "Молоко 3,2% Enter a quantity such as 2 or 1,5 (at most three digits after the comma).", "много"]

    # when the count is posted
    page = followed(owner, owner.submit(f"{document}/post"))
    # then it is posted and shows the book, the counted, the difference and its value at the cost price
    assert "The document «Inventory count No. 1» is posted." in page
    assert 'data-status>Posted</span>' in page
    assert table(page, "lines-table") == [
        ["1", "Молоко 3,2%", "0", "3", "+3", "+₽165.00"],
        ["2", "Хлеб", "0", "2", "+2", "+₽40.00"],
        ["", "Total", "", "", "", "+₽205.00"],
    ]
    assert 'id="scan-barcode"' not in page  # nothing more to scan into
    # and the list shows it, in Russian as «Инвентаризация № 1», «Проведён»
    owner.cookies.set("ok_lang", "ru")
    listed = table(owner.get("/stock/documents").text, "documents-table")
    assert [row[0] for row in listed] == ["Инвентаризация № 1"]
    assert listed[0][2:6] == ["Магазин на Ленина", "2", "+205,00 ₽", "Проведён"]
    assert listed[0][6] == "Owner"


def test_refusals_show_on_the_page_and_change_nothing(db, owner, shop):
    warehouse = switch_on(owner, shop)
    # when a write-off is asked for without its reason
    response = owner.submit("/stock/documents/new", {"kind": "write_off", "warehouse_id": warehouse, "reason": ""})
    # then the form says so next to the field, and no document is made
    assert response.status_code == 422
    assert re.search(r'<p class="error">Choose why the goods are written off.</p>', response.text)
    # when an empty draft is posted
    document = new_document(owner, "receipt", warehouse)
    response = owner.submit(f"{document}/post")
    # then the document says what to do, and stays a draft
    assert response.status_code == 422
    assert "Add at least one product before posting." in text_of(response.text, "document-errors")
    assert 'data-status>Draft</span>' in response.text
    # when a receipt's line gets a price that is no amount
    scan(owner, document, SALT)
    fragment = owner.submit(f"{document}/lines/0", {"quantity": "10", "price": "дёшево"}, headers=HTMX).text
    assert "Enter an amount in roubles, for example 199,90." in fragment
    # and then a right one: the sum is counted
    fragment = owner.submit(f"{document}/lines/0", {"quantity": "10", "price": "12,50"}, headers=HTMX).text
    assert table(fragment, "lines-table") == [["1", "Соль", "10", "12.50", "₽125.00", "Save"],
                                              ["", "Total", "", "", "₽125.00", ""]]
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(StockDocument)) == 1
        assert session.scalar(select(func.count()).select_from(Movement)) == 0
    # when the draft is deleted, then it is gone
    page = followed(owner, owner.submit(f"{document}/delete"))
    assert "The draft «Goods receipt No. 1» is deleted." in page
    assert owner.get(document).status_code == 404


def _count(owner, warehouse: str, *codes: str) -> str:
    document = new_document(owner, "count", warehouse)
    for code in codes:
        scan(owner, document, code)
    followed(owner, owner.submit(f"{document}/post"))
    return document


def test_the_balances_show_the_quantities_and_flag_a_negative_one(owner, shop):
    warehouse = switch_on(owner, shop)
    # given 3 packs of milk and 1 bread counted, then 2 bread written off (one more than there is)
    _count(owner, warehouse, MILK, MILK, MILK, BREAD)
    write_off = new_document(owner, "write_off", warehouse, reason="spoilage")
    scan(owner, write_off, BREAD)
    owner.submit(f"{write_off}/lines/0", {"quantity": "2"}, headers=HTMX)
    followed(owner, owner.submit(f"{write_off}/post"))

    # when the owner opens the balances
    page = owner.get("/stock/balances").text
    rows = {row[0]: row[2:5] for row in table(page, "balances-list")}
    # then every product of the catalog shows its quantity, unit cost and value; bread is flagged below zero
    assert rows == {"Молоко 3,2%": ["3", "₽55.00", "₽165.00"], "Соль": ["0", "₽0.00", "₽0.00"],
                    "Хлеб below zero": ["-1", "₽20.00", "₽-20.00"]}
    assert re.search(r'<tr data-product="[0-9a-f-]{36}" class="stock-negative">\s*<td>Хлеб', page)

    # when a minimum of 5 is set for milk in its row
    fragment = owner.submit("/stock/balances/minimum", {"warehouse": warehouse, "product": shop["products"]["Молоко 3,2%"],
                                                        "minimum": "5", "q": "", "only": "all"}, headers=HTMX).text
    # then milk is flagged below the minimum
    milk = next(row for row in table(fragment, "balances-list") if row[0].startswith("Молоко"))
    assert milk[0] == "Молоко 3,2% below the minimum" and milk[5] == "5 Save"
    # and a minimum that is no number is named in its row
    fragment = owner.submit("/stock/balances/minimum", {"warehouse": warehouse, "product": shop["products"]["Соль"],
                                                        "minimum": "-1", "q": "", "only": "all"}, headers=HTMX).text
    assert "Enter a quantity such as 2 or 1,5" in fragment

    # when only the products below zero are asked, and then those found by «мол»
    assert [row[0] for row in table(owner.get("/stock/balances?only=negative").text, "balances-list")] == ["Хлеб below zero"]
    found = owner.get("/stock/balances?q=мол", headers={**HTMX, "HX-Target": "balances-table"}).text
    assert [row[0] for row in table(found, "balances-list")] == ["Молоко 3,2% below the minimum"]

    # when the balances below the minimum are downloaded
    response = owner.get("/stock/balances.xlsx?only=low")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(BytesIO(response.content)).active
    assert [cell.value for cell in sheet[1]] == ["Product", "Code", "Quantity", "Unit cost", "Value at cost", "Minimum", "Flag"]
    assert [cell.value for cell in sheet[2]] == ["Молоко 3,2%", None, 3, 55, 165, 5, "below the minimum"]


def test_a_warehouse_serving_two_points_shows_the_balances_of_the_catalog_chosen(owner, api, shop, new_point):
    warehouse = switch_on(owner, shop)
    # given a warehouse serving one point: its balances offer no choice of catalog
    assert 'id="f-catalog"' not in owner.get(f"/stock/balances?warehouse={warehouse}").text
    # given a second point, with a catalog of its own, selling from the same warehouse
    pavilion = new_point(name="Павильон у рынка")
    followed(owner, owner.submit(f"/stock/points/{pavilion['id']}/enable", {"warehouse_id": warehouse}))
    response = api.post(f"/api/v1/catalogs/{pavilion['catalog_id']}/products",
                        json={"name": "Квас", "price": "60.00", "barcodes": ["4600000000046"]})
    assert response.status_code == 201, response.text
    # when the owner opens the warehouse's balances
    page = owner.get(f"/stock/balances?warehouse={warehouse}").text
    # then they show the first point's catalog, and offer the catalogs by the names of their points
    assert [row[0] for row in table(page, "balances-list")] == ["Молоко 3,2%", "Соль", "Хлеб"]
    assert re.findall(r'<option value="[0-9a-f-]{36}" ?(?:selected)?>([^<]+)</option>',
                      page[page.index('id="f-catalog"'):].split("</select>")[0]) == ["Магазин на Ленина", "Павильон у рынка"]
    # when she chooses the pavilion's catalog
    page = owner.get(f"/stock/balances?warehouse={warehouse}&catalog={pavilion['catalog_id']}").text
    # then its product shows, and the download keeps the choice
    assert [row[0] for row in table(page, "balances-list")] == ["Квас"]
    export = f"/stock/balances.xlsx?warehouse={warehouse}&catalog={pavilion['catalog_id']}"
    assert f'href="{export.replace("&", "&amp;")}"' in page
    sheet = openpyxl.load_workbook(BytesIO(owner.get(export).content)).active
    assert [row[0].value for row in sheet.iter_rows(min_row=2)] == ["Квас"]


def test_a_typed_date_is_the_local_time_of_the_documents_warehouse(db, owner, shop, new_point):
    switch_on(owner, shop)  # the account's first point, in Moscow
    # given a point in Vladivostok (UTC+10) selling from a warehouse of its own
    east = new_point(name="Точка во Владивостоке", timezone="Asia/Vladivostok")
    warehouse = switch_on(owner, east)
    # when a new document of its warehouse is opened, then the date offered is now in Vladivostok
    form = owner.get(f"/stock/documents/new?kind=receipt&warehouse={warehouse}").text
    offered = datetime.fromisoformat(re.search(r'name="dated_at" type="datetime-local" value="([^"]+)"', form).group(1))
    now = datetime.now(ZoneInfo("Asia/Vladivostok")).replace(tzinfo=None)
    assert abs(offered - now) < timedelta(minutes=2)
    # when a receipt of goods is typed as dated 20 November 2026, 9:00
    document = new_document(owner, "receipt", warehouse, dated_at="2026-11-20T09:00")
    # then it is dated 23:00 UTC the day before, and shown as 9:00 on its page and in the list
    with db.transaction() as session:
        assert session.scalars(select(StockDocument.dated_at)).one() == datetime(2026, 11, 19, 23, 0, tzinfo=UTC)
    assert "<dt>Date</dt><dd>11/20/2026 9:00 AM</dd>" in owner.get(document).text
    assert table(owner.get("/stock/documents").text, "documents-table")[0][1] == "11/20/2026 9:00 AM"


def test_a_scan_answers_with_its_line_alone(owner, shop):
    warehouse = switch_on(owner, shop)
    # given a count whose table shows milk and bread
    document = new_document(owner, "count", warehouse)
    scan(owner, document, MILK)
    scan(owner, document, BREAD)
    # when salt is scanned twice, as the script sends a scan to a page that shows the table
    for _ in range(2):
        answer = owner.submit(f"{document}/lines", {"barcode": SALT}, headers={**HTMX, "HX-Target": "lines-table"})
        assert answer.status_code == 200
    # then the answer is salt's row alone, with the quantities summed; the count of lines and the entry's
    # message come with it
    assert table(f'<table id="answer">{answer.text}</table>', "answer") == [["3", "Соль", "2", "Save"]]
    assert "Молоко" not in answer.text and "Хлеб" not in answer.text
    assert text_of(answer.text, "lines-count") == "(3)"
    assert text_of(answer.text, "scan-status") == "Added: «Соль», now 2."
    # when a code no product has is scanned, then only the entry's messages come back
    answer = owner.submit(f"{document}/lines", {"barcode": "1234567"}, headers={**HTMX, "HX-Target": "lines-table"})
    assert "<tr" not in answer.text
    assert text_of(answer.text, "scan-error") == "No product has the barcode 1234567."
    # and the page shows every line
    assert [row[1:3] for row in table(owner.get(document).text, "lines-table")] == [
        ["Молоко 3,2%", "1"], ["Хлеб", "1"], ["Соль", "2"]]


def test_the_movements_show_the_running_balance_and_lead_to_the_document(owner, shop):
    warehouse = switch_on(owner, shop)
    # given milk counted (3), then one written off
    count = _count(owner, warehouse, MILK, MILK, MILK)
    write_off = new_document(owner, "write_off", warehouse, reason="loss")
    scan(owner, write_off, MILK)
    followed(owner, owner.submit(f"{write_off}/post"))
    # when the owner opens this month's movements
    page = owner.get("/stock/movements").text
    rows = table(page, "movements-table")
    # then each says what moved and the balance it left, and names its document
    assert [row[1:8] for row in rows] == [
        ["Магазин на Ленина", "Молоко 3,2%", "Surplus", "+3", "3", "+₽165.00", "Inventory count No. 1"],
        ["Магазин на Ленина", "Молоко 3,2%", "Written off", "−1", "2", "−₽55.00", "Write-off No. 1"],
    ]
    assert f'<a href="{count}">Inventory count No. 1</a>' in page
    assert f'<a href="{write_off}">Write-off No. 1</a>' in page
    # when only write-offs are asked, then only that one shows
    assert len(table(owner.get("/stock/movements?kind=write_off").text, "movements-table")) == 1
    # when a period ends before it starts, then the filter says so and nothing is listed
    response = owner.get("/stock/movements?start=2026-11-20&end=2026-11-01")
    assert response.status_code == 422
    assert text_of(response.text, "e-end") == "The period ends before it starts."
    assert 'id="movements-table"' not in response.text


def _posted(owner, kind: str, warehouse: str, code: str, quantity: str, price: str | None = None, **fields) -> str:
    """A document of one line typed into a draft, posted."""
    document = new_document(owner, kind, warehouse, **fields)
    scan(owner, document, code)
    owner.submit(f"{document}/lines/0", {"quantity": quantity, **({"price": price} if price else {})}, headers=HTMX)
    followed(owner, owner.submit(f"{document}/post"))
    return document


def test_a_revaluation_shows_the_value_it_moved_and_no_quantity(owner, shop):
    warehouse = switch_on(owner, shop)
    # given one salt received at 200.00 ₽ and eleven written off: ten short, carried at 200.00 ₽
    _posted(owner, "receipt", warehouse, SALT, "1", "200")
    _posted(owner, "write_off", warehouse, SALT, "11", reason="loss")
    # when eleven more come in at 100.00 ₽
    _posted(owner, "receipt", warehouse, SALT, "11", "100")
    # then the movements show the ten sold short re-costed at that price: a revaluation beside the receipt,
    # its value signed and no quantity
    rows = table(owner.get("/stock/movements").text, "movements-table")
    assert [row[3:8] for row in rows][-2:] == [["Goods received", "+11", "1", "+₽1,100.00", "Goods receipt No. 2"],
                                               ["Revaluation", "—", "1", "+₽1,000.00", "Goods receipt No. 2"]]
    # and it may be asked for alone
    rows = table(owner.get("/stock/movements?kind=revaluation").text, "movements-table")
    assert [row[3] for row in rows] == ["Revaluation"]


def test_a_posted_document_is_cancelled_and_the_stock_is_as_before(db, owner, shop):
    warehouse = switch_on(owner, shop)
    count = _count(owner, warehouse, SALT, SALT)
    # when the owner cancels the posted count (the page asks first)
    page = owner.get(count).text
    assert re.search(r'data-confirm="Cancel «Inventory count No. 1»\?', page)
    page = followed(owner, owner.submit(f"{count}/cancel"))
    # then it is cancelled, salt is back to zero, and the reversal is marked in the movements
    assert "The document «Inventory count No. 1» is cancelled: the stock is as it was before it." in page
    assert 'data-status>Cancelled</span>' in page
    assert "Cancel the document" not in page
    salt = next(row for row in table(owner.get("/stock/balances?q=соль").text, "balances-list"))
    assert salt[2] == "0"
    rows = table(owner.get("/stock/movements").text, "movements-table")
    assert [(row[3], row[4], row[5]) for row in rows] == [("Surplus", "+2", "2"), ("Surplus cancellation", "−2", "0")]
    # and cancelling again says so on the page
    response = owner.submit(f"{count}/cancel")
    assert response.status_code == 409
    assert "The document is cancelled already." in response.text


def test_suppliers_have_their_inn_checked(db, owner, shop):
    # when a supplier is added with an INN whose check digit is wrong
    response = owner.submit("/stock/suppliers/new", {"name": "ООО «Молочник»", "inn": "7707083894", "kpp": "",
                                                     "email": "sales@milk.ru"})
    # then the form says so next to the INN, keeps what was typed, and saves nothing
    assert response.status_code == 422
    assert re.search(r'id="f-inn" name="inn" type="text" value="7707083894"', response.text)
    assert '<p class="error" id="e-inn">The INN must have 10 or 12 digits with a correct check digit.</p>' in response.text
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Supplier)) == 0
    # when the INN is right, then the supplier is listed and found by it
    page = followed(owner, owner.submit("/stock/suppliers/new", {"name": "ООО «Молочник»", "inn": "7707083893",
                                                                  "email": "sales@milk.ru"}))
    assert "The supplier «ООО «Молочник»» is saved." in page
    found = owner.get("/stock/suppliers?q=77070", headers={**HTMX, "HX-Target": "suppliers-table"}).text
    assert [row[:2] for row in table(found, "suppliers-list")] == [["ООО «Молочник»", "7707083893"]]
    supplier = re.search(r'href="/stock/suppliers/([0-9a-f-]{36})"', found).group(1)
    # and a receipt of goods may name it
    warehouse = switch_on(owner, shop)
    receipt = new_document(owner, "receipt", warehouse, supplier_id=supplier, supplier_reference="МЛ-17")
    assert "ООО «Молочник», invoice МЛ-17" in owner.get(receipt).text
    # when it is moved to the archive, then the list no longer shows it, the archive does
    followed(owner, owner.submit(f"/stock/suppliers/{supplier}/archive", {"archived": "on"}))
    assert "No suppliers yet" in owner.get("/stock/suppliers").text
    assert "ООО «Молочник»" in owner.get("/stock/suppliers?archived=true").text


def test_another_accounts_document_is_not_found(owner, shop, stranger):
    warehouse = switch_on(owner, shop)
    document = new_document(owner, "count", warehouse)
    assert stranger.browser.get(document).status_code == 404
    assert stranger.browser.submit(f"{document}/lines", {"barcode": MILK}, headers=HTMX).status_code == 404
    assert owner.get(f"/stock/documents/{uuid.uuid4()}").status_code == 404


def test_a_count_is_filled_from_a_spreadsheet_all_rows_or_none(owner, api, shop):
    from pathlib import Path

    files = Path(__file__).parent / "files"
    response = api.post(f"/api/v1/catalogs/{shop['catalog_id']}/products", json={"name": "Сахар", "price": "70.00",
                                                                                 "code": "К-3"})
    assert response.status_code == 201, response.text
    document = new_document(owner, "count", switch_on(owner, shop))
    # when a file with bad rows is chosen on the draft
    answer = owner.submit(f"{document}/import", files={
        "file": ("пересчёт.csv", (files / "bad_count_windows1251.csv").read_bytes(), "text/csv")})
    # then the page names each bad row by the number the spreadsheet shows, and adds nothing
    assert answer.status_code == 422
    errors = text_of(answer.text, "import-errors")
    assert "4 rows of the file have mistakes; nothing was added." in errors
    assert "Row 3: no product has the barcode 4699999999999." in errors and "Row 6: no barcode or code." in errors
    assert 'id="lines-table"' not in answer.text  # still no lines
    # when the count LibreOffice saved is chosen
    page = followed(owner, owner.submit(f"{document}/import", files={
        "file": ("Инвентаризация.xlsx", (files / "libreoffice_count.xlsx").read_bytes(), "application/octet-stream")}))
    # then its rows are the lines: milk's two rows summed, bread's «3,5», sugar by its code
    assert "4 rows of «Инвентаризация.xlsx» are added." in page
    assert [row[1:3] for row in table(page, "lines-table")] == [["Молоко 3,2%", "13"], ["Хлеб", "3.5"], ["Сахар", "2"]]
