"""Fixtures of the register tests: the owner's back office (a point, its catalog and cashiers through the
JSON API), and the register's side: its client of the device API, in process, its local catalog, and
whole offline registers (`offline.py`)."""

from __future__ import annotations

import pytest

from openkassa.register.catalog import LocalCatalog
from openkassa.register.client import ServerClient
from register.offline import Clock, open_register
from support import Api

POINT = {"name": "Магазин на Ленина", "address": "г. Казань, ул. Ленина, д. 1", "inn": "7707083893",
         "timezone": "Europe/Moscow", "tax_systems": [2], "default_tax_system": 2}


@pytest.fixture
def api(owner) -> Api:
    """The owner's JSON API."""
    return Api(owner)


@pytest.fixture
def point(api) -> dict:
    """A point of the owner, with a catalog of its own; its JSON."""
    response = api.post("/api/v1/points", json=POINT)
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
def back_office(api, point):
    """Call the owner's JSON API under the point's catalog (`/api/v1/catalogs/{id}` + path), or at `/api/v1`
    when the path starts there; returns the answer's JSON."""
    def call(method: str, path: str, json=None):
        url = path if path.startswith("/api/") else f"/api/v1/catalogs/{point['catalog_id']}{path}"
        response = api.send(method.upper(), url, json)
        assert response.status_code in (200, 201, 204), response.text
        return response.json() if response.status_code != 204 else None

    return call


@pytest.fixture
def activation_code(api, point) -> str:
    """A fresh activation code of the point, as the back office shows it."""
    response = api.post(f"/api/v1/points/{point['id']}/activation-code")
    assert response.status_code == 201, response.text
    return response.json()["code"]


@pytest.fixture
def server(new_browser) -> ServerClient:
    """The register's client of the device API, calling the app in process; not yet activated."""
    return ServerClient("http://testserver", http=new_browser())


@pytest.fixture
def register(server, activation_code) -> ServerClient:
    """The register's client, activated at the point."""
    server.activate(activation_code, name="Касса 1", app_version="1.0.0", serial="SN-0001")
    return server


@pytest.fixture
def local_catalog(tmp_path) -> LocalCatalog:
    """The register's local catalog, empty."""
    with LocalCatalog.open(tmp_path / "catalog.db") as catalog:
        yield catalog


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def open_till(tmp_path, clock):
    """Open an offline register (`offline.open_register`): the first in `register/`, the next in
    `register-1/`, …; the point's settings overridable. Closed after the test."""
    opened = []

    def make(**point):
        till = open_register(tmp_path / ("register" + (f"-{len(opened)}" if opened else "")), clock, **point)
        opened.append(till)
        return till

    yield make
    for till in opened:
        till.close()
