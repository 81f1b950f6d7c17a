"""The catalog's JSON API as a program sees it: product cards with money in roubles (strings out; strings or
exact JSON numbers in; kopecks behind), barcode lookup, search and cursor paging, groups, bulk changes and the
changes since a revision; other accounts and read-only roles kept out."""

from __future__ import annotations

import base64
import json
import uuid
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from openkassa.accounts.models import User
from openkassa.accounts.service import actor_of
from openkassa.catalog import service
from openkassa.catalog.api import ProductCardIn
from openkassa.catalog.schemas import BulkAction, BulkIn, ProductIn, SortKey
from openkassa.errors import Invalid, validate
from support import Api, create_owner, sign_in


@pytest.fixture
def api(owner) -> Api:
    return Api(owner)


@pytest.fixture
def point(new_point) -> dict:
    return new_point()


@pytest.fixture
def catalog(point) -> str:
    """The URL of the owner's point's catalog."""
    return f"/api/v1/catalogs/{point['catalog_id']}"


@pytest.fixture
def made(api, catalog):
    """Create a product through the API; returns its JSON."""

    def make(name: str = "Хлеб бородинский", **fields) -> dict:
        response = api.post(f"{catalog}/products", json={"name": name, **fields})
        assert response.status_code == 201, response.text
        return response.json()

    return make


def _names(response) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["name"] for item in response.json()["items"]]


@pytest.fixture
def stored(db, point):
    """The money of a product as the catalog keeps it (integer kopecks), read through the service."""

    def read(product_id: str) -> tuple[int, int, int]:
        with db.transaction() as session:
            owner_id = session.scalars(select(User.id).where(User.email == "owner@shop.ru")).one()
            actor = actor_of(session, user_id=owner_id)
            product = service.get_product(session, actor, uuid.UUID(point["catalog_id"]), uuid.UUID(product_id)).product
            return product.price, product.min_price, product.cost_price

    return read


# --- a product card -----------------------------------------------------------------------------


def test_a_new_product_comes_back_with_roubles_and_labels(api, catalog, stored):
    # when a program creates a product priced 199.90 ₽ with VAT 20% and two barcodes
    response = api.post(f"{catalog}/products", json={
        "name": "Сыр Российский", "short_name": "Сыр", "article": "SR-45", "code": "1001",
        "barcodes": ["4600000000015", "ABC-123/x"], "price": "199.90", "min_price": "150", "cost_price": 120,
        "vat": 1, "unit": 0, "kind": 1,
    })
    # then it is created, with money as roubles with two places, and the ФФД codes with their labels
    assert response.status_code == 201, response.text
    product = response.json()
    assert (product["price"], product["min_price"], product["cost_price"]) == ("199.90", "150.00", "120.00")
    assert "price_text" not in product
    assert stored(product["id"]) == (19990, 15000, 12000)
    assert (product["vat"], product["vat_label"]) == (1, "НДС 20%")
    assert (product["unit"], product["unit_label"]) == (0, "шт")
    assert (product["kind"], product["kind_label"]) == (1, "Товар")
    assert product["barcodes"] == ["4600000000015", "ABC-123/x"]
    assert product["group_id"] is None and not product["archived"] and not product["from_register"]
    assert product["revision"] > 0 and product["updated_at"]
    # and reading it again gives the same card
    assert api.get(f"{catalog}/products/{product['id']}").json() == product


def test_put_replaces_the_whole_card(api, catalog, made):
    # given a product with barcodes, an article and VAT 10%
    product = made(article="A-1", barcodes=["4600000000015"], vat=2, price="50.00", cost_price="30.00")
    # when a program puts a card that names only the name and the price
    response = api.put(f"{catalog}/products/{product['id']}", json={"name": "Хлеб белый", "price": 45})
    # then everything else takes its default: no article, no barcodes, without VAT, no purchase price
    assert response.status_code == 200, response.text
    replaced = response.json()
    assert (replaced["name"], replaced["price"], replaced["article"]) == ("Хлеб белый", "45.00", "")
    assert replaced["cost_price"] == "0.00"
    assert replaced["barcodes"] == [] and replaced["vat"] == 6
    assert replaced["revision"] > product["revision"]


def test_patch_changes_only_the_fields_given(api, catalog, made):
    # given a product in a group, with a barcode and an article
    group = api.post(f"{catalog}/groups", json={"name": "Хлеб"}).json()
    product = made(article="A-1", barcodes=["4600000000015"], group_id=group["id"], price="50.00", cost_price="30")
    # when a program changes its price
    changed = api.patch(f"{catalog}/products/{product['id']}", json={"price": "55.5"}).json()
    # then only the price changed
    assert (changed["price"], changed["cost_price"]) == ("55.50", "30.00")
    assert (changed["article"], changed["barcodes"], changed["group_id"]) == ("A-1", ["4600000000015"], group["id"])
    # and `"group_id": null` takes it out of its group
    assert api.patch(f"{catalog}/products/{product['id']}", json={"group_id": None}).json()["group_id"] is None


def test_a_deleted_product_is_gone(api, catalog, made):
    # given a product
    product = made(barcodes=["4600000000015"])
    # when it is deleted
    response = api.delete(f"{catalog}/products/{product['id']}")
    # then it answers 204 and is found neither by id nor by barcode; deleting it again is 404
    assert response.status_code == 204
    assert api.get(f"{catalog}/products/{product['id']}").status_code == 404
    assert api.get(f"{catalog}/products/by-barcode/4600000000015").status_code == 404
    assert api.delete(f"{catalog}/products/{product['id']}").status_code == 404


@pytest.mark.parametrize("code", ["4600000000015", "ABC-123/x", "(01)04600000000015"])
def test_a_product_is_found_by_its_whole_barcode(api, catalog, made, code):
    # given a product with a barcode (EAN-13, or text as Code 128 carries it)
    product = made(barcodes=[code])
    # when the barcode is looked up
    response = api.get(f"{catalog}/products/by-barcode/{code}")
    # then it is the product
    assert response.status_code == 200, response.text
    assert response.json()["id"] == product["id"]


@pytest.mark.parametrize("code", ["460000000001", "4600000000099", "a b", "x" * 65])
def test_an_unknown_or_impossible_barcode_is_not_found(api, catalog, made, code):
    made(barcodes=["4600000000015"])
    response = api.get(f"{catalog}/products/by-barcode/{code}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


# --- money: roubles at the edge, kopecks inside --------------------------------------------------


@pytest.mark.parametrize("sent", ['"199.90"', '"199.9"', "199.9", "199.90", '" 199.90 "', "1.999e2"])
def test_a_price_sent_as_a_string_or_a_json_number_comes_back_as_roubles_and_is_kept_in_kopecks(
        api, catalog, stored, sent):
    # when a program sends 199.90 ₽ in any of the spellings JSON allows
    body = '{"name": "Сыр", "price": %s, "min_price": %s}' % (sent, sent)
    response = api.send_text("POST", f"{catalog}/products", body)
    # then the answer says "199.90", and the catalog keeps 19990 kopecks
    assert response.status_code == 201, response.text
    product = response.json()
    assert (product["price"], product["min_price"]) == ("199.90", "199.90")
    assert stored(product["id"]) == (19990, 19990, 0)
    # and reading it back, or listing it, says the same
    assert api.get(f"{catalog}/products/{product['id']}").json()["price"] == "199.90"
    assert [item["price"] for item in api.get(f"{catalog}/products").json()["items"]] == ["199.90"]


@pytest.mark.parametrize(("sent", "answer", "kopecks"), [
    ("0", "0.00", 0), ('"0.01"', "0.01", 1), ("200", "200.00", 20000), ('"1000000"', "1000000.00", 100_000_000),
    ("10000000000", "10000000000.00", 10**12), ('"199.900"', "199.90", 19990), ("-0.0", "0.00", 0),
])
def test_whole_amounts_and_the_limits_come_back_with_two_places(api, catalog, stored, sent, answer, kopecks):
    response = api.send_text("POST", f"{catalog}/products", '{"name": "Сыр", "cost_price": %s}' % sent)
    assert response.status_code == 201, response.text
    assert response.json()["cost_price"] == answer
    assert stored(response.json()["id"])[2] == kopecks


def test_a_put_and_a_patch_take_json_numbers_exactly_too(api, catalog, made, stored):
    product_id = made(price="10.00")["id"]
    url = f"{catalog}/products/{product_id}"
    assert api.send_text("PUT", url, '{"name": "Сыр", "price": 0.3}').json()["price"] == "0.30"
    assert api.send_text("PATCH", url, '{"min_price": 0.1}').json()["min_price"] == "0.10"
    assert stored(product_id) == (30, 10, 0)


BAD_MONEY = {
    "three places": ('"199.999"', ["two digits of kopecks", "199.999"]),
    "three places as a number": ("199.999", ["two digits of kopecks", "199.999"]),
    "a number a float would round": ("199.999999999999999999", ["two digits of kopecks"]),  # a float says 200.0
    "a float's sum": ("0.30000000000000004", ["two digits of kopecks"]),
    "a hidden fraction": ("1e-3", ["two digits of kopecks"]),
    "negative": ("-1", ["cannot be negative", "-1"]),
    "negative as text": ('"-1"', ["cannot be negative"]),
    "negative kopecks": ('"-0.01"', ["cannot be negative"]),
    "a word": ('"abc"', ["Expected an amount in roubles", "abc"]),
    "empty": ('""', ["Expected an amount in roubles"]),
    "a comma": ('"199,90"', ["Expected an amount in roubles"]),
    "spaces inside": ('"1 000"', ["Expected an amount in roubles"]),
    "an exponent in text": ('"1e2"', ["Expected an amount in roubles"]),
    "true": ("true", ["Expected an amount in roubles", "true"]),
    "null": ("null", ["Expected an amount in roubles"]),
    "a list": ("[1]", ["Expected an amount in roubles"]),
    "an object": ('{"roubles": 1}', ["Expected an amount in roubles"]),
    "NaN": ("NaN", ["Expected an amount in roubles"]),
    "Infinity": ("Infinity", ["Expected an amount in roubles"]),
    "too large": ('"10000000000.01"', ["too large"]),
    "far too large": ("1e999999", ["too large"]),
}


@pytest.mark.parametrize(("sent", "words"), BAD_MONEY.values(), ids=BAD_MONEY.keys())
def test_a_bad_amount_is_refused_naming_the_field_and_nothing_is_written(api, catalog, made, sent, words):
    product = made("Сахар", price="90.00", free_price=True)
    before = api.get(f"{catalog}/products", archived="all").json()
    # when a program sends an amount that is not roubles and kopecks, in any money field,
    # to a new card, a whole card or a change
    for field in ("price", "min_price", "cost_price"):
        card = '{"name": "Соль", "free_price": true, "%s": %s}' % (field, sent)
        for method, url, body in [
            ("POST", f"{catalog}/products", card),
            ("PUT", f"{catalog}/products/{product['id']}", card),
            ("PATCH", f"{catalog}/products/{product['id']}", '{"name": "Соль", "%s": %s}' % (field, sent)),
        ]:
            response = api.send_text(method, url, body)
            # then it is refused, the field named with a message that says what is wrong
            assert response.status_code == 422, (method, field, response.text)
            error = response.json()["error"]
            assert error["code"] == "invalid" and list(error["fields"]) == [field], (method, error)
            for word in words:
                assert word in error["fields"][field], (method, error)
    # and the catalog is as it was
    assert api.get(f"{catalog}/products", archived="all").json() == before


def test_an_absent_amount_is_zero_on_a_card_and_unchanged_by_a_patch(api, catalog, made):
    product = made(price="12.30")
    assert (product["min_price"], product["cost_price"]) == ("0.00", "0.00")
    assert api.patch(f"{catalog}/products/{product['id']}", json={"name": "Хлеб"}).json()["price"] == "12.30"


def test_the_api_model_checks_money_given_from_python_by_the_text_of_the_float():
    # a float only reaches the model from Python code (the route reads JSON numbers as Decimal);
    # its shortest text is taken, so 199.9 is 199.90 and the float sum 0.1 + 0.2 is refused
    assert ProductCardIn.model_validate({"name": "Сыр", "price": 199.9}).price == Decimal("199.90")
    with pytest.raises(Invalid) as refused:
        validate(ProductCardIn, {"name": "Сыр", "price": 0.1 + 0.2})
    assert list(refused.value.fields) == ["price"]


def test_other_numbers_of_a_card_are_read_as_before(api, catalog):
    # JSON numbers with a point reach every field as exact decimals: a whole one still names a VAT code
    response = api.send_text("POST", f"{catalog}/products", '{"name": "Сыр", "vat": 1.0}')
    assert response.status_code == 201 and response.json()["vat"] == 1, response.text
    refused = api.send_text("POST", f"{catalog}/products", '{"name": "Сыр", "vat": 1.5}')
    assert refused.status_code == 422 and "vat" in refused.json()["error"]["fields"]
    broken = api.send_text("POST", f"{catalog}/products", '{"name": "Сыр", "price": 1.')
    assert broken.status_code == 422, broken.text


# --- refusals -----------------------------------------------------------------------------------

REFUSALS = {
    "EAN-13 check digit": ({"barcodes": ["4600000000016"]}, "barcodes", ["4600000000016", "EAN-13", "5"]),
    "EAN-8 check digit": ({"barcodes": ["46009334"]}, "barcodes", ["46009334", "EAN-8", "3"]),
    "UPC-A check digit": ({"barcodes": ["036000291453"]}, "barcodes", ["036000291453", "UPC-A", "2"]),
    "barcode twice": ({"barcodes": ["4600000000015", "4600000000015"]}, "barcodes", ["4600000000015", "twice"]),
    "name of 129": ({"name": "Я" * 129}, "name", ["128"]),
    "empty name": ({"name": "  "}, "name", ["Required"]),
    "negative price": ({"price": -1}, "price", ["cannot be negative"]),
    "price with three decimals": ({"price": "199.999"}, "price", ["two digits of kopecks"]),
    "price as a word": ({"price": "abc"}, "price", ["Expected an amount in roubles"]),
    "unknown VAT": ({"vat": 99}, "vat", ["Choose one of the offered values"]),
    "unknown unit": ({"unit": 3}, "unit", ["Choose one of the offered values"]),
    "min price above price": ({"price": "1.00", "min_price": "2.00"}, "__all__", ["minimum price"]),
    "by weight in pieces": ({"by_weight": True, "unit": 0}, "__all__", ["by weight"]),
    "unknown field": ({"colour": "red"}, "colour", ["Unknown field"]),
}


@pytest.mark.parametrize("change", REFUSALS.values(), ids=REFUSALS.keys())
def test_a_bad_card_is_refused_naming_the_field_and_nothing_is_written(api, catalog, change):
    body, field, words = change
    # when a program sends a card with one mistake
    response = api.post(f"{catalog}/products", json={"name": "Сахар", "price": "90.00", **body})
    # then it is refused with the field and a message that says what is wrong
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid" and field in error["fields"], error
    for word in words:
        assert word in error["fields"][field]
    # and the catalog is still empty
    assert _names(api.get(f"{catalog}/products", archived="all")) == []


def test_a_change_is_checked_as_a_whole_card(api, catalog, made):
    # given a product sold for at least 50.00 ₽
    product = made(price="60.00", min_price="50.00")
    # when its price is patched below the minimum
    response = api.patch(f"{catalog}/products/{product['id']}", json={"price": "40.00"})
    # then the change is refused and the price is as it was
    assert response.status_code == 422
    assert "minimum price" in response.json()["error"]["fields"]["__all__"]
    assert api.get(f"{catalog}/products/{product['id']}").json()["price"] == "60.00"


def test_a_barcode_or_code_of_another_product_is_refused_naming_that_product(api, catalog, made):
    # given «Хлеб» with code 1001 and a barcode
    bread = made("Хлеб", code="1001", barcodes=["4600000000015"])
    # when another product takes the same barcode, or the same code
    by_barcode = api.post(f"{catalog}/products", json={"name": "Батон", "barcodes": ["4600000000015"]})
    by_code = api.post(f"{catalog}/products", json={"name": "Батон", "code": "1001"})
    # then each is refused, naming the code and the product that has it
    assert by_barcode.status_code == 422 and by_code.status_code == 422
    assert by_barcode.json()["error"]["fields"]["barcodes"] == "Barcode 4600000000015 belongs to «Хлеб»."
    assert by_code.json()["error"]["fields"]["code"] == "Code 1001 belongs to «Хлеб»."
    # and a product may keep its own code and barcode when it is saved again
    again = api.put(f"{catalog}/products/{bread['id']}", json={"name": "Хлеб", "code": "1001", "barcodes": ["4600000000015"]})
    assert again.status_code == 200, again.text


def test_errors_come_in_russian_for_a_russian_client(new_browser, owner, catalog):
    russian = Api(sign_in(new_browser("ru"), "owner@shop.ru"))
    response = russian.post(f"{catalog}/products", json={"name": "Сахар", "barcodes": ["4600000000016"]})
    assert response.status_code == 422
    assert "4600000000016" in response.json()["error"]["fields"]["barcodes"]
    assert "контрольн" in response.json()["error"]["fields"]["barcodes"]
    money = russian.post(f"{catalog}/products", json={"name": "Сахар", "price": "199.999"})
    assert money.json()["error"]["fields"]["price"] == "В сумме не больше двух знаков копеек: «199.999»."


# --- listing: search, filters, cursor paging ----------------------------------------------------


@pytest.fixture
def grocery(made) -> dict[str, dict]:
    return {
        "milk": made("Молоко «Простоквашино» 3,2%", barcodes=["4607001770015"], price="89.00"),
        "hedgehog": made("Ёжик в тумане, мармелад", price="150.00"),
        "bread": made("Хлеб бородинский", barcodes=["4600000000015"], price="59.90"),
    }


@pytest.mark.parametrize(("q", "found"), [
    ("простоквашино", ["Молоко «Простоквашино» 3,2%"]),  # a word in the middle of the name
    ("ТУМАНЕ", ["Ёжик в тумане, мармелад"]),  # any case
    ("ежик", ["Ёжик в тумане, мармелад"]),  # е finds ё
    ("Ёжик", ["Ёжик в тумане, мармелад"]),
    ("бород хлеб", ["Хлеб бородинский"]),  # starts of words, in any order
    ("460700", ["Молоко «Простоквашино» 3,2%"]),  # the start of a barcode
    ("шоколад", []),
])
def test_search_finds_by_words_and_by_the_start_of_a_barcode(api, catalog, grocery, q, found):
    assert _names(api.get(f"{catalog}/products", q=q)) == found


def test_archived_products_are_listed_only_when_asked(api, catalog, made):
    made("Квас")
    made("Старый квас", archived=True)
    assert _names(api.get(f"{catalog}/products")) == ["Квас"]
    assert _names(api.get(f"{catalog}/products", archived="true")) == ["Старый квас"]
    assert _names(api.get(f"{catalog}/products", archived="all")) == ["Квас", "Старый квас"]


def test_a_group_filter_lists_the_groups_products(api, catalog, made):
    dairy = api.post(f"{catalog}/groups", json={"name": "Молочное"}).json()
    made("Кефир", group_id=dairy["id"])
    made("Хлеб")
    assert _names(api.get(f"{catalog}/products", group_id=dairy["id"])) == ["Кефир"]


@pytest.mark.parametrize(("params", "field"), [
    ({"limit": 501}, "limit"), ({"limit": 0}, "limit"), ({"sort": "colour"}, "sort"),
    ({"cursor": "not-a-cursor"}, "cursor"), ({"archived": "maybe"}, "archived"),
])
def test_bad_list_parameters_are_refused_naming_them(api, catalog, params, field):
    response = api.get(f"{catalog}/products", **params)
    assert response.status_code == 422
    assert field in response.json()["error"]["fields"]


def _cursor(value, last_id: str = "01a21c39-8161-7d88-9878-de80261fd432") -> str:
    return base64.urlsafe_b64encode(json.dumps([value, last_id]).encode()).decode().rstrip("=")


@pytest.mark.parametrize(("sort", "cursor"), [
    ("name", _cursor("Хлеб\x00")), ("price", _cursor(10**30)), ("price", _cursor("100")),
    ("updated", _cursor("2026-11-27T10:00:00")), ("updated", _cursor("вчера")), ("name", _cursor("Хлеб", "нет")),
])
def test_a_tampered_cursor_is_refused_not_a_server_error(api, catalog, made, sort, cursor):
    made("Хлеб")
    response = api.get(f"{catalog}/products", sort=sort, cursor=cursor)
    assert response.status_code == 422, response.text
    assert "cursor" in response.json()["error"]["fields"]


@pytest.fixture
def many_products(db, point) -> int:
    """250 products with many equal names, prices, articles and change times (ties that paging must break)."""
    with db.transaction() as session:
        actor = actor_of(session, user_id=session.scalars(select(User.id).where(User.email == "owner@shop.ru")).one())
        catalog_id = uuid.UUID(point["catalog_id"])
        ids = [service.create_product(session, actor, catalog_id, ProductIn(
            name=f"Товар {n % 17}", price=(n % 7) * 1000, article="" if n % 3 else f"A{n % 5}",
            code="" if n % 2 else f"C{n:04}", archived=n % 50 == 0,
        )).product.id for n in range(250)]
        # one statement stamps half of them with the same time
        service.bulk_change(session, actor, catalog_id, BulkIn(action=BulkAction.VAT, vat=1, product_ids=ids[::2]))
    return 250


@pytest.mark.parametrize("sort", list(SortKey))
def test_cursor_paging_walks_every_product_once_in_every_order(api, catalog, many_products, sort):
    def walk(descending: bool) -> list[str]:
        seen, cursor = [], None
        while True:
            params = {"sort": sort.value, "desc": str(descending).lower(), "limit": 40, "archived": "all"}
            page = api.get(f"{catalog}/products", **params, **({"cursor": cursor} if cursor else {})).json()
            assert len(page["items"]) <= 40
            seen += [item["id"] for item in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                return seen

    # when a program pages through the catalog 40 at a time, one way and the other
    ascending, descending = walk(False), walk(True)
    # then it sees every product exactly once, and the other way round is the exact reverse
    assert len(ascending) == len(set(ascending)) == many_products
    assert descending == ascending[::-1]


def test_paging_follows_the_sort_values(api, catalog, many_products):
    page = api.get(f"{catalog}/products", sort="price", desc="true", limit=500, archived="all").json()
    prices = [Decimal(item["price"]) for item in page["items"]]
    assert prices == sorted(prices, reverse=True) and page["next_cursor"] is None
    assert prices[0] == Decimal("60.00") and page["items"][0]["price"] == "60.00"  # 6000 kopecks


# --- groups -------------------------------------------------------------------------------------


def test_groups_form_a_tree_that_can_be_renamed_and_deleted(api, catalog, made):
    # given «Молочное» with «Сыры» inside, and a cheese in «Сыры»
    dairy = api.post(f"{catalog}/groups", json={"name": "Молочное"}).json()
    cheese_group = api.post(f"{catalog}/groups", json={"name": "Сыры", "parent_id": dairy["id"]}).json()
    api.post(f"{catalog}/groups", json={"name": "Бакалея"})
    cheese = made("Сыр Российский", group_id=cheese_group["id"])
    # then the tree lists them by name, subgroups inside
    tree = api.get(f"{catalog}/groups").json()
    assert [(node["name"], [child["name"] for child in node["children"]]) for node in tree] == [
        ("Бакалея", []), ("Молочное", ["Сыры"])]
    # when «Сыры» is renamed
    renamed = api.patch(f"{catalog}/groups/{cheese_group['id']}", json={"name": "Сыры твёрдые"})
    assert renamed.status_code == 200 and renamed.json()["name"] == "Сыры твёрдые"
    # and «Молочное» is deleted
    assert api.delete(f"{catalog}/groups/{dairy['id']}").status_code == 204
    # then both groups are gone, and the cheese stays, out of any group
    assert [node["name"] for node in api.get(f"{catalog}/groups").json()] == ["Бакалея"]
    assert api.get(f"{catalog}/products/{cheese['id']}").json()["group_id"] is None
    # and a register asking for the changes learns of both deletions
    deleted = api.get(f"{catalog}/changes", since=cheese["revision"]).json()["deleted"]
    assert sorted(deleted, key=lambda d: d["id"]) == sorted(
        [{"kind": "group", "id": dairy["id"]}, {"kind": "group", "id": cheese_group["id"]}], key=lambda d: d["id"])


@pytest.mark.parametrize(("body", "field"), [
    ({"name": ""}, "name"), ({"name": "Ю" * 129}, "name"), ({"name": "Бакалея"}, "name"),
])
def test_a_bad_group_name_is_refused(api, catalog, body, field):
    api.post(f"{catalog}/groups", json={"name": "Бакалея"})
    created = api.post(f"{catalog}/groups", json=body)
    assert created.status_code == 422 and field in created.json()["error"]["fields"]


def test_a_group_rename_is_checked_too(api, catalog):
    groceries = api.post(f"{catalog}/groups", json={"name": "Бакалея"}).json()
    api.post(f"{catalog}/groups", json={"name": "Напитки"})
    for name in ("", "Ю" * 129, "напитки"):
        response = api.patch(f"{catalog}/groups/{groceries['id']}", json={"name": name})
        assert response.status_code == 422 and "name" in response.json()["error"]["fields"], name
    assert api.patch(f"{catalog}/groups/{groceries['id']}", json={"name": "БАКАЛЕЯ"}).json()["name"] == "БАКАЛЕЯ"


# --- bulk changes -------------------------------------------------------------------------------


def test_bulk_changes_move_set_vat_archive_restore_and_delete(api, catalog, made):
    # given three products and a group
    ids = [made(name)["id"] for name in ("Чай", "Кофе", "Какао")]
    drinks = api.post(f"{catalog}/groups", json={"name": "Напитки"}).json()

    def bulk(action: str, product_ids: list[str], **extra) -> int:
        response = api.post(f"{catalog}/products/bulk", json={"action": action, "product_ids": product_ids, **extra})
        assert response.status_code == 200, response.text
        return response.json()["changed"]

    # when two are moved to the group and given VAT 10%
    assert bulk("move", ids[:2], group_id=drinks["id"]) == 2
    assert bulk("vat", ids[:2], vat=2) == 2
    # then they are in the group with the new VAT
    moved = api.get(f"{catalog}/products", group_id=drinks["id"]).json()["items"]
    assert [(p["name"], p["vat"], p["vat_label"]) for p in moved] == [("Кофе", 2, "НДС 10%"), ("Чай", 2, "НДС 10%")]
    # when all three are archived, then the list is empty; restored, they are back
    assert bulk("archive", ids) == 3 and _names(api.get(f"{catalog}/products")) == []
    assert bulk("restore", ids[2:]) == 1 and _names(api.get(f"{catalog}/products")) == ["Какао"]
    # when moved out of any group, then they have none
    assert bulk("move", ids[:1], group_id=None) == 1
    assert api.get(f"{catalog}/products/{ids[0]}").json()["group_id"] is None
    # when two are deleted, then one is left
    assert bulk("delete", ids[:2]) == 2
    assert _names(api.get(f"{catalog}/products", archived="all")) == ["Какао"]


def test_bulk_vat_without_a_rate_is_refused(api, catalog, made):
    product = made()
    response = api.post(f"{catalog}/products/bulk", json={"action": "vat", "product_ids": [product["id"]]})
    assert response.status_code == 422


# --- changes since a revision -------------------------------------------------------------------


def test_changes_since_a_revision_bring_exactly_what_changed(api, catalog, made):
    # given a catalog a register has synced
    tea, coffee, cocoa = made("Чай"), made("Кофе"), made("Какао")
    synced = api.get(f"{catalog}/changes").json()
    assert {p["name"] for p in synced["products"]} == {"Чай", "Кофе", "Какао"} and synced["deleted"] == []
    # when the tea's price changes, the coffee is deleted and a group is added
    api.patch(f"{catalog}/products/{tea['id']}", json={"price": "100.00"})
    api.delete(f"{catalog}/products/{coffee['id']}")
    group = api.post(f"{catalog}/groups", json={"name": "Напитки"}).json()
    # then the changes since the register's revision hold exactly that
    changes = api.get(f"{catalog}/changes", since=synced["revision"]).json()
    assert [(p["name"], p["price"]) for p in changes["products"]] == [("Чай", "100.00")]
    assert changes["deleted"] == [{"kind": "product", "id": coffee["id"]}]
    assert [g["name"] for g in changes["groups"]] == ["Напитки"] and changes["groups"][0]["id"] == group["id"]
    assert changes["revision"] > synced["revision"]
    # and asking again from the new revision brings nothing
    assert api.get(f"{catalog}/changes", since=changes["revision"]).json() == {
        "revision": changes["revision"], "products": [], "groups": [], "deleted": []}
    assert cocoa["id"] not in {p["id"] for p in changes["products"]}


# --- who may do what ----------------------------------------------------------------------------


@pytest.fixture
def stranger(db, new_browser) -> Api:
    """The signed-in owner of another account, with a point and a product of their own."""
    create_owner(db, email="stranger@other.ru", plan="standard", company="ООО «Чужие»")
    return Api(sign_in(new_browser(), "stranger@other.ru"))


@pytest.fixture
def strangers_catalog(stranger) -> str:
    point = stranger.post("/api/v1/points", json={
        "name": "Чужая точка", "address": "ул. Бета, 1", "inn": "7707083893", "tax_systems": [2],
        "default_tax_system": 2}).json()
    return f"/api/v1/catalogs/{point['catalog_id']}"


def _attempts(catalog: str, product: str, group: str) -> list[tuple[str, str, dict | None]]:
    """Every call of the catalog API, aimed at a catalog, a product and a group."""
    return [
        ("GET", f"{catalog}/products", None),
        ("POST", f"{catalog}/products", {"name": "Захвачено"}),
        ("GET", f"{catalog}/products/{product}", None),
        ("PUT", f"{catalog}/products/{product}", {"name": "Захвачено"}),
        ("PATCH", f"{catalog}/products/{product}", {"name": "Захвачено"}),
        ("DELETE", f"{catalog}/products/{product}", None),
        ("GET", f"{catalog}/products/by-barcode/4600000000015", None),
        ("POST", f"{catalog}/products/bulk", {"action": "archive", "product_ids": [product]}),
        ("POST", f"{catalog}/products/upsert", {"products": [{"code": "X-1", "name": "Захвачено"}]}),
        ("GET", f"{catalog}/groups", None),
        ("POST", f"{catalog}/groups", {"name": "Захвачено"}),
        ("POST", f"{catalog}/groups", {"name": "Захвачено", "parent_id": group}),
        ("PATCH", f"{catalog}/groups/{group}", {"name": "Захвачено"}),
        ("DELETE", f"{catalog}/groups/{group}", None),
        ("POST", f"{catalog}/products/bulk", {"action": "move", "product_ids": [product], "group_id": group}),
        ("GET", f"{catalog}/changes", None),
    ]


@pytest.fixture
def owners_things(api, catalog, made) -> tuple[str, str, dict]:
    group = api.post(f"{catalog}/groups", json={"name": "Свои"}).json()
    product = made("Свой хлеб", barcodes=["4600000000015"], group_id=group["id"])
    return product["id"], group["id"], product


def test_another_account_gets_404_for_the_catalog_and_everything_in_it(api, catalog, owners_things, stranger):
    product_id, group_id, product = owners_things
    # when another account calls every URL of the owner's catalog
    for method, url, body in _attempts(catalog, product_id, group_id):
        response = stranger.send(method, url, body)
        # then each answers 404, as for a catalog that does not exist
        assert response.status_code == 404, (method, url, response.text)
        assert response.json()["error"]["code"] == "not_found"
    # and the owner's product and group are as they were
    assert api.get(f"{catalog}/products/{product_id}").json() == product
    assert [node["name"] for node in api.get(f"{catalog}/groups").json()] == ["Свои"]


def test_another_accounts_ids_in_ones_own_catalog_find_nothing(api, catalog, owners_things, stranger, strangers_catalog):
    product_id, group_id, product = owners_things
    # when another account names the owner's product and group through its own catalog
    for method, url, body in _attempts(strangers_catalog, product_id, group_id):
        response = stranger.send(method, url, body)
        if "/bulk" in url and body["action"] == "archive":
            # then a bulk change touches nothing
            assert response.json() == {"changed": 0}
        elif url.endswith(("/products", "/groups", "/changes", "/upsert")) and (body is None or "parent_id" not in body):
            assert response.status_code in (200, 201)  # its own catalog, its own things
        else:
            # and everything else is not found
            assert response.status_code == 404, (method, url, response.text)
    # and the owner's product is untouched
    assert api.get(f"{catalog}/products/{product_id}").json() == product


def test_a_mangled_id_is_not_found(api, catalog):
    assert api.get(f"{catalog}/products/not-an-id").status_code == 404
    assert api.get("/api/v1/catalogs/not-an-id/products").status_code == 404


# --- the bulk upsert -----------------------------------------------------------------------------------


def _upsert(api, catalog, *cards, status: int = 200):
    response = api.post(f"{catalog}/products/upsert", json={"products": list(cards)})
    assert response.status_code == status, response.text
    return response.json()


def test_an_upsert_creates_cards_by_code_and_the_same_request_again_changes_nothing(api, catalog):
    # given three cards of a shop's program, each with its internal code
    cards = [{"code": "M-1", "name": "Молоко", "price": "89.90", "vat": 2, "barcodes": ["4600000000022"]},
             {"code": "M-2", "name": "Кефир", "price": 94.5},
             {"code": "B-1", "name": "Хлеб", "price": "45"}]
    # when they are upserted into an empty catalog
    first = _upsert(api, catalog, *cards)
    # then three products are created, answered in the order sent with their ids
    assert (first["created"], first["updated"], first["unchanged"]) == (3, 0, 0)
    assert [(item["code"], item["outcome"]) for item in first["products"]] == [("M-1", "new"), ("M-2", "new"), ("B-1", "new")]
    milk = api.get(f"{catalog}/products/{first['products'][0]['id']}").json()
    assert (milk["name"], milk["price"], milk["barcodes"]) == ("Молоко", "89.90", ["4600000000022"])
    # when the same request comes again (a retry), then nothing changes, not even the revision
    # registers sync by, and the same products answer
    revision = api.get(f"{catalog}/changes").json()["revision"]
    again = _upsert(api, catalog, *cards)
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 3)
    assert api.get(f"{catalog}/changes").json()["revision"] == revision
    assert [item["id"] for item in again["products"]] == [item["id"] for item in first["products"]]
    assert len(api.get(f"{catalog}/products").json()["items"]) == 3


def test_an_upsert_replaces_the_card_found_by_its_code(api, catalog, made):
    # given a product with a code, and one without
    made("Молоко", code="M-1", price="89.90", barcodes=["4600000000022"])
    made("Соль", price="20.00")
    # when a card with the same code and a new price and barcode is upserted
    answer = _upsert(api, catalog, {"code": "M-1", "name": "Молоко 3,2%", "price": "99.90", "barcodes": ["4600000000039"]})
    # then that product changes, whole, and the other stays
    assert (answer["created"], answer["updated"]) == (0, 1)
    products = {item["name"]: item for item in api.get(f"{catalog}/products").json()["items"]}
    assert set(products) == {"Молоко 3,2%", "Соль"}
    assert (products["Молоко 3,2%"]["price"], products["Молоко 3,2%"]["barcodes"]) == ("99.90", ["4600000000039"])


@pytest.mark.parametrize(("cards", "field", "message"), [
    ([{"code": "A-1", "name": "Один"}, {"code": "A-1", "name": "Два"}], "products.1.code", "row 1"),
    ([{"name": "Без кода"}], "products.0.code", "internal code"),
    ([{"code": "A-1", "name": "Один", "barcodes": ["4600000000022"]},
      {"code": "A-2", "name": "Два", "barcodes": ["4600000000022"]}], "products.1.barcodes", "4600000000022"),
    ([{"code": "A-1", "name": "Один"}, {"code": "A-2", "name": "Два", "price": "10", "min_price": "20"}],
     "products.1.__all__", "minimum price"),
    ([{"code": "A-1", "name": "Один", "price": "-1"}], "products.0.price", "negative"),
    ([{"code": "A-1", "name": "Один", "group_id": str(uuid.uuid4())}], "products.0.group_id", "Not found"),
    ([{"code": "A-1", "name": "Один", "barcodes": ["4600000000021"]}], "products.0.barcodes", "check digit"),
])
def test_a_bad_card_refuses_the_whole_upsert_naming_the_card_and_field(api, catalog, made, cards, field, message):
    # given a catalog with one product
    made("Старый", code="OLD", price="1.00")
    # when a batch with a bad card is upserted
    error = _upsert(api, catalog, *cards, status=422)["error"]
    # then the card and its field are named, and nothing of the batch is written
    assert message in error["fields"][field], error
    assert [item["name"] for item in api.get(f"{catalog}/products").json()["items"]] == ["Старый"]


def test_a_barcode_of_another_product_is_refused_naming_it(api, catalog, made):
    made("Молоко", code="M-1", barcodes=["4600000000022"])
    error = _upsert(api, catalog, {"code": "K-1", "name": "Кефир", "barcodes": ["4600000000022"]}, status=422)["error"]
    assert "Молоко" in error["fields"]["products.0.barcodes"]


def test_an_upsert_of_more_than_ten_thousand_cards_is_refused(api, catalog):
    cards = [{"code": f"C-{n}", "name": "Товар"} for n in range(10_001)]
    error = _upsert(api, catalog, *cards, status=422)["error"]
    assert "products" in error["fields"]
    assert api.get(f"{catalog}/products").json()["items"] == []


@pytest.fixture
def accountant(api, new_browser, mailbox, point) -> Api:
    """A colleague invited as an accountant, who accepted the invitation and is signed in."""
    assert api.post("/api/v1/users", json={"email": "buh@shop.ru", "role": "accountant"}).status_code == 201
    browser = new_browser()
    response = browser.submit(mailbox.last_link("buh@shop.ru"), {
        "name": "Бухгалтер", "phone": "+79001112233", "password": "long enough pw"})
    assert response.status_code == 303, response.text
    return Api(browser)


def test_an_accountant_reads_the_catalog_but_changes_nothing(api, catalog, owners_things, accountant):
    product_id, group_id, product = owners_things
    # when the accountant reads, then they see what the owner sees
    assert accountant.get(f"{catalog}/products").json() == api.get(f"{catalog}/products").json()
    for method, url, body in _attempts(catalog, product_id, group_id):
        response = accountant.send(method, url, body)
        if method == "GET":
            assert response.status_code == 200, (url, response.text)
        else:
            # and every change is refused for their role
            assert response.status_code == 403, (method, url, response.text)
            assert response.json()["error"]["code"] == "forbidden"
    assert api.get(f"{catalog}/products/{product_id}").json() == product
    assert [node["name"] for node in api.get(f"{catalog}/groups").json()] == ["Свои"]


def test_a_change_without_the_csrf_header_is_refused(owner, catalog):
    response = owner.post(f"{catalog}/products", json={"name": "Хлеб"})
    assert response.status_code == 403


def test_a_program_signs_in_with_http_basic(app, catalog, made):
    # given a program that holds the owner's e-mail and password, and no browser session
    made("Хлеб")
    credentials = base64.b64encode(b"owner@shop.ru:correct horse 1").decode()
    with TestClient(app) as program:
        headers = {"Authorization": f"Basic {credentials}"}
        assert [p["name"] for p in program.get(f"{catalog}/products", headers=headers).json()["items"]] == ["Хлеб"]
        created = program.post(f"{catalog}/products", json={"name": "Батон", "price": "45.00"}, headers=headers)
        assert created.status_code == 201, created.text
        assert created.json()["price"] == "45.00"


# --- points and catalogs ------------------------------------------------------------------------


def test_two_points_sharing_a_catalog_see_the_same_products(api, point, new_point, made):
    # given a second point created to share the first point's catalog
    response = api.post("/api/v1/points", json={
        "name": "Киоск", "address": "ул. Ленина, 2", "inn": "7707083893", "tax_systems": [2], "default_tax_system": 2,
        "catalog": "shared", "catalog_source_point_id": point["id"]})
    assert response.status_code == 201, response.text
    kiosk = response.json()
    assert kiosk["catalog_id"] == point["catalog_id"]
    # when a product is added through the catalog of one
    made("Газета", price="30.00")
    # then the catalog of the other lists it, and a point with a catalog of its own does not
    assert _names(api.get(f"/api/v1/catalogs/{kiosk['catalog_id']}/products")) == ["Газета"]
    own = new_point("Свой магазин")
    assert _names(api.get(f"/api/v1/catalogs/{own['catalog_id']}/products")) == []


def test_the_openapi_description_says_money_is_roubles(app):
    spec = app.openapi()
    schemas = spec["components"]["schemas"]
    # answers: a string with two places
    for field in ("price", "min_price", "cost_price"):
        out = schemas["ProductOut"]["properties"][field]
        assert out["type"] == "string" and out["pattern"] == r"^[0-9]+\.[0-9]{2}$"
        assert "Roubles" in out["description"] and "kopecks" not in out["description"]
    assert "price_text" not in schemas["ProductOut"]["properties"]
    # requests: a string or a number, in roubles, on a whole card and on a change
    for model in ("ProductCardIn", "ProductChangeIn"):
        price = json.dumps(schemas[model]["properties"]["price"])
        assert '"type": "string"' in price and '"type": "number"' in price and "kopecks" not in price
        assert "Roubles" in price
    assert "/api/v1/catalogs/{catalog_id}/changes" in spec["paths"]
