"""The Jinja2 environment: translations, Russian number and date formats, flash messages."""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, get_day_names
from babel.numbers import format_currency, format_decimal
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from openkassa import __version__
from openkassa.i18n import LANGUAGES, current_language, gettext, ngettext
from openkassa.money import to_roubles
from openkassa.web import flash

PACKAGE = Path(__file__).resolve().parent.parent
# web/templates holds the layout; each domain keeps its pages in <domain>/templates/<domain>/.
TEMPLATE_DIRS = [PACKAGE / "web" / "templates", *sorted(PACKAGE.glob("*/templates"))]
STATIC_DIR = PACKAGE / "web" / "static"


def money(kopecks: int | None) -> str:
    """1 234,50 ₽ in Russian, ₽1,234.50 in English."""
    if kopecks is None:
        return "—"
    if current_language() == "en":  # Babel's English symbol for RUB is "RUB"; people write ₽
        return "₽" + format_decimal(to_roubles(kopecks), format="#,##0.00", locale="en")
    return format_currency(to_roubles(kopecks), "RUB", locale=current_language())


def date_time(value: datetime | None, tz: str | None = None) -> str:
    if value is None:
        return "—"
    if tz:
        value = value.astimezone(ZoneInfo(tz))
    pattern = "dd.MM.yyyy HH:mm" if current_language() == "ru" else "MM/dd/yyyy h:mm a"
    return format_datetime(value, pattern, locale=current_language())


class Formats:
    """Numbers, shares and days in the interface's language (Babel), for the templates (`fmt`)."""

    money = staticmethod(money)

    @staticmethod
    def number(value: int) -> str:
        return format_decimal(value, locale=current_language())

    @staticmethod
    def quantity(thousandths: int) -> str:
        return format_decimal(Decimal(thousandths) / 1000, format="#,##0.###", locale=current_language())

    @staticmethod
    def share(value: Decimal | None, places: int = 1) -> str:
        """A fraction as a percentage: 0.253 is «25,3 %»; None (nothing to divide by) is a dash."""
        if value is None:
            return "—"
        pattern = "#,##0" + ("." + "0" * places if places else "")
        percent = (value * 100).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        number = format_decimal(percent, format=pattern, locale=current_language())
        return f"{number}\u00a0%" if current_language() == "ru" else f"{number}%"

    @staticmethod
    def day(value: date | None) -> str:
        if value is None:
            return "—"
        pattern = "dd.MM.yyyy" if current_language() == "ru" else "MM/dd/yyyy"
        return format_date(value, pattern, locale=current_language())

    @staticmethod
    def short_day(value: date) -> str:
        return format_date(value, "dd.MM" if current_language() == "ru" else "MM/dd", locale=current_language())

    @staticmethod
    def weekday(number: int, width: str = "abbreviated") -> str:
        """0 is Monday: «Пн» (abbreviated) or «понедельник» (wide)."""
        name = get_day_names(width, locale=current_language())[number]
        return name[:1].upper() + name[1:] if width == "abbreviated" else name

    @staticmethod
    def hour(hour: int) -> str:
        return f"{hour:02d}:00"

    @staticmethod
    def hours(hour: int) -> str:
        return f"{hour:02d}:00–{(hour + 1) % 24:02d}:00"

    def period(self, period) -> str:
        """A period (anything with a `start` and an `end` day): one day, or «01.11.2026 – 30.11.2026»."""
        if period.start == period.end:
            return self.day(period.start)
        return f"{self.day(period.start)} – {self.day(period.end)}"

    @staticmethod
    def roubles(kopecks: int) -> str:
        """Money for a chart's data: roubles with a point, read by the script as a number."""
        return str(to_roubles(kopecks))


fmt = Formats()


def _context(request: Request) -> dict:
    return {
        "actor": getattr(request.state, "actor", None),
        "csrf_token": getattr(request.state, "csrf_token", ""),
        "flashes": flash.pop(request),
        "language": current_language(),
        "languages": LANGUAGES,
        "version": __version__,
    }


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader([str(p) for p in TEMPLATE_DIRS]),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(gettext, ngettext, newstyle=True)
    env.filters.update(money=money, datetime=date_time)
    return env


templates = Jinja2Templates(env=_environment(), context_processors=[_context])


def render(request: Request, name: str, status_code: int = 200, **context) -> HTMLResponse:
    """Render a page (or, for an HTMX request, whatever fragment the template yields)."""
    return templates.TemplateResponse(request, name, context, status_code=status_code)


def see_other(url: str) -> RedirectResponse:
    """After a form is handled: go to `url` with GET (303), so a reload does not post again."""
    return RedirectResponse(url, status_code=303)


def is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"
