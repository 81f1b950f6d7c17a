"""The changes stream a register syncs by (`GET /api/device/v1/changes`): everything the first time,
then only what changed, from one snapshot, as NDJSON lines from `begin` to `end`."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid

import pytest
from sqlalchemy import select, text

from openkassa.accounts.models import User
from openkassa import wakeups
from openkassa.accounts.service import actor_of
from openkassa.catalog import hotkeys
from openkassa.points import sync
from openkassa.protocol.changes import LINE, MEDIA_TYPE


@pytest.fixture
def changes(bound_register):
    """Ask the stream as the bound register; returns its parsed lines, checked to run from begin to end."""

    def ask(since: int = 0, token: str | None = None):
        response = bound_register.client.get("/api/device/v1/changes", params={"since": since},
                                             headers={"Authorization": f"Bearer {token or bound_register.token}"})
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith(MEDIA_TYPE)
        lines = [LINE.validate_json(text) for text in response.text.splitlines()]
        assert lines[0].type == "begin" and lines[-1].type == "end"
        assert lines[-1].lines == len(lines) - 2 and lines[-1].revision == lines[0].revision
        return lines

    return ask


@pytest.fixture
def catalog_api(api, point):
    base = f"/api/v1/catalogs/{point['catalog_id']}"

    def call(method: str, path: str, json=None):
        response = getattr(api, method)(base + path, json=json) if json is not None else getattr(api, method)(base + path)
        assert response.status_code in (200, 201, 204), response.text
        return response.json() if response.status_code != 204 else None

    return call


def of(lines, kind: str) -> list:
    return [line for line in lines if line.type == kind]


def test_the_first_stream_brings_the_point_its_catalog_hot_keys_and_cashiers(changes, catalog_api, api, point, db):
    # given a point with a nested group, two products (one with two barcodes), a hot key and a cashier
    dairy = catalog_api("post", "/groups", {"name": "Молочные"})
    milk_group = catalog_api("post", "/groups", {"name": "Молоко", "parent_id": dairy["id"]})
    milk = catalog_api("post", "/products", {"name": "Молоко 3,2%", "price": "89.90", "vat": 2, "group_id": milk_group["id"],
                                             "barcodes": ["4600000000022", "4600000000039"]})
    catalog_api("post", "/products", {"name": "Хлеб", "price": "45.00"})
    with db.transaction() as session:
        actor = actor_of(session, user_id=session.scalars(select(User.id).where(User.email == "owner@shop.ru")).one())
        hotkeys.set_hot_key(session, actor, uuid.UUID(point["id"]), 0, uuid.UUID(milk["id"]))
    assert api.post("/api/v1/cashiers", json={"name": "Иванова А.", "pin": "1234", "point_ids": [point["id"]]}).status_code == 201
    # when the register asks for everything
    lines = changes(0)
    # then it gets the point's settings, the grid, the cashier with her PIN's hash, the groups parents
    # first, and the products with every barcode, prices in kopecks
    begin = lines[0]
    assert begin.since == 0 and begin.revision > 0
    assert [line.name for line in of(lines, "point")] == ["Магазин на Ленина"]
    assert of(lines, "point")[0].catalog_id == uuid.UUID(point["catalog_id"])
    assert [(key.position, str(key.product_id)) for key in of(lines, "hot_keys")[0].keys] == [(0, milk["id"])]
    (cashier,) = of(lines, "cashier")
    assert cashier.name == "Иванова А." and cashier.active and cashier.pin_hash.startswith("$argon2")
    assert [line.name for line in of(lines, "group")] == ["Молочные", "Молоко"]
    products = {line.name: line for line in of(lines, "product")}
    assert set(products) == {"Молоко 3,2%", "Хлеб"}
    assert products["Молоко 3,2%"].price == 8990 and products["Молоко 3,2%"].barcodes == ["4600000000022", "4600000000039"]
    assert str(products["Молоко 3,2%"].group_id) == milk_group["id"]
    assert all(line.revision <= begin.revision for line in lines[1:-1] if hasattr(line, "revision"))


def test_then_only_what_changed_comes_and_nothing_when_nothing_did(changes, catalog_api):
    # given a register that applied the stream of a two-product catalog
    milk = catalog_api("post", "/products", {"name": "Молоко", "price": "89.90"})
    catalog_api("post", "/products", {"name": "Хлеб", "price": "45.00"})
    applied = changes(0)[-1].revision
    # when nothing changes, then the next stream is empty at the same revision
    again = changes(applied)
    assert len(again) == 2 and again[0].revision == applied
    # when the milk's price changes in the back office
    catalog_api("patch", f"/products/{milk['id']}", {"price": "99.90"})
    lines = changes(applied)
    # then only the milk comes, with its new price, at a later revision
    assert [(line.name, line.price) for line in lines[1:-1]] == [("Молоко", 9990)]
    assert lines[-1].revision > applied


def test_a_deleted_product_comes_as_a_deletion_before_the_product_that_takes_its_barcode(changes, catalog_api):
    # given a register that has a product with a barcode
    old = catalog_api("post", "/products", {"name": "Кефир", "price": "70.00", "barcodes": ["4600000000046"]})
    applied = changes(0)[-1].revision
    # when the product is deleted and a new one takes its barcode
    catalog_api("delete", f"/products/{old['id']}")
    new = catalog_api("post", "/products", {"name": "Кефир 1%", "price": "75.00", "barcodes": ["4600000000046"]})
    lines = changes(applied)
    # then the deletion comes first, then the new product
    assert [(line.type, str(line.id)) for line in lines[1:-1]] == [("deleted", old["id"]), ("product", new["id"])]


def test_a_first_stream_brings_neither_deletions_nor_cashiers_of_other_points(changes, catalog_api, api, new_point):
    # given a product deleted long ago, and a cashier of another point only
    gone = catalog_api("post", "/products", {"name": "Старое", "price": "1.00"})
    catalog_api("delete", f"/products/{gone['id']}")
    other = new_point(name="Киоск")
    assert api.post("/api/v1/cashiers", json={"name": "Сидоров В.", "pin": "1111", "point_ids": [other["id"]]}).status_code == 201
    # when a new register asks for everything, then it gets neither
    lines = changes(0)
    assert of(lines, "deleted") == [] and of(lines, "cashier") == [] and of(lines, "product") == []


def test_a_register_that_hangs_up_halfway_frees_its_database_connection(db, bound_register, catalog_api, point, monkeypatch):
    # given a catalog of several chunks
    monkeypatch.setattr(sync, "CHUNK_BYTES", 256)
    catalog_api("post", "/products/upsert", {"products": [{"code": f"P-{n}", "name": f"Товар {n}"} for n in range(50)]})
    busy = db.engine.pool.checkedout()

    async def read_one_chunk_and_hang_up() -> bytes:
        body = sync.response_body(db, point_id=uuid.UUID(point["id"]), since=0)
        first = await body.__anext__()
        await body.aclose()
        return first

    # when the stream's reader stops after its first chunk
    first = asyncio.run(read_one_chunk_and_hang_up())
    # then the stream began, and its snapshot's connection is back in the pool
    assert first.startswith(b'{"type":"begin"')
    assert db.engine.pool.checkedout() == busy


def test_a_cashier_moved_to_another_point_comes_inactive_without_her_pin(changes, api, point, new_point):
    # given a register that has a cashier of its point
    other = new_point(name="Киоск")
    created = api.post("/api/v1/cashiers", json={"name": "Петров Б.", "pin": "4321", "point_ids": [point["id"]]}).json()
    applied = changes(0)[-1].revision
    # when the cashier is moved to the other point
    moved = api.put(f"/api/v1/cashiers/{created['id']}", json={"name": "Петров Б.", "pin": "", "point_ids": [other["id"]]})
    assert moved.status_code == 200, moved.text
    # then the register learns to remove her, and gets no hash of her PIN
    (cashier,) = of(changes(applied), "cashier")
    assert (cashier.name, cashier.active, cashier.pin_hash) == ("Петров Б.", False, "")


def test_a_revision_the_server_never_reached_answers_everything_at_once(changes, catalog_api, bound_register):
    # given a register that kept a revision from before the server was restored from a backup
    catalog_api("post", "/products", {"name": "Соль", "price": "20.00"})
    ahead = changes(0)[-1].revision + 1000
    # when it asks from there, then the stream says it starts from 0 and brings everything
    lines = changes(ahead)
    assert lines[0].since == 0 and [line.name for line in of(lines, "product")] == ["Соль"]
    # and asked with a wait, it does not wait for a revision the server is far from
    thread, answer = _ask_waiting(bound_register, ahead, 30)
    thread.join(timeout=30)
    assert answer["response"].status_code == 200 and answer["seconds"] < 15


def test_a_large_catalog_streams_in_chunks_that_join_into_every_product(changes, catalog_api, monkeypatch):
    # given a catalog larger than one chunk of the stream
    monkeypatch.setattr(sync, "CHUNK_BYTES", 512)
    body = [{"code": f"P-{n}", "name": f"Товар {n}", "price": "10.00", "barcodes": [f"21{n:08d}"]} for n in range(300)]
    assert catalog_api("post", "/products/upsert", {"products": body})["created"] == 300
    # when the register asks for everything, then every product comes once, with its barcode
    products = of(changes(0), "product")
    assert sorted(line.code for line in products) == sorted(item["code"] for item in body)
    assert all(line.barcodes == [f"21{int(line.code[2:]):08d}"] for line in products)


@pytest.mark.parametrize("since", ["-1", "abc", str(2**63)])
def test_a_bad_revision_is_refused_naming_it(bound_register, since):
    response = bound_register.client.get("/api/device/v1/changes", params={"since": since},
                                         headers={"Authorization": f"Bearer {bound_register.token}"})
    assert response.status_code == 422 and "since" in response.text


def test_the_stream_needs_a_device_token(register, bound_register):
    assert register.client.get("/api/device/v1/changes").status_code == 401
    assert register.client.get("/api/device/v1/changes", headers={"Authorization": "Bearer nope"}).status_code == 401


# --- waiting for changes (long poll) ------------------------------------------------------------------


def _ask_waiting(register, since: int, wait: float):
    """Ask with a wait, in a thread (as a register does while the back office works); returns the thread and its answer."""
    answer: dict = {}

    def run():
        started = time.monotonic()
        response = register.client.get("/api/device/v1/changes", params={"since": since, "wait": wait},
                                        headers={"Authorization": f"Bearer {register.token}"})
        answer.update(response=response, seconds=time.monotonic() - started)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, answer


def test_a_waiting_register_wakes_when_a_price_changes_in_the_back_office(bound_register, changes, catalog_api, monkeypatch):
    # given a register that has everything and waits up to 30 s for a change, not reading again on its own meanwhile
    monkeypatch.setattr(wakeups, "RECHECK_SECONDS", 60)
    milk = catalog_api("post", "/products", {"name": "Молоко", "price": "89.90"})
    applied = changes(0)[-1].revision
    thread, answer = _ask_waiting(bound_register, applied, 30)
    time.sleep(0.3)  # it is waiting
    assert thread.is_alive()
    # when the owner changes the milk's price
    catalog_api("patch", f"/products/{milk['id']}", {"price": "99.90"})
    thread.join(timeout=30)
    # then the register is answered with the new price, woken long before its wait ran out
    assert answer["response"].status_code == 200
    lines = [LINE.validate_json(text) for text in answer["response"].text.splitlines()]
    assert [(line.name, line.price) for line in of(lines, "product")] == [("Молоко", 9990)]
    assert answer["seconds"] < 15


def test_a_register_that_is_behind_is_answered_at_once_though_it_may_wait(bound_register, changes, catalog_api):
    catalog_api("post", "/products", {"name": "Соль", "price": "20.00"})
    thread, answer = _ask_waiting(bound_register, 0, 30)
    thread.join(timeout=30)
    assert [line.name for line in of([LINE.validate_json(t) for t in answer["response"].text.splitlines()], "product")] == ["Соль"]
    assert answer["seconds"] < 15


def test_with_nothing_changing_the_wait_ends_with_an_empty_stream(bound_register, changes):
    applied = changes(0)[-1].revision
    thread, answer = _ask_waiting(bound_register, applied, 0.5)
    thread.join(timeout=30)
    lines = [LINE.validate_json(text) for text in answer["response"].text.splitlines()]
    assert [line.type for line in lines] == ["begin", "end"] and lines[0].revision == applied
    assert answer["seconds"] >= 0.5


def test_a_wait_longer_than_a_minute_is_refused(bound_register):
    response = bound_register.client.get("/api/device/v1/changes", params={"wait": 61},
                                         headers={"Authorization": f"Bearer {bound_register.token}"})
    assert response.status_code == 422 and "wait" in response.text


def test_on_postgresql_a_change_notified_by_another_process_wakes_the_waiter(db, monkeypatch):
    # given PostgreSQL, and a waiter that would not read the revision again on its own for a minute
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one serving process: its waiters wake in process")
    monkeypatch.setattr(wakeups, "RECHECK_SECONDS", 60)
    account, state = uuid.uuid4(), {"revision": 1}

    reads = []

    def read() -> int:
        reads.append(state["revision"])
        return state["revision"]

    async def scenario() -> float:
        started = time.monotonic()
        waiting = asyncio.create_task(wakeups.wait_past(account, 1, 50, read, url=db.url))
        while not reads:  # it has read the revision once, and sleeps
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.1)
        assert not waiting.done()
        # when another process takes a revision and notifies (again until heard: the listener starts with the waiter)
        state["revision"] = 2
        while not waiting.done() and time.monotonic() - started < 40:
            with db.transaction() as session:
                session.execute(text("SELECT pg_notify(:channel, :account)"), {"channel": wakeups.CHANNEL, "account": str(account)})
            await asyncio.sleep(0.2)
        assert await waiting == 2
        return time.monotonic() - started

    # then the waiter wakes by the notification, long before its wait or its recheck
    assert asyncio.run(scenario()) < 40
    assert reads == [1, 2]
