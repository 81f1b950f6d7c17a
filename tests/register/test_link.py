"""A register and its server in step: bound by a code, it sells offline, uploads when it can, and its
drive's queue to the OFD empties with the server's acknowledgements."""

from __future__ import annotations

import httpx
import pytest

from openkassa.register import sale
from openkassa.register.client import Offline, ServerClient
from openkassa.register.sync import Link, bind
from openkassa.register.till import TillError


@pytest.fixture
def shop(back_office, api, point):
    """The point's catalog with milk and a cashier Анна with PIN 1234 who may do everything."""
    back_office("post", "/products", {"name": "Молоко 3,2%", "price": "89.90", "vat": 2, "barcodes": ["4600000000022"]})
    back_office("post", "/api/v1/cashiers", {"name": "Анна", "pin": "1234", "point_ids": [point["id"]], "can_return": True,
                                             "can_discount": True, "can_cash_drawer": True, "can_close_shift": True})
    return point


@pytest.fixture
def bound(tmp_path, shop, activation_code, new_browser):
    till = bind(tmp_path / "register", server="http://testserver", code=activation_code, name="Касса 1",
                http=new_browser())
    yield till
    till.close()


def test_a_bound_register_sells_and_the_sale_reaches_the_back_office(bound, new_browser, owner, shop):
    # given a register bound with a code: it has the catalog, the cashiers and a registered drive
    till = bound
    assert till.catalog.by_barcode("4600000000022").price == 8990
    assert till.drive.status().registered
    link = Link(till, ServerClient("http://testserver", till.journal.get("token"), http=new_browser()))

    # when Анна opens a shift and sells milk for cash
    till.sign_in("1234")
    till.open_shift()
    till.scan("4600000000022")
    done = till.pay([sale.Tender("cash", 10000)])
    # and the register uploads
    link.step()

    # then nothing waits in the outbox nor in the drive's queue to the OFD
    assert till.journal.unsent_count() == 0
    assert till.drive.status().unsent_count == 0
    # and the owner finds the sale among the point's documents
    page = owner.get(f"/points/{shop['id']}/documents").text
    assert str(done.document.id) in page and "₽89.90" in page


def test_offline_the_register_keeps_selling_and_uploads_everything_once_back(bound, new_browser):
    # given a register whose server cannot be reached
    till = bound
    till.sign_in("1234")
    offline = Link(till, ServerClient("http://127.0.0.1:9", till.journal.get("token"),
                                      http=httpx.Client(timeout=0.5)))
    # when it opens a shift and sells twice
    till.open_shift()
    for _ in range(2):
        till.scan("4600000000022")
        till.pay([sale.Tender("card", 8990)])
    # then its uploads fail, and the documents wait: opening, two receipts
    with pytest.raises(Offline):
        offline.step()
    assert till.journal.unsent_count() == 3
    # when the link returns
    online = Link(till, ServerClient("http://testserver", till.journal.get("token"), http=new_browser()))
    online.step()
    # then all of them are confirmed, and sending again changes nothing
    assert till.journal.unsent_count() == 0
    assert online.push() == 0


def test_a_register_with_unsynced_documents_binds_again_only_to_its_own_point(bound, api, shop, new_browser):
    # given a register with a shift opening the server has not confirmed, unbound in the back office meanwhile
    till = bound
    till.sign_in("1234")
    till.open_shift()
    folder = till.folder
    till.close()
    other = api.post("/api/v1/points", json={"name": "Второй", "address": "г. Казань, ул. Баумана, 2", "inn": "7707083893",
                                              "timezone": "Europe/Moscow", "tax_systems": [2], "default_tax_system": 2}).json()

    # when someone binds it to another point
    code = api.post(f"/api/v1/points/{other['id']}/activation-code").json()["code"]
    # then it refuses and says why
    with pytest.raises(TillError, match="невыгруженных"):
        bind(folder, server="http://testserver", code=code, http=new_browser())

    # and bound again to its own point, it uploads what waited
    code = api.post(f"/api/v1/points/{shop['id']}/activation-code").json()["code"]
    with bind(folder, server="http://testserver", code=code, http=new_browser()) as till:
        assert till.journal.unsent_count() == 0
