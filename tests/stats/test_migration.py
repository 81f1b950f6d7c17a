"""Migrations 0006 and 0008 count the receipts a server took before them: their rollups are what ingestion makes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from alembic import command
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from openkassa.accounts.models import Account
from openkassa.catalog.models import Catalog
from openkassa.points.models import Device, RetailPoint
from openkassa.sales.models import ReceiptLine, SalesDocument
from openkassa.schema import alembic_config
from openkassa.stats import rollups
from openkassa.stats.models import HourFigures, ProductDay, ProductMonth, ProductQuarter


def test_the_migration_counts_the_receipts_taken_before_it(tmp_path):
    # given a server with receipts, returns and corrections (some without a cashier or a product) in
    # two quarters, counted by ingestion as they arrived
    url = f"sqlite:///{tmp_path / 'old.db'}"
    config = alembic_config(url)
    command.upgrade(config, "head")
    engine = create_engine(url)
    with Session(engine) as session, session.begin():
        account = Account(company_name="ООО «Ромашка»", plan="start")
        session.add(account)
        session.flush()
        catalog = Catalog(account_id=account.id, name="Каталог")
        session.add(catalog)
        session.flush()
        point = RetailPoint(account_id=account.id, catalog_id=catalog.id, name="Магазин", address="г. Москва",
                            inn="7707083893", timezone="Asia/Vladivostok", tax_systems=1, default_tax_system=1)
        session.add(point)
        session.flush()
        device = Device(account_id=account.id, point_id=point.id, name="Касса", token_hash="x" * 64)
        session.add(device)
        session.flush()
        bread, milk, cashier = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        documents, lines = [], []
        for n, (kind, settlement, made_at, who, sold) in enumerate([
            ("receipt", 1, datetime(2026, 9, 30, 13, 0, tzinfo=UTC), cashier, [(bread, 1000, 4500)]),
            ("receipt", 1, datetime(2026, 10, 31, 14, 30, tzinfo=UTC), cashier, [(bread, 2000, 9000), (None, 1000, 5000)]),
            ("receipt", 1, datetime(2026, 11, 1, 2, 0, tzinfo=UTC), None, [(milk, 1000, 8990)]),
            ("receipt", 2, datetime(2026, 11, 1, 3, 0, tzinfo=UTC), cashier, [(bread, 1000, 4500)]),
            ("correction", 1, datetime(2026, 11, 2, 9, 0, tzinfo=UTC), cashier, [(milk, 3000, 26970)]),
            ("cash_in", None, datetime(2026, 11, 2, 9, 5, tzinfo=UTC), cashier, []),
        ]):
            local = made_at.astimezone(point_zone(point))
            total = sum(amount for _product, _quantity, amount in sold)
            row = dict(id=uuid.uuid4(), account_id=account.id, point_id=point.id, device_id=device.id, kind=kind,
                       status="accepted", made_at=made_at, local_day=local.date(), local_hour=local.hour,
                       cashier_id=who, settlement=settlement, total=total, cash=total - 1000 * n, electronic=1000 * n,
                       discount=n * 10, body={})
            documents.append(row)
            lines += [dict(document_id=row["id"], position=position, account_id=account.id, product_id=product,
                           name="Товар", price=amount, quantity=quantity, discount=0, amount=amount, vat=6, cost=0)
                      for position, (product, quantity, amount) in enumerate(sold)]
        session.execute(SalesDocument.__table__.insert(), documents)
        session.execute(ReceiptLine.__table__.insert(), lines)
        rollups.record(session, account_id=account.id, point_id=point.id, receipts=documents, lines=lines)
    counted = rollup_rows(engine)
    assert len(counted[HourFigures]) == 5 and len(counted[ProductQuarter]) == 2 * 4

    # when the server goes back to the schema before statistics and is migrated again
    command.downgrade(config, "0005")
    command.upgrade(config, "head")

    # then the migration has counted the same receipts into the same rows
    assert rollup_rows(engine) == counted
    with Session(engine) as session:
        assert [(row.local_day.isoformat(), row.local_hour) for row in session.execute(
            select(SalesDocument.local_day, SalesDocument.local_hour).order_by(SalesDocument.made_at))] == [
            ("2026-09-30", 23), ("2026-11-01", 0), ("2026-11-01", 12), ("2026-11-01", 13), ("2026-11-02", 19), ("2026-11-02", 19)]


def point_zone(point: RetailPoint):
    from zoneinfo import ZoneInfo

    return ZoneInfo(point.timezone)


def rollup_rows(engine) -> dict:
    with Session(engine) as session:
        return {table: sorted(tuple(sorted(row._asdict().items())) for row in session.execute(select(*table.__table__.columns)))
                for table in (HourFigures, ProductDay, ProductMonth, ProductQuarter)}
