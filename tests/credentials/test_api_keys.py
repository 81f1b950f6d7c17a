"""Public REST API keys as an owner and an integrator meet them: a key made on the Integrations page
reads the catalog, is refused what its scopes do not include (naming the scope), stops when revoked,
shows when it was last used, is held to its requests a minute, and never reaches another account,
the team, the plan or the keys themselves."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from openkassa.credentials import service
from support import Api, create_owner, point_json, sign_in


def _catalog(point: dict) -> str:
    return f"/api/v1/catalogs/{point['catalog_id']}/products"


def test_a_key_reads_the_catalog_without_a_cookie_or_a_csrf_token(owner, api, point, key, program):
    # given a product in the owner's catalog and a key that may read the catalog
    api.post(_catalog(point), json={"name": "Хлеб", "price": "45.00"})
    shop = program(key("catalog:read"))
    # when a program asks for the products with the key alone
    response = shop.get(_catalog(point))
    # then it gets them
    assert response.status_code == 200, response.text
    assert [p["name"] for p in response.json()["items"]] == ["Хлеб"]
    # and it may read the points, whose ids every call needs
    assert [p["id"] for p in shop.get("/api/v1/points").json()] == [point["id"]]


def test_a_change_the_key_has_no_scope_for_is_refused_naming_the_scope(owner, point, key, program):
    # given a key that may only read the catalog
    shop = program(key("catalog:read"))
    # when the program tries to add a product
    response = shop.post(_catalog(point), json={"name": "Хлеб", "price": "45.00"})
    # then it is refused with the house error naming the scope it lacks, and nothing is added
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert "catalog:write" in response.json()["error"]["message"]
    assert shop.get(_catalog(point)).json()["items"] == []


def test_a_key_with_the_write_scope_adds_products(owner, point, key, program):
    # given a key that may change the catalog too
    shop = program(key("catalog:read", "catalog:write"))
    # when the program adds a product
    response = shop.post(_catalog(point), json={"name": "Молоко", "price": "89.90"})
    # then it is added
    assert response.status_code == 201, response.text
    assert [p["name"] for p in shop.get(_catalog(point)).json()["items"]] == ["Молоко"]


def test_each_domain_wants_its_own_scope(owner, point, key, program):
    # given a key for the catalog only
    shop = program(key("catalog:read"))
    # when the program asks for statistics, stock and reports
    refused = [shop.get("/api/v1/stats/summary"), shop.get("/api/v1/stock/warehouses"), shop.get("/api/v1/reports")]
    # then each is refused naming the scope it needs
    assert [r.status_code for r in refused] == [403, 403, 403]
    assert ["sales:read" in refused[0].text, "stock:read" in refused[1].text, "reports" in refused[2].text] == [True] * 3
    # while a key with those scopes reads them
    analyst = program(key("sales:read", "reports", name="Аналитика"))
    assert analyst.get("/api/v1/stats/summary").status_code == 200
    assert analyst.get("/api/v1/reports").status_code == 200


def test_a_revoked_key_is_refused_and_an_unknown_one_too(owner, point, key, program):
    # given a key that works
    secret = key("catalog:read")
    shop = program(secret)
    assert shop.get(_catalog(point)).status_code == 200
    # when the owner revokes it on the Integrations page
    page = owner.get("/integrations")
    key_id = page.text.split('/integrations/keys/')[1].split('/revoke')[0]
    assert owner.submit(f"/integrations/keys/{key_id}/revoke").status_code == 303
    # then the program is told it is not known any more
    response = shop.get(_catalog(point))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    # and the list shows the key as revoked
    assert "Revoked" in owner.get("/integrations").text
    # and a made-up key is refused the same way
    assert program("ok_live_" + "x" * 43).get(_catalog(point)).status_code == 401
    assert program("garbage").get(_catalog(point)).status_code == 401


def test_the_list_shows_a_key_by_its_prefix_with_its_rights_and_when_it_was_last_used(owner, point, key, program):
    # given a key made and not yet used
    secret = key("catalog:read", "stock:read", name="Склад 1С")
    page = owner.get("/integrations").text
    assert "Склад 1С" in page and secret[:12] + "…" in page and secret not in page
    assert "Catalog: read" in page and "Stock: read" in page
    assert "Never" in page
    # when a program uses it
    program(secret).get(_catalog(point))
    # then the list says when
    page = owner.get("/integrations").text
    assert "Never" not in page
    assert datetime.now(UTC).strftime("%Y") in page


def test_a_key_over_its_requests_a_minute_gets_429_with_retry_after(owner, point, key, program, settings, monkeypatch):
    # given a limit of 3 requests a minute, and the clock at 15 seconds past a minute
    monkeypatch.setattr(settings, "api_key_requests_per_minute", 3)
    monkeypatch.setattr(service, "utcnow", lambda: datetime(2026, 11, 28, 12, 0, 15, tzinfo=UTC))
    shop = program(key("catalog:read"))
    # when the program makes a fourth request within the minute
    answers = [shop.get(_catalog(point)) for _ in range(4)]
    # then the first three are answered and the fourth is refused until the minute ends
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[3].headers["Retry-After"] == "45"
    assert answers[3].json()["error"]["code"] == "too_many_requests"
    assert "3" in answers[3].json()["error"]["message"]
    # and another key of the same account is not held back
    assert program(key("catalog:read", name="Второй")).get(_catalog(point)).status_code == 200
    # and in the next minute the first key works again
    monkeypatch.setattr(service, "utcnow", lambda: datetime(2026, 11, 28, 12, 1, 0, tzinfo=UTC))
    assert shop.get(_catalog(point)).status_code == 200


def test_the_browser_still_calls_the_api_with_its_cookie_and_csrf_token(owner, api, point, key):
    # given keys exist in the account
    key("catalog:read")
    # when the owner's pages call the API with the cookie and the CSRF header
    created = api.post(_catalog(point), json={"name": "Сыр", "price": "300.00"})
    # then it works as before, and without the header a change is refused
    assert created.status_code == 201
    assert owner.post(_catalog(point), json={"name": "Сыр 2", "price": "1.00"}).status_code == 403


def test_a_key_cannot_manage_keys_users_or_the_plan(owner, point, key, program, app):
    # given a key with every scope
    everything = program(key("catalog:read", "catalog:write", "sales:read", "stock:read", "stock:write", "reports"))
    # when the program tries the team, the plan and the Integrations page
    users = everything.get("/api/v1/users")
    invite = everything.post("/api/v1/users", json={"email": "spy@shop.ru", "role": "owner"})
    me = everything.get("/api/v1/me")
    # then the JSON routes are refused for keys
    assert [users.status_code, invite.status_code, me.status_code] == [403, 403, 403]
    assert "API keys cannot do this" in users.json()["error"]["message"]
    # and the pages do not know it at all (a key is not a signed-in person)
    assert everything.request("POST", "/integrations/keys", data={"name": "x", "scopes[]": "reports"},
                              follow_redirects=False).status_code in (303, 403)
    assert everything.request("GET", "/integrations", follow_redirects=False).status_code == 303


def test_a_key_cannot_change_points_or_cashiers(owner, point, key, program):
    # given a key with every write scope
    shop = program(key("catalog:write", "stock:write"))
    # when the program tries to add a point
    response = shop.post("/api/v1/points", json=point_json(name="Чужая"))
    # then only people may
    assert response.status_code == 403


def test_another_accounts_key_sees_nothing_of_this_account(db, owner, point, program, new_browser, make_key):
    # given another shop's owner with a key of their own
    create_owner(db, email="other@shop.ru", plan="standard", company="ООО «Другой»")
    other = sign_in(new_browser(), "other@shop.ru")
    stranger = program(make_key(other, "Чужой", ("catalog:read", "catalog:write")))
    # when it asks for this account's catalog and points
    # then the catalog is not found and the points are its own (none)
    assert stranger.get(_catalog(point)).status_code == 404
    assert stranger.post(_catalog(point), json={"name": "x", "price": "1.00"}).status_code == 404
    assert stranger.get("/api/v1/points").json() == []


def test_a_starter_owner_is_told_the_plan_does_not_include_integrations(db, new_browser):
    # given an owner on the Starter plan
    create_owner(db, email="small@shop.ru", plan="start")
    small = sign_in(new_browser(), "small@shop.ru")
    # when she opens Integrations
    page = small.get("/integrations")
    # then she reads what integrations give and which plans have them, with a way to the plans
    assert page.status_code == 200
    assert "Your plan does not include integrations" in page.text
    assert "Catalog: read" in page.text and 'href="/plan"' in page.text
    # and making a key anyway is refused with the plan's message
    refused = small.submit("/integrations/keys", {"name": "x", "scopes[]": "catalog:read"})
    assert "does not include" in refused.text and "ok_live_" not in refused.text


def test_a_key_stops_when_the_account_moves_to_a_plan_without_keys(db, owner, point, key, program):
    # given a working key
    shop = program(key("catalog:read"))
    assert shop.get(_catalog(point)).status_code == 200
    # when the owner moves the account to the Starter plan
    assert owner.submit("/plan", {"plan": "start"}).status_code == 303
    # then the program is told the plan does not include API keys
    response = shop.get(_catalog(point))
    assert response.status_code == 402
    assert response.json()["error"]["code"] == "plan_limit"
    # and the owner still sees the key, to revoke it for good
    page = owner.get("/integrations").text
    assert "Left from your earlier plan" in page and "Интернет-магазин" in page
    key_id = page.split('/integrations/keys/')[1].split('/revoke')[0]
    assert owner.submit(f"/integrations/keys/{key_id}/revoke").status_code == 303
    assert "Left from your earlier plan" not in owner.get("/integrations").text
    assert shop.get(_catalog(point)).status_code == 401


def test_a_manager_may_not_make_keys(db, owner, new_browser, mailbox):
    # given a manager of the account
    Api(owner).post("/api/v1/users", json={"email": "manager@shop.ru", "role": "manager"})
    manager = new_browser()
    link = mailbox.last_link("manager@shop.ru")
    manager.submit(link, {"name": "Менеджер", "phone": "+79001112233", "password": "correct horse 2"})
    sign_in(manager, "manager@shop.ru", "correct horse 2")
    # when the manager tries to make a key
    response = manager.submit("/integrations/keys", {"name": "x", "scopes[]": "catalog:read"})
    # then the role does not allow it, and the sidebar offers no Integrations
    assert response.status_code == 403
    assert 'href="/integrations"' not in manager.get("/points").text


@pytest.mark.parametrize("form, field", [({"name": "", "scopes[]": "catalog:read"}, "name"),
                                         ({"name": "Без прав"}, "scopes")])
def test_a_key_needs_a_name_and_at_least_one_right(owner, form, field):
    # when the owner sends the form without a name or without any right
    page = owner.submit("/integrations/keys", form)
    # then the form comes back with the field's message and no key is made
    assert page.status_code == 422
    assert "ok_live_" not in page.text
    assert "Required." in page.text or "Choose at least one." in page.text


def test_the_api_docs_say_how_to_use_a_key(app, browser):
    # when an integrator opens the OpenAPI document
    schema = browser.get("/api/openapi.json").json()
    # then it explains the bearer key and names each operation's scope
    assert "Authorization: Bearer" in schema["info"]["description"]
    assert schema["components"]["securitySchemes"]["ApiKey"]["scheme"] == "bearer"
    operation = schema["paths"]["/api/v1/catalogs/{catalog_id}/products"]["post"]
    assert operation["x-api-key-scope"] == "catalog:write"
    assert "`catalog:write`" in operation["description"]
    assert schema["paths"]["/api/v1/users"]["get"]["x-api-key-scope"] is None
