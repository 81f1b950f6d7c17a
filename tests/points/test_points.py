"""Retail points and their register settings: created, read back, edited, archived and restored,
through the HTML forms and the JSON API; bad input is refused field by field and writes nothing."""

from __future__ import annotations

import pytest

ALL_SETTINGS_ON = (
    "carry_over_cash", "allow_deferred_receipts", "allow_price_change", "allow_return_without_receipt",
    "allow_free_price_sale", "pay_bonus_card", "pay_gift_certificate", "pay_advance", "allow_partial_payment",
    "allow_credit", "online_shop",
)

FULL_FORM = {
    "name": "Магазин у дома",
    "address": "г. Самара, ул. Мира, д. 5",
    "inn": "500100732259",
    "timezone": "Asia/Yekaterinburg",
    "tax_systems[]": ["1", "2", "32"],
    "default_tax_system": "32",
    "catalog": "new",
    "rounding": "50",
    "receipt_header": "ИП Петров П. П.\nДобро пожаловать!",
    "receipt_footer": "Скидка 5% по карте",
    # push_catalog_updates left unchecked: an unchecked box is not sent at all
    **{name: "on" for name in ALL_SETTINGS_ON},
}


def _point_id(response) -> str:
    assert response.status_code == 303, response.text
    return response.headers["location"].rsplit("/", 1)[1]


def test_owner_creates_a_point_with_every_field_in_the_form_and_reads_it_back(owner, api):
    # given the owner on the form of a new point
    assert "Add your first shop" in owner.get("/points").text
    assert owner.get("/points/new").status_code == 200
    # when they fill in every field and save
    response = owner.submit("/points/new", FULL_FORM)
    # then they land on the point's page with a confirmation
    point_id = _point_id(response)
    page = owner.get(f"/points/{point_id}")
    assert "The point «Магазин у дома» is saved." in page.text
    assert 'value="500100732259"' in page.text
    assert "Скидка 5% по карте" in page.text
    assert '<option value="Asia/Yekaterinburg" selected>' in page.text
    # and the API reads back exactly what was typed
    stored = api.get(f"/api/v1/points/{point_id}").json()
    assert {k: v for k, v in stored.items() if k not in ("id", "catalog_id", "revision")} == {
        "name": "Магазин у дома", "address": "г. Самара, ул. Мира, д. 5", "inn": "500100732259",
        "timezone": "Asia/Yekaterinburg", "tax_systems": [1, 2, 32], "default_tax_system": 32,
        "push_catalog_updates": False, "rounding": 50,
        "receipt_header": "ИП Петров П. П.\nДобро пожаловать!", "receipt_footer": "Скидка 5% по карте",
        "archived": False, **{name: True for name in ALL_SETTINGS_ON},
    }
    # and the list shows the point
    listed = owner.get("/points").text
    assert "Магазин у дома" in listed and "г. Самара, ул. Мира, д. 5" in listed


def test_owner_creates_a_point_through_the_api_with_every_field(api, point_json):
    # given a point described with every field
    data = point_json(
        timezone="Asia/Vladivostok", tax_systems=[1, 4, 16], default_tax_system=4, push_catalog_updates=False,
        rounding=100, receipt_header="ООО «Ромашка»", receipt_footer="Приходите ещё",
        **{name: True for name in ALL_SETTINGS_ON},
    )
    # when it is posted
    response = api.post("/api/v1/points", json=data)
    # then it is created and reads back the same
    assert response.status_code == 201, response.text
    created = response.json()
    assert {k: created[k] for k in data} == data
    assert api.get(f"/api/v1/points/{created['id']}").json() == created
    assert [p["id"] for p in api.get("/api/v1/points").json()] == [created["id"]]


def test_defaults_of_a_point_made_with_only_the_required_fields(api, point_json):
    # when a point is made with only what is required
    created = api.post("/api/v1/points", json=point_json()).json()
    # then the register settings are the safe defaults
    assert created["push_catalog_updates"] is True
    assert created["rounding"] == 0
    assert not any(created[name] for name in ALL_SETTINGS_ON)


def test_owner_edits_a_point_in_the_form(owner, api, point):
    # given an existing point
    form = {**FULL_FORM, "name": "Магазин у вокзала", "inn": "7707083893", "rounding": "10",
            "tax_systems[]": ["1"], "default_tax_system": "1"}
    del form["catalog"]
    del form["allow_credit"]
    # when the owner changes it in the form
    response = owner.submit(f"/points/{point['id']}", form)
    # then it is saved
    assert response.status_code == 303
    assert "The point is saved." in owner.get(response.headers["location"]).text
    edited = api.get(f"/api/v1/points/{point['id']}").json()
    assert edited["name"] == "Магазин у вокзала"
    assert (edited["inn"], edited["rounding"], edited["tax_systems"], edited["default_tax_system"]) == (
        "7707083893", 10, [1], 1
    )
    assert edited["allow_credit"] is False and edited["pay_advance"] is True
    assert edited["catalog_id"] == point["catalog_id"]


def test_owner_replaces_a_point_through_the_api(api, point, point_json):
    # when the point is replaced with new details
    response = api.put(
        f"/api/v1/points/{point['id']}",
        json=point_json(name="Киоск", address="ТЦ «Мега», 2 этаж", tax_systems=[2, 4], default_tax_system=4,
                        allow_price_change=True),
    )
    # then the API answers and keeps the new details
    assert response.status_code == 200, response.text
    stored = api.get(f"/api/v1/points/{point['id']}").json()
    assert stored == response.json()
    assert (stored["name"], stored["address"], stored["tax_systems"]) == ("Киоск", "ТЦ «Мега», 2 этаж", [2, 4])
    assert stored["allow_price_change"] is True
    assert stored["revision"] > point["revision"]  # registers see that something changed


def test_archived_point_leaves_the_list_stops_its_registers_and_comes_back(
    owner, api, point, bound_register, fresh_code, new_register
):
    # given a point with a working register and an unused activation code
    spare_code = fresh_code(point["id"])
    assert bound_register.me().status_code == 200
    # when the owner archives it
    response = owner.submit(f"/points/{point['id']}/archive", {"archived": "on"})
    # then it leaves the list of active points and shows among the archived ones
    assert response.status_code == 303
    assert "is archived" in owner.get(response.headers["location"]).text
    assert point["name"] not in owner.get("/points").text
    assert point["name"] in owner.get("/points?archived=true").text
    assert api.get("/api/v1/points").json() == []
    assert [p["id"] for p in api.get("/api/v1/points", archived="true").json()] == [point["id"]]
    archived_page = owner.get(f"/points/{point['id']}").text
    assert "This point is archived." in archived_page and "Restore" in archived_page
    assert "Restore it to bind registers." in archived_page
    # and its register is refused, and its code no longer binds a register
    assert bound_register.me().status_code == 401
    assert new_register().activate(spare_code).status_code == 422
    # when the owner restores it
    response = owner.submit(f"/points/{point['id']}/archive")
    # then it is back in the list and its register works again
    assert response.status_code == 303
    assert "is restored" in owner.get(response.headers["location"]).text
    assert point["name"] in owner.get("/points").text
    assert bound_register.me().status_code == 200


def test_archiving_through_the_api(api, point, bound_register):
    # when the point is deleted through the API
    response = api.delete(f"/api/v1/points/{point['id']}")
    # then it is archived, not gone
    assert response.status_code == 200
    assert response.json()["archived"] is True
    assert api.get(f"/api/v1/points/{point['id']}").json()["archived"] is True
    assert api.get("/api/v1/points").json() == []
    assert bound_register.me().status_code == 401
    # and no new code is issued for it
    assert api.post(f"/api/v1/points/{point['id']}/activation-code").status_code == 422


# --- bad input ---------------------------------------------------------------------------

BAD_POINTS = [
    pytest.param({"inn": "7707083894"}, "inn", "check digit", id="inn-wrong-check-digit"),
    pytest.param({"inn": "77070838AB"}, "inn", "10 or 12 digits", id="inn-letters"),
    pytest.param({"name": ""}, "name", "Required.", id="name-empty"),
    pytest.param({"name": "   "}, "name", "Required.", id="name-blank"),
    pytest.param({"name": "Я" * 129}, "name", "At most 128 characters.", id="name-too-long"),
    pytest.param({"timezone": "Mars/Olympus"}, "timezone", "Choose a time zone from the list.", id="timezone-unknown"),
    pytest.param({"timezone": "../../etc/passwd"}, "timezone", "Choose a time zone from the list.", id="timezone-path"),
    pytest.param({"tax_systems": []}, "tax_systems", "", id="no-tax-system"),
    pytest.param({"tax_systems": [2], "default_tax_system": 1}, "default_tax_system", "one of the allowed ones",
                 id="default-tax-not-allowed"),
    pytest.param({"rounding": 7}, "rounding", "Choose one of the offered values.", id="rounding-7"),
    pytest.param({"receipt_header": "Спасибо\x07"}, "receipt_header", "control characters", id="control-char"),
]


@pytest.mark.parametrize(("change", "field", "message"), BAD_POINTS)
def test_bad_point_in_the_api_is_refused_on_its_field(api, point_json, change, field, message):
    # when a point with one bad field is posted
    response = api.post("/api/v1/points", json=point_json(**change))
    # then the answer names the field and why, in the one error shape
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid" and error["message"]
    assert message in error["fields"][field]
    # and nothing is written
    assert api.get("/api/v1/points").json() == []


def test_unknown_field_in_the_api_is_refused(api, point_json):
    # when a point carries a field the API does not know
    response = api.post("/api/v1/points", json=point_json(colour="red"))
    # then it is refused on that field and nothing is written
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"colour": "Unknown field."}
    assert api.get("/api/v1/points").json() == []


# Editing runs the same checks; a few representative ones are enough there.
BAD_EDITS = [p for p in BAD_POINTS if p.id in ("inn-wrong-check-digit", "name-too-long", "default-tax-not-allowed",
                                                 "rounding-7")]


@pytest.mark.parametrize(("change", "field", "message"), BAD_EDITS)
def test_bad_edit_in_the_api_leaves_the_point_as_it_was(api, point, point_json, change, field, message):
    # when a point is replaced with one bad field
    response = api.put(f"/api/v1/points/{point['id']}", json=point_json(**{**change, "address": "Новый адрес"}))
    # then it is refused on the field and the point is unchanged
    assert response.status_code == 422
    assert message in response.json()["error"]["fields"][field]
    assert api.get(f"/api/v1/points/{point['id']}").json() == point


def _as_form(change: dict) -> dict:
    form = {k: v for k, v in FULL_FORM.items()}
    for key, value in change.items():
        if key == "tax_systems":
            form["tax_systems[]"] = [str(v) for v in value]
        else:
            form[key] = str(value)
    return form


@pytest.mark.parametrize(("change", "field", "message"), BAD_POINTS)
def test_bad_point_in_the_form_is_shown_again_with_the_message_and_typed_values(
    owner, api, error_on, change, field, message
):
    # when the owner saves the new-point form with one bad field
    response = owner.submit("/points/new", _as_form(change))
    # then the form comes back with the message under that field and everything typed still there
    assert response.status_code == 422
    assert "Please correct the marked fields." in response.text
    assert message in (error_on(response.text, field) or "<no message>")
    assert "г. Самара, ул. Мира, д. 5" in response.text
    assert "Скидка 5% по карте" in response.text
    # and nothing is written
    assert api.get("/api/v1/points").json() == []


@pytest.mark.parametrize(("change", "field", "message"), BAD_EDITS)
def test_bad_edit_in_the_form_keeps_the_point(owner, api, point, error_on, change, field, message):
    # when the owner saves the point's form with one bad field
    form = _as_form({**change, "address": "Новый адрес"})
    del form["catalog"]
    response = owner.submit(f"/points/{point['id']}", form)
    # then the form comes back with the message and the typed address, and the point is unchanged
    assert response.status_code == 422
    assert message in (error_on(response.text, field) or "<no message>")
    assert "Новый адрес" in response.text
    assert api.get(f"/api/v1/points/{point['id']}").json() == point


def test_point_picker_lists_the_accounts_active_points(owner, new_point, api):
    # given two points, one of them archived
    new_point(name="Первая точка")
    second = new_point(name="Вторая точка")
    api.delete(f"/api/v1/points/{second['id']}")
    # when the top bar loads the point picker
    response = owner.get("/points/picker", headers={"HX-Request": "true"})
    # then it offers the active point only
    assert response.status_code == 200
    assert "Первая точка" in response.text
    assert "Вторая точка" not in response.text
    assert "<html" not in response.text


def test_point_picker_is_empty_without_points(owner):
    # when an owner without points loads the picker
    response = owner.get("/points/picker", headers={"HX-Request": "true"})
    # then it shows nothing to pick
    assert response.status_code == 200
    assert "<select" not in response.text


def test_pages_of_points_need_a_signed_in_user(browser, point):
    # when an anonymous visitor opens a point's page or its API
    page = browser.get(f"/points/{point['id']}")
    api_answer = browser.get(f"/api/v1/points/{point['id']}")
    # then the page sends them to sign in, and the API says who they must be
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    assert api_answer.status_code == 401
    assert api_answer.json()["error"]["code"] == "unauthorized"


def test_api_changes_without_the_csrf_header_are_refused(owner, point_json):
    # when a page of another site makes the owner's browser post a point (no CSRF header)
    response = owner.post("/api/v1/points", json=point_json())
    # then it is refused and nothing is written
    assert response.status_code == 403
    assert owner.get("/api/v1/points").json() == []
