"""The register's local catalog (`register.catalog`): changes streams applied whole or not at all, and
what the cashier then finds by barcode, by typing, on the hot keys and by PIN. The streams are written
here line by line, as the server would send them (`protocol.changes`)."""

from __future__ import annotations

import sqlite3
import tempfile
import uuid
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from hypothesis import given, settings, strategies as st

from openkassa.protocol.changes import (
    Begin, CashierLine, DeletedLine, End, GroupLine, HotKey, HotKeysLine, PointLine, ProductLine,
)
from openkassa.register.catalog import CutStream, LocalCatalog, OutOfOrder

CATALOG = uuid.uuid4()
POINT = uuid.uuid4()
_cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)  # the server's hashes verify whatever their cost


def stream(*lines, since: int = 0, revision: int = 10) -> list:
    """A whole stream: `begin`, the lines, and an `end` that counts them."""
    return [Begin(since=since, revision=revision), *lines, End(revision=revision, lines=len(lines))]


def point(catalog_id: uuid.UUID = CATALOG, **overrides) -> PointLine:
    fields = dict(id=POINT, catalog_id=catalog_id, name="Магазин на Ленина", address="г. Казань, ул. Ленина, д. 1",
                  inn="7707083893", timezone="Europe/Moscow", tax_systems=[1, 2], default_tax_system=2, rounding=0,
                  receipt_header="", receipt_footer="Спасибо за покупку!", carry_over_cash=True,
                  allow_deferred_receipts=False, allow_price_change=False, allow_return_without_receipt=False,
                  allow_free_price_sale=False, pay_bonus_card=False, pay_gift_certificate=False, pay_advance=False,
                  allow_partial_payment=False, allow_credit=False, revision=1)
    return PointLine(**{**fields, **overrides})


def product(name: str, price: int, *barcodes: str, **overrides) -> ProductLine:
    fields = dict(id=uuid.uuid4(), group_id=None, name=name, short_name="", article="", code="",
                  barcodes=list(barcodes), price=price, min_price=0, cost_price=0, vat=1, unit=0, kind=1,
                  by_weight=False, free_price=False, archived=False, from_register=False, revision=1)
    return ProductLine(**{**fields, **overrides})


def changed(line: ProductLine, **changes) -> ProductLine:
    """The same product as a later stream brings it."""
    return line.model_copy(update={"revision": line.revision + 1, **changes})


def cashier(name: str, pin: str, *, active: bool = True) -> CashierLine:
    return CashierLine(id=uuid.uuid4(), name=name, inn="", pin_hash=_cheap.hash(pin) if active else "", can_return=True,
                       can_discount=False, can_change_price=False, can_cash_drawer=True, can_close_shift=True,
                       active=active, revision=1)


@pytest.fixture
def catalog(tmp_path):
    with LocalCatalog.open(tmp_path / "register" / "catalog.db") as opened:
        yield opened


MILK = product("Молоко Простоквашино 3,2%", 8990, "4600000000022", "4600000000039", code="1001", article="МЛК-32")
BREAD = product("Хлеб Бородинский", 4500, "4600000000046")
KEFIR = product("Кефир 1%", 7000, "4600000000053")


def test_a_first_sync_brings_everything_a_cashier_sells_by(catalog, tmp_path):
    # given an empty catalog
    assert catalog.revision == 0 and catalog.point() is None and catalog.by_barcode("4600000000022") is None
    dairy = GroupLine(id=uuid.uuid4(), parent_id=None, name="Молочные", revision=1)
    ivanova = cashier("Иванова А.", "1234")
    # when the first stream is applied
    assert catalog.apply(stream(point(), HotKeysLine(keys=[HotKey(position=0, product_id=MILK.id)]), ivanova, dairy,
                                changed(MILK, group_id=dairy.id), BREAD, revision=42))
    # then both of the milk's barcodes find it, with its price in kopecks
    assert catalog.by_barcode("4600000000022").price == 8990
    assert catalog.by_barcode("4600000000039").name == "Молоко Простоквашино 3,2%"
    assert catalog.by_barcode("4600000000046").name == "Хлеб Бородинский"
    # and the point's settings, its hot key, its cashier and its group are there
    assert catalog.point().receipt_footer == "Спасибо за покупку!" and catalog.catalog_id == CATALOG
    assert [(position, item.name) for position, item in catalog.hot_keys()] == [(0, "Молоко Простоквашино 3,2%")]
    assert [person.name for person in catalog.cashiers()] == ["Иванова А."]
    assert [group.name for group in catalog.groups()] == ["Молочные"]
    assert catalog.product(MILK.id).group_id == dairy.id
    # and the register asks from revision 42 next, also after a restart
    assert catalog.revision == 42
    catalog.close()
    with LocalCatalog.open(tmp_path / "register" / "catalog.db") as reopened:
        assert reopened.revision == 42 and reopened.by_barcode("4600000000022").price == 8990


def test_later_streams_change_only_what_they_bring(catalog):
    # given a synced catalog
    catalog.apply(stream(point(), MILK, BREAD, revision=10))
    # when the milk's price and name change and a kefir appears
    catalog.apply(stream(changed(MILK, price=9990, name="Молоко Домик в деревне"), KEFIR, since=10, revision=12))
    # then the scanner finds the new price and the kefir; the bread is as it was
    assert catalog.by_barcode("4600000000022").price == 9990
    assert catalog.by_barcode("4600000000053").name == "Кефир 1%"
    assert catalog.by_barcode("4600000000046").price == 4500
    # and the search knows the new name, not the old one
    assert [item.name for item in catalog.search("домик")] == ["Молоко Домик в деревне"]
    assert catalog.search("простокваш") == []
    assert catalog.revision == 12 and catalog.point().name == "Магазин на Ленина"


def test_deleted_products_and_groups_are_gone(catalog):
    # given a catalog with a group and a product in it
    dairy = GroupLine(id=uuid.uuid4(), parent_id=None, name="Молочные", revision=1)
    catalog.apply(stream(point(), dairy, changed(MILK, group_id=dairy.id), BREAD, revision=10))
    # when the back office deletes both (the product's hot key goes with it: the grid comes again)
    catalog.apply(stream(HotKeysLine(keys=[]), DeletedLine(kind="product", id=MILK.id, revision=11),
                         DeletedLine(kind="group", id=dairy.id, revision=11), since=10, revision=11))
    # then neither scanning, typing nor its id finds the milk; the bread stays
    assert catalog.by_barcode("4600000000022") is None and catalog.product(MILK.id) is None
    assert catalog.search("молоко") == [] and catalog.groups() == []
    assert [item.name for item in catalog.search("хлеб")] == ["Хлеб Бородинский"]


def test_a_barcode_moved_to_another_product_finds_the_new_one(catalog):
    # given the milk with two barcodes, and the kefir
    catalog.apply(stream(point(), MILK, KEFIR, revision=10))
    # when one of the milk's barcodes is moved to the kefir (freed first, then taken)
    catalog.apply(stream(changed(MILK, barcodes=["4600000000022"]),
                         changed(KEFIR, barcodes=["4600000000053", "4600000000039"]), since=10, revision=12))
    # then that barcode finds the kefir, and the milk keeps its other one
    assert catalog.by_barcode("4600000000039").name == "Кефир 1%"
    assert catalog.by_barcode("4600000000022").name == "Молоко Простоквашино 3,2%"
    assert catalog.by_barcode("4600000000053").name == "Кефир 1%"


def test_a_barcode_a_deleted_product_had_goes_to_the_product_that_takes_it(catalog):
    catalog.apply(stream(point(), KEFIR, revision=10))
    new_kefir = product("Кефир 2,5%", 7500, "4600000000053")
    catalog.apply(stream(DeletedLine(kind="product", id=KEFIR.id, revision=11), new_kefir, since=10, revision=11))
    assert catalog.by_barcode("4600000000053").name == "Кефир 2,5%"


@pytest.mark.parametrize("cut", [
    pytest.param(lambda lines: lines[:-1], id="no end"),
    pytest.param(lambda lines: lines[:2] + lines[3:], id="a line lost"),
    pytest.param(lambda lines: lines[:-1] + [End(revision=99, lines=lines[-1].lines)], id="end of another stream"),
])
def test_a_cut_stream_changes_nothing(catalog, cut):
    # given a synced catalog
    catalog.apply(stream(point(), MILK, revision=10))
    # when a stream with a price change and a new product comes cut
    lines = stream(changed(MILK, price=100), KEFIR, BREAD, since=10, revision=11)
    with pytest.raises(CutStream):
        catalog.apply(cut(lines))
    # then the cashier sells at the old price, nothing new appeared, and the same stream is asked again
    assert catalog.by_barcode("4600000000022").price == 8990
    assert catalog.by_barcode("4600000000053") is None and catalog.search("хлеб") == []
    assert catalog.revision == 10


def test_a_first_sync_cut_leaves_the_catalog_empty_and_usable(catalog):
    with pytest.raises(CutStream):
        catalog.apply(stream(point(), MILK, BREAD)[:-1])
    assert catalog.revision == 0 and catalog.point() is None and catalog.search("хлеб") == []
    assert catalog.apply(stream(point(), BREAD)) and catalog.by_barcode("4600000000046").name == "Хлеб Бородинский"


def test_an_error_while_reading_the_stream_changes_nothing(catalog):
    # given a synced catalog, and a stream whose connection breaks after a price change
    catalog.apply(stream(point(), MILK, revision=10))

    def broken():
        yield Begin(since=10, revision=11)
        yield changed(MILK, price=100)
        raise ConnectionResetError("the server went away")

    # when it is applied, then the error passes through and the old price stays
    with pytest.raises(ConnectionResetError):
        catalog.apply(broken())
    assert catalog.by_barcode("4600000000022").price == 8990 and catalog.revision == 10


def test_a_stream_from_another_revision_is_refused(catalog):
    catalog.apply(stream(point(), MILK, revision=10))
    with pytest.raises(OutOfOrder):
        catalog.apply(stream(changed(MILK, price=100), since=12, revision=13))
    assert catalog.by_barcode("4600000000022").price == 8990 and catalog.revision == 10


def test_a_point_switched_to_another_catalog_gets_the_new_one_whole(catalog):
    # given a register that sells from the point's first catalog
    catalog.apply(stream(point(), MILK, BREAD, revision=10))
    other = uuid.uuid4()
    # when the point now sells from another catalog: the stream names it, and brings only its recent changes
    assert catalog.apply(stream(point(catalog_id=other, revision=20), KEFIR, since=10, revision=20)) is False
    # then it is set aside: the old catalog still sells, and everything is to be asked again from 0
    assert catalog.revision == 0 and catalog.catalog_id == CATALOG
    assert catalog.by_barcode("4600000000022").name == "Молоко Простоквашино 3,2%"
    # when the whole new catalog comes
    assert catalog.apply(stream(point(catalog_id=other, revision=20), KEFIR, BREAD, revision=20))
    # then only its products sell
    assert catalog.catalog_id == other and catalog.revision == 20
    assert catalog.by_barcode("4600000000022") is None and catalog.search("молоко") == []
    assert [item.name for item in catalog.search("к")] == ["Кефир 1%"]
    assert catalog.by_barcode("4600000000046").name == "Хлеб Бородинский"


def test_a_server_restored_from_a_backup_replaces_everything(catalog):
    # given a register ahead of a server restored from an older backup
    catalog.apply(stream(point(), MILK, BREAD, cashier("Иванова А.", "1234"), revision=50))
    # when the server answers everything, from 0, with what it has
    catalog.apply(stream(point(), BREAD, cashier("Петров Б.", "4321"), since=0, revision=30))
    # then the register has exactly that
    assert catalog.by_barcode("4600000000022") is None and catalog.search("молоко") == []
    assert [person.name for person in catalog.cashiers()] == ["Петров Б."]
    assert catalog.revision == 30


def test_the_cashier_finds_products_as_she_types(catalog):
    # given a catalog of a few products, some with Cyrillic capitals and ё
    catalog.apply(stream(point(), MILK, BREAD, KEFIR, product("Йогурт ЁЛОЧКА клубника", 6500),
                         product("Молоко топлёное", 9500), product("Сыр с кодом 1001 в названии", 50000)))

    def names(text: str) -> list[str]:
        return [item.name for item in catalog.search(text)]

    # then each word typed is the start of a word of the name, in any case and any order
    assert names("м") == ["Молоко Простоквашино 3,2%", "Молоко топлёное"]
    assert names("МОЛ") == ["Молоко Простоквашино 3,2%", "Молоко топлёное"]
    assert names("прост мол") == ["Молоко Простоквашино 3,2%"]
    assert names("олоко") == [] and names("хлеб бел") == []
    # and ё and е are one letter, both ways
    assert names("топленое") == ["Молоко топлёное"] and names("ёлочка") == names("елочка") == ["Йогурт ЁЛОЧКА клубника"]
    # and an internal code or an article typed whole comes first, then names with it
    assert names("1001") == ["Молоко Простоквашино 3,2%", "Сыр с кодом 1001 в названии"]
    assert names("млк-32") == [] and names("МЛК-32") == ["Молоко Простоквашино 3,2%"]
    # and so does a barcode typed by hand
    assert names("4600000000046") == ["Хлеб Бородинский"]
    # and the list stops at the limit; nothing typed finds nothing
    assert len(catalog.search("м", limit=1)) == 1 and names("  ") == [] and names("%*\"") == []


def test_many_matches_come_sorted_by_name_up_to_the_limit(catalog):
    catalog.apply(stream(point(), *(product(f"Товар {n:03d}", 100) for n in reversed(range(150)))))
    found = catalog.search("тов")
    assert [item.name for item in found] == [f"Товар {n:03d}" for n in range(20)]


def test_a_cashier_signs_in_with_her_pin_offline(catalog):
    # given two cashiers of the point
    ivanova, petrov = cashier("Иванова А.", "1234"), cashier("Петров Б.", "5678")
    catalog.apply(stream(point(), ivanova, petrov, revision=10))
    # then each PIN finds its cashier, with her rights; a wrong PIN finds nobody
    assert catalog.cashier_by_pin("1234").name == "Иванова А." and catalog.cashier_by_pin("1234").can_return
    assert catalog.cashier_by_pin("5678").name == "Петров Б."
    assert catalog.cashier_by_pin("0000") is None and catalog.cashier_by_pin("") is None
    # when Petrov is archived in the back office (he comes inactive, without his PIN's hash)
    catalog.apply(stream(petrov.model_copy(update={"active": False, "pin_hash": "", "revision": 2}), since=10, revision=11))
    # then his PIN no longer signs anyone in
    assert catalog.cashier_by_pin("5678") is None and [person.name for person in catalog.cashiers()] == ["Иванова А."]


def test_a_server_hash_of_default_cost_is_checked(catalog):
    real = cashier("Иванова А.", "1234").model_copy(update={"pin_hash": PasswordHasher().hash("2468")})
    catalog.apply(stream(point(), real))
    assert catalog.cashier_by_pin("2468").name == "Иванова А."


def test_archived_products_are_not_sold_but_are_kept(catalog):
    # given the milk on a hot key, then archived in the back office
    catalog.apply(stream(point(), HotKeysLine(keys=[HotKey(position=0, product_id=MILK.id),
                                                    HotKey(position=1, product_id=BREAD.id)]), MILK, BREAD, revision=10))
    catalog.apply(stream(changed(MILK, archived=True), since=10, revision=11))
    # then neither the scanner, the search nor the hot keys offer it
    assert catalog.by_barcode("4600000000022") is None and catalog.search("молоко") == []
    assert catalog.search("1001") == []
    assert [(position, item.name) for position, item in catalog.hot_keys()] == [(1, "Хлеб Бородинский")]
    # but an old receipt still finds it by its id
    assert catalog.product(MILK.id).archived
    # when it is restored, then it sells again
    catalog.apply(stream(changed(MILK, archived=False, revision=3), since=11, revision=12))
    assert catalog.by_barcode("4600000000022").price == 8990 and len(catalog.search("молоко")) == 1


def test_archived_products_of_a_first_sync_are_not_sold(catalog):
    catalog.apply(stream(point(), changed(MILK, archived=True), BREAD))
    assert catalog.by_barcode("4600000000022") is None and catalog.search("молоко") == []
    assert catalog.product(MILK.id).name == "Молоко Простоквашино 3,2%"


def test_the_hot_key_grid_is_replaced_whole(catalog):
    catalog.apply(stream(point(), HotKeysLine(keys=[HotKey(position=0, product_id=MILK.id),
                                                    HotKey(position=5, product_id=BREAD.id)]), MILK, BREAD, KEFIR, revision=10))
    catalog.apply(stream(HotKeysLine(keys=[HotKey(position=1, product_id=KEFIR.id)]), since=10, revision=11))
    assert [(position, item.name) for position, item in catalog.hot_keys()] == [(1, "Кефир 1%")]


def test_the_cashier_sells_from_the_last_catalog_while_a_stream_applies(catalog):
    # given a synced catalog
    catalog.apply(stream(point(), MILK, revision=10))
    seen = []

    def slow_stream():
        # while the new price is being written, the cashier scans the milk
        yield Begin(since=10, revision=11)
        yield changed(MILK, price=9990)
        yield KEFIR
        seen.append(catalog.by_barcode("4600000000022").price)
        yield End(revision=11, lines=2)

    catalog.apply(slow_stream())
    # then she got the old price at once, and the new one after
    assert seen == [8990] and catalog.by_barcode("4600000000022").price == 9990


def test_a_file_of_another_layout_is_dropped_and_made_again(tmp_path):
    # given a catalog file written by another version of the app
    with LocalCatalog.open(tmp_path / "catalog.db") as catalog:
        catalog.apply(stream(point(), MILK, revision=10))
    with sqlite3.connect(tmp_path / "catalog.db") as connection:
        connection.execute("PRAGMA user_version = 999")
    # when it is opened, then it is empty: everything is downloaded again
    with LocalCatalog.open(tmp_path / "catalog.db") as catalog:
        assert catalog.revision == 0 and catalog.by_barcode("4600000000022") is None


def test_a_register_bound_anew_asks_for_everything_and_sells_meanwhile(catalog):
    catalog.apply(stream(point(), MILK, revision=10))
    catalog.forget()
    assert catalog.revision == 0 and catalog.by_barcode("4600000000022").price == 8990
    catalog.apply(stream(point(), BREAD, revision=3))
    assert catalog.by_barcode("4600000000022") is None and catalog.revision == 3


# --- whatever the changes, the catalog answers as the server's catalog is -----------------------------------

WORDS = ["Молоко", "Мёд", "молочный", "Хлеб", "хлебец", "Кефир", "Сыр", "сырок"]
BARCODES = [f"46000000000{n:02d}" for n in range(8)]
state = st.fixed_dictionaries({
    "name": st.lists(st.sampled_from(WORDS), min_size=1, max_size=3).map(" ".join),
    "archived": st.booleans(),
    "present": st.booleans(),
})
# each step: each of 5 products' new state (or None: unchanged), and which product owns each barcode
steps = st.lists(st.tuples(st.lists(st.none() | state, min_size=5, max_size=5),
                           st.lists(st.integers(0, 4), min_size=len(BARCODES), max_size=len(BARCODES))),
                 min_size=1, max_size=6)


@settings(max_examples=60, deadline=None)
@given(steps)
def test_after_any_changes_the_catalog_finds_what_the_server_has(steps):
    ids = [uuid.uuid4() for _ in range(5)]
    server: dict[uuid.UUID, ProductLine] = {}  # the server's catalog: what the register must show
    with tempfile.TemporaryDirectory() as folder, LocalCatalog.open(Path(folder) / "catalog.db") as catalog:
        for revision, (states, owners) in enumerate(steps, 1):
            # given the server's catalog after a change of names, archiving, deletions and barcodes
            before = dict(server)
            for product_id, new in zip(ids, states):
                if new is not None and not new["present"]:
                    server.pop(product_id, None)
                elif new is not None:
                    server[product_id] = product(new["name"], 100, id=product_id, archived=new["archived"], revision=revision)
            codes = {product_id: [code for code, owner in zip(BARCODES, owners) if ids[owner] == product_id] for product_id in ids}
            server = {product_id: line.model_copy(update={"barcodes": codes[product_id]}) for product_id, line in server.items()}
            lines = [DeletedLine(kind="product", id=product_id, revision=revision) for product_id in before if product_id not in server]
            lines += [line for product_id, line in server.items() if before.get(product_id) != line]
            # when the register applies the stream of what changed (everything, the first time)
            first = revision == 1
            catalog.apply(stream(*([point()] if first else []), *lines, since=0 if first else revision - 1, revision=revision))
            # then every barcode and every beginning of a word finds exactly what the server sells
            on_sale = [line for line in server.values() if not line.archived]
            for code in BARCODES:
                owner = [line.name for line in on_sale if code in line.barcodes]
                found = catalog.by_barcode(code)
                assert ([found.name] if found else []) == owner
            for typed in {word[:2] for word in WORDS}:
                expected = sorted(line.id for line in on_sale
                                  if any(word.lower().replace("ё", "е").startswith(typed.lower().replace("ё", "е"))
                                         for word in line.name.split()))
                assert sorted(item.id for item in catalog.search(typed, limit=100)) == expected
            assert {line.id for line in server.values()} == {product_id for product_id in ids if catalog.product(product_id)}
