"""The Товары list of a point as its people use it: columns, group filter, sorting by a column, paging
by the cursor, the price edited in place, changes to many ticked products at once; what an accountant
and another account may see and do."""

from __future__ import annotations

import re
import uuid
from html import unescape

import pytest
from sqlalchemy import select

from openkassa.accounts.models import User
from openkassa.accounts.service import actor_of
from openkassa.catalog import service
from openkassa.catalog.schemas import GroupIn, ProductIn
from openkassa.fiscal.enums import VatRate
from support import create_owner, sign_in

HTMX = {"HX-Request": "true"}
ROW = re.compile(r'<tr id="product-([0-9a-f-]{36})".*?<a href="/products/\1\?point=[^"]+">([^<]*)</a>(.*?)</tr>', re.S)
MORE = re.compile(r'class="more-row">.*?hx-get="([^"]+)"', re.S)


def rows(html: str) -> dict[str, str]:
    """The products a list shows, in order: name → the rest of its row."""
    return {unescape(name): rest for _id, name, rest in ROW.findall(html)}


def product_ids(html: str) -> dict[str, str]:
    return {unescape(name): product_id for product_id, name, _rest in ROW.findall(html)}


def flashes(browser, response) -> str:
    """The page a redirect leads to (where the flash message shows)."""
    assert response.status_code == 303, response.text
    return browser.get(response.headers["location"]).text


@pytest.fixture
def catalog(db):
    """Put products and groups into a point's catalog through the services, as its owner would."""

    def act(email: str = "owner@shop.ru"):
        with db.transaction() as session:
            return actor_of(session, user_id=session.scalars(select(User.id).where(User.email == email)).one())

    class Catalog:
        def group(self, point: dict, name: str, parent: str | None = None) -> str:
            with db.transaction() as session:
                data = GroupIn(name=name, parent_id=parent)
                return str(service.create_group(session, act(), uuid.UUID(point["catalog_id"]), data).id)

        def product(self, point: dict, **fields) -> str:
            with db.transaction() as session:
                card = service.create_product(session, act(), uuid.UUID(point["catalog_id"]), ProductIn(**fields))
                return str(card.product.id)

        def from_register(self, point: dict, name: str, price: int) -> None:
            with db.transaction() as session:
                service.add_from_register(session, account_id=act().account_id, name=name, price=price, barcode=None,
                                          catalog_id=uuid.UUID(point["catalog_id"]))

    return Catalog()


@pytest.fixture
def shop(new_point, catalog) -> dict:
    """A point with three products, two of them in the group «Молочные»."""
    point = new_point("Основной магазин")
    dairy = catalog.group(point, "Молочные")
    catalog.product(point, name="Молоко 3,2%", price=8900, article="MLK-1", code="101", group_id=dairy,
                    barcodes=["4600000000022"], vat=VatRate.VAT_10)
    catalog.product(point, name="Кефир", price=7500, code="102", group_id=dairy)
    catalog.product(point, name="Хлеб бородинский", price=5990, code="103", barcodes=["4600000000015"])
    return point


def test_each_row_shows_the_products_columns(owner, shop, catalog):
    # given a product a cashier made at the till
    catalog.from_register(shop, "Неизвестный товар", 15000)
    # when the owner opens the list
    page = owner.get("/products", params={"point": shop["id"]}).text
    listed = rows(page)
    # then a row shows the article, the code, the barcode, the price, the VAT rate and the group
    milk = listed["Молоко 3,2%"]
    for shown in ("MLK-1", "101", "4600000000022", "₽89.00", "НДС 10%", "Молочные"):
        assert shown in milk
    # and the cashier's product is marked as made on the register
    assert "from the register" in listed["Неизвестный товар"] and "from the register" not in milk
    # and the group tree is beside the list
    assert "All products" in page and ">Молочные</a>" in page


def test_the_list_speaks_russian(new_browser, shop, catalog, add_products):
    # given a product from the register and more products than one page holds
    catalog.from_register(shop, "Неизвестный товар", 15000)
    add_products(shop, *[(f"Товар {number:02}", 100) for number in range(50)])
    # when the owner with the interface in Russian opens the list
    page = sign_in(new_browser("ru"), "owner@shop.ru").get("/products", params={"point": shop["id"]}).text
    # then the mark, the button and the columns are Russian
    for text in ("с кассы", "Показать ещё", "Штрихкоды", "Все товары", "С отмеченными товарами"):
        assert text in page


def test_searching_keeps_the_words_for_sorting(owner, shop):
    # when the owner types in the search box (the table is swapped as they type)
    table = owner.get("/products", params={"point": shop["id"], "q": "молоко"},
                      headers={**HTMX, "HX-Target": "product-table"}).text
    # then the table holds only what was found, and its sort links keep the words
    assert "<html" not in table and list(rows(table)) == ["Молоко 3,2%"]
    header = unescape(re.search(r'<a href="([^"]*sort=price[^"]*)">Price', table).group(1))
    assert list(rows(owner.get(header).text)) == ["Молоко 3,2%"]


def test_the_group_filter_shows_only_that_groups_products(owner, shop):
    # given the list and its group tree
    page = owner.get("/products", params={"point": shop["id"]}).text
    group_link = unescape(re.search(r'<a href="([^"]+)" class="">Молочные</a>', page).group(1))
    # when the owner clicks the group «Молочные»
    filtered = owner.get(group_link).text
    # then only its products are listed, and the group is marked as chosen
    assert set(rows(filtered)) == {"Молоко 3,2%", "Кефир"}
    assert 'class="active">Молочные</a>' in filtered
    # and searching inside the group keeps the group
    found = owner.get(group_link + "&q=Хлеб", headers=HTMX).text
    assert rows(found) == {}


def test_the_products_without_a_group_have_a_filter_of_their_own(new_browser, shop):
    # given the list in Russian
    russian = sign_in(new_browser("ru"), "owner@shop.ru")
    page = russian.get("/products", params={"point": shop["id"]}).text
    link = unescape(re.search(r'<a href="([^"]+)" class="">Без группы</a>', page).group(1))
    # when «Без группы» is chosen, then only the product out of every group is listed
    assert set(rows(russian.get(link).text)) == {"Хлеб бородинский"}


def test_sorting_by_price_one_click_up_and_another_down(owner, shop):
    # when the owner clicks the price column's header once and then again
    page = owner.get("/products", params={"point": shop["id"]}).text
    header = unescape(re.search(r'<a href="([^"]*sort=price[^"]*)">Price', page).group(1))
    ascending = owner.get(header).text
    header = unescape(re.search(r'<a href="([^"]*sort=price[^"]*)">Price', ascending).group(1))
    descending = owner.get(header).text
    # then the cheapest comes first, then the dearest
    assert list(rows(ascending)) == ["Хлеб бородинский", "Кефир", "Молоко 3,2%"]
    assert list(rows(descending)) == ["Молоко 3,2%", "Кефир", "Хлеб бородинский"]
    assert 'aria-sort="descending"' in descending


def test_paging_through_120_products_by_the_cursor(owner, new_point, add_products):
    # given a catalog of 120 products
    point = new_point()
    add_products(point, *[(f"Товар {number:03}", 100 + number) for number in range(120)])
    # when the owner opens the list and presses "Show more" until there is no more
    page = owner.get("/products", params={"point": point["id"], "sort": "price", "desc": "1"}).text
    seen = list(rows(page))
    assert len(seen) == 50
    while more := MORE.search(page):
        assert f'href="{more.group(1)}"' in page  # the same page as a plain link, without JavaScript
        page = owner.get(unescape(more.group(1)), headers=HTMX).text
        assert "<html" not in page
        seen += list(rows(page))
    # then every product came exactly once, in order, dearest first
    assert seen == [f"Товар {number:03}" for number in reversed(range(120))]


def test_a_page_link_without_javascript_opens_the_next_page(owner, new_point, add_products):
    # given 60 products
    point = new_point()
    add_products(point, *[(f"Товар {number:02}", 100) for number in range(60)])
    # when the "Show more" link is followed as a plain link
    first = owner.get("/products", params={"point": point["id"]}).text
    second = owner.get(unescape(MORE.search(first).group(1))).text
    # then the whole page shows the remaining ten, with a way back to the first page
    assert list(rows(second)) == [f"Товар {number:02}" for number in range(50, 60)]
    assert "Back to the first page" in second and not MORE.search(second)


def test_a_damaged_page_link_leads_to_the_first_page(owner, shop):
    # when a page link was mangled (copied in part, edited by hand)
    page = flashes(owner, owner.get("/products", params={"point": shop["id"], "cursor": "garbage"}))
    # then the first page opens, saying why
    assert "The page link is damaged; start from the first page." in page
    assert len(rows(page)) == 3


# --- the price edited in place -------------------------------------------------------------------------


def _edit_price(owner, shop, name: str, typed: str):
    ids = product_ids(owner.get("/products", params={"point": shop["id"]}).text)
    url = f"/products/{ids[name]}/price?point={shop['id']}"
    form = owner.get(url, headers=HTMX)
    assert form.status_code == 200 and 'name="price"' in form.text and "<html" not in form.text
    return owner.post(url, data={"price": typed}, headers={**HTMX, "X-CSRF-Token": owner.csrf()})


@pytest.mark.parametrize(("typed", "shown"), [("199,90", "₽199.90"), ("199.9", "₽199.90"), ("1 250", "₽1,250.00")])
def test_a_price_edited_in_place_is_saved_and_the_row_redrawn(owner, shop, typed, shown):
    # when the owner clicks the price of «Кефир», types a new one and presses Enter
    response = _edit_price(owner, shop, "Кефир", typed)
    # then the row comes back with the new price and no input
    assert response.status_code == 200
    assert shown in response.text and 'name="price"' not in response.text
    assert list(rows(response.text)) == ["Кефир"]
    # and the list shows it from now on
    assert shown in rows(owner.get("/products", params={"point": shop["id"]}).text)["Кефир"]


@pytest.mark.parametrize(("typed", "message"), [
    ("-5", "cannot be negative"),
    ("abc", "Enter an amount in roubles"),
    ("19,999", "At most two digits after the comma"),
    ("", "Enter the price"),
    ("99999999999", "At most"),
])
def test_a_bad_price_is_refused_next_to_the_field(owner, shop, typed, message):
    # when the owner types a price that is not one
    response = _edit_price(owner, shop, "Кефир", typed)
    # then the input stays, with what they typed and why it is wrong
    assert message in response.text
    assert 'name="price"' in response.text and f'value="{typed}"' in response.text
    # and the price is unchanged
    assert "₽75.00" in rows(owner.get("/products", params={"point": shop["id"]}).text)["Кефир"]


def test_cancelling_an_edit_in_place_brings_the_row_back(owner, shop):
    ids = product_ids(owner.get("/products", params={"point": shop["id"]}).text)
    row = owner.get(f"/products/{ids['Кефир']}/row?point={shop['id']}", headers=HTMX).text
    assert "₽75.00" in row and 'name="price"' not in row


# --- many products at once ----------------------------------------------------------------------------


def _tick(owner, shop, *names: str, **fields):
    ids = product_ids(owner.get("/products", params={"point": shop["id"]}).text)
    back = f"/products?point={shop['id']}"
    return owner.submit(f"/products/bulk?point={shop['id']}",
                        {"product_ids": [ids[name] for name in names], "back": back, **fields})


def test_ticked_products_move_to_a_group(owner, shop, catalog):
    # given a second group
    bread = catalog.group(shop, "Хлеб")
    # when the owner ticks two products and moves them there
    page = flashes(owner, _tick(owner, shop, "Кефир", "Хлеб бородинский", action="move", group_id=bread))
    # then they say how many changed, and both rows show the new group
    assert "Products changed: 2." in page
    listed = rows(page)
    assert ">Хлеб</td>" in listed["Кефир"] and ">Хлеб</td>" in listed["Хлеб бородинский"]
    assert ">Молочные</td>" in listed["Молоко 3,2%"]


def test_ticked_products_leave_their_group(owner, shop):
    page = flashes(owner, _tick(owner, shop, "Кефир", action="move", group_id=""))
    assert "Молочные" not in rows(page)["Кефир"]


def test_ticked_products_get_another_vat_rate(owner, shop):
    page = flashes(owner, _tick(owner, shop, "Кефир", "Молоко 3,2%", action="vat", vat=str(int(VatRate.VAT_22))))
    assert "Products changed: 2." in page
    listed = rows(page)
    assert "НДС 22%" in listed["Кефир"] and "НДС 22%" in listed["Молоко 3,2%"]
    assert "НДС 22%" not in listed["Хлеб бородинский"]


def test_a_vat_change_without_a_rate_is_refused(owner, shop):
    page = flashes(owner, _tick(owner, shop, "Кефир", action="vat"))
    assert "Choose the VAT rate." in page
    assert "БЕЗ НДС" in rows(page)["Кефир"]


def test_archived_products_leave_the_list_and_come_back(owner, shop):
    # when the owner archives «Кефир»
    page = flashes(owner, _tick(owner, shop, "Кефир", action="archive"))
    # then it is gone from the list, and the archive shows it
    assert "Кефир" not in rows(page)
    archive = owner.get("/products", params={"point": shop["id"], "archived": "1"}).text
    assert list(rows(archive)) == ["Кефир"]
    # and restoring it brings it back
    ids = product_ids(archive)
    owner.submit(f"/products/bulk?point={shop['id']}", {"product_ids": ids["Кефир"], "action": "restore"})
    assert "Кефир" in rows(owner.get("/products", params={"point": shop["id"]}).text)


def test_deleting_ticked_products_asks_first(owner, shop):
    # when the owner ticks two products and chooses to delete them
    confirm = _tick(owner, shop, "Кефир", "Молоко 3,2%", action="delete")
    # then they are asked to confirm, and nothing is deleted yet
    assert confirm.status_code == 200 and "Products to delete: 2." in confirm.text
    assert len(rows(owner.get("/products", params={"point": shop["id"]}).text)) == 3
    # when they confirm
    ids = re.findall(r'name="product_ids" value="([^"]+)"', confirm.text)
    page = flashes(owner, owner.submit(f"/products/bulk?point={shop['id']}",
                                       {"product_ids": ids, "action": "delete", "confirmed": "yes"}))
    # then both are gone
    assert "Products deleted: 2." in page
    assert list(rows(page)) == ["Хлеб бородинский"]


def test_applying_with_nothing_ticked_says_so(owner, shop):
    page = flashes(owner, owner.submit(f"/products/bulk?point={shop['id']}", {"action": "archive"}))
    assert "Tick the products to change first." in page
    assert len(rows(page)) == 3


# --- who may do what ----------------------------------------------------------------------------------


def test_an_accountant_sees_the_catalog_but_no_controls_to_change_it(accountant, shop):
    # when the accountant opens the list, a card, the groups and the hot keys
    page = accountant.get("/products", params={"point": shop["id"]}).text
    card = accountant.get(f"/products/{product_ids(page)['Кефир']}", params={"point": shop["id"]}).text
    groups = accountant.get("/products/groups", params={"point": shop["id"]}).text
    keys = accountant.get(f"/points/{shop['id']}/hot-keys").text
    # then they see every product, but nothing to tick, apply, add or edit in place
    assert len(rows(page)) == 3 and "₽75.00" in page
    assert 'name="product_ids"' not in page and 'id="bulk"' not in page
    assert "Add a product" not in page and "/price?" not in page
    # and the card is read only, without Save or Delete
    assert "<fieldset disabled>" in card and ">Save<" not in card and ">Delete<" not in card
    # and groups and hot keys have no forms to change them
    assert "Молочные" in groups and "Rename" not in groups and "New group" not in groups
    assert "Empty" in keys and "Choose" not in keys


def test_an_accountant_cannot_change_the_catalog(accountant, owner, shop):
    # given the ids of the products, as the accountant sees them
    ids = product_ids(accountant.get("/products", params={"point": shop["id"]}).text)
    point = f"?point={shop['id']}"
    # when the accountant sends the forms anyway
    answers = {
        "price": accountant.submit(f"/products/{ids['Кефир']}/price{point}", {"price": "1"}).status_code,
        "card": accountant.submit(f"/products/{ids['Кефир']}{point}", {"name": "Иначе", "price": "1"}).status_code,
        "new": accountant.submit(f"/products/new{point}", {"name": "Новый"}).status_code,
        "bulk": accountant.submit(f"/products/bulk{point}", {"product_ids": ids["Кефир"], "action": "archive",
                                                            "confirmed": "yes"}).status_code,
        "delete": accountant.submit(f"/products/{ids['Кефир']}/delete{point}").status_code,
        "group": accountant.submit(f"/products/groups{point}", {"name": "Своя"}).status_code,
        "hot key": accountant.submit(f"/points/{shop['id']}/hot-keys/0", {"product_id": ids["Кефир"]}).status_code,
    }
    # then their role allows none of it, and the catalog is as it was
    assert answers == dict.fromkeys(answers, 403)
    page = owner.get("/products", params={"point": shop["id"]}).text
    assert "₽75.00" in rows(page)["Кефир"] and "Новый" not in page and "Своя" not in page


def test_another_accounts_product_is_not_found(db, owner, shop, new_browser):
    # given another shop owner with a point and a product of their own
    create_owner(db, email="other@shop.ru", plan="standard")
    other = sign_in(new_browser(), "other@shop.ru")
    ids = product_ids(owner.get("/products", params={"point": shop["id"]}).text)
    their_point = other.post("/api/v1/points", headers={"X-CSRF-Token": other.csrf()}, json={
        "name": "Чужая", "address": "ул. Мира, 2", "inn": "7707083893", "tax_systems": [2], "default_tax_system": 2,
    }).json()
    # when they ask for our product, through our point or through theirs
    answers = [
        other.get(f"/products/{ids['Кефир']}", params={"point": shop["id"]}).status_code,
        other.get(f"/products/{ids['Кефир']}", params={"point": their_point["id"]}).status_code,
        other.get(f"/products/{ids['Кефир']}/price", params={"point": their_point["id"]}, headers=HTMX).status_code,
        other.submit(f"/products/{ids['Кефир']}/price?point={their_point['id']}", {"price": "1"}).status_code,
        other.submit(f"/products/{ids['Кефир']}/delete?point={their_point['id']}").status_code,
    ]
    # then it does not exist for them
    assert answers == [404] * 5
    # and a bulk change of our ids through their point touches nothing
    page = flashes(other, other.submit(f"/products/bulk?point={their_point['id']}",
                                       {"product_ids": ids["Кефир"], "action": "archive"}))
    assert "Products changed: 0." in page
    assert "Кефир" in rows(owner.get("/products", params={"point": shop["id"]}).text)
