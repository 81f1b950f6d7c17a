"""Fixtures of the catalog tests: a point of the signed-in owner, and products put into its catalog."""

from __future__ import annotations

import uuid

import pytest

from openkassa.accounts.service import actor_for_password
from openkassa.catalog.service import add_product

PASSWORD = "correct horse 1"  # the password support.create_owner gives


@pytest.fixture
def new_point(owner):
    """Create a point of the owner through the JSON API; returns its JSON."""

    def make(name: str = "Магазин на Ленина") -> dict:
        response = owner.post(
            "/api/v1/points",
            json={"name": name, "address": "ул. Ленина, 1", "inn": "7707083893", "tax_systems": [2],
                  "default_tax_system": 2},
            headers={"X-CSRF-Token": owner.csrf()},
        )
        assert response.status_code == 201, response.text
        return response.json()

    return make


@pytest.fixture
def add_products(db):
    """Put products (name, price in kopecks, barcode) into a point's catalog through the catalog service."""

    def add(point: dict, *products: tuple, email: str = "owner@shop.ru") -> None:
        with db.transaction() as session:
            actor = actor_for_password(session, email=email, password=PASSWORD, ip="127.0.0.1")
            for name, price, *barcode in products:
                add_product(session, actor, catalog_id=uuid.UUID(point["catalog_id"]), name=name, price=price,
                            barcode=barcode[0] if barcode else "")

    return add
