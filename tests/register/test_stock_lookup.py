"""The register shows the stock of the product a cashier finds, as the server's books hold it."""

from __future__ import annotations

import threading
import uuid

import pytest
from sqlalchemy import select

from openkassa.accounts.models import User
from openkassa.accounts.service import actor_of
from openkassa.register.app import SEARCH_PAUSE, RegisterApp
from openkassa.register.client import ServerClient
from openkassa.register.sync import Link
from openkassa.stock import service as stock
from openkassa.stock.schemas import DocumentIn, LineIn
from register.test_app import shown, type_in
from register.test_link import bound, shop  # noqa: F401 - the fixtures

pytestmark = pytest.mark.anyio


class QuietLink(Link):
    """The register's real link to its server, without the background sync this story does not need."""

    def run(self, stop: threading.Event) -> None:
        stop.wait()


async def asked(pilot) -> None:
    """Wait for the search to show its results and the stock question (a thread) to be answered."""
    await pilot.pause(SEARCH_PAUSE + 0.1)
    for _ in range(100):
        await pilot.pause(0.05)
        if not [worker for worker in pilot.app.workers if worker.group == "stock" and not worker.is_finished]:
            break
    await pilot.pause()


def _receive(db, point: dict, product_id: uuid.UUID, quantity: int) -> None:
    """The owner switches the point's stock accounting on and receives goods."""
    with db.transaction(immediate=True) as session:
        actor = actor_of(session, user_id=session.scalars(select(User.id).where(User.email == "owner@shop.ru")).one())
        warehouse = stock.enable_stock(session, actor, point_id=uuid.UUID(point["id"]))
        document = stock.create_document(session, actor, DocumentIn(kind="receipt", warehouse_id=warehouse.id, lines=[
            LineIn(product_id=product_id, quantity=quantity, price=5000)]))
        stock.post_document(session, actor, document.id)


async def test_a_found_product_shows_its_stock(db, bound, shop, new_browser):
    # given a register whose point keeps stock, with 12.5 packs of milk on the books
    till = bound
    milk = till.catalog.by_barcode("4600000000022")
    _receive(db, shop, milk.id, 12500)
    till.sign_in("1234")
    link = QuietLink(till, ServerClient("http://testserver", till.journal.get("token"), http=new_browser()))
    async with RegisterApp(till, link).run_test(size=(100, 36)) as pilot:
        # when the cashier types a name and the results come up
        await type_in(pilot, "молоко")
        await asked(pilot)
        # then the message line tells the highlighted product's stock
        assert shown(pilot.app, "#message") == "Молоко 3,2%: остаток 12,5 шт."


async def test_without_stock_accounting_nothing_is_said(bound, new_browser):
    # given a register whose point keeps no stock
    till = bound
    till.sign_in("1234")
    link = QuietLink(till, ServerClient("http://testserver", till.journal.get("token"), http=new_browser()))
    async with RegisterApp(till, link).run_test(size=(100, 36)) as pilot:
        # when the cashier finds milk
        await type_in(pilot, "молоко")
        await asked(pilot)
        # then the message line says nothing of stock
        assert "остаток" not in shown(pilot.app, "#message")
