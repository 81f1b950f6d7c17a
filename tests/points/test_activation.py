"""Binding a register to a point: the activation code, the device API, the registers list,
unbinding, and what a stranger guessing codes runs into."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from openkassa.points.models import Device
from support import Browser

LOOK_ALIKES = set("0O1IL2Z5S8B")


def test_saving_a_point_shows_its_activation_code(owner, page_code):
    # when the owner saves a new point in the form
    response = owner.submit("/points/new", {
        "name": "Магазин", "address": "ул. Мира, 1", "inn": "7707083893", "timezone": "Europe/Moscow",
        "tax_systems[]": ["2"], "default_tax_system": "2", "catalog": "new", "rounding": "0",
    })
    page = owner.get(response.headers["location"]).text
    # then its page shows an 8-character code as XXXX-XXXX, free of look-alike characters
    code = page_code(page)
    assert code is not None and len(code) == 8
    assert f"{code[:4]}-{code[4:]}" in page
    assert not LOOK_ALIKES & set(code)
    assert "Enter it on the register within 24 hours" in page


def test_codes_never_use_look_alike_characters(api, point, fresh_code):
    # when many codes are issued
    codes = [fresh_code(point["id"]) for _ in range(40)]
    # then each has 8 characters, none of them a look-alike, and all differ
    assert all(len(code) == 8 and code.isalnum() and code.isupper() for code in codes)
    assert not LOOK_ALIKES & set("".join(codes))
    assert len(set(codes)) == len(codes)


def test_register_activates_with_the_code_and_then_knows_its_point(owner, point, register, page_code):
    # given the code shown on the point's page
    code = page_code(owner.get(f"/points/{point['id']}").text)
    # when the register is activated with it
    response = register.activate(code, name="Касса у входа", app_version="2.0.1", serial="SN-42")
    # then the register gets a token and learns its point
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["token"] and body["point"]["id"] == point["id"] and body["point"]["name"] == point["name"]
    me = register.me()
    assert me.status_code == 200
    assert me.json()["device_id"] == body["device_id"]
    assert me.json()["point"]["inn"] == point["inn"]
    # and the register shows on the point's registers tab with its name and app version
    page = owner.get(f"/points/{point['id']}/devices").text
    assert "Касса у входа" in page and "2.0.1" in page and "SN-42" in page
    # and the list of points counts it
    assert f'<a href="/points/{point["id"]}/devices">1</a>' in owner.get("/points").text
    # and the used code is no longer offered on the page
    assert page_code(owner.get(f"/points/{point['id']}").text) is None
    assert "No valid code" in owner.get(f"/points/{point['id']}").text


def test_registers_appear_in_the_api(api, point, bound_register):
    # when the owner lists the point's registers through the API
    devices = api.get(f"/api/v1/points/{point['id']}/devices").json()
    # then the bound register is there, without any token
    assert [(d["name"], d["app_version"], d["serial"]) for d in devices] == [("Касса 1", "1.4.2", "SN-0001")]
    assert "token" not in str(devices).lower()
    assert api.get(f"/api/v1/devices/{devices[0]['id']}").json()["point_id"] == point["id"]


@pytest.mark.parametrize(
    "typed",
    [
        pytest.param(lambda c: f"{c[:4]}-{c[4:]}".lower(), id="lower-case-with-dash"),
        pytest.param(lambda c: f"{c[:4]} {c[4:]}", id="with-a-space"),
        pytest.param(lambda c: f"  {c[:2]} {c[2:4]}  {c[4:6]} {c[6:]} ", id="with-many-spaces"),
        pytest.param(lambda c: f"{c[:4]}-{c[4:]}", id="as-shown"),
    ],
)
def test_code_typed_as_a_person_would_still_works(point, register, fresh_code, typed):
    # given a fresh code
    code = fresh_code(point["id"])
    # when it is typed in another case or with separators
    response = register.activate(typed(code))
    # then the register is bound
    assert response.status_code == 201, response.text
    assert register.me().status_code == 200


def test_new_code_replaces_the_previous_one(point, register, fresh_code, new_register):
    # given a code, and then a newer one for the same point
    old = fresh_code(point["id"])
    new = fresh_code(point["id"])
    # when a register tries the old one
    refused = register.activate(old)
    # then it is refused, and the new one works
    assert refused.status_code == 422
    assert "code" in refused.json()["error"]["fields"]
    assert new_register().activate(new).status_code == 201


def test_new_code_from_the_page_replaces_the_previous_one(owner, point, register, page_code):
    # given the code on the point's page
    old = page_code(owner.get(f"/points/{point['id']}").text)
    # when the owner presses "New code" (HTMX swaps the code card)
    response = owner.post(
        f"/points/{point['id']}/activation-code", headers={"HX-Request": "true", "X-CSRF-Token": owner.csrf()}
    )
    # then a different code is shown, and only it works
    new = page_code(response.text)
    assert response.status_code == 200 and new and new != old
    assert "<html" not in response.text
    assert register.activate(old).status_code == 422
    assert register.activate(new).status_code == 201


def test_code_works_only_once(point, register, fresh_code, new_register):
    # given a code that bound a register
    code = fresh_code(point["id"])
    assert register.activate(code).status_code == 201
    # when a second register tries the same code
    response = new_register().activate(code)
    # then it is refused, and the first register keeps working
    assert response.status_code == 422
    assert response.json()["error"]["fields"]["code"].startswith("The code is wrong, used or expired.")
    assert register.me().status_code == 200


def test_code_older_than_a_day_is_refused(owner, point, register, fresh_code, expire_codes, page_code):
    # given a code whose 24 hours have passed
    code = fresh_code(point["id"])
    expire_codes(point["id"])
    # when a register is activated with it
    response = register.activate(code)
    # then it is refused, and the point's page no longer shows it
    assert response.status_code == 422
    assert "code" in response.json()["error"]["fields"]
    page = owner.get(f"/points/{point['id']}").text
    assert page_code(page) is None and "No valid code" in page


@pytest.mark.parametrize("code", ["", "ABCD-EFGH", "ZZZZZZZZ", "'; DROP TABLE devices; --"])
def test_wrong_codes_are_refused(register, point, code):
    # when a register sends a code that was never issued
    response = register.activate(code)
    # then it is refused on the code field, without a token
    assert response.status_code == 422
    assert "code" in response.json()["error"]["fields"]
    assert "token" not in response.json()


def test_activation_with_unknown_fields_is_refused(register, point, fresh_code):
    # when a register sends more than the API knows (say, a point it wants to join)
    response = register.client.post("/api/device/v1/activate", json={
        "code": fresh_code(point["id"]), "device": {"name": "Касса"}, "point_id": point["id"],
    })
    # then it is refused
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"point_id": "Unknown field."}


def test_unbinding_in_the_page_stops_the_token_at_once(owner, point, bound_register):
    # given a working register
    device_id = bound_register.me().json()["device_id"]
    # when the owner unbinds it on the registers tab
    response = owner.submit(f"/devices/{device_id}/unbind")
    # then the very next request of the register is refused
    assert response.status_code == 303
    assert bound_register.me().status_code == 401
    # and it is gone from the list, with a message saying so
    page = owner.get(response.headers["location"]).text
    assert "The register «Касса 1» is unbound." in page
    assert "No registers yet" in page


def test_unbinding_through_the_api_stops_the_token_at_once(api, point, bound_register):
    # given a working register
    device_id = bound_register.me().json()["device_id"]
    # when it is unbound through the API
    response = api.delete(f"/api/v1/devices/{device_id}")
    # then its token is refused at once and the register is gone
    assert response.status_code == 204
    me = bound_register.me()
    assert me.status_code == 401
    assert me.json()["error"]["code"] == "unauthorized"
    assert api.get(f"/api/v1/devices/{device_id}").status_code == 404
    assert api.get(f"/api/v1/points/{point['id']}/devices").json() == []
    # and unbinding it again finds nothing
    assert api.delete(f"/api/v1/devices/{device_id}").status_code == 404


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="no-header"),
        pytest.param({"Authorization": "Bearer not-a-token"}, id="made-up-token"),
        pytest.param({"Authorization": "Basic b3duZXJAc2hvcC5ydTpjb3JyZWN0IGhvcnNlIDE="}, id="owner-password"),
    ],
)
def test_device_api_refuses_without_a_device_token(register, point, headers):
    # when something calls the device API without a register's token
    response = register.client.get("/api/device/v1/me", headers=headers)
    # then it is refused as unknown
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


def test_only_the_hash_of_the_token_is_stored(db, point, register, fresh_code):
    # given a register that got its token
    response = register.activate(fresh_code(point["id"]))
    token = response.json()["token"]
    # when we look at what the database keeps about it
    with db.transaction() as session:
        row = session.execute(select(Device.__table__)).one()._mapping
    # then no column holds the token
    assert not [name for name, value in row.items() if value is not None and token in str(value)]
    assert row["id"] == uuid.UUID(response.json()["device_id"])


def test_guessing_codes_is_stopped_after_ten_wrong_ones(point, register, fresh_code, new_register):
    # given a right code, and someone who tried ten wrong ones from the same address
    code = fresh_code(point["id"])
    for attempt in range(10):
        assert register.activate(f"WRONG{attempt:03d}").status_code == 422
    # when the right code is tried from there
    response = new_register().activate(code)
    # then it is refused too, with when to try again
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "too_many_requests"
    assert int(response.headers["Retry-After"]) > 0


def test_guesses_from_one_address_do_not_block_another(app, point, register, fresh_code):
    # given ten wrong codes tried from one address
    for attempt in range(10):
        register.activate(f"WRONG{attempt:03d}")
    # when a register at another address activates with a right code
    with Browser(app, client=("10.0.0.77", 50000)) as elsewhere:
        response = elsewhere.post("/api/device/v1/activate", json={
            "code": fresh_code(point["id"]), "device": {"name": "Касса 2"},
        })
    # then it is bound
    assert response.status_code == 201, response.text
