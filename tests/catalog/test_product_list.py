"""The product list of a point: prices in money format, search as you type (HTMX) by name or barcode,
and empty states that say what to do."""

from __future__ import annotations

import pytest

from support import sign_in


@pytest.fixture
def shop(new_point, add_products) -> dict:
    point = new_point("Основной магазин")
    add_products(
        point,
        ("Хлеб бородинский", 5990, "4600000000015"),
        ("Молоко 3,2%", 8900, "4600000000022"),
        ("Сыр Российский", 123450),
    )
    return point


def _rows(browser, point: dict, q: str):
    """What the page swaps in while the user types in the search box."""
    return browser.get("/products", params={"point": point["id"], "q": q}, headers={"HX-Request": "true"})


def test_product_list_shows_the_points_products_with_prices(owner, shop):
    # when the owner opens the point's products
    response = owner.get("/products", params={"point": shop["id"]})
    # then each product shows with its barcode and its price as money
    assert response.status_code == 200
    page = response.text
    assert "Хлеб бородинский" in page and "4600000000015" in page and "₽59.90" in page
    assert "Сыр Российский" in page and "₽1,234.50" in page
    assert page.index("Молоко") < page.index("Сыр") < page.index("Хлеб")  # in name order
    # and the search box asks the server for rows as the user types
    assert 'hx-get="/products"' in page and "input changed delay:250ms" in page


def test_prices_in_russian_are_written_the_russian_way(new_browser, shop):
    # given the owner with the interface in Russian
    russian = sign_in(new_browser("ru"), "owner@shop.ru")
    # when they open the product list
    page = russian.get("/products", params={"point": shop["id"]}).text
    # then prices read as 1 234,50 ₽
    assert "1\xa0234,50\xa0₽" in page
    assert "59,90\xa0₽" in page


def test_only_the_chosen_points_products_are_listed(owner, shop, new_point, add_products):
    # given another point with a catalog of its own
    kiosk = new_point("Киоск")
    add_products(kiosk, ("Газета", 3000))
    # when the owner opens the kiosk's products
    page = owner.get("/products", params={"point": kiosk["id"]}).text
    # then only the kiosk's product is there, and the kiosk is the chosen point
    assert "Газета" in page and "Хлеб бородинский" not in page
    assert f'<option value="{kiosk["id"]}" selected>Киоск</option>' in page


def test_without_a_chosen_point_the_first_point_is_shown(owner, shop):
    # when the owner opens "Products" from the sidebar
    page = owner.get("/products").text
    # then the products of their (first) point are listed
    assert "Хлеб бородинский" in page


def test_search_as_you_type_by_name_returns_only_rows(owner, shop):
    # when the owner types part of a name in the search box
    response = _rows(owner, shop, "Хлеб")
    # then only the matching rows come back, not a whole page
    assert response.status_code == 200
    assert "Хлеб бородинский" in response.text
    assert "Молоко" not in response.text and "Сыр" not in response.text
    assert "<html" not in response.text and "<tr" in response.text


@pytest.mark.parametrize("typed", ["4600000000015", "460000000001", "46000000000"])
def test_search_by_barcode(owner, shop, typed):
    # when the owner types a barcode or its beginning
    response = _rows(owner, shop, typed)
    # then the product with that barcode is found
    assert "Хлеб бородинский" in response.text
    if typed == "4600000000015":
        assert "Молоко" not in response.text


@pytest.mark.parametrize("typed", ["ХЛЕБ", "хлеб", "сыр российский", "росс сыр", "бород"])
def test_search_ignores_the_case_of_russian_names(owner, shop, typed):
    # when the owner types a Russian name in another case
    response = _rows(owner, shop, typed)
    # then the product is found all the same
    assert "Nothing found." not in response.text
    assert ("Хлеб бородинский" in response.text) or ("Сыр Российский" in response.text)


@pytest.mark.parametrize(("typed", "found"), [("%", False), ("_", False), ("3,2%", True), ('"мол*', True)])
def test_signs_in_the_search_are_not_wildcards(owner, shop, typed, found):
    # when the owner searches for signs that mean "anything" to a database (as in «Молоко 3,2%»)
    response = _rows(owner, shop, typed)
    # then they match nothing by themselves, and the words beside them still count
    assert "Хлеб бородинский" not in response.text
    assert ("Молоко 3,2%" in response.text) == found


def test_search_without_javascript_keeps_the_typed_text(owner, shop):
    # when the search form is submitted as a plain page (no HTMX)
    response = owner.get("/products", params={"point": shop["id"], "q": "Молоко"})
    # then the whole page comes back, filtered, with the text still in the box
    assert "<html" in response.text
    assert 'value="Молоко"' in response.text
    assert "Молоко 3,2%" in response.text and "Хлеб бородинский" not in response.text


def test_nothing_found_says_so(owner, shop):
    # when the owner searches for something the catalog does not have
    response = _rows(owner, shop, "Шоколад")
    # then the rows say nothing was found
    assert "Nothing found." in response.text
    assert "Хлеб" not in response.text


def test_empty_catalog_says_so(owner, new_point):
    # given a point with no products yet
    point = new_point("Новая точка")
    # when the owner opens its products
    page = owner.get("/products", params={"point": point["id"]}).text
    # then the list says the catalog is empty
    assert "The catalog is empty." in page


def test_without_points_the_page_says_to_add_one_first(owner):
    # when an owner without points opens "Products"
    page = owner.get("/products").text
    # then they are told to add a point first, with the button to do it
    assert "No points yet" in page
    assert 'href="/points/new"' in page


def test_product_names_are_shown_as_text_not_markup(owner, new_point, add_products):
    # given a product whose name looks like markup (say, from an imported file)
    point = new_point()
    add_products(point, ('<img src=x onerror="alert(1)">', 100))
    # when the list is shown
    page = owner.get("/products", params={"point": point["id"]}).text
    # then the name is text, not a tag
    assert '<img src=x onerror="alert(1)">' not in page
    assert "&lt;img src=x onerror=" in page


@pytest.mark.parametrize("point", ["not-an-id", "01900000-0000-7000-8000-000000000000"])
def test_unknown_point_is_not_found(owner, shop, point):
    # when the products of a point that does not exist are asked for
    response = owner.get("/products", params={"point": point})
    # then the page is not found
    assert response.status_code == 404
    assert "Хлеб" not in response.text


def test_product_list_needs_a_signed_in_user(browser, shop):
    # when an anonymous visitor opens the product list
    response = browser.get("/products", params={"point": shop["id"]})
    # then they are sent to sign in first
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")
