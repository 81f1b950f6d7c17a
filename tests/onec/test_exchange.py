"""1C calls the exchange as УТ, УНФ and Бухгалтерия do: checkauth, init, file (in chunks), import.
The owner switches it on on the page «Обмен с 1С» and gives 1C the address, login and password."""

from __future__ import annotations

import io
import re
import zipfile

import pytest

from onec.conftest import sample
from support import create_owner, point_json, sign_in

URL = "/1c/exchange"
SWITCH = "Авт. выкл. 1Р 6А х-ка C ВА-103 6кА DEKraft"


def switch_on(owner, point) -> tuple[str, str]:
    page = owner.submit(f"/products/1c/on?point={point['id']}")
    assert page.status_code == 200, page.text
    login = re.search(r'id="onec-login">([^<]+)<', page.text).group(1)
    password = re.search(r'id="onec-password">([^<]+)<', page.text).group(1)
    return login, password


@pytest.fixture
def one_c(app):
    """1C's HTTP client: no browser cookies, no CSRF token."""
    from fastapi.testclient import TestClient
    with TestClient(app) as client:
        yield client


def checkauth(one_c, login: str, password: str):
    return one_c.get(URL, params={"type": "catalog", "mode": "checkauth"}, auth=(login, password))


def test_the_whole_exchange_fills_the_catalog(owner, point, shelf, one_c):
    # given the owner switched the exchange on and 1C knows the login
    login, password = switch_on(owner, point)

    # when 1C checks in, asks the settings, sends import.xml in two chunks and offers.xml, and asks to import
    answer = checkauth(one_c, login, password)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
    status, cookie_name, cookie_value = answer.text.split("\n")
    assert status == "success" and cookie_name == "openkassa_1c"
    one_c.cookies.set(cookie_name, cookie_value)
    init = one_c.get(URL, params={"type": "catalog", "mode": "init"})
    assert init.text.split("\n") == ["zip=yes", "file_limit=16777216"]
    content = sample("electrotech-import.xml")
    for chunk in (content[:10_000], content[10_000:]):
        sent = one_c.post(URL, params={"type": "catalog", "mode": "file", "filename": "import.xml"}, content=chunk)
        assert sent.text == "success"
    one_c.post(URL, params={"type": "catalog", "mode": "file", "filename": "offers.xml"}, content=sample("electrotech-offers.xml"))
    one_c.post(URL, params={"type": "catalog", "mode": "file", "filename": "import_files/7c/picture.jpg"}, content=b"\xff\xd8")
    imported = one_c.get(URL, params={"type": "catalog", "mode": "import", "filename": "import.xml"})
    offers = one_c.get(URL, params={"type": "catalog", "mode": "import", "filename": "offers.xml"})

    # then both imports succeed (1C shows the answers, in Russian), and the products are in the catalog with their prices
    assert imported.text == ("success\nТоваров добавлено: 3, изменено: 0, без изменений: 0, пропущено: 0. "
                             "Цены вида «Розничная цена».")
    assert offers.text == "success"
    assert shelf.products()[SWITCH]["price"] == 296_40
    # and the page shows the last exchange
    page = owner.get(f"/products/1c?point={point['id']}")
    assert "<td>import.xml</td>" in page.text and "Товаров добавлено: 3" in page.text and "onec-password" not in page.text


def test_a_zip_sent_by_1c_is_unpacked(owner, point, shelf, one_c):
    login, password = switch_on(owner, point)
    one_c.cookies.set("openkassa_1c", checkauth(one_c, login, password).text.split("\n")[2])
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr("import0_1.xml", sample("dobromyslov-import0_1.xml"))
        zipped.writestr("offers0_1.xml", sample("dobromyslov-offers0_1.xml"))
    one_c.post(URL, params={"type": "catalog", "mode": "file", "filename": "exchange.zip"}, content=archive.getvalue())
    imported = one_c.get(URL, params={"type": "catalog", "mode": "import", "filename": "import0_1.xml"})
    assert imported.text.startswith("success\nТоваров добавлено: 35,"), imported.text
    assert len(shelf.products()) == 35


def test_a_wrong_password_is_401_and_imports_nothing(owner, point, shelf, one_c):
    login, _password = switch_on(owner, point)
    answer = checkauth(one_c, login, "guessed")
    assert answer.status_code == 401 and answer.text.startswith("failure\n")
    assert answer.headers["www-authenticate"].startswith("Basic")
    # and without the cookie of a checkauth, files and imports are refused too
    one_c.cookies.set("openkassa_1c", "made-up")
    sent = one_c.post(URL, params={"type": "catalog", "mode": "file", "filename": "import.xml"}, content=sample("electrotech-import.xml"))
    imported = one_c.get(URL, params={"type": "catalog", "mode": "import", "filename": "import.xml"})
    assert sent.status_code == 401 and imported.status_code == 401
    assert shelf.products() == {}


def test_a_new_password_locks_the_old_one_out(owner, point, one_c):
    login, old = switch_on(owner, point)
    _login, new = switch_on(owner, point)
    assert checkauth(one_c, login, old).status_code == 401
    assert checkauth(one_c, login, new).text.startswith("success")


def test_a_bad_file_answers_failure_with_the_product_and_changes_nothing(owner, point, shelf, one_c):
    login, password = switch_on(owner, point)
    one_c.cookies.set("openkassa_1c", checkauth(one_c, login, password).text.split("\n")[2])
    broken = sample("electrotech-import.xml").replace("<Наименование>Шкаф распределительный</Наименование>".encode(),
                                                       "<Наименование/>".encode())
    one_c.post(URL, params={"type": "catalog", "mode": "file", "filename": "import.xml"}, content=broken)
    imported = one_c.get(URL, params={"type": "catalog", "mode": "import", "filename": "import.xml"})
    assert imported.status_code == 200
    assert imported.text.startswith("failure\n")
    assert imported.text == ("failure\nФайлы нельзя загрузить; ничего не изменилось.\n"
                             "import.xml: Товар «a09d2dd8-7fa0-11ed-a9dc-e0b9a548d6d8»: Нет «Наименование» (названия).")
    assert shelf.products() == {}
    assert "Нет «Наименование» (названия)." in owner.get(f"/products/1c?point={point['id']}").text


def test_an_account_moved_to_the_start_plan_is_refused_with_the_plan_message(owner, point, db, one_c):
    login, password = switch_on(owner, point)
    with db.transaction() as session:
        from sqlalchemy import update

        from openkassa.accounts.models import Account
        session.execute(update(Account).values(plan="start"))
    # when 1C checks in (1C's calls are answered in Russian)
    answer = checkauth(one_c, login, password)
    # then 1C shows the plan's refusal
    assert answer.text == "failure\nТариф «Начальный» не включает обмен с 1с. Чтобы пользоваться, смените тариф."


def test_the_start_plan_cannot_switch_the_exchange_on(db, new_browser):
    create_owner(db, email="small@shop.ru", plan="start")
    browser = sign_in(new_browser(), "small@shop.ru")
    point = browser.post("/api/v1/points", json=point_json(), headers={"X-CSRF-Token": browser.csrf()}).json()
    response = browser.submit(f"/products/1c/on?point={point['id']}")
    assert response.status_code == 402
    assert "Your plan «Starter» does not include 1c exchange. Upgrade the plan to use it." in response.text
    assert "onec-password" not in response.text


def test_guessing_passwords_is_stopped(owner, point, one_c):
    # given 20 wrong passwords from one network
    login, password = switch_on(owner, point)
    for _n in range(20):
        assert checkauth(one_c, login, "guess").status_code == 401
    # then even the right one waits
    answer = checkauth(one_c, login, password)
    assert answer.status_code == 429 and answer.text.startswith("failure\n") and int(answer.headers["retry-after"]) > 0


def test_a_1c_that_keeps_no_cookie_is_known_by_its_login(owner, point, shelf, one_c):
    login, password = switch_on(owner, point)
    assert checkauth(one_c, login, password).text.startswith("success")
    # when the later calls carry the login again instead of the cookie
    one_c.post(URL, params={"type": "catalog", "mode": "file", "filename": "import.xml"},
               content=sample("electrotech-import.xml"), auth=(login, password))
    imported = one_c.get(URL, params={"type": "catalog", "mode": "import", "filename": "import.xml"}, auth=(login, password))
    # then they are served as well
    assert imported.text.startswith("success\n"), imported.text
    assert len(shelf.products()) == 3
