"""A register reads the reports of its point through the device API, and no other point's."""

from __future__ import annotations

import io

import openpyxl

from openkassa.jobs.service import run_due


def ask(api, points, day):
    response = api.post("/api/v1/reports", json={"period": "custom", "start": day, "end": day, "points": points,
                                                 "email": None})
    assert response.status_code == 202, response.text
    return response.json()["id"]


def test_the_register_lists_and_downloads_its_points_report(shop, api, db, settings):
    # given a report of the till's point asked for in the back office, not built yet
    day = shop.day.isoformat()
    report_id = ask(api, [shop.point["id"]], day)
    listed = shop.till.call("GET", "/reports")
    assert listed.status_code == 200, listed.text
    [waiting] = listed.json()["reports"]
    assert (waiting["id"], waiting["status"], waiting["file_url"]) == (report_id, "queued", None)
    assert shop.till.call("GET", f"/reports/{report_id}/file").status_code == 404

    # when the worker has built it
    run_due(db, settings)

    # then the register sees it done and downloads the workbook
    [done] = shop.till.call("GET", "/reports").json()["reports"]
    assert (done["status"], done["progress"], done["start"], done["end"]) == ("done", 100, day, day)
    file = shop.till.call("GET", done["file_url"].removeprefix("/api/device/v1"))
    assert file.status_code == 200
    assert file.headers["content-type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(file.content))
    assert [row[9] for row in book["Sales and returns"].iter_rows(min_row=2, values_only=True)] == [
        "Молоко 3,2%", "Сыр «Российский»", "Молоко 3,2%", "Хлеб бородинский"]


def test_the_register_sees_no_report_of_other_points(shop, api, db, settings, new_till):
    day = shop.day.isoformat()
    # given a report of both points, and one of the Moscow point alone
    both = ask(api, [shop.point["id"], shop.other_point["id"]], day)
    moscow_only = ask(api, [shop.other_point["id"]], day)
    run_due(db, settings)
    # then the Vladivostok register lists neither, and cannot download them
    assert shop.till.call("GET", "/reports").json()["reports"] == []
    for report_id in (both, moscow_only):
        assert shop.till.call("GET", f"/reports/{report_id}/file").status_code == 404
    # while a Moscow register lists its own point's report alone
    moscow = new_till(shop.other_point["id"])
    assert [item["id"] for item in moscow.call("GET", "/reports").json()["reports"]] == [moscow_only]
    assert moscow.call("GET", f"/reports/{moscow_only}/file").status_code == 200


def test_the_reports_need_a_registers_token(shop):
    assert shop.till.register.client.get("/api/device/v1/reports").status_code == 401
    assert shop.till.call("GET", "/reports", token="not-a-token").status_code == 401
