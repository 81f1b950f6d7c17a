"""Asking for a report with bad input gets a clear answer at once, names the field, and writes nothing;
another account's point or report is not found; a role without reports is refused."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from openkassa.accounts.roles import PERMISSIONS, Permission, Role
from openkassa.jobs.models import OutboxJob
from openkassa.jobs.service import run_due
from openkassa.reports import service
from openkassa.reports.models import Report
from reports.conftest import local_today


def nothing_written(db) -> bool:
    with db.transaction() as session:
        return (session.scalar(select(func.count()).select_from(Report)) == 0
                and session.scalar(select(func.count()).select_from(OutboxJob).where(OutboxJob.kind == "report_build")) == 0)


def form(owner, **fields):
    return owner.submit("/reports", {"period": "custom", "scope": "all", "email": "owner@shop.ru", **fields})


def test_a_reversed_period_is_refused_naming_its_end(owner, point, api, db):
    today = local_today()
    # when the period ends before it starts, on the page
    page = form(owner, start=today.isoformat(), end=(today - timedelta(days=3)).isoformat())
    # then the form comes back with the message by the field, the dates kept, and nothing is queued
    assert page.status_code == 422
    assert "The period ends before it starts." in page.text
    assert f'value="{today.isoformat()}"' in page.text
    # and through the API the same, as JSON
    response = api.post("/api/v1/reports", json={"period": "custom", "start": today.isoformat(),
                                                 "end": (today - timedelta(days=3)).isoformat()})
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"end": "The period ends before it starts."}
    assert nothing_written(db)


def test_a_report_for_ten_years_is_refused_with_the_limit(owner, point, api, db):
    today = local_today()
    start = (today - timedelta(days=3650)).isoformat()
    page = form(owner, start=start, end=today.isoformat())
    assert page.status_code == 422
    assert "A period is at most 366 days long." in page.text
    assert "A report covers at most 366 days" in page.text  # the limit, stated with the form
    response = api.post("/api/v1/reports", json={"period": "custom", "start": start, "end": today.isoformat()})
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"end": "A period is at most 366 days long."}
    assert nothing_written(db)


@pytest.mark.parametrize("start, end, field, message", [
    ("1990-01-01", "1990-01-31", "start", "Enter a day between 01.01.2000 and tomorrow."),
    ("2026-13-45", "2026-11-01", "start", "Enter a valid date."),
    ("", "", "start", "Enter the first day of the period."),
    (None, "2999-01-01", "end", "Enter a day between 01.01.2000 and tomorrow."),
])
def test_absurd_dates_are_refused_naming_the_field(owner, point, db, start, end, field, message):
    page = form(owner, start=start if start is not None else local_today().isoformat(), end=end)
    assert page.status_code == 422
    assert message in page.text
    assert f'id="e-{field}"' in page.text
    assert nothing_written(db)


def test_absurd_input_to_the_api_is_refused(api, point, db):
    for body, field in (({"period": "forever"}, "period"), ({"period": "month", "email": "not an address"}, "email"),
                        ({"period": "month", "points": []}, "points"), ({"period": "month", "colour": "red"}, "colour"),
                        ({"period": "custom", "start": "yesterday"}, "start")):
        response = api.post("/api/v1/reports", json=body)
        assert response.status_code == 422, (body, response.text)
        assert field in response.json()["error"]["fields"], (body, response.json())
    assert nothing_written(db)


def test_another_accounts_point_is_not_found(owner, point, api, stranger, db):
    theirs = stranger.post("/api/v1/points", json={"name": "Чужая точка", "address": "г. Тверь", "inn": "7707083893",
                                                   "timezone": "Europe/Moscow", "tax_systems": [2],
                                                   "default_tax_system": 2}).json()
    # on the page
    page = owner.submit("/reports", {"period": "month", "scope": "chosen", "points[]": [point["id"], theirs["id"]],
                                     "email": ""})
    assert page.status_code == 404
    # through the API
    response = api.post("/api/v1/reports", json={"period": "month", "points": [theirs["id"]]})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    # a mangled id names no point either
    assert owner.submit("/reports", {"period": "month", "scope": "chosen", "points[]": "not-an-id"}).status_code == 404
    assert nothing_written(db)


def test_another_accounts_report_is_not_found(owner, point, api, stranger, db, settings):
    response = api.post("/api/v1/reports", json={"period": "month"})
    report_id = response.json()["id"]
    run_due(db, settings)
    assert api.get(f"/api/v1/reports/{report_id}").status_code == 200
    for url in (f"/api/v1/reports/{report_id}", f"/api/v1/reports/{report_id}/file"):
        assert stranger.get(url).status_code == 404
    assert stranger.browser.get(f"/reports/{report_id}/file").status_code == 404
    assert stranger.get("/api/v1/reports").json()["reports"] == []
    assert owner.get("/reports/not-a-report/file").status_code == 404


def test_choosing_no_point_is_refused(owner, point, db):
    page = owner.submit("/reports", {"period": "month", "scope": "chosen", "email": ""})
    assert page.status_code == 422
    assert "Choose at least one point." in page.text
    assert nothing_written(db)


def test_a_role_without_reports_is_refused(owner, point, api, db, monkeypatch):
    # given owners who may not build reports (no role lacks it today; a plan or role may tomorrow)
    monkeypatch.setitem(PERMISSIONS, Role.OWNER, frozenset(Permission) - {Permission.REPORTS})
    assert owner.get("/reports").status_code == 403
    assert form(owner, start=local_today().isoformat(), end=local_today().isoformat()).status_code == 403
    assert api.post("/api/v1/reports", json={"period": "month"}).status_code == 403
    assert api.get("/api/v1/reports").status_code == 403
    assert nothing_written(db)


def test_an_accountant_may_build_reports(owner, point, api, new_browser, db):
    # given an accountant invited to the account
    from support import LINK, sign_in
    assert api.post("/api/v1/users", json={"email": "buh@shop.ru", "role": "accountant"}).status_code == 201
    with db.transaction() as session:
        [invite] = [job.payload for job in session.scalars(select(OutboxJob)) if job.payload.get("to") == "buh@shop.ru"]
    accountant = new_browser()
    path = LINK.search(invite["text"]).group(1)
    assert accountant.submit(path, {"name": "Бухгалтер", "phone": "+7 900 765-43-21",
                                    "password": "long enough pw"}).status_code == 303
    sign_in(accountant, "buh@shop.ru", "long enough pw")
    # when she asks for a report
    page = accountant.get("/reports")
    assert page.status_code == 200
    assert 'value="owner@shop.ru"' in page.text  # the account owner's address by default
    assert accountant.submit("/reports", {"period": "month", "scope": "all", "email": "buh@shop.ru"}).status_code == 303


def test_a_fourth_report_waits_for_one_of_three(owner, point, api, db):
    for _ in range(service.MAX_WAITING):
        assert api.post("/api/v1/reports", json={"period": "month"}).status_code == 202
    response = api.post("/api/v1/reports", json={"period": "month"})
    assert response.status_code == 409
    assert response.json()["error"]["message"] == "3 reports are being built already: wait until one of them is ready."
    page = form(owner, start=date.today().isoformat(), end=date.today().isoformat())
    assert page.status_code == 409 and "wait until one of them is ready" in page.text


def test_the_account_without_points_is_told_to_add_one(owner, db):
    page = owner.submit("/reports", {"period": "month", "scope": "all", "email": ""})
    assert page.status_code == 422
    assert "The account has no points yet" in page.text
    assert nothing_written(db)
