"""«Статистика» in a real browser: the key figures on screen are the JSON API's, Chart.js draws the
charts from the blocks HTMX loads, the heat map shows (as a tall table on a phone), a period is switched
and a wrong one named, a figure leads to its receipts, and a screenshot is saved; and the demo
account's dashboard, as a first run shows it, agrees with the API.

Runs Debian's chromium against the real app served by uvicorn (the `live_server` and `page` fixtures of
conftest.py); the shop's sales are uploaded by the sales tests' till (`stats/conftest.py`).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from openkassa.i18n import language
from openkassa.money import to_kopecks
from openkassa.stats.views import fmt
from openkassa.web.templating import money
from stats.conftest import new_till, shop, today  # noqa: F401 - fixtures
from support import field

pytestmark = pytest.mark.slow

KPIS = {"revenue": ("revenue", "money"), "sales": ("sales", "count"), "average_check": ("average_check", "money"),
        "returns": ("returns_sum", "money"), "cashless_share": ("cashless_share", "share"),
        "discount": ("discount", "money"), "profit": ("profit", "money"), "margin": ("margin", "share")}


def shown(kind: str, value) -> str:
    """How the English interface writes an API value."""
    with language("en"):
        if kind == "money":
            return money(to_kopecks(value))
        return fmt.number(value)


def test_the_dashboard_shows_the_apis_figures_and_draws_its_charts(page, shop, tmp_path):
    from playwright.sync_api import expect

    # given the owner signed in
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/login")
    field(page, "E-mail").fill("owner@shop.ru")
    field(page, "Password").fill("correct horse 1")
    page.get_by_role("button", name="Sign in").click()

    # when she opens «Statistics» and chooses yesterday
    page.get_by_role("link", name="Statistics", exact=True).click()
    expect(page.get_by_role("heading", name="Statistics")).to_be_visible()
    expect(page.locator("fieldset[data-custom-range]")).to_be_hidden()  # dates only for a custom range
    page.get_by_label("Period").select_option("yesterday")
    page.get_by_role("form", name="What to show").get_by_role("button", name="Show").click()
    page.wait_for_url("**/stats?*period=yesterday*")

    # then each key figure on screen is the JSON API's
    api = page.request.get("/api/v1/stats/summary?period=yesterday").json()
    for card, (key, kind) in KPIS.items():
        if kind == "share":  # the API gives four places, the screen one: rounding the API's again could differ
            on_screen = Decimal(page.locator(f"[data-kpi={card}] .value").inner_text().rstrip("%"))
            assert abs(on_screen - Decimal(api["current"][key]) * 100) <= Decimal("0.05")
            continue
        expect(page.locator(f"[data-kpi={card}] .value")).to_have_text(shown(kind, api["current"][key]))
    expect(page.locator("[data-kpi=returns] .note")).to_have_text(
        f"Return receipts: {api['current']['returns']}, before: {api['previous']['returns']}.")
    expect(page.locator("[data-kpi=revenue] .value")).to_have_text("₽629.90")

    # and Chart.js drew the daily trend and the hours from the blocks HTMX loaded
    for chart in ("trend-chart", "hours-chart"):
        page.wait_for_function("id => window.Chart && Chart.getChart(document.getElementById(id))", arg=chart)
    trend = page.request.get("/api/v1/stats/trend?period=yesterday").json()["days"]
    drawn = page.evaluate("() => Chart.getChart(document.getElementById('trend-chart')).data.datasets[0].data")
    assert drawn == [float(day["revenue"]) for day in trend]
    hours = page.evaluate("() => Chart.getChart(document.getElementById('hours-chart')).data.datasets[0].data")
    assert hours == [hour["sales"] for hour in page.request.get("/api/v1/stats/hours?period=yesterday").json()["hours"]]
    assert page.evaluate("() => document.getElementById('trend-chart').getBoundingClientRect().height") > 100

    # and the heat map shows yesterday's weekday at noon as the busiest hour
    weekday = (today() - timedelta(days=1)).strftime("%A")
    heatmap = page.locator(".heatmap-wide")
    expect(heatmap).to_be_visible()
    expect(heatmap.locator("td.heat.l5")).to_have_attribute("title", f"{weekday}, 12:00–13:00, sales: 2")
    expect(page.locator(".heatmap-tall")).to_be_hidden()
    # and the cashiers, the products, the idle products
    expect(page.locator("#cashiers-table")).to_contain_text("Петрова Анна")
    expect(page.locator("#best-table tbody tr")).to_have_count(3)
    expect(page.locator("#idle-table")).to_contain_text("Икра красная")
    page.screenshot(path=str(tmp_path / "stats.png"), full_page=True)
    assert (tmp_path / "stats.png").stat().st_size > 10_000

    # when she opens the full product table, then it loads with the classes
    page.get_by_text("All products sold (3), with their ABC classes").click()
    expect(page.locator("#products-table tbody tr")).to_have_count(3)

    # when she asks for products not sold for 1 day, then the block answers in place
    page.get_by_label("Not sold for, days").fill("1")
    page.get_by_label("Not sold for, days").press("Enter")
    expect(page.locator("#idle")).to_contain_text("Products not sold for 1 days: 4")

    # when she picks a custom range that ends before it starts
    page.get_by_label("Period").select_option("custom")
    expect(page.locator("fieldset[data-custom-range]")).to_be_visible()
    expect(page.get_by_text("A custom range is at most 366 days long, from 01.01.2000 to tomorrow.")).to_be_visible()
    before, yesterday = today() - timedelta(days=2), today() - timedelta(days=1)
    page.get_by_label("From", exact=True).fill(yesterday.isoformat())
    page.get_by_label("To", exact=True).fill(before.isoformat())
    page.get_by_role("form", name="What to show").get_by_role("button", name="Show").click()
    # then the bar says so under the field, and no figure is shown
    expect(page.locator("#e-end")).to_have_text("The period ends before it starts.")
    expect(page.locator("[data-kpi]")).to_have_count(0)

    # when she sets the range right, then the two days' figures show
    page.get_by_label("From", exact=True).fill(before.isoformat())
    page.get_by_label("To", exact=True).fill(yesterday.isoformat())
    page.get_by_role("form", name="What to show").get_by_role("button", name="Show").click()
    expect(page.locator("[data-kpi=revenue] .value")).to_have_text("₽674.90")
    expect(page.locator("[data-kpi=sales] .value")).to_have_text("4")
    page.wait_for_function("() => window.Chart && Chart.getChart(document.getElementById('trend-chart'))")
    assert page.evaluate("() => Chart.getChart(document.getElementById('trend-chart')).data.labels.length") == 2

    # when she follows «Details» of the returns card, then its receipt is listed and opens
    page.locator("[data-kpi=returns] a.more").click()
    expect(page.get_by_role("heading", name="Receipts behind the figure")).to_be_visible()
    rows = page.locator("#receipts-table tbody tr")
    expect(rows).to_have_count(1)
    rows.first.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Return — Магазин на Ленина")


def test_the_dashboard_reads_on_a_phone(page, shop, tmp_path):
    from playwright.sync_api import expect

    # given the owner signed in on a phone
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/login")
    field(page, "E-mail").fill("owner@shop.ru")
    field(page, "Password").fill("correct horse 1")
    page.get_by_role("button", name="Sign in").click()

    # when she opens yesterday's statistics
    page.goto("/stats?period=yesterday")
    page.wait_for_function("() => window.Chart && Chart.getChart(document.getElementById('hours-chart'))")

    # then the page does not scroll sideways, the charts fit and the heat map is the tall table
    wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(element => element.getBoundingClientRect().right > 392).slice(0, 5)
        .map(element => element.tagName + '.' + element.className)""")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390, wide
    width = page.evaluate("() => document.getElementById('trend-chart').getBoundingClientRect().width")
    assert 200 < width <= 390
    expect(page.locator(".heatmap-tall")).to_be_visible()
    expect(page.locator(".heatmap-wide")).to_be_hidden()
    page.screenshot(path=str(tmp_path / "stats-phone.png"), full_page=True)


def test_the_demo_accounts_dashboard_shows_the_apis_figures(page, db, tmp_path):
    """The first run's dashboard: the demo account with its sales (two months of them here, to stay
    quick), last month's key figures and products on screen as the JSON API gives them."""
    from playwright.sync_api import expect

    from openkassa import demo

    # given the demo account with sixty days of sales made at its registers
    demo.create(db, email="demo@example.com", password="demo-password", days=60)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/login")
    field(page, "E-mail").fill("demo@example.com")
    field(page, "Password").fill("demo-password")
    page.get_by_role("button", name="Sign in").click()

    # when the owner opens last month's statistics of all points
    page.goto("/stats?period=last_month")

    # then every key figure on screen is the API's, and the month had sales, returns and a profit
    api = page.request.get("/api/v1/stats/summary?period=last_month").json()["current"]
    assert api["sales"] > 300 and api["returns"] > 0 and Decimal(api["profit"]) > 0
    for card, (key, kind) in KPIS.items():
        if kind == "share":
            on_screen = Decimal(page.locator(f"[data-kpi={card}] .value").inner_text().rstrip("%"))
            assert abs(on_screen - Decimal(api[key]) * 100) <= Decimal("0.05")
        else:
            expect(page.locator(f"[data-kpi={card}] .value")).to_have_text(shown(kind, api[key]))
    # and the best seller on screen is the API's, with its revenue
    best = page.request.get("/api/v1/stats/products?period=last_month").json()["products"][0]
    first_row = page.locator("#best-table tbody tr").first
    expect(first_row).to_contain_text(best["name"])
    expect(first_row).to_contain_text(shown("money", best["revenue"]))
    page.wait_for_function("() => window.Chart && Chart.getChart(document.getElementById('trend-chart'))")
    page.screenshot(path=str(tmp_path / "demo-stats.png"), full_page=True)
    assert (tmp_path / "demo-stats.png").stat().st_size > 10_000
