"""The columns of a catalog file (template, import, export) and the reading of their cells.

A file's header row is matched to `COLUMNS` by name, in Russian or English, with common variants.
`parse_row` turns one row's cells into typed values: the column's kind decides how a cell is read.
Cells come from CSV (always text) or from spreadsheets (text, int, float, bool, dates), so every
reader accepts both. Rules that need the whole product (name length, check digits, min ≤ price)
belong to the domain; this module only says whether a cell can be read at all.

Parsing is the hot path of a million-row import: each kind has a fast path for the usual cell and
falls back to a slower, more forgiving one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time, timedelta
from decimal import Decimal
from functools import cached_property
from typing import Callable

from openkassa.fiscal.enums import ItemType, Unit, VatRate
from openkassa.i18n import _
from openkassa.money import MAX_KOPECKS, to_roubles

MAX_EXACT_NUMBER = 10**15  # a spreadsheet keeps 15 significant digits; longer numbers have lost some


@dataclass(frozen=True)
class Column:
    """One column of the catalog file."""

    key: str
    ru: str
    en: str
    aliases: tuple[str, ...]
    required: bool
    kind: str  # "text", "money", "vat", "unit", "kind", "bool", "barcodes", "group"


COLUMNS: tuple[Column, ...] = (
    Column("name", "Наименование", "Name",
           ("название", "товар", "наименование товара", "полное наименование", "номенклатура",
            "product", "product name", "title", "item"), True, "text"),
    Column("short_name", "Краткое наименование", "Short name",
           ("краткое название", "короткое наименование", "короткое название"), False, "text"),
    Column("article", "Артикул", "Article", ("артикул товара", "арт", "sku", "vendor code"), False, "text"),
    Column("code", "Код", "Code",
           ("код товара", "внутренний код", "internal code", "product code"), False, "text"),
    Column("barcodes", "Штрихкоды", "Barcodes",
           ("штрихкод", "штрих код", "штрих коды", "штрихкод товара", "ean", "gtin", "barcode"), False, "barcodes"),
    Column("price", "Цена", "Price",
           ("цена продажи", "розничная цена", "цена руб", "sale price", "retail price", "price rub"), False, "money"),
    Column("min_price", "Минимальная цена", "Minimum price",
           ("мин цена", "минимальная цена продажи", "min price"), False, "money"),
    Column("cost_price", "Закупочная цена", "Cost price",
           ("цена закупки", "себестоимость", "purchase price", "cost"), False, "money"),
    Column("vat", "НДС", "VAT", ("ставка ндс", "ндс ставка", "vat rate", "tax"), False, "vat"),
    Column("unit", "Единица измерения", "Unit",
           ("ед изм", "единица", "единицы измерения", "мера количества", "unit of measure", "uom"), False, "unit"),
    Column("kind", "Признак предмета расчёта", "Kind",
           ("предмет расчета", "тип товара", "item type", "payment object"), False, "kind"),
    Column("group", "Группа", "Group",
           ("группа товаров", "категория", "папка", "category", "folder"), False, "group"),
    Column("by_weight", "Весовой", "Sold by weight", ("весовой товар", "by weight"), False, "bool"),
    Column("free_price", "Свободная цена", "Free price",
           ("произвольная цена", "open price"), False, "bool"),
    Column("archived", "В архиве", "Archived", ("архив", "архивный", "archive"), False, "bool"),
)

VAT_CHOICES: tuple[str, ...] = tuple(rate.label for rate in VatRate)
UNIT_CHOICES: tuple[str, ...] = tuple(unit.label for unit in Unit)
KIND_CHOICES: tuple[str, ...] = tuple(kind.label for kind in ItemType)
BOOL_CHOICES: tuple[str, ...] = ("да", "нет")


# --- headers ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CellError:
    """A cell that cannot be read, as the user finds it in the spreadsheet."""

    row: int
    column: str
    message: str


class HeaderError(Exception):
    """The header row cannot be used: a required column is missing or a column is given twice."""

    def __init__(self, errors: list[str]):
        super().__init__(" ".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class HeaderMap:
    """Where each known column is in the file's rows, and the headers that were not recognised."""

    positions: dict[str, int]
    headers: dict[str, str]
    ignored: list[str]

    @cached_property
    def _plan(self) -> tuple[tuple[tuple[str, int, Callable[[object], object]], ...], int]:
        """What `parse_row` runs per row: (key, position, parser) of each present column, and the number
        of cells a row needs to hold them all."""
        steps = tuple((column.key, self.positions[column.key], _PARSERS[column.kind])
                      for column in COLUMNS if column.key in self.positions)
        return steps, max(self.positions.values(), default=-1) + 1


def _header_key(text: str) -> str:
    """A header as compared: lower case, ё as е, punctuation and space runs as one space."""
    return " ".join(re.sub(r"[\W_]+", " ", text.lower().replace("ё", "е")).split())


_COLUMN_BY_HEADER: dict[str, Column] = {
    _header_key(header): column
    for column in COLUMNS
    for header in (column.key, column.ru, column.en, *column.aliases)
}


def match_headers(cells: list[object]) -> HeaderMap:
    """Map the header row's cells to the known columns; unknown headers are ignored, not refused."""
    positions: dict[str, int] = {}
    headers: dict[str, str] = {}
    ignored: list[str] = []
    errors: list[str] = []
    for index, cell in enumerate(cells):
        text = " ".join(str(cell).split()) if cell is not None else ""
        if not text:
            continue
        column = _COLUMN_BY_HEADER.get(_header_key(text))
        if column is None:
            ignored.append(text)
        elif column.key in positions:
            errors.append(_("The columns «{first}» and «{second}» both mean «{column}»: keep one of them.").format(
                first=headers[column.key], second=text, column=column.ru))
        else:
            positions[column.key] = index
            headers[column.key] = text
    for column in COLUMNS:
        if column.required and column.key not in positions:
            errors.append(_("There is no «{ru}» (or «{en}») column: the first filled row of the file must hold "
                            "the column headers, as in the template.").format(ru=column.ru, en=column.en))
    if errors:
        raise HeaderError(errors)
    return HeaderMap(positions, headers, ignored)


# --- rows ---------------------------------------------------------------------------------


class _BadCell(ValueError):
    """A cell's value cannot be read; the message is already translated."""


def parse_row(row: int, cells: list[object], header: HeaderMap) -> tuple[dict[str, object], list[CellError]]:
    """The typed values of one row, and the cells that could not be read.

    Only the file's columns are in the result; an empty cell is None (the value is cleared). Whether a
    value may be cleared (the name may not) is the domain's rule, like the name's length.
    """
    values: dict[str, object] = {}
    errors: list[CellError] = []
    plan, width = header._plan
    if len(cells) < width:  # a short CSV line: the missing cells are empty
        cells = [*cells, *[None] * (width - len(cells))]
    for key, position, parse in plan:
        cell = cells[position]
        try:
            value = None if cell is None or cell == "" else parse(cell)
        except _BadCell as exc:
            errors.append(CellError(row, header.headers[key], str(exc)))
            continue
        values[key] = value
    return values, errors


def format_row(values: dict[str, object]) -> list[object]:
    """The cells of one product for export, in `COLUMNS` order (the inverse of `parse_row`).

    Money becomes Decimal roubles; the file writers decide how to write each type.
    """
    return [None if values.get(column.key) is None else _FORMATTERS[column.kind](values[column.key])
            for column in COLUMNS]


def _shown(cell: object) -> str:
    """A cell's value as quoted in a message."""
    text = _number_text(cell) if type(cell) is float else str(cell)
    return text if len(text) <= 60 else text[:57] + "…"


def _number_text(value: float) -> str:
    """A spreadsheet number as the spreadsheet shows it: at most 15 significant digits."""
    return "%.15g" % value


FORMULA_STARTS = ("=", "+", "-", "@")
"""What makes a spreadsheet run a CSV cell as a formula; our CSV export puts a quote (') before it."""
_QUOTED_FORMULA = re.compile(r"'+[=+\-@]")


def _unquoted(text: str) -> str:
    """A text as it was before a quote guarded it against running as a formula: a CSV export's
    guard, or one Excel shows when it opens such a CSV, saved with the file."""
    return text[1:] if _QUOTED_FORMULA.match(text) else text


def _quoted(text: str) -> str:
    """A text for export that already starts with quotes and a formula sign gets one more quote,
    which reading drops (`_unquoted`): it reads back as written."""
    return "'" + text if _QUOTED_FORMULA.match(text) else text


def _parse_text(cell: object) -> str | None:
    """A cell as text: spreadsheet numbers without a trailing .0, whitespace collapsed."""
    if type(cell) is str:
        if cell[:1] == "'":
            cell = _unquoted(cell)
        # Printable text has no whitespace but the plain space: tidy already unless it starts,
        # ends or doubles one. Most cells are, and skip the split and join.
        if cell.isprintable() and cell[0] != " " != cell[-1] and "  " not in cell:
            return cell
        return " ".join(cell.split()) or None
    if type(cell) is int:
        return str(cell)
    if type(cell) is float:
        if cell.is_integer() and abs(cell) < MAX_EXACT_NUMBER:
            return str(int(cell))
        return _number_text(cell)
    if isinstance(cell, (date, time, timedelta)):
        raise _BadCell(_("The spreadsheet turned «{value}» into a date or time: format the column as text "
                         "and type the value again.").format(value=_shown(cell)))
    raise _BadCell(_("Expected text, not «{value}».").format(value=_shown(cell)))


# Money: "199,90", "1 234.50", "₽ 15", "15 руб." — the currency and the spaces are dropped.
_CURRENCY = re.compile(r"₽|(?:руб|р|rub|rur)\.?|[\s']", re.IGNORECASE)
_AMOUNT = re.compile(r"\d+(?:\.\d+)?")


def _parse_money(cell: object) -> int | None:
    if type(cell) is str:
        # The usual cell, "199.90" or "199,90", without the regular expressions of the slow path.
        whole, point, fraction = cell.replace(",", ".").partition(".")
        if whole.isdigit() and whole.isascii() and len(whole) <= 15 and (
                not point or (0 < len(fraction) <= 2 and fraction.isdigit() and fraction.isascii())):
            kopecks = int(whole + fraction.ljust(2, "0"))
            if kopecks > MAX_KOPECKS:
                raise _BadCell(_too_large(cell))
            return kopecks
        return _parse_money_text(cell)
    if type(cell) is int or type(cell) is Decimal:  # Decimal: the export's own cells, read back
        amount = Decimal(cell)
    elif type(cell) is float:
        if cell != cell or cell in (float("inf"), float("-inf")):
            raise _BadCell(_not_money(cell))
        amount = Decimal(_number_text(cell))
    else:
        raise _BadCell(_not_money(cell))
    return _kopecks(amount, cell)


def _parse_money_text(cell: str) -> int | None:
    """Money written the long way: with a currency, thousands separators, a sign."""
    text = _CURRENCY.sub("", cell).replace("−", "-")
    if not text:
        return None
    negative = text.startswith("-")
    text = text.removeprefix("-").removeprefix("+")
    if "," in text and "." in text:
        # Both separators: the last one is the decimal point, the other groups thousands.
        thousands = "," if text.rfind(".") > text.rfind(",") else "."
        text = text.replace(thousands, "")
    text = text.replace(",", ".")
    if not _AMOUNT.fullmatch(text):
        raise _BadCell(_not_money(cell))
    if negative and text.strip("0.") != "":
        raise _BadCell(_negative(cell))
    return _kopecks(Decimal(text), cell)


def _kopecks(amount: Decimal, cell: object) -> int:
    if amount < 0:
        raise _BadCell(_negative(cell))
    kopecks = amount * 100
    if kopecks != kopecks.to_integral_value():
        raise _BadCell(_("An amount has at most two digits of kopecks: «{value}».").format(value=_shown(cell)))
    if kopecks > MAX_KOPECKS:
        raise _BadCell(_too_large(cell))
    return int(kopecks)


def _not_money(cell: object) -> str:
    return _("Expected an amount in roubles, for example 199.90, not «{value}».").format(value=_shown(cell))


def _negative(cell: object) -> str:
    return _("An amount cannot be negative: «{value}».").format(value=_shown(cell))


def _too_large(cell: object) -> str:
    return _("The amount «{value}» is too large: at most 10 000 000 000 roubles.").format(value=_shown(cell))


def _choice_key(text: str) -> str:
    """A choice as compared: lower case, ё as е, no spaces, a decimal point for a comma, no final dot."""
    return re.sub(r"[\s·]+", "", text.lower().replace("ё", "е")).replace(",", ".").rstrip(".")


def _unit_key(text: str) -> str:
    """A unit as compared: as other choices, and without dots ("кв. м" is "кв м")."""
    return _choice_key(text).replace(".", "")


def _blank(cell: object) -> bool:
    """Whether a cell holds only spaces (an empty cell never reaches the parsers)."""
    return type(cell) is str and not cell.strip()


def _choice_text(cell: object) -> str:
    """The text of a choice cell; spreadsheet numbers as the spreadsheet shows them."""
    if type(cell) is str:
        return cell
    if type(cell) in (int, float):
        return _number_text(cell)
    return ""  # dates, booleans: never a choice


# VAT: the labels, "20%", "20", "0.2", "НДС 20%", "20/120", "vat20", "vat120", "без НДС", …
_PERCENT_RATES = {0: VatRate.VAT_0, 5: VatRate.VAT_5, 7: VatRate.VAT_7, 10: VatRate.VAT_10,
                  20: VatRate.VAT_20, 22: VatRate.VAT_22}
_CALCULATED_RATES = {(5, 105): VatRate.VAT_5_105, (7, 107): VatRate.VAT_7_107, (10, 110): VatRate.VAT_10_110,
                     (20, 120): VatRate.VAT_20_120, (22, 122): VatRate.VAT_22_122}
_VAT_BY_KEY: dict[str, VatRate] = {
    **{_choice_key(rate.label): rate for rate in VatRate},
    **{_choice_key(word): VatRate.NO_VAT for word in (
        "без НДС", "не облагается", "НДС не облагается", "без налога", "none", "no vat", "without vat")},
    **{key: rate for (share, total), rate in _CALCULATED_RATES.items()
       for key in (f"{share}/{total}", f"ндс{share}/{total}", f"vat{share}/{total}", f"vat{total}")},
    **{f"vat{percent}": rate for percent, rate in _PERCENT_RATES.items()},
}
_VAT_NUMBER = re.compile(r"(?:ндс|vat|nds)?(\d+(?:\.\d+)?)(%?)")


def _parse_vat(cell: object) -> VatRate | None:
    key = _choice_key(_choice_text(cell))
    rate = _VAT_BY_KEY.get(key)
    if rate is None and (match := _VAT_NUMBER.fullmatch(key)):
        number = Decimal(match[1])
        percent = number if match[2] or number >= 1 else number * 100  # 0.2 is a share: 20%
        if percent == percent.to_integral_value():
            rate = _PERCENT_RATES.get(int(percent))
    if rate is None and not _blank(cell):
        raise _BadCell(_("Unknown VAT rate «{value}»: choose one of {choices}.").format(
            value=_shown(cell), choices=", ".join(VAT_CHOICES)))
    return rate


_UNIT_WORDS = {
    Unit.PIECE: ("штука", "штуки", "штук", "pcs", "pc", "piece"),
    Unit.GRAM: ("гр", "грамм", "g"),
    Unit.KILOGRAM: ("килограмм", "kg"),
    Unit.TONNE: ("тонна", "тн"),
    Unit.CENTIMETRE: ("сантиметр", "cm"),
    Unit.METRE: ("метр", "пог м", "m"),
    Unit.SQUARE_CENTIMETRE: ("см2", "см²"),
    Unit.SQUARE_DECIMETRE: ("дм2", "дм²"),
    Unit.SQUARE_METRE: ("м2", "м²", "кв метр", "m2"),
    Unit.MILLILITRE: ("ml",),
    Unit.LITRE: ("литр", "l"),
    Unit.CUBIC_METRE: ("м3", "м³", "m3"),
    Unit.KILOWATT_HOUR: ("кВт·ч", "кВтч", "kWh"),
    Unit.DAY: ("сутки", "день", "дн"),
    Unit.HOUR: ("час",),
    Unit.MINUTE: ("минута",),
    Unit.SECOND: ("сек", "секунда"),
    Unit.KILOBYTE: ("кб", "kb"),
    Unit.MEGABYTE: ("мб", "mb"),
    Unit.GIGABYTE: ("гб", "gb"),
    Unit.TERABYTE: ("тб", "tb"),
    Unit.OTHER: ("единица", "иное"),
}
_UNIT_BY_KEY: dict[str, Unit] = {
    **{_unit_key(word): unit for unit, words in _UNIT_WORDS.items() for word in words},
    **{_unit_key(unit.label): unit for unit in Unit},
    **{str(unit.value): unit for unit in Unit},  # the 2108 code
}


def _parse_unit(cell: object) -> Unit | None:
    unit = _UNIT_BY_KEY.get(_unit_key(_choice_text(cell)))
    if unit is None and not _blank(cell):
        raise _BadCell(_("Unknown unit «{value}»: write шт, кг, г, л, мл, м or another unit "
                         "from the template's list.").format(value=_shown(cell)))
    return unit


_KIND_BY_KEY: dict[str, ItemType] = {
    **{_choice_key(kind.name.replace("_", "")): kind for kind in ItemType},
    **{_choice_key(kind.label): kind for kind in ItemType},
    **{str(kind.value): kind for kind in ItemType},  # the 1212 code
}


def _parse_kind(cell: object) -> ItemType | None:
    kind = _KIND_BY_KEY.get(_choice_key(_choice_text(cell)))
    if kind is None and not _blank(cell):
        raise _BadCell(_("Unknown kind «{value}»: write Товар, Услуга, Работа or another kind "
                         "from the template's list.").format(value=_shown(cell)))
    return kind


_BOOL_BY_KEY = {
    **dict.fromkeys(("да", "д", "yes", "y", "true", "истина", "1", "+", "x", "х", "v", "✓", "✔"), True),
    **dict.fromkeys(("нет", "н", "no", "n", "false", "ложь", "0", "-", "—"), False),
}


def _parse_bool(cell: object) -> bool | None:
    if type(cell) is bool:
        return cell
    value = _BOOL_BY_KEY.get(_choice_key(_choice_text(cell)))
    if value is None and not _blank(cell):
        raise _BadCell(_("Write «да» or «нет», not «{value}».").format(value=_shown(cell)))
    return value


_BARCODE_SEPARATORS = re.compile(r"[\s,;]+")
# How a spreadsheet shows a long number it saved in a CSV: 4,6071E+12 (the digits are gone).
_SCIENTIFIC = re.compile(r"(?<!\w)\d+(?:[.,]\d+)?E\+\d+(?!\w)", re.IGNORECASE)


def _parse_barcodes(cell: object) -> list[str] | None:
    if type(cell) is str:
        if cell[:1] == "'":
            cell = _unquoted(cell)
        if cell.isdigit() and cell.isascii():  # the usual cell: one EAN
            return [cell]
        if "+" in cell and (shortened := _SCIENTIFIC.search(cell)):
            raise _BadCell(_lost_digits(shortened[0]))
        return [code for code in _BARCODE_SEPARATORS.split(cell) if code] or None
    if type(cell) is float and cell.is_integer() and 0 <= cell < MAX_EXACT_NUMBER:
        return [str(int(cell))]
    if type(cell) is int and 0 <= cell < MAX_EXACT_NUMBER:
        return [str(cell)]
    if type(cell) in (int, float):
        raise _BadCell(_lost_digits(_shown(cell)))
    raise _BadCell(_("Expected barcodes separated by commas, not «{value}».").format(value=_shown(cell)))


def _lost_digits(value: str) -> str:
    return _("The barcode «{value}» was stored as a number and lost digits: format the column as text "
             "and type the barcode again.").format(value=value)


def _parse_group(cell: object) -> tuple[str, ...] | None:
    text = _parse_text(cell)
    if text is None:
        return None
    parts = tuple(part.strip() for part in text.split("/"))
    if "" in parts:
        raise _BadCell(_("The group «{value}» has an empty part: write the path like "
                         "Молочные продукты/Сыры.").format(value=_shown(cell)))
    return parts


def _remembering(parse: Callable[[object], object]) -> Callable[[object], object]:
    """`parse`, remembering what it made of each text: a column of choices repeats a few values a million times.

    Only readable cells are remembered (errors are translated when raised), and at most a few
    thousand of them, so a file of distinct values costs no more memory than a short one.
    """
    seen: dict[str, object] = {}

    def parse_remembered(cell: object) -> object:
        if type(cell) is not str:
            return parse(cell)
        value = seen.get(cell)
        if value is None:
            value = parse(cell)
            if value is not None and len(seen) < 5000:
                seen[cell] = value
        return value

    return parse_remembered


_PARSERS: dict[str, Callable[[object], object]] = {
    "text": _parse_text,
    "money": _parse_money,
    "vat": _remembering(_parse_vat),
    "unit": _remembering(_parse_unit),
    "kind": _remembering(_parse_kind),
    "bool": _remembering(_parse_bool),
    "barcodes": _parse_barcodes,
    "group": _remembering(_parse_group),
}

_FORMATTERS: dict[str, Callable[[object], object]] = {
    "text": _quoted,
    "money": to_roubles,
    "vat": lambda rate: VatRate(rate).label,
    "unit": lambda unit: Unit(unit).label,
    "kind": lambda kind: ItemType(kind).label,
    "bool": lambda flag: "да" if flag else "нет",
    "barcodes": lambda codes: _quoted(", ".join(codes)),
    "group": lambda path: _quoted("/".join(path)),
}
