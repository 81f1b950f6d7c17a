"""The Товары section in a real browser: search as you type, a price edited in place, and a file with
one bad row imported with "skip the rows with errors".

Runs Debian's chromium against the real app served by uvicorn, whose outbox worker checks the
uploaded file while the page polls its progress (the `live_server` and `page` fixtures of conftest.py).
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from openkassa.accounts.models import User
from openkassa.accounts.service import actor_of
from openkassa.catalog.schemas import ProductIn
from openkassa.catalog.service import create_product
from openkassa.points.schemas import NewPointIn
from openkassa.points.service import create_point
from support import create_owner, field

pytestmark = pytest.mark.slow

NEW_PRODUCTS = "\n".join([
    "Наименование;Код;Штрихкоды;Цена",
    "Сметана 20%;S-1;4600000000039;120,50",
    "Творог 9%;S-2;;abc",
    "Ряженка 4%;S-3;;75",
]) + "\n"


@pytest.fixture
def shop(db) -> None:
    """An owner (owner@shop.ru) whose shop sells milk, kefir and bread."""
    create_owner(db, email="owner@shop.ru", plan="standard")
    with db.transaction(immediate=True) as session:  # the live server's worker writes meanwhile
        actor = actor_of(session, user_id=session.scalars(select(User.id).where(User.email == "owner@shop.ru")).one())
        point = create_point(session, actor, data=NewPointIn(
            name="Магазин на Ленина", address="ул. Ленина, 1", inn="7707083893", tax_systems=[2], default_tax_system=2))
        for name, price in (("Молоко 3,2%", 8990), ("Кефир 1%", 7500), ("Хлеб бородинский", 5990)):
            create_product(session, actor, point.catalog_id, ProductIn(name=name, price=price))


def test_search_edit_a_price_in_place_and_import_a_file_with_a_bad_row(page, shop, tmp_path):
    from playwright.sync_api import expect

    # given the owner signed in, on the Products page
    page.goto("/login")
    field(page, "E-mail").fill("owner@shop.ru")
    field(page, "Password").fill("correct horse 1")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Products", exact=True).click()
    rows = page.locator("#product-rows tr[data-product]")
    expect(rows).to_have_count(3)

    # when she types in the search box, then the list narrows as she types
    page.get_by_role("searchbox").fill("моло")
    expect(rows).to_have_count(1)
    milk = rows.filter(has_text="Молоко 3,2%")
    expect(milk).to_be_visible()

    # when she clicks the milk's price, types a new one and presses Enter
    milk.get_by_title("Change the price").click()
    price = page.get_by_label("Price, ₽")
    price.fill("99.90")
    price.press("Enter")
    # then the row shows the new price, and it is saved
    expect(milk.get_by_title("Change the price")).to_have_text("₽99.90")
    page.reload()
    expect(rows).to_have_count(3)
    expect(rows.filter(has_text="Молоко 3,2%").get_by_title("Change the price")).to_have_text("₽99.90")

    # when she uploads a file of three products, one with a bad price
    page.get_by_role("link", name="Import", exact=True).click()
    upload = tmp_path / "новые товары.csv"
    upload.write_text(NEW_PRODUCTS, encoding="utf-8")
    page.get_by_label("An Excel or CSV file").set_input_files(upload)
    page.get_by_role("button", name="Upload and check").click()

    # then, once the worker has checked it, the preview counts the rows and names the bad one
    expect(page.get_by_role("heading", name="Import of «новые товары.csv»")).to_be_visible()
    counts = page.locator(".import-counts")
    expect(counts).to_contain_text("New products2")
    expect(counts).to_contain_text("Rows with errors1")
    problems = page.locator("table.import-problems tbody tr")
    expect(problems).to_have_count(1)
    expect(problems.locator("td")).to_have_text(["3", "Цена", "Expected an amount in roubles, for example 199.90, not «abc»."])

    # and Apply waits until she chooses to skip the bad row
    apply = page.get_by_role("button", name="Apply")
    expect(apply).to_be_disabled()
    page.get_by_label("Skip the rows with errors").check()
    apply.click()

    # then she is back at the products, told what was done, and the new products are in the list
    expect(page.get_by_text("«новые товары.csv» is imported: 2 products added, 0 changed.")).to_be_visible()
    expect(rows).to_have_count(5)
    expect(page.get_by_role("link", name="Сметана 20%")).to_be_visible()
    expect(page.get_by_role("link", name="Ряженка 4%")).to_be_visible()
    expect(page.get_by_role("link", name="Творог 9%")).to_have_count(0)
