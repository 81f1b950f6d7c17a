"""The CommerceML reader on its own: what it takes from each version, and how it names what it refuses."""

from __future__ import annotations

import io

import pytest

from onec.conftest import sample
from openkassa.fiscal.enums import Unit, VatRate
from openkassa.i18n import language
from openkassa.onec import commerceml
from openkassa.onec.commerceml import CommerceMLError


def read(content: bytes | str) -> commerceml.Package:
    return commerceml.read(io.BytesIO(content.encode() if isinstance(content, str) else content))


def refusal(content: bytes | str) -> list[tuple[str, str]]:
    with language("en"), pytest.raises(CommerceMLError) as raised:
        read(content)
    return [(problem.where, problem.message) for problem in raised.value.problems]


def test_the_three_versions_read_alike():
    # given 2.04 without a namespace, 2.07 with commerceml_2 and a BOM, 2.08 with commerceml_210 and CRLF
    old = read(sample("irpsv-offdoc-import.xml")).catalog
    mid = read(sample("dobromyslov-import0_1.xml")).catalog
    new = read(sample("electrotech-import.xml")).catalog
    # then each gives its products and groups with the same fields
    assert (len(old.items), len(mid.items), len(new.items)) == (4, 36, 3)
    assert [group.name for group in old.groups] == ["Мебель"]
    switch = new.items[0]
    assert (switch.article, switch.code, switch.unit, switch.vat) == ("12269DEK", "00-00004452", Unit.PIECE, VatRate.VAT_20)
    assert mid.items[0].barcodes == ["8809288404089"]
    assert sum(item.deleted for item in mid.items) == 1


def test_offers_give_price_types_and_prices():
    offers = read(sample("irpsv-offdoc-offers.xml")).offers
    assert [kind.name for kind in offers.price_types] == ["Оптовая", "Закупочная", "Плановая", "Розничная"]
    assert commerceml.chosen_price_type(offers.price_types).name == "Розничная"
    assert commerceml.chosen_price_type(offers.price_types, "оптовая").name == "Оптовая"
    assert str(read(sample("electrotech-offers.xml")).offers.offers[0].prices["84d7160b-7c8d-11ed-bbdb-e0b9a548d6d8"]) == "296.4"


def test_the_offers_file_of_2_07_is_not_taken_for_a_catalog():
    # its short Классификатор header holds no groups and no products
    package = read(sample("dobromyslov-offers0_1.xml"))
    assert package.catalog is None and len(package.offers.offers) == 44


def test_a_product_without_an_id_is_named_by_its_place_and_name():
    problems = refusal("<КоммерческаяИнформация><Каталог><Товары>"
                       "<Товар><Ид>1</Ид><Наименование>Хлеб</Наименование></Товар>"
                       "<Товар><Наименование>Молоко</Наименование></Товар>"
                       "</Товары></Каталог></КоммерческаяИнформация>")
    assert problems == [("Product 2 («Молоко»)", "It has no «Ид»: 1C identifies every product by it.")]


def test_changes_of_offers_are_read_like_offers():
    package = read('<КоммерческаяИнформация xmlns="urn:1C.ru:commerceml_210"><ИзмененияПакетаПредложений><Предложения>'
                   "<Предложение><Ид>1</Ид><Цены><Цена><ИдТипаЦены>t</ИдТипаЦены><ЦенаЗаЕдиницу>12,5</ЦенаЗаЕдиницу></Цена></Цены>"
                   "</Предложение></Предложения></ИзмененияПакетаПредложений></КоммерческаяИнформация>")
    assert str(package.offers.offers[0].prices["t"]) == "12.5"


def test_a_price_that_is_not_a_number_is_named():
    problems = refusal("<КоммерческаяИнформация><ПакетПредложений><Предложения><Предложение><Ид>7</Ид>"
                       "<Наименование>Хлеб</Наименование><Цены><Цена><ИдТипаЦены>t</ИдТипаЦены>"
                       "<ЦенаЗаЕдиницу>дёшево</ЦенаЗаЕдиницу></Цена></Цены></Предложение></Предложения>"
                       "</ПакетПредложений></КоммерческаяИнформация>")
    assert problems == [("Offer «7» (Хлеб)", "The price «дёшево» is not a number of roubles.")]


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04\x14\x00", "Товар;Цена\nХлеб;50".encode("cp1251")])
def test_what_is_not_xml_is_refused(content):
    [(where, message)] = refusal(content)
    assert where.startswith("line 1, column") and message.startswith("This is not a well-formed XML file")


def test_a_dtd_is_refused_before_it_is_parsed():
    laughs = ('<?xml version="1.0"?><!DOCTYPE КоммерческаяИнформация [<!ENTITY a "ha">'
              + "".join(f'<!ENTITY a{n} "{"&a;" * 10 if n == 0 else f"&a{n - 1};" * 10}">' for n in range(9))
              + "]><КоммерческаяИнформация>&a8;</КоммерческаяИнформация>")
    assert refusal(laughs) == [("<!DOCTYPE>", "The file declares a DTD; CommerceML files have none.")]
