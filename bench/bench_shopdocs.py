"""BENCH: the server accepts online shops' documents (issue 8: ≥ 500 documents/s).

A real server, `openkassa serve` in a process of its own as it is deployed (uvicorn, its access log
on), with the demo account, whose first shop takes online-shop documents; a shop associates with it. Then N documents of three
positions with a discount, as a plugin sends them (`POST /api/fn/v2/doc`, HTTP Basic with the
association's login), are sent by C clients at once over keep-alive connections, each one read,
checked to the kopeck and queued in its own transaction. Baseline, in the same run: the same
clients asking `GET /healthz` as fast as they can (the HTTP stack's own floor on this machine).

Run: `.venv/bin/python bench/bench_shopdocs.py [--documents N] [--clients C] [--url DATABASE_URL]`.
"""

from __future__ import annotations

import argparse
import base64
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path


def main() -> None:
    arguments = argparse.ArgumentParser()
    arguments.add_argument("--documents", type=int, default=5_000)
    arguments.add_argument("--clients", type=int, default=8)
    arguments.add_argument("--url", default=None, help="a database URL (default: a new SQLite file)")
    options = arguments.parse_args()
    folder = Path(tempfile.mkdtemp())
    os.environ.update(OPENKASSA_DATA_DIR=str(folder), OPENKASSA_ENV="development")

    import httpx
    from sqlalchemy import func, select

    from bench_catalog_queries import fresh_database
    from bench_sync import free_port
    from openkassa.points.models import RetailPoint
    from openkassa.shopdocs.models import ShopDocument

    url = options.url or f"sqlite:///{folder / 'bench.db'}"
    db = fresh_database(url)
    with db.transaction() as session:
        point_id = session.scalars(select(RetailPoint.id).where(RetailPoint.online_shop.is_(True))).first()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "-m", "openkassa.cli", "serve", "--port", str(port)],
                              env=os.environ | {"OPENKASSA_DATABASE_URL": url, "OPENKASSA_RUN_WORKER": "false"},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{base}/healthz").status_code == 200:
                break
        except httpx.TransportError:
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
    owner = "Basic " + base64.b64encode(b"bench@example.com:bench-password").decode()
    answer = httpx.post(f"{base}/api/fn/v1/associate/{point_id}", headers={"Authorization": owner})
    answer.raise_for_status()
    login = answer.json()
    shop = "Basic " + base64.b64encode(f"{login['userName']}:{login['password']}".encode()).decode()

    def document(n: int) -> dict:
        return {
            "id": str(uuid.uuid4()), "docNum": f"ORDER-{n}", "docType": "SALE",
            "checkoutDateTime": "2026-11-28T12:30:00+03:00", "email": "buyer@example.com", "taxMode": "SIMPLIFIED",
            "inventPositions": [
                {"name": "Футболка хлопковая, размер M", "price": 1500.00, "quantity": 2, "discSum": 300.00,
                 "vatTag": 1105, "paymentObject": "commodity"},
                {"name": "Кружка с логотипом", "price": 450.50, "quantity": 1, "vatTag": 1102},
                {"name": "Доставка курьером", "price": 350.00, "quantity": 1, "vatTag": 1105, "paymentObject": "service"},
            ],
            "moneyPositions": [{"paymentType": "CARD", "sum": 3500.50}],
        }

    bodies = [document(n) for n in range(options.documents)]

    def run(send) -> float:
        shares = [bodies[n::options.clients] for n in range(options.clients)]
        failures: list[str] = []

        def client(share: list[dict]) -> None:
            with httpx.Client(base_url=base, headers={"Authorization": shop}) as http:
                for body in share:
                    response = send(http, body)
                    if response.status_code != 200:
                        failures.append(response.text)

        threads = [threading.Thread(target=client, args=(share,)) for share in shares]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        if failures:
            raise SystemExit(f"{len(failures)} requests failed, the first: {failures[0][:300]}")
        return elapsed

    floor = run(lambda http, body: http.get("/healthz"))
    elapsed = run(lambda http, body: http.post("/api/fn/v2/doc", json=body))
    with db.transaction() as session:
        queued = session.scalar(select(func.count()).select_from(ShopDocument).where(ShopDocument.status == "QUEUED"))
    assert queued == options.documents, queued
    server.terminate()
    server.wait(timeout=30)
    dialect = "postgresql" if url.startswith("postgresql") else "sqlite"
    rate, floor_rate = options.documents / elapsed, options.documents / floor
    print(f"BENCH shopdocs_accepted_per_second_{dialect} {rate:.0f} documents/s baseline={floor_rate:.0f} requests/s "
          f"ratio={floor_rate / rate:.1f} ({options.documents} documents of 3 positions, {options.clients} clients, "
          f"{elapsed:.2f} s)")


if __name__ == "__main__":
    main()
