"""Helpers of the 1C exchange tests: the sample files, and the catalog of a point as its owner sees it."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from openkassa.catalog.models import Barcode, Product, ProductGroup

FILES = Path(__file__).parent / "files"


def sample(name: str) -> bytes:
    return (FILES / name).read_bytes()


class Shelf:
    """The products of a catalog by name: what the owner would see on the products page."""

    def __init__(self, db, catalog_id: str):
        self.db, self.catalog_id = db, uuid.UUID(catalog_id)

    def products(self) -> dict[str, dict]:
        with self.db.transaction() as session:
            groups = dict(session.execute(select(ProductGroup.id, ProductGroup.name)
                                          .where(ProductGroup.catalog_id == self.catalog_id)).all())
            found = {}
            for product in session.scalars(select(Product).where(Product.catalog_id == self.catalog_id)):
                found[product.name] = {
                    "price": product.price, "article": product.article, "code": product.code, "vat": product.vat,
                    "unit": product.unit, "archived": product.archived, "external_id": product.external_id,
                    "group": groups.get(product.group_id), "revision": product.revision,
                    "barcodes": sorted(session.scalars(select(Barcode.code).where(Barcode.product_id == product.id))),
                }
            return found


@pytest.fixture
def shelf(db, point) -> Shelf:
    return Shelf(db, point["catalog_id"])


def upload(owner, point: dict, *names: str, files: list[tuple[str, bytes]] | None = None, price_type: str = ""):
    """The owner uploads files on the page «Обмен с 1С» of the point."""
    sent = [("files", (name, sample(name), "text/xml")) for name in names]
    sent += [("files", (name, content, "application/octet-stream")) for name, content in files or []]
    return owner.post(f"/products/1c/upload?point={point['id']}", files=sent,
                      data={"csrf_token": owner.csrf(), "price_type": price_type})
