"""Upgrading a back office that has products from the foundation keeps every product, barcode and VAT rate."""

from __future__ import annotations

import uuid

import pytest
from alembic import command
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from openkassa.schema import alembic_config


@pytest.fixture
def old_database(tmp_path, database):
    """An empty database of its own (a file on SQLite, a fresh database beside the test one on PostgreSQL), at revision 0001."""
    url = make_url(database.engine.url.render_as_string(hide_password=False))
    if url.get_backend_name() == "sqlite":
        url = url.set(database=str(tmp_path / "old.db"))
    else:
        name = f"{url.database}_upgrade"
        with create_engine(url, isolation_level="AUTOCOMMIT").connect() as server:
            server.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            server.execute(text(f'CREATE DATABASE "{name}"'))
        url = url.set(database=name)
    address = url.render_as_string(hide_password=False)
    command.upgrade(alembic_config(address), "0001")
    yield address


def test_products_of_the_foundation_survive_the_catalog_upgrade(old_database):
    # given an account whose catalog has three products; two of them once shared a barcode
    engine = create_engine(old_database)
    account, catalog = uuid.uuid4(), uuid.uuid4()
    bread, milk, water = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    with engine.begin() as db:
        uid = (lambda value: value.hex) if engine.dialect.name == "sqlite" else str
        db.execute(text("INSERT INTO accounts (id, company_name, plan, revision, created_at) VALUES (:id, 'ООО Ромашка', 'start', 3, '2026-11-01 10:00:00')"), {"id": uid(account)})
        db.execute(text("INSERT INTO catalogs (id, account_id, name, created_at) VALUES (:id, :account, 'Магазин', '2026-11-01 10:00:00')"), {"id": uid(catalog), "account": uid(account)})
        for product, name, barcode, vat, at in [
            (bread, "Хлеб бородинский", "4600000000015", "vat10", "2026-11-01 10:00:01"),
            (milk, "Молоко 3,2%", "4600000000015", "vat22", "2026-11-01 10:00:02"),
            (water, "Вода", "", "none", "2026-11-01 10:00:03"),
        ]:
            db.execute(text("INSERT INTO products (id, account_id, catalog_id, name, barcode, price, vat, revision, created_at)"
                            " VALUES (:id, :account, :catalog, :name, :barcode, 100, :vat, 1, :at)"),
                       {"id": uid(product), "account": uid(account), "catalog": uid(catalog), "name": name, "barcode": barcode, "vat": vat, "at": at})
    # when the back office is upgraded
    command.upgrade(alembic_config(old_database), "head")
    # then every product is there with its VAT as the 1199 code, and the barcode stays with the first product
    with engine.connect() as db:
        vat = dict(db.execute(text("SELECT name, vat FROM products")).all())
        codes = db.execute(text("SELECT code, product_id FROM product_barcodes")).all()
        keys = db.execute(text("SELECT count(DISTINCT search_key) FROM products")).scalar()
        if engine.dialect.name == "sqlite":
            found = db.execute(text("SELECT count(*) FROM products_fts WHERE products_fts MATCH 'молоко'")).scalar()
        else:
            found = db.execute(text("SELECT count(*) FROM products WHERE to_tsvector('simple', name) @@ to_tsquery('simple', 'молоко')")).scalar()
    engine.dispose()
    assert vat == {"Хлеб бородинский": 2, "Молоко 3,2%": 11, "Вода": 6}
    assert [(code, uuid.UUID(str(product))) for code, product in codes] == [("4600000000015", bread)]
    assert keys == 3
    # and the new search finds the old products
    assert found == 1
