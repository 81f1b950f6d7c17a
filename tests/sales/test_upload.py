"""The upload (`POST /api/device/v1/documents`): a register's shifts, receipts and cash drawer
operations kept exactly once, checked against what the fiscal drive signed, acknowledged as the
OFD would, and quarantined — never dropped — when they disagree."""

from __future__ import annotations

import json
import uuid

from sqlalchemy import func, select

from openkassa.fiscal.drive import SoftwareDrive
from openkassa.fiscal.enums import VatRate
from openkassa.fiscal.ofd import Acknowledgement
from openkassa.protocol import documents as protocol
from openkassa.register import sale
from openkassa.sales.models import ReceiptLine, SalesDocument


def stored(db, document_id) -> SalesDocument | None:
    with db.transaction() as session:
        document = session.get(SalesDocument, uuid.UUID(str(document_id)))
        if document is not None:
            session.expunge(document)
        return document


def acknowledge(drive: SoftwareDrive, result: dict) -> bool:
    ofd = protocol.Ofd.model_validate(result["ofd"])
    return drive.acknowledge(Acknowledgement(fn_serial=ofd.fn_serial, document_number=ofd.document_number,
                                             received_at=ofd.received_at, operator_sign=ofd.operator_sign, code=ofd.code))


def test_a_shift_with_a_sale_is_accepted_and_the_ofd_acknowledgements_empty_the_drives_queue(till, db):
    # given a register that opened a shift with 1 000 ₽ in the drawer, sold bread and milk, took 200 ₽ out
    opened = till.open_shift(cash=100000)
    receipt = till.sell(sale.CartLine(product_id=None, name="Хлеб", price=4500, quantity=2000, vat=VatRate.VAT_10),
                        sale.CartLine(product_id=None, name="Молоко", price=8990, vat=VatRate.VAT_10),
                        tenders=[sale.Tender("cash", 20000)])
    taken = protocol.CashOperation(id=uuid.uuid4(), made_at=till.now(), shift=till.shift, kind="out", amount=20000,
                                   reason="Инкассация")
    closed = till.close_shift(counted_cash=100000 + 17990 - 20000)
    registration = protocol.FiscalReport(id=uuid.uuid4(), made_at=till.now(), fiscal=till.drive.document(1))
    assert till.drive.status().unsent_count == 4

    # when it uploads them in one batch, with the drive's registration report
    results = till.results(registration, opened, receipt, taken, closed)

    # then every document is accepted, the fiscal ones with the OFD's acknowledgement
    assert [r["status"] for r in results] == ["accepted"] * 5
    assert [r["ofd"] is not None for r in results] == [True, True, True, False, True]
    # and the acknowledgements take them out of the drive's queue
    assert all(acknowledge(till.drive, r) for r in results if r["ofd"])
    assert till.drive.status().unsent_count == 0
    # and the server holds the receipt with the sums the drive signed, and its lines
    kept = stored(db, receipt.id)
    assert (kept.kind, kept.total, kept.cash, kept.shift, kept.receipt_number) == ("receipt", 17990, 17990, 1, 1)
    assert kept.fn_serial == till.drive.serial and kept.fiscal_number == 3
    with db.transaction() as session:
        lines = session.scalars(select(ReceiptLine).where(ReceiptLine.document_id == receipt.id)
                                .order_by(ReceiptLine.position)).all()
        assert [(line.name, line.quantity, line.amount) for line in lines] == [("Хлеб", 2000, 9000), ("Молоко", 1000, 8990)]
    assert stored(db, taken.id).kind == "cash_out" and stored(db, taken.id).total == 20000


def test_the_same_batch_sent_twice_is_kept_once_and_answered_the_same(till, db):
    # given a batch the server has taken, whose answer the register did not get
    opened, receipt = till.open_shift(), till.sell()
    first = till.results(opened, receipt)

    # when the register sends it again, with the receipt twice over
    again = till.results(opened, receipt, receipt)

    # then the answers repeat the first ones, acknowledgements included, and nothing is written twice
    assert [r["repeated"] for r in again] == [True, True, True]
    assert [(r["status"], r["ofd"]) for r in again] == [(r["status"], r["ofd"]) for r in first] + [(first[1]["status"], first[1]["ofd"])]
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(SalesDocument)) == 2
        assert session.scalar(select(func.count()).select_from(ReceiptLine)) == 1


def test_a_receipt_whose_lines_disagree_with_the_drive_is_quarantined_but_acknowledged(till, db):
    # given a receipt whose register view says 50 ₽ for a line the drive signed at 45 ₽
    opened, receipt = till.open_shift(), till.sell()
    body = receipt.model_dump(mode="json")
    body["lines"][0].update(price=5000, amount=5000)

    # when it is uploaded
    results = till.results(opened, body)

    # then it is kept in quarantine with the reasons, and still acknowledged: the drive did sign it
    assert results[1]["status"] == "quarantined" and results[1]["ofd"] is not None
    assert "45.00" in results[1]["reason"] and "50.00" in results[1]["reason"]
    kept = stored(db, receipt.id)
    assert kept.status == "quarantined" and kept.total == 4500  # what the drive signed
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(ReceiptLine)) == 0


def test_a_broken_fiscal_sign_is_quarantined_without_an_acknowledgement(till):
    # given a receipt whose signed bytes were altered after signing (the total's last byte)
    opened, receipt = till.open_shift(), till.sell()
    forged = bytearray(receipt.fiscal)
    forged[-1] ^= 0x01
    body = receipt.model_dump(mode="json") | {"fiscal": protocol.Receipt.model_validate(
        receipt.model_dump() | {"fiscal": bytes(forged)}).model_dump(mode="json")["fiscal"]}

    # when it is uploaded next to a good document
    results = till.results(opened, body)

    # then the good one is accepted, the forged one quarantined with no acknowledgement
    assert results[0]["status"] == "accepted"
    assert results[1]["status"] == "quarantined" and results[1]["ofd"] is None
    assert results[1]["reason"]


def test_documents_of_a_drive_the_server_does_not_know_are_quarantined(new_till):
    # given a register that never told the server its drive's key
    till = new_till(tell_key=False)

    # when it uploads a shift opening
    [result] = till.results(till.open_shift())

    # then it is kept in quarantine, unacknowledged, naming the drive
    assert result["status"] == "quarantined" and result["ofd"] is None
    assert till.drive.serial in result["reason"]


def test_a_malformed_document_is_quarantined_and_the_rest_of_the_batch_accepted(till, db):
    # given a batch with a good shift opening, a document with a negative sum, and one without an id
    opened = till.open_shift()
    broken = {"type": "cash", "id": str(uuid.uuid4()), "made_at": "2026-11-27T10:00:00Z", "shift": 1, "kind": "in", "amount": -5}

    # when it is uploaded
    results = till.results(opened, broken, {"type": "cash", "amount": 100})

    # then the good one is accepted, the bad one kept in quarantine naming the field, the id-less one rejected
    assert [r["status"] for r in results] == ["accepted", "quarantined", "rejected"]
    assert "amount" in results[1]["reason"]
    assert stored(db, broken["id"]).body == broken


def test_a_batch_over_the_limit_is_refused_whole(till):
    # when a register sends 501 documents at once
    documents = [{"type": "cash", "id": str(uuid.uuid4())} for _ in range(protocol.MAX_DOCUMENTS + 1)]
    response = till.upload(*documents)

    # then the request is refused, naming the limit, and nothing is kept
    assert response.status_code == 422
    assert "documents" in response.text


def test_another_accounts_token_cannot_upload_and_a_taken_id_reveals_nothing(till, stranger, db):
    # given a receipt uploaded by the owner's register
    opened = till.open_shift()
    till.results(opened)

    # when a request comes with no valid token
    assert till.upload(opened, token="not-a-token").status_code == 401

    # and when another account's register sends a document under the same id
    point = stranger.post("/api/v1/points", json={"name": "Чужой", "address": "г. Тверь", "inn": "7707083893",
                                                  "timezone": "Europe/Moscow", "tax_systems": [2], "default_tax_system": 2}).json()
    code = stranger.post(f"/api/v1/points/{point['id']}/activation-code").json()["code"]
    other = type(till.register)(till.register.client)
    assert other.activate(code).status_code == 201
    response = other.client.post("/api/device/v1/documents", headers={"Authorization": f"Bearer {other.token}"},
                                 json={"documents": [opened.model_dump(mode="json")]})

    # then it is rejected without a word of the owner's document, which stays as it was
    [result] = response.json()["results"]
    assert result["status"] == "rejected" and result["ofd"] is None
    owners_account = till.call("GET", "/me").json()["account_id"]
    assert str(stored(db, opened.id).account_id) == owners_account != other.me().json()["account_id"]


def test_the_same_fiscal_document_under_a_new_id_is_quarantined_and_gets_the_first_acknowledgement(till):
    # given a shift opening the server has acknowledged
    opened = till.open_shift()
    [first] = till.results(opened)

    # when a register (say after restoring its outbox) sends the same signed bytes under a new id
    copy = opened.model_copy(update={"id": uuid.uuid4()})
    [second] = till.results(copy)

    # then the copy is quarantined, and answered with the first acknowledgement so the drive still drains
    assert second["status"] == "quarantined" and second["ofd"] == first["ofd"]


def test_a_drive_keeps_its_first_key(till):
    # when a register tells the server another key for a drive it knows
    response = till.call("PUT", "/drive", {"fn_serial": till.drive.serial, "key": "QUFBQUFBQUFBQUFBQUFBQUFBQUE="})

    # then it is refused
    assert response.status_code == 409
    # and the same key again is fine
    assert till.tell_key().status_code == 200


def test_a_product_made_at_the_till_joins_the_points_catalog(till, api, point):
    # given a product a cashier made for an unknown barcode
    product = protocol.NewProduct(id=uuid.uuid4(), made_at=till.now(), name="Конфеты", barcode="4600000000015", price=15000)

    # when it is uploaded (twice, as after a lost answer)
    assert till.results(product)[0]["status"] == "accepted"
    assert till.results(product)[0]["repeated"]

    # then the owner finds it in the point's catalog by its barcode, marked as made at the till
    found = api.get(f"/api/v1/catalogs/{point['catalog_id']}/products", params={"q": "4600000000015"}).json()
    assert [(p["name"], p["from_register"]) for p in found["items"]] == [("Конфеты", True)]


def test_the_owner_sees_the_points_documents_and_what_waits_in_quarantine(till, owner, point):
    # given a register that uploaded a sale and a receipt that disagrees with its drive
    opened, good, bad = till.open_shift(), till.sell(), till.sell()
    body = bad.model_dump(mode="json")
    body["total"] = 1
    till.results(opened, good, body)

    # when the owner opens the point's documents
    page = owner.get(f"/points/{point['id']}/documents").text

    # then the sale is listed with its sum, and the quarantined one with its reason
    assert "Sale" in page and "₽45.00" in page
    assert "Quarantine" in page and "0.01 ₽" in page  # the reason, written when the register uploaded it
    # and the quarantine filter shows only that one
    waiting = owner.get(f"/points/{point['id']}/documents", params={"quarantined": "true"}).text
    assert waiting.count('href="/documents/') == 1 and str(bad.id) in waiting
    # and its page shows the document as the register sent it
    detail = owner.get(f"/documents/{bad.id}")
    assert detail.status_code == 200 and "Quarantine" in detail.text and str(bad.id) in detail.text


def test_another_accounts_document_is_not_found(till, stranger):
    # given the owner's register uploaded a shift opening
    opened = till.open_shift()
    till.results(opened)

    # when another account's owner asks for it
    # then it does not exist for them
    assert stranger.get(f"/documents/{opened.id}").status_code == 404


def test_hostile_documents_are_quarantined_or_rejected_and_the_good_ones_kept(till, db, api, point):
    # given a good shift opening among documents no register would send
    opened = till.open_shift()
    base = {"type": "cash", "made_at": "2026-11-27T10:00:00Z", "shift": 1, "kind": "in", "amount": 100}
    product = api.post(f"/api/v1/catalogs/{point['catalog_id']}/products", json={"name": "Хлеб", "price": "45.00"}).json()
    receipt = till.sell().model_dump(mode="json")
    hostile = [
        base | {"id": str(uuid.uuid4()), "made_at": "0001-01-01T00:00:00+05:00"},
        base | {"id": str(uuid.uuid4()), "shift": 2**31},
        base | {"id": str(uuid.uuid4()), "type": "\u0000"},
        base | {"id": str(uuid.uuid4()), "amount": float("nan")},
        receipt | {"id": str(uuid.uuid4()), "lines": [receipt["lines"][0] | {"price": 2**47, "quantity": 2**47}]},
        {"type": "product", "id": product["id"], "made_at": "2026-11-27T10:00:00Z", "name": "Двойник", "price": 100},
        None,
        "a string",
    ]

    # when they come in one batch (NaN is not JSON, but Python's reader takes it)
    body = json.dumps({"documents": [opened.model_dump(mode="json"), *hostile]}, allow_nan=True)
    response = till.register.client.post("/api/device/v1/documents", content=body, headers={
        "Authorization": f"Bearer {till.register.token}", "Content-Type": "application/json"})

    # then the batch is answered, the good document accepted, the bad ones kept aside or refused
    assert response.status_code == 200, response.text
    statuses = [r["status"] for r in response.json()["results"]]
    assert statuses == ["accepted"] + ["quarantined"] * 6 + ["rejected"] * 2
    assert stored(db, opened.id).status == "accepted"
