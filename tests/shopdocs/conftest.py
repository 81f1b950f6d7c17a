"""A point marked for online-shop documents, a shop's plugin associated with it, and the
reference's sale (reference `modulkassa-fn-api.md` §10.2)."""

from __future__ import annotations

import base64

import pytest

from support import point_json

OWNER = ("owner@shop.ru", "correct horse 1")

# reference §10.2: a sale of two items paid by card and cash
SALE = {
    "id": "0d3c5f5e-7a7e-4c1e-9f59-3f2b8e1c2a10",
    "docNum": "ORDER-1042",
    "docType": "SALE",
    "checkoutDateTime": "2024-03-15T12:30:00+03:00",
    "email": "buyer@example.com",
    "printReceipt": False,
    "cashierName": "Иванова А.А.",
    "cashierPosition": "Кассир",
    "taxMode": "SIMPLIFIED",
    "responseURL": "https://shop.example/modulkassa/callback?order=1042&token=f1e2d3",
    "inventPositions": [
        {"inventCode": "TS-001", "barcode": "4601234567893", "name": "Футболка хлопковая, размер M", "price": 1500.00,
         "quantity": 2, "discSum": 300.00, "vatTag": 1105, "paymentObject": "commodity",
         "paymentMethod": "full_payment"},
        {"name": "Доставка курьером", "price": 350.00, "quantity": 1, "vatTag": 1105, "paymentObject": "service",
         "paymentMethod": "full_payment"},
    ],
    "moneyPositions": [{"paymentType": "CARD", "sum": 2050.00}, {"paymentType": "CASH", "sum": 1000.00}],
}


def basic(login: str, password: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{login}:{password}".encode()).decode()}


@pytest.fixture
def shop_point(api) -> dict:
    """The owner's point marked for online-shop documents."""
    response = api.post("/api/v1/points", json=point_json(name="Интернет-магазин «Пример»", online_shop=True))
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
def plugin(new_browser):
    """The shop's plugin: a client with no cookies (not even a language), reading English unless it asks."""
    client = new_browser()
    client.cookies.clear()
    client.headers["Accept-Language"] = "en"
    return client


@pytest.fixture
def shop(plugin, shop_point) -> dict:
    """The plugin's association credentials for the point, as Basic headers."""
    answer = plugin.post(f"/api/fn/v1/associate/{shop_point['id']}", headers=basic(*OWNER))
    assert answer.status_code == 200, answer.text
    return basic(answer.json()["userName"], answer.json()["password"])
