"""«Склад» in a real browser: stock accounting switched on for a point, an inventory count filled by
typing barcodes into the entry and pressing Enter (as a scanner does, faster than the server answers),
posted; then a register sells, and the balances and the movements show the sale. A screenshot of the
count being filled is saved for the README.

Runs Debian's chromium against the real app served by uvicorn (the `live_server` and `page` fixtures
of conftest.py); the register is the sales tests' till (`sales/conftest.py`).
"""

from __future__ import annotations

import itertools
import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from openkassa.fiscal.enums import VatRate
from openkassa.register import sale
from sales.conftest import Till, new_till  # noqa: F401 - the fixture
from support import field

pytestmark = pytest.mark.slow

SCREENSHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
MILK, BREAD = "4600000000015", "4600000000022"


@pytest.fixture
def goods(api, point) -> dict[str, dict]:
    """Milk and bread in the point's catalog, with barcodes and cost prices."""
    products = {}
    for name, price, cost, barcode in (("Молоко 3,2%", "89.90", "55.00", MILK), ("Хлеб бородинский", "45.00", "20.00", BREAD)):
        response = api.post(f"/api/v1/catalogs/{point['catalog_id']}/products",
                            json={"name": name, "price": price, "cost_price": cost, "barcodes": [barcode]})
        assert response.status_code == 201, response.text
        products[name] = response.json()
    return products


def test_a_count_by_scanner_then_a_sale_show_in_the_balances_and_movements(page, live_server, point, goods, new_till):
    from playwright.sync_api import expect

    # given the owner signed in
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto("/login")
    field(page, "E-mail").fill("owner@shop.ru")
    field(page, "Password").fill("correct horse 1")
    page.get_by_role("button", name="Sign in").click()

    # when she opens «Stock», goes to the warehouses and switches the point's stock accounting on
    page.get_by_role("link", name="Stock", exact=True).click()
    page.get_by_role("navigation", name="Stock").get_by_role("link", name="Warehouses").click()
    page.get_by_role("button", name="Switch on").click()
    expect(page.get_by_text("Stock accounting is on for «Магазин на Ленина»")).to_be_visible()

    # then the first step is offered: an inventory count of the new warehouse
    page.get_by_role("link", name="Create an inventory count").click()
    expect(page.get_by_role("heading", name="New document: Inventory count")).to_be_visible()
    page.get_by_role("button", name="Create and add products").click()
    expect(page.get_by_role("heading", name="Inventory count No. 1")).to_be_visible()

    # when she types barcodes into the focused entry as a scanner does, Enter after each, without waiting
    page.wait_for_load_state("load")  # the page's scripts have run (a plain form would post each scan)
    entry = page.get_by_label("Barcode", exact=True)
    expect(entry).to_be_focused()
    for code in (MILK, MILK, BREAD, MILK):
        page.keyboard.type(code)
        page.keyboard.press("Enter")
    # then every scan counted, in order, and the entry is empty and keeps the focus for the next one
    rows = page.locator("#lines-table tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("#qty-0")).to_have_value("3")
    expect(page.locator("#qty-1")).to_have_value("1")
    expect(page.locator("#scan-status")).to_have_text("Added: «Молоко 3,2%», now 3.")
    expect(entry).to_have_value("")
    expect(entry).to_be_focused()

    # when a code no product has is typed, then the entry says so and the lines stay
    page.keyboard.type("1234567")
    page.keyboard.press("Enter")
    expect(page.locator("#scan-error")).to_have_text("No product has the barcode 1234567.")
    expect(rows).to_have_count(2)
    expect(entry).to_be_focused()

    # when bread is corrected to 2 in its row
    page.locator("#qty-1").fill("2")
    with page.expect_response(lambda response: response.url.endswith("/lines/1")) as saved:
        page.locator("#qty-1").press("Enter")
    assert saved.value.ok
    expect(page.locator("#qty-1")).to_have_value("2")

    # (the README's picture of a count being filled, in Russian as the back office opens)
    base_url, _settings = live_server
    page.context.add_cookies([{"name": "ok_lang", "value": "ru", "url": base_url}])
    page.reload()
    page.wait_for_load_state("networkidle")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "stock.png"))
    assert (SCREENSHOTS / "stock.png").stat().st_size > 10_000
    page.context.add_cookies([{"name": "ok_lang", "value": "en", "url": base_url}])
    page.reload()

    # when she posts the count
    page.get_by_role("button", name="Post").click()
    # then it shows the book, the counted and the differences
    expect(page.get_by_text("The document «Inventory count No. 1» is posted.")).to_be_visible()
    expect(page.locator("[data-status]")).to_have_text("Posted")
    expect(page.locator("#lines-table tbody tr").first).to_contain_text("+₽165.00")

    # when the register sells one pack of milk and uploads the receipt
    till: Till = new_till()
    moments = itertools.count()
    start = datetime.now(UTC)  # after the count: a sale made before it would be taken back by it
    till.now = lambda: start + timedelta(seconds=next(moments))
    milk = goods["Молоко 3,2%"]
    opened = till.open_shift()
    sold = till.sell(sale.CartLine(product_id=uuid.UUID(milk["id"]), name=milk["name"], price=8990, quantity=1000,
                                   vat=VatRate.VAT_10))
    assert [result["status"] for result in till.results(opened, sold)] == ["accepted", "accepted"]

    # then the balances show two packs left
    page.get_by_role("navigation", name="Stock").get_by_role("link", name="Balances").click()
    milk_row = page.locator(f"#balances-list tr[data-product='{milk['id']}']")
    expect(milk_row.locator("[data-quantity]")).to_have_text("2")
    # and the search as you type finds it
    page.get_by_label("Search", exact=True).fill("хлеб")
    expect(page.locator("#balances-list tbody tr")).to_have_count(1)
    expect(page.locator("#balances-list tbody tr")).to_contain_text("Хлеб бородинский")

    # and the movements show the sale after the count, with the balance each left, the sale leading to its receipt
    page.get_by_role("navigation", name="Stock").get_by_role("link", name="Movements").click()
    milk_moves = page.locator("#movements-table tbody tr", has_text="Молоко 3,2%")
    expect(milk_moves).to_have_count(2)
    expect(milk_moves.nth(0).locator("td").nth(3)).to_have_text("Surplus")
    expect(milk_moves.nth(0).locator("[data-balance]")).to_have_text("3")
    expect(milk_moves.nth(1).locator("td").nth(3)).to_have_text("Sale")
    expect(milk_moves.nth(1).locator("td").nth(4)).to_have_text("−1")
    expect(milk_moves.nth(1).locator("[data-balance]")).to_have_text("2")
    link = milk_moves.nth(1).get_by_role("link", name="Receipt from the register")
    expect(link).to_have_attribute("href", re.compile(rf"^/documents/{sold.id}$"))
    link.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Магазин на Ленина")
