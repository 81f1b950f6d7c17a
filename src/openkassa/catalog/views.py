"""HTML pages of the catalog domain: a point's product list, its price list, product cards, groups and hot keys.

Lists and cards work as plain pages and forms; HTMX adds search as you type, "show more" rows and
the price edited in place (fragments swapped into the page). Files (import, export, the template)
have their pages in `import_views.py`.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, replace
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request

from openkassa.accounts.deps import CurrentActor
from openkassa.accounts.roles import Permission
from openkassa.catalog import hotkeys, service
from openkassa.catalog.schemas import MAX_KOPECKS, BulkAction, BulkIn, GroupIn, ProductChange, ProductIn, SortKey
from openkassa.catalog.service import GroupNode, ProductCard
from openkassa.db import utcnow
from openkassa.errors import Invalid, NotFound, validate
from openkassa.fiscal.enums import ItemType, Unit, VatRate
from openkassa.i18n import _
from openkassa.points import service as points_service
from openkassa.points.models import RetailPoint
from openkassa.web import flash
from openkassa.web.deps import DbSession, FormData, require_csrf
from openkassa.web.forms import money_text, parse, read_money
from openkassa.web.templating import is_htmx, render, see_other

router = APIRouter(dependencies=[Depends(require_csrf)], include_in_schema=False)

MONEY_FIELDS = ("price", "min_price", "cost_price")
VAT_LABELS = {int(rate): rate.label for rate in VatRate}
HOT_KEY_CHOICES = 10  # products offered when picking a hot key
_BARCODE_SEPARATORS = re.compile(r"[\s,;]+")


def _uuid(value: str) -> uuid.UUID:
    """The id of a link; a mangled id names nothing that exists, as for any other page."""
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotFound() from None


def point_of(db, actor, point: str) -> RetailPoint:
    """The point a catalog page is about (`?point=`)."""
    return points_service.get_point(db, actor, _uuid(point))


# --- the product list -------------------------------------------------------------------------------


UNGROUPED = "none"  # the group filter's value for the products out of every group


@dataclass(frozen=True)
class Listing:
    """What a product list shows (the query of its address): found, filtered and sorted."""

    point_id: uuid.UUID
    q: str = ""
    group: uuid.UUID | str | None = None  # a group's id, UNGROUPED, or None for every product
    archived: bool = False
    sort: SortKey = SortKey.NAME
    desc: bool = False

    def url(self, cursor: str | None = None, **changes) -> str:
        listing = replace(self, **changes)
        params = {"point": str(listing.point_id), "q": listing.q, "group": str(listing.group or ""),
                  "archived": "1" if listing.archived else "",
                  "sort": "" if listing.sort is SortKey.NAME else listing.sort,
                  "desc": "1" if listing.desc else "", "cursor": cursor or ""}
        return "/products?" + urlencode({name: value for name, value in params.items() if value})

    def sort_url(self, key: str) -> str:
        """Sort by a column; the same column again turns the order round (by the date of change: newest first)."""
        key = SortKey(key)
        return self.url(sort=key, desc=not self.desc if key is self.sort else key is SortKey.UPDATED)


def _flatten(nodes: list[GroupNode], depth: int = 0) -> list[tuple[GroupNode, int]]:
    """The group tree as a list in display order, each group with its depth."""
    flat: list[tuple[GroupNode, int]] = []
    for node in nodes:
        flat.append((node, depth))
        flat.extend(_flatten(node.children, depth + 1))
    return flat


def _group_options(groups: list[tuple[GroupNode, int]], empty: str) -> list[tuple[str, str]]:
    return [("", empty)] + [(str(node.id), "\u2003" * depth + node.name) for node, depth in groups]


def _table(db, actor, point: RetailPoint) -> dict:
    """What every rendering of product rows needs."""
    groups = _flatten(service.list_groups(db, actor, point.catalog_id))
    return {
        "point": point, "groups": groups, "group_names": {node.id: node.name for node, _depth in groups},
        "vat_labels": VAT_LABELS, "can_manage": actor.can(Permission.MANAGE),
    }


@router.get("/products")
def products(request: Request, db: DbSession, actor: CurrentActor, point: str = "", q: str = "", group: str = "",
             archived: bool = False, sort: SortKey = SortKey.NAME, desc: bool = False, cursor: str = ""):
    """Products of a point's catalog: found, filtered by group, sorted, page by page."""
    points = points_service.list_points(db, actor)
    chosen = point_of(db, actor, point) if point else (points[0] if points else None)
    if chosen is None:
        return render(request, "catalog/products.html", section="products", points=points, point=None, listing=None)
    listing = Listing(chosen.id, q[:100], UNGROUPED if group == UNGROUPED else _uuid(group) if group else None,
                      archived, sort, desc)
    try:
        page = service.list_products(db, actor, chosen.catalog_id, search_text=listing.q, ungrouped=group == UNGROUPED,
                                     group_id=listing.group if isinstance(listing.group, uuid.UUID) else None,
                                     archived=archived, sort=sort, descending=desc, cursor=cursor or None)
    except Invalid as error:  # a damaged page link: back to the first page, saying why
        flash.add(request, error.fields.get("cursor", error.message), "error")
        return see_other(listing.url())
    table = _table(db, actor, chosen)
    return render(
        request, _list_template(request), section="products", points=points, listing=listing, q=listing.q,
        cards=page.cards, more_url=listing.url(cursor=page.next_cursor) if page.next_cursor else None, cursor=cursor,
        group_options=_group_options(table["groups"], _("Out of every group")),
        vat_options=[(str(int(rate)), rate.label) for rate in VatRate], **table,
    )


def _list_template(request: Request) -> str:
    """The whole page; for HTMX, the table (as a search is typed: its sort links keep the words) or rows (more)."""
    if not is_htmx(request):
        return "catalog/products.html"
    return "catalog/table.html" if request.headers.get("HX-Target") == "product-table" else "catalog/rows.html"


def _row(request: Request, db, actor, point: RetailPoint, card: ProductCard, *, typed: str | None = None,
         error: str = ""):
    """One row of the list; with `typed`, its price is an input (an edit in place)."""
    return render(request, "catalog/row.html", card=card, editing=typed is not None, typed=typed or "",
                  error=error, **_table(db, actor, point))


@router.get("/products/{product_id}/row")
def product_row(request: Request, db: DbSession, actor: CurrentActor, product_id: uuid.UUID, point: str = ""):
    """A row as the list shows it (an edit in place cancelled)."""
    chosen = point_of(db, actor, point)
    return _row(request, db, actor, chosen, service.get_product(db, actor, chosen.catalog_id, product_id))


@router.get("/products/{product_id}/price")
def price_form(request: Request, db: DbSession, actor: CurrentActor, product_id: uuid.UUID, point: str = ""):
    """The row with its price as an input, to edit in place."""
    chosen = point_of(db, actor, point)
    card = service.get_product(db, actor, chosen.catalog_id, product_id)
    return _row(request, db, actor, chosen, card, typed=money_text(card.product.price))


@router.post("/products/{product_id}/price")
def change_price(request: Request, db: DbSession, actor: CurrentActor, product_id: uuid.UUID, form: FormData,
                 point: str = ""):
    """Save a price edited in place; the row comes back as the list shows it, or with the error."""
    chosen = point_of(db, actor, point)
    typed = str(form.get("price", ""))
    try:
        change = validate(ProductChange, {"price": read_money(typed, required=True, maximum=MAX_KOPECKS)})
        card = service.update_product(db, actor, chosen.catalog_id, product_id, change)
    except ValueError as error:
        message = str(error)
    except Invalid as error:  # the price's own message, else the card's (a minimum price above it)
        message = error.fields.get("price") or next(iter(error.fields.values()), error.message)
    else:
        message = ""
    if message and not is_htmx(request):
        flash.add(request, message, "error")
        return see_other(Listing(chosen.id).url())
    if message:  # 200, not 422: HTMX swaps only successful answers, and the row must show the message
        card = service.get_product(db, actor, chosen.catalog_id, product_id)
        return _row(request, db, actor, chosen, card, typed=typed, error=message)
    if not is_htmx(request):
        flash.add(request, _("The price of «{name}» is saved.").format(name=card.product.name))
        return see_other(Listing(chosen.id).url())
    return _row(request, db, actor, chosen, card)


@router.post("/products/bulk")
def bulk_change(request: Request, db: DbSession, actor: CurrentActor, form: FormData, point: str = ""):
    """Apply one change to the products ticked in the list; deleting asks to confirm first."""
    chosen = point_of(db, actor, point)
    back = _back(str(form.pop("back", "")), chosen)
    confirmed = form.pop("confirmed", "") == "yes"
    if not form.get("product_ids"):
        flash.add(request, _("Tick the products to change first."), "error")
        return see_other(back)
    try:
        # An empty group means "out of every group"; the fields of other actions are left empty.
        change = parse(BulkIn, {name: value for name, value in form.items() if value != ""})
    except Invalid as error:
        flash.add(request, " ".join(error.fields.values()) or error.message, "error")
        return see_other(back)
    if change.action is BulkAction.DELETE and not confirmed:
        return render(request, "catalog/confirm_delete.html", section="products", point=chosen, back=back,
                      product_ids=change.product_ids)
    count = service.bulk_change(db, actor, chosen.catalog_id, change)
    message = _("Products deleted: {count}.") if change.action is BulkAction.DELETE else _("Products changed: {count}.")
    flash.add(request, message.format(count=count))
    return see_other(back)


def _back(url: str, point: RetailPoint) -> str:
    """Where a form returns to: the list it was sent from (only ever a product list of ours)."""
    return url if url.startswith("/products?") else Listing(point.id).url()


# --- the price list ---------------------------------------------------------------------------------

PRICE_LIST_LIMIT = 10_000  # products on one printed list; a bigger catalog is printed group by group


@dataclass(frozen=True)
class PriceListSection:
    """The products of one group on the price list; `group` is its path ("" for products without a group)."""

    group: str
    cards: list[ProductCard]


@router.get("/products/price-list")
def price_list(request: Request, db: DbSession, actor: CurrentActor, point: str = "", group: str = ""):
    """The products on sale with their barcodes and prices, group by group, to print."""
    chosen = point_of(db, actor, point)
    groups = _flatten(service.list_groups(db, actor, chosen.catalog_id))
    group_id = _uuid(group) if group else None
    cards, more = _products_on_sale(db, actor, chosen.catalog_id, group_id)
    return render(request, "catalog/price_list.html", section="products", point=chosen, group=str(group_id or ""),
                  sections=_by_group(cards, groups), more=more, limit=PRICE_LIST_LIMIT, now=utcnow(),
                  group_options=_group_options(groups, _("Every group")), back=Listing(chosen.id).url())


def _products_on_sale(db, actor, catalog_id: uuid.UUID, group_id: uuid.UUID | None) -> tuple[list[ProductCard], bool]:
    """The first PRICE_LIST_LIMIT products on sale by name (of a group and its subgroups, when given), and whether
    there are more."""
    cards: list[ProductCard] = []
    cursor = None
    while len(cards) < PRICE_LIST_LIMIT:
        page = service.list_products(db, actor, catalog_id, group_id=group_id, cursor=cursor,
                                     limit=min(service.MAX_PAGE_SIZE, PRICE_LIST_LIMIT - len(cards)))
        cards += page.cards
        cursor = page.next_cursor
        if cursor is None:
            return cards, False
    return cards, True


def _by_group(cards: list[ProductCard], groups: list[tuple[GroupNode, int]]) -> list[PriceListSection]:
    """The cards in sections by group, in the tree's order, each named by its path; those without a group last."""
    paths: dict[uuid.UUID | None, str] = {}
    trail: list[str] = []
    for node, depth in groups:
        trail[depth:] = [node.name]
        paths[node.id] = " / ".join(trail)
    paths[None] = ""
    found: dict[uuid.UUID | None, list[ProductCard]] = {group_id: [] for group_id in paths}
    for card in cards:
        found[card.product.group_id if card.product.group_id in found else None].append(card)
    return [PriceListSection(paths[group_id], listed) for group_id, listed in found.items() if listed]


# --- money as people type it ------------------------------------------------------------------------


# --- groups -----------------------------------------------------------------------------------------


def _groups_page(request: Request, db, actor, point: RetailPoint, *, form: dict | None = None,
                 errors: dict | None = None, renaming: uuid.UUID | None = None, status_code: int = 200):
    groups = _flatten(service.list_groups(db, actor, point.catalog_id))
    return render(
        request, "catalog/groups.html", status_code=status_code, section="products", point=point, groups=groups,
        parent_options=_group_options(groups, _("At the top")), form=form or {}, errors=errors or {},
        renaming=renaming, can_manage=actor.can(Permission.MANAGE), back=Listing(point.id).url(),
    )


@router.get("/products/groups")
def groups(request: Request, db: DbSession, actor: CurrentActor, point: str = ""):
    """The catalog's group tree: add, rename and delete groups."""
    return _groups_page(request, db, actor, point_of(db, actor, point))


@router.post("/products/groups")
def create_group(request: Request, db: DbSession, actor: CurrentActor, form: FormData, point: str = ""):
    chosen = point_of(db, actor, point)
    data = {"name": form.get("name", ""), "parent_id": form.get("parent_id") or None}
    try:
        group = service.create_group(db, actor, chosen.catalog_id, validate(GroupIn, data))
    except Invalid as error:
        return _groups_page(request, db, actor, chosen, form=form, errors=error.fields, status_code=422)
    flash.add(request, _("The group «{name}» is added.").format(name=group.name))
    return see_other(f"/products/groups?point={chosen.id}")


@router.post("/products/groups/{group_id}")
def rename_group(request: Request, db: DbSession, actor: CurrentActor, group_id: uuid.UUID, form: FormData,
                 point: str = ""):
    chosen = point_of(db, actor, point)
    try:
        group = service.rename_group(db, actor, chosen.catalog_id, group_id, str(form.get("name", "")))
    except Invalid as error:
        return _groups_page(request, db, actor, chosen, form=form, errors=error.fields, renaming=group_id,
                            status_code=422)
    flash.add(request, _("The group is renamed to «{name}».").format(name=group.name))
    return see_other(f"/products/groups?point={chosen.id}")


@router.post("/products/groups/{group_id}/delete")
def delete_group(request: Request, db: DbSession, actor: CurrentActor, group_id: uuid.UUID, point: str = ""):
    chosen = point_of(db, actor, point)
    service.delete_group(db, actor, chosen.catalog_id, group_id)
    flash.add(request, _("The group is deleted; its products stay in the catalog without a group."))
    return see_other(f"/products/groups?point={chosen.id}")


# --- the product card -------------------------------------------------------------------------------


def _product_input(form: dict) -> ProductIn:
    """The card's form as ProductIn: amounts in roubles, barcodes one per line; Invalid names every bad field."""
    data = dict(form)
    errors: dict[str, str] = {}
    for name in MONEY_FIELDS:
        try:
            data[name] = read_money(str(data.get(name, "")), maximum=MAX_KOPECKS)
        except ValueError as error:
            errors[name], data[name] = str(error), 0
    data["barcodes"] = [code for code in _BARCODE_SEPARATORS.split(str(data.get("barcodes", ""))) if code]
    data["group_id"] = data.get("group_id") or None
    try:
        product = parse(ProductIn, data)
    except Invalid as error:
        # A refused amount was read as 0: a rule across fields (minimum ≤ price) would then mislead.
        fields = {name: message for name, message in error.fields.items() if not errors or name != "__all__"}
        raise Invalid(fields={**fields, **errors}) from None
    if errors:
        raise Invalid(fields=errors)
    return product


def _card_form(card: ProductCard) -> dict:
    product = card.product
    form: dict = {name: getattr(product, name) for name in ProductIn.model_fields if name != "barcodes"}
    form.update({name: money_text(getattr(product, name)) for name in MONEY_FIELDS})
    form.update(barcodes="\n".join(card.barcodes), group_id=str(product.group_id or ""))
    return form


def _card_page(request: Request, db, actor, point: RetailPoint, *, card: ProductCard | None, form: dict,
               errors: dict | None = None, status_code: int = 200):
    groups = _flatten(service.list_groups(db, actor, point.catalog_id))
    return render(
        request, "catalog/card.html", status_code=status_code, section="products", point=point, card=card,
        form=form, errors=errors or {}, can_manage=actor.can(Permission.MANAGE), back=Listing(point.id).url(),
        group_options=_group_options(groups, _("No group")),
        vat_options=[(str(int(rate)), rate.label) for rate in VatRate],
        unit_options=[(str(int(unit)), unit.label) for unit in Unit],
        kind_options=[(str(int(kind)), kind.label) for kind in ItemType],
    )


@router.get("/products/new")
def new_product(request: Request, db: DbSession, actor: CurrentActor, point: str = "", group: str = ""):
    """An empty card (in the group the list was showing)."""
    chosen = point_of(db, actor, point)
    form = {"vat": str(int(VatRate.NO_VAT)), "unit": str(int(Unit.PIECE)), "kind": str(int(ItemType.GOODS)),
            "group_id": group}
    return _card_page(request, db, actor, chosen, card=None, form=form)


@router.post("/products/new")
def create_product(request: Request, db: DbSession, actor: CurrentActor, form: FormData, point: str = ""):
    chosen = point_of(db, actor, point)
    try:
        card = service.create_product(db, actor, chosen.catalog_id, _product_input(form))
    except Invalid as error:
        return _card_page(request, db, actor, chosen, card=None, form=form, errors=error.fields, status_code=422)
    flash.add(request, _("The product «{name}» is saved.").format(name=card.product.name))
    return see_other(Listing(chosen.id).url())


@router.get("/products/{product_id}")
def product(request: Request, db: DbSession, actor: CurrentActor, product_id: uuid.UUID, point: str = ""):
    chosen = point_of(db, actor, point)
    card = service.get_product(db, actor, chosen.catalog_id, product_id)
    return _card_page(request, db, actor, chosen, card=card, form=_card_form(card))


@router.post("/products/{product_id}")
def update_product(request: Request, db: DbSession, actor: CurrentActor, product_id: uuid.UUID, form: FormData,
                   point: str = ""):
    chosen = point_of(db, actor, point)
    card = service.get_product(db, actor, chosen.catalog_id, product_id)
    try:
        card = service.update_product(db, actor, chosen.catalog_id, product_id, _product_input(form))
    except Invalid as error:
        return _card_page(request, db, actor, chosen, card=card, form=form, errors=error.fields, status_code=422)
    flash.add(request, _("The product «{name}» is saved.").format(name=card.product.name))
    return see_other(Listing(chosen.id).url())


@router.post("/products/{product_id}/delete")
def delete_product(request: Request, db: DbSession, actor: CurrentActor, product_id: uuid.UUID, point: str = ""):
    chosen = point_of(db, actor, point)
    card = service.get_product(db, actor, chosen.catalog_id, product_id)
    service.delete_products(db, actor, chosen.catalog_id, [card.product.id])
    flash.add(request, _("The product «{name}» is deleted.").format(name=card.product.name))
    return see_other(Listing(chosen.id).url())


# --- hot keys ---------------------------------------------------------------------------------------


@router.get("/points/{point_id}/hot-keys")
def hot_keys(request: Request, db: DbSession, actor: CurrentActor, point_id: uuid.UUID, position: int | None = None,
             q: str = ""):
    """The point's grid of hot keys; with `position`, products to put into that cell (found by `q`)."""
    point = points_service.get_point(db, actor, point_id)
    can_manage = actor.can(Permission.MANAGE)
    picking = position is not None and can_manage and 0 <= position < hotkeys.POSITIONS
    choices = []
    if picking:
        choices = service.list_products(db, actor, point.catalog_id, search_text=q[:100], limit=HOT_KEY_CHOICES).cards
    context = {"point": point, "position": position if picking else None, "q": q, "choices": choices}
    if is_htmx(request):
        return render(request, "catalog/hot_key_choices.html", **context)
    return render(request, "catalog/hot_keys.html", section="points", tab="hot-keys", columns=hotkeys.COLUMNS,
                  cells=hotkeys.get_hot_keys(db, actor, point.id), can_manage=can_manage, **context)


@router.post("/points/{point_id}/hot-keys/{position}")
def set_hot_key(request: Request, db: DbSession, actor: CurrentActor, point_id: uuid.UUID, position: int,
                form: FormData):
    cell = hotkeys.set_hot_key(db, actor, point_id, position, _uuid(str(form.get("product_id", ""))))
    flash.add(request, _("Hot key {number}: «{name}».").format(number=cell.number, name=cell.product.name))
    return see_other(f"/points/{point_id}/hot-keys")


@router.post("/points/{point_id}/hot-keys/{position}/clear")
def clear_hot_key(request: Request, db: DbSession, actor: CurrentActor, point_id: uuid.UUID, position: int):
    hotkeys.clear_hot_key(db, actor, point_id, position)
    flash.add(request, _("Hot key {number} is cleared.").format(number=position + 1))
    return see_other(f"/points/{point_id}/hot-keys")
