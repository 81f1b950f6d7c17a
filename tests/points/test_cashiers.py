"""Cashiers: the people who sell, each with a PIN, the points they may work at, and their rights."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from openkassa.passwords import verify_password
from openkassa.points.models import Cashier


def _pin_hash(db, cashier_id) -> str:
    with db.transaction() as session:
        return session.scalars(select(Cashier.pin_hash).where(Cashier.id == uuid.UUID(str(cashier_id)))).one()


@pytest.fixture
def cashier_json(point):
    def make(**overrides) -> dict:
        return {"name": "Иванова Мария", "pin": "4321", "point_ids": [point["id"]], **overrides}

    return make


@pytest.fixture
def cashier(api, cashier_json) -> dict:
    response = api.post("/api/v1/cashiers", json=cashier_json(can_return=True))
    assert response.status_code == 201, response.text
    return response.json()


def test_owner_adds_a_cashier_in_the_form(owner, api, db, new_point):
    # given two points
    first, second = new_point(name="Первая"), new_point(name="Вторая")
    assert "No cashiers yet" in owner.get("/cashiers").text
    assert owner.get("/cashiers/new").status_code == 200
    # when the owner adds a cashier with an INN, a PIN, both points and some rights
    response = owner.submit("/cashiers/new", {
        "name": "Петров Пётр", "inn": "500100732259", "pin": "123456",
        "point_ids[]": [first["id"], second["id"]], "can_return": "on", "can_cash_drawer": "on",
    })
    # then the list shows them with their points and rights
    assert response.status_code == 303
    page = owner.get("/cashiers").text
    assert "The cashier «Петров Пётр» is saved." in page
    assert "Петров Пётр" in page and "500100732259" in page
    assert "Вторая, Первая" in page
    assert "Returns" in page and "Cash drawer" in page and "Discounts" not in page
    # and the API reads back the same, without the PIN
    [cashier] = api.get("/api/v1/cashiers").json()
    assert cashier["inn"] == "500100732259"
    assert set(cashier["point_ids"]) == {first["id"], second["id"]}
    assert (cashier["can_return"], cashier["can_discount"], cashier["can_change_price"],
            cashier["can_cash_drawer"], cashier["can_close_shift"]) == (True, False, False, True, False)
    assert "pin" not in cashier
    # and the PIN is kept only as a hash that the PIN matches
    stored = _pin_hash(db, cashier["id"])
    assert "123456" not in stored and verify_password(stored, "123456")


def test_cashier_through_the_api_never_shows_the_pin(api, db, cashier_json):
    # when a cashier is created through the API
    response = api.post("/api/v1/cashiers", json=cashier_json(inn="", can_discount=True))
    # then the answer and every read of it leave the PIN out
    assert response.status_code == 201
    created = response.json()
    assert created["name"] == "Иванова Мария" and created["can_discount"] is True and created["inn"] == ""
    for body in (created, api.get(f"/api/v1/cashiers/{created['id']}").json(), api.get("/api/v1/cashiers").json()):
        assert "pin" not in str(body).lower() and "4321" not in str(body)
    # and the database holds no plain PIN
    stored = _pin_hash(db, created["id"])
    assert stored != "4321" and verify_password(stored, "4321")


def test_cashier_page_never_shows_the_pin(owner, cashier):
    # when the owner opens the cashier's page
    page = owner.get(f"/cashiers/{cashier['id']}").text
    # then the PIN field is empty, with a hint how to keep it
    assert "4321" not in page
    assert "Leave empty to keep the current PIN." in page
    assert 'value="Иванова Мария"' in page


def test_editing_with_an_empty_pin_keeps_the_old_pin(owner, api, db, cashier, point):
    # when the owner edits the cashier and leaves the PIN empty
    response = owner.submit(f"/cashiers/{cashier['id']}", {
        "name": "Иванова Мария Петровна", "inn": "", "pin": "", "point_ids[]": [point["id"]], "can_discount": "on",
    })
    # then the changes are saved and the old PIN still opens the register
    assert response.status_code == 303, response.text
    edited = api.get(f"/api/v1/cashiers/{cashier['id']}").json()
    assert edited["name"] == "Иванова Мария Петровна"
    assert (edited["can_return"], edited["can_discount"]) == (False, True)
    assert verify_password(_pin_hash(db, cashier["id"]), "4321")


def test_editing_with_a_new_pin_replaces_it(api, db, cashier, cashier_json):
    # when the owner sets a new PIN through the API
    response = api.put(f"/api/v1/cashiers/{cashier['id']}", json=cashier_json(pin="98765"))
    # then only the new PIN works
    assert response.status_code == 200
    stored = _pin_hash(db, cashier["id"])
    assert verify_password(stored, "98765") and not verify_password(stored, "4321")


def test_editing_through_the_api_with_an_empty_pin_keeps_it(api, db, cashier, cashier_json):
    # when the cashier is replaced through the API with an empty PIN
    response = api.put(f"/api/v1/cashiers/{cashier['id']}", json=cashier_json(name="Сидорова", pin=""))
    # then the name changes and the PIN stays
    assert response.status_code == 200 and response.json()["name"] == "Сидорова"
    assert verify_password(_pin_hash(db, cashier["id"]), "4321")


BAD_CASHIERS = [
    pytest.param({"pin": "12"}, "pin", "The PIN must be 4 to 6 digits.", id="pin-too-short"),
    pytest.param({"pin": "1234567"}, "pin", "The PIN must be 4 to 6 digits.", id="pin-too-long"),
    pytest.param({"pin": "12ab"}, "pin", "The PIN must be 4 to 6 digits.", id="pin-letters"),
    pytest.param({"pin": "١٢٣٤"}, "pin", "The PIN must be 4 to 6 digits.", id="pin-arabic-digits"),
    pytest.param({"pin": ""}, "pin", "Required.", id="pin-missing"),
    pytest.param({"inn": "7707083894"}, "inn", "check digit", id="inn-wrong-check-digit"),
    pytest.param({"name": ""}, "name", "Required.", id="name-empty"),
    pytest.param({"point_ids": []}, "point_ids", "", id="no-points"),
    pytest.param({"point_ids": [str(uuid.uuid4())]}, "point_ids", "Choose points from the list.", id="unknown-point"),
]


@pytest.mark.parametrize(("change", "field", "message"), BAD_CASHIERS)
def test_bad_cashier_in_the_api_is_refused_on_its_field(api, cashier_json, change, field, message):
    # when a cashier with one bad field is posted
    response = api.post("/api/v1/cashiers", json=cashier_json(**change))
    # then the field is named with the reason, and nothing is written
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert message in error["fields"][field]
    assert api.get("/api/v1/cashiers").json() == []


@pytest.mark.parametrize(("change", "field", "message"), BAD_CASHIERS)
def test_bad_cashier_in_the_form_comes_back_with_the_message(owner, api, point, error_on, change, field, message):
    # when the owner saves the form with one bad field
    form = {"name": "Иванова Мария", "inn": "500100732259", "pin": "4321", "point_ids[]": [point["id"]]}
    for key, value in change.items():
        form["point_ids[]" if key == "point_ids" else key] = value
    response = owner.submit("/cashiers/new", form)
    # then the form comes back with the message, the typed values but never the PIN, and nothing is written
    assert response.status_code == 422
    assert message in (error_on(response.text, field) or "<no message>")
    if field != "inn":
        assert 'value="500100732259"' in response.text
    if change.get("pin"):
        assert f'value="{change["pin"]}"' not in response.text
    assert api.get("/api/v1/cashiers").json() == []


def test_bad_edit_leaves_the_cashier_as_it_was(api, db, cashier, cashier_json):
    # when the cashier is replaced with a bad PIN
    response = api.put(f"/api/v1/cashiers/{cashier['id']}", json=cashier_json(name="Другое имя", pin="12ab"))
    # then nothing changes
    assert response.status_code == 422
    assert api.get(f"/api/v1/cashiers/{cashier['id']}").json() == cashier
    assert verify_password(_pin_hash(db, cashier["id"]), "4321")


def test_point_of_another_account_cannot_be_given_to_a_cashier(api, stranger, cashier_json, point_json):
    # given a point of another account
    foreign = stranger.post("/api/v1/points", json=point_json(name="Чужая точка")).json()
    # when the owner adds a cashier to it, alone or next to an own point
    alone = api.post("/api/v1/cashiers", json=cashier_json(point_ids=[foreign["id"]]))
    mixed = api.post("/api/v1/cashiers", json=cashier_json(point_ids=[cashier_json()["point_ids"][0], foreign["id"]]))
    # then both are refused on the points field, and nothing is written
    for response in (alone, mixed):
        assert response.status_code == 422
        assert response.json()["error"]["fields"] == {"point_ids": "Choose points from the list."}
    assert api.get("/api/v1/cashiers").json() == []
    assert stranger.get("/api/v1/cashiers").json() == []


def test_removed_cashier_disappears(owner, api, cashier):
    # when the owner removes the cashier on their page
    response = owner.submit(f"/cashiers/{cashier['id']}/archive")
    # then they leave the list and can no longer be opened
    assert response.status_code == 303
    page = owner.get("/cashiers").text
    assert "The cashier «Иванова Мария» is removed." in page
    assert "No cashiers yet" in page
    assert owner.get(f"/cashiers/{cashier['id']}").status_code == 404
    assert api.get(f"/api/v1/cashiers/{cashier['id']}").status_code == 404


def test_removing_a_cashier_through_the_api(api, cashier):
    # when the cashier is deleted through the API
    response = api.delete(f"/api/v1/cashiers/{cashier['id']}")
    # then they are gone from the list, and a second delete finds nothing
    assert response.status_code == 204
    assert api.get("/api/v1/cashiers").json() == []
    assert api.delete(f"/api/v1/cashiers/{cashier['id']}").status_code == 404


def test_cashiers_filtered_by_point(api, new_point, cashier_json):
    # given cashiers at two points
    first, second = new_point(name="Первая"), new_point(name="Вторая")
    api.post("/api/v1/cashiers", json=cashier_json(name="Анна", point_ids=[first["id"]]))
    api.post("/api/v1/cashiers", json=cashier_json(name="Борис", point_ids=[second["id"]]))
    # when the owner lists the cashiers of the second point
    listed = api.get("/api/v1/cashiers", point_id=second["id"]).json()
    # then only its cashier is there
    assert [c["name"] for c in listed] == ["Борис"]
