"""BENCH: a 1C exchange of 10,000 products (import.xml and offers.xml) merges into a catalog in a few seconds.

The files are made from the structure of a real 1C export (`tests/onec/files/dobromyslov-*.xml`: schema
2.07, namespace `urn:1C.ru:commerceml_2`, BOM): 20 groups; each product with Ид, Артикул, an EAN-13
Штрихкод, Наименование, БазоваяЕдиница, Группы, СтавкиНалогов and a few ЗначенияРеквизитов; each offer
with one retail price. Figures, each in its own transaction with its commit, on a fresh database:

- `read`: both files read by `commerceml.read` (the streaming reader); its baseline is ElementTree's
  `iterparse` alone over the same bytes, each element dropped as it ends;
- `merge_new`: `service.merge` into an empty catalog (every product new);
- `merge_unchanged`: the same files again (nothing written);
- `merge_changed`: every product renamed and repriced in 1C (every card updated).

Baseline of the merges: the same number of product rows and barcode rows written into another catalog by a bare
`executemany`, commit included.

Run: `.venv/bin/python bench/bench_onec.py [--products N] [--url postgresql+psycopg://…]`.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from xml.etree import ElementTree

NS = "urn:1C.ru:commerceml_2"


def ean13(number: int) -> str:
    digits = f"46{number:010d}"
    odd, even = digits[::-1][::2], digits[::-1][1::2]
    total = 3 * sum(map(int, odd)) + sum(map(int, even))
    return digits + str((10 - total % 10) % 10)


def files(products: int, *, renamed: bool = False) -> tuple[bytes, bytes]:
    groups = [str(uuid.UUID(int=n + 1)) for n in range(20)]
    price_type = "279b6812-740b-11e8-80c8-0cc47ab29cd1"
    head = f'\ufeff<?xml version="1.0" encoding="UTF-8"?>\n<КоммерческаяИнформация xmlns="{NS}" ВерсияСхемы="2.07">\n'
    catalog = [head, "\t<Классификатор>\n\t\t<Ид>c1</Ид>\n\t\t<Наименование>Классификатор</Наименование>\n\t\t<Группы>\n"]
    catalog += [f"\t\t\t<Группа>\n\t\t\t\t<Ид>{group}</Ид>\n\t\t\t\t<Наименование>Группа {n}</Наименование>\n\t\t\t</Группа>\n"
                for n, group in enumerate(groups)]
    catalog.append("\t\t</Группы>\n\t</Классификатор>\n\t<Каталог СодержитТолькоИзменения=\"false\">\n\t\t<Ид>k1</Ид>\n\t\t<Товары>\n")
    offers = [head, f"\t<ПакетПредложений>\n\t\t<Ид>k1#</Ид>\n\t\t<ТипыЦен>\n\t\t\t<ТипЦены>\n\t\t\t\t<Ид>{price_type}</Ид>\n"
              "\t\t\t\t<Наименование>Розничная</Наименование>\n\t\t\t\t<Валюта>RUB</Валюта>\n\t\t\t</ТипЦены>\n\t\t</ТипыЦен>\n"
              "\t\t<Предложения>\n"]
    mark = "новый " if renamed else ""
    for n in range(products):
        product = str(uuid.UUID(int=(1 << 64) + n))
        catalog.append(
            f"\t\t\t<Товар>\n\t\t\t\t<Ид>{product}</Ид>\n\t\t\t\t<Штрихкод>{ean13(n)}</Штрихкод>\n"
            f"\t\t\t\t<Артикул>ART-{n:06d}</Артикул>\n\t\t\t\t<Наименование>Товар {mark}№{n} для дома</Наименование>\n"
            '\t\t\t\t<БазоваяЕдиница Код="796 " НаименованиеПолное="Штука" МеждународноеСокращение="PCE">\n'
            "\t\t\t\t\t<Пересчет>\n\t\t\t\t\t\t<Единица>796</Единица>\n\t\t\t\t\t\t<Коэффициент>1</Коэффициент>\n\t\t\t\t\t</Пересчет>\n"
            f"\t\t\t\t</БазоваяЕдиница>\n\t\t\t\t<Группы>\n\t\t\t\t\t<Ид>{groups[n % 20]}</Ид>\n\t\t\t\t</Группы>\n"
            "\t\t\t\t<СтавкиНалогов>\n\t\t\t\t\t<СтавкаНалога>\n\t\t\t\t\t\t<Наименование>НДС</Наименование>\n"
            "\t\t\t\t\t\t<Ставка>20</Ставка>\n\t\t\t\t\t</СтавкаНалога>\n\t\t\t\t</СтавкиНалогов>\n"
            "\t\t\t\t<ЗначенияРеквизитов>\n\t\t\t\t\t<ЗначениеРеквизита>\n\t\t\t\t\t\t<Наименование>ВидНоменклатуры</Наименование>\n"
            "\t\t\t\t\t\t<Значение>Товар</Значение>\n\t\t\t\t\t</ЗначениеРеквизита>\n\t\t\t\t</ЗначенияРеквизитов>\n\t\t\t</Товар>\n")
        price = 100 + n % 900 + (7 if renamed else 0)
        offers.append(
            f"\t\t\t<Предложение>\n\t\t\t\t<Ид>{product}</Ид>\n\t\t\t\t<Наименование>Товар №{n}</Наименование>\n"
            f"\t\t\t\t<Цены>\n\t\t\t\t\t<Цена>\n\t\t\t\t\t\t<ИдТипаЦены>{price_type}</ИдТипаЦены>\n"
            f"\t\t\t\t\t\t<ЦенаЗаЕдиницу>{price}.50</ЦенаЗаЕдиницу>\n\t\t\t\t\t\t<Валюта>RUB</Валюта>\n\t\t\t\t\t</Цена>\n"
            f"\t\t\t\t</Цены>\n\t\t\t\t<Количество>{n % 50}</Количество>\n\t\t\t</Предложение>\n")
    catalog.append("\t\t</Товары>\n\t</Каталог>\n</КоммерческаяИнформация>\n")
    offers.append("\t\t</Предложения>\n\t</ПакетПредложений>\n</КоммерческаяИнформация>\n")
    return "".join(catalog).encode(), "".join(offers).encode()


def fresh(url: str):
    """A migrated database with one owner on the Standard plan and two empty catalogs."""
    from bench_catalog_queries import empty_database
    from openkassa.accounts import service as accounts
    from openkassa.accounts.models import Account
    from openkassa.accounts.schemas import SignUpIn
    from openkassa.catalog import service as catalog_service
    from openkassa.db import utcnow

    db = empty_database(url)
    with db.transaction() as session:
        user = accounts.sign_up(session, data=SignUpIn(company_name="ООО «Бенч»", name="Owner", phone="+79001234567",
                                                       email="bench@example.com", password="bench-password 1"), ip="bench")
        user.email_confirmed_at = utcnow()
        session.get_one(Account, user.account_id).plan = "standard"
        session.flush()
        actor = accounts.actor_of(session, user_id=user.id)
        merged = catalog_service.create_catalog(session, actor, name="1C").id
        bare = catalog_service.create_catalog(session, actor, name="bare").id
    return db, user.id, merged, bare


def timed(db, work) -> tuple[float, object]:
    started = time.perf_counter()
    with db.transaction() as session:
        result = work(session)
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--url", default="")
    options = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    folder = Path(tempfile.mkdtemp(prefix="bench-onec-"))
    url = options.url or f"sqlite:///{folder / 'bench.db'}"
    os.environ.setdefault("OPENKASSA_DATA_DIR", str(folder / "var"))

    from sqlalchemy import insert

    from openkassa.accounts.service import actor_of
    from openkassa.catalog.models import Barcode, Product, new_search_key
    from openkassa.db import utcnow
    from openkassa.ids import new_id
    from openkassa.onec import commerceml, service

    db, user_id, catalog_id, bare_id = fresh(url)
    n = options.products
    catalog_xml, offers_xml = files(n)
    renamed_xml, repriced_xml = files(n, renamed=True)
    print(f"# {n} products: import.xml {len(catalog_xml) / 1e6:.1f} MB, offers.xml {len(offers_xml) / 1e6:.1f} MB; "
          f"{db.engine.dialect.name}", flush=True)

    started = time.perf_counter()
    catalog = commerceml.read(io.BytesIO(catalog_xml)).catalog
    offers = commerceml.read(io.BytesIO(offers_xml)).offers
    read_seconds = time.perf_counter() - started
    started = time.perf_counter()
    for content in (catalog_xml, offers_xml):  # the library alone: every element parsed, then dropped
        for _event, element in ElementTree.iterparse(io.BytesIO(content)):
            element.clear()
    parse_seconds = time.perf_counter() - started
    renamed = commerceml.read(io.BytesIO(renamed_xml)).catalog
    repriced = commerceml.read(io.BytesIO(repriced_xml)).offers

    def merging(part, prices):
        def work(session):
            return service.merge(session, actor_of(session, user_id=user_id), catalog_id, catalog=part, offers=prices)
        return work

    new_seconds, outcome = timed(db, merging(catalog, offers))
    assert outcome.created == n, outcome.summary()
    unchanged_seconds, outcome = timed(db, merging(catalog, offers))
    assert outcome.unchanged == n, outcome.summary()
    changed_seconds, outcome = timed(db, merging(renamed, repriced))
    assert outcome.updated == n, outcome.summary()

    def bare(session):
        account_id, now, first = actor_of(session, user_id=user_id).account_id, utcnow(), new_search_key(n)
        rows = [{"id": new_id(), "account_id": account_id, "catalog_id": bare_id, "name": f"Товар №{i}", "article": f"ART-{i:06d}",
                 "price": 10050, "vat": 1, "unit": 0, "search_key": first + i, "revision": 1, "external_id": f"x{i}",
                 "created_at": now, "updated_at": now} for i in range(n)]
        session.execute(insert(Product.__table__), rows)
        session.execute(insert(Barcode.__table__), [{"catalog_id": bare_id, "code": f"b{i}", "product_id": row["id"]}
                                                    for i, row in enumerate(rows)])

    baseline, _none = timed(db, bare)
    print(f"BENCH onec_read_{n} {read_seconds:.2f} s baseline={parse_seconds:.2f} ratio={read_seconds / parse_seconds:.1f}")
    for name, seconds in (("merge_new", new_seconds), ("merge_unchanged", unchanged_seconds),
                          ("merge_changed", changed_seconds)):
        print(f"BENCH onec_{name}_{n} {seconds:.2f} s baseline={baseline:.2f} ratio={seconds / baseline:.1f}", flush=True)


if __name__ == "__main__":
    main()
