"""Fixtures of the points domain: the JSON API as a signed-in user calls it, points ready to use,
and a register that talks to the device API."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import update

from openkassa.db import utcnow
from openkassa.points.models import ActivationCode
from support import Api, create_owner, sign_in



class Register:
    """A cash register app: activates with a code, then calls the device API with its token."""

    def __init__(self, client):
        self.client = client
        self.token: str | None = None

    def activate(self, code: str, *, name: str = "Касса 1", app_version: str = "1.4.2", serial: str = "SN-0001"):
        response = self.client.post(
            "/api/device/v1/activate",
            json={"code": code, "device": {"name": name, "app_version": app_version, "serial": serial}},
        )
        if response.status_code == 201:
            self.token = response.json()["token"]
        return response

    def me(self, token: str | None = None):
        return self.client.get("/api/device/v1/me", headers={"Authorization": f"Bearer {token or self.token}"})


def point_json(**overrides) -> dict:
    """A complete, valid point as the JSON API takes it."""
    data = {
        "name": "Магазин на Ленина",
        "address": "г. Казань, ул. Ленина, д. 1",
        "inn": "7707083893",
        "timezone": "Europe/Moscow",
        "tax_systems": [2],
        "default_tax_system": 2,
    }
    return {**data, **overrides}


@pytest.fixture(name="point_json")
def point_json_fixture():
    """Build a valid point's JSON with some fields overridden."""
    return point_json


@pytest.fixture
def api(owner) -> Api:
    """The owner's JSON API."""
    return Api(owner)


@pytest.fixture
def api_of():
    """Wrap any signed-in browser as a JSON API client."""
    return Api


@pytest.fixture
def new_point(api):
    """Create a point of the owner through the JSON API; returns its JSON."""

    def make(**overrides) -> dict:
        response = api.post("/api/v1/points", json=point_json(**overrides))
        assert response.status_code == 201, response.text
        return response.json()

    return make


@pytest.fixture
def point(new_point) -> dict:
    """A point of the owner with the defaults of `point_json`."""
    return new_point()


@pytest.fixture
def register(new_browser) -> Register:
    """A register not yet bound to any point (its own client, no cookies of the owner)."""
    return Register(new_browser())


@pytest.fixture
def new_register(new_browser):
    """A factory of further registers (each its own client)."""
    return lambda: Register(new_browser())


@pytest.fixture
def fresh_code(api):
    """Ask the back office for a new activation code of a point; returns the code."""

    def issue(point_id) -> str:
        response = api.post(f"/api/v1/points/{point_id}/activation-code")
        assert response.status_code == 201, response.text
        return response.json()["code"]

    return issue


@pytest.fixture
def bound_register(point, register, fresh_code) -> Register:
    """A register bound to `point`."""
    response = register.activate(fresh_code(point["id"]))
    assert response.status_code == 201, response.text
    return register


@pytest.fixture
def expire_codes(db):
    """Make every activation code of a point older than its 24 hours."""

    def expire(point_id) -> None:
        with db.transaction() as session:
            session.execute(
                update(ActivationCode)
                .where(ActivationCode.point_id == uuid.UUID(str(point_id)))
                .values(expires_at=utcnow() - timedelta(minutes=1))
            )

    return expire


CODE_ON_PAGE = re.compile(r'data-code="([A-Z0-9]+)"[^>]*>([A-Z0-9]{4}-[A-Z0-9]{4})<')


def code_on_page(html: str) -> str | None:
    """The activation code shown on a point's page (as stored), or None."""
    found = CODE_ON_PAGE.search(html)
    return found.group(1) if found else None


FIELD_BLOCK = re.compile(r'<(div|fieldset) class="field[^"]*has-error[^"]*">(.*?)</\1>', re.S)
ERROR_TEXT = re.compile(r'<p class="error"[^>]*>(.*?)</p>', re.S)


def field_error(html: str, name: str) -> str | None:
    """The error message a re-rendered form shows under the field `name`, or None."""
    for _tag, block in FIELD_BLOCK.findall(html):
        if f'name="{name}"' in block or f'name="{name}[]"' in block:
            found = ERROR_TEXT.search(block)
            return found.group(1).strip() if found else None
    return None


@pytest.fixture
def page_code():
    """Read the activation code off a page (None when none is shown)."""
    return code_on_page


@pytest.fixture
def error_on():
    """Read a field's message off a re-rendered form."""
    return field_error


@pytest.fixture
def stranger(db, new_browser) -> Api:
    """The signed-in owner of another account (stranger@other.ru), as a JSON API client."""
    create_owner(db, email="stranger@other.ru", plan="standard", company="ООО «Чужие»")
    return Api(sign_in(new_browser(), "stranger@other.ru"))
