"""The demo's history of sales: what an owner signing in to the demo account finds on the dashboard.

The demo is made once for the module (three weeks of sales in early March, 8 March included) and
read like the back office reads it; its own tests make their own small demo accounts beside it."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date, datetime, timedelta
from statistics import mean
from zoneinfo import ZoneInfo

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from openkassa import demo, passwords
from openkassa.accounts.models import User
from openkassa.accounts.service import actor_of
from openkassa.db import Base, Database
from openkassa.points.models import Cashier, Device, RetailPoint
from openkassa.sales import service as sales
from openkassa.sales.models import ReceiptLine, SalesDocument
from openkassa.stats.models import ALL_POINTS, HourFigures, ProductDay

MOSCOW = ZoneInfo("Europe/Moscow")
UNTIL = datetime(2026, 3, 22, 23, 30, tzinfo=MOSCOW)  # a Sunday night
DAYS = 21
PERIOD = [date(2026, 3, 2) + timedelta(days=n) for n in range(DAYS)]  # Monday 2 March … Sunday 22 March
SELLING = ("Магазин на Тверской", "Киоск у метро")


@pytest.fixture(scope="module")
def made(database: Database):
    """The demo account with three weeks of sales; the database is emptied after the module."""
    try:
        with pytest.MonkeyPatch.context() as patch:  # `quick_password_hashing`, for a fixture of the module
            patch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
            history = demo.create(database, email="demo@example.com", password="demo-password", days=DAYS, until=UNTIL)
        with database.transaction() as session:
            account_id = session.scalars(select(User.account_id).where(User.email == "demo@example.com")).one()
        yield history, account_id
    finally:
        with database.engine.begin() as conn:
            for table in reversed(Base.metadata.sorted_tables):
                conn.execute(table.delete())


@pytest.fixture
def account(made, database):
    """A session on the demo database and the demo account's id."""
    with database.transaction() as session:
        yield session, made[1]


def _points(session, account_id) -> dict[str, uuid.UUID]:
    return dict(session.execute(select(RetailPoint.name, RetailPoint.id).where(RetailPoint.account_id == account_id)).all())


def _receipts(session, account_id, *conditions) -> list[SalesDocument]:
    return list(session.scalars(select(SalesDocument).where(
        SalesDocument.account_id == account_id, SalesDocument.kind == "receipt", *conditions)))


def test_each_point_with_registers_sold_every_day_of_the_period(account):
    session, account_id = account
    # given the demo account made with three weeks of sales
    points = _points(session, account_id)
    # when the owner looks at each point's days
    days = defaultdict(set)
    for point_id, day in session.execute(select(SalesDocument.point_id, SalesDocument.local_day).where(
            SalesDocument.account_id == account_id, SalesDocument.kind == "receipt", SalesDocument.settlement == 1)):
        days[point_id].add(day)
    # then the shop and the kiosk sold on each of the 21 days, and Kazan, still without a register, never
    for name in SELLING:
        assert sorted(days[points[name]]) == PERIOD, name
    assert points["Магазин в Казани"] not in days


def test_nothing_of_the_demo_waits_in_quarantine(made, account):
    session, account_id = account
    history, _account_id = made
    # given every document the demo registers uploaded
    statuses = dict(session.execute(select(SalesDocument.status, func.count()).where(
        SalesDocument.account_id == account_id).group_by(SalesDocument.status)).all())
    # then the server accepted them all, and the documents page of each point shows no quarantine
    assert statuses == {"accepted": history.documents}
    assert history.statuses == {"accepted": history.documents} and not history.problems
    owner = session.scalars(select(User.id).where(User.email == "demo@example.com")).one()
    actor = actor_of(session, user_id=owner)
    for point_id in _points(session, account_id).values():
        assert sales.list_documents(session, actor, point_id=point_id, quarantined=True).quarantined == 0
    # and the registers have nothing left for the OFD
    assert all(device.unsent_documents == 0 and device.fn_serial
               for device in session.scalars(select(Device).where(Device.account_id == account_id)))


def test_a_few_sales_come_back_against_earlier_receipts_of_the_same_register(account):
    session, account_id = account
    # given the demo's sales and returns
    sold = {receipt.id: receipt for receipt in _receipts(session, account_id, SalesDocument.settlement == 1)}
    returns = _receipts(session, account_id, SalesDocument.settlement == 2)
    # then some come back, about 3 % of the sales
    assert 0.01 < len(returns) / len(sold) < 0.06
    for back in returns:
        # each against an earlier sale of the same register, giving back no more than it took
        original = sold[back.original_id]
        assert original.device_id == back.device_id and original.made_at < back.made_at
        assert back.total <= original.total
        for line in back.body["lines"]:
            origin = original.body["lines"][line["origin"]]
            assert line["product_id"] == origin["product_id"] and line["quantity"] <= origin["quantity"]
        # paid back as it was paid
        assert (back.electronic > 0) == (original.electronic > 0)


def test_cash_goes_in_and_out_of_the_drawer_and_the_count_at_closing_agrees(account):
    session, account_id = account
    # given every shift of the demo registers
    documents = list(session.scalars(select(SalesDocument).where(SalesDocument.account_id == account_id)))
    by_shift = defaultdict(list)
    for document in documents:
        if document.shift is not None:
            by_shift[(document.device_id, document.shift)].append(document)
    # then each shift opened with cash (put in the drawer) and closed with the cash counted
    drawer_moves = defaultdict(int)
    for key, shift in by_shift.items():
        kinds = [document.kind for document in shift]
        assert kinds.count("shift_open") == kinds.count("shift_close") == 1, key
        opening = next(document for document in shift if document.kind == "shift_open")
        closing = next(document for document in shift if document.kind == "shift_close")
        assert opening.total > 0 and opening.body["cash"] == opening.total
        expected = 0
        for document in shift:
            if document.kind == "cash_in":
                expected += document.total
            elif document.kind == "cash_out":
                expected -= document.total
            elif document.kind == "receipt":
                expected += document.cash if document.settlement == 1 else -document.cash
            if document.kind in ("cash_in", "cash_out") and document.body["reason"] != "Остаток на начало смены":
                drawer_moves[document.kind] += 1
        # what was counted is what the drawer should hold, give or take a few hundred roubles
        assert abs(closing.body["counted_cash"] - expected) <= 20_000, key
        assert closing.body["carried_over"] <= closing.body["counted_cash"]
    # and now and then cash was brought in or taken out during the day
    assert drawer_moves["cash_in"] >= 1 and drawer_moves["cash_out"] >= 1


def test_a_few_cashiers_take_turns_at_each_register(account):
    session, account_id = account
    # given the demo's cashiers and the registers' shifts
    names = dict(session.execute(select(Cashier.id, Cashier.name).where(Cashier.account_id == account_id)).all())
    openings = session.execute(select(SalesDocument.device_id, SalesDocument.local_day, SalesDocument.cashier_id).where(
        SalesDocument.account_id == account_id, SalesDocument.kind == "shift_open")).all()
    # then each register had two cashiers over the weeks, one a day, and nobody worked two registers at once
    cashiers = defaultdict(set)
    for device_id, _day, cashier_id in openings:
        cashiers[device_id].add(names[cashier_id])
    assert len(cashiers) == 3 and all(len(people) == 2 for people in cashiers.values())
    working = [(day, cashier_id) for _device, day, cashier_id in openings]
    assert len(working) == len(set(working))
    # and every receipt names the cashier who made it
    assert all(receipt.cashier_id in names for receipt in _receipts(session, account_id))


def test_weekends_and_the_eve_of_8_march_are_busier(account):
    session, account_id = account
    # given the receipts a day at each selling point, as the dashboard's rollups count them
    points = _points(session, account_id)
    for name in SELLING:
        sales_by_day = dict(session.execute(select(HourFigures.day, func.sum(HourFigures.sales)).where(
            HourFigures.account_id == account_id, HourFigures.point_id == points[name]).group_by(HourFigures.day)).all())
        # then weekends sell more than weekdays on average
        weekend = mean(count for day, count in sales_by_day.items() if day.weekday() >= 5)
        weekdays = mean(count for day, count in sales_by_day.items() if day.weekday() < 5)
        assert weekend > weekdays * 1.1, name
        # and Saturday 7 March, before the holiday, more than the other Saturdays
        other_saturdays = [count for day, count in sales_by_day.items() if day.weekday() == 5 and day != date(2026, 3, 7)]
        assert sales_by_day[date(2026, 3, 7)] > mean(other_saturdays), name


def test_the_dashboard_rollups_agree_with_the_receipts(account):
    session, account_id = account
    # given the receipts as uploaded, summed by point and local day
    expected = defaultdict(lambda: defaultdict(int))
    for receipt in _receipts(session, account_id):
        figures = expected[(receipt.point_id, receipt.local_day)]
        sign = 1 if receipt.settlement == 1 else -1
        figures["sales" if sign > 0 else "returns"] += 1
        figures["sales_sum" if sign > 0 else "returns_sum"] += receipt.total
        figures["revenue"] += sign * receipt.total
        figures["cashless"] += sign * receipt.electronic
        figures["discount"] += sign * receipt.discount
    # when the rollups behind the dashboard are read
    measures = ("sales", "sales_sum", "returns", "returns_sum", "revenue", "cashless", "discount", "cost")
    rollups = {(row.point_id, row.day): row._asdict() for row in session.execute(
        select(HourFigures.point_id, HourFigures.day, *(func.sum(getattr(HourFigures, name)).label(name) for name in measures))
        .where(HourFigures.account_id == account_id).group_by(HourFigures.point_id, HourFigures.day))}
    # then they say the same, day by day
    assert rollups.keys() == expected.keys()
    for key, figures in expected.items():
        assert {name: rollups[key][name] for name in figures} == dict(figures), key
    # and the products' figures add up to the same revenue, with a cost that leaves a gross profit
    products = session.execute(select(func.sum(ProductDay.revenue), func.sum(ProductDay.cost)).where(
        ProductDay.account_id == account_id, ProductDay.point_id == ALL_POINTS)).one()
    revenue = sum(figures["revenue"] for figures in expected.values())
    cost = sum(row["cost"] for row in rollups.values())
    assert products == (revenue, cost)
    assert 0.55 * revenue < cost < 0.8 * revenue
    # and some lines were weighed, and some discounted
    weighed = session.scalar(select(func.count()).select_from(ReceiptLine).where(
        ReceiptLine.account_id == account_id, ReceiptLine.quantity % 1000 != 0))
    assert weighed > 0 and sum(figures["discount"] for figures in expected.values()) > 0


def test_about_six_receipts_in_ten_are_paid_by_card(account):
    session, account_id = account
    # given the demo's sales
    sold = _receipts(session, account_id, SalesDocument.settlement == 1)
    # then about 60 % are paid by card, the rest in cash
    by_card = sum(1 for receipt in sold if receipt.electronic == receipt.total)
    assert sum(1 for receipt in sold if receipt.cash == receipt.total) == len(sold) - by_card
    assert 0.5 < by_card / len(sold) < 0.7


def test_the_day_in_progress_ends_now_with_its_shift_open(made, database):
    # given the demo made at 12:30 on a Wednesday, with one day of sales
    until = datetime(2026, 3, 4, 12, 30, tzinfo=MOSCOW)
    history = demo.create(database, email="noon@example.com", password="demo-password", days=1, until=until)
    with database.transaction() as session:
        account_id = session.scalars(select(User.account_id).where(User.email == "noon@example.com")).one()
        documents = list(session.scalars(select(SalesDocument).where(SalesDocument.account_id == account_id)))
        registers = dict(session.execute(select(Device.id, Device.name).where(Device.account_id == account_id)).all())
    # then the morning's sales are there and nothing after now
    receipts = [document for document in documents if document.kind == "receipt"]
    assert receipts and max(receipt.made_at for receipt in receipts) <= until
    assert {document.local_day for document in receipts} == {date(2026, 3, 4)}
    assert history.statuses == {"accepted": len(documents)}
    # and the shifts of the registers at work are open, none closed (the shop's second register opens
    # only on busy days, and a Wednesday is not one)
    opened = sorted(registers[document.device_id] for document in documents if document.kind == "shift_open")
    assert opened == ["Касса 1", "Касса 3"]
    assert "shift_close" not in {document.kind for document in documents}


def test_the_demo_is_the_same_every_time(made, database):
    # given two demo accounts made for the same two days
    until = datetime(2026, 3, 10, 23, 0, tzinfo=MOSCOW)
    first = demo.create(database, email="first@example.com", password="demo-password", days=2, until=until)
    second = demo.create(database, email="second@example.com", password="demo-password", days=2, until=until)
    # then they sold the same
    assert (first.receipts, first.returns, first.revenue, first.documents) == (
        second.receipts, second.returns, second.revenue, second.documents)
    with database.transaction() as session:
        totals = [sorted(session.scalars(select(SalesDocument.total).join(User, User.account_id == SalesDocument.account_id)
                                         .where(User.email == email, SalesDocument.kind == "receipt")))
                  for email in ("first@example.com", "second@example.com")]
    assert totals[0] == totals[1] and len(totals[0]) == first.receipts + first.returns
