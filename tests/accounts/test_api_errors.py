"""The JSON API answers every refusal in one shape: {"error": {"code", "message", "fields"}}."""

from __future__ import annotations

import base64
import uuid

import pytest

from support import create_owner

PASSWORD = "correct horse 1"


def _shape(response) -> dict:
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["message"]
    return body["error"]


def test_401_without_credentials_asks_for_basic_auth(browser):
    # when a program calls the API without signing in
    response = browser.get("/api/v1/me")
    # then it is told to authenticate, with HTTP Basic offered
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Basic realm="OpenKassa"'
    assert _shape(response) == {"code": "unauthorized", "message": "Please sign in.", "fields": {}}


def test_401_for_a_wrong_password(db, browser):
    # given a registered owner
    create_owner(db, email="owner@shop.ru")
    # when a program sends a wrong password with HTTP Basic
    response = browser.get("/api/v1/me", auth=("owner@shop.ru", "wrong password"))
    # then the answer is the same shape, with the challenge
    assert response.status_code == 401
    assert "www-authenticate" in response.headers
    assert _shape(response)["message"] == "Wrong e-mail or password."


@pytest.mark.parametrize("header", ["Basic !!!not-base64!!!", "Basic " + base64.b64encode(b"no-colon").decode()])
def test_401_for_a_malformed_basic_header(browser, header):
    # when a program sends a broken Authorization header
    response = browser.get("/api/v1/me", headers={"Authorization": header})
    # then it gets the same 401 shape and challenge
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Basic realm="OpenKassa"'
    assert _shape(response)["code"] == "unauthorized"


def test_401_for_an_expired_session_cookie(browser):
    # when a script calls the API with a cookie that opens no session
    browser.cookies.set("ok_session", "stale-token")
    response = browser.get("/api/v1/points")
    # then it is told to sign in, in the same shape
    assert response.status_code == 401
    assert _shape(response)["code"] == "unauthorized"


def test_403_for_a_role_that_does_not_allow_it(join_team):
    # given an accountant
    accountant = join_team("anna@shop.ru", "accountant")
    # when they list the users
    response = accountant.get("/api/v1/users")
    # then they are refused in the same shape
    assert response.status_code == 403
    assert _shape(response) == {"code": "forbidden", "message": "Your role does not allow this.", "fields": {}}


def test_404_for_a_user_that_does_not_exist(owner):
    # when the owner asks for a user nobody has
    response = owner.get(f"/api/v1/users/{uuid.uuid4()}")
    # then it is not found, in the same shape
    assert response.status_code == 404
    assert _shape(response) == {"code": "not_found", "message": "Not found.", "fields": {}}


def test_404_for_an_address_that_does_not_exist(owner):
    # when a program calls an address the API does not have
    response = owner.get("/api/v1/no-such-thing")
    # then it is not found, in the same shape
    assert response.status_code == 404
    assert _shape(response)["code"] == "not_found"


def test_422_names_the_bad_fields(owner):
    # when the owner's script invites with a bad e-mail and an unknown role
    response = owner.post(
        "/api/v1/users", json={"email": "not-an-email", "role": "boss"}, headers={"X-CSRF-Token": owner.csrf()}
    )
    # then each bad field is named with its message
    assert response.status_code == 422
    error = _shape(response)
    assert error["code"] == "invalid"
    assert error["fields"] == {
        "email": "Enter a valid e-mail address.",
        "role": "Choose one of the offered values.",
    }


def test_422_for_a_body_that_is_not_json(owner):
    # when a script sends something that is not JSON
    response = owner.post(
        "/api/v1/users", content=b"{not json", headers={"X-CSRF-Token": owner.csrf(), "Content-Type": "application/json"}
    )
    # then it is told so in the same shape
    assert response.status_code == 422
    assert _shape(response)["code"] == "invalid"


def test_429_after_ten_wrong_passwords_tells_when_to_retry(db, browser):
    # given a program that sent ten wrong passwords for one address
    create_owner(db, email="owner@shop.ru")
    for attempt in range(10):
        assert browser.get("/api/v1/me", auth=("owner@shop.ru", f"guess {attempt}")).status_code == 401
    # when it sends the right one
    response = browser.get("/api/v1/me", auth=("owner@shop.ru", PASSWORD))
    # then it must wait, and is told for how long
    assert response.status_code == 429
    assert 0 < int(response.headers["retry-after"]) <= 15 * 60
    error = _shape(response)
    assert error["code"] == "too_many_requests"
    assert error["message"] == "Too many attempts. Try again in 15 min."


def test_404_for_a_malformed_id(owner):
    # when a program asks for a user by an id that is not one
    response = owner.get("/api/v1/users/not-an-id")
    # then it is simply not found, as for any id it cannot see
    assert response.status_code == 404
    assert _shape(response)["code"] == "not_found"


def test_405_says_which_methods_are_allowed(owner):
    # when a program deletes what cannot be deleted
    response = owner.delete("/api/v1/me", headers={"X-CSRF-Token": owner.csrf()})
    # then it is refused in the same shape, and told what it may do
    assert response.status_code == 405
    assert _shape(response)["fields"] == {}
    assert response.headers["allow"] == "GET"
