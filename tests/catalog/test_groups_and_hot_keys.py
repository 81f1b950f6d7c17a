"""Groups of a catalog (a tree: add, rename, delete while the products stay) and a point's hot keys
(a grid of favourite products for the register: pick a product by searching, clear a cell)."""

from __future__ import annotations

import re
from html import unescape

import pytest

HTMX = {"HX-Request": "true"}
ROW = re.compile(r'<tr id="product-([0-9a-f-]{36})".*?<a href="/products/\1\?point=[^"]+">([^<]*)</a>(.*?)</tr>', re.S)
GROUP = re.compile(r'<input id="rename-([0-9a-f-]{36})" name="name" value="([^"]*)"')
CELL = re.compile(r'<li class="hotkey[^"]*" id="hot-key-(\d+)">(.*?)</li>', re.S)
CHOICE = re.compile(r'name="product_id" value="([^"]+)">\s*<button class="link" type="submit">([^<]+)</button>')


def listed(browser, point: dict) -> dict[str, str]:
    page = browser.get("/products", params={"point": point["id"]}).text
    return {unescape(name): rest for _id, name, rest in ROW.findall(page)}


def groups(browser, point: dict) -> dict[str, str]:
    """The groups page: name → id, in the order of the tree."""
    page = browser.get("/products/groups", params={"point": point["id"]}).text
    return {unescape(name): group_id for group_id, name in GROUP.findall(page)}


def cells(browser, point: dict) -> dict[int, str]:
    """The hot-key grid as the page shows it: position → the text of its cell."""
    page = browser.get(f"/points/{point['id']}/hot-keys").text
    return {int(position): " ".join(re.sub(r"<[^>]+>", " ", body).split()) for position, body in CELL.findall(page)}


def choices(browser, point: dict, position: int, q: str = "") -> dict[str, str]:
    """The products offered for a cell (found by `q`): name → id."""
    page = browser.get(f"/points/{point['id']}/hot-keys", params={"position": position, "q": q}).text
    return {unescape(name): product_id for product_id, name in CHOICE.findall(page)}


def revision(browser, point: dict) -> int:
    return browser.get(f"/api/v1/points/{point['id']}").json()["revision"]


@pytest.fixture
def shop(new_point, add_products) -> dict:
    point = new_point("Основной магазин")
    add_products(point, ("Молоко 3,2%", 8900, "4600000000022"), ("Кефир", 7500), ("Хлеб бородинский", 5990))
    return point


def _add_group(owner, point: dict, name: str, parent: str = ""):
    return owner.submit(f"/products/groups?point={point['id']}", {"name": name, "parent_id": parent})


# --- groups -------------------------------------------------------------------------------------------


def test_groups_form_a_tree_shown_beside_the_list(owner, shop):
    # when the owner adds a group and a group inside it
    assert _add_group(owner, shop, "Молочные").status_code == 303
    _add_group(owner, shop, "Кисломолочные", groups(owner, shop)["Молочные"])
    # then the groups page lists the child under its parent, one level deeper
    page = owner.get("/products/groups", params={"point": shop["id"]}).text
    assert list(groups(owner, shop)) == ["Молочные", "Кисломолочные"]
    assert 'style="--depth: 1" class="group-name"' in page
    # and the product list's tree shows both, to filter by
    products = owner.get("/products", params={"point": shop["id"]}).text
    assert ">Молочные</a>" in products and ">Кисломолочные</a>" in products


def test_a_twin_group_is_refused_next_to_its_name(owner, shop):
    _add_group(owner, shop, "Молочные")
    response = _add_group(owner, shop, "молочные")
    assert response.status_code == 422
    assert "There is a group with this name here already." in response.text
    assert 'value="молочные"' in response.text
    assert list(groups(owner, shop)) == ["Молочные"]


def test_a_group_is_renamed(owner, shop):
    _add_group(owner, shop, "Молочка")
    group_id = groups(owner, shop)["Молочка"]
    response = owner.submit(f"/products/groups/{group_id}?point={shop['id']}", {"name": "Молочные продукты"})
    assert "The group is renamed to «Молочные продукты»." in owner.get(response.headers["location"]).text
    assert groups(owner, shop) == {"Молочные продукты": group_id}


def test_an_empty_name_is_refused_when_renaming(owner, shop):
    _add_group(owner, shop, "Молочные")
    group_id = groups(owner, shop)["Молочные"]
    response = owner.submit(f"/products/groups/{group_id}?point={shop['id']}", {"name": "  "})
    assert response.status_code == 422 and "Required." in response.text
    assert list(groups(owner, shop)) == ["Молочные"]


def test_deleting_a_group_keeps_its_products(owner, shop):
    # given a group holding two products
    _add_group(owner, shop, "Молочные")
    group_id = groups(owner, shop)["Молочные"]
    ids = {unescape(name): product_id for product_id, name, _rest in
           ROW.findall(owner.get("/products", params={"point": shop["id"]}).text)}
    owner.submit(f"/products/bulk?point={shop['id']}", {"product_ids": [ids["Молоко 3,2%"], ids["Кефир"]],
                                                        "action": "move", "group_id": group_id})
    assert "Молочные" in listed(owner, shop)["Кефир"]
    # when the owner deletes the group
    response = owner.submit(f"/products/groups/{group_id}/delete?point={shop['id']}")
    # then the group is gone, and its products stay in the catalog without a group
    assert "its products stay in the catalog" in owner.get(response.headers["location"]).text
    assert groups(owner, shop) == {}
    products = listed(owner, shop)
    assert set(products) == {"Молоко 3,2%", "Кефир", "Хлеб бородинский"}
    assert "Молочные" not in products["Кефир"]


def test_a_new_product_in_a_chosen_group_starts_in_that_group(owner, shop):
    _add_group(owner, shop, "Молочные")
    group_id = groups(owner, shop)["Молочные"]
    page = owner.get("/products", params={"point": shop["id"], "group": group_id}).text
    new_card = unescape(re.search(r'<a class="button" href="([^"]+)">Add a product', page).group(1))
    assert f'<option value="{group_id}" selected>' in owner.get(new_card).text


# --- hot keys -----------------------------------------------------------------------------------------


def test_a_new_point_has_an_empty_grid_of_24_hot_keys(owner, shop):
    grid = cells(owner, shop)
    assert sorted(grid) == list(range(24))
    assert all(text.startswith(f"{position + 1} Empty") for position, text in grid.items())


def test_the_points_pages_lead_to_its_hot_keys(owner, shop):
    tab = f'href="/points/{shop["id"]}/hot-keys" class="{{}}">Hot keys</a>'
    assert tab.format("") in owner.get(f"/points/{shop['id']}").text
    assert tab.format("active") in owner.get(f"/points/{shop['id']}/hot-keys").text


def test_a_hot_key_is_set_by_searching_for_the_product(owner, shop):
    # given the point's revision, as its registers know it
    before = revision(owner, shop)
    # when the owner chooses cell 5 and types part of a name
    page = owner.get(f"/points/{shop['id']}/hot-keys", params={"position": 4}).text
    assert "Hot key 5" in page and 'hx-get="/points/' in page
    found = owner.get(f"/points/{shop['id']}/hot-keys", params={"position": 4, "q": "кеф"}, headers=HTMX)
    # then only matching products are offered, in a fragment swapped into the page
    assert "<html" not in found.text and "Кефир" in found.text and "Молоко" not in found.text
    # when they pick «Кефир»
    product_id = re.search(r'name="product_id" value="([^"]+)"', found.text).group(1)
    response = owner.submit(f"/points/{shop['id']}/hot-keys/4", {"product_id": product_id})
    # then cell 5 shows it with its price, and the registers of the point will fetch the grid again
    assert "Hot key 5: «Кефир»." in owner.get(response.headers["location"]).text
    assert cells(owner, shop)[4].startswith("5 Кефир ₽75.00")
    assert revision(owner, shop) > before


def test_a_hot_key_is_found_by_barcode_without_javascript(owner, shop):
    # when the search form of a cell is sent as a plain page, with a barcode
    assert list(choices(owner, shop, 0, "4600000000022")) == ["Молоко 3,2%"]


def test_a_hot_key_is_replaced_and_cleared(owner, shop):
    # given a hot key holding «Кефир»
    ids = choices(owner, shop, 0)
    owner.submit(f"/points/{shop['id']}/hot-keys/0", {"product_id": ids["Кефир"]})
    # when the owner puts bread there instead
    owner.submit(f"/points/{shop['id']}/hot-keys/0", {"product_id": ids["Хлеб бородинский"]})
    assert cells(owner, shop)[0].startswith("1 Хлеб бородинский")
    # and then clears the cell
    before = revision(owner, shop)
    response = owner.submit(f"/points/{shop['id']}/hot-keys/0/clear")
    # then it is empty again, and the registers learn it
    assert "Hot key 1 is cleared." in owner.get(response.headers["location"]).text
    assert cells(owner, shop)[0] == "1 Empty Choose"
    assert revision(owner, shop) > before


def test_a_deleted_product_leaves_its_hot_key(owner, shop):
    product_id = choices(owner, shop, 2, "Кефир")["Кефир"]
    owner.submit(f"/points/{shop['id']}/hot-keys/2", {"product_id": product_id})
    owner.submit(f"/products/{product_id}/delete?point={shop['id']}")
    assert cells(owner, shop)[2].startswith("3 Empty")


def test_only_the_points_own_products_go_into_its_hot_keys(owner, shop, new_point, add_products):
    # given another point with a catalog of its own
    kiosk = new_point("Киоск")
    add_products(kiosk, ("Газета", 3000))
    newspaper = choices(owner, kiosk, 0)["Газета"]
    # when the kiosk's product is put into the shop's grid
    response = owner.submit(f"/points/{shop['id']}/hot-keys/0", {"product_id": newspaper})
    # then the shop has no such product, and its grid stays empty
    assert response.status_code == 404
    assert cells(owner, shop)[0].startswith("1 Empty")


@pytest.mark.parametrize("position", ["24", "-1"])
def test_a_cell_outside_the_grid_is_refused(owner, shop, position):
    product_id = choices(owner, shop, 0)["Кефир"]
    response = owner.submit(f"/points/{shop['id']}/hot-keys/{position}", {"product_id": product_id})
    assert response.status_code == 422
    assert all(text.endswith("Empty Choose") for text in cells(owner, shop).values())
