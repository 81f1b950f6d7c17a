"""The stock's JSON API: a document made, filled, posted and cancelled moves the balances and writes
the ledger; bad input is named by field and row and changes nothing; another account's things are
not found; a plan without the warehouse is refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from support import create_owner, point_json, sign_in, Api

STOCK = "/api/v1/stock"


def _product(api: Api, point: dict, name: str, *, cost: str = "0.00", barcode: str | None = None, kind: int = 1) -> str:
    response = api.post(f"/api/v1/catalogs/{point['catalog_id']}/products", json={
        "name": name, "price": "100.00", "cost_price": cost, "barcodes": [barcode] if barcode else [], "kind": kind})
    assert response.status_code == 201, response.text
    return response.json()["id"]


@pytest.fixture
def shop(api, point) -> dict:
    """The owner's point with its stock accounting on, two goods (one with a barcode) and a service."""
    response = api.put(f"{STOCK}/points/{point['id']}", json={"warehouse_id": None})
    assert response.status_code == 200, response.text
    return {
        "point": point, "warehouse": response.json()["warehouse"]["id"],
        "milk": _product(api, point, "Молоко", cost="50.00", barcode="4600000000008"),
        "bread": _product(api, point, "Хлеб", cost="30.00"),
        "delivery": _product(api, point, "Доставка", kind=4),
    }


def _period() -> dict:
    now = datetime.now(UTC)
    return {"start": (now - timedelta(days=1)).isoformat(), "end": (now + timedelta(days=1)).isoformat()}


def _state(api: Api, shop: dict) -> tuple:
    """What a change must leave alone: the documents, the balances and the ledger, as the API shows them."""
    documents = api.get(f"{STOCK}/documents").json()["items"]
    balances = api.get(f"{STOCK}/balances", warehouse_id=shop["warehouse"]).json()["items"]
    movements = api.get(f"{STOCK}/movements", **_period()).json()["items"]
    return ([(d["id"], d["status"], d["lines_count"], d["total"]) for d in documents],
            [(b["name"], b["quantity"], b["value"]) for b in balances], [m["id"] for m in movements])


def _quantities(api: Api, shop: dict) -> dict[str, tuple[int, str]]:
    items = api.get(f"{STOCK}/balances", warehouse_id=shop["warehouse"]).json()["items"]
    return {item["name"]: (item["quantity"], item["value"]) for item in items}


def _receipt(api: Api, shop: dict, *lines: tuple[str, int, str]) -> dict:
    response = api.post(f"{STOCK}/documents", json={"kind": "receipt", "warehouse_id": shop["warehouse"], "lines": [
        {"product_id": shop[name], "quantity": quantity, "price": price} for name, quantity, price in lines]})
    assert response.status_code == 201, response.text
    return response.json()


def test_a_receipt_is_made_filled_posted_and_cancelled(api, shop):
    # given a supplier
    supplier = api.post(f"{STOCK}/suppliers", json={"name": "ООО «Молочник»", "inn": "7707083893"})
    assert supplier.status_code == 201, supplier.text
    # when a receipt of 10 milk at 45.50 ₽ (a JSON number, read exactly) is made as a draft
    created = api.send_text("POST", f"{STOCK}/documents", (
        f'{{"kind": "receipt", "warehouse_id": "{shop["warehouse"]}", "supplier_id": "{supplier.json()["id"]}",'
        f' "supplier_reference": "УПД-17", "lines": [{{"product_id": "{shop["milk"]}", "quantity": 10000, "price": 45.5}}]}}'))
    # then it is the account's first receipt, a draft, its total the purchase sum in roubles
    assert created.status_code == 201, created.text
    document = created.json()
    assert created.headers["Location"] == f"{STOCK}/documents/{document['id']}"
    assert (document["kind"], document["number"], document["status"], document["total"]) == ("receipt", 1, "draft", "455.00")
    # when 2.5 bread at 30.10 ₽ is added by id, and one more milk by its barcode
    added = api.post(f"{STOCK}/documents/{document['id']}/lines", json={"product_id": shop["bread"], "quantity": 2500,
                                                                         "price": "30.10"})
    assert added.status_code == 200, added.text
    assert added.json() == {"row": 2, "product_id": shop["bread"], "quantity": 2500, "price": "30.10",
                            "book_quantity": None, "value": "0.00"}
    scanned = api.post(f"{STOCK}/documents/{document['id']}/lines", json={"barcode": "4600000000008"})
    assert scanned.json()["row"] == 1 and scanned.json()["quantity"] == 11000
    # then the draft holds both lines in their order, nothing has moved yet
    found = api.get(f"{STOCK}/documents/{document['id']}").json()
    assert [(line["row"], line["product_id"], line["quantity"], line["price"]) for line in found["lines"]] == [
        (1, shop["milk"], 11000, "45.50"), (2, shop["bread"], 2500, "30.10")]
    assert found["total"] == "575.75"  # 11 × 45.50 + 2.5 × 30.10
    assert _quantities(api, shop) == {"Молоко": (0, "0.00"), "Хлеб": (0, "0.00")}  # the service is not listed
    # when it is posted
    posted = api.post(f"{STOCK}/documents/{document['id']}/post")
    assert posted.status_code == 200, posted.text
    assert posted.json()["status"] == "posted" and posted.json()["posted_at"]
    # then the goods are in stock at what they cost, and the ledger shows the receipt
    assert _quantities(api, shop) == {"Молоко": (11000, "500.50"), "Хлеб": (2500, "75.25")}
    milk = api.get(f"{STOCK}/balances", warehouse_id=shop["warehouse"], search="молоко").json()["items"]
    assert [(item["name"], item["unit_cost"], item["negative"], item["low"]) for item in milk] == [
        ("Молоко", "45.50", False, False)]
    ledger = api.get(f"{STOCK}/movements", **_period(), warehouse_id=shop["warehouse"]).json()
    assert [(m["product_name"], m["kind"], m["quantity"], m["value"], m["balance_after"], m["document_kind"],
             m["document_number"], m["reversal"]) for m in ledger["items"]] == [
        ("Молоко", "receipt", 11000, "500.50", 11000, "receipt", 1, False),
        ("Хлеб", "receipt", 2500, "75.25", 2500, "receipt", 1, False)]
    assert ledger["next_cursor"] is None
    # when it is cancelled
    cancelled = api.post(f"{STOCK}/documents/{document['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    # then the balances are as before, and the ledger holds the reverse movements after the first ones
    assert _quantities(api, shop) == {"Молоко": (0, "0.00"), "Хлеб": (0, "0.00")}
    reversed_ = api.get(f"{STOCK}/movements", **_period(), kind=["receipt"]).json()["items"][2:]
    assert [(m["product_name"], m["quantity"], m["value"], m["balance_after"], m["reversal"]) for m in reversed_] == [
        ("Молоко", -11000, "-500.50", 0, True), ("Хлеб", -2500, "-75.25", 0, True)]
    listed = api.get(f"{STOCK}/documents", status="cancelled").json()
    assert [item["id"] for item in listed["items"]] == [document["id"]] and listed["next_cursor"] is None


def test_an_inventory_count_posts_the_differences_by_scanning(api, shop):
    # given 10 milk received at 50.00 ₽
    received = _receipt(api, shop, ("milk", 10000, "50.00"))
    api.post(f"{STOCK}/documents/{received['id']}/post")
    # when a count is filled by scanning the milk 8 times and bread is counted at 2
    count = api.post(f"{STOCK}/documents", json={"kind": "count", "warehouse_id": shop["warehouse"], "lines": []}).json()
    for _scan in range(8):
        assert api.post(f"{STOCK}/documents/{count['id']}/lines", json={"barcode": "4600000000008"}).status_code == 200
    api.post(f"{STOCK}/documents/{count['id']}/lines", json={"product_id": shop["bread"], "quantity": 2000})
    posted = api.post(f"{STOCK}/documents/{count['id']}/post").json()
    # then the count shows the book and the difference of each line: −100.00 ₽ of milk, +60.00 ₽ of bread at its cost price
    lines = api.get(f"{STOCK}/documents/{count['id']}").json()["lines"]
    assert [(line["quantity"], line["book_quantity"], line["value"]) for line in lines] == [
        (8000, 10000, "-100.00"), (2000, 0, "60.00")]
    assert posted["total"] == "-40.00"
    assert _quantities(api, shop) == {"Молоко": (8000, "400.00"), "Хлеб": (2000, "60.00")}
    kinds = api.get(f"{STOCK}/movements", **_period(), kind=["surplus", "shortage"]).json()["items"]
    assert [(m["product_name"], m["kind"], m["quantity"]) for m in kinds] == [("Молоко", "shortage", -2000),
                                                                              ("Хлеб", "surplus", 2000)]
    # and the filters find them
    assert [item["name"] for item in api.get(f"{STOCK}/balances", warehouse_id=shop["warehouse"], only="in_stock").json()[
        "items"]] == ["Молоко", "Хлеб"]
    assert api.get(f"{STOCK}/balances", warehouse_id=shop["warehouse"], only="negative").json()["items"] == []


def test_bad_lines_are_named_by_row_and_change_nothing(api, shop, stranger):
    # given a posted receipt, and a product of another account
    api.post(f"{STOCK}/documents/{_receipt(api, shop, ('milk', 1000, '50.00'))['id']}/post")
    stranger_point = stranger.post("/api/v1/points", json=point_json()).json()
    foreign = _product(stranger, stranger_point, "Чужой товар")
    before = _state(api, shop)

    def refused(*lines, kind: str = "write_off", **header) -> dict:
        response = api.post(f"{STOCK}/documents", json={
            "kind": kind, "warehouse_id": shop["warehouse"], "reason": "loss" if kind == "write_off" else "", **header,
            "lines": list(lines)})
        assert response.status_code == 422, response.text
        assert response.json()["error"]["code"] == "invalid"
        return response.json()["error"]["fields"]

    milk = {"product_id": shop["milk"], "quantity": 1000}
    # when a line's quantity is negative, not a number, a fraction, a string or true; a price has three decimals
    assert refused(milk, {**milk, "quantity": -1000}) == {"lines.2.quantity": "Row 2: Must be at least 0."}
    assert refused({**milk, "quantity": "много"}) == {"lines.1.quantity": "Row 1: Enter a number."}
    assert refused({**milk, "quantity": 1.5}) == {
        "lines.1.quantity": "Row 1: Quantities are whole thousandths of the unit: 1500 is 1.5."}
    assert refused({**milk, "quantity": "1000"}, {**milk, "quantity": True}) == {
        "lines.1.quantity": "Row 1: Enter a number.", "lines.2.quantity": "Row 2: Enter a number."}
    assert refused({**milk, "price": "1.999"}, kind="receipt") == {
        "lines.1.price": "Row 1: An amount has at most two digits of kopecks: «1.999»."}
    # a product of another account, a service, a product twice: named by row, all at once
    assert refused(milk, {"product_id": foreign, "quantity": 1000}) == {"lines.2": "Row 2: no such product in your catalogs."}
    assert refused({"product_id": shop["delivery"], "quantity": 1000}, milk, milk) == {
        "lines.1": "Row 1: the product is not goods (a service or work) and is not kept in stock.",
        "lines.3": "Row 3: the product is already in row 2."}
    # a header that does not fit its kind
    assert refused(milk, reason="") == {"reason": "Choose why the goods are written off."}
    assert refused(milk, kind="transfer") == {"target_warehouse_id": "Choose the warehouse the goods go to."}
    assert refused(milk, kind="inventory") == {"kind": "Choose one of the offered values."}
    # then nothing was written
    assert _state(api, shop) == before
    # and a line added to a draft is checked too, naming its field
    draft = api.post(f"{STOCK}/documents", json={"kind": "count", "warehouse_id": shop["warehouse"]}).json()
    for body, fields in (
        ({"product_id": shop["milk"], "quantity": -1}, {"quantity": "The quantity must be more than zero."}),
        ({"product_id": shop["milk"], "quantity": "много"}, {"quantity": "Enter a number."}),
        ({"barcode": "4600000000015"}, {"barcode": "No product has the barcode 4600000000015."}),
        ({"product_id": foreign}, {"barcode": "No such product in your catalogs."}),
        ({}, {"barcode": "Scan or type a barcode, or choose a product."}),
    ):
        response = api.post(f"{STOCK}/documents/{draft['id']}/lines", json=body)
        assert (response.status_code, response.json()["error"]["fields"]) == (422, fields), body
    assert api.get(f"{STOCK}/documents/{draft['id']}").json()["lines"] == []


def test_a_document_keeps_to_its_state(api, shop):
    # given a posted receipt and a draft
    posted = _receipt(api, shop, ("milk", 2000, "50.00"))
    api.post(f"{STOCK}/documents/{posted['id']}/post")
    draft = _receipt(api, shop, ("bread", 1000, "30.00"))
    before = _state(api, shop)
    # when the posted one is posted again, edited, filled, deleted; the draft cancelled
    attempts = [
        ("POST", f"{STOCK}/documents/{posted['id']}/post", None, "The document is posted already."),
        ("PUT", f"{STOCK}/documents/{posted['id']}", {"kind": "receipt", "warehouse_id": shop["warehouse"]},
         "A posted document cannot be edited: cancel it and make a new one."),
        ("POST", f"{STOCK}/documents/{posted['id']}/lines", {"product_id": shop["bread"]},
         "A posted document cannot be edited: cancel it and make a new one."),
        ("DELETE", f"{STOCK}/documents/{posted['id']}", None, "A posted document cannot be deleted: cancel it instead."),
        ("POST", f"{STOCK}/documents/{draft['id']}/cancel", None,
         "Only a posted document can be cancelled; a draft can be deleted."),
    ]
    for method, url, body, message in attempts:
        response = api.send(method, url, json=body)
        # then each is refused as a conflict, saying what to do instead
        assert response.status_code == 409, (method, url, response.text)
        assert response.json()["error"] == {"code": "conflict", "message": message, "fields": {}}
    # and nothing changed
    assert _state(api, shop) == before
    # when the draft is replaced, then deleted, it is gone; the posted one, cancelled twice, is cancelled once
    replaced = api.put(f"{STOCK}/documents/{draft['id']}", json={"kind": "receipt", "warehouse_id": shop["warehouse"],
                                                                  "comment": "пусто"})
    assert replaced.status_code == 200 and replaced.json()["lines_count"] == 0 and replaced.json()["comment"] == "пусто"
    changed = api.put(f"{STOCK}/documents/{draft['id']}", json={"kind": "count", "warehouse_id": shop["warehouse"]})
    assert changed.status_code == 422 and changed.json()["error"]["fields"] == {"kind": "A document's kind cannot be changed."}
    assert api.delete(f"{STOCK}/documents/{draft['id']}").status_code == 204
    assert api.get(f"{STOCK}/documents/{draft['id']}").status_code == 404
    assert api.post(f"{STOCK}/documents/{posted['id']}/cancel").status_code == 200
    again = api.post(f"{STOCK}/documents/{posted['id']}/cancel")
    assert again.status_code == 409 and again.json()["error"]["message"] == "The document is cancelled already."
    assert _quantities(api, shop)["Молоко"] == (0, "0.00")


def test_another_accounts_stock_is_not_found(api, shop, stranger):
    # given the owner's posted receipt
    document = _receipt(api, shop, ("milk", 1000, "50.00"))
    api.post(f"{STOCK}/documents/{document['id']}/post")
    before = _state(api, shop)
    supplier = api.post(f"{STOCK}/suppliers", json={"name": "ООО «Свой»"}).json()
    # when another account's owner reads or changes any of it
    url = f"{STOCK}/documents/{document['id']}"
    for method, path, body in [
        ("GET", url, None), ("PUT", url, {"kind": "receipt", "warehouse_id": shop["warehouse"]}), ("DELETE", url, None),
        ("POST", f"{url}/post", None), ("POST", f"{url}/cancel", None), ("POST", f"{url}/lines", {"product_id": shop["milk"]}),
        ("GET", f"{STOCK}/balances?warehouse_id={shop['warehouse']}", None),
        ("GET", f"{STOCK}/movements?warehouse_id={shop['warehouse']}&start=2026-01-01T00:00:00Z&end=2100-01-01T00:00:00Z",
         None),
        ("PUT", f"{STOCK}/points/{shop['point']['id']}", {"warehouse_id": None}),
        ("DELETE", f"{STOCK}/points/{shop['point']['id']}", None),
        ("PUT", f"{STOCK}/suppliers/{supplier['id']}", {"name": "Чужой"}),
        ("POST", f"{STOCK}/suppliers/{supplier['id']}/archive", None),
        ("GET", f"{STOCK}/documents/not-an-id", None),
    ]:
        response = stranger.send(method, path, json=body)
        # then it is not found, as if it did not exist
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["error"]["code"] == "not_found"
    # and its own lists hold nothing of the owner's
    assert stranger.get(f"{STOCK}/documents").json() == {"items": [], "next_cursor": None}
    assert stranger.get(f"{STOCK}/warehouses").json() == []
    assert stranger.get(f"{STOCK}/suppliers").json() == []
    # a document naming the owner's warehouse is refused on that field
    foreign = stranger.post(f"{STOCK}/documents", json={"kind": "count", "warehouse_id": shop["warehouse"]})
    assert foreign.status_code == 422 and foreign.json()["error"]["fields"] == {"warehouse_id": "Warehouse not found."}
    # and nothing of the owner's changed
    assert _state(api, shop) == before
    assert api.get(f"{STOCK}/suppliers").json()[0]["name"] == "ООО «Свой»"


def test_the_start_plan_has_no_warehouse(db, new_browser):
    # given an owner on the start plan with a point
    create_owner(db, email="small@shop.ru", plan="start")
    api = Api(sign_in(new_browser(), "small@shop.ru"))
    point = api.post("/api/v1/points", json=point_json()).json()
    # when they make a warehouse, switch the point's stock on, or add a supplier
    for method, url, body in [("POST", f"{STOCK}/warehouses", {"name": "Склад"}),
                              ("PUT", f"{STOCK}/points/{point['id']}", {"warehouse_id": None}),
                              ("POST", f"{STOCK}/suppliers", {"name": "ООО «Поставщик»"})]:
        response = api.send(method, url, json=body)
        # then the plan refuses it, naming the feature
        assert response.status_code == 402, response.text
        error = response.json()["error"]
        assert error["code"] == "plan_limit" and "Upgrade the plan" in error["message"]
    # and nothing was made
    assert api.get(f"{STOCK}/warehouses").json() == []
    assert api.get(f"{STOCK}/suppliers").json() == []


def test_warehouses_points_and_suppliers(api, shop):
    # a central store serving no point, then the point moved onto it and off again
    store = api.post(f"{STOCK}/warehouses", json={"name": "Склад"})
    assert store.status_code == 201, store.text
    assert [w["name"] for w in api.get(f"{STOCK}/warehouses").json()] == ["Магазин на Ленина", "Склад"]
    moved = api.put(f"{STOCK}/points/{shop['point']['id']}", json={"warehouse_id": store.json()["id"]})
    assert moved.json() == {"point_id": shop["point"]["id"], "warehouse": store.json()}
    assert api.delete(f"{STOCK}/points/{shop['point']['id']}").status_code == 204
    assert api.post(f"{STOCK}/warehouses", json={"name": " "}).json()["error"]["fields"] == {"name": "Required."}
    # suppliers: a twin INN is refused on its field; search; archive and restore
    first = api.post(f"{STOCK}/suppliers", json={"name": "ООО «Молочник»", "inn": "7707083893", "email": "Milk@Shop.ru"}).json()
    assert first["email"] == "milk@shop.ru"
    twin = api.post(f"{STOCK}/suppliers", json={"name": "ИП Двойник", "inn": "7707083893"})
    assert twin.status_code == 422
    assert twin.json()["error"]["fields"] == {"inn": "The supplier «ООО «Молочник»» has this INN already."}
    bad = api.post(f"{STOCK}/suppliers", json={"name": "ИП Ошибка", "inn": "123", "kpp": "12"})
    assert set(bad.json()["error"]["fields"]) == {"inn", "kpp"}
    api.post(f"{STOCK}/suppliers", json={"name": "ИП Хлебов"})
    assert [s["name"] for s in api.get(f"{STOCK}/suppliers", search="хлеб").json()] == ["ИП Хлебов"]
    assert [s["name"] for s in api.get(f"{STOCK}/suppliers", search="7707").json()] == ["ООО «Молочник»"]
    renamed = api.put(f"{STOCK}/suppliers/{first['id']}", json={"name": "ООО «Молочник-2»", "inn": "7707083893"})
    assert renamed.status_code == 200 and renamed.json()["name"] == "ООО «Молочник-2»"
    assert api.post(f"{STOCK}/suppliers/{first['id']}/archive").json()["archived"] is True
    assert [s["name"] for s in api.get(f"{STOCK}/suppliers").json()] == ["ИП Хлебов"]
    assert [s["name"] for s in api.get(f"{STOCK}/suppliers", archived="true").json()] == ["ООО «Молочник-2»"]
    assert api.post(f"{STOCK}/suppliers/{first['id']}/restore").json()["archived"] is False


def test_lists_refuse_what_they_cannot_read(api, shop):
    # a damaged page link, an unknown filter or kind, a period without its end or time zone: named by field
    for url, params, field in [
        (f"{STOCK}/documents", {"before": "garbage"}, "before"),
        (f"{STOCK}/documents", {"kind": "inventory"}, "kind"),
        (f"{STOCK}/balances", {"warehouse_id": shop["warehouse"], "only": "cheap"}, "only"),
        (f"{STOCK}/balances", {"warehouse_id": shop["warehouse"], "cursor": "garbage"}, "cursor"),
        (f"{STOCK}/balances", {}, "warehouse_id"),
        (f"{STOCK}/movements", {"start": "2026-11-01T00:00:00+03:00"}, "end"),
        (f"{STOCK}/movements", {"start": "2026-11-01T00:00:00", "end": "2026-12-01T00:00:00+03:00"}, "start"),
        (f"{STOCK}/movements", {**_period(), "kind": "theft"}, "kind"),
    ]:
        response = api.get(url, **params)
        assert response.status_code == 422, (url, params, response.text)
        assert field in response.json()["error"]["fields"], (url, params, response.text)
    # pages follow one another by their cursors
    for number in range(3):
        _receipt(api, shop, ("milk", 1000 + number, "1.00"))
    first = api.get(f"{STOCK}/balances", warehouse_id=shop["warehouse"], limit=1).json()
    second = api.get(f"{STOCK}/balances", warehouse_id=shop["warehouse"], limit=1, cursor=first["next_cursor"]).json()
    assert [first["items"][0]["name"], second["items"][0]["name"], second["next_cursor"]] == ["Молоко", "Хлеб", None]
