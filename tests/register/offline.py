"""An offline register for the tests: its catalog gets a changes stream as from the server — a point,
two cashiers (PIN 1234 with every right, 5678 with none), milk, weighed cheese, bread on a hot key —
and its clock is the test's."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from argon2 import PasswordHasher

from openkassa.protocol import changes
from openkassa.register.till import Till

HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
MILK = uuid.UUID("00000000-0000-7000-8000-000000000001")
CHEESE = uuid.UUID("00000000-0000-7000-8000-000000000002")
BREAD = uuid.UUID("00000000-0000-7000-8000-000000000003")
MILK_CODE, CHEESE_CODE, BREAD_CODE = "4600000000022", "2000000000015", "4600000000046"
SENIOR, JUNIOR = uuid.uuid4(), uuid.uuid4()


def point_line(**overrides) -> changes.PointLine:
    data = dict(id=uuid.uuid4(), catalog_id=uuid.uuid4(), name="Магазин у дома", address="г. Казань, ул. Ленина, 1",
                inn="7707083893", timezone="Europe/Moscow", tax_systems=[2], default_tax_system=2, rounding=0,
                receipt_header="", receipt_footer="Спасибо за покупку!", carry_over_cash=True,
                allow_deferred_receipts=False, allow_price_change=True, allow_return_without_receipt=False,
                allow_free_price_sale=True, pay_bonus_card=False, pay_gift_certificate=True, pay_advance=False,
                allow_partial_payment=False, allow_credit=False, revision=1)
    return changes.PointLine(**data | overrides)


def cashier_line(id, name, pin, **rights) -> changes.CashierLine:
    allowed = dict(can_return=True, can_discount=True, can_change_price=True, can_cash_drawer=True, can_close_shift=True)
    return changes.CashierLine(id=id, name=name, inn="", pin_hash=HASHER.hash(pin), active=True, revision=1, **allowed | rights)


def product_line(id, name, price, barcode, **overrides) -> changes.ProductLine:
    data = dict(id=id, group_id=None, name=name, short_name="", article="", code="", barcodes=[barcode], price=price,
                min_price=0, cost_price=0, vat=2, unit=0, kind=1, by_weight=False, free_price=False, archived=False,
                from_register=False, revision=1)
    return changes.ProductLine(**data | overrides)


def stream(*lines) -> list:
    return [changes.Begin(since=0, revision=1), *lines, changes.End(revision=1, lines=len(lines))]


class Clock:
    """Aware UTC time that moves a second at each reading; move it further with `now += …`."""

    def __init__(self):
        self.now = datetime(2026, 11, 27, 7, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def open_register(folder: Path, clock: Clock, **point) -> Till:
    """The register in `folder`, its catalog filled the first time (with the point's settings overridden)."""
    till = Till.open(folder, clock=clock)
    if till.catalog.point() is None:
        till.catalog.apply(stream(
            point_line(**point),
            changes.HotKeysLine(keys=[changes.HotKey(position=0, product_id=BREAD)]),
            cashier_line(SENIOR, "Иванова Анна", "1234"),
            cashier_line(JUNIOR, "Петров Пётр", "5678", can_return=False, can_discount=False, can_cash_drawer=False,
                         can_close_shift=False, can_change_price=False),
            product_line(MILK, "Молоко 3,2% 1 л", 8990, MILK_CODE),
            product_line(CHEESE, "Сыр российский", 89900, CHEESE_CODE, by_weight=True, unit=11),
            product_line(BREAD, "Хлеб бородинский", 5500, BREAD_CODE, short_name="Хлеб", article="ХБ-1"),
        ))
    till.ensure_drive()
    return till
