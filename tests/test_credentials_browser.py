"""«Integrations» in a real browser: the owner makes an API key with the catalog's read right, sees it
once with the warning and the copy button, a program reads the catalog with it, the list then says
when it was used, and the owner revokes it.

Runs Debian's chromium against the real app served by uvicorn (the `live_server` and `page` fixtures
of conftest.py).
"""

from __future__ import annotations

import re

import httpx
import pytest

from support import field

pytestmark = pytest.mark.slow


def test_an_owner_makes_a_key_a_program_uses_it_and_the_owner_revokes_it(page, live_server, point):
    from playwright.sync_api import expect

    base_url, _settings = live_server
    # given the owner signed in
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/login")
    field(page, "E-mail").fill("owner@shop.ru")
    field(page, "Password").fill("correct horse 1")
    page.get_by_role("button", name="Sign in").click()

    # when she opens «Integrations» and makes a key that may read the catalog
    page.get_by_role("link", name="Integrations", exact=True).click()
    expect(page.get_by_text("No keys yet.")).to_be_visible()
    field(page, "Name").fill("Интернет-магазин")
    page.get_by_label("Catalog: read").check()
    page.get_by_role("button", name="Make the key").click()

    # then the key is shown once, with the warning and a copy button
    expect(page.get_by_text("Copy it now: it is shown only once.")).to_be_visible()
    secret = page.locator("#new-key-secret").inner_text()
    assert re.fullmatch(r"ok_live_[A-Za-z0-9_-]{43}", secret)
    expect(page.get_by_role("button", name="Copy", exact=True)).to_be_visible()

    # when a program reads the catalog with it
    response = httpx.get(f"{base_url}/api/v1/catalogs/{point['catalog_id']}/products",
                         headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200, response.text

    # then the list no longer says the key was never used, and never shows the key again
    page.goto("/integrations")
    row = page.locator("#keys tbody tr").first
    expect(row).to_contain_text(secret[:12] + "…")
    expect(row).not_to_contain_text("Never")
    assert secret not in page.content()

    # when she revokes it (confirming the question)
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Revoke").click()

    # then the key is marked revoked and the program is refused
    expect(page.locator("#keys tbody tr").first).to_contain_text("Revoked")
    refused = httpx.get(f"{base_url}/api/v1/catalogs/{point['catalog_id']}/products",
                        headers={"Authorization": f"Bearer {secret}"})
    assert refused.status_code == 401
