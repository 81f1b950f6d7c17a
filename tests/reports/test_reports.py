"""«Документы → Отчёты»: a report is asked for on its page, built by the worker while the page shows
its progress, and then downloaded — read here by openpyxl (and LibreOffice), not by the library that
wrote it."""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
from datetime import datetime, timedelta
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import select, update

from openkassa.jobs.models import OutboxJob
from openkassa.jobs.service import run_due
from openkassa.reports import service, sheets
from openkassa.sales import rows as sales_rows
from openkassa.reports.models import Report
from reports.conftest import HX, local_today
from support import sign_in

SHEETS = ["Сводка", "Продажи и возвраты", "Интернет-продажи", "Коррекции", "Операции с денежным ящиком"]
LINE_HEADER = ["Дата и время", "Точка", "Касса", "Смена", "Чек №", "ФД №", "Операция", "Кассир", "№ строки", "Товар",
               "Цена", "Количество", "Скидка", "Сумма", "НДС", "Себестоимость"]


def ask(owner, **fields):
    """Submit the report form as a person would (Russian interface); returns the response."""
    data = {"period": "custom", "scope": "all", "email": "owner@shop.ru", **fields}
    return owner.submit("/reports", data)


def the_report(db) -> Report:
    with db.transaction() as session:
        [report] = session.scalars(select(Report)).all()
        session.expunge(report)
        return report


def report_mails(db) -> list[dict]:
    """The mails of reports in the outbox (the owner's confirmation mail aside)."""
    with db.transaction() as session:
        return [job.payload for job in session.scalars(select(OutboxJob).where(OutboxJob.kind == "email"))
                if "report" in job.payload["subject"].lower() or "отчёт" in job.payload["subject"].lower()]


def download(client, report: Report) -> openpyxl.Workbook:
    response = client.get(f"/reports/{report.id}/file")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == service.MEDIA_TYPE
    assert "attachment" in response.headers["content-disposition"]
    return openpyxl.load_workbook(io.BytesIO(response.content))


def rows(sheet, first: int = 2) -> list[tuple]:
    return [row for row in sheet.iter_rows(min_row=first, values_only=True)]


@pytest.fixture
def russian_owner(owner, new_browser):
    """The owner again, in a browser whose interface speaks Russian."""
    return sign_in(new_browser("ru"), "owner@shop.ru")


def test_a_days_report_has_the_five_sheets_with_every_line_in_roubles_and_local_time(shop, russian_owner, db, settings):
    # given the shop's day (yesterday in Vladivostok)
    day = shop.day.isoformat()

    # when the owner asks for a report of that day for all points, and the worker runs
    response = ask(russian_owner, start=day, end=day)
    assert response.status_code == 303, response.text
    assert "формируется" in russian_owner.get("/reports").text
    assert run_due(db, settings) >= 1

    # then the report is done and its file has the five sheets, in order
    report = the_report(db)
    assert (report.status, report.error) == ("done", "")
    assert report.rows_done == report.rows_total == 4 + 1 + 2
    book = download(russian_owner, report)
    assert book.sheetnames == SHEETS

    # and «Продажи и возвраты» has a row per line, in the order sold, at Vladivostok's local time
    lines = book["Продажи и возвраты"]
    assert [cell.value for cell in lines[1]] == LINE_HEADER
    found = rows(lines)
    point, register = "Аптека на Светланской", "Касса 1"
    assert [(row[0], row[6], row[7], row[9], row[10], row[11], row[12], row[13], row[14], row[15]) for row in found] == [
        (datetime.combine(shop.day, datetime.min.time()).replace(hour=8, minute=40), "Продажа", "Петрова Анна",
         "Молоко 3,2%", 89.9, 2, 0, 179.8, "НДС 10%", 120),
        (datetime.combine(shop.day, datetime.min.time()).replace(hour=9, minute=0), "Продажа", "Петрова Анна",
         "Сыр «Российский»", 500, 1, 0, 500, "НДС 10%", 350),
        (datetime.combine(shop.day, datetime.min.time()).replace(hour=10, minute=0), "Возврат", "Петрова Анна",
         "Молоко 3,2%", 89.9, 1, 0, 89.9, "НДС 10%", 60),
        (datetime.combine(shop.day, datetime.min.time()).replace(hour=12, minute=0), "Продажа", "Без кассира",
         "Хлеб бородинский", 45, 1, 5, 40, "НДС 10%", 30),
    ]
    assert {(row[1], row[2], row[3], row[8]) for row in found} == {(point, register, 1, 1)}
    assert [row[4] for row in found] == [1, 2, 3, 4]  # receipt numbers (1042)
    # money in roubles with the rouble format, quantities with three places, moments as dates
    first = lines[2]
    assert first[0].number_format == "dd.mm.yyyy hh:mm:ss" and isinstance(first[0].value, datetime)
    assert first[10].number_format == '#,##0.00 "₽"' and first[13].number_format == '#,##0.00 "₽"'
    assert first[11].number_format == "#,##0.000"
    # and every sheet keeps its header in view and has a filter on it
    for name in SHEETS[1:]:
        assert book[name].freeze_panes == "A2", name
        assert book[name].auto_filter.ref and book[name].auto_filter.ref.startswith("A1:"), name
    assert lines.auto_filter.ref == "A1:P5"

    # and «Интернет-продажи» has its headers and nothing else yet
    online = book["Интернет-продажи"]
    assert online.max_row == 1 and online["A1"].value == "Дата и время" and online["D1"].value == "Интернет-магазин"

    # and «Коррекции» has the correction with its reason and payments
    [fixed] = rows(book["Коррекции"])
    assert fixed[0].replace(second=0) == datetime.combine(shop.day, datetime.min.time()).replace(hour=13)
    assert (fixed[1], fixed[3], fixed[7], fixed[8], fixed[9], fixed[10], fixed[11]) == (
        point, 1, "Приход", "Продажа 20.11 без чека", "Петрова Анна", 300, 300)
    assert fixed[4] == shop.till.drive.serial

    # and «Операции с денежным ящиком» has the cash put in and taken out
    assert [(row[0].hour, row[4], row[5], row[6], row[7]) for row in rows(book["Операции с денежным ящиком"])] == [
        (8, "Внесение", 1000, "Петрова Анна", "Остаток на начало смены"),
        (18, "Выплата", 200, "Петрова Анна", "Инкассация"),
    ]

    # and «Сводка» says what the report covers and counts the day per point, with the total
    summary = book["Сводка"]
    assert summary["A1"].value == "Отчёт по продажам"
    assert summary["B2"].value == "ООО «Тест»"
    assert summary["B3"].value == shop.day.strftime("%d.%m.%Y")
    assert summary["B4"].value == "Все точки"
    assert summary.freeze_panes == "A9"
    header = [cell.value for cell in summary[8]]
    assert header[:8] == ["Точка", "Продажи", "Сумма продаж", "Возвраты", "Сумма возвратов", "Коррекции",
                          "Сумма коррекций", "Выручка"]
    table = {row[0]: dict(zip(header, row)) for row in rows(summary, 9)}
    assert set(table) == {"Аптека на Светланской", "Магазин на Ленина", "Итого"}
    figures = table["Аптека на Светланской"]
    assert (figures["Продажи"], figures["Сумма продаж"], figures["Возвраты"], figures["Сумма возвратов"]) == (
        3, 719.8, 1, 89.9)
    assert (figures["Коррекции"], figures["Сумма коррекций"], figures["Выручка"]) == (1, 300, 929.9)
    assert (figures["Наличными"], figures["Безналичными"], figures["Скидки"]) == (429.9, 500, 5)
    assert (figures["Себестоимость"], figures["Валовая прибыль"], figures["Внесения"], figures["Выплаты"]) == (
        440, 489.9, 1000, 200)
    assert table["Магазин на Ленина"]["Выручка"] == 0
    assert table["Итого"]["Выручка"] == 929.9
    assert summary.auto_filter.ref == "A8:P10"  # the points, not the total


def test_the_summary_agrees_with_the_dashboard(shop, owner, db, settings, api):
    # given the shop's day, on the dashboard (the JSON API of the statistics)
    day = shop.day.isoformat()
    stats = api.get("/api/v1/stats/summary", point=shop.point["id"], period="custom", start=day, end=day)
    assert stats.status_code == 200, stats.text
    current = stats.json()["current"]

    # when a report of the point alone is built
    response = api.post("/api/v1/reports", json={"period": "custom", "start": day, "end": day,
                                                 "points": [shop.point["id"]]})
    assert response.status_code == 202, response.text
    run_due(db, settings)
    book = download(owner, the_report(db))

    # then its summary says the same revenue, sales, returns, discounts and cost
    summary = book.worksheets[0]
    header = [cell.value for cell in summary[8]]
    [figures, total] = [dict(zip(header, row)) for row in rows(summary, 9)]
    assert Decimal(str(figures["Revenue"])) == Decimal(current["revenue"])
    assert figures["Sales"] == current["sales"] and figures["Returns"] == current["returns"]
    assert Decimal(str(figures["Discounts given"])) == Decimal(current["discount"])
    assert Decimal(str(figures["Cost"])) == Decimal(current["cost"])
    assert total["Point"] == "Total"
    assert book.sheetnames == ["Summary", "Sales and returns", "Online sales", "Corrections", "Cash drawer operations"]


def test_a_report_of_some_points_leaves_the_others_out(shop, owner, api, db, settings, new_till):
    # given a sale at the Moscow point the same day
    from reports.conftest import at, clock, line

    milk = api.post(f"/api/v1/catalogs/{shop.other_point['catalog_id']}/products",
                    json={"name": "Кефир", "price": "70.00"}).json()
    moscow = new_till(shop.other_point["id"])
    clock(moscow, at(shop.day, 15))
    assert {r["status"] for r in moscow.results(moscow.open_shift(), moscow.sell(line(milk)))} == {"accepted"}
    day = shop.day.isoformat()

    # when a report of the Moscow point alone is built
    response = api.post("/api/v1/reports", json={"period": "custom", "start": day, "end": day,
                                                 "points": [shop.other_point["id"]], "email": None})
    assert response.status_code == 202, response.text
    assert response.json()["email"] is None
    run_due(db, settings)

    # then it has the Moscow sale only, at Moscow's time, and is mailed to nobody
    book = download(owner, the_report(db))
    [sold] = rows(book["Sales and returns"])
    assert (sold[1], sold[9], sold[13]) == ("Магазин на Ленина", "Кефир", 70)
    assert sold[0].hour == 8  # 15:00 in Vladivostok is 08:00 in Moscow
    assert rows(book["Corrections"]) == [] and rows(book["Cash drawer operations"]) == []
    assert [row[0] for row in rows(book["Summary"], 9)] == ["Магазин на Ленина", "Total"]
    assert report_mails(db) == []


@pytest.mark.slow
def test_libreoffice_reads_every_sheet(shop, owner, db, settings, tmp_path):
    # given a built report
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed (apt-get install libreoffice-calc)")
    day = shop.day.isoformat()
    assert ask(owner, start=day, end=day).status_code == 303
    run_due(db, settings)
    path = tmp_path / "report.xlsx"
    path.write_bytes(owner.get(f"/reports/{the_report(db).id}/file").content)

    # when LibreOffice turns each of its sheets into a CSV file
    subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp_path / 'lo'}", "--convert-to",
                    "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1",
                    "--outdir", str(tmp_path), str(path)], check=True, capture_output=True, timeout=120)

    # then it finds the five sheets, the lines, the correction and the cash operations
    found = {csv_path.stem.removeprefix("report-"): list(csv.reader(csv_path.open(encoding="utf-8")))
             for csv_path in tmp_path.glob("report-*.csv")}
    assert set(found) == {"Summary", "Sales and returns", "Online sales", "Corrections", "Cash drawer operations"}
    lines = found["Sales and returns"]
    assert lines[0][:3] == ["Date and time", "Point", "Register"]
    assert [(row[9], row[13]) for row in lines[1:]] == [("Молоко 3,2%", "179.8"), ("Сыр «Российский»", "500"),
                                                         ("Молоко 3,2%", "89.9"), ("Хлеб бородинский", "40")]
    assert len(found["Online sales"]) == 1
    assert found["Corrections"][1][8] == "Продажа 20.11 без чека"
    assert [row[4] for row in found["Cash drawer operations"][1:]] == ["Cash in", "Cash out"]
    assert any(row[:1] == ["Аптека на Светланской"] and "929.9" in row for row in found["Summary"])


def test_progress_is_visible_while_the_report_is_built(shop, owner, db, settings, monkeypatch):
    # given a report asked for, and a worker that records its progress after every row
    day = shop.day.isoformat()
    assert ask(owner, start=day, end=day).status_code == 303
    report = the_report(db)
    queued = owner.get(f"/reports/{report.id}", headers=HX)
    assert 'hx-trigger="every 1s"' in queued.text and "Queued" in queued.text
    monkeypatch.setattr(sheets, "PROGRESS_EVERY", 1)
    monkeypatch.setattr(service, "PROGRESS_SECONDS", 0)
    seen: list[str] = []
    write = service._Progress._write

    def write_and_look(self, **values):
        write(self, **values)
        seen.append(owner.get(f"/reports/{report.id}", headers=HX).text)  # what the polling page gets

    monkeypatch.setattr(service._Progress, "_write", write_and_look)

    # when the worker builds it
    run_due(db, settings)

    # then the page showed a progress bar moving through the rows, polling on, and then the download
    assert len(seen) >= 4
    assert all('hx-trigger="every 1s"' in page and "Being built" in page for page in seen)
    done = [int(re.search(r"Rows written: (\d+) of 7", page).group(1)) for page in seen if "Rows written" in page]
    assert done == sorted(done) and done[-1] >= 4
    assert re.search(r'<progress max="100" value="(\d+)"', seen[-1])
    final = owner.get(f"/reports/{report.id}", headers=HX).text
    assert "every 1s" not in final and f"/reports/{report.id}/file" in final and "Ready" in final


def test_the_report_page_lists_the_reports_with_their_state(shop, owner, db, settings):
    # given a page without reports
    page = owner.get("/reports")
    assert page.status_code == 200
    assert "No reports yet" in page.text
    assert 'value="owner@shop.ru"' in page.text  # the owner's address, to change or clear
    assert "at most 366 days" in page.text and "1,048,575 rows" in page.text  # the limits, said before asking
    # when a report is asked for and built
    day = shop.day.isoformat()
    response = ask(owner, start=day, end=day)
    assert response.headers["location"] == "/reports"
    flashed = owner.get("/reports").text
    assert "is being built" in flashed and "owner@shop.ru" in flashed
    run_due(db, settings)
    # then the list has it, ready, with its file
    page = owner.get("/reports").text
    report = the_report(db)
    assert f"/reports/{report.id}/file" in page and "Ready" in page and "All points" in page
    assert report.file_name == f"Sales report {shop.day.isoformat()}.xlsx"


def test_the_json_api_asks_follows_and_downloads(shop, api, db, settings):
    # when a program asks for last month's report... of the shop's day
    day = shop.day.isoformat()
    response = api.post("/api/v1/reports", json={"period": "custom", "start": day, "end": day})
    assert response.status_code == 202, response.text
    asked = response.json()
    assert asked["status"] == "queued" and asked["file_url"] is None and asked["email"] == "owner@shop.ru"
    assert response.headers["location"] == f"/api/v1/reports/{asked['id']}"
    assert sorted(asked["points"]) == sorted([shop.point["id"], shop.other_point["id"]]) and asked["all_points"]
    run_due(db, settings)

    # then it follows the report to done and downloads the file
    done = api.get(f"/api/v1/reports/{asked['id']}").json()
    assert (done["status"], done["progress"], done["rows_done"], done["rows_total"]) == ("done", 100, 7, 7)
    file = api.get(done["file_url"])
    assert file.status_code == 200
    assert openpyxl.load_workbook(io.BytesIO(file.content)).sheetnames[0] == "Summary"
    listed = api.get("/api/v1/reports").json()
    assert [item["id"] for item in listed["reports"]] == [asked["id"]] and listed["next"] is None


def test_a_report_too_large_for_a_sheet_fails_with_the_reason(shop, owner, db, settings, monkeypatch):
    # given a sheet that holds three rows (a million in life)
    monkeypatch.setattr(service, "MAX_LINES", 3)
    day = shop.day.isoformat()
    ask(owner, start=day, end=day)

    # when the worker builds the report
    run_due(db, settings)

    # then the report failed, saying why, with no file and no mail
    report = the_report(db)
    assert report.status == "failed"
    assert report.error == "The period has 4 receipt lines, more than a sheet holds (3): choose a shorter period or fewer points."
    assert owner.get(f"/reports/{report.id}/file").status_code == 404
    assert report.error in owner.get("/reports").text
    assert not list((settings.data_dir / "reports").glob(f"{report.id}*"))


def test_a_crash_while_building_fails_the_report_and_leaves_no_file(shop, owner, db, settings, monkeypatch, caplog):
    day = shop.day.isoformat()
    ask(owner, start=day, end=day)

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(sales_rows, "corrections", broken)
    run_due(db, settings)
    report = the_report(db)
    assert report.status == "failed" and "Something went wrong on our side" in report.error
    assert "disk full" in caplog.text
    assert not [path for path in (settings.data_dir / "reports").glob("*") if path.is_file() and str(report.id) in path.name]


def test_the_build_runs_once_even_when_its_job_runs_twice(shop, owner, db, settings):
    # given a report built and mailed
    day = shop.day.isoformat()
    ask(owner, start=day, end=day)
    run_due(db, settings)
    report = the_report(db)
    # when its job is delivered again (at least once)
    service.build(settings, {"report_id": str(report.id)})
    # then nothing changes and no second mail is queued
    again = the_report(db)
    assert (again.status, again.attempt, again.finished_at) == ("done", 1, report.finished_at)
    assert len(report_mails(db)) == 1


def test_a_build_alive_elsewhere_makes_the_job_wait_and_a_dead_one_is_taken_over(shop, owner, db, settings):
    day = shop.day.isoformat()
    ask(owner, start=day, end=day)
    report = the_report(db)
    # given a worker building the report that showed progress a moment ago
    with db.transaction() as session:
        session.execute(update(Report).values(status="building", attempt=1, heartbeat_at=datetime.now().astimezone()))
    # when another worker gets its job, then it waits for a later try
    with pytest.raises(service.BuildingElsewhere):
        service.build(settings, {"report_id": str(report.id)})
    # and when that worker has been silent for longer than STALE, the next try builds it again
    with db.transaction() as session:
        session.execute(update(Report).values(heartbeat_at=datetime.now().astimezone() - service.STALE - timedelta(seconds=1)))
    service.build(settings, {"report_id": str(report.id)})
    rebuilt = the_report(db)
    assert (rebuilt.status, rebuilt.attempt) == ("done", 2)


def test_old_reports_and_their_files_are_forgotten(shop, owner, db, settings):
    day = shop.day.isoformat()
    ask(owner, start=day, end=day)
    run_due(db, settings)
    report = the_report(db)
    path = service.file_path(settings, report.id)
    assert path.is_file()
    stray = settings.data_dir / "reports" / "tmp" / "tmp-left-by-a-crash"
    stray.write_bytes(b"x")
    # when the housekeeping runs a month later
    with db.transaction() as session:
        session.execute(update(Report).values(created_at=datetime.now().astimezone() - service.KEPT - timedelta(hours=1)))
    import os
    old = (datetime.now() - timedelta(days=2)).timestamp()
    os.utime(stray, (old, old))
    with db.transaction() as session:
        assert service.purge(session) == 1
    # then the report, its file and the stray file are gone
    with db.transaction() as session:
        assert session.scalars(select(Report)).all() == []
    assert not path.exists() and not stray.exists()


def test_a_report_never_built_is_failed_by_the_housekeeping(shop, owner, db, settings):
    day = shop.day.isoformat()
    ask(owner, start=day, end=day)
    with db.transaction() as session:
        session.execute(update(Report).values(created_at=datetime.now().astimezone() - timedelta(days=2)))
    with db.transaction() as session:
        service.purge(session)
    report = the_report(db)
    assert report.status == "failed" and report.error


def test_every_day_of_a_long_period_is_in_the_file_name_and_summary(shop, owner, db, settings):
    start, end = (shop.day - timedelta(days=30)).isoformat(), local_today().isoformat()
    ask(owner, start=start, end=end)
    run_due(db, settings)
    report = the_report(db)
    assert report.status == "done"
    book = download(owner, report)
    assert book["Summary"]["B3"].value == f"{start} – {end}"
    assert len(rows(book["Sales and returns"])) == 4
