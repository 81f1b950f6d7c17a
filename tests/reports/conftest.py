"""A shop for the reports' stories: a point in Vladivostok (UTC+10, so local dates differ from UTC ones)
with products, a cashier and a till that yesterday opened its shift, sold, took a milk back, made a
correction, took cash in and out, and closed the shift — real signed documents, uploaded as a
register does."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from openkassa.fiscal import documents as fiscal
from openkassa.fiscal.enums import CorrectionType, SettlementType, TaxSystem, VatRate
from openkassa.protocol import documents as protocol
from openkassa.register import sale
from sales.conftest import Till, new_till  # noqa: F401 - the fixture, used through `shop`

ZONE = ZoneInfo("Asia/Vladivostok")
HX = {"HX-Request": "true"}


def local_today() -> date:
    return datetime.now(ZONE).date()


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """A moment of the point's local day, in UTC as a register sends it."""
    return datetime.combine(day, time(hour, minute), ZONE).astimezone(UTC)


def clock(till: Till, moment: datetime) -> None:
    """From now on the till's documents are made at `moment`, a second apart."""
    seconds = itertools.count()
    till.now = lambda: moment + timedelta(seconds=next(seconds))


def line(product: dict, quantity: int = 1000, discount: int = 0) -> sale.CartLine:
    price = int(product["price"].replace(".", ""))
    return sale.CartLine(product_id=uuid.UUID(product["id"]), name=product["name"], price=price, quantity=quantity,
                         vat=VatRate.VAT_10, discount=discount)


def cash(till: Till, kind: str, amount: int, reason: str, cashier_id: uuid.UUID | None) -> protocol.CashOperation:
    return protocol.CashOperation(id=uuid.uuid4(), made_at=till.now(), shift=till.shift, kind=kind, amount=amount,
                                  reason=reason, cashier_id=cashier_id)


def correction(till: Till, lines: list[sale.CartLine], tenders: list[sale.Tender], *, reason: str,
               cashier_id: uuid.UUID | None, settlement: SettlementType = SettlementType.SALE) -> protocol.Correction:
    closed = sale.close(lines, tenders, tax_system=TaxSystem.USN_INCOME, settlement=settlement, cashier="Петрова А.")
    draft = fiscal.CorrectionReceipt(
        **{key: getattr(closed.draft, key) for key in ("settlement", "tax_system", "items", "total", "cash", "electronic",
                                                         "advance", "credit", "other", "cashier", "cashier_inn")},
        corrected_date=till.now().date(), correction_type=CorrectionType.OWN_INITIATIVE)
    signed = till.drive.correction(draft)
    return protocol.Correction(id=uuid.uuid4(), made_at=till.now(), cashier_id=cashier_id, shift=till.shift,
                               settlement=int(settlement), lines=list(closed.lines), payments=list(closed.payments),
                               total=closed.total, reason=reason, fiscal=signed.to_bytes())


@dataclass
class Shop:
    point: dict  # the Vladivostok point, as the API answered
    other_point: dict  # «Магазин на Ленина» in Moscow, which sold nothing
    products: dict[str, dict]
    cashier: dict
    till: Till
    day: date  # yesterday, in Vladivostok
    documents: dict[str, object]


@pytest.fixture
def shop(api, point, new_point, new_till) -> Shop:
    """«Аптека на Светланской» (Vladivostok) yesterday: the shift opened at 08:30 with 1 000 ₽ put in the
    drawer; Петрова sold two milks (cash) and a cheese (card) and took a milk back; a bread with a 5 ₽
    discount was sold with no cashier; a correction of 300 ₽ (a sale made without a receipt); 200 ₽
    taken out; the shift closed."""
    shop_point = new_point(name="Аптека на Светланской", timezone="Asia/Vladivostok")
    products = {}
    for name, price, cost in (("Молоко 3,2%", "89.90", "60.00"), ("Сыр «Российский»", "500.00", "350.00"),
                              ("Хлеб бородинский", "45.00", "30.00")):
        response = api.post(f"/api/v1/catalogs/{shop_point['catalog_id']}/products",
                            json={"name": name, "price": price, "cost_price": cost})
        assert response.status_code == 201, response.text
        products[name] = response.json()
    response = api.post("/api/v1/cashiers", json={"name": "Петрова Анна", "pin": "4321", "point_ids": [shop_point["id"]]})
    assert response.status_code == 201, response.text
    cashier = response.json()
    petrova = uuid.UUID(cashier["id"])
    till = new_till(shop_point["id"])
    day = local_today() - timedelta(days=1)
    milk, cheese, bread = products["Молоко 3,2%"], products["Сыр «Российский»"], products["Хлеб бородинский"]
    documents: dict[str, object] = {}
    clock(till, at(day, 8, 30))
    documents["open"] = till.open_shift(cash=100000)
    documents["cash in"] = cash(till, "in", 100000, "Остаток на начало смены", petrova)
    clock(till, at(day, 8, 40))
    documents["milk"] = till.sell(line(milk, 2000), tenders=[sale.Tender("cash", 17980)], cashier_id=petrova)
    clock(till, at(day, 9, 0))
    documents["cheese"] = till.sell(line(cheese), tenders=[sale.Tender("card", 50000)], cashier_id=petrova)
    clock(till, at(day, 10, 0))
    documents["milk back"] = till.sell(line(milk), tenders=[sale.Tender("cash", 8990)], cashier_id=petrova,
                                       settlement=SettlementType.SALE_RETURN)
    clock(till, at(day, 12, 0))
    documents["bread"] = till.sell(line(bread, discount=500), tenders=[sale.Tender("cash", 4000)])
    clock(till, at(day, 13, 0))
    documents["correction"] = correction(
        till, [sale.CartLine(product_id=None, name="Товар без чека", price=30000, vat=VatRate.VAT_10)],
        [sale.Tender("cash", 30000)], reason="Продажа 20.11 без чека", cashier_id=petrova)
    clock(till, at(day, 18, 0))
    documents["cash out"] = cash(till, "out", 20000, "Инкассация", petrova)
    clock(till, at(day, 20, 0))
    documents["close"] = till.close_shift(counted_cash=100000 + 17980 - 8990 + 4000 + 30000 - 20000)
    results = till.results(*documents.values())
    assert [result["status"] for result in results] == ["accepted"] * len(results), results
    return Shop(shop_point, point, products, cashier, till, day, documents)
