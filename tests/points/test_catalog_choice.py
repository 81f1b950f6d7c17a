"""Where a new point's products come from: a new empty catalog, the catalog of another point
(shared), or a copy of it. Only the account's own points can be the source."""

from __future__ import annotations

import pytest


def _products_page(browser, point: dict) -> str:
    response = browser.get("/products", params={"point": point["id"]})
    assert response.status_code == 200
    return response.text


@pytest.fixture
def shop(new_point, add_products) -> dict:
    """A point whose catalog holds two products."""
    point = new_point(name="Основной магазин")
    add_products(point, ("Хлеб бородинский", 5990, "4600000000015"), ("Молоко 3,2%", 8900))
    return point


def test_new_point_gets_an_empty_catalog_of_its_own(owner, api, shop, point_json):
    # when a second point is made with a new catalog
    response = api.post("/api/v1/points", json=point_json(name="Киоск", catalog="new"))
    # then its catalog is its own and empty
    assert response.status_code == 201
    kiosk = response.json()
    assert kiosk["catalog_id"] != shop["catalog_id"]
    page = _products_page(owner, kiosk)
    assert "The catalog is empty." in page
    assert "Хлеб бородинский" not in page


def test_shared_catalog_is_one_list_for_both_points(owner, api, shop, add_products, point_json):
    # when a second point shares the catalog of the first
    response = api.post(
        "/api/v1/points", json=point_json(name="Киоск", catalog="shared", catalog_source_point_id=shop["id"])
    )
    # then both points have the same catalog
    assert response.status_code == 201
    kiosk = response.json()
    assert kiosk["catalog_id"] == shop["catalog_id"]
    assert "Хлеб бородинский" in _products_page(owner, kiosk)
    # and a product added later to one shows at the other
    add_products(shop, ("Кефир", 7500))
    assert "Кефир" in _products_page(owner, kiosk)
    # and the point's page says with whom the catalog is shared
    assert "The catalog is shared with: Основной магазин." in owner.get(f"/points/{kiosk['id']}").text


def test_copied_catalog_starts_equal_then_goes_its_own_way(owner, api, shop, add_products, point_json):
    # when a second point takes a copy of the first one's catalog
    response = api.post(
        "/api/v1/points", json=point_json(name="Киоск", catalog="copy", catalog_source_point_id=shop["id"])
    )
    # then it has a catalog of its own with the same products
    assert response.status_code == 201
    kiosk = response.json()
    assert kiosk["catalog_id"] != shop["catalog_id"]
    page = _products_page(owner, kiosk)
    assert "Хлеб бородинский" in page and "4600000000015" in page and "Молоко 3,2%" in page
    # and later changes of the original do not reach the copy
    add_products(shop, ("Кефир", 7500))
    assert "Кефир" not in _products_page(owner, kiosk)
    assert "Кефир" in _products_page(owner, shop)


def test_second_point_with_a_new_catalog_through_the_form(owner, api, shop):
    # given the form of a new point, which now offers a source point (left at "—")
    assert "Основной магазин" in owner.get("/points/new").text
    # when the owner keeps "a new, empty catalog" and saves
    response = owner.submit("/points/new", {
        "name": "Киоск", "address": "ул. Мира, 1", "inn": "7707083893", "timezone": "Europe/Moscow",
        "tax_systems[]": ["2"], "default_tax_system": "2", "catalog": "new", "catalog_source_point_id": "",
        "rounding": "0",
    })
    # then the point is made with an empty catalog
    assert response.status_code == 303, response.text
    kiosk = next(p for p in api.get("/api/v1/points").json() if p["name"] == "Киоск")
    assert kiosk["catalog_id"] != shop["catalog_id"]


def test_copy_of_a_catalog_through_the_form(owner, api, shop):
    # when the owner chooses a copy of the main shop's catalog in the form
    response = owner.submit("/points/new", {
        "name": "Киоск", "address": "ул. Мира, 1", "inn": "7707083893", "timezone": "Europe/Moscow",
        "tax_systems[]": ["2"], "default_tax_system": "2", "catalog": "copy",
        "catalog_source_point_id": shop["id"], "rounding": "0",
    })
    # then the new point lists the same products
    assert response.status_code == 303, response.text
    kiosk = next(p for p in api.get("/api/v1/points").json() if p["name"] == "Киоск")
    assert "Хлеб бородинский" in _products_page(owner, kiosk)
    assert "2" in owner.get("/points").text  # the products column counts them


@pytest.mark.parametrize("choice", ["shared", "copy"])
def test_source_point_of_another_account_is_refused(api, stranger, point_json, choice):
    # given a point of another account
    foreign = stranger.post("/api/v1/points", json=point_json(name="Чужая точка")).json()
    # when the owner tries to share or copy its catalog
    response = api.post(
        "/api/v1/points", json=point_json(name="Киоск", catalog=choice, catalog_source_point_id=foreign["id"])
    )
    # then it is refused on the source field as if that point did not exist, and nothing is written
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"catalog_source_point_id": "Choose a point from the list."}
    assert api.get("/api/v1/points").json() == []


def test_source_point_of_another_account_is_refused_in_the_form(owner, api, stranger, point_json, error_on):
    # given a point of another account
    foreign = stranger.post("/api/v1/points", json=point_json(name="Чужая точка")).json()
    # when the owner forges the form with its id
    response = owner.submit("/points/new", {
        "name": "Киоск", "address": "ул. Мира, 1", "inn": "7707083893", "timezone": "Europe/Moscow",
        "tax_systems[]": ["2"], "default_tax_system": "2", "catalog": "shared",
        "catalog_source_point_id": foreign["id"], "rounding": "0",
    })
    # then the form comes back with the message on the source field, and nothing is written
    assert response.status_code == 422
    assert error_on(response.text, "catalog_source_point_id") == "Choose a point from the list."
    assert "Чужая точка" not in response.text
    assert api.get("/api/v1/points").json() == []


@pytest.mark.parametrize("source", [None, "", "not-a-uuid"])
def test_shared_catalog_needs_a_source_point(api, point_json, source):
    # when the owner asks for a shared catalog without naming a real point
    response = api.post(
        "/api/v1/points", json=point_json(catalog="shared", catalog_source_point_id=source)
    )
    # then the source field is marked and nothing is written
    assert response.status_code == 422
    assert "catalog_source_point_id" in response.json()["error"]["fields"]
    assert api.get("/api/v1/points").json() == []
