"""«Статистика» in the back office: the figures a shop owner sees once a till has uploaded its sales,
what a wrong period or another account's point answers, the receipts behind a figure, the tables as
files, and the page in both languages."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta

import openpyxl
import pytest
from sqlalchemy import select

from openkassa.accounts.models import Account, User

from stats.conftest import HX, dashboard, fragments, text, today
from support import create_owner, point_json, sign_in


def kpi(html: str, key: str) -> str:
    """A KPI card's words: its label, value, change and the value before."""
    card = re.search(rf'<div class="card kpi stats-kpi" data-kpi="{key}">(.*?)</div>', html, re.S)
    assert card, f"no card {key}"
    return text(card.group(1)).strip()


def value(html: str, key: str) -> str:
    card = re.search(rf'data-kpi="{key}">.*?<strong class="value">([^<]*)</strong>', html, re.S)
    return card.group(1).replace("\xa0", " ")


def links(html: str, pattern: str) -> list[str]:
    return [url.replace("&amp;", "&") for url in re.findall(rf'href="({pattern}[^"]*)"', html)]


# --- the dashboard ------------------------------------------------------------------------------------


def test_yesterdays_figures_show_against_the_day_before(owner, shop):
    # given a till that sold yesterday: milk ×2 and cheese (by card) by Петрова, a milk returned,
    # bread with a 5 ₽ discount at 18:40; and one bread the day before

    # when the owner opens the statistics for yesterday
    page, shown = dashboard(owner, period="yesterday")

    # then the key figures add up what the till sold, each compared with the day before
    assert page.status_code == 200
    assert value(page.text, "revenue") == "₽629.90"  # 179.80 + 500 + 40 − 89.90
    assert "▲ 1,299.8%" in kpi(page.text, "revenue") and "Before: ₽45.00" in kpi(page.text, "revenue")
    assert value(page.text, "sales") == "3"
    assert value(page.text, "average_check") == "₽239.93"  # 719.80 / 3
    assert value(page.text, "returns") == "₽89.90" and "Return receipts: 1, before: 0." in kpi(page.text, "returns")
    assert value(page.text, "cashless_share") == "79.4%"  # 500 of 629.90 by card
    assert value(page.text, "discount") == "₽5.00"
    assert value(page.text, "profit") == "₽189.90"  # 629.90 − (2×60 + 350 + 30 − 60); margin 189.90 / 629.90 = 30.148 %
    assert value(page.text, "margin") == "30.1%" and "▼ 3.2 pp" in kpi(page.text, "margin")
    # and the blocks the page loads show the day, the hours, the cashiers and the products
    words = text(shown)
    day = today() - timedelta(days=1)
    assert f"{day:%m/%d/%Y} {day:%a} ₽629.90 3 ₽239.93 1 ₽89.90 ₽189.90" in words
    assert "12:00–13:00 2 66.7% ₽589.90" in words and "18:00–19:00 1 33.3% ₽40.00" in words
    assert "Петрова Анна ₽589.90 93.6% 2 ₽339.90 1 ₽89.90 ₽0.00" in words
    assert "No cashier ₽40.00 6.4% 1 ₽40.00 0 ₽0.00 ₽5.00" in words
    assert "1 Сыр Российский 1 ₽500.00 ₽150.00 30.0% A" in words
    assert "Products not sold for 30 days: 1" in words and "Икра красная — Never" in words


def test_the_heat_map_shades_the_busy_hours_of_the_weekday(owner, shop):
    # when the owner opens the weekday × hour block of yesterday
    page = owner.get("/stats")
    block = owner.get("/stats/heatmap?period=yesterday", headers=HX)

    # then yesterday's weekday at 12 o'clock is the busiest cell, 18 o'clock lighter, the rest empty
    weekday = (today() - timedelta(days=1)).strftime("%A")
    assert page.status_code == block.status_code == 200
    busiest = re.findall(r'<td class="heat l(\d)" title="([^"]+)">', block.text)
    shaded = {title: level for level, title in busiest if level != "0"}
    assert shaded == {f"{weekday}, 12:00–13:00, sales: 2": "5", f"{weekday}, 18:00–19:00, sales: 1": "3"}
    assert "Sales in the busiest hour: 2" in text(block.text)
    # and each shaded cell leads to its receipts
    hours = links(block.text, "/stats/receipts")
    assert any("hour=12" in url and f"weekday={(today() - timedelta(days=1)).weekday()}" in url for url in hours)


def test_an_account_without_sales_is_told_what_to_do(db, new_browser):
    # given a new owner with no point yet
    create_owner(db, email="new@shop.ru")
    browser = sign_in(new_browser(), "new@shop.ru")

    # when she opens the statistics
    page, shown = dashboard(browser)

    # then every figure is zero and the page says where figures come from
    assert page.status_code == 200
    assert value(page.text, "revenue") == "₽0.00" and value(page.text, "margin") == "—"
    assert "No sales in this period" in text(page.text)
    assert 'href="/points"' in page.text
    assert "Products not sold for 30 days: 0" in text(shown)


def test_an_accountant_on_the_starting_plan_sees_the_statistics(owner, shop, db, mailbox, new_browser):
    # given the account on the starting plan, and an accountant who joined its team
    with db.transaction() as session:
        account_id = session.scalars(select(User.account_id).where(User.email == "owner@shop.ru")).one()
        session.get_one(Account, account_id).plan = "start"
    assert owner.submit("/team/invite", {"email": "anna@shop.ru", "role": "accountant"}).status_code == 303
    accountant = new_browser()
    joined = accountant.submit(mailbox.last_link("anna@shop.ru"),
                               {"name": "Anna", "phone": "+7 900 765-43-21", "password": "correct horse 1"})
    assert joined.status_code == 303

    # when she opens yesterday's statistics and its receipts, then she sees them as the owner does
    page, shown = dashboard(accountant, period="yesterday")
    assert page.status_code == 200 and value(page.text, "revenue") == "₽629.90"
    assert "Петрова Анна" in text(shown)
    assert accountant.get("/stats/receipts", params={"period": "yesterday"}).status_code == 200


def test_the_sidebar_leads_to_the_statistics(owner):
    # when the owner opens any page, then the sidebar has «Statistics», marked on its own page
    assert 'href="/stats"' in owner.get("/points").text
    assert '<a href="/stats" class="active">Statistics</a>' in owner.get("/stats").text


# --- wrong input ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("params", "field", "message"), [
    ({"period": "custom", "start": "2026-03-10", "end": "2026-03-01"}, "end", "The period ends before it starts."),
    ({"period": "custom", "start": "2024-01-01", "end": "2025-06-30"}, "end", "A period is at most 366 days long."),
    ({"period": "custom", "start": "1999-12-31", "end": "2000-01-05"}, "start",
     "Enter a day between 01.01.2000 and tomorrow."),
    ({"period": "custom", "start": "2026-03-01"}, "end", "Enter the last day of the period."),
    ({"period": "custom", "start": "2026-02-30", "end": "2026-03-01"}, "start", "Enter a valid date."),
    ({"period": "decade"}, "period", "Choose one of the offered values."),
])
def test_a_wrong_period_is_named_next_to_its_field(owner, shop, params, field, message):
    # when the owner asks for a period the statistics cannot show
    page = owner.get("/stats", params=params)

    # then the dashboard answers with the filter bar, the message under the field, and no figures
    assert page.status_code == 422
    assert f'<p class="error" id="e-{field}">{message}</p>' in page.text
    assert f'id="f-{field}"' in page.text and 'aria-invalid="true"' in page.text
    assert "data-kpi" not in page.text and not fragments(page.text)
    # and the limits are stated in the bar
    assert "A custom range is at most 366 days long, from 01.01.2000 to tomorrow." in text(page.text)


def test_a_future_day_is_refused_but_tomorrow_is_not(owner, shop):
    tomorrow = today() + timedelta(days=1)
    later = tomorrow + timedelta(days=1)
    # when the owner asks up to tomorrow, then the dashboard shows it; a day after, it says why not
    assert owner.get("/stats", params={"period": "custom", "start": today(), "end": tomorrow}).status_code == 200
    page = owner.get("/stats", params={"period": "custom", "start": today(), "end": later})
    assert page.status_code == 422 and "Enter a day between 01.01.2000 and tomorrow." in page.text


def test_a_point_of_another_account_is_not_found(owner, shop, stranger):
    # given a point of another account
    theirs = stranger.post("/api/v1/points", json=point_json(name="Чужой магазин")).json()["id"]

    # when the owner asks for its statistics, a block, its file or its receipts, then nothing is found
    for url in ("/stats", "/stats/cashiers", "/stats/receipts"):
        page = owner.get(url, params={"point": theirs, "period": "yesterday"}, headers=HX)
        assert page.status_code == 404, url
    assert owner.get("/stats/cashiers", params={"point": theirs, "format": "xlsx"}).status_code == 404
    # and a mangled id is as unknown
    assert owner.get("/stats", params={"point": "not-an-id"}).status_code == 404
    # while her own point answers
    assert owner.get("/stats", params={"point": shop.point["id"], "period": "yesterday"}).status_code == 200


def test_a_block_opened_as_a_page_leads_to_the_dashboard(owner, shop):
    # when a block's address is opened without the page's script (a bookmark), then it goes to the dashboard
    response = owner.get("/stats/cashiers?period=yesterday")
    assert response.status_code == 303 and response.headers["location"] == "/stats?period=yesterday#cashiers"
    assert owner.get("/stats/nothing", headers=HX).status_code == 404


def test_idle_products_for_a_number_of_days_and_its_limits(owner, shop):
    # when the owner asks which products did not sell for 1 day (today: nothing sold yet)
    block = owner.get("/stats/idle", params={"days": 1}, headers=HX)
    # then all four are listed, the three sold yesterday with that day
    words = text(block.text)
    yesterday = (today() - timedelta(days=1)).strftime("%m/%d/%Y")
    assert "Products not sold for 1 days: 4" in words
    assert f"Молоко 3,2% — {yesterday}" in words and "Икра красная — Never" in words
    # and for 3 days only the caviar
    assert "Products not sold for 3 days: 1" in text(owner.get("/stats/idle", params={"days": 3}, headers=HX).text)
    # when she types 0 or 5000 days, then the field says the limits and the block stays
    for days in ("0", "5000", "abc"):
        block = owner.get("/stats/idle", params={"days": days}, headers=HX)
        assert block.status_code == 200
        assert '<p class="error" id="e-days">Enter a number of days from 1 to 3650.</p>' in block.text


# --- the receipts behind a figure ------------------------------------------------------------------------


def test_a_cashiers_row_leads_to_her_receipts(owner, shop):
    # given the cashiers block of yesterday
    block = owner.get("/stats/cashiers", params={"period": "yesterday"}, headers=HX)
    petrova = next(url for url in links(block.text, "/stats/receipts")
                   if shop.cashier["id"] in url and "kind" not in url)

    # when the owner follows Петрова's row
    page = owner.get(petrova)

    # then the receipts behind her figure are listed, newest first, each linking to its document
    assert page.status_code == 200
    words = text(page.text)
    assert "Cashier Петрова Анна" in words
    documents = re.findall(r'href="/documents/([0-9a-f-]+)"', page.text)
    expected = [shop.receipts[name].id for name in ("milk back", "cheese", "milk")]
    assert documents == [str(receipt_id) for receipt_id in expected]
    assert "Return" in words and "−₽89.90" in words and "₽500.00" in words
    # and the document opens
    assert owner.get(f"/documents/{documents[0]}").status_code == 200


def test_the_returns_card_and_a_products_row_narrow_the_receipts(owner, shop):
    page = owner.get("/stats", params={"period": "yesterday"})
    # when the owner follows «Details» of the returns card
    returns = next(url for url in links(page.text, "/stats/receipts") if "kind=return" in url)
    listed = owner.get(returns)
    # then only the return is listed
    assert re.findall(r'href="/documents/([0-9a-f-]+)"', listed.text) == [str(shop.receipts["milk back"].id)]
    assert "Receipts Returns" in text(listed.text)
    # when she follows the bread's row of the products block
    block = owner.get("/stats/products", params={"period": "yesterday"}, headers=HX)
    bread = next(url for url in links(block.text, "/stats/receipts")
                 if shop.products["Хлеб бородинский"]["id"] in url)
    listed = owner.get(bread)
    # then yesterday's bread receipt is listed, with the product named
    assert re.findall(r'href="/documents/([0-9a-f-]+)"', listed.text) == [str(shop.receipts["bread"].id)]
    assert "Product Хлеб бородинский" in text(listed.text) and "No cashier" in text(listed.text)


def test_receipts_come_a_page_at_a_time(owner, shop):
    # given 55 more sales yesterday evening
    from stats.conftest import at, clock, line

    clock(shop.till, at(today() - timedelta(days=1), 20))
    more = [shop.till.sell(line(shop.products["Хлеб бородинский"]), tenders=[]) for _ in range(55)]
    assert {result["status"] for result in shop.till.results(*more)} == {"accepted"}

    # when the owner lists yesterday's sales
    first = owner.get("/stats/receipts", params={"period": "yesterday", "kind": "sale"})
    # then 50 come first, with a link to the older ones, where the other 8 are
    assert len(re.findall(r'href="/documents/', first.text)) == 50
    older = links(first.text, "/stats/receipts")
    older = [url for url in older if "before=" in url]
    assert len(older) == 1
    second = owner.get(older[0])
    assert len(re.findall(r'href="/documents/', second.text)) == 8
    assert "before=" not in second.text


def test_a_drill_down_outside_the_period_says_so(owner, shop):
    # when the receipts of a day outside the period are asked (an edited address)
    page = owner.get("/stats/receipts", params={"period": "yesterday", "day": today().isoformat()})
    # then the page says so, with the way back
    assert page.status_code == 422
    assert "The day is outside the period." in page.text and 'href="/stats?period=yesterday"' in page.text
    broken = owner.get("/stats/receipts", params={"period": "yesterday", "before": "garbage"})
    assert broken.status_code == 422 and "This page link is broken; open the list again." in broken.text


# --- files ----------------------------------------------------------------------------------------------


def test_the_cashiers_table_downloads_as_xlsx_that_another_program_reads(owner, shop):
    # when the owner downloads the cashiers table of yesterday
    response = owner.get("/stats/cashiers", params={"period": "yesterday", "format": "xlsx"})

    # then it is a workbook whose rows are the table's, money as numbers in roubles
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    day = (today() - timedelta(days=1)).isoformat()
    assert f'filename="stats-cashiers-{day}.xlsx"' in response.headers["content-disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == ["Cashier", "Revenue", "Sales", "Average check", "Returns", "Returns sum", "Discounts given",
                       "Gross profit"]
    assert rows[1] == ["Петрова Анна", 589.9, 2, 339.9, 1, 89.9, 0, 179.9]
    assert rows[2] == ["No cashier", 40, 1, 40, 0, 0, 5, 10]
    # and money is shown in roubles, the header kept in view, with a filter
    assert "₽" in sheet["B2"].number_format
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:H3"


def test_the_daily_table_holds_dates_and_the_products_their_classes(owner, shop):
    # when the owner downloads the table of the last two days and the products of yesterday
    before, yesterday = today() - timedelta(days=2), today() - timedelta(days=1)
    days = owner.get("/stats/trend", params={"period": "custom", "start": before, "end": yesterday, "format": "xlsx"})
    products = owner.get("/stats/products", params={"period": "yesterday", "format": "xlsx"})

    # then the days are dates, one row each
    rows = list(openpyxl.load_workbook(io.BytesIO(days.content)).active.iter_rows(values_only=True))
    midnight = datetime.min.time()
    assert [(row[0], row[2], row[3]) for row in rows[1:]] == [
        (datetime.combine(before, midnight), 45, 1), (datetime.combine(yesterday, midnight), 629.9, 3)]
    # and each product has its quantity, sums and ABC classes
    rows = list(openpyxl.load_workbook(io.BytesIO(products.content)).active.iter_rows(values_only=True))
    assert rows[0] == ("Product", "Quantity", "Revenue", "Cost", "Gross profit", "Margin", "ABC by revenue",
                       "ABC by profit")
    assert rows[1] == ("Сыр Российский", 1, 500, 350, 150, 0.3, "A", "A")
    assert rows[2][:3] == ("Молоко 3,2%", 1, 89.9)


def test_tables_download_as_csv_for_russian_excel(owner, shop):
    # given the owner's interface in Russian
    owner.cookies.set("ok_lang", "ru")
    # when she downloads the cashiers and the weekday × hour tables as .csv
    response = owner.get("/stats/cashiers", params={"period": "yesterday", "format": "csv"})
    heatmap = owner.get("/stats/heatmap", params={"period": "yesterday", "format": "csv"})

    # then each is UTF-8 with a BOM, «;» between cells, roubles with a decimal comma, Russian headers
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Кассир", "Выручка", "Продажи"]
    assert rows[1] == ["Петрова Анна", "589,90", "2", "339,90", "1", "89,90", "0,00", "179,90"]
    rows = list(csv.reader(io.StringIO(heatmap.content.decode("utf-8-sig")), delimiter=";"))
    weekday = (today() - timedelta(days=1)).weekday()
    assert len(rows) == 8 and rows[1 + weekday][1 + 12] == "2" and rows[1 + weekday][1 + 18] == "1"
    # and the file is named in Russian
    assert "filename*=UTF-8''" in response.headers["content-disposition"]


def test_a_name_like_a_formula_stays_text_in_both_files(owner, shop, api):
    # given a product named like a spreadsheet formula, sold yesterday evening
    from stats.conftest import at, clock, line

    product = api.post(f"/api/v1/catalogs/{shop.point['catalog_id']}/products",
                       json={"name": "=2+2 Акция", "price": "10.00", "cost_price": "7.00"}).json()
    clock(shop.till, at(today() - timedelta(days=1), 21))
    assert shop.till.results(shop.till.sell(line(product)))[0]["status"] == "accepted"

    # when the owner downloads the products as .csv and .xlsx
    rows = list(csv.reader(io.StringIO(owner.get("/stats/products", params={"period": "yesterday", "format": "csv"})
                                       .content.decode("utf-8-sig")), delimiter=";"))
    sheet = openpyxl.load_workbook(io.BytesIO(owner.get(
        "/stats/products", params={"period": "yesterday", "format": "xlsx"}).content)).active

    # then the .csv quotes the name so Excel takes it as text, and the .xlsx holds it as text
    assert rows[0][5] == "Margin, %" and rows[1][:6] == ["Сыр Российский", "1,000", "500,00", "350,00", "150,00",
                                                         "30,00"]
    assert ["'=2+2 Акция", "1,000", "10,00", "7,00", "3,00", "30,00", "C", "C"] in rows
    cells = [row for row in sheet.iter_rows() if row[0].value == "=2+2 Акция"]
    assert len(cells) == 1 and cells[0][0].data_type == "s"


def test_every_table_of_the_dashboard_downloads(owner, shop):
    # when the owner follows every download link the dashboard shows
    page, shown = dashboard(owner, period="yesterday")
    files = set(links(shown, "/stats") + links(page.text, "/stats"))
    files = {url for url in files if "format=" in url}
    assert len(files) >= 16
    for url in files:
        response = owner.get(url)
        # then each is a file, never an error
        assert response.status_code == 200, url
        assert "attachment" in response.headers["content-disposition"], url
    assert owner.get("/stats", params={"format": "pdf"}).status_code == 422


# --- languages -------------------------------------------------------------------------------------------


def test_the_dashboard_speaks_russian_by_default_and_english_on_request(owner, shop):
    # given the owner's interface in Russian
    owner.cookies.set("ok_lang", "ru")
    page, shown = dashboard(owner, period="yesterday")
    words = text(shown)
    # then the figures are in Russian words and number formats
    assert "Статистика" in words and "Выручка 629,90 ₽" in words and "Доля безнала 79,4 %" in words
    assert "Вчера" in words and "Кассиры" in words and "Петрова Анна 589,90 ₽ 93,6 %" in words
    assert "Без кассира" in words and "Икра красная — Никогда" in words
    # when she switches to English, then the same page is in English
    owner.cookies.set("ok_lang", "en")
    words = text(dashboard(owner, period="yesterday")[1])
    assert "Revenue ₽629.90" in words and "Cashless share 79.4%" in words and "Yesterday" in words
