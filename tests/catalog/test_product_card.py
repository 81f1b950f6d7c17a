"""The product card: every field of a product on one form, saved as a whole; refused input is shown
next to its field with what was typed kept, and nothing is saved."""

from __future__ import annotations

import re
import uuid
from html import unescape

import pytest
from sqlalchemy import select

from openkassa.accounts.models import User
from openkassa.accounts.service import actor_of
from openkassa.catalog import service
from openkassa.catalog.schemas import GroupIn
from openkassa.fiscal.enums import ItemType, Unit, VatRate
from support import sign_in

ROW = re.compile(r'<tr id="product-([0-9a-f-]{36})".*?<a href="/products/\1\?point=[^"]+">([^<]*)</a>(.*?)</tr>', re.S)


def listed(browser, point: dict) -> dict[str, tuple[str, str]]:
    """The list of the point: name → (product id, the rest of its row)."""
    page = browser.get("/products", params={"point": point["id"]}).text
    return {unescape(name): (product_id, rest) for product_id, name, rest in ROW.findall(page)}


def card(**fields) -> dict:
    """A card's form as the browser sends it (an unticked box sends nothing)."""
    return {"name": "Сыр Российский", "price": "", "min_price": "", "cost_price": "", "vat": str(int(VatRate.NO_VAT)),
            "unit": str(int(Unit.PIECE)), "kind": str(int(ItemType.GOODS)), "group_id": "", "barcodes": "",
            "short_name": "", "article": "", "code": "", **fields}


def selected(page: str, name: str) -> str:
    """The value chosen in a select of the page."""
    select_html = re.search(rf'<select id="f-{name}".*?</select>', page, re.S).group(0)
    return re.search(r'<option value="([^"]*)" selected>', select_html).group(1)


def error_of(page: str, name: str) -> str:
    """The message shown under a field."""
    field = re.search(rf'<div class="field[^"]*">\s*<label for="f-{name}">.*?</div>', page, re.S).group(0)
    found = re.search(r'<p class="error"[^>]*>(.*?)</p>', field, re.S)
    return unescape(found.group(1)) if found else ""


@pytest.fixture
def shop(new_point) -> dict:
    return new_point("Основной магазин")


@pytest.fixture
def new_card(owner, shop):
    def send(**fields):
        return owner.submit(f"/products/new?point={shop['id']}", card(**fields))

    return send


def test_a_card_with_two_barcodes_shows_in_the_list(owner, shop, new_card):
    # when the owner fills in a new card with two barcodes, one per line, and saves it
    response = new_card(name="Сыр Российский", price="1234,50", article="SR-45", code="2001",
                        barcodes="4600000000015\n 2900000000018 \n")
    # then they return to the list, which says so and shows the product with both barcodes
    assert response.status_code == 303
    page = owner.get(response.headers["location"]).text
    assert "The product «Сыр Российский» is saved." in page
    _product_id, row = listed(owner, shop)["Сыр Российский"]
    assert "4600000000015" in row and "2900000000018" in row and "₽1,234.50" in row and "SR-45" in row and "2001" in row


def test_every_field_of_the_card_is_kept(owner, shop, new_card, db):
    # given a group of the catalog
    with db.transaction() as session:
        actor = actor_of(session, user_id=session.scalars(select(User.id).where(User.email == "owner@shop.ru")).one())
        group = service.create_group(session, actor, uuid.UUID(shop["catalog_id"]), GroupIn(name="Сыры")).id
    # when the owner saves a card with every field filled in
    new_card(name="Сыр Пармезан, вес", short_name="Пармезан", article="PRM", code="3001", barcodes="2000000000008",
             price="2 500,00", min_price="2000", cost_price="1500.5", vat=str(int(VatRate.VAT_22_122)),
             unit=str(int(Unit.KILOGRAM)), kind=str(int(ItemType.EXCISE_GOODS)), group_id=str(group),
             by_weight="on", free_price="on")
    # then the card opens again with every value as it was typed
    product_id, _row = listed(owner, shop)["Сыр Пармезан, вес"]
    page = owner.get(f"/products/{product_id}", params={"point": shop["id"]}).text
    for field, value in {"short_name": "Пармезан", "article": "PRM", "code": "3001", "price": "2500.00",
                         "min_price": "2000.00", "cost_price": "1500.50"}.items():
        assert f'name="{field}" type="text" value="{value}"' in page
    assert ">2000000000008</textarea>" in page
    assert selected(page, "vat") == str(int(VatRate.VAT_22_122)) and selected(page, "unit") == str(int(Unit.KILOGRAM))
    assert selected(page, "kind") == str(int(ItemType.EXCISE_GOODS)) and selected(page, "group_id") == str(group)
    assert 'name="by_weight" value="on" checked' in page and 'name="free_price" value="on" checked' in page
    assert 'name="archived" value="on" checked' not in page


def test_the_card_offers_every_vat_rate_unit_and_kind(owner, shop):
    # when the owner opens a new card
    page = owner.get("/products/new", params={"point": shop["id"]}).text
    # then every VAT rate of tag 1199 is offered, the 2026 ones too, and units and kinds by their names
    for label in ("НДС 20%", "НДС 10%", "НДС 0%", "БЕЗ НДС", "НДС 20/120", "НДС 10/110", "НДС 5%", "НДС 7%",
                  "НДС 5/105", "НДС 7/107", "НДС 22%", "НДС 22/122"):
        assert f">{label}</option>" in page
    assert f">{Unit.KILOGRAM.label}</option>" in page and f">{ItemType.SERVICE.label}</option>" in page
    assert selected(page, "vat") == str(int(VatRate.NO_VAT))


def test_a_wrong_check_digit_is_refused_naming_the_barcode(owner, shop, new_card):
    # when the owner types an EAN-13 whose last digit is wrong
    response = new_card(name="Молоко", price="89,90", barcodes="4600000000015\n4600000000016")
    # then the card comes back with the barcode named under the field, and what was typed kept
    assert response.status_code == 422
    assert error_of(response.text, "barcodes") == "Barcode 4600000000016: the check digit of EAN-13 should be 5."
    assert ">4600000000015\n4600000000016</textarea>" in response.text
    assert 'name="name" type="text" value="Молоко"' in response.text and 'value="89,90"' in response.text
    # and nothing is saved
    assert listed(owner, shop) == {}


def test_a_barcode_or_code_of_another_product_is_refused_naming_it(owner, shop, new_card):
    # given a product with a barcode and a code
    new_card(name="Хлеб бородинский", barcodes="4600000000015", code="100")
    # when another card takes the same barcode, or the same code
    barcode = new_card(name="Хлеб белый", barcodes="4600000000015")
    code = new_card(name="Хлеб белый", code="100")
    # then each is refused naming the product they belong to
    assert barcode.status_code == 422 and code.status_code == 422
    assert "«Хлеб бородинский»" in error_of(barcode.text, "barcodes")
    assert "«Хлеб бородинский»" in error_of(code.text, "code")
    # and nothing is saved
    assert list(listed(owner, shop)) == ["Хлеб бородинский"]


@pytest.mark.parametrize(("field", "typed", "message"), [
    ("price", "-1", "The amount cannot be negative."),
    ("price", "сто", "Enter an amount in roubles, for example 199,90."),
    ("min_price", "1,005", "At most two digits after the comma: kopecks."),
    ("cost_price", "12e3", "Enter an amount in roubles, for example 199,90."),
    ("name", "", "Required."),
    ("name", "Я" * 129, "At most 128 characters."),
    ("short_name", "Я" * 65, "At most 64 characters."),
    ("vat", "99", "Choose one of the offered values."),
])
def test_bad_input_is_refused_next_to_its_field(owner, shop, new_card, field, typed, message):
    # when the owner saves a card with one bad field
    response = new_card(**{"name": "Кефир", "price": "75", field: typed})
    # then the message is under that field, the typed value is kept, and nothing is saved
    assert response.status_code == 422
    assert error_of(response.text, field) == message
    assert listed(owner, shop) == {}


def test_a_minimum_price_above_the_price_is_refused(owner, shop, new_card):
    response = new_card(name="Кефир", price="75", min_price="80")
    assert response.status_code == 422
    assert "The minimum price cannot be above the price." in response.text
    assert listed(owner, shop) == {}


def test_editing_a_card_changes_it(owner, shop, new_card):
    # given a product
    new_card(name="Кефир", price="75", barcodes="4600000000022")
    product_id, _row = listed(owner, shop)["Кефир"]
    # when the owner changes its name and price on the card and takes the barcode off
    response = owner.submit(f"/products/{product_id}?point={shop['id']}", card(name="Кефир 1%", price="79,90"))
    # then the list shows the new card
    assert response.status_code == 303
    _same_id, row = listed(owner, shop)["Кефир 1%"]
    assert _same_id == product_id and "₽79.90" in row and "4600000000022" not in row


def test_a_refused_edit_keeps_the_typed_values_and_changes_nothing(owner, shop, new_card):
    new_card(name="Кефир", price="75")
    product_id, _row = listed(owner, shop)["Кефир"]
    response = owner.submit(f"/products/{product_id}?point={shop['id']}", card(name="Кефир 1%", price="7,555"))
    assert response.status_code == 422
    assert 'value="Кефир 1%"' in response.text and 'value="7,555"' in response.text
    assert "₽75.00" in listed(owner, shop)["Кефир"][1]


def test_a_product_made_on_the_register_is_marked_until_a_person_saves_it(owner, shop, db):
    # given a product a cashier made at the till
    with db.transaction() as session:
        account = session.scalars(select(User.account_id).where(User.email == "owner@shop.ru")).one()
        service.add_from_register(session, account_id=account, catalog_id=uuid.UUID(shop["catalog_id"]),
                                  name="Шоколад", price=9900, barcode="4600000000039")
    product_id, row = listed(owner, shop)["Шоколад"]
    assert "from the register" in row
    # when the owner opens its card
    page = owner.get(f"/products/{product_id}", params={"point": shop["id"]}).text
    # then the card says it was made on the register
    assert "Created on the register" in page
    # and once the owner saves it, the mark is gone
    owner.submit(f"/products/{product_id}?point={shop['id']}", card(name="Шоколад горький", price="99",
                                                                     barcodes="4600000000039", free_price="on"))
    assert "from the register" not in listed(owner, shop)["Шоколад горький"][1]


def test_the_russian_card_shows_amounts_with_a_comma(new_browser, shop, new_card):
    new_card(name="Кефир", price="75,5")
    russian = sign_in(new_browser("ru"), "owner@shop.ru")
    product_id, _row = listed(russian, shop)["Кефир"]
    page = russian.get(f"/products/{product_id}", params={"point": shop["id"]}).text
    assert 'name="price" type="text" value="75,50"' in page and "Создан на кассе" not in page


def test_deleting_a_card(owner, shop, new_card):
    # given a product
    new_card(name="Кефир", price="75")
    product_id, _row = listed(owner, shop)["Кефир"]
    # when the owner deletes it from its card (the page asks first)
    page = owner.get(f"/products/{product_id}", params={"point": shop["id"]}).text
    assert "data-confirm=" in page
    response = owner.submit(f"/products/{product_id}/delete?point={shop['id']}")
    # then it is gone, and its card no longer opens
    assert "The product «Кефир» is deleted." in owner.get(response.headers["location"]).text
    assert listed(owner, shop) == {}
    assert owner.get(f"/products/{product_id}", params={"point": shop["id"]}).status_code == 404


def test_a_product_of_another_points_catalog_is_not_found_through_this_point(owner, shop, new_point, new_card):
    # given a second point with a catalog of its own
    kiosk = new_point("Киоск")
    new_card(name="Кефир", price="75")
    product_id, _row = listed(owner, shop)["Кефир"]
    # when the product is asked for through the kiosk
    response = owner.get(f"/products/{product_id}", params={"point": kiosk["id"]})
    # then the kiosk has no such product
    assert response.status_code == 404


@pytest.mark.parametrize("path", ["/products/not-an-id", "/products/01900000-0000-7000-8000-000000000000"])
def test_an_unknown_product_is_not_found(owner, shop, path):
    assert owner.get(path, params={"point": shop["id"]}).status_code == 404
