"""Tenant isolation: another account can neither see nor touch an account's points, registers,
cashiers and users. It gets 404, never 403 (which would tell it that the thing exists)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from support import create_owner, sign_in


@dataclass
class World:
    """Account A with one of everything, and account B signed in next to it."""

    a: object  # A's JSON API
    b: object  # B's JSON API
    point: dict
    register: object
    device_id: str
    cashier: dict
    colleague: dict

    def snapshot(self, page_code) -> dict:
        """Everything of A that B must not change, as A sees it."""
        point_id = self.point["id"]
        return {
            "point": self.a.get(f"/api/v1/points/{point_id}").json(),
            "devices": self.a.get(f"/api/v1/points/{point_id}/devices").json(),
            "cashier": self.a.get(f"/api/v1/cashiers/{self.cashier['id']}").json(),
            "users": self.a.get("/api/v1/users").json(),
            "code": page_code(self.a.browser.get(f"/points/{point_id}").text),
        }


@pytest.fixture
def world(db, new_browser, api_of, point_json, new_register, fresh_code) -> World:
    # Account A: a point with a bound register and a fresh code, a cashier, an invited colleague.
    create_owner(db, email="a@shop.ru", plan="standard", company="ООО «Альфа»")
    a = api_of(sign_in(new_browser(), "a@shop.ru"))
    point = a.post("/api/v1/points", json=point_json(name="Точка Альфы")).json()
    register = new_register()
    code = a.post(f"/api/v1/points/{point['id']}/activation-code").json()["code"]
    device_id = register.activate(code, name="Касса Альфы").json()["device_id"]
    a.post(f"/api/v1/points/{point['id']}/activation-code")  # a code waiting on the page
    cashier = a.post(
        "/api/v1/cashiers", json={"name": "Кассир Альфы", "pin": "2468", "point_ids": [point["id"]]}
    ).json()
    colleague = a.post("/api/v1/users", json={"email": "colleague@shop.ru", "role": "manager"}).json()
    # Account B, signed in at the same time.
    create_owner(db, email="b@other.ru", plan="standard", company="ООО «Бета»")
    b = api_of(sign_in(new_browser(), "b@other.ru"))
    return World(a, b, point, register, device_id, cashier, colleague)


def _point_form(world: World) -> dict:
    return {
        "name": "Захвачено", "address": "ул. Бета, 1", "inn": "7707083893", "timezone": "Europe/Moscow",
        "tax_systems[]": ["2"], "default_tax_system": "2", "rounding": "0",
    }


def _cashier_form(world: World) -> dict:
    return {"name": "Захвачено", "pin": "1111", "point_ids[]": [world.point["id"]], "can_return": "on"}


def _point_json(world: World) -> dict:
    return {"name": "Захвачено", "address": "ул. Бета, 1", "inn": "7707083893", "tax_systems": [2],
            "default_tax_system": 2}


def _cashier_json(world: World) -> dict:
    return {"name": "Захвачено", "pin": "1111", "point_ids": [world.point["id"]]}


# What B tries, grouped by the object it aims at: (how, method, url template, body maker).
ATTEMPTS = {
    "point pages": [
        ("html", "GET", "/points/{point}", None),
        ("html", "POST", "/points/{point}", _point_form),
        ("html", "GET", "/points/{point}/devices", None),
        ("html", "POST", "/points/{point}/activation-code", None),
        ("html", "POST", "/points/{point}/archive", lambda w: {"archived": "on"}),
        ("html", "POST", "/points/{point}/archive", lambda w: {}),  # restore
        ("html", "GET", "/products?point={point}", None),
        ("html", "GET", "/products?point={point}&q=a", None),
    ],
    "points API": [
        ("json", "GET", "/api/v1/points/{point}", None),
        ("json", "PUT", "/api/v1/points/{point}", _point_json),
        ("json", "DELETE", "/api/v1/points/{point}", None),
        ("json", "GET", "/api/v1/points/{point}/devices", None),
        ("json", "POST", "/api/v1/points/{point}/activation-code", None),
    ],
    "registers": [
        ("html", "POST", "/devices/{device}/unbind", None),
        ("json", "GET", "/api/v1/devices/{device}", None),
        ("json", "DELETE", "/api/v1/devices/{device}", None),
    ],
    "cashiers": [
        ("html", "GET", "/cashiers/{cashier}", None),
        ("html", "POST", "/cashiers/{cashier}", _cashier_form),
        ("html", "POST", "/cashiers/{cashier}/archive", None),
        ("json", "GET", "/api/v1/cashiers/{cashier}", None),
        ("json", "PUT", "/api/v1/cashiers/{cashier}", _cashier_json),
        ("json", "DELETE", "/api/v1/cashiers/{cashier}", None),
    ],
    "team": [
        ("html", "POST", "/team/{user}/role", lambda w: {"role": "accountant"}),
        ("html", "POST", "/team/{user}/active", lambda w: {}),
        ("html", "POST", "/team/{user}/resend", None),
        ("json", "GET", "/api/v1/users/{user}", None),
        ("json", "PATCH", "/api/v1/users/{user}", lambda w: {"role": "accountant"}),
    ],
}


def _attempt(world: World, how: str, method: str, target: str, body):
    if how == "html":
        if method == "GET":
            return world.b.browser.get(target)
        return world.b.browser.submit(target, body(world) if body else {})
    send = getattr(world.b, method.lower())
    return send(target, body(world)) if body else send(target)


def _looks_not_found(how: str, response) -> bool:
    if response.status_code != 404:
        return False
    if how == "json":
        return response.json()["error"]["code"] == "not_found"
    return "Page not found" in response.text


@pytest.mark.parametrize("group", list(ATTEMPTS))
def test_other_account_gets_404_on_every_url_of_the_objects(world, page_code, group):
    # given account A's objects as A sees them
    before = world.snapshot(page_code)
    ids = {"point": world.point["id"], "device": world.device_id, "cashier": world.cashier["id"],
           "user": world.colleague["id"]}
    # when account B reads or changes each of them by its URL, as a page and through the API
    answers, leaks = {}, []
    for how, method, url, body in ATTEMPTS[group]:
        key = f"{method} {url}" + (" (restore)" if body and body(world) == {} else "")
        response = _attempt(world, how, method, url.format(**ids), body)
        answers[key] = response.status_code if _looks_not_found(how, response) else f"{response.status_code}!"
        leaks += [(key, name) for name in ("Точка Альфы", "Касса Альфы", "Кассир Альфы", "colleague@shop.ru")
                  if name in response.text]
    # then every answer is the plain 404 of a thing that does not exist, telling nothing of A
    assert answers == dict.fromkeys(answers, 404)
    assert leaks == []
    # and A's objects are as they were, its register still working
    assert world.snapshot(page_code) == before
    assert world.register.me().status_code == 200


def test_other_account_sees_none_of_the_objects_in_its_lists(world):
    # when B opens every list it has
    pages = {
        url: world.b.browser.get(url)
        for url in ("/points", "/points?archived=true", "/points/picker", "/cashiers", "/products", "/team")
    }
    apis = {
        url: world.b.get(url)
        for url in ("/api/v1/points", "/api/v1/points?archived=true", "/api/v1/cashiers", "/api/v1/users")
    }
    # and filtering by A's point is answered as for any point B cannot see
    assert world.b.get(f"/api/v1/cashiers?point_id={world.point['id']}").status_code == 404
    # then nothing of A shows up
    for url, response in {**pages, **apis}.items():
        assert response.status_code == 200, url
        for name in ("Точка Альфы", "Альфы", "colleague@shop.ru", "a@shop.ru", world.point["id"]):
            assert name not in response.text, (url, name)
    assert apis["/api/v1/points"].json() == []
    assert apis["/api/v1/cashiers"].json() == []
    assert [u["email"] for u in apis["/api/v1/users"].json()] == ["b@other.ru"]
    assert "No points yet" in pages["/points"].text


def test_other_account_cannot_bind_a_cashier_or_copy_a_catalog_of_the_objects(world):
    # when B points its own new objects at A's point
    cashier = world.b.post("/api/v1/cashiers", json=_cashier_json(world))
    point = world.b.post("/api/v1/points", json={**_point_json(world), "catalog": "shared",
                                                  "catalog_source_point_id": world.point["id"]})
    # then both are refused on the field as an unknown point, and B has nothing new
    assert cashier.status_code == 422 and "point_ids" in cashier.json()["error"]["fields"]
    assert point.status_code == 422 and "catalog_source_point_id" in point.json()["error"]["fields"]
    assert world.b.get("/api/v1/cashiers").json() == []
    assert world.b.get("/api/v1/points").json() == []


def test_unknown_ids_look_the_same_as_foreign_ones(world):
    # when B asks for ids that never existed, or are not ids at all
    answers = [
        world.b.get("/api/v1/points/01900000-0000-7000-8000-000000000000"),
        world.b.browser.get("/points/01900000-0000-7000-8000-000000000000"),
        world.b.browser.get("/points/not-an-id"),
        world.b.get("/api/v1/points/not-an-id"),
    ]
    # then the answers are the same 404 as for A's objects
    assert [r.status_code for r in answers] == [404, 404, 404, 404]
    assert answers[0].json() == world.b.get(f"/api/v1/points/{world.point['id']}").json()
