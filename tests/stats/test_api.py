"""The statistics' JSON API (`/api/v1/stats/…`): the dashboard's figures for programs, money as decimal
strings, the receipts behind a figure, and the same clear answers to a wrong period or point."""

from __future__ import annotations

import base64
from datetime import timedelta

from stats.conftest import today
from support import point_json


def test_the_summary_gives_the_key_figures_as_exact_decimals(api, shop):
    # when a program asks for yesterday's key figures
    response = api.get("/api/v1/stats/summary", period="yesterday")

    # then they are what the till sold, money as strings with two places, shares with four
    assert response.status_code == 200, response.text
    body = response.json()
    yesterday = today() - timedelta(days=1)
    assert body["point_id"] is None
    assert body["period"] == {"start": yesterday.isoformat(), "end": yesterday.isoformat(), "days": 1}
    assert body["current"] == {
        "revenue": "629.90", "sales": 3, "sales_sum": "719.80", "returns": 1, "returns_sum": "89.90",
        "corrections": 0, "corrections_sum": "0.00", "cashless": "500.00", "discount": "5.00", "cost": "440.00",
        "average_check": "239.93", "profit": "189.90", "cashless_share": "0.7938", "margin": "0.3015",
    }
    # and the day before, to compare with
    assert body["previous_period"]["start"] == (yesterday - timedelta(days=1)).isoformat()
    previous = body["previous"]
    assert (previous["revenue"], previous["sales"], previous["margin"]) == ("45.00", 1, "0.3333")


def test_a_point_and_a_custom_range_narrow_the_figures(api, shop):
    before, yesterday = today() - timedelta(days=2), today() - timedelta(days=1)
    # when a program asks for the two days at the shop's point
    response = api.get("/api/v1/stats/trend", point=shop.point["id"], period="custom", start=before.isoformat(),
                       end=today().isoformat())

    # then each day comes, the quiet one (today) as zeros
    assert response.status_code == 200, response.text
    days = response.json()["days"]
    assert [(day["day"], day["revenue"], day["sales"], day["returns"]) for day in days] == [
        (before.isoformat(), "45.00", 1, 0), (yesterday.isoformat(), "629.90", 3, 1),
        (today().isoformat(), "0.00", 0, 0)]
    assert response.json()["point_id"] == shop.point["id"]


def test_hours_cashiers_and_products(api, shop):
    weekday = (today() - timedelta(days=1)).weekday()
    hours = api.get("/api/v1/stats/hours", period="yesterday").json()
    # then the hours of the day and of the weekday hold the sales
    assert [(hour["hour"], hour["sales"], hour["revenue"]) for hour in hours["hours"] if hour["sales"]] == [
        (12, 2, "589.90"), (18, 1, "40.00")]
    assert hours["weekdays"][weekday]["sales"][12] == 2 and hours["busiest"] == 2
    assert hours["weekdays"][weekday]["revenue"][18] == "40.00"

    cashiers = api.get("/api/v1/stats/cashiers", period="yesterday").json()["cashiers"]
    assert [(row["cashier_id"], row["name"], row["revenue"], row["sales"], row["returns"], row["discount"])
            for row in cashiers] == [(shop.cashier["id"], "Петрова Анна", "589.90", 2, 1, "0.00"),
                                     (None, "No cashier", "40.00", 1, 0, "5.00")]

    products = api.get("/api/v1/stats/products", period="yesterday").json()
    assert [(row["name"], row["quantity"], row["revenue"], row["profit"], row["margin"], row["abc_revenue"])
            for row in products["products"]] == [
        ("Сыр Российский", "1.000", "500.00", "150.00", "0.3000", "A"),
        ("Молоко 3,2%", "1.000", "89.90", "29.90", "0.3326", "A"),
        ("Хлеб бородинский", "1.000", "40.00", "10.00", "0.2500", "B")]
    assert products["abc"]["revenue"] == {"A": {"products": 2, "sum": "589.90"}, "B": {"products": 1, "sum": "40.00"},
                                          "C": {"products": 0, "sum": "0.00"}}


def test_idle_products(api, shop):
    # when a program asks for the products not sold for 30 days, then the caviar comes, never sold
    body = api.get("/api/v1/stats/idle", days="30").json()
    assert body["count"] == 1 and body["days"] == 30
    assert body["products"] == [{"product_id": shop.products["Икра красная"]["id"], "catalog_id": shop.point["catalog_id"],
                                 "name": "Икра красная", "code": "", "last_sold": None}]
    # and a number of days out of range is named
    response = api.get("/api/v1/stats/idle", days="0")
    assert response.status_code == 422 and "days" in response.json()["error"]["fields"]


def test_the_receipts_behind_a_figure(api, shop):
    # when a program asks for the receipts behind yesterday's returns, the no-cashier sales, the cheese
    returns = api.get("/api/v1/stats/receipts", period="yesterday", kind="return").json()
    no_cashier = api.get("/api/v1/stats/receipts", period="yesterday", cashier="none").json()
    cheese = api.get("/api/v1/stats/receipts", period="yesterday",
                     product=shop.products["Сыр Российский"]["id"]).json()

    # then each lists its receipts, with their sums and the address of the document's page
    assert [(row["id"], row["settlement"], row["total"], row["cashier"]) for row in returns["receipts"]] == [
        (str(shop.receipts["milk back"].id), 2, "89.90", "Петрова Анна")]
    assert [row["id"] for row in no_cashier["receipts"]] == [str(shop.receipts["bread"].id)]
    assert [(row["id"], row["total"], row["url"]) for row in cheese["receipts"]] == [
        (str(shop.receipts["cheese"].id), "500.00", f"/documents/{shop.receipts['cheese'].id}")]
    assert returns["next_cursor"] is None


def test_a_wrong_period_is_named_and_another_accounts_point_not_found(api, shop, stranger):
    # when the period is reversed, then the answer names the field, in the API's one error shape
    response = api.get("/api/v1/stats/summary", period="custom", start="2026-03-10", end="2026-03-01")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid"
    assert response.json()["error"]["fields"] == {"end": "The period ends before it starts."}
    # a preset we do not know, a missing day, a day not a date
    assert api.get("/api/v1/stats/summary", period="decade").json()["error"]["fields"] == {
        "period": "Choose one of the offered values."}
    assert api.get("/api/v1/stats/summary", period="custom", start="2026-01-01").json()["error"]["fields"] == {
        "end": "Enter the last day of the period."}
    assert api.get("/api/v1/stats/hours", period="custom", start="2026-13-01", end="2026-01-01").status_code == 422
    # and a point of another account, or no point at all, is not found
    theirs = stranger.post("/api/v1/points", json=point_json(name="Чужой")).json()["id"]
    for path in ("summary", "trend", "hours", "cashiers", "products", "idle", "receipts"):
        response = api.get(f"/api/v1/stats/{path}", point=theirs)
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found", path
    assert api.get("/api/v1/stats/summary", point="nonsense").status_code == 404


def test_the_api_wants_a_signed_in_user_and_takes_basic_credentials(api, shop, new_browser):
    # when nobody is signed in, then the API asks who it is
    anonymous = new_browser()
    response = anonymous.get("/api/v1/stats/summary")
    assert response.status_code == 401 and response.headers["www-authenticate"].startswith("Basic")
    # when a program sends the owner's e-mail and password, then it gets the figures
    token = base64.b64encode("owner@shop.ru:correct horse 1".encode()).decode()
    response = anonymous.get("/api/v1/stats/summary", params={"period": "yesterday"},
                             headers={"Authorization": f"Basic {token}"})
    assert response.status_code == 200 and response.json()["current"]["revenue"] == "629.90"


def test_the_api_is_documented(api):
    # when a program reads the OpenAPI description, then every statistics route is there with its query
    schema = api.get("/api/openapi.json").json()
    routes = {path for path in schema["paths"] if path.startswith("/api/v1/stats/")}
    assert routes == {f"/api/v1/stats/{name}" for name in ("summary", "trend", "hours", "cashiers", "products", "idle",
                                                           "receipts")}
    parameters = {parameter["name"] for parameter in schema["paths"]["/api/v1/stats/receipts"]["get"]["parameters"]}
    assert {"point", "period", "start", "end", "kind", "cashier", "product", "day", "hour", "weekday",
            "before"} <= parameters
    money = schema["components"]["schemas"]["StatsFigures"]["properties"]["revenue"]
    assert money["type"] == "string"
