"""An online shop's plugin talks to the ModulKassa-compatible API as it talked to ModulKassa: it
associates with a point, asks whether it is ready, sends receipts and polls their status, and
gets the reference's answers and error bodies (reference `modulkassa-fn-api.md`)."""

from __future__ import annotations

import copy
import json
import uuid

import pytest
from sqlalchemy import func, select, update

from openkassa.accounts.models import User
from openkassa.accounts.service import actor_of
from openkassa.credentials.schemas import ServiceLoginIn
from openkassa.credentials.service import create_service_login
from openkassa.db import utcnow
from openkassa.points.models import Device
from openkassa.shopdocs.models import ShopDocument
from shopdocs.conftest import OWNER, SALE, basic
from support import create_owner, point_json, sign_in

def test_a_shop_associates_with_a_point_and_gets_a_login_for_it(plugin, shop_point):
    # when the plugin associates with the owner's e-mail and password (a JSON content type and no body, as the Ruby gem)
    answer = plugin.post(f"/api/fn/v1/associate/{shop_point['id']}?clientId=my_crm",
                         headers={**basic(*OWNER), "Content-Type": "application/json"})
    # then it gets a UUID login, a 16-character password and the point's name and address
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert set(body) == {"userName", "password", "name", "address"}
    assert str(uuid.UUID(body["userName"])) == body["userName"]
    assert len(body["password"]) == 16 and body["password"].isalnum()
    assert (body["name"], body["address"]) == ("Интернет-магазин «Пример»", "г. Казань, ул. Ленина, д. 1")
    # and the point answers as associated (no register with a fiscal drive yet)
    status = plugin.get("/api/fn/v1/status", headers=basic(body["userName"], body["password"]))
    assert status.json()["status"] == "ASSOCIATED"
    assert status.json()["dateTime"].endswith("+00:00")

    # when it associates again
    again = plugin.post(f"/api/fn/v1/associate/{shop_point['id']}?clientId=my_crm", headers=basic(*OWNER)).json()
    # then the login stays, the password changes, and the old one is refused at once
    assert again["userName"] == body["userName"] and again["password"] != body["password"]
    refused = plugin.get("/api/fn/v1/status", headers=basic(body["userName"], body["password"]))
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"] == 'Basic realm="fn"'
    assert plugin.get("/api/fn/v1/status", headers=basic(again["userName"], again["password"])).status_code == 200
    # and another client application of the shop gets its own login
    other = plugin.post(f"/api/fn/v1/associate/{shop_point['id']}", headers=basic(*OWNER)).json()
    assert other["userName"] != body["userName"]


def test_association_is_refused_with_the_reference_error_body(plugin, db, new_browser, shop_point):
    # when the password is wrong
    wrong = plugin.post(f"/api/fn/v1/associate/{shop_point['id']}", headers=basic("owner@shop.ru", "nope"))
    # then 401 with a Spring-style body the plugins read
    assert wrong.status_code == 401
    body = wrong.json()
    assert set(body) == {"timestamp", "status", "error", "message", "path"}
    assert (body["status"], body["error"], body["path"]) == (401, "Unauthorized", f"/api/fn/v1/associate/{shop_point['id']}")
    # when the point does not exist, or is another account's
    create_owner(db, email="stranger@other.ru", plan="standard")
    for point_id, credentials in ((uuid.uuid4(), OWNER), ("not-an-id", OWNER),
                                  (shop_point["id"], ("stranger@other.ru", "correct horse 1"))):
        missing = plugin.post(f"/api/fn/v1/associate/{point_id}", headers=basic(*credentials))
        # then 404, never saying which
        assert missing.status_code == 404 and missing.json()["error"] == "Not Found"
    # when the account's plan is Начальный
    create_owner(db, email="small@shop.ru", plan="start")
    small = sign_in(new_browser(), "small@shop.ru")
    small_point = small.post("/api/v1/points", json=point_json(), headers={"X-CSRF-Token": small.csrf()}).json()
    refused = plugin.post(f"/api/fn/v1/associate/{small_point['id']}", headers=basic("small@shop.ru", "correct horse 1"))
    # then 403 with the plan's message
    assert refused.status_code == 403
    assert "plan" in refused.json()["message"].lower() or "тариф" in refused.json()["message"].lower()


def test_a_sale_is_queued_once_and_its_status_polled(plugin, shop, db):
    # when the plugin sends the reference's sale (pretty-printed, "/" escaped, as 1C-Bitrix sends it)
    body = json.dumps(SALE, indent=4, ensure_ascii=False).replace("/", "\\/")
    answer = plugin.post("/api/fn/v2/doc", content=body.encode(), headers={**shop, "Content-Type": "application/json"})
    # then it is queued, with all six keys of a status
    assert answer.status_code == 200, answer.text
    queued = answer.json()
    assert {key: queued[key] for key in ("status", "fiscalInfo", "failureInfo", "message")} == {
        "status": "QUEUED", "fiscalInfo": None, "failureInfo": None, "message": "Document queued for printing"}
    assert queued["fnState"] == "ASSOCIATED" and queued["timeStatusChanged"].endswith("+00:00")
    # and the register will find it with its amounts in kopecks: 1500 × 2 − 300 and 350, paid 2050 + 1000
    with db.transaction() as session:
        document = session.scalars(select(ShopDocument)).one()
        assert (document.total, document.doc_type, document.contact) == (305000, "SALE", "buyer@example.com")
        assert [(line["price"], line["quantity"], line["discount"], line["amount"], line["item_type"])
                for line in document.content["lines"]] == [(150000, 2000, 30000, 270000, 1), (35000, 1000, 0, 35000, 4)]
        assert document.content["payments"] == [{"type": "CARD", "amount": 205000}, {"type": "CASH", "amount": 100000}]
        assert document.checkout_at.isoformat() == "2024-03-15T09:30:00+00:00"

    # when it sends the same document again (a retry after a network error), by the older v1 path
    again = plugin.post("/api/fn/v1/doc", json=SALE, headers=shop)
    # then it is answered with the same document's status, and nothing more is queued
    assert again.status_code == 200 and again.json()["status"] == "QUEUED"
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(ShopDocument)) == 1
    # and the status can be polled (with a "[]" body, as Guzzle sends on every GET), under /fn as well
    for prefix in ("/api/fn", "/fn"):
        polled = plugin.request("GET", f"{prefix}/v1/doc/{SALE['id']}/status", content=b"[]",
                                headers={**shop, "Content-Type": "application/json"})
        assert polled.status_code == 200 and polled.json()["status"] == "QUEUED"
    # and an unknown id is not found
    assert plugin.get("/api/fn/v1/doc/no-such-document/status", headers=shop).status_code == 404


def test_plugins_quirks_are_read_as_the_real_server_read_them(plugin, shop, db):
    # given a document as a PHP script builds it: strings for numbers, a number for docNum, nulls, unknown fields,
    # `documentType` instead of `docType`, `responseUrl` spelled differently, a float price from a division
    quirky = {
        "id": "5f3b2a1c9d8e7", "docNum": 1042, "documentType": "RETURN", "checkoutDateTime": "2024-03-15T12:30:00.123+0300",
        "email": "+79991234567", "taxMode": None, "responseUrl": "https://shop.example/cb", "cashierInn": None,
        "TaxMode": "COMMON", "phone": "+79991234567",
        "inventPositions": [{"name": "Услуга", "price": "33.333333333333336", "quantity": "3", "vatTag": "1105",
                             "code": "X-1", "description": "", "nomenclatureCode": None}],
        "moneyPositions": [{"paymentType": "CARD", "sum": 100.0}],
    }
    # when it is sent
    answer = plugin.post("/api/fn/v2/doc", json=quirky, headers=shop)
    # then it is queued: 33.333… × 3 is 100.00 to the kopeck
    assert answer.status_code == 200, answer.text
    with db.transaction() as session:
        document = session.scalars(select(ShopDocument)).one()
        assert (document.doc_num, document.doc_type, document.total, document.response_url) == ("1042", "RETURN", 10000, "")
        assert document.content["lines"][0]["price"] == 3333


@pytest.mark.parametrize("change, message", [
    (lambda d: d["moneyPositions"][0].update(sum=2000.00),
     "Sum of moneyPositions (3000.00) does not match sum of inventPositions (3050.00)"),
    (lambda d: d["inventPositions"][0].update(quantity=0), "inventPositions[0].quantity: must be greater than 0"),
    (lambda d: d["inventPositions"][1].update(vatTag=1109), "inventPositions[1].vatTag: must be one of 1102, 1103"),
    (lambda d: d.update(docType="SELL"), "docType: must be one of SALE, RETURN, BUY, BUY_RETURN"),
    (lambda d: d.pop("docType"), "docType: must not be null"),
    (lambda d: d.pop("email"), "email: must not be empty"),
    (lambda d: d.update(email="not a contact"), "email: must be an e-mail address or a phone as +7 and 10 digits"),
    (lambda d: d["inventPositions"][0].pop("name"), "inventPositions[0].name: must not be empty"),
    (lambda d: d["inventPositions"][0].update(discSum=3500), "inventPositions[0].discSum: the discount is more"),
    (lambda d: d["inventPositions"][0].update(paymentObject="goods"), "inventPositions[0].paymentObject: must be one of"),
    (lambda d: d["moneyPositions"][0].update(paymentType="CASHLESS"), "moneyPositions[0].paymentType: must be one of"),
    (lambda d: d.update(inventPositions=[]), "inventPositions: must not be empty"),
    (lambda d: d.update(checkoutDateTime="yesterday"), "checkoutDateTime: must be a date and time"),
    (lambda d: d.update(cashierInn="12345"), "cashierInn: must be 10 or 12 digits"),
    (lambda d: d.update(responseURL="javascript:alert(1)"), "responseURL: must be an absolute http or https address"),
])
def test_a_wrong_document_gets_400_naming_the_field_and_nothing_is_queued(plugin, shop, db, change, message):
    # given the reference's sale with one thing wrong
    document = copy.deepcopy(SALE)
    change(document)
    # when it is sent
    answer = plugin.post("/api/fn/v2/doc", json=document, headers=shop)
    # then 400 with the reference's error body naming what is wrong
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] == "Bad Request"
    assert answer.json()["message"].startswith(message)
    # and nothing is queued
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(ShopDocument)) == 0


def test_a_body_that_is_not_json_or_too_big_is_refused(plugin, shop, db):
    # when the body is not JSON, or is over a megabyte
    broken = plugin.post("/api/fn/v2/doc", content=b"{\"id\": ", headers={**shop, "Content-Type": "application/json"})
    huge = plugin.post("/api/fn/v2/doc", content=b"[" + b"0," * 600_000 + b"0]", headers=shop)
    # then 400 and 413 in the reference's shape, and nothing is queued
    assert broken.status_code == 400 and broken.json()["status"] == 400
    assert huge.status_code == 413 and huge.json()["error"] == "Request Entity Too Large"
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(ShopDocument)) == 0


def test_a_point_not_marked_for_online_shop_documents_takes_none(plugin, api, shop, shop_point, db):
    # given the owner switched the point's online-shop documents off
    assert api.put(f"/api/v1/points/{shop_point['id']}", json=point_json(name=shop_point["name"], online_shop=False)).status_code == 200
    # then the point answers DISABLED, and a document is refused and not queued
    assert plugin.get("/api/fn/v1/status", headers=shop).json()["status"] == "DISABLED"
    refused = plugin.post("/api/fn/v2/doc", json=SALE, headers=shop)
    assert refused.status_code == 403
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(ShopDocument)) == 0


def test_the_point_is_ready_while_its_register_is_heard_from(plugin, shop, shop_point, register, fresh_code, db):
    # given a register bound to the point, its fiscal drive reported, heard from just now
    assert register.activate(fresh_code(shop_point["id"])).status_code == 201
    with db.transaction() as session:
        session.execute(update(Device).values(fn_serial="9999078900000823", last_seen_at=utcnow()))
    # then the point is READY
    assert plugin.get("/api/fn/v1/status", headers=shop).json()["status"] == "READY"


def test_only_a_failed_document_is_requeued(plugin, shop, db):
    # given a queued document
    plugin.post("/api/fn/v2/doc", json=SALE, headers=shop)
    # when the shop re-queues it (a PUT with no body)
    early = plugin.put(f"/api/fn/v1/doc/{SALE['id']}/re-queue", headers=shop)
    # then it is refused: only a FAILED one goes back to the queue
    assert early.status_code == 400 and "FAILED" in early.json()["message"]
    # when the register failed it and the shop re-queues it
    with db.transaction() as session:
        session.execute(update(ShopDocument).values(status="FAILED", failure_type="FN_GENERIC_FAILURE",
                                                    message="Fiscal drive did not answer"))
    assert plugin.get(f"/api/fn/v1/doc/{SALE['id']}/status", headers=shop).json()["failureInfo"] == {
        "type": "FN_GENERIC_FAILURE", "message": "Fiscal drive did not answer"}
    answer = plugin.put(f"/api/fn/v1/doc/{SALE['id']}/re-queue", headers=shop)
    # then it is REQUEUED, its failure cleared
    assert answer.status_code == 200
    assert {key: answer.json()[key] for key in ("status", "failureInfo", "message")} == {
        "status": "REQUEUED", "failureInfo": None, "message": "Document requeued"}


def test_deleting_the_association_stops_its_login(plugin, shop):
    # when the shop deletes its association
    answer = plugin.delete("/api/fn/v1/associate", headers=shop)
    # then 200 with an empty body, and the login no longer works
    assert answer.status_code == 200 and answer.content == b""
    assert plugin.get("/api/fn/v1/status", headers=shop).status_code == 401


def test_a_plugin_that_names_no_language_reads_the_messages_in_russian(plugin, shop):
    # given the reference's sale paid short
    document = copy.deepcopy(SALE)
    document["moneyPositions"][0]["sum"] = 2000.00
    # when a plugin that sends no Accept-Language sends it
    del plugin.headers["Accept-Language"]
    answer = plugin.post("/api/fn/v2/doc", json=document, headers=shop)
    # then the shop owner reads why in Russian
    assert answer.json()["message"] == "Сумма moneyPositions (3000.00) не совпадает с суммой inventPositions (3050.00)"


def test_a_shop_associates_with_a_service_login_made_for_online_shops(plugin, db, shop_point):
    # given service logins the owner made in the back office: one for online shops, one for 1C
    with db.transaction(immediate=True) as session:
        owner = actor_of(session, user_id=session.scalars(select(User.id).where(User.email == OWNER[0])).one())
        made = [create_service_login(session, owner, data=ServiceLoginIn(purpose=purpose))
                for purpose in ("online_shop", "one_c")]
        (shop_login, shop_password), (one_c_login, one_c_password) = [(new.login.login, new.password) for new in made]
    # when the plugin associates with the online shops' login
    answer = plugin.post(f"/api/fn/v1/associate/{shop_point['id']}", headers=basic(shop_login, shop_password))
    # then it gets the point's credentials
    assert answer.status_code == 200, answer.text
    assert answer.json()["name"] == "Интернет-магазин «Пример»"
    # and the 1C login, made for something else, is refused
    refused = plugin.post(f"/api/fn/v1/associate/{shop_point['id']}", headers=basic(one_c_login, one_c_password))
    assert refused.status_code == 401


def test_hostile_bodies_get_400_not_a_server_error(plugin, shop, db):
    # when the body nests arrays ten thousand deep, or the checkout time runs off the calendar
    nested = plugin.post("/api/fn/v2/doc", content=b"[" * 10_000 + b"]" * 10_000,
                         headers={**shop, "Content-Type": "application/json"})
    edge = plugin.post("/api/fn/v2/doc", json=SALE | {"checkoutDateTime": "0001-01-01T00:00:00+01:00"}, headers=shop)
    # then each is a 400 in the reference's shape, and nothing is queued
    assert nested.status_code == 400 and nested.json()["status"] == 400
    assert edge.status_code == 400 and edge.json()["message"].startswith("checkoutDateTime: must be a date and time")
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(ShopDocument)) == 0
