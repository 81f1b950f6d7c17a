"""Fixtures of the catalog tests: a point of the signed-in owner (products come from the shared add_products fixture)."""

from __future__ import annotations

import pytest


@pytest.fixture
def new_point(owner):
    """Create a point of the owner through the JSON API; returns its JSON."""

    def make(name: str = "Магазин на Ленина") -> dict:
        response = owner.post(
            "/api/v1/points",
            json={"name": name, "address": "ул. Ленина, 1", "inn": "7707083893", "tax_systems": [2],
                  "default_tax_system": 2},
            headers={"X-CSRF-Token": owner.csrf()},
        )
        assert response.status_code == 201, response.text
        return response.json()

    return make


@pytest.fixture
def accountant(owner, new_browser, mailbox):
    """A colleague of the owner invited as an accountant and signed in."""
    invited = owner.post("/api/v1/users", json={"email": "buh@shop.ru", "role": "accountant"},
                         headers={"X-CSRF-Token": owner.csrf()})
    assert invited.status_code == 201, invited.text
    browser = new_browser()
    accepted = browser.submit(mailbox.last_link("buh@shop.ru"),
                              {"name": "Бухгалтер", "phone": "+79001112233", "password": "long enough pw"})
    assert accepted.status_code == 303, accepted.text
    return browser
