"""Reading CommerceML 2 files, as 1C writes them: import.xml (groups and products) and offers.xml (prices).

The reader streams (`iterparse`): each `Товар` and `Предложение` is read, kept as a small record, and
its element freed, so memory holds the records, not the tree. Elements are matched by local name:
1C writes the namespace `urn:1C.ru:commerceml_2`, `urn:1C.ru:commerceml_210` or none, and the
schema version does not follow the namespace. A DTD is refused before the parser reads it (1C never
writes one; it is how entity bombs and external entities come in).

Whatever is wrong is collected as `Problem`s naming the element or the product; a file with any
problem raises `CommerceMLError` and nothing of it is used.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import BinaryIO

from openkassa.fiscal.enums import Unit, VatRate
from openkassa.i18n import _

ROOT = "КоммерческаяИнформация"
CHUNK = 64 * 1024
MAX_PROBLEMS = 50
_DTD_MARKS = tuple("<!DOCTYPE".encode(encoding) for encoding in ("utf-8", "utf-16-le", "utf-16-be"))
_SPACES = re.compile(r"\s+")

# ОКЕИ codes of БазоваяЕдиница (attribute Код), and the short names some exports write as its text.
_OKEI_UNITS = {
    "796": Unit.PIECE, "163": Unit.GRAM, "166": Unit.KILOGRAM, "168": Unit.TONNE, "004": Unit.CENTIMETRE,
    "005": Unit.DECIMETRE, "006": Unit.METRE, "051": Unit.SQUARE_CENTIMETRE, "053": Unit.SQUARE_DECIMETRE,
    "055": Unit.SQUARE_METRE, "111": Unit.MILLILITRE, "112": Unit.LITRE, "113": Unit.CUBIC_METRE,
    "245": Unit.KILOWATT_HOUR, "233": Unit.GIGACALORIE, "359": Unit.DAY, "356": Unit.HOUR, "355": Unit.MINUTE,
    "354": Unit.SECOND,
}
_UNIT_NAMES = {
    "шт": Unit.PIECE, "pce": Unit.PIECE, "г": Unit.GRAM, "кг": Unit.KILOGRAM, "т": Unit.TONNE, "см": Unit.CENTIMETRE,
    "м": Unit.METRE, "м2": Unit.SQUARE_METRE, "мл": Unit.MILLILITRE, "л": Unit.LITRE, "м3": Unit.CUBIC_METRE,
}
# Ставка of НДС. 18 % ended on 1 January 2019 (the law made it 20 %, and 1C replaced it so), and a
# receipt cannot carry it: an old export's 18 is read as 20.
_VAT_RATES = {
    "20": VatRate.VAT_20, "18": VatRate.VAT_20, "10": VatRate.VAT_10, "0": VatRate.VAT_0, "5": VatRate.VAT_5,
    "7": VatRate.VAT_7, "22": VatRate.VAT_22, "20/120": VatRate.VAT_20_120, "10/110": VatRate.VAT_10_110,
    "без ндс": VatRate.NO_VAT, "без налога": VatRate.NO_VAT,
}
_RUBLES = {"", "руб", "руб.", "rub", "rur", "643"}


@dataclass(frozen=True)
class Problem:
    """Why a file cannot be used: `where` names the element or the product, `message` says what is wrong."""

    where: str
    message: str


class CommerceMLError(Exception):
    """A file that is not a CommerceML catalog or offers file we can read; nothing of it is used."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(f"{problem.where}: {problem.message}" for problem in problems))
        self.problems = problems


@dataclass(frozen=True)
class Group:
    external_id: str
    name: str
    parent_id: str | None


@dataclass(frozen=True)
class Item:
    """A `Товар` of import.xml; None is "not given" (the card keeps what it has)."""

    external_id: str
    name: str
    article: str | None
    code: str | None
    barcodes: list[str]
    unit: Unit | None
    vat: VatRate | None
    group_id: str | None
    deleted: bool


@dataclass(frozen=True)
class PriceType:
    external_id: str
    name: str
    currency: str

    @property
    def in_rubles(self) -> bool:
        return self.currency.strip().lower() in _RUBLES


@dataclass(frozen=True)
class Offer:
    """A `Предложение` of offers.xml: the prices by price type, in roubles as written."""

    external_id: str
    name: str
    barcodes: list[str]
    prices: dict[str, Decimal]


@dataclass
class CatalogFile:
    groups: list[Group] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)


@dataclass
class OffersFile:
    price_types: list[PriceType] = field(default_factory=list)
    offers: list[Offer] = field(default_factory=list)


@dataclass
class Package:
    """What one file holds: a catalog (import.xml), offers (offers.xml), or both."""

    catalog: CatalogFile | None = None
    offers: OffersFile | None = None


_LOCAL_NAMES: dict[str, str] = {}


def local(tag: str) -> str:
    """The element's name without its namespace (`{urn:1C.ru:commerceml_2}Товар` → `Товар`)."""
    name = _LOCAL_NAMES.get(tag)
    if name is None:
        name = tag.rpartition("}")[2]
        if len(_LOCAL_NAMES) < 10_000:  # the names of a schema; a file of made-up names fills no memory
            _LOCAL_NAMES[tag] = name
    return name


def read(stream: BinaryIO, name: str = "") -> Package:
    """Read a CommerceML file; raise CommerceMLError naming every problem (up to MAX_PROBLEMS)."""
    return _Reader(name).read(stream)


class _Reader:
    def __init__(self, name: str):
        self.name = name
        self.problems: list[Problem] = []
        self.package = Package()
        self.seen = 0  # Товар and Предложение elements read, for naming one without an Ид

    def problem(self, where: str, message: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(where, message))

    def read(self, stream: BinaryIO) -> Package:
        try:
            self._walk(_events(stream))
        except ET.ParseError as error:
            line, column = error.position
            raise CommerceMLError([Problem(_("line {line}, column {column}").format(line=line, column=column + 1),
                                           _("This is not a well-formed XML file ({reason}): 1C writes CommerceML as XML.")
                                           .format(reason=str(error).split(":")[0]))]) from None
        except _DtdRefused:
            raise CommerceMLError([Problem("<!DOCTYPE>", _("The file declares a DTD; CommerceML files have none."))]) from None
        if self.package.catalog is None and self.package.offers is None and not self.problems:
            self.problem(ROOT, _("Neither «Каталог» nor «ПакетПредложений» is in the file: it is not a catalog or offers file."))
        if self.problems:
            raise CommerceMLError(self.problems)
        return self.package

    def _walk(self, events: Iterator[tuple[str, ET.Element]]) -> None:
        path: list[str] = []
        parents: list[ET.Element] = []
        groups: list[ET.Element] = []
        inside = 0  # depth within a Товар or Предложение: its descendants need no bookkeeping (most events)
        for event, element in events:
            if inside:
                inside += 1 if event == "start" else -1
                if inside:
                    continue
                (self._item if local(element.tag) == "Товар" else self._offer)(element)
                parents[-1].remove(element)  # the record is kept; the element goes
                continue
            name = local(element.tag)
            if event == "start":
                if not path and name != ROOT:
                    raise CommerceMLError([Problem(f"<{name}>", _("The root element should be «{root}»: this is not a CommerceML file.")
                                                   .format(root=ROOT))])
                depth = len(path)
                if (name == "Товар" and depth == 3 and path[1:] == ["Каталог", "Товары"]
                        or name == "Предложение" and depth == 3 and path[2] == "Предложения" and self.package.offers is not None):
                    inside = 1
                    continue
                path.append(name)
                parents.append(element)
                if name == "Каталог" and depth == 1:
                    self.package.catalog = self.package.catalog or CatalogFile()
                elif name in ("ПакетПредложений", "ИзмененияПакетаПредложений") and depth == 1:
                    self.package.offers = OffersFile()
                elif name == "Группа" and path[1] == "Классификатор":
                    groups.append(element)
                continue
            path.pop()
            parents.pop()
            if name == "ТипЦены" and len(path) == 3 and path[2] == "ТипыЦен" and self.package.offers is not None:
                self._price_type(element)
            elif name == "Группа" and len(path) > 1 and path[1] == "Классификатор":
                groups.pop()
                self._group(element, groups[-1] if groups else None)
            elif name == "Классификатор" and len(path) == 1:
                parents[-1].remove(element)

    def _group(self, element: ET.Element, parent: ET.Element | None) -> None:
        external_id, group_name = _text(element, "Ид"), _text(element, "Наименование")
        catalog = self.package.catalog = self.package.catalog or CatalogFile()
        if not external_id or not group_name:
            self.problem(_("Group «{name}»").format(name=group_name or external_id or "?"),
                         _("A group needs «Ид» and «Наименование»."))
            return
        catalog.groups.append(Group(external_id, group_name, _text(parent, "Ид") if parent is not None else None))

    def _item(self, element: ET.Element) -> None:
        catalog = self.package.catalog
        self.seen += 1
        number = self.seen
        external_id, item_name = _text(element, "Ид"), _text(element, "Наименование")
        if not external_id:
            self.problem(_("Product {number} («{name}»)").format(number=number, name=item_name or "?"),
                         _("It has no «Ид»: 1C identifies every product by it."))
            return
        if not item_name:
            self.problem(_("Product «{id}»").format(id=external_id), _("It has no «Наименование» (name)."))
            return
        requisites = _requisites(element)
        unit_element = _child(element, "БазоваяЕдиница")
        deleted = (_text(element, "ПометкаУдаления") or "").lower() == "true" or element.get("Статус") == "Удален"
        barcodes = _barcodes(element) or _split_barcodes(requisites.get("штрихкод", ""))
        catalog.items.append(Item(
            external_id=external_id, name=item_name, article=_text(element, "Артикул"), code=_text(element, "Код"),
            barcodes=barcodes, unit=_unit(unit_element), vat=_vat(element, requisites),
            group_id=_text(_child(element, "Группы"), "Ид"), deleted=deleted,
        ))

    def _price_type(self, element: ET.Element) -> None:
        external_id = _text(element, "Ид")
        if external_id:
            self.package.offers.price_types.append(
                PriceType(external_id, _text(element, "Наименование") or external_id, _text(element, "Валюта") or ""))

    def _offer(self, element: ET.Element) -> None:
        offers = self.package.offers
        self.seen += 1
        external_id = _text(element, "Ид")
        offer_name = _text(element, "Наименование") or ""
        if not external_id:
            self.problem(_("Offer {number} («{name}»)").format(number=self.seen, name=offer_name or "?"),
                         _("It has no «Ид»: 1C identifies every product by it."))
            return
        prices: dict[str, Decimal] = {}
        for price in _children(_child(element, "Цены"), "Цена"):
            type_id, amount = _text(price, "ИдТипаЦены"), _text(price, "ЦенаЗаЕдиницу")
            if not type_id or amount is None:
                continue
            try:
                value = Decimal(amount.replace(",", ".").replace(" ", ""))
            except InvalidOperation:
                value = Decimal(-1)
            if not value.is_finite() or value < 0:
                self.problem(_("Offer «{id}» ({name})").format(id=external_id, name=offer_name),
                             _("The price «{price}» is not a number of roubles.").format(price=amount))
                continue
            prices[type_id] = value
        offers.offers.append(Offer(external_id, offer_name, _barcodes(element), prices))


class _DtdRefused(Exception):
    pass


def _events(stream: BinaryIO) -> Iterator[tuple[str, ET.Element]]:
    """Start and end events of the stream, refusing a DTD before the parser sees it (a DTD can only
    stand before the root element: only the bytes up to it are looked at)."""
    parser = ET.XMLPullParser(events=("start", "end"))
    rooted, tail = False, b""
    while chunk := stream.read(CHUNK):
        if not rooted:
            seen = tail + chunk
            if any(mark in seen for mark in _DTD_MARKS):
                raise _DtdRefused()
            tail = seen[-32:]
        parser.feed(chunk)
        for event in parser.read_events():
            rooted = True
            yield event
    parser.close()
    yield from parser.read_events()


def _child(element: ET.Element | None, name: str) -> ET.Element | None:
    if element is None:
        return None
    for child in element:
        if local(child.tag) == name:
            return child
    return None


def _children(element: ET.Element | None, name: str) -> Iterator[ET.Element]:
    if element is not None:
        for child in element:
            if local(child.tag) == name:
                yield child


def _text(element: ET.Element | None, name: str) -> str | None:
    """The trimmed text of the child `name`, None when it is absent, "" when it is empty."""
    child = _child(element, name)
    return None if child is None else _SPACES.sub(" ", child.text or "").strip()


def _requisites(element: ET.Element) -> dict[str, str]:
    """ЗначенияРеквизитов by lower-case name."""
    return {(_text(value, "Наименование") or "").lower(): _text(value, "Значение") or ""
            for value in _children(_child(element, "ЗначенияРеквизитов"), "ЗначениеРеквизита")}


def _split_barcodes(text: str) -> list[str]:
    return [code for code in re.split(r"[,;\s]+", text) if code]


def _barcodes(element: ET.Element) -> list[str]:
    codes: list[str] = []
    for child in _children(element, "Штрихкод"):
        codes += [code for code in _split_barcodes(child.text or "") if code not in codes]
    return codes


def _unit(element: ET.Element | None) -> Unit | None:
    if element is None:
        return None
    code = (element.get("Код") or "").strip()
    if code in _OKEI_UNITS:
        return _OKEI_UNITS[code]
    return _UNIT_NAMES.get((element.text or element.get("НаименованиеКраткое") or "").strip().lower().rstrip("."))


def _vat(element: ET.Element, requisites: dict[str, str]) -> VatRate | None:
    for rate in _children(_child(element, "СтавкиНалогов"), "СтавкаНалога"):
        if (_text(rate, "Наименование") or "").upper() == "НДС":
            return _VAT_RATES.get((_text(rate, "Ставка") or "").lower().rstrip("%").strip())
    written = requisites.get("ставкандс") or requisites.get("ставка ндс")
    return _VAT_RATES.get(written.lower().rstrip("%").strip()) if written else None


def chosen_price_type(price_types: list[PriceType], wanted: str = "") -> PriceType | None:
    """The price type whose prices go to the catalog: the one named `wanted`, else «Розничная…», else
    the first in roubles, else the first."""
    if wanted:
        return next((kind for kind in price_types if kind.name.lower() == wanted.strip().lower()), None)
    return (next((kind for kind in price_types if kind.name.lower().startswith("розничн")), None)
            or next((kind for kind in price_types if kind.in_rubles), None)
            or (price_types[0] if price_types else None))
