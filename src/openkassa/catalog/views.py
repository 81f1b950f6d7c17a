"""HTML pages of the catalog domain (so far: the product list of a point)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request

from openkassa.accounts.deps import CurrentActor
from openkassa.catalog import service
from openkassa.errors import NotFound
from openkassa.points import service as points_service
from openkassa.web.deps import DbSession, require_csrf
from openkassa.web.templating import is_htmx, render

router = APIRouter(dependencies=[Depends(require_csrf)], include_in_schema=False)


def _point_id(value: str) -> uuid.UUID:
    """The point of a link; a mangled id is a point that does not exist, as for any other page."""
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotFound() from None


@router.get("/products")
def products(request: Request, db: DbSession, actor: CurrentActor, point: str = "", q: str = ""):
    """Products of a point's catalog, searchable by name or barcode."""
    points = points_service.list_points(db, actor)
    chosen = points_service.get_point(db, actor, _point_id(point)) if point else (points[0] if points else None)
    listed = service.list_products(db, actor, chosen.catalog_id, search_text=q[:100]).cards if chosen else []
    template = "catalog/rows.html" if is_htmx(request) else "catalog/products.html"
    return render(request, template, section="products", points=points, point=chosen, products=listed, q=q)
