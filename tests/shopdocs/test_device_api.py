"""A register of the point takes the shop's documents in order, reports what it made of them, and
the shop learns it: by polling, or by its callback (a real HTTP server here, as the shop's site)."""

from __future__ import annotations

import copy
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select, update

from openkassa.db import utcnow
from openkassa.jobs import service as jobs
from openkassa.jobs.models import OutboxJob
from shopdocs.conftest import SALE
from support import Register

FISCAL = {"shiftNumber": 12, "checkNumber": 5, "kktNumber": "0491234567", "fnNumber": "7380440700123456",
          "fnDocNumber": 381, "fnDocMark": 2843117760, "date": "2024-03-15T09:30:07+00:00", "sum": 3050.0,
          "checkType": "SALE", "qr": "t=20240315T123007&s=3050.00&fn=7380440700123456&i=0000000381&fp=2843117760&n=1",
          "ecrRegistrationNumber": "0001234567012345"}


@pytest.fixture
def till(new_browser, shop_point, fresh_code) -> Register:
    """A register bound to the shop's point."""
    register = Register(new_browser())
    assert register.activate(fresh_code(shop_point["id"])).status_code == 201
    return register


def take(register: Register, wait: float = 0):
    response = register.client.post(f"/api/device/v1/shop-documents/take?wait={wait}",
                                    headers={"Authorization": f"Bearer {register.token}"})
    assert response.status_code == 200, response.text
    return response.json()["documents"]


def result(register: Register, document_id: str, body: dict):
    return register.client.post(f"/api/device/v1/shop-documents/{document_id}/result", json=body,
                                headers={"Authorization": f"Bearer {register.token}"})


def send(plugin, shop, **changes) -> dict:
    document = copy.deepcopy(SALE) | changes
    answer = plugin.post("/api/fn/v2/doc", json=document, headers=shop)
    assert answer.status_code == 200, answer.text
    return document


def test_registers_take_the_documents_in_order_each_once(plugin, shop, till, new_browser, shop_point, fresh_code):
    # given two documents sent one after the other, and a second register of the point
    first = send(plugin, shop, id="order-1")
    send(plugin, shop, id="order-2", responseURL=None)
    other = Register(new_browser())
    assert other.activate(fresh_code(shop_point["id"]), name="Касса 2").status_code == 201
    # when the first register takes them
    taken = take(till)
    # then it gets both, oldest first, with what it needs to ring them up (kopecks, thousandths)
    assert [document["external_id"] for document in taken] == ["order-1", "order-2"]
    assert taken[0]["settlement"] == 1 and taken[0]["total"] == 305000 and taken[0]["contact"] == "buyer@example.com"
    assert [(line["price"], line["quantity"], line["amount"]) for line in taken[0]["lines"]] == [
        (150000, 2000, 270000), (35000, 1000, 35000)]
    # and the shop sees them being processed
    assert plugin.get(f"/api/fn/v1/doc/{first['id']}/status", headers=shop).json()["status"] == "PENDING"
    # and the other register gets none of them, while the first, restarted, gets them again
    assert take(other) == []
    assert [document["external_id"] for document in take(till)] == ["order-1", "order-2"]


def test_a_fiscalized_document_without_a_callback_is_completed(plugin, shop, till):
    # given a document without a responseURL, taken by the register
    sent = send(plugin, shop, responseURL=None)
    [document] = take(till)
    # when the register reports its receipt
    answer = result(till, document["id"], {"fiscal": FISCAL})
    # then the shop polls it COMPLETED with all eleven fiscal details
    assert answer.status_code == 200 and answer.json() == {"status": "COMPLETED"}
    status = plugin.get(f"/api/fn/v1/doc/{sent['id']}/status", headers=shop).json()
    assert (status["status"], status["message"], status["failureInfo"]) == ("COMPLETED", "Document successfully completed", None)
    assert status["fiscalInfo"] == FISCAL
    # and a second report (its answer lost on the way) changes nothing
    assert result(till, document["id"], {"failure": {"type": "NON_FN_FAILURE", "message": "late"}}).json() == {
        "status": "COMPLETED"}


def test_a_failure_is_reported_to_the_shop_which_requeues_it(plugin, shop, till):
    # given a document the register took and could not fiscalize
    sent = send(plugin, shop, responseURL=None)
    [document] = take(till)
    result(till, document["id"], {"failure": {"type": "FN_GENERIC_FAILURE", "message": "Fiscal drive did not answer"}})
    # then the shop reads why
    status = plugin.get(f"/api/fn/v1/doc/{sent['id']}/status", headers=shop).json()
    assert (status["status"], status["failureInfo"]) == (
        "FAILED", {"type": "FN_GENERIC_FAILURE", "message": "Fiscal drive did not answer"})
    # when the shop re-queues it, the register takes it again
    assert plugin.put(f"/api/fn/v1/doc/{sent['id']}/re-queue", headers=shop).json()["status"] == "REQUEUED"
    assert [taken["id"] for taken in take(till)] == [document["id"]]


def test_a_report_needs_both_fiscal_details_or_a_failure_and_the_register_that_took_it(plugin, shop, till, new_browser,
                                                                                   shop_point, fresh_code):
    send(plugin, shop, responseURL=None)
    [document] = take(till)
    # when a report carries neither, or both
    for body in ({}, {"fiscal": FISCAL, "failure": {"type": "NON_FN_FAILURE", "message": "x"}}):
        # then it is refused
        assert result(till, document["id"], body).status_code == 422
    # when another register of the point reports it
    other = Register(new_browser())
    other.activate(fresh_code(shop_point["id"]), name="Касса 2")
    refused = result(other, document["id"], {"fiscal": FISCAL})
    # then it is refused: the document is the first register's
    assert refused.status_code == 409


class ShopSite(BaseHTTPRequestHandler):
    """The shop's callback handler: answers as it is told, and remembers what it was asked."""

    answers: list[int] = []
    asked: list[str] = []

    def do_GET(self):  # noqa: N802 - http.server's name
        ShopSite.asked.append(self.path)
        self.send_response(ShopSite.answers.pop(0) if ShopSite.answers else 200)
        self.end_headers()
        self.wfile.write(b"Completed")

    def log_message(self, *args):
        pass


@pytest.fixture
def shop_site():
    ShopSite.answers, ShopSite.asked = [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), ShopSite)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_the_shop_is_called_back_and_the_document_completes_when_it_answers(plugin, shop, till, shop_site, db, settings):
    # given a document whose callback address carries the shop's own token, fiscalized by the register
    sent = send(plugin, shop, responseURL=f"{shop_site}/modulkassa/callback?order=1042&token=f1e2d3")
    [document] = take(till)
    result(till, document["id"], {"fiscal": FISCAL})
    # then, until the shop answers, the document waits for its callback with its fiscal details shown
    status = plugin.get(f"/api/fn/v1/doc/{sent['id']}/status", headers=shop).json()
    assert (status["status"], status["fiscalInfo"]["fnDocNumber"]) == ("WAIT_FOR_CALLBACK", 381)

    # when the shop's site is down at first (500), and the outbox worker tries
    ShopSite.answers = [500]
    jobs.run_due(db, settings)
    # then the document still waits, and the call is tried again later
    assert plugin.get(f"/api/fn/v1/doc/{sent['id']}/status", headers=shop).json()["status"] == "WAIT_FOR_CALLBACK"
    with db.transaction() as session:
        job = session.scalars(select(OutboxJob).where(OutboxJob.kind == "shopdocs_callback")).one()
        assert job.status == "pending" and job.run_after > utcnow()
        session.execute(update(OutboxJob).values(run_after=utcnow() - timedelta(seconds=1)))

    # when the worker tries again and the site answers 200
    jobs.run_due(db, settings)
    # then the shop was called with its own query kept, status=SUCCESS and the receipt's QR encoded once
    called = urlsplit(ShopSite.asked[-1])
    assert called.path == "/modulkassa/callback"
    assert parse_qs(called.query) == {"order": ["1042"], "token": ["f1e2d3"], "status": ["SUCCESS"], "qr": [FISCAL["qr"]]}
    assert "qr=t%3D20240315T123007%26s%3D3050.00" in called.query
    # and the document is COMPLETED with the callback's message
    status = plugin.get(f"/api/fn/v1/doc/{sent['id']}/status", headers=shop).json()
    assert (status["status"], status["message"]) == ("COMPLETED", "Document successfully completed with callback")


def test_a_waiting_register_gets_a_document_as_soon_as_it_is_sent(plugin, shop, till):
    # given the register waiting for documents (a long poll of up to 20 s) with none queued
    got: list = []
    waiter = threading.Thread(target=lambda: got.append((take(till, wait=20), time.monotonic())))
    waiter.start()
    time.sleep(0.5)
    # when the shop sends one
    sent_at = time.monotonic()
    send(plugin, shop)
    waiter.join(timeout=20)
    # then the register has it within a second or two, not at the end of its wait
    [(documents, answered_at)] = got
    assert [document["external_id"] for document in documents] == [SALE["id"]]
    assert answered_at - sent_at < 3
