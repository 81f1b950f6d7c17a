"""A register asks a product's balance in the warehouse its point sells from."""

from __future__ import annotations

import uuid

from support import point_json

STOCK = "/api/v1/stock"


def _ask(register, product_id, token: str | None = None):
    return register.client.get(f"/api/device/v1/stock/{product_id}",
                               headers={"Authorization": f"Bearer {token or register.token}"})


def _product(api, point: dict, name: str) -> str:
    response = api.post(f"/api/v1/catalogs/{point['catalog_id']}/products", json={"name": name, "price": "100.00"})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def test_a_register_asks_its_products_balance(api, point, bound_register):
    # given the point's stock on and 2.5 of a product received
    milk, bread = _product(api, point, "Молоко"), _product(api, point, "Хлеб")
    warehouse = api.put(f"{STOCK}/points/{point['id']}", json={"warehouse_id": None}).json()["warehouse"]["id"]
    receipt = api.post(f"{STOCK}/documents", json={"kind": "receipt", "warehouse_id": warehouse, "lines": [
        {"product_id": milk, "quantity": 2500, "price": "50.00"}]}).json()
    assert api.post(f"{STOCK}/documents/{receipt['id']}/post").status_code == 200
    # when the point's register asks
    answer = _ask(bound_register, milk)
    # then it gets the quantity in thousandths; a product never received has none
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"product_id": milk, "quantity": 2500}
    assert _ask(bound_register, bread).json() == {"product_id": bread, "quantity": 0}
    # and a malformed id names nothing
    assert _ask(bound_register, "not-an-id").status_code == 404


def test_a_point_without_stock_answers_null(api, point, bound_register):
    # given a point whose stock accounting is off (never on, or switched off)
    milk = _product(api, point, "Молоко")
    assert _ask(bound_register, milk).json() == {"product_id": milk, "quantity": None}
    api.put(f"{STOCK}/points/{point['id']}", json={"warehouse_id": None})
    assert _ask(bound_register, milk).json()["quantity"] == 0
    api.delete(f"{STOCK}/points/{point['id']}")
    # then the register learns it keeps no stock
    assert _ask(bound_register, milk).json() == {"product_id": milk, "quantity": None}


def test_another_accounts_product_tells_nothing(api, point, bound_register, stranger):
    # given another account with stock of its own product
    theirs = stranger.post("/api/v1/points", json=point_json()).json()
    foreign = _product(stranger, theirs, "Чужое")
    store = stranger.put(f"{STOCK}/points/{theirs['id']}", json={"warehouse_id": None}).json()["warehouse"]["id"]
    receipt = stranger.post(f"{STOCK}/documents", json={"kind": "receipt", "warehouse_id": store, "lines": [
        {"product_id": foreign, "quantity": 7000, "price": "1.00"}]}).json()
    assert stranger.post(f"{STOCK}/documents/{receipt['id']}/post").status_code == 200
    api.put(f"{STOCK}/points/{point['id']}", json={"warehouse_id": None})
    # when our register asks for it, or for an id of no product at all
    # then it reads its own warehouse alone: 0, as for a product never received (see the module's doc)
    assert _ask(bound_register, foreign).json() == {"product_id": foreign, "quantity": 0}
    nothing = str(uuid.uuid4())
    assert _ask(bound_register, nothing).json() == {"product_id": nothing, "quantity": 0}


def test_only_a_bound_register_may_ask(register, point):
    # no token, or a wrong one, is refused before anything is read
    assert register.client.get(f"/api/device/v1/stock/{uuid.uuid4()}").status_code == 401
    assert _ask(register, uuid.uuid4(), token="not-a-token").status_code == 401
