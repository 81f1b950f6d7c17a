"""Demo data: an account with three points, products, cashiers and registers, so the first screen is alive."""

from __future__ import annotations

import uuid

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from openkassa.accounts import service as accounts
from openkassa.accounts.models import Account, User
from openkassa.accounts.plans import Plan
from openkassa.accounts.schemas import SignUpIn
from openkassa.catalog import service as catalog
from openkassa.catalog.schemas import ProductIn
from openkassa.db import Database, utcnow
from openkassa.fiscal.enums import VatRate
from openkassa.points import service as points
from openkassa.points.schemas import ActivateIn, CashierIn, CatalogChoice, DeviceInfo, NewPointIn, TaxSystem

PRODUCTS = [
    ("Хлеб «Бородинский», 400 г", "4600000000015", 6490, VatRate.VAT_10),
    ("Молоко 3,2%, 1 л", "4600000000022", 8990, VatRate.VAT_10),
    ("Кефир 2,5%, 930 мл", "4600000000039", 9450, VatRate.VAT_10),
    ("Сыр «Российский», 1 кг", "4600000000046", 69900, VatRate.VAT_10),
    ("Кофе молотый, 250 г", "4600000000053", 42900, VatRate.VAT_22),
    ("Чай чёрный, 100 пакетиков", "4600000000060", 25900, VatRate.VAT_22),
    ("Шоколад молочный, 90 г", "4600000000077", 11990, VatRate.VAT_22),
    ("Вода питьевая, 1,5 л", "4600000000084", 5490, VatRate.VAT_22),
    ("Яблоки «Гала», 1 кг", "", 17990, VatRate.VAT_10),
    ("Пакет-майка", "4600000000091", 900, VatRate.VAT_22),
]


def database_is_empty(session: Session) -> bool:
    return not session.scalar(select(exists().where(Account.id.is_not(None))))


def account_exists(session: Session, *, email: str) -> bool:
    return session.scalar(select(exists().where(User.email == email.lower()))) or False


def create(db: Database, *, email: str, password: str) -> None:
    """Sign up a confirmed owner on the Extended plan, fill the account, bind three registers.

    Registers are bound as real ones are: each in its own transaction after the account exists.
    """
    with db.transaction() as session:
        owner_id, register_points = _fill_account(session, email=email, password=password)
    for number, point_id in enumerate(register_points, start=1):
        with db.transaction() as session:
            actor = accounts.actor_of(session, user_id=owner_id)
            code = points.new_activation_code(session, actor, point_id=point_id).code
        with db.transaction() as session:
            points.activate_device(
                session,
                data=ActivateIn(code=code, device=DeviceInfo(name=f"Касса {number}", app_version="0.1.0",
                                                             serial=f"DEMO-{number:04d}")),
                ip="demo",
            )


def _fill_account(session: Session, *, email: str, password: str) -> tuple[uuid.UUID, list[uuid.UUID]]:
    """The account, its points, products and cashiers; returns the owner and where registers go."""
    owner = accounts.sign_up(
        session,
        data=SignUpIn(company_name="ООО «Ромашка»", name="Анна Петрова", phone="+7 900 123-45-67",
                      email=email, password=password),
        ip="demo",
    )
    owner.email_confirmed_at = utcnow()
    session.get_one(Account, owner.account_id).plan = Plan.EXTENDED
    session.flush()
    actor = accounts.actor_of(session, user_id=owner.id)

    def point(name: str, address: str, tz: str, catalog_choice=CatalogChoice.NEW, source=None):
        return points.create_point(
            session, actor,
            data=NewPointIn(
                name=name, address=address, inn="7707083893", timezone=tz,
                tax_systems=[TaxSystem.USN_INCOME, TaxSystem.PATENT], default_tax_system=TaxSystem.USN_INCOME,
                rounding=10, receipt_footer="Спасибо за покупку!", catalog=catalog_choice,
                catalog_source_point_id=source, allow_deferred_receipts=True, carry_over_cash=True,
            ),
        )

    center = point("Магазин на Тверской", "Москва, ул. Тверская, д. 7", "Europe/Moscow")
    for name, barcode, price, vat in PRODUCTS:
        catalog.create_product(session, actor, center.catalog_id,
                               ProductIn(name=name, price=price, barcodes=[barcode] if barcode else [], vat=vat))
    session.flush()
    kiosk = point("Киоск у метро", "Москва, Комсомольская пл., д. 3", "Europe/Moscow",
                  CatalogChoice.SHARED, center.id)
    kazan = point("Магазин в Казани", "Казань, ул. Баумана, д. 15", "Europe/Moscow",
                  CatalogChoice.COPY, center.id)


    points.create_cashier(session, actor, data=CashierIn(
        name="Иванова Мария", pin="1111", point_ids=[center.id, kiosk.id],
        can_return=True, can_discount=True, can_cash_drawer=True))
    points.create_cashier(session, actor, data=CashierIn(name="Сидоров Пётр", pin="2222", point_ids=[kazan.id]))
    # Two registers in the central shop, one in the kiosk, none yet in Kazan (its code waits).
    return owner.id, [center.id, center.id, kiosk.id]
