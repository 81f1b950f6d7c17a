"""Rules of the catalog domain: catalogs, product cards and their barcodes, groups, bulk changes,
listing and search.

Every change takes one new account revision (`next_revision`) and stamps the rows it touched with
it; a deletion leaves a tombstone with it. Registers later fetch "changes since revision N".
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, Select, bindparam, delete, func, insert, select, tuple_, union_all, update
from sqlalchemy.orm import Session

from openkassa.accounts.roles import Permission
from openkassa.accounts.service import Actor, next_revision, require
from openkassa.catalog import search
from openkassa.catalog.models import Barcode, Catalog, CatalogTombstone, HotKey, Product, ProductGroup, new_search_key
from openkassa.catalog.schemas import BulkAction, BulkIn, GroupIn, ProductChange, ProductIn, SortKey
from openkassa.db import utcnow
from openkassa.errors import Invalid, NotFound, validate
from openkassa.i18n import _
from openkassa.ids import new_id
from openkassa.points.models import RetailPoint

PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
MAX_GROUP_DEPTH = 10

_SORT_COLUMNS = {
    SortKey.NAME: Product.name,
    SortKey.PRICE: Product.price,
    SortKey.ARTICLE: Product.article,
    SortKey.CODE: Product.code,
    SortKey.UPDATED: Product.updated_at,
}


# --- catalogs ---------------------------------------------------------------------------------------


def create_catalog(session: Session, actor: Actor, *, name: str) -> Catalog:
    require(actor, Permission.MANAGE)
    catalog = Catalog(account_id=actor.account_id, name=name)
    session.add(catalog)
    session.flush()
    return catalog


def get_catalog(session: Session, actor: Actor, catalog_id: uuid.UUID) -> Catalog:
    catalog = session.get(Catalog, catalog_id)
    if catalog is None or catalog.account_id != actor.account_id:
        raise NotFound()
    return catalog


def copy_catalog(session: Session, actor: Actor, *, source_id: uuid.UUID, name: str) -> Catalog:
    """A new catalog holding a copy of every group, product and barcode of another one (bulk inserts)."""
    source = get_catalog(session, actor, source_id)
    copy = create_catalog(session, actor, name=name)
    revision = next_revision(session, actor.account_id)
    groups = session.execute(select(ProductGroup.id, ProductGroup.parent_id, ProductGroup.name)
                             .where(ProductGroup.catalog_id == source.id)).all()
    new_group = {group_id: new_id() for group_id, _parent, _name in groups}
    if groups:
        session.execute(insert(ProductGroup), [
            {"id": new_group[group_id], "account_id": actor.account_id, "catalog_id": copy.id,
             "parent_id": new_group.get(parent_id), "name": group_name, "revision": revision}
            for group_id, parent_id, group_name in groups
        ])
    skipped = {"id", "catalog_id", "group_id", "revision", "search_key", "created_at", "updated_at"}
    columns = [column for column in Product.__table__.columns if column.name not in skipped]
    rows = session.execute(select(Product.id, Product.group_id, *columns).where(Product.catalog_id == source.id)).all()
    new_product = {row.id: new_id() for row in rows}
    if rows:
        session.execute(insert(Product), [
            {**{column.name: getattr(row, column.name) for column in columns}, "id": new_product[row.id],
             "catalog_id": copy.id, "group_id": new_group.get(row.group_id), "revision": revision}
            for row in rows
        ])
    codes = session.execute(select(Barcode.code, Barcode.product_id).where(Barcode.catalog_id == source.id)).all()
    if codes:
        session.execute(insert(Barcode), [
            {"catalog_id": copy.id, "code": code, "product_id": new_product[product_id]} for code, product_id in codes
        ])
    return copy


def count_products(session: Session, actor: Actor, catalog_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    rows = session.execute(
        select(Product.catalog_id, func.count())
        .where(Product.account_id == actor.account_id, Product.catalog_id.in_(catalog_ids))
        .group_by(Product.catalog_id)
    )
    return {catalog_id: count for catalog_id, count in rows}


# --- groups -----------------------------------------------------------------------------------------


@dataclass
class GroupNode:
    """A group with its subgroups, for showing the tree."""

    id: uuid.UUID
    name: str
    children: list[GroupNode] = field(default_factory=list)


def list_groups(session: Session, actor: Actor, catalog_id: uuid.UUID) -> list[GroupNode]:
    """The catalog's groups as a tree, each level by name."""
    require(actor, Permission.VIEW)
    catalog = get_catalog(session, actor, catalog_id)
    rows = session.execute(
        select(ProductGroup.id, ProductGroup.parent_id, ProductGroup.name)
        .where(ProductGroup.catalog_id == catalog.id).order_by(func.lower(ProductGroup.name))
    ).all()
    nodes = {group_id: GroupNode(group_id, name) for group_id, _parent, name in rows}
    roots: list[GroupNode] = []
    for group_id, parent_id, _name in rows:
        (nodes[parent_id].children if parent_id in nodes else roots).append(nodes[group_id])
    return roots


def create_group(session: Session, actor: Actor, catalog_id: uuid.UUID, data: GroupIn) -> ProductGroup:
    require(actor, Permission.MANAGE)
    catalog = get_catalog(session, actor, catalog_id)
    if data.parent_id is not None:
        _check_depth(session, _group(session, actor, catalog.id, data.parent_id))
    _refuse_twin_group(session, catalog.id, data.parent_id, data.name)
    group = ProductGroup(account_id=actor.account_id, catalog_id=catalog.id, parent_id=data.parent_id, name=data.name,
                         revision=next_revision(session, actor.account_id))
    session.add(group)
    session.flush()
    return group


def rename_group(session: Session, actor: Actor, catalog_id: uuid.UUID, group_id: uuid.UUID, name: str) -> ProductGroup:
    require(actor, Permission.MANAGE)
    group = _group(session, actor, catalog_id, group_id)
    data = validate(GroupIn, {"name": name, "parent_id": group.parent_id})  # a bad name is Invalid, not a crash
    if data.name.lower() != group.name.lower():  # a new case of its own name is no twin
        _refuse_twin_group(session, group.catalog_id, group.parent_id, data.name)
    group.name, group.revision = data.name, next_revision(session, actor.account_id)
    return group


def delete_group(session: Session, actor: Actor, catalog_id: uuid.UUID, group_id: uuid.UUID) -> None:
    """Delete a group and its subgroups; their products stay in the catalog, out of any group."""
    require(actor, Permission.MANAGE)
    group = _group(session, actor, catalog_id, group_id)
    revision = next_revision(session, actor.account_id)
    subtree = _subtree(session, group)
    session.execute(update(Product).where(Product.catalog_id == group.catalog_id, Product.group_id.in_(subtree))
                    .values(group_id=None, revision=revision, updated_at=utcnow()))
    session.execute(insert(CatalogTombstone), [
        {"id": new_id(), "account_id": actor.account_id, "catalog_id": group.catalog_id, "kind": "group",
         "object_id": member, "revision": revision} for member in subtree
    ])
    session.execute(delete(ProductGroup).where(ProductGroup.id.in_(subtree)))


def _group(session: Session, actor: Actor, catalog_id: uuid.UUID, group_id: uuid.UUID) -> ProductGroup:
    group = session.get(ProductGroup, group_id)
    if group is None or group.account_id != actor.account_id or group.catalog_id != catalog_id:
        raise NotFound()
    return group


def _subtree(session: Session, group: ProductGroup) -> list[uuid.UUID]:
    members, level = [group.id], [group.id]
    while level:
        level = list(session.scalars(select(ProductGroup.id).where(  # the catalog's (catalog_id, parent_id) index serves it
            ProductGroup.catalog_id == group.catalog_id, ProductGroup.parent_id.in_(level))))
        members += level
    return members


def _check_depth(session: Session, parent: ProductGroup) -> None:
    depth, current = 1, parent
    while current.parent_id is not None:
        depth += 1
        current = session.get(ProductGroup, current.parent_id)
    if depth >= MAX_GROUP_DEPTH:
        raise Invalid(fields={"parent_id": _("Groups nest at most {depth} deep.").format(depth=MAX_GROUP_DEPTH)})


def _refuse_twin_group(session: Session, catalog_id: uuid.UUID, parent_id: uuid.UUID | None, name: str) -> None:
    twin = session.scalar(select(ProductGroup.id).where(
        ProductGroup.catalog_id == catalog_id,
        ProductGroup.parent_id.is_(None) if parent_id is None else ProductGroup.parent_id == parent_id,
        func.lower(ProductGroup.name) == name.lower(),
    ))
    if twin is not None:
        raise Invalid(fields={"name": _("There is a group with this name here already.")})


# --- product cards ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProductCard:
    """A product with its barcodes, as a page or the API shows it."""

    product: Product
    barcodes: list[str]


def get_product(session: Session, actor: Actor, catalog_id: uuid.UUID, product_id: uuid.UUID) -> ProductCard:
    require(actor, Permission.VIEW)
    product = _product(session, actor, catalog_id, product_id)
    return ProductCard(product, _barcodes_of(session, [product.id]).get(product.id, []))


def create_product(session: Session, actor: Actor, catalog_id: uuid.UUID, data: ProductIn) -> ProductCard:
    require(actor, Permission.MANAGE)
    catalog = get_catalog(session, actor, catalog_id)
    _check_references(session, actor, catalog.id, data, product_id=None)
    values = data.model_dump(exclude={"barcodes"})
    product = Product(account_id=actor.account_id, catalog_id=catalog.id, revision=next_revision(session, actor.account_id),
                      **{name: _stored(value) for name, value in values.items()})
    session.add(product)
    session.flush()
    _set_barcodes(session, catalog.id, product.id, data.barcodes)
    return ProductCard(product, data.barcodes)


def update_product(session: Session, actor: Actor, catalog_id: uuid.UUID, product_id: uuid.UUID,
                   data: ProductIn | ProductChange) -> ProductCard:
    """Change a card: all of it (ProductIn) or the fields given (ProductChange), checked as a whole
    card. A person's edit also clears the "made on the register" mark."""
    require(actor, Permission.MANAGE)
    product = _product(session, actor, catalog_id, product_id)
    if isinstance(data, ProductChange):
        current = {name: getattr(product, name) for name in ProductIn.model_fields if name != "barcodes"}
        current["barcodes"] = _barcodes_of(session, [product.id])[product.id]
        data = validate(ProductIn, {**current, **data.model_dump(exclude_unset=True)})
    _check_references(session, actor, product.catalog_id, data, product_id=product.id)
    for name, value in data.model_dump(exclude={"barcodes"}).items():
        setattr(product, name, _stored(value))
    product.from_register = False
    product.revision = next_revision(session, actor.account_id)
    _set_barcodes(session, product.catalog_id, product.id, data.barcodes)
    session.flush()
    return ProductCard(product, data.barcodes)


def delete_products(session: Session, actor: Actor, catalog_id: uuid.UUID, product_ids: Iterable[uuid.UUID]) -> int:
    """Delete products (their barcodes and hot keys go with them); registers learn it by tombstones."""
    require(actor, Permission.MANAGE)
    catalog = get_catalog(session, actor, catalog_id)
    found = list(session.scalars(select(Product.id).where(Product.catalog_id == catalog.id, Product.id.in_(list(product_ids)))))
    if not found:
        return 0
    revision = next_revision(session, actor.account_id)
    session.execute(insert(CatalogTombstone), [
        {"id": new_id(), "account_id": actor.account_id, "catalog_id": catalog.id, "kind": "product",
         "object_id": product_id, "revision": revision} for product_id in found
    ])
    # Their hot keys go with them: the points that had them send their registers the grid again.
    session.execute(update(RetailPoint).where(RetailPoint.id.in_(select(HotKey.point_id).where(HotKey.product_id.in_(found))))
                    .values(revision=revision))
    session.execute(delete(Product).where(Product.id.in_(found)))
    return len(found)


def bulk_change(session: Session, actor: Actor, catalog_id: uuid.UUID, data: BulkIn) -> int:
    """Apply one change to many products of a catalog; return how many it touched."""
    if data.action is BulkAction.DELETE:
        return delete_products(session, actor, catalog_id, data.product_ids)
    require(actor, Permission.MANAGE)
    catalog = get_catalog(session, actor, catalog_id)
    values: dict[str, object] = {
        BulkAction.MOVE: {"group_id": data.group_id},
        BulkAction.VAT: {"vat": int(data.vat) if data.vat is not None else None},
        BulkAction.ARCHIVE: {"archived": True},
        BulkAction.RESTORE: {"archived": False},
    }[data.action]
    if data.action is BulkAction.MOVE and data.group_id is not None:
        _group(session, actor, catalog.id, data.group_id)
    revision = next_revision(session, actor.account_id)
    result = session.execute(
        update(Product).where(Product.catalog_id == catalog.id, Product.id.in_(data.product_ids))
        .values(**values, revision=revision, updated_at=utcnow())
    )
    return result.rowcount


def find_by_barcode(session: Session, actor: Actor, catalog_id: uuid.UUID, code: str) -> ProductCard | None:
    require(actor, Permission.VIEW)
    catalog = get_catalog(session, actor, catalog_id)
    product = session.scalar(select(Product).join(Barcode, Barcode.product_id == Product.id)
                             .where(Barcode.catalog_id == catalog.id, Barcode.code == code.strip()))
    return None if product is None else ProductCard(product, _barcodes_of(session, [product.id])[product.id])


def add_from_register(session: Session, *, account_id: uuid.UUID, catalog_id: uuid.UUID, name: str, price: int,
                      barcode: str | None, product_id: uuid.UUID | None = None) -> Product:
    """A product a cashier made at the till (an unknown barcode scanned): it stays marked until a person edits it.

    Called by the device API, which has checked the register's point; `product_id` is the id the
    register gave it. A barcode taken meanwhile by another product is not given again."""
    data = ProductIn(name=name, price=price, free_price=True, barcodes=[barcode] if barcode else [])
    product = Product(id=product_id or new_id(), account_id=account_id, catalog_id=catalog_id, name=data.name, price=data.price,
                      free_price=True, from_register=True, revision=next_revision(session, account_id))
    session.add(product)
    session.flush()
    free = [code for code in data.barcodes if session.get(Barcode, (catalog_id, code)) is None]
    _set_barcodes(session, catalog_id, product.id, free)
    return product


def cost_prices(session: Session, *, account_id: uuid.UUID, product_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, int]:
    """The cost price of each of the account's products given (those that exist), for the figures of a sale."""
    return _by_id(session, Product.cost_price, account_id=account_id, product_ids=product_ids)


def product_names(session: Session, *, account_id: uuid.UUID, product_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The names of the account's products given (those that exist)."""
    return _by_id(session, Product.name, account_id=account_id, product_ids=product_ids)


def product_kinds(session: Session, *, account_id: uuid.UUID, product_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, int]:
    """The kind (1212: goods, a service, …) of each of the account's products given (those that exist),
    for the stock that only goods have."""
    return _by_id(session, Product.kind, account_id=account_id, product_ids=product_ids)


def kinds_and_cost_prices(session: Session, *, account_id: uuid.UUID,
                          product_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, tuple[int, int]]:
    """Both at once, for the stock that sales move: their kinds, and what goods never received are worth."""
    return _by_id(session, Product.kind, Product.cost_price, account_id=account_id, product_ids=product_ids)


def products_by_barcodes(session: Session, *, catalog_ids: Iterable[uuid.UUID], codes: Iterable[str]) -> dict[str, uuid.UUID]:
    """The products of these catalogs by the barcodes given (those that exist; the first catalog's first)."""
    return _by_key(session, select(Barcode.code, Barcode.product_id, Barcode.catalog_id), Barcode.code, Barcode.catalog_id,
                   catalog_ids, codes)


def products_by_codes(session: Session, *, catalog_ids: Iterable[uuid.UUID], codes: Iterable[str]) -> dict[str, uuid.UUID]:
    """The products of these catalogs by their internal codes given (those that exist; the first catalog's first)."""
    return _by_key(session, select(Product.code, Product.id, Product.catalog_id), Product.code, Product.catalog_id,
                   catalog_ids, codes)


def _by_key(session: Session, query: Select, key, catalog, catalog_ids: Iterable[uuid.UUID],
            keys: Iterable[str]) -> dict[str, uuid.UUID]:
    order = {catalog_id: n for n, catalog_id in enumerate(dict.fromkeys(catalog_ids))}
    wanted = list(dict.fromkeys(keys))
    found: dict[str, tuple[int, uuid.UUID]] = {}
    for start in range(0, len(wanted), 1000):
        for code, product_id, catalog_id in session.execute(query.where(
                catalog.in_(list(order)), key.in_(wanted[start:start + 1000]))):
            if code not in found or order[catalog_id] < found[code][0]:
                found[code] = (order[catalog_id], product_id)
    return {code: product_id for code, (_n, product_id) in found.items()}


def _by_id(session: Session, *columns, account_id: uuid.UUID, product_ids: Iterable[uuid.UUID]) -> dict:
    """Columns of the account's products given, by id (one column's value, or a tuple of several), asked a
    thousand ids at a time."""
    ids = list(product_ids)
    found: dict = {}
    for start in range(0, len(ids), 1000):
        rows = session.execute(select(Product.id, *columns).where(
            Product.account_id == account_id, Product.id.in_(ids[start:start + 1000])))
        found.update((row[0], row[1] if len(columns) == 1 else tuple(row[1:])) for row in rows)
    return found


def product_rows(*, account_id: uuid.UUID, catalog_ids: Iterable[uuid.UUID]) -> Select:
    """A query of the products (id, catalog_id, name, code) of the account's catalogs given, for another domain
    to narrow down by its own figures (the statistics' products not sold lately)."""
    return select(Product.id, Product.catalog_id, Product.name, Product.code).where(
        Product.account_id == account_id, Product.catalog_id.in_(list(catalog_ids)), Product.archived.is_(False))


def _product(session: Session, actor: Actor, catalog_id: uuid.UUID, product_id: uuid.UUID) -> Product:
    product = session.get(Product, product_id)
    if product is None or product.account_id != actor.account_id or product.catalog_id != catalog_id:
        raise NotFound()
    return product


def _stored(value: object) -> object:
    """Enum members go to the database as their ФФД codes."""
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _check_references(session: Session, actor: Actor, catalog_id: uuid.UUID, data: ProductIn,
                      product_id: uuid.UUID | None) -> None:
    """The group is the catalog's; the code and the barcodes are not another product's."""
    errors: dict[str, str] = {}
    if data.group_id is not None:
        group = session.get(ProductGroup, data.group_id)
        if group is None or group.account_id != actor.account_id or group.catalog_id != catalog_id:
            errors["group_id"] = _("Choose a group of this catalog.")
    if data.code:
        other = session.scalar(select(Product.name).where(Product.catalog_id == catalog_id, Product.code == data.code,
                                                          Product.id != product_id if product_id else True))
        if other is not None:
            errors["code"] = _("Code {code} belongs to «{name}».").format(code=data.code, name=other)
    if data.barcodes:
        taken = session.execute(
            select(Barcode.code, Product.name).join(Product, Product.id == Barcode.product_id)
            .where(Barcode.catalog_id == catalog_id, Barcode.code.in_(data.barcodes),
                   Barcode.product_id != product_id if product_id else True)
        ).first()
        if taken is not None:
            errors["barcodes"] = _("Barcode {code} belongs to «{name}».").format(code=taken.code, name=taken.name)
    if errors:
        raise Invalid(fields=errors)


def _set_barcodes(session: Session, catalog_id: uuid.UUID, product_id: uuid.UUID, codes: list[str]) -> None:
    session.execute(delete(Barcode).where(Barcode.product_id == product_id))
    if codes:
        session.execute(insert(Barcode), [{"catalog_id": catalog_id, "code": code, "product_id": product_id} for code in codes])


def _barcodes_of(session: Session, product_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    found: dict[uuid.UUID, list[str]] = {product_id: [] for product_id in product_ids}
    if product_ids:
        for product_id, code in session.execute(
            select(Barcode.product_id, Barcode.code).where(Barcode.product_id.in_(product_ids)).order_by(Barcode.code)
        ):
            found[product_id].append(code)
    return found


# --- cards written by another system (1C) -----------------------------------------------------------


def cards_by_external_ids(session: Session, actor: Actor, catalog_id: uuid.UUID,
                          external_ids: Iterable[str]) -> dict[str, ProductCard]:
    """The catalog's products that came from another system (1C), by their id there."""
    return {card.product.external_id: card for card in _cards(session, actor, catalog_id, Product.external_id, external_ids)}


def cards_by_barcodes(session: Session, actor: Actor, catalog_id: uuid.UUID, codes: Iterable[str]) -> dict[str, ProductCard]:
    """The catalog's products by the barcodes given (those that exist)."""
    found = _by_key(session, select(Barcode.code, Barcode.product_id, Barcode.catalog_id), Barcode.code, Barcode.catalog_id,
                    [catalog_id], codes)
    cards = {card.product.id: card for card in _cards(session, actor, catalog_id, Product.id, set(found.values()))}
    return {code: cards[product_id] for code, product_id in found.items()}


def _cards(session: Session, actor: Actor, catalog_id: uuid.UUID, key, values: Iterable) -> list[ProductCard]:
    require(actor, Permission.VIEW)
    catalog = get_catalog(session, actor, catalog_id)
    wanted, products = list(dict.fromkeys(values)), []
    for start in range(0, len(wanted), 1000):
        products += session.scalars(select(Product).where(Product.catalog_id == catalog.id, key.in_(wanted[start:start + 1000])))
    barcodes = _barcodes_of(session, [product.id for product in products])
    return [ProductCard(product, barcodes[product.id]) for product in products]


@dataclass(frozen=True)
class CardWrite:
    """A whole card to write: a new product (`product_id` None) or a replacement, with its id in another system."""

    product_id: uuid.UUID | None
    card: ProductIn
    external_id: str | None = None


def save_cards(session: Session, actor: Actor, catalog_id: uuid.UUID, writes: list[CardWrite]) -> list[uuid.UUID]:
    """Create or replace many cards in one revision, all or none: each checked as `create_product` and
    `update_product` check one (its group is the catalog's; its code and barcodes are no other
    product's, nor given twice), in a few queries. Problems are raised on `<index>.<field>`.
    Bulk statements on purpose: 10,000 cards of a 1C exchange in one go. Answers the products' ids."""
    require(actor, Permission.MANAGE)
    catalog = get_catalog(session, actor, catalog_id)
    errors: dict[str, str] = {}
    groups = {write.card.group_id for write in writes if write.card.group_id is not None}
    known = set(session.scalars(select(ProductGroup.id).where(ProductGroup.catalog_id == catalog.id,
                                                              ProductGroup.id.in_(groups)))) if groups else set()
    writers: dict[tuple[str, str], int] = {}
    for index, write in enumerate(writes):
        if write.card.group_id is not None and write.card.group_id not in known:
            errors[f"{index}.group_id"] = _("Choose a group of this catalog.")
        for kind, values in (("code", [write.card.code] if write.card.code else []), ("barcodes", write.card.barcodes)):
            for value in values:
                if (kind, value) in writers:
                    errors[f"{index}.{kind}"] = _("{value} is given twice.").format(value=value)
                writers[kind, value] = index
    owners = {("code", code): (product_id, name) for code, product_id, name in _owners(
        session, select(Product.code, Product.id, Product.name), Product.catalog_id == catalog.id, Product.code,
        [value for kind, value in writers if kind == "code"])}
    owners.update({("barcodes", code): (product_id, name) for code, product_id, name in _owners(
        session, select(Barcode.code, Product.id, Product.name).join(Product, Product.id == Barcode.product_id),
        Barcode.catalog_id == catalog.id, Barcode.code, [value for kind, value in writers if kind == "barcodes"])})
    # A barcode may move between two cards of the batch: the old card's barcodes go before any is written.
    released = {(write.product_id, code) for write in writes if write.product_id for code in write.card.barcodes}
    rewritten = {write.product_id for write in writes if write.product_id}
    for (kind, value), (owner_id, name) in owners.items():
        index = writers[kind, value]
        if kind == "barcodes" and owner_id in rewritten and (owner_id, value) not in released:
            continue
        if owner_id != writes[index].product_id:
            message = _("Code {code} belongs to «{name}».") if kind == "code" else _("Barcode {code} belongs to «{name}».")
            errors.setdefault(f"{index}.{kind}", message.format(code=value, name=name))
    if errors:
        raise Invalid(fields=errors)
    revision, now = next_revision(session, actor.account_id), utcnow()
    ids = [write.product_id or new_id() for write in writes]
    rows = [{**{name: _stored(value) for name, value in write.card.model_dump(exclude={"barcodes"}).items()},
             "id": product_id, "external_id": write.external_id, "revision": revision, "updated_at": now,
             "from_register": False} for write, product_id in zip(writes, ids, strict=True)]
    new = [row for row, write in zip(rows, writes, strict=True) if write.product_id is None]
    changed = [row for row, write in zip(rows, writes, strict=True) if write.product_id is not None]
    if new:
        first_key = new_search_key(len(new))  # rising keys: SQLite's FTS5 adds a run of them in one go
        session.execute(insert(Product), [{**row, "account_id": actor.account_id, "catalog_id": catalog.id,
                                           "search_key": first_key + n, "created_at": now} for n, row in enumerate(new)])
    if changed:  # a Core executemany by id: the ORM's bulk update by primary key costs a third more
        table = Product.__table__
        session.execute(update(table).where(table.c.id == bindparam("_id")),
                        [{"_id": row["id"], **{key: value for key, value in row.items() if key != "id"}} for row in changed])
        for start in range(0, len(changed), 1000):
            session.execute(delete(Barcode).where(Barcode.product_id.in_([row["id"] for row in changed[start:start + 1000]])))
    codes = [{"catalog_id": catalog.id, "code": code, "product_id": product_id}
             for write, product_id in zip(writes, ids, strict=True) for code in write.card.barcodes]
    if codes:
        session.execute(insert(Barcode), codes)
    return ids


def _owners(session: Session, query: Select, in_catalog: ColumnElement, key, values: list[str]) -> list:
    found = []
    for start in range(0, len(values), 1000):
        found += session.execute(query.where(in_catalog, key.in_(values[start:start + 1000]))).all()
    return found


# --- listing ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProductPage:
    """One page of a product list and the cursor of the next one (None on the last page)."""

    cards: list[ProductCard]
    next_cursor: str | None


def list_products(
    session: Session,
    actor: Actor,
    catalog_id: uuid.UUID,
    *,
    search_text: str = "",
    group_id: uuid.UUID | None = None,
    ungrouped: bool = False,
    archived: bool | None = False,
    sort: SortKey = SortKey.NAME,
    descending: bool = False,
    cursor: str | None = None,
    limit: int = PAGE_SIZE,
    within: Callable[[ColumnElement], ColumnElement[bool]] | None = None,
    kinds: Iterable[int] | None = None,
) -> ProductPage:
    """A page of a catalog's products, found by what was typed, in a group (or in none), sorted by a column.

    Pages follow each other by a cursor (the last row's sort value and id), so the millionth
    product is as quick to reach as the first. `archived=None` lists archived products too.
    `within`: another domain's condition on the product's id that narrows the list (stock in hand, say);
    `kinds`: only products of these kinds (1212), goods for the stock.
    """
    require(actor, Permission.VIEW)
    catalog = get_catalog(session, actor, catalog_id)
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    column = _SORT_COLUMNS[sort]
    query: Select = select(Product).where(*search.conditions(session, catalog.id, search_text))
    if ungrouped:
        query = query.where(Product.group_id.is_(None))
    elif group_id is not None:  # the group with its subgroups, as a folder shows its contents
        query = query.where(Product.group_id.in_(_subtree(session, _group(session, actor, catalog.id, group_id))))
    if archived is not None:
        query = query.where(Product.archived.is_(archived))
    if within is not None:
        query = query.where(within(Product.id))
    if kinds is not None:
        query = query.where(Product.kind.in_([int(kind) for kind in kinds]))
    if cursor is not None:
        value, last_id = _read_cursor(cursor, sort)
        after = tuple_(column, Product.id) < tuple_(value, last_id) if descending else tuple_(column, Product.id) > tuple_(value, last_id)
        query = query.where(after)
    order = (column.desc(), Product.id.desc()) if descending else (column, Product.id)
    products = list(session.scalars(query.order_by(*order).limit(limit + 1)))
    more = len(products) > limit
    products = products[:limit]
    codes = _barcodes_of(session, [product.id for product in products])
    cards = [ProductCard(product, codes[product.id]) for product in products]
    next_cursor = _write_cursor(getattr(products[-1], column.key), products[-1].id) if more else None
    return ProductPage(cards, next_cursor)


def _write_cursor(value: object, last_id: uuid.UUID) -> str:
    if isinstance(value, datetime):
        value = value.isoformat()
    return base64.urlsafe_b64encode(json.dumps([value, str(last_id)]).encode()).decode().rstrip("=")


def _read_cursor(cursor: str, sort: SortKey) -> tuple[object, uuid.UUID]:
    """The cursor's values, or Invalid: a cursor is opaque, and a mangled one is the caller's error."""
    try:
        value, last_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        expected = int if sort is SortKey.PRICE else str
        # Databases take no NUL in text and no integer past 64 bits: such a cursor is damaged too.
        if type(value) is not expected or "\x00" in str(value) or (expected is int and abs(value) >= 2**63):
            raise ValueError(value)
        if sort is SortKey.UPDATED:
            value = datetime.fromisoformat(value)
            if value.tzinfo is None:  # we write UTC times; a naive one would fail in the query
                raise ValueError(value)
        return value, uuid.UUID(last_id)
    except (ValueError, TypeError):
        raise Invalid(fields={"cursor": _("The page link is damaged; start from the first page.")}) from None


@dataclass(frozen=True)
class CatalogChanges:
    """What changed in a catalog after a revision, and the revision to ask from next time."""

    revision: int
    cards: list[ProductCard]
    groups: list[ProductGroup]
    tombstones: list[CatalogTombstone]


def changed_since(session: Session, catalog_id: uuid.UUID, revision: int) -> CatalogChanges:
    """What changed in a catalog after `revision` (for the registers' sync).

    The newest revision is read first: revisions commit in order (`next_revision` holds the account
    row), so a change committed while the lists are read comes again next time, and none is missed.
    """
    stamps = union_all(
        select(func.max(Product.revision).label("revision")).where(Product.catalog_id == catalog_id),
        select(func.max(ProductGroup.revision)).where(ProductGroup.catalog_id == catalog_id),
        select(func.max(CatalogTombstone.revision)).where(CatalogTombstone.catalog_id == catalog_id),
    ).subquery()
    newest = session.scalar(select(func.coalesce(func.max(stamps.c.revision), 0)))
    products = list(session.scalars(select(Product).where(Product.catalog_id == catalog_id, Product.revision > revision)
                                    .order_by(Product.revision, Product.id)))
    # Barcodes by a join, not by a list of ids: a first sync may bring more products than a query takes parameters.
    codes: dict[uuid.UUID, list[str]] = {product.id: [] for product in products}
    for product_id, code in session.execute(
        select(Barcode.product_id, Barcode.code).join(Product, Product.id == Barcode.product_id)
        .where(Product.catalog_id == catalog_id, Product.revision > revision).order_by(Barcode.code)
    ):
        if product_id in codes:  # a product changed after the list was read is sent next time
            codes[product_id].append(code)
    groups = list(session.scalars(select(ProductGroup).where(ProductGroup.catalog_id == catalog_id,
                                                            ProductGroup.revision > revision)
                                  .order_by(ProductGroup.revision, ProductGroup.id)))
    tombstones = list(session.scalars(select(CatalogTombstone).where(CatalogTombstone.catalog_id == catalog_id,
                                                                     CatalogTombstone.revision > revision)
                                      .order_by(CatalogTombstone.revision, CatalogTombstone.id)))
    return CatalogChanges(newest, [ProductCard(product, codes[product.id]) for product in products], groups, tombstones)
