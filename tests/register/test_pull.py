"""The register's sync client (`register.client`) against the real server: activation, pulling the changes
stream into the local catalog, status reports, and what the register is told when the server cannot
be reached, refuses, or no longer knows it."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from openkassa.protocol.changes import MEDIA_TYPE
from openkassa.register.catalog import LocalCatalog
from openkassa.register.client import Incompatible, Offline, Refused, ServerClient, Unauthorized


def test_a_register_activated_with_a_code_sells_the_points_catalog(back_office, server, activation_code, point,
                                                                    local_catalog):
    # given a point whose catalog has milk with a barcode, and a hot key for it
    milk = back_office("post", "/products", {"name": "Молоко 3,2%", "price": "89.90", "barcodes": ["4600000000022"]})
    # when a register is activated with the point's code and pulls the changes
    activation = server.activate(activation_code, name="Касса 1", app_version="1.0.0", serial="SN-0001")
    revision = server.pull(local_catalog)
    # then it knows its point, and the scanner finds the milk at its price in kopecks
    assert activation.point_id == uuid.UUID(point["id"]) and activation.point_name == "Магазин на Ленина"
    assert server.token == activation.token
    found = local_catalog.by_barcode("4600000000022")
    assert (found.id, found.name, found.price) == (uuid.UUID(milk["id"]), "Молоко 3,2%", 8990)
    assert local_catalog.point().name == "Магазин на Ленина" and revision == local_catalog.revision > 0


def test_a_price_changed_in_the_back_office_reaches_the_register(back_office, register, local_catalog):
    # given a register that has the milk
    milk = back_office("post", "/products", {"name": "Молоко 3,2%", "price": "89.90", "barcodes": ["4600000000022"]})
    first = register.pull(local_catalog)
    # when the owner changes its price, and the register pulls again
    back_office("patch", f"/products/{milk['id']}", {"price": "99.90"})
    second = register.pull(local_catalog)
    # then the scanner shows the new price
    assert local_catalog.by_barcode("4600000000022").price == 9990 and second > first
    # and with nothing changed, a pull changes nothing
    assert register.pull(local_catalog) == second


def test_deleted_and_archived_products_stop_selling(back_office, register, local_catalog):
    milk = back_office("post", "/products", {"name": "Молоко", "price": "89.90", "barcodes": ["4600000000022"]})
    kefir = back_office("post", "/products", {"name": "Кефир", "price": "70.00", "barcodes": ["4600000000039"]})
    register.pull(local_catalog)
    back_office("delete", f"/products/{milk['id']}")
    back_office("patch", f"/products/{kefir['id']}", {"archived": True})
    register.pull(local_catalog)
    assert local_catalog.by_barcode("4600000000022") is None and local_catalog.by_barcode("4600000000039") is None
    assert local_catalog.search("мол") == local_catalog.search("кеф") == []


def test_a_cashier_added_in_the_back_office_signs_in_on_the_register_offline(back_office, register, point, local_catalog):
    # given a cashier added in the back office with a PIN
    back_office("post", "/api/v1/cashiers", {"name": "Иванова А.", "pin": "1234", "point_ids": [point["id"]],
                                             "can_return": True})
    # when the register has pulled
    register.pull(local_catalog)
    # then her PIN signs her in, with her rights, with no server asked
    cashier = local_catalog.cashier_by_pin("1234")
    assert cashier.name == "Иванова А." and cashier.can_return
    assert local_catalog.cashier_by_pin("4321") is None


def test_a_register_unbound_in_the_back_office_is_told_so_and_sells_on(api, back_office, register, point, local_catalog):
    # given a register that has the catalog
    back_office("post", "/products", {"name": "Хлеб", "price": "45.00", "barcodes": ["4600000000046"]})
    register.pull(local_catalog)
    # when the owner unbinds it
    (device,) = api.get(f"/api/v1/points/{point['id']}/devices").json()
    back_office("delete", f"/api/v1/devices/{device['id']}")
    # then its next pull and status report are refused as unauthorized, and what it has stays
    with pytest.raises(Unauthorized):
        register.pull(local_catalog)
    with pytest.raises(Unauthorized):
        register.report_status(app_version="1.0.1")
    assert local_catalog.by_barcode("4600000000046").price == 4500


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_with_the_server_down_the_register_is_offline_and_sells_on(back_office, register, local_catalog):
    # given a register that has the catalog
    back_office("post", "/products", {"name": "Хлеб", "price": "45.00", "barcodes": ["4600000000046"]})
    revision = register.pull(local_catalog)
    # when the server cannot be reached
    with ServerClient(f"http://127.0.0.1:{closed_port()}", token=register.token) as unreachable:
        with pytest.raises(Offline):
            unreachable.pull(local_catalog)
        with pytest.raises(Offline):
            unreachable.report_status(app_version="1.0.1")
    # then the register sells from what it has
    assert local_catalog.by_barcode("4600000000046").price == 4500 and local_catalog.revision == revision


def test_a_wrong_activation_code_is_refused_with_the_servers_message(server, point):
    with pytest.raises(Refused) as refused:
        server.activate("ZZZZ-ZZZZ", name="Касса 1")
    assert refused.value.status == 422 and "code" in refused.value.fields and refused.value.message
    assert server.token is None


def test_the_register_reports_its_drive_to_the_back_office(api, register, point):
    # when the register reports its fiscal drive and two documents waiting for the OFD
    oldest = datetime.now(UTC) - timedelta(days=3)
    register.report_status(app_version="1.0.1", fn_serial="9999078900012345", unsent_documents=2, oldest_unsent_at=oldest)
    # then the back office shows them; what was not reported stays
    (device,) = api.get(f"/api/v1/points/{point['id']}/devices").json()
    assert (device["app_version"], device["fn_serial"], device["unsent_documents"]) == ("1.0.1", "9999078900012345", 2)
    assert datetime.fromisoformat(device["oldest_unsent_at"]) == oldest and device["serial"] == "SN-0001"


def test_a_bad_status_report_is_refused_naming_the_field(register):
    with pytest.raises(Refused) as refused:
        register.report_status(fn_serial="12")
    assert "fn_serial" in refused.value.fields


# --- over real HTTP ----------------------------------------------------------------------------------------


def test_a_waiting_pull_over_http_brings_a_price_change_at_once(live_server, back_office, activation_code, tmp_path):
    # given a register on the network that has the milk and waits up to 30 s for a change
    base_url, _settings = live_server
    milk = back_office("post", "/products", {"name": "Молоко", "price": "89.90", "barcodes": ["4600000000022"]})
    with ServerClient(base_url) as client, LocalCatalog.open(tmp_path / "catalog.db") as catalog:
        client.activate(activation_code, name="Касса 1")
        client.pull(catalog)
        answer = {}

        def wait_for_a_change():
            started = time.monotonic()
            answer.update(revision=client.pull(catalog, wait=30), seconds=time.monotonic() - started)

        waiting = threading.Thread(target=wait_for_a_change)
        waiting.start()
        time.sleep(0.3)
        assert waiting.is_alive()
        # when the owner changes the price
        back_office("patch", f"/products/{milk['id']}", {"price": "99.90"})
        waiting.join(timeout=30)
        # then the register has the new price long before its wait ran out
        assert catalog.by_barcode("4600000000022").price == 9990 and answer["seconds"] < 15


# --- what a broken or unknown answer does (a scripted server) ---------------------------------------------------

BEGIN = b'{"type":"begin","since":0,"revision":5}\n'
GROUP = b'{"type":"group","id":"%s","parent_id":null,"name":"Molochnoe","revision":5}\n' % str(uuid.uuid4()).encode()


def scripted(status: int, body: bytes) -> ServerClient:
    """A register's client of a server that answers every request with this status and body."""
    transport = httpx.MockTransport(lambda request: httpx.Response(status, content=body,
                                                                   headers={"Content-Type": MEDIA_TYPE}))
    return ServerClient("http://server", token="token", http=httpx.Client(transport=transport))


@pytest.mark.parametrize(("status", "body", "error"), [
    pytest.param(503, b"Service Unavailable", Offline, id="the server failing"),
    pytest.param(200, BEGIN + GROUP, Offline, id="a stream cut before its end"),
    pytest.param(200, BEGIN + b'{"type":"discount","id":1}\n', Incompatible, id="a line of a newer server"),
    pytest.param(404, b'{"error": {"code": "not_found", "message": "Not found.", "fields": {}}}', Refused, id="refused"),
])
def test_a_pull_that_cannot_finish_changes_nothing(local_catalog, status, body, error):
    with pytest.raises(error):
        scripted(status, body).pull(local_catalog)
    assert local_catalog.revision == 0 and local_catalog.groups() == []


def test_a_refusal_carries_the_servers_code_and_message():
    body = b'{"error": {"code": "too_many_requests", "message": "Too many attempts.", "fields": {}}}'
    with pytest.raises(Refused) as refused:
        scripted(429, body).activate("ABCD-EFGH", name="Касса 1")
    assert (refused.value.status, refused.value.code, refused.value.message) == (429, "too_many_requests", "Too many attempts.")
