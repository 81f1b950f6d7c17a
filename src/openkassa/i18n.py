"""Translations: English message ids in the code, Russian by default, English on request.

Catalogs are plain `.po` files under `locale/<lang>/LC_MESSAGES/`, one per domain
(`accounts.po`, `points.po`, …), merged at first use; there is no compile step.
The current language lives in a context variable set per request.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path

from babel import Locale
from babel.messages.pofile import read_po

LANGUAGES = {"ru": "Русский", "en": "English"}
DEFAULT_LANGUAGE = "ru"
LOCALE_DIR = Path(__file__).parent / "locale"

_language: ContextVar[str] = ContextVar("language", default=DEFAULT_LANGUAGE)


@lru_cache
def catalog(language: str) -> dict[str, str]:
    """Every translated message of a language, merged from all its .po files."""
    messages: dict[str, str] = {}
    for path in sorted((LOCALE_DIR / language / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as fh:
            for message in read_po(fh, locale=language):
                if message.id and message.string and not message.fuzzy:
                    messages[str(message.id)] = str(message.string)
    return messages


def current_language() -> str:
    return _language.get()


def current_locale() -> Locale:
    return Locale.parse(_language.get())


def set_language(language: str) -> None:
    _language.set(language if language in LANGUAGES else DEFAULT_LANGUAGE)


@contextmanager
def language(code: str):
    """Run a block in a given language (e-mails are written in the user's language)."""
    token = _language.set(code if code in LANGUAGES else DEFAULT_LANGUAGE)
    try:
        yield
    finally:
        _language.reset(token)


def gettext(message: str) -> str:
    """The message in the current language (the English id when no translation exists)."""
    language_code = _language.get()
    if language_code == "en":
        return message
    return catalog(language_code).get(message, message)


def ngettext(singular: str, plural: str, n: int) -> str:
    # Russian plural forms are handled by choosing wording that does not depend on n.
    return gettext(singular if n == 1 else plural)


_ = gettext


def negotiate(accept_language: str | None) -> str:
    """Pick ru or en from an Accept-Language header; Russian when unsure."""
    if not accept_language:
        return DEFAULT_LANGUAGE
    for part in accept_language.split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return DEFAULT_LANGUAGE
