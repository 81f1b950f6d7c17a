"""BENCH: registers learn changes quickly (issue 5), over real HTTP to a real server (uvicorn, SQLite).

- a price changed through the back office's API reaches a register that long-polls the changes
  stream into its local catalog (`ServerClient.pull` into `LocalCatalog`, as the register app's
  worker does): the time from the change's answer to the new price in the register's catalog, p95
  over 100 changes (target: shown on the register ≤ 2 s); baseline: the p95 round trip of a bare
  authenticated device request (`GET /api/device/v1/me`) in the same run;
- a first sync's stream of a whole catalog read and parsed by the register's side (`protocol.LINE`)
  (targets for the whole download into the register: 50,000 items ≤ 5 s, 1,000,000 ≤ 90 s);
  baseline: a bare SELECT of the same products' columns on the same database.

Run: `.venv/bin/python bench/bench_sync.py [--products N] [--changes N]`.
"""

from __future__ import annotations

import argparse
import base64
import os
import socket
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve(db, folder: Path) -> tuple[str, object]:
    import uvicorn

    from openkassa.app import create_app
    from openkassa.config import Settings

    settings = Settings(database_url=db.url, data_dir=str(folder), env="development", run_worker=False)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings, db), host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", server


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def main() -> None:
    arguments = argparse.ArgumentParser()
    arguments.add_argument("--products", type=int, default=50_000)
    arguments.add_argument("--changes", type=int, default=100)
    options = arguments.parse_args()
    folder = Path(tempfile.mkdtemp())
    os.environ.update(OPENKASSA_DATA_DIR=str(folder), OPENKASSA_ENV="development")

    import httpx
    from sqlalchemy import select

    from bench_catalog_queries import fill, fresh_database
    from openkassa.accounts.models import User
    from openkassa.accounts.service import actor_of
    from openkassa.catalog.models import Product
    from openkassa.points import service as points
    from openkassa.points.models import RetailPoint
    from openkassa.protocol.changes import LINE
    from openkassa.register.catalog import LocalCatalog
    from openkassa.register.client import ServerClient

    db = fresh_database(f"sqlite:///{folder / 'bench.db'}")
    with db.transaction() as session:
        actor = actor_of(session, user_id=session.scalars(select(User.id).where(User.email == "bench@example.com")).one())
        point = session.scalars(select(RetailPoint).where(RetailPoint.account_id == actor.account_id)
                                .order_by(RetailPoint.name)).first()
        code = points.new_activation_code(session, actor, point_id=point.id).code
        catalog_id = point.catalog_id
    fill(db, catalog_id, actor.account_id, options.products)
    url, server = serve(db, folder)
    owner = httpx.Client(base_url=url, headers={"Authorization": "Basic " + base64.b64encode(b"bench@example.com:bench-password").decode()})
    register = httpx.Client(base_url=url, timeout=120)
    token = register.post("/api/device/v1/activate", json={"code": code, "device": {"name": "Bench", "app_version": "1",
                                                                                     "serial": "B-1"}}).json()["token"]
    register.headers["Authorization"] = f"Bearer {token}"

    # the first sync: the whole stream, read and parsed as a register would
    start = time.perf_counter()
    products = 0
    with register.stream("GET", "/api/device/v1/changes", params={"since": 0}) as response:
        for text in response.iter_lines():
            products += LINE.validate_json(text).type == "product"
    streamed = time.perf_counter() - start
    assert products >= options.products, products
    start = time.perf_counter()
    with db.transaction() as session:
        rows = session.execute(select(Product.__table__).where(Product.catalog_id == catalog_id)).all()
    floor = time.perf_counter() - start
    assert len(rows) == products
    print(f"BENCH sync_first_stream_sqlite_{options.products} {streamed:.2f} s baseline={floor:.2f} ratio={streamed / floor:.1f}")

    # price changes: the register's client long-polls into its local catalog in a thread (as the
    # register app's worker does); the owner changes prices through the API
    seen: dict[int, float] = {}
    changed = threading.Condition()
    product_id = str(rows[0].id)
    catalog = LocalCatalog.open(folder / "register-catalog.db")
    client = ServerClient(url, token)
    client.pull(catalog)

    def poll() -> None:
        while True:
            client.pull(catalog, wait=30)
            price = catalog.product(uuid.UUID(product_id)).price
            with changed:
                seen.setdefault(price, time.perf_counter())
                changed.notify_all()

    threading.Thread(target=poll, daemon=True).start()
    time.sleep(0.5)
    delays = []
    for n in range(options.changes):
        price = 1_000_000 + n  # kopecks, a price not seen before
        answer = owner.patch(f"/api/v1/catalogs/{catalog_id}/products/{product_id}", json={"price": f"{price / 100:.2f}"})
        assert answer.status_code == 200, answer.text
        committed = time.perf_counter()
        with changed:
            assert changed.wait_for(lambda: price in seen, timeout=30), f"change {n} never reached the register"
        delays.append(seen[price] - committed)
        time.sleep(0.05)
    trips = []
    for _ in range(options.changes):
        start = time.perf_counter()
        assert register.get("/api/device/v1/me").status_code == 200
        trips.append(time.perf_counter() - start)
    print(f"BENCH sync_price_change_in_register_catalog_p95_sqlite {p95(delays) * 1000:.1f} ms baseline={p95(trips) * 1000:.1f} ms "
          f"ratio={p95(delays) / p95(trips):.1f} median={statistics.median(delays) * 1000:.1f} ms over {len(delays)} changes")
    server.should_exit = True


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    main()
