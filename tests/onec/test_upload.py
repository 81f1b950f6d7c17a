"""Files from 1C uploaded by hand on the page «Обмен с 1С»: real exports of three schema versions go
into a point's catalog with their names, prices and barcodes; bad files change nothing and say why."""

from __future__ import annotations

import io
import uuid
import zipfile

from sqlalchemy import select

from openkassa.catalog.models import Product

from openkassa.fiscal.enums import Unit, VatRate
from support import create_owner, point_json, sign_in

from onec.conftest import sample, upload

MAT = "Портативный коврик Portable 140x200x1 см, Деревянные лошадки"
SWITCH = "Авт. выкл. 1Р 6А х-ка C ВА-103 6кА DEKraft"
BARCODED = 22  # of the 36 products have an EAN-13; the deleted one has none
TABLE_WHITE = "05e26d70-01e4-11dc-a411-00055d80a2d1#05e26d76-01e4-11dc-a411-00055d80a2d1"


def test_a_2_07_export_fills_the_catalog_with_names_prices_and_barcodes(owner, point, shelf):
    # given an empty catalog
    # when the owner uploads import0_1.xml and offers0_1.xml of a 1C export (schema 2.07, BOM, namespace)
    response = upload(owner, point, "dobromyslov-import0_1.xml", "dobromyslov-offers0_1.xml")

    # then 35 products are there, with the prices of the only price type and their barcodes
    assert response.status_code == 200, response.text
    assert "Products added: 35, changed: 0, unchanged: 0, skipped: 9. Prices of the type «BASE»." in response.text
    products = shelf.products()
    assert len(products) == 35
    mat = products[MAT]
    assert mat["price"] == 100_00 and mat["article"] == "PM-421-WP" and mat["barcodes"] == ["8809288404089"]
    assert mat["vat"] == VatRate.VAT_20 and mat["unit"] == Unit.PIECE and mat["group"] == "Коврики для дома"
    assert mat["external_id"] == "bd8c4e15-18f9-11e7-80c2-0cc47ab29cd1"
    assert sum(1 for product in products.values() if product["barcodes"]) == BARCODED
    # and the one marked deleted in 1C, and the 8 offers of products not in this part, are named as skipped
    assert "«Коврик Mini Монстера, 120x44x1.5 см» (Ид b631c9c1-49de-11e9-80c9-0cc47ab29cd1)</strong>: Marked for deletion in 1C" in response.text
    assert response.text.count("No product with this Ид in the catalog or in import.xml.") == 8


def test_a_2_08_export_with_crlf_gets_codes_groups_and_kopecks(owner, point, shelf):
    # when the owner uploads a UT 11 export (schema 2.08, namespace commerceml_210, CRLF)
    response = upload(owner, point, "electrotech-import.xml", "electrotech-offers.xml")

    # then the three products carry their article, 1C code, group and price «Розничная цена» to the kopeck
    assert "Products added: 3" in response.text and "Prices of the type «Розничная цена»." in response.text
    products = shelf.products()
    assert (products[SWITCH]["article"], products[SWITCH]["code"], products[SWITCH]["price"]) == ("12269DEK", "00-00004452", 296_40)
    assert products[SWITCH]["group"] == "DEKraft"
    assert products["Шкаф распределительный"]["price"] == 96_287_00
    assert products["КНЗ 2,5-2-PE Заземляющая клемма 2,5мм"]["price"] == 170_04


def test_the_official_2_04_example_takes_the_retail_price_type_among_four(owner, point, db):
    # when the owner uploads 1C's own example: variants as separate products, prices in USD and roubles
    response = upload(owner, point, "irpsv-offdoc-import.xml", "irpsv-offdoc-offers.xml")

    # then the four variants are products, the two with offers priced «Розничная» (7 руб), VAT 18 read as 20
    assert "Products added: 4" in response.text and "«Розничная»" in response.text
    by_id = {product["external_id"]: product for product in _all(db, point)}
    assert len(by_id) == 4
    assert by_id[TABLE_WHITE]["price"] == 7_00 and by_id[TABLE_WHITE]["vat"] == VatRate.VAT_20
    assert sorted(product["price"] for product in by_id.values()) == [0, 0, 7_00, 7_00]


def test_a_chosen_price_type_is_used(owner, point, db):
    # when the owner asks for the wholesale prices («Оптовая», 5 USD in the file)
    upload(owner, point, "irpsv-offdoc-import.xml", "irpsv-offdoc-offers.xml", price_type="Оптовая")
    # then those go to the cards
    assert sorted(product["price"] for product in _all(db, point)) == [0, 0, 5_00, 5_00]


def test_a_price_type_the_file_lacks_is_refused(owner, point, shelf):
    response = upload(owner, point, "electrotech-import.xml", "electrotech-offers.xml", price_type="Оптовая")
    assert response.status_code == 422
    assert "There is no price type «Оптовая» in offers.xml; it has: Розничная цена." in response.text
    assert shelf.products() == {}


def test_importing_the_same_files_again_changes_nothing(owner, point, shelf):
    # given a catalog filled from 1C
    upload(owner, point, "dobromyslov-import0_1.xml", "dobromyslov-offers0_1.xml")
    before = shelf.products()
    # when the same files come again
    response = upload(owner, point, "dobromyslov-import0_1.xml", "dobromyslov-offers0_1.xml")
    # then every product is unchanged, and registers have nothing new to fetch
    assert "Products added: 0, changed: 0, unchanged: 35, skipped: 9." in response.text
    assert shelf.products() == before


def test_a_product_renamed_in_1c_is_updated_by_its_id(owner, point, shelf):
    # given the electrotech products imported
    upload(owner, point, "electrotech-import.xml")
    # when 1C renames the switch (same Ид) and the file comes again
    renamed = sample("electrotech-import.xml").replace(SWITCH.encode(), "Автомат 6А DEKraft".encode())
    response = upload(owner, point, files=[("import.xml", renamed)])
    # then the same product has the new name: nothing is doubled
    assert "Products added: 0, changed: 1, unchanged: 2" in response.text
    products = shelf.products()
    assert SWITCH not in products and products["Автомат 6А DEKraft"]["article"] == "12269DEK"
    assert len(products) == 3


def test_a_product_found_by_barcode_takes_the_1c_id(owner, point, shelf, add_products):
    # given a product made by hand with the barcode 1C has for the mat
    add_products(point, ("Коврик", 150_00, "8809288404089"))
    # when the export comes
    response = upload(owner, point, "dobromyslov-import0_1.xml", "dobromyslov-offers0_1.xml")
    # then that card is the mat now (1C's name and price), and it keeps its Ид for the next time
    assert "Products added: 34, changed: 1," in response.text
    products = shelf.products()
    assert "Коврик" not in products
    assert products[MAT]["external_id"] == "bd8c4e15-18f9-11e7-80c2-0cc47ab29cd1" and products[MAT]["price"] == 100_00


def test_offers_alone_update_the_prices_of_known_products(owner, point, shelf):
    upload(owner, point, "electrotech-import.xml")
    assert shelf.products()[SWITCH]["price"] == 0
    response = upload(owner, point, "electrotech-offers.xml")
    assert "Products added: 0, changed: 3" in response.text
    assert shelf.products()[SWITCH]["price"] == 296_40


def test_a_zip_of_both_files_is_read(owner, point, shelf):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr("import.xml", sample("electrotech-import.xml"))
        zipped.writestr("offers.xml", sample("electrotech-offers.xml"))
        zipped.writestr("import_files/7c/picture.jpg", b"\xff\xd8not really")
    response = upload(owner, point, files=[("1c.zip", archive.getvalue())])
    assert "Products added: 3" in response.text
    assert shelf.products()[SWITCH]["price"] == 296_40


def test_a_file_that_is_not_xml_is_refused_and_nothing_changes(owner, point, shelf, add_products):
    add_products(point, ("Хлеб", 50_00))
    response = upload(owner, point, "electrotech-import.xml", files=[("offers.xml", b"\x00\x01 not xml at all")])
    assert response.status_code == 422
    assert "offers.xml: line 1, column 1" in response.text and "This is not a well-formed XML file" in response.text
    assert list(shelf.products()) == ["Хлеб"]


def test_the_wrong_root_is_refused(owner, point, shelf):
    response = upload(owner, point, files=[("import.xml", "<Документ><Ид>1</Ид></Документ>".encode())])
    assert response.status_code == 422
    assert "The root element should be «КоммерческаяИнформация»" in response.text
    assert shelf.products() == {}


def test_an_unknown_structure_is_refused(owner, point, shelf):
    response = upload(owner, point, files=[("import.xml", '<КоммерческаяИнформация ВерсияСхемы="2.08"><Документ/></КоммерческаяИнформация>'.encode())])
    assert response.status_code == 422
    assert "Neither «Каталог» nor «ПакетПредложений» is in the file" in response.text


def test_a_product_without_a_name_is_named_by_its_id_and_nothing_is_imported(owner, point, shelf):
    # given the export with the second product's name emptied
    broken = sample("electrotech-import.xml").replace("<Наименование>Шкаф распределительный</Наименование>".encode(),
                                                       "<Наименование></Наименование>".encode())
    response = upload(owner, point, files=[("import.xml", broken)])
    # then the page names that product by its Ид, and not even the two good ones are added
    assert response.status_code == 422
    assert "Product «a09d2dd8-7fa0-11ed-a9dc-e0b9a548d6d8»" in response.text and "It has no «Наименование» (name)." in response.text
    assert shelf.products() == {}


def test_a_bad_barcode_is_named_by_product_and_nothing_is_imported(owner, point, shelf):
    broken = sample("dobromyslov-import0_1.xml").replace(b"8809288404089", b"8809288404088")
    response = upload(owner, point, files=[("import0_1.xml", broken)])
    assert response.status_code == 422
    assert f"«{MAT}» (Ид bd8c4e15-18f9-11e7-80c2-0cc47ab29cd1)" in response.text
    assert "the check digit of EAN-13 should be 9" in response.text
    assert shelf.products() == {}


def test_a_dtd_is_refused(owner, point, shelf):
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><x>&b;</x>'
    response = upload(owner, point, files=[("import.xml", bomb)])
    assert response.status_code == 422 and "The file declares a DTD" in response.text
    assert shelf.products() == {}


def test_the_start_plan_sees_what_the_exchange_gives(db, new_browser):
    create_owner(db, email="small@shop.ru", plan="start")
    browser = sign_in(new_browser(), "small@shop.ru")
    point = browser.post("/api/v1/points", json=point_json(), headers={"X-CSRF-Token": browser.csrf()}).json()
    page = browser.get(f"/products/1c?point={point['id']}")
    assert "Your plan does not include the 1C exchange" in page.text and 'href="/plan"' in page.text
    # and files sent anyway are refused with the plan's message
    response = upload(browser, point, "electrotech-import.xml")
    assert "does not include 1c exchange" in response.text.lower()


def _all(db, point):
    with db.transaction() as session:
        return [{"external_id": product.external_id, "price": product.price, "vat": product.vat}
                for product in session.scalars(select(Product).where(Product.catalog_id == uuid.UUID(point["catalog_id"])))]


def test_a_barcode_moved_between_two_products_in_1c_moves_here_too(owner, point, shelf):
    # given the export imported: the mat has 8809288404089
    upload(owner, point, "dobromyslov-import0_1.xml")
    products = shelf.products()
    other_name, other = next((name, product) for name, product in products.items() if product["barcodes"] and name != MAT)
    # when 1C swaps the barcodes of the mat and another product
    swapped = (sample("dobromyslov-import0_1.xml").replace(b"8809288404089", b"SWAP")
               .replace(other["barcodes"][0].encode(), b"8809288404089").replace(b"SWAP", other["barcodes"][0].encode()))
    response = upload(owner, point, files=[("import0_1.xml", swapped)])
    # then both cards are changed, each with the other's code
    assert "changed: 2," in response.text, response.text
    products = shelf.products()
    assert products[MAT]["barcodes"] == other["barcodes"] and products[other_name]["barcodes"] == ["8809288404089"]


def test_a_product_deleted_in_1c_is_archived(owner, point, shelf):
    upload(owner, point, "electrotech-import.xml")
    deleted = sample("electrotech-import.xml").replace("<Ид>7c63329c-7b37-11ee-802b-e0b9a548d6d8</Ид>".encode(),
                                                        "<Ид>7c63329c-7b37-11ee-802b-e0b9a548d6d8</Ид><ПометкаУдаления>true</ПометкаУдаления>".encode(), 1)
    response = upload(owner, point, files=[("import.xml", deleted)])
    assert "changed: 1, unchanged: 2" in response.text
    assert shelf.products()[SWITCH]["archived"] is True


def test_an_upload_without_the_page_token_is_refused(owner, point, shelf):
    response = owner.post(f"/products/1c/upload?point={point['id']}",
                          files=[("files", ("import.xml", sample("electrotech-import.xml"), "text/xml"))])
    assert response.status_code == 403
    assert shelf.products() == {}
