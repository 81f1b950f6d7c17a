"""What the role and the plan allow: an accountant sees points but changes nothing and never sees
activation codes; a plan's number of points is a hard limit."""

from __future__ import annotations

import pytest

from support import create_owner, sign_in


@pytest.fixture
def accountant(api, new_browser, mailbox, point):
    """A colleague invited as an accountant, who accepted the invitation and is signed in."""
    assert api.post("/api/v1/users", json={"email": "buh@shop.ru", "role": "accountant"}).status_code == 201
    browser = new_browser()
    response = browser.submit(mailbox.last_link("buh@shop.ru"), {
        "name": "Бухгалтер", "phone": "+79001112233", "password": "long enough pw",
    })
    assert response.status_code == 303, response.text
    return browser


def test_accountant_sees_the_point_but_not_its_activation_code(accountant, point, page_code):
    # when the accountant opens the point's page and its registers
    page = accountant.get(f"/points/{point['id']}").text
    devices = accountant.get(f"/points/{point['id']}/devices").text
    # then they see the point, but no code to bind a register and no button to change anything
    assert point["name"] in page
    assert page_code(page) is None and page_code(devices) is None
    assert "New code" not in page and ">Save<" not in page


def test_accountant_cannot_change_points_or_issue_codes(accountant, api_of, point, point_json):
    # when the accountant tries to change things
    their_api = api_of(accountant)
    answers = {
        "create": their_api.post("/api/v1/points", json=point_json(name="Своя точка")).status_code,
        "edit": their_api.put(f"/api/v1/points/{point['id']}", json=point_json(name="Иначе")).status_code,
        "archive": their_api.delete(f"/api/v1/points/{point['id']}").status_code,
        "code": their_api.post(f"/api/v1/points/{point['id']}/activation-code").status_code,
        "cashier": their_api.post("/api/v1/cashiers", json={
            "name": "Кассир", "pin": "1234", "point_ids": [point["id"]]}).status_code,
    }
    # then their role does not allow any of it, and the point is unchanged
    assert answers == dict.fromkeys(answers, 403)
    assert their_api.get(f"/api/v1/points/{point['id']}").json() == point


def test_plan_limits_the_number_of_points(db, new_browser, api_of, point_json):
    # given an owner on the Starter plan (two points) who has made two points
    create_owner(db, email="small@shop.ru", plan="start")
    browser = sign_in(new_browser(), "small@shop.ru")
    small = api_of(browser)
    for name in ("Первая", "Вторая"):
        assert small.post("/api/v1/points", json=point_json(name=name)).status_code == 201
    # when they add a third, through the API or the form
    response = small.post("/api/v1/points", json=point_json(name="Третья"))
    page = browser.submit("/points/new", {
        "name": "Третья", "address": "ул. Мира, 1", "inn": "7707083893", "timezone": "Europe/Moscow",
        "tax_systems[]": ["2"], "default_tax_system": "2", "catalog": "new", "rounding": "0",
    })
    # then the plan refuses it and says how to get more
    assert response.status_code == 402
    assert response.json()["error"]["code"] == "plan_limit"
    assert "Upgrade the plan" in response.json()["error"]["message"]
    assert page.status_code == 402 and "Upgrade the plan" in page.text
    assert 'value="Третья"' in page.text
    assert len(small.get("/api/v1/points").json()) == 2


def test_archived_point_frees_its_place_in_the_plan_until_restored(db, new_browser, api_of, point_json):
    # given a Starter owner with two points, one of them archived, and a third made in its place
    create_owner(db, email="small@shop.ru", plan="start")
    browser = sign_in(new_browser(), "small@shop.ru")
    small = api_of(browser)
    first = small.post("/api/v1/points", json=point_json(name="Первая")).json()
    small.post("/api/v1/points", json=point_json(name="Вторая"))
    small.delete(f"/api/v1/points/{first['id']}")
    assert small.post("/api/v1/points", json=point_json(name="Третья")).status_code == 201
    # when they try to restore the archived one
    response = browser.submit(f"/points/{first['id']}/archive")
    # then the plan refuses, with a message on the archive page, and the point stays archived
    assert response.status_code == 303
    assert "Upgrade the plan" in browser.get(response.headers["location"]).text
    assert small.get(f"/api/v1/points/{first['id']}").json()["archived"] is True
