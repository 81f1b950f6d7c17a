"""End to end, as a shop's plugin lives it: a real server, a headless register bound to the point,
and a client written from the reference (`modulkassa-fn-api.md` §9) that associates, sends a sale
with its order discount spread over the lines, a return and an old-style v1 document, polls their
status and receives its callback on its own web server; every document ends COMPLETED with a QR
string that parses, and the register's receipts reach the back office."""

from __future__ import annotations

import base64
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import select

from openkassa.fiscal import qr
from openkassa.sales.models import SalesDocument
from openkassa.shopdocs.models import ShopDocument
from support import point_json


class Callbacks(BaseHTTPRequestHandler):
    """The shop's site: its callback handler answers 200 and remembers the query."""

    received: list[dict] = []

    def do_GET(self):  # noqa: N802 - http.server's name
        Callbacks.received.append(parse_qs(urlsplit(self.path).query))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"OK")

    def log_message(self, *args):
        pass


def basic(login: str, password: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{login}:{password}".encode()).decode()}


def eventually(check, seconds: float = 30):
    deadline = time.monotonic() + seconds
    while not (found := check()):
        assert time.monotonic() < deadline, "it did not happen in time"
        time.sleep(0.2)
    return found


def spread(positions: list[tuple[str, str, int]], discount: str, paid: str) -> list[dict]:
    """An order discount spread over the lines in proportion, the remainder on the first, as the
    PrestaShop module does (reference §7.2)."""
    from decimal import ROUND_HALF_UP, Decimal

    totals = [Decimal(price) * quantity for _name, price, quantity in positions]
    whole, order_discount = sum(totals), Decimal(discount)
    shares = [(total * order_discount / whole).quantize(Decimal("0.01"), ROUND_HALF_UP) for total in totals]
    shares[0] += order_discount - sum(shares)
    assert sum(totals) - order_discount == Decimal(paid)
    return [{"name": name, "price": float(price), "quantity": quantity, "discSum": float(share), "vatTag": 1105,
             "paymentObject": "commodity", "paymentMethod": "full_payment"}
            for (name, price, quantity), share in zip(positions, shares, strict=True)]


@pytest.mark.slow
def test_a_shop_plugin_sees_every_document_completed_by_a_headless_register(live_server, tmp_path, api, db):
    base_url, _settings = live_server
    Callbacks.received = []
    site = ThreadingHTTPServer(("127.0.0.1", 0), Callbacks)
    threading.Thread(target=site.serve_forever, daemon=True).start()
    # given a point marked for online-shop documents, and a register bound to it running headless
    point = api.post("/api/v1/points", json=point_json(name="Интернет-магазин", online_shop=True)).json()
    code = api.post(f"/api/v1/points/{point['id']}/activation-code").json()["code"]
    register = subprocess.Popen([sys.executable, "-m", "openkassa.cli", "register", "--data", str(tmp_path / "register"),
                                 "--headless", "--server", base_url, "--code", code],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        with httpx.Client(base_url=base_url, timeout=30) as plugin:
            # when the plugin associates with the owner's credentials and waits for the point to be ready
            login = plugin.post(f"/api/fn/v1/associate/{point['id']}", headers=basic("owner@shop.ru", "correct horse 1"))
            assert login.status_code == 200, login.text
            shop = basic(login.json()["userName"], login.json()["password"])
            eventually(lambda: plugin.get("/api/fn/v1/status", headers=shop).json()["status"] == "READY")

            # and sends a sale of three lines with a 10% order discount spread over them, to be called back
            sale = {
                "id": "order-1042-a1b2c3", "docNum": "1042", "docType": "SALE", "email": "buyer@example.com",
                "checkoutDateTime": "2026-11-28T12:30:00+03:00", "printReceipt": False, "taxMode": "SIMPLIFIED",
                "responseURL": f"http://127.0.0.1:{site.server_port}/callback?order=1042&token=s3cr3t",
                "inventPositions": spread([("Футболка", "1499.90", 2), ("Кружка", "450.50", 1), ("Носки", "199.00", 3)],
                                          discount="404.73", paid="3642.57"),
                "moneyPositions": [{"paymentType": "CARD", "sum": 3642.57}],
            }
            # and a return of the socks to the phone, and an old plugin's v1 document paid in cash
            refund = {"id": "order-1042-r1", "docNum": "1042", "docType": "RETURN", "email": "+79991234567",
                      "checkoutDateTime": "2026-11-28T13:00:00+03:00",
                      "inventPositions": [{"name": "Носки", "price": 199.00, "quantity": 1, "discSum": 19.9,
                                           "vatTag": 1105}],
                      "moneyPositions": [{"paymentType": "CARD", "sum": 179.10}]}
            old = {"id": "5f3b2a1c9d8e7", "docNum": 7, "docType": "SALE", "email": "old@example.com",
                   "checkoutDateTime": "2026-11-28T13:05:00+0300",
                   "inventPositions": [{"name": "Доставка", "price": "350", "quantity": "1", "vatTag": "1105",
                                        "paymentObject": "service"}],
                   "moneyPositions": [{"paymentType": "CASH", "sum": 350}]}
            for path, document in (("/api/fn/v2/doc", sale), ("/api/fn/v2/doc", refund), ("/fn/v1/doc", old)):
                answer = plugin.post(path, json=document, headers=shop)
                assert answer.status_code == 200 and answer.json()["status"] == "QUEUED", answer.text

            # then each is COMPLETED, its fiscal details complete and its QR string parsing to its own sum and type
            for document, total, settlement in ((sale, 364257, 1), (refund, 17910, 2), (old, 35000, 1)):
                status = eventually(lambda: (found := plugin.get(f"/api/fn/v1/doc/{document['id']}/status",
                                                                  headers=shop).json())["status"] == "COMPLETED" and found)
                info = status["fiscalInfo"]
                assert all(info[key] is not None for key in (
                    "shiftNumber", "checkNumber", "kktNumber", "fnNumber", "fnDocNumber", "fnDocMark", "date", "sum",
                    "checkType", "qr", "ecrRegistrationNumber"))
                parsed = qr.parse(info["qr"])
                assert (parsed.total, int(parsed.settlement), parsed.fn_serial) == (total, settlement, info["fnNumber"])
                assert round(info["sum"] * 100) == total
            # and the sale's callback came with its token, status=SUCCESS and the same QR
            [callback] = Callbacks.received
            assert callback["token"] == ["s3cr3t"] and callback["status"] == ["SUCCESS"]
            assert callback["qr"] == [plugin.get(f"/api/fn/v1/doc/{sale['id']}/status", headers=shop).json()["fiscalInfo"]["qr"]]

        # and the register uploaded the three receipts to the back office
        def uploaded() -> bool:
            with db.transaction() as session:
                receipts = session.scalars(select(ShopDocument.receipt_id)).all()
                return len(session.scalars(select(SalesDocument.id).where(SalesDocument.id.in_(receipts))).all()) == 3
        eventually(uploaded)
    finally:
        register.send_signal(signal.SIGTERM)
        assert register.wait(timeout=30) == 0, register.communicate()[1].decode()[-2000:]
        site.shutdown()
