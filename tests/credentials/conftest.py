"""An owner on the Standard plan who makes API keys on the «Integrations» page, and a program calling
the JSON API with one (a client with no cookies)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from support import Browser

KEY = re.compile(r"ok_live_[A-Za-z0-9_-]{43}")


def _make_key(owner: Browser, name: str = "Интернет-магазин", scopes: tuple[str, ...] = ("catalog:read",)) -> str:
    """Make a key on the Integrations page as the owner would; returns the key shown once."""
    page = owner.submit("/integrations/keys", {"name": name, "scopes[]": list(scopes)})
    assert page.status_code == 201, page.text
    return KEY.search(page.text).group(0)


class Program:
    """A program calling the JSON API with an API key: no cookies, no CSRF token."""

    def __init__(self, app, key: str):
        self.client = TestClient(app)
        self.key = key

    def request(self, method: str, url: str, **kwargs):
        headers = {"Authorization": f"Bearer {self.key}", "Accept-Language": "en", **kwargs.pop("headers", {})}
        return self.client.request(method, url, headers=headers, **kwargs)

    def get(self, url: str, **params):
        return self.request("GET", url, params=params or None)

    def post(self, url: str, json=None):
        return self.request("POST", url, json=json)


@pytest.fixture
def make_key():
    """Make a key on the Integrations page of any signed-in owner."""
    return _make_key


@pytest.fixture
def key(owner):
    """Make a key with the given scopes on the owner's Integrations page."""
    return lambda *scopes, name="Интернет-магазин": _make_key(owner, name, scopes or ("catalog:read",))


@pytest.fixture
def program(app):
    """A program using the given key (through another app, such as a second server process, if given)."""
    return lambda key, through=app: Program(through, key)
