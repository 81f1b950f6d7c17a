"""The interface speaks Russian by default and English on request, with nothing left untranslated."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir

from openkassa.i18n import catalog, language
from openkassa.web.templating import money

SOURCE = Path(__file__).resolve().parents[1] / "src" / "openkassa"
METHODS = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}


def _message_ids() -> dict[str, str]:
    found = {}
    for filename, _lineno, message, _comments, _context in extract_from_dir(
        SOURCE, METHODS, options_map=OPTIONS, keywords={"_": None, "gettext": None}
    ):
        if isinstance(message, str):
            found.setdefault(message, filename)
    return found


def test_every_message_in_the_code_has_a_russian_translation():
    # given every text the code shows to people
    messages = _message_ids()
    assert len(messages) > 100
    # then each has a Russian translation in locale/ru/LC_MESSAGES/<domain>.po
    missing = {m: f for m, f in messages.items() if m not in catalog("ru")}
    assert not missing, "add these to the .po file of their domain:\n" + "\n".join(
        f"{file}: {message!r}" for message, file in missing.items()
    )


def test_the_sign_in_page_is_russian_by_default(new_browser):
    # given a visitor whose browser asks for no particular language
    visitor = new_browser(language="")
    visitor.cookies.clear()
    # when they open the sign-in page
    page = visitor.get("/login")
    # then it speaks Russian
    assert "Войти" in page.text
    assert 'lang="ru"' in page.text


def test_a_visitor_switches_to_english_and_it_is_remembered(new_browser):
    # given a visitor on the Russian sign-in page
    visitor = new_browser(language="")
    visitor.cookies.clear()
    visitor.get("/login")
    # when they choose English
    response = visitor.submit("/language/en", headers={"referer": "http://testserver/login"})
    # then they are sent back and the page is in English from now on
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert "Forgot the password?" in visitor.get("/login").text


def test_field_errors_are_translated_too(new_browser):
    # given a Russian-speaking visitor
    visitor = new_browser(language="ru")
    # when they sign up with a bad phone number
    page = visitor.submit("/signup", {"company_name": "ООО", "name": "Иван", "phone": "abc",
                                      "email": "a@shop.ru", "password": "long enough"})
    # then the message next to the field is in Russian
    assert page.status_code == 422
    assert "Введите номер телефона" in page.text


def test_money_is_written_the_russian_way():
    # when an amount is shown in Russian, then it has a space between thousands and a decimal comma
    with language("ru"):
        assert money(123450).replace("\xa0", " ") == "1 234,50 ₽"
    with language("en"):
        assert money(123450) == "₽1,234.50"
