"""A shop with sales for the statistics' stories: a point with products and a cashier, and a till (the
sales tests' `Till`) that sold yesterday and the day before, at times of the point's day.

Yesterday and the day before are always in the past and within every limit, whatever the hour the
tests run at (the figures are counted in local days of the point, Europe/Moscow).
"""

from __future__ import annotations

import itertools
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from openkassa.fiscal.enums import SettlementType, VatRate
from openkassa.register import sale
from sales.conftest import Till, new_till  # noqa: F401 - the fixture, used through `shop`

ZONE = ZoneInfo("Europe/Moscow")
HX = {"HX-Request": "true"}


def today() -> date:
    return datetime.now(ZONE).date()


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """A moment of the point's local day, in UTC as a register sends it."""
    return datetime.combine(day, time(hour, minute), ZONE).astimezone(UTC)


def clock(till: Till, moment: datetime) -> None:
    """From now on the till's documents are made at `moment`, a second apart."""
    seconds = itertools.count()
    till.now = lambda: moment + timedelta(seconds=next(seconds))


@dataclass
class Shop:
    point: dict
    products: dict[str, dict]  # by name, as the catalog API answered
    cashier: dict
    till: Till
    receipts: dict[str, object]  # what the till uploaded, by a name of the story

    @property
    def yesterday(self) -> date:
        return today() - timedelta(days=1)


def line(product: dict, quantity: int = 1000, discount: int = 0) -> sale.CartLine:
    price = int(product["price"].replace(".", ""))
    return sale.CartLine(product_id=uuid.UUID(product["id"]), name=product["name"], price=price, quantity=quantity,
                         vat=VatRate.VAT_10, discount=discount)


@pytest.fixture
def shop(api, point, new_till) -> Shop:
    """Магазин на Ленина: yesterday Петрова sold two milks and a cheese (by card), then took one milk back;
    a sale with no cashier (bread with a 5 ₽ discount) came at 18:40. The day before, one bread.
    Caviar is in the catalog and was never sold."""
    products = {}
    for name, price, cost in (("Молоко 3,2%", "89.90", "60.00"), ("Сыр Российский", "500.00", "350.00"),
                              ("Хлеб бородинский", "45.00", "30.00"), ("Икра красная", "990.00", "700.00")):
        response = api.post(f"/api/v1/catalogs/{point['catalog_id']}/products",
                            json={"name": name, "price": price, "cost_price": cost})
        assert response.status_code == 201, response.text
        products[name] = response.json()
    response = api.post("/api/v1/cashiers", json={"name": "Петрова Анна", "pin": "4321", "point_ids": [point["id"]]})
    assert response.status_code == 201, response.text
    cashier = response.json()
    cashier_id = uuid.UUID(cashier["id"])
    till = new_till()
    yesterday, before = today() - timedelta(days=1), today() - timedelta(days=2)
    milk, cheese, bread = products["Молоко 3,2%"], products["Сыр Российский"], products["Хлеб бородинский"]

    clock(till, at(before, 10))
    earlier = [till.open_shift(), till.sell(line(bread), tenders=[sale.Tender("cash", 4500)])]
    clock(till, at(yesterday, 12, 5))
    receipts = {
        "milk": till.sell(line(milk, 2000), tenders=[sale.Tender("cash", 17980)], cashier_id=cashier_id),
        "cheese": till.sell(line(cheese), tenders=[sale.Tender("card", 50000)], cashier_id=cashier_id),
        "milk back": till.sell(line(milk), tenders=[sale.Tender("cash", 8990)], cashier_id=cashier_id,
                               settlement=SettlementType.SALE_RETURN),
    }
    clock(till, at(yesterday, 18, 40))
    receipts["bread"] = till.sell(line(bread, discount=500), tenders=[sale.Tender("cash", 4000)])
    results = till.results(*earlier, *receipts.values())
    assert [result["status"] for result in results] == ["accepted"] * len(results), results
    return Shop(point, products, cashier, till, receipts)


def fragments(page_html: str) -> list[str]:
    """The addresses the dashboard loads its blocks from (`hx-get` with `hx-trigger="load"`)."""
    return [url.replace("&amp;", "&") for url in re.findall(r'hx-get="(/stats/[^"]+)" hx-trigger="load"', page_html)]


def dashboard(browser, **params) -> tuple[object, str]:
    """Open the dashboard as a browser does: the page, then every block it loads. Returns the page's
    response and all the HTML shown."""
    page = browser.get("/stats", params=params)
    shown = [page.text]
    for url in fragments(page.text):
        block = browser.get(url, headers=HX)
        assert block.status_code == 200, (url, block.text)
        shown.append(block.text)
    return page, "\n".join(shown)


def text(html: str) -> str:
    """The page's words as a person reads them: tags dropped, spaces (no-break ones too) squeezed."""
    words = re.sub(r"<[^>]+>", " ", html).replace("\xa0", " ").replace("&nbsp;", " ")
    return re.sub(r"\s+", " ", words.replace("&#39;", "'").replace("&amp;", "&").replace("&quot;", '"'))
