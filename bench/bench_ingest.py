"""BENCH: the server takes in registers' receipts (issue 5: ≥ 1,000 receipts/s in batches on SQLite).

A software fiscal drive signs N receipts of three lines each (before the clock starts); a register
uploads them in batches of 500 over real HTTP to a real server (uvicorn) and the bench times the
uploads, every receipt's bytes decoded, its sign checked, its sums recomputed, its acknowledgement
signed, its row and lines written. Baseline: the same rows (read back from the database) written
again by bare `executemany`, batch by batch, in the same run — the database's own floor.

`--stock` (issue 7: ingestion keeps ≥ 1,000 receipts/s with stock on): the point's stock accounting
is switched on (`stock.service.enable_stock`) and its catalog gets 10,000 goods (bulk inserts), half
of them received first (one posted receipt of goods), so every line names one of them and moves stock
in the upload's transaction (valued, written to the ledger, its balance locked and changed). The
baseline then writes the ledger's rows and the balances' too.

Run: `.venv/bin/python bench/bench_ingest.py [--receipts N] [--stock] [--url DATABASE_URL]`.
"""

from __future__ import annotations

import argparse
import base64
import os
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path


def main() -> None:
    arguments = argparse.ArgumentParser()
    arguments.add_argument("--receipts", type=int, default=5_000)
    arguments.add_argument("--url", default=None, help="a database URL (default: a new SQLite file)")
    arguments.add_argument("--stock", action="store_true", help="the point keeps stock: every line moves goods")
    options = arguments.parse_args()
    folder = Path(tempfile.mkdtemp())
    os.environ.update(OPENKASSA_DATA_DIR=str(folder), OPENKASSA_ENV="development")

    import httpx
    from sqlalchemy import bindparam, delete, insert, select, update

    from bench_catalog_queries import fresh_database
    from bench_sync import serve
    from openkassa.accounts.models import User
    from openkassa.accounts.service import actor_of
    from openkassa.fiscal.documents import RegistrationReport
    from openkassa.fiscal.drive import SoftwareDrive
    from openkassa.fiscal.enums import TaxSystem, VatRate
    from openkassa.points import service as points
    from openkassa.points.models import RetailPoint
    from openkassa.protocol import documents as protocol
    from openkassa.register import sale
    from openkassa.sales.models import ReceiptLine, SalesDocument
    from openkassa.stock.models import Balance, Movement

    url = options.url or f"sqlite:///{folder / 'bench.db'}"
    db = fresh_database(url)
    with db.transaction() as session:
        actor = actor_of(session, user_id=session.scalars(select(User.id).where(User.email == "bench@example.com")).one())
        point = session.scalars(select(RetailPoint).where(RetailPoint.account_id == actor.account_id)).first()
        code = points.new_activation_code(session, actor, point_id=point.id).code
    goods = stock_on(db, actor.user_id, point) if options.stock else []

    # the documents, signed before the clock starts
    drive = SoftwareDrive.create(folder / "drive.db")
    drive.register(RegistrationReport(kkt_serial="00106700000001", kkt_version="1.0", cashier="Бенч", tax_systems=TaxSystem.USN_INCOME,
                                      key_resource_days=0, ofd_inn="7704358518", ofd_name="ОФД-Я"),
                   registration_number="0000000001012345", user_inn="7707083893", user="ООО «Бенч»",
                   address="г. Москва", place="Магазин")
    drive.open_shift()
    made_at = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    documents = []
    for n in range(options.receipts):
        lines = [sale.CartLine(product_id=goods[(3 * n + k) % len(goods)] if goods else uuid.uuid4(), name=f"Товар {n}-{k}",
                               price=1000 + 37 * k + n % 100,
                               quantity=1000 * (k + 1), vat=VatRate.VAT_20) for k in range(3)]
        closed = sale.close(lines, [sale.Tender("card", sum(line.price * line.quantity // 1000 for line in lines))],
                            tax_system=TaxSystem.USN_INCOME)
        signed = drive.receipt(closed.draft)
        documents.append(sale.document(closed, signed, id=uuid.uuid4(), made_at=made_at + timedelta(seconds=n),
                                       shift=1, cashier_id=None).model_dump(mode="json"))
    key = base64.b64encode(drive.key()).decode()

    base_url, server = serve(db, folder)
    register = httpx.Client(base_url=base_url, timeout=120)
    token = register.post("/api/device/v1/activate", json={"code": code, "device": {"name": "Bench", "app_version": "1",
                                                                                     "serial": "B-1"}}).json()["token"]
    register.headers["Authorization"] = f"Bearer {token}"
    assert register.put("/api/device/v1/drive", json={"fn_serial": drive.serial, "key": key}).status_code == 200

    batches = [documents[i:i + protocol.MAX_DOCUMENTS] for i in range(0, len(documents), protocol.MAX_DOCUMENTS)]
    start = time.perf_counter()
    for batch in batches:
        answer = register.post("/api/device/v1/documents", json={"documents": batch})
        assert answer.status_code == 200, answer.text
        assert all(result["status"] == "accepted" for result in answer.json()["results"]), answer.text[:500]
    uploaded = time.perf_counter() - start
    server.should_exit = True

    # the floor: the same rows written again by bare executemany, batch by batch (only the uploaded ones:
    # the demo account comes with a year of its own sales)
    uploaded_ids = {uuid.UUID(document["id"]) for document in documents}
    with db.transaction() as session:
        rows = [dict(row._mapping) for row in session.execute(select(SalesDocument.__table__)) if row.id in uploaded_ids]
        lines = [dict(row._mapping) for row in session.execute(select(ReceiptLine.__table__))
                 if row.document_id in uploaded_ids]
        moves = [dict(row._mapping) for row in session.execute(select(Movement.__table__).where(Movement.sale_id.is_not(None)))]
        balances = [{"w": row.warehouse_id, "p": row.product_id, "q": row.quantity, "v": row.value, "c": row.unit_cost,
                     "t": row.updated_at} for row in session.execute(select(Balance.__table__))]
        session.execute(delete(Movement).where(Movement.sale_id.is_not(None)))
        session.execute(delete(ReceiptLine).where(ReceiptLine.document_id.in_(uploaded_ids)))
        session.execute(delete(SalesDocument).where(SalesDocument.id.in_(uploaded_ids)))
    assert not options.stock or len(moves) == len(lines), (len(moves), len(lines))
    moves_of: dict[uuid.UUID, list[dict]] = {}
    for move in moves:
        del move["id"]
        moves_of.setdefault(move["sale_id"], []).append(move)
    balance_of = {balance["p"]: balance for balance in balances}  # one warehouse
    table = Balance.__table__
    rewrite = (update(table).where(table.c.warehouse_id == bindparam("w"), table.c.product_id == bindparam("p"))
               .values(quantity=bindparam("q"), value=bindparam("v"), unit_cost=bindparam("c"), updated_at=bindparam("t")))
    lines_of: dict[uuid.UUID, list[dict]] = {}
    for line in lines:
        lines_of.setdefault(line["document_id"], []).append(line)
    start = time.perf_counter()
    for first in range(0, len(rows), protocol.MAX_DOCUMENTS):
        part = rows[first:first + protocol.MAX_DOCUMENTS]
        with db.transaction() as session:
            session.execute(insert(SalesDocument.__table__), part)
            session.execute(insert(ReceiptLine.__table__), [line for row in part for line in lines_of.get(row["id"], [])])
            if moves:  # the batch's movements, and the balances of its products
                written = [move for row in part for move in moves_of.get(row["id"], [])]
                session.execute(insert(Movement.__table__), written)
                session.execute(rewrite, [balance_of[product_id] for product_id in {move["product_id"] for move in written}])
    floor = time.perf_counter() - start
    engine = "postgresql" if url.startswith("postgresql") else "sqlite"
    rate, floor_rate = len(documents) / uploaded, len(documents) / floor
    name = f"{engine}_stock" if options.stock else engine
    print(f"BENCH ingest_receipts_per_second_{name} {rate:.0f} receipts/s baseline={floor_rate:.0f} receipts/s "
          f"ratio={floor_rate / rate:.1f} ({len(documents)} receipts of 3 lines in {len(batches)} batches, {uploaded:.2f} s)")
    drive.close()


def stock_on(db, user_id, point, count: int = 10_000) -> list[uuid.UUID]:
    """Switch the point's stock on, put `count` goods in its catalog and receive half of them; returns the goods."""
    from sqlalchemy import select

    from bench_catalog_queries import fill
    from openkassa.accounts.service import actor_of
    from openkassa.catalog.models import Product
    from openkassa.stock import service
    from openkassa.stock.schemas import DocumentIn, LineIn

    fill(db, point.catalog_id, point.account_id, count)
    with db.transaction(immediate=True) as session:
        actor = actor_of(session, user_id=user_id)
        warehouse = service.enable_stock(session, actor, point_id=point.id)
        goods = list(session.scalars(select(Product.id).where(Product.catalog_id == point.catalog_id,
                                                              Product.code.like("C%")).order_by(Product.code)))
        received = service.create_document(session, actor, DocumentIn(kind="receipt", warehouse_id=warehouse.id, lines=[
            LineIn(product_id=product_id, quantity=100_000, price=5000) for product_id in goods[::2]]))
        service.post_document(session, actor, received.id)
    return goods


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    main()
