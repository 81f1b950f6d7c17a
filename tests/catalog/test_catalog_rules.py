"""Rules of the catalog, checked through its service with a real database: every change takes a new
account revision and shows in the changes since the previous one; deleting a group keeps its products;
barcodes keep their check digits; another account's ids find nothing."""

from __future__ import annotations

import uuid
from contextlib import contextmanager

import pytest
from sqlalchemy import select

from openkassa.accounts.models import Account, User
from openkassa.accounts.service import actor_of
from openkassa.catalog import service
from openkassa.catalog.schemas import BulkAction, BulkIn, GroupIn, ProductChange, ProductIn
from openkassa.errors import Invalid, NotFound
from openkassa.fiscal.enums import Unit, VatRate
from openkassa.i18n import language
from support import create_owner


@pytest.fixture
def shop(db):
    """The owner's catalog and a way to act on it in one transaction: `with shop() as (session, actor, catalog_id)`."""
    create_owner(db, email="owner@shop.ru", plan="standard")
    return _acting(db, "owner@shop.ru")


@pytest.fixture
def other_shop(db):
    create_owner(db, email="other@shop.ru", plan="standard", company="ООО «Другие»")
    return _acting(db, "other@shop.ru")


def _acting(db, email: str):
    with db.transaction() as session:
        actor = _actor(session, email)
        catalog_id = service.create_catalog(session, actor, name="Основной").id

    @contextmanager
    def act():
        with db.transaction() as session:
            yield session, _actor(session, email), catalog_id

    return act


def _actor(session, email: str):
    return actor_of(session, user_id=session.scalars(select(User.id).where(User.email == email)).one())


def _revision(session, actor) -> int:
    return session.get_one(Account, actor.account_id).revision


def _changes(shop, since: int) -> tuple[set[str], set[tuple[str, uuid.UUID]], set[str]]:
    """The names of the products and groups changed after `since`, and what was deleted."""
    with shop() as (session, _actor, catalog_id):
        changes = service.changed_since(session, catalog_id, since)
        return ({card.product.name for card in changes.cards}, {(t.kind, t.object_id) for t in changes.tombstones},
                {group.name for group in changes.groups})


# --- revisions ----------------------------------------------------------------------------------


def test_every_change_takes_a_new_revision_and_shows_in_the_changes_since(shop):
    with shop() as (session, actor, catalog_id):
        tea = service.create_product(session, actor, catalog_id, ProductIn(name="Чай")).product.id
        coffee = service.create_product(session, actor, catalog_id, ProductIn(name="Кофе")).product.id
        service.create_product(session, actor, catalog_id, ProductIn(name="Какао"))
        start = _revision(session, actor)

    def step(change) -> int:
        """Run a change; return the revision it took, after checking it is one more than before."""
        with shop() as (session, actor, catalog_id):
            before = _revision(session, actor)
            change(session, actor, catalog_id)
            assert _revision(session, actor) == before + 1
            return before

    # a card edited: only that card comes back
    before = step(lambda s, a, c: service.update_product(s, a, c, tea, ProductChange(price=9900)))
    assert _changes(shop, before) == ({"Чай"}, set(), set())
    # a bulk change: the cards it touched
    before = step(lambda s, a, c: service.bulk_change(s, a, c, BulkIn(action=BulkAction.VAT, vat=VatRate.VAT_10,
                                                                      product_ids=[tea, coffee])))
    assert _changes(shop, before) == ({"Чай", "Кофе"}, set(), set())
    # a group made and renamed: the group
    groups: list[uuid.UUID] = []
    before = step(lambda s, a, c: groups.append(service.create_group(s, a, c, GroupIn(name="Напитки")).id))
    assert _changes(shop, before) == (set(), set(), {"Напитки"})
    before = step(lambda s, a, c: service.rename_group(s, a, c, groups[0], "Горячие напитки"))
    assert _changes(shop, before) == (set(), set(), {"Горячие напитки"})
    # a deletion: a tombstone, no card
    before = step(lambda s, a, c: service.delete_products(s, a, c, [coffee]))
    assert _changes(shop, before) == (set(), {("product", coffee)}, set())
    # and from the start, everything since then
    assert _changes(shop, start) == ({"Чай"}, {("product", coffee)}, {"Горячие напитки"})


def test_the_changes_say_which_revision_to_ask_from_next(shop):
    with shop() as (session, actor, catalog_id):
        assert service.changed_since(session, catalog_id, 0).revision == 0  # an empty catalog
        card = service.create_product(session, actor, catalog_id, ProductIn(name="Чай", barcodes=["4600000000015"]))
        changes = service.changed_since(session, catalog_id, 0)
        # then the products come with their barcodes, and the revision is the newest change's
        assert [(c.product.name, c.barcodes) for c in changes.cards] == [("Чай", ["4600000000015"])]
        assert changes.revision == card.product.revision
        service.delete_products(session, actor, catalog_id, [card.product.id])
        assert service.changed_since(session, catalog_id, changes.revision).revision == card.product.revision + 1


def test_a_refused_change_takes_no_revision_and_writes_nothing(shop):
    with shop() as (session, actor, catalog_id):
        service.create_product(session, actor, catalog_id, ProductIn(name="Хлеб", code="1001"))
        before = _revision(session, actor)
    with pytest.raises(Invalid), shop() as (session, actor, catalog_id):
        service.create_product(session, actor, catalog_id, ProductIn(name="Батон", code="1001"))
    with shop() as (session, actor, catalog_id):
        assert _revision(session, actor) == before
        assert [c.product.name for c in service.list_products(session, actor, catalog_id).cards] == ["Хлеб"]


# --- groups -------------------------------------------------------------------------------------


def test_deleting_a_group_keeps_its_products_and_leaves_tombstones_for_it_and_its_subgroups(shop):
    with shop() as (session, actor, catalog_id):
        dairy = service.create_group(session, actor, catalog_id, GroupIn(name="Молочное")).id
        cheeses = service.create_group(session, actor, catalog_id, GroupIn(name="Сыры", parent_id=dairy)).id
        grocery = service.create_group(session, actor, catalog_id, GroupIn(name="Бакалея")).id
        cheese = service.create_product(session, actor, catalog_id, ProductIn(name="Сыр", group_id=cheeses)).product.id
        rice = service.create_product(session, actor, catalog_id, ProductIn(name="Рис", group_id=grocery)).product.id
        before = _revision(session, actor)
    # when «Молочное» is deleted
    with shop() as (session, actor, catalog_id):
        service.delete_group(session, actor, catalog_id, dairy)
    with shop() as (session, actor, catalog_id):
        # then the cheese is still in the catalog, out of any group; the rice is untouched
        assert service.get_product(session, actor, catalog_id, cheese).product.group_id is None
        assert service.get_product(session, actor, catalog_id, rice).product.group_id == grocery
        assert [node.name for node in service.list_groups(session, actor, catalog_id)] == ["Бакалея"]
    # and registers learn that both groups are gone and the cheese changed
    assert _changes(shop, before) == ({"Сыр"}, {("group", dairy), ("group", cheeses)}, set())


def test_a_group_may_take_another_case_of_its_own_name_but_not_a_sisters(shop):
    with shop() as (session, actor, catalog_id):
        tea = service.create_group(session, actor, catalog_id, GroupIn(name="чай")).id
        service.create_group(session, actor, catalog_id, GroupIn(name="Кофе"))
    with shop() as (session, actor, catalog_id):
        assert service.rename_group(session, actor, catalog_id, tea, "Чай").name == "Чай"
    with pytest.raises(Invalid) as refused, shop() as (session, actor, catalog_id):
        service.rename_group(session, actor, catalog_id, tea, "КОФЕ")
    assert "name" in refused.value.fields


@pytest.mark.parametrize("name", ["", "Ю" * 129, "два\nряда", "Молочные/Сыры"])  # "/" parts a group path in files
def test_a_bad_new_group_name_is_refused_as_invalid_input(shop, name):
    with shop() as (session, actor, catalog_id):
        tea = service.create_group(session, actor, catalog_id, GroupIn(name="Чай")).id
    with pytest.raises(Invalid) as refused, shop() as (session, actor, catalog_id):
        service.rename_group(session, actor, catalog_id, tea, name)
    assert "name" in refused.value.fields


def test_groups_nest_at_most_ten_deep(shop):
    with shop() as (session, actor, catalog_id):
        parent = None
        for level in range(service.MAX_GROUP_DEPTH):
            parent = service.create_group(session, actor, catalog_id, GroupIn(name=f"Уровень {level}", parent_id=parent)).id
        with pytest.raises(Invalid) as refused:
            service.create_group(session, actor, catalog_id, GroupIn(name="Слишком глубоко", parent_id=parent))
        assert "parent_id" in refused.value.fields


# --- cards --------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["4600000000015", "46009333", "036000291452", "ABC-123/x", "(01)04600000000015", "12345"])
def test_right_check_digits_and_codes_without_one_are_taken_as_written(shop, code):
    with shop() as (session, actor, catalog_id):
        service.create_product(session, actor, catalog_id, ProductIn(name="Товар", barcodes=[f" {code} "]))
        assert service.find_by_barcode(session, actor, catalog_id, code).barcodes == [code]


@pytest.mark.parametrize("code", ["4600000000015,4600000000022", "ABC;1"])
def test_a_barcode_with_a_comma_or_semicolon_is_refused_since_files_part_barcodes_with_them(code):
    with pytest.raises(ValueError, match="запятых"):
        ProductIn(name="Товар", barcodes=[code])


def test_a_minimum_price_above_the_price_is_allowed_only_with_a_free_price():
    assert ProductIn(name="Весовой сыр", price=0, min_price=5000, free_price=True).min_price == 5000
    with language("en"), pytest.raises(ValueError, match="minimum price"):
        ProductIn(name="Сыр", price=100, min_price=5000)


@pytest.mark.parametrize("unit", sorted({Unit.GRAM, Unit.KILOGRAM, Unit.TONNE}))
def test_a_product_sold_by_weight_is_measured_by_weight(unit):
    assert ProductIn(name="Сыр", by_weight=True, unit=unit).by_weight


def test_a_person_editing_a_registers_product_clears_its_mark(shop):
    # given a product a cashier made at the till for an unknown barcode
    with shop() as (session, actor, catalog_id):
        product = service.add_from_register(session, account_id=actor.account_id, catalog_id=catalog_id,
                                            name="Неизвестный товар", price=10000, barcode="4600000000015")
        assert product.from_register and product.free_price
    # when a person gives it a proper name
    with shop() as (session, actor, catalog_id):
        card = service.update_product(session, actor, catalog_id, product.id, ProductChange(name="Конфеты «Мишка»"))
        # then the mark is gone and the barcode and price stay
        assert not card.product.from_register
        assert card.barcodes == ["4600000000015"] and card.product.price == 10000


def test_a_damaged_cursor_is_refused_as_invalid_input(shop):
    with pytest.raises(Invalid) as refused, shop() as (session, actor, catalog_id):
        service.list_products(session, actor, catalog_id, cursor="WyJ4IiwgIm5vdC1hbi1pZCJd")
    assert "cursor" in refused.value.fields


# --- accounts apart -----------------------------------------------------------------------------


def test_another_accounts_catalog_products_and_groups_are_not_found(shop, other_shop):
    with shop() as (session, actor, catalog_id):
        group = service.create_group(session, actor, catalog_id, GroupIn(name="Свои")).id
        product = service.create_product(session, actor, catalog_id, ProductIn(name="Свой", group_id=group,
                                                                               barcodes=["4600000000015"])).product.id
        owners_catalog = catalog_id
    with other_shop() as (session, stranger, own_catalog):
        for call in (
            lambda: service.list_products(session, stranger, owners_catalog),
            lambda: service.list_groups(session, stranger, owners_catalog),
            lambda: service.find_by_barcode(session, stranger, owners_catalog, "4600000000015"),
            lambda: service.get_product(session, stranger, own_catalog, product),
            lambda: service.update_product(session, stranger, own_catalog, product, ProductChange(price=1)),
            lambda: service.rename_group(session, stranger, own_catalog, group, "Чужие"),
            lambda: service.delete_group(session, stranger, own_catalog, group),
            lambda: service.create_group(session, stranger, own_catalog, GroupIn(name="Подгруппа", parent_id=group)),
        ):
            with pytest.raises(NotFound):
                call()
        # a foreign group is not offered to a product of one's own catalog
        with pytest.raises(Invalid) as refused:
            service.create_product(session, stranger, own_catalog, ProductIn(name="Мой", group_id=group))
        assert "group_id" in refused.value.fields
        # bulk changes and deletions through one's own catalog touch nothing of the other account
        assert service.delete_products(session, stranger, own_catalog, [product]) == 0
        assert service.bulk_change(session, stranger, own_catalog, BulkIn(action=BulkAction.ARCHIVE, product_ids=[product])) == 0
        # and the other account's barcode is free in one's own catalog
        assert service.find_by_barcode(session, stranger, own_catalog, "4600000000015") is None
    with shop() as (session, actor, catalog_id):
        card = service.get_product(session, actor, catalog_id, product)
        assert not card.product.archived and card.product.group_id == group and card.barcodes == ["4600000000015"]


def test_a_groups_filter_shows_its_subgroups_products_too(shop):
    # given a group with a subgroup, a product in each, and one outside
    with shop() as (session, actor, catalog_id):
        dairy = service.create_group(session, actor, catalog_id, GroupIn(name="Молочное"))
        cheese = service.create_group(session, actor, catalog_id, GroupIn(name="Сыры", parent_id=dairy.id))
        for name, group in (("Молоко", dairy.id), ("Гауда", cheese.id), ("Хлеб", None)):
            service.create_product(session, actor, catalog_id, ProductIn(name=name, group_id=group))
    # when the parent group is chosen, then its subgroup's products are listed with its own
    with shop() as (session, actor, catalog_id):
        listed = service.list_products(session, actor, catalog_id, group_id=dairy.id).cards
        assert [card.product.name for card in listed] == ["Гауда", "Молоко"]
        assert [card.product.name for card in service.list_products(session, actor, catalog_id, group_id=cheese.id).cards] == ["Гауда"]


def test_deleting_a_product_on_a_hot_key_makes_the_points_registers_fetch_the_grid_again(db, owner, new_point):
    from openkassa.catalog import hotkeys
    from openkassa.points.models import RetailPoint

    # given a point whose hot key holds a product
    point = new_point("Касса у входа")
    with db.transaction() as session:
        actor = _actor(session, "owner@shop.ru")
        card = service.create_product(session, actor, uuid.UUID(point["catalog_id"]), ProductIn(name="Кофе"))
        hotkeys.set_hot_key(session, actor, uuid.UUID(point["id"]), 0, card.product.id)
        before = session.get_one(RetailPoint, uuid.UUID(point["id"])).revision
    # when the product is deleted
    with db.transaction() as session:
        actor = _actor(session, "owner@shop.ru")
        service.delete_products(session, actor, uuid.UUID(point["catalog_id"]), [card.product.id])
    # then the cell is empty and the point's revision moved on
    with db.transaction() as session:
        actor = _actor(session, "owner@shop.ru")
        assert hotkeys.get_hot_keys(session, actor, uuid.UUID(point["id"]))[0].product is None
        assert session.get_one(RetailPoint, uuid.UUID(point["id"])).revision > before


def test_the_products_out_of_every_group_can_be_listed_alone(shop):
    with shop() as (session, actor, catalog_id):
        dairy = service.create_group(session, actor, catalog_id, GroupIn(name="Молочное"))
        service.create_product(session, actor, catalog_id, ProductIn(name="Молоко", group_id=dairy.id))
        service.create_product(session, actor, catalog_id, ProductIn(name="Хлеб"))
    with shop() as (session, actor, catalog_id):
        assert [card.product.name for card in service.list_products(session, actor, catalog_id, ungrouped=True).cards] == ["Хлеб"]


@pytest.mark.parametrize("typed", ["0.5", "0,5л", "2024", "шк-2024", "w.05"])
def test_search_splits_words_at_signs_the_same_way_on_every_database(shop, typed):
    with shop() as (session, actor, catalog_id):
        service.create_product(session, actor, catalog_id, ProductIn(name="Вода питьевая 0.5л", article="ШК-2024/5", code="W.05"))
        service.create_product(session, actor, catalog_id, ProductIn(name="Сок яблочный", code="S-1"))
    with shop() as (session, actor, catalog_id):
        found = service.list_products(session, actor, catalog_id, search_text=typed).cards
        assert [card.product.name for card in found] == ["Вода питьевая 0.5л"]
