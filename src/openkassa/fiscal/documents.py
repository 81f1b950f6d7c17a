"""The fiscal documents of ФФД 1.2 as frozen dataclasses that refuse what the format refuses.

Each document is split as the fiscal drive splits it (reference §2.0): what the cash register
supplies (the document's own fields) and what the drive adds (`DriveStamp`: FFD version, drive
serial, registration number, user, document number, date and time, fiscal sign, shift and receipt
numbers). A document without its stamp is a draft, as the register submits it; the drive returns it
with the stamp, complete (`draft.stamped(stamp)`).

Each class knows its form code (`FORM`), its requisites (`fields()`, in the drive's order: the stamp
first, then the rest) and its bytes (`to_bytes()`, `from_bytes()`, `from_fields()`);
`from_bytes(doc.to_bytes()) == doc`. `decode()` reads any of them by its form code.

Money is integer kopecks; quantities are integer thousandths; every refusal is an `InvalidDocument`
naming the requisite and the reason.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum, Flag
from typing import Any, ClassVar, Self, TypeVar

from openkassa.fiscal import requirements, tlv, unconfirmed
from openkassa.fiscal.arithmetic import line_amount, vat_of
from openkassa.fiscal.enums import (
    FFD_VERSION_1_2,
    CorrectionType,
    FormCode,
    ItemType,
    PaymentMethod,
    SettlementType,
    TaxSystem,
    Unit,
    VatRate,
)
from openkassa.fiscal.errors import InvalidDocument
from openkassa.fiscal.requirements import RECEIPT_VAT_TAGS, missing_requisite, tag_name
from openkassa.fiscal.tlv import Fields, Value

VLN6_MAX = 2**48 - 1  # sums of a receipt and its items: VLN ≤ 6 bytes
VLN8_MAX = 2**64 - 1  # counter sums: written in ≤ 6 bytes when they fit, read up to 8 (§1.4)
U32_MAX = 2**32 - 1
U16_MAX = 2**16 - 1
QUANTITY_MAX = 2**56 - 1  # 1023 is FVLN ≤ 8 bytes: one byte of decimals, seven of mantissa
MAX_ITEMS = 1000  # a receipt is ≤ 32768 bytes (§1.1); a minimal item takes about 30
TIME_MIN, TIME_MAX = datetime(1970, 1, 1), datetime(2106, 2, 7)  # what a U32 UnixTime holds

E = TypeVar("E", bound=Enum)
Extra = tuple[tuple[int, Value], ...]
"""Requisites a model keeps as they came (allowed by the table, not a field of the model)."""


# --- text -------------------------------------------------------------------------------------------

_CLOSE_EQUIVALENTS = str.maketrans({
    "«": '"', "»": '"', "„": '"', "“": '"', "”": '"', "‘": "'", "’": "'", "‚": "'",
    "—": "-", "–": "-", "‒": "-", "−": "-", "‐": "-", "‑": "-",
    "₽": "р.", "€": "EUR", "×": "x", "…": "...", "²": "2", "³": "3", "·": ".",
    "\u00a0": " ", "\u202f": " ", "\t": " ", "\n": " ", "\r": " ",
} | {chr(code): "?" for code in (*range(32), 127) if chr(code) not in "\t\n\r"})  # no control codes reach a printer


def printable(text: str) -> str:
    """The text as the drive can store it: CP866 only, other characters replaced by close equivalents.

    Quotes « » „ “ ” become ", dashes — – − become -, ₽ becomes «р.», € «EUR», × «x», … «...»,
    ² ³ become 2 3, a non-breaking space, a tab or a line break a space, other control codes «?»;
    a letter with a diacritic CP866 lacks loses the diacritic (é → e); anything else becomes «?».
    № and ё stay: CP866 has them. What it returns it keeps: `printable(printable(t)) == printable(t)`,
    so a document reads back from its bytes exactly as it was signed.
    """
    text = _close_equivalents(unicodedata.normalize("NFC", text))
    try:
        tlv.to_cp866(text)
        return text
    except UnicodeEncodeError:
        return _close_equivalents("".join(_printable_char(char) for char in text))


def _close_equivalents(text: str) -> str:
    if _HAS_EQUIVALENT.search(text):  # str.translate is slow, and most texts have nothing to replace
        return text.translate(_CLOSE_EQUIVALENTS)
    return text


_HAS_EQUIVALENT = re.compile("[" + "".join(re.escape(chr(code)) for code in _CLOSE_EQUIVALENTS) + "]")


def _printable_char(char: str) -> str:
    try:
        char.encode("cp866")
        return char
    except UnicodeEncodeError:
        base = unicodedata.normalize("NFKD", char).encode("cp866", errors="ignore").decode("cp866")
        return base or "?"


# --- value checks, each naming the requisite ----------------------------------------------------------


def _set(obj: object, name: str, value: object) -> None:
    """Normalise a field of a frozen dataclass in its __post_init__."""
    if obj.__dict__[name] is not value:
        object.__setattr__(obj, name, value)


def _whole(tag: int, value: object, maximum: int, what: str = "sum") -> int:
    if type(value) is not int:
        raise InvalidDocument(tag, f"{what} {tag} ({tag_name(tag)}) must be an integer, not {type(value).__name__}")
    if value < 0:
        raise InvalidDocument(tag, f"{what} {tag} ({tag_name(tag)}) must not be negative: {value}")
    if value > maximum:
        raise InvalidDocument(tag, f"{what} {tag} ({tag_name(tag)}) exceeds {maximum}: {value}")
    return value


def _sum(tag: int, value: object, maximum: int = VLN6_MAX) -> int:
    """A sum in kopecks, within the VLN range of its requisite."""
    return _whole(tag, value, maximum)


def _number(tag: int, value: object, maximum: int = U32_MAX, minimum: int = 0) -> int:
    """A count or a sequence number (U32 unless said otherwise)."""
    _whole(tag, value, maximum, "number")
    if value < minimum:
        raise InvalidDocument(tag, f"number {tag} ({tag_name(tag)}) must be at least {minimum}: {value}")
    return value


def _text(tag: int, value: object, max_length: int) -> str:
    """A non-empty text made printable, at most `max_length` characters (= CP866 bytes)."""
    if not isinstance(value, str):
        raise InvalidDocument(tag, f"{tag} ({tag_name(tag)}) must be text, not {type(value).__name__}")
    text = printable(value)
    if not text.strip():
        raise InvalidDocument(tag, f"{tag} ({tag_name(tag)}) must not be empty")
    if len(text) > max_length:
        raise InvalidDocument(tag, f"{tag} ({tag_name(tag)}) is {len(text)} characters, at most {max_length} allowed")
    return text


def _optional_text(tag: int, value: object, max_length: int) -> str | None:
    return None if value is None else _text(tag, value, max_length)


def _digits(tag: int, value: object, lengths: tuple[int, ...]) -> str:
    """A number written as digits (INN, drive serial, registration number), without padding."""
    if not isinstance(value, str):
        raise InvalidDocument(tag, f"{tag} ({tag_name(tag)}) must be a string of digits")
    value = value.strip()
    if not (value.isascii() and value.isdigit() and len(value) in lengths):
        allowed = " or ".join(map(str, lengths))
        raise InvalidDocument(tag, f"{tag} ({tag_name(tag)}) must be {allowed} digits: {value!r}")
    return value


def _inn(tag: int, value: object) -> str:
    return _digits(tag, value, (10, 12))


def _optional_inn(tag: int, value: object) -> str | None:
    return None if value is None else _inn(tag, value)


def _enum(tag: int, kind: type[E], value: object) -> E:
    if type(value) is kind and not issubclass(kind, Flag):
        return value  # the hot path: a member already
    try:
        member = kind(value)
    except (ValueError, TypeError):
        raise InvalidDocument(tag, f"unknown value {value!r} of {tag} ({tag_name(tag)})") from None
    if isinstance(member, Flag) and int(member) & ~int(_ALL_BITS[kind]):
        raise InvalidDocument(tag, f"unknown bits in {value!r} of {tag} ({tag_name(tag)})")
    return member


_ALL_BITS = {TaxSystem: sum(TaxSystem)}


def _flag(tag: int, value: object) -> bool:
    if not isinstance(value, bool):
        raise InvalidDocument(tag, f"{tag} ({tag_name(tag)}) must be true or false")
    return value


def _moment(tag: int, value: object) -> datetime:
    """A local date and time as the drive stores it: naive, to the second, within the UnixTime range."""
    if not isinstance(value, datetime):
        raise InvalidDocument(tag, f"{tag} ({tag_name(tag)}) must be a datetime")
    if value.tzinfo is not None:
        raise InvalidDocument(tag, f"{tag} ({tag_name(tag)}) is local time at the place of settlement: no time zone")
    if not TIME_MIN <= value < TIME_MAX:
        raise InvalidDocument(tag, f"{tag} ({tag_name(tag)}) is out of the UnixTime range: {value}")
    return value.replace(microsecond=0)


def _optional_moment(tag: int, value: object) -> datetime | None:
    return None if value is None else _moment(tag, value)


# --- reading requisites -----------------------------------------------------------------------------


class _Reader:
    """The requisites of one level, taken one by one; what nobody takes is kept as `rest()`."""

    def __init__(self, fields: Fields):
        self._fields = fields
        self._left: dict[int, list] = {}
        for tag, value in fields:
            self._left.setdefault(tag, []).append(value)

    def __contains__(self, tag: int) -> bool:
        return tag in self._left

    def take(self, tag: int, default: Any = None) -> Any:
        values = self._left.pop(tag, None)
        return default if values is None else values[0]

    def need(self, tag: int) -> Any:
        if tag not in self._left:
            raise missing_requisite(tag)
        return self.take(tag)

    def take_all(self, tag: int) -> list:
        return self._left.pop(tag, [])

    def rest(self) -> Extra:
        return tuple((tag, value) for tag, value in self._fields if tag in self._left)


def _check_extra(table: requirements.Table, extra: Extra, modeled: frozenset[int], where: str) -> Extra:
    if not extra:
        return ()
    extra = tuple((tag, value) for tag, value in extra)
    requirements.check_extra(table, list(extra), modeled, where)
    return extra


# --- the drive's part ---------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class DriveStamp:
    """What the fiscal drive adds to a document (§2.0): its identity, the numbering and the fiscal sign."""

    fn_serial: str  # 1041, 16 digits
    registration_number: str  # 1037, the register's 16-digit registration number
    user_inn: str  # 1018, 10 or 12 digits
    user: str  # 1048
    address: str  # 1009
    place: str  # 1187
    document_number: int  # 1040, from 1 over the drive's life
    date_time: datetime  # 1012, local time at the place of settlement
    fiscal_sign: bytes  # 1077, 6 bytes
    shift: int | None = None  # 1038, in every document but the registration report
    receipt_number: int | None = None  # 1042, in receipts and correction receipts only
    ffd_version: int = FFD_VERSION_1_2  # 1209

    def __post_init__(self) -> None:
        _set(self, "fn_serial", _digits(1041, self.fn_serial, (16,)))
        _set(self, "registration_number", _digits(1037, self.registration_number, (16,)))
        _set(self, "user_inn", _inn(1018, self.user_inn))
        _set(self, "user", _text(1048, self.user, 256))
        _set(self, "address", _text(1009, self.address, 256))
        _set(self, "place", _text(1187, self.place, 256))
        _number(1040, self.document_number, minimum=1)
        _set(self, "date_time", _moment(1012, self.date_time))
        if not isinstance(self.fiscal_sign, bytes) or len(self.fiscal_sign) != 6:
            raise InvalidDocument(1077, "the fiscal sign 1077 (ФПД) is exactly 6 bytes")
        if self.shift is not None:
            _number(1038, self.shift, minimum=1)
        if self.receipt_number is not None:
            _number(1042, self.receipt_number, minimum=1)
        _number(1209, self.ffd_version, maximum=255)

    @property
    def fiscal_sign_printed(self) -> int:
        """The ФП as printed and put in the QR code: bytes 3–6 of 1077 as a big-endian number (§4.1)."""
        return int.from_bytes(self.fiscal_sign[2:6], "big")

    def fields(self) -> Fields:
        """The drive's requisites in its order (§2.0), then the registration details it copies."""
        fields: Fields = [
            (1209, self.ffd_version),
            (1041, self.fn_serial),
            (1037, self.registration_number),
            (1018, self.user_inn),
            (1040, self.document_number),
            (1012, self.date_time),
            (1077, self.fiscal_sign),
        ]
        if self.shift is not None:
            fields.append((1038, self.shift))
        if self.receipt_number is not None:
            fields.append((1042, self.receipt_number))
        fields += [(1048, self.user), (1009, self.address), (1187, self.place)]
        return fields

    @classmethod
    def _read(cls, reader: _Reader) -> DriveStamp:
        return cls(
            ffd_version=reader.need(1209),
            fn_serial=reader.need(1041),
            registration_number=reader.need(1037),
            user_inn=reader.need(1018),
            document_number=reader.need(1040),
            date_time=reader.need(1012),
            fiscal_sign=reader.need(1077),
            shift=reader.take(1038),
            receipt_number=reader.take(1042),
            # O in receipts (§2.3), but the drive always copies them from its registration
            user=reader.need(1048),
            address=reader.need(1009),
            place=reader.need(1187),
        )


@dataclass(frozen=True, kw_only=True)
class DriveFlags:
    """1050–1053, the warnings the drive raises in shift reports (§5). Written only when set."""

    keys_expiring: bool = False  # 1050: fewer than 30 days of FP keys left
    replace_urgently: bool = False  # 1051: fewer than 3 days left
    memory_full: bool = False  # 1052: archive more than 99 % full
    ofd_timeout: bool = False  # 1053: an OFD acknowledgement is overdue

    _TAGS: ClassVar[dict[str, int]] = {
        "ofd_timeout": 1053, "replace_urgently": 1051, "memory_full": 1052, "keys_expiring": 1050,
    }

    def __post_init__(self) -> None:
        for name, tag in self._TAGS.items():
            _flag(tag, getattr(self, name))

    def fields(self) -> Fields:
        # The yandex schema allows only 1 and the printed form omits a 0 (§2.5): write the set ones.
        return [(tag, True) for name, tag in self._TAGS.items() if getattr(self, name)]

    @classmethod
    def _read(cls, reader: _Reader) -> DriveFlags:
        return cls(**{name: bool(reader.take(tag, False)) for name, tag in cls._TAGS.items()})


# --- counters ---------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class OperationCounters:
    """The totals of one settlement type (1129–1132, or 1145/1146/1232/1233 without VAT; §2.5, §5)."""

    count: int = 0  # 1135
    cash: int = 0  # 1136
    electronic: int = 0  # 1138
    advance: int = 0  # 1218
    credit: int = 0  # 1219
    other: int = 0  # 1220
    total: int = 0  # 1201
    vat_20: int = 0  # 1139
    vat_10: int = 0  # 1140
    vat_20_120: int = 0  # 1141
    vat_10_110: int = 0  # 1142
    turnover_vat_0: int = 0  # 1143
    turnover_no_vat: int = 0  # 1183

    SUMS: ClassVar[dict[str, int]] = {
        "cash": 1136, "electronic": 1138, "advance": 1218, "credit": 1219, "other": 1220,
        "total": 1201, "vat_20": 1139, "vat_10": 1140, "vat_20_120": 1141, "vat_10_110": 1142,
        "turnover_vat_0": 1143, "turnover_no_vat": 1183,
    }
    VAT_SUMS: ClassVar[tuple[str, ...]] = ("vat_20", "vat_10", "vat_20_120", "vat_10_110", "turnover_vat_0", "turnover_no_vat")

    def __post_init__(self) -> None:
        _number(1135, self.count)
        for name, tag in self.SUMS.items():
            _sum(tag, getattr(self, name), VLN8_MAX)
        tenders = self.cash + self.electronic + self.advance + self.credit + self.other
        if tenders != self.total:
            raise InvalidDocument(1201, f"grand total 1201 = {self.total} differs from its payments 1136+1138+1218+1219+1220 = {tenders}")
        if sum(getattr(self, name) for name in self.VAT_SUMS) > self.total:
            raise InvalidDocument(1201, "VAT sums and VAT-free turnover 1139–1143, 1183 exceed the grand total 1201")
        if self.count == 0 and self.total:
            raise InvalidDocument(1135, "totals without a single receipt (1135 = 0)")

    @property
    def empty(self) -> bool:
        return self == OperationCounters()

    def fields(self) -> Fields:
        """1135 always, each sum only when it is not zero (see requirements.COUNTERS)."""
        return [(1135, self.count)] + [(tag, getattr(self, name)) for name, tag in self.SUMS.items() if getattr(self, name)]

    @classmethod
    def from_fields(cls, fields: Fields) -> OperationCounters:
        reader = _Reader(fields)
        return cls(count=reader.need(1135), **{name: reader.take(tag, 0) for name, tag in cls.SUMS.items()})


@dataclass(frozen=True, kw_only=True)
class CorrectionCounters:
    """1133 correction receipt totals, or 1158 totals of documents the OFD has not acknowledged (§2.5, §2.7)."""

    count: int = 0  # 1144
    sale: OperationCounters = field(default_factory=OperationCounters)  # 1145
    sale_return: OperationCounters = field(default_factory=OperationCounters)  # 1232
    purchase: OperationCounters = field(default_factory=OperationCounters)  # 1146
    purchase_return: OperationCounters = field(default_factory=OperationCounters)  # 1233

    PARTS: ClassVar[dict[str, int]] = {"sale": 1145, "sale_return": 1232, "purchase": 1146, "purchase_return": 1233}

    def __post_init__(self) -> None:
        _number(1144, self.count)
        for name, tag in self.PARTS.items():
            part = getattr(self, name)
            if not isinstance(part, OperationCounters):
                raise InvalidDocument(tag, f"{tag} ({tag_name(tag)}) must be OperationCounters")
            for vat_name in OperationCounters.VAT_SUMS:
                if getattr(part, vat_name):
                    vat_tag = OperationCounters.SUMS[vat_name]
                    raise InvalidDocument(vat_tag, f"correction counters {tag} hold no VAT sums ({vat_tag})")
        counted = sum(getattr(self, name).count for name in self.PARTS)
        if counted != self.count:
            raise InvalidDocument(1144, f"count 1144 = {self.count} differs from the sum of its parts 1135 = {counted}")

    @property
    def empty(self) -> bool:
        return self == CorrectionCounters()

    def fields(self) -> Fields:
        return [(1144, self.count)] + [
            (tag, getattr(self, name).fields()) for name, tag in self.PARTS.items() if not getattr(self, name).empty
        ]

    @classmethod
    def from_fields(cls, fields: Fields) -> CorrectionCounters:
        reader = _Reader(fields)
        parts = {name: OperationCounters.from_fields(reader.take(tag, [(1135, 0)])) for name, tag in cls.PARTS.items()}
        return cls(count=reader.need(1144), **parts)


@dataclass(frozen=True, kw_only=True)
class Counters:
    """1194 shift totals or 1157 drive lifetime totals (§2.5, §5); the drive computes them."""

    count: int = 0  # 1134: receipts and correction receipts of all types
    sale: OperationCounters = field(default_factory=OperationCounters)  # 1129
    sale_return: OperationCounters = field(default_factory=OperationCounters)  # 1130
    purchase: OperationCounters = field(default_factory=OperationCounters)  # 1131
    purchase_return: OperationCounters = field(default_factory=OperationCounters)  # 1132
    corrections: CorrectionCounters = field(default_factory=CorrectionCounters)  # 1133

    PARTS: ClassVar[dict[str, int]] = {"sale": 1129, "sale_return": 1130, "purchase": 1131, "purchase_return": 1132}

    def __post_init__(self) -> None:
        _number(1134, self.count)
        for name, tag in self.PARTS.items():
            if not isinstance(getattr(self, name), OperationCounters):
                raise InvalidDocument(tag, f"{tag} ({tag_name(tag)}) must be OperationCounters")
        if not isinstance(self.corrections, CorrectionCounters):
            raise InvalidDocument(1133, "1133 must be CorrectionCounters")
        counted = sum(getattr(self, name).count for name in self.PARTS) + self.corrections.count
        if counted != self.count:
            raise InvalidDocument(1134, f"count 1134 = {self.count} differs from 1135 of 1129–1132 plus 1144 of 1133 = {counted}")

    def fields(self) -> Fields:
        """1134 always; a settlement type's counters only when they hold something."""
        fields: Fields = [(1134, self.count)]
        fields += [(tag, getattr(self, name).fields()) for name, tag in self.PARTS.items() if not getattr(self, name).empty]
        if not self.corrections.empty:
            fields.append((1133, self.corrections.fields()))
        return fields

    @classmethod
    def from_fields(cls, fields: Fields) -> Counters:
        reader = _Reader(fields)
        parts = {name: OperationCounters.from_fields(reader.take(tag, [(1135, 0)])) for name, tag in cls.PARTS.items()}
        corrections = CorrectionCounters.from_fields(reader.take(1133, [(1144, 0)]))
        return cls(count=reader.need(1134), corrections=corrections, **parts)


# --- items ----------------------------------------------------------------------------------------


def _quantity_value(thousandths: int) -> Decimal:
    """Thousandths as the FVLN decimal with the fewest decimals (2500 → 2.5, 10000 → 10)."""
    value = Decimal(thousandths).scaleb(-3).normalize()
    return value.quantize(Decimal(1)) if value.as_tuple().exponent > 0 else value


def _quantity_thousandths(value: object) -> int:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise InvalidDocument(1023, "quantity 1023 must be a decimal number")
    thousandths = value.scaleb(3)
    if thousandths != thousandths.to_integral_value():
        raise InvalidDocument(1023, f"quantity 1023 has more than 3 decimals: {value}")
    return int(thousandths)


@dataclass(frozen=True, kw_only=True, init=False)  # __init__ below
class Item:
    """1059 предмет расчёта: one line of a receipt (§2.4).

    `price` (1079) and `amount` (1043) are kopecks after discounts, `quantity` (1023) thousandths of
    the `unit`. A line's amount may be less than price × quantity (a receipt discount spread over the
    lines) but not more; `vat_amount` (1200) is the VAT included in `amount` at `vat` (1199).
    """

    name: str  # 1030, ≤ 128 characters
    price: int  # 1079
    quantity: int  # 1023, thousandths
    amount: int  # 1043
    vat: VatRate  # 1199
    vat_amount: int  # 1200
    payment_method: PaymentMethod = PaymentMethod.FULL_PAYMENT  # 1214
    item_type: ItemType = ItemType.GOODS  # 1212
    unit: Unit = Unit.PIECE  # 2108
    extra: Extra = ()  # agent and supplier data, product codes, 1191 …

    MODELED: ClassVar[frozenset[int]] = frozenset({1030, 1079, 1023, 1043, 1199, 1200, 1214, 1212, 2108})

    def __init__(self, *, name: str, price: int, quantity: int, amount: int, vat: VatRate, vat_amount: int,
                 payment_method: PaymentMethod = PaymentMethod.FULL_PAYMENT, item_type: ItemType = ItemType.GOODS,
                 unit: Unit = Unit.PIECE, extra: Extra = ()) -> None:
        # The __init__ @dataclass writes for a frozen class sets each field through object.__setattr__:
        # that was a third of building an item, and a receipt builds hundreds. This one fills the
        # instance's dict at once. Its parameters are the fields above (test_documents checks it).
        vars(self).update(name=name, price=price, quantity=quantity, amount=amount, vat=vat, vat_amount=vat_amount,
                          payment_method=payment_method, item_type=item_type, unit=unit, extra=extra)
        self.__post_init__()

    def __post_init__(self) -> None:
        _set(self, "name", _text(1030, self.name, 128))
        # A receipt builds its items one by one (a hundred in well under a millisecond): what a register
        # passes, sums in range and enum members, takes this one test. Anything else is checked field by
        # field, which names the first requisite at fault and turns plain numbers into enum members.
        price, quantity, amount, vat_amount = self.price, self.quantity, self.amount, self.vat_amount
        if not (type(price) is int and 0 <= price <= VLN6_MAX
                and type(quantity) is int and 1 <= quantity <= QUANTITY_MAX
                and type(amount) is int and 0 <= amount <= VLN6_MAX
                and type(vat_amount) is int and 0 <= vat_amount <= VLN6_MAX
                and type(self.vat) is VatRate and type(self.payment_method) is PaymentMethod
                and type(self.item_type) is ItemType and type(self.unit) is Unit):
            self._check_one_by_one()
        full = line_amount(self.price, self.quantity)
        if self.amount > full:
            raise InvalidDocument(1043, f"item amount 1043 = {self.amount} exceeds price × quantity = {full}")
        expected_vat = vat_of(self.amount, self.vat)
        if self.vat_amount != expected_vat:
            raise InvalidDocument(1200, f"item VAT 1200 = {self.vat_amount}, but {self.vat.label} of {self.amount} is {expected_vat}")
        if self.extra != ():  # most items have none
            _set(self, "extra", _check_extra(requirements.ITEM, self.extra, self.MODELED, "an item (1059)"))

    def _check_one_by_one(self) -> None:
        """Refuse the first field out of range, in the order of the fields; make plain numbers enum members."""
        _sum(1079, self.price)
        _number(1023, self.quantity, QUANTITY_MAX, minimum=1)
        _sum(1043, self.amount)
        _set(self, "vat", _enum(1199, VatRate, self.vat))
        _sum(1200, self.vat_amount)
        _set(self, "payment_method", _enum(1214, PaymentMethod, self.payment_method))
        _set(self, "item_type", _enum(1212, ItemType, self.item_type))
        _set(self, "unit", _enum(2108, Unit, self.unit))

    def fields(self) -> Fields:
        return [  # the order _tlv writes
            (1214, int(self.payment_method)),
            (1212, int(self.item_type)),
            (1030, self.name),
            (2108, int(self.unit)),
            (1079, self.price),
            (1023, _quantity_value(self.quantity)),
            (1199, int(self.vat)),
            (1200, self.vat_amount),
            (1043, self.amount),
            *self.extra,
        ]

    def _tlv(self) -> bytes:
        """The item's whole 1059 TLV, as `tlv.encode_fields([(1059, self.fields())])` writes it, faster:
        the enum requisites are looked up whole, and the quantity goes from thousandths to its bytes
        without the Decimal of `fields()`."""
        return tlv.encode_structure(1059, b"".join((
            _PAYMENT_METHOD_TLVS[self.payment_method],
            _ITEM_TYPE_TLVS[self.item_type],
            _write_name(self.name),
            _UNIT_TLVS[self.unit],
            _write_price(self.price),
            tlv.encode_quantity(self.quantity),
            _VAT_TLVS[self.vat],
            _write_vat_amount(self.vat_amount),
            _write_amount(self.amount),
            tlv.encode_fields(list(self.extra)) if self.extra else b"",
        )))

    @classmethod
    def from_fields(cls, fields: Fields) -> Item:
        reader = _Reader(fields)
        # 1214 and 1212 absent are read as full payment and goods (§2.4, UNCONFIRMED); 2108 as pieces.
        return cls(
            payment_method=reader.take(1214, PaymentMethod.FULL_PAYMENT),
            item_type=reader.take(1212, ItemType.GOODS),
            name=reader.need(1030),
            unit=reader.take(2108, Unit.PIECE),
            price=reader.need(1079),
            quantity=_quantity_thousandths(reader.need(1023)),
            vat=reader.need(1199),
            vat_amount=reader.need(1200),
            amount=reader.need(1043),
            extra=reader.rest(),
        )


def _byte_tlvs(tag: int) -> tuple[bytes, ...]:
    """The whole TLVs of a one-byte requisite, by value: an enum member picks its own (a list index takes an IntEnum)."""
    write = tlv.writer(tag)
    return tuple(write(value) for value in range(256))


_PAYMENT_METHOD_TLVS, _ITEM_TYPE_TLVS, _UNIT_TLVS, _VAT_TLVS = map(_byte_tlvs, (1214, 1212, 2108, 1199))
_write_name, _write_price, _write_vat_amount, _write_amount = map(tlv.writer, (1030, 1079, 1200, 1043))


# --- documents ------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class _Document:
    """What every fiscal document has: its form, the drive's stamp once signed, requisites kept as they are."""

    stamp: DriveStamp | None = None
    extra: Extra = ()

    FORM: ClassVar[FormCode]
    FORMS: ClassVar[tuple[FormCode, ...]]  # the form codes this class reads
    MODELED: ClassVar[frozenset[int]]  # the requisites that are fields of the class

    def __post_init__(self) -> None:
        table = requirements.FORMS[self.form]
        if self.stamp is not None:
            self._check_stamp(self.stamp)
        modeled = self.MODELED | requirements.DRIVE_TAGS
        _set(self, "extra", _check_extra(table, self.extra, modeled, f"form {self.form}"))

    def _check_stamp(self, stamp: object) -> None:
        """Refuse a stamp that is not a DriveStamp, or whose 1038/1042 the form's table refuses or requires."""
        if not isinstance(stamp, DriveStamp):
            raise InvalidDocument(None, "the stamp must be a DriveStamp")
        table = requirements.FORMS[self.form]
        for tag, value in ((1038, stamp.shift), (1042, stamp.receipt_number)):
            if value is not None and tag not in table:
                raise InvalidDocument(tag, f"requisite {tag} ({tag_name(tag)}) is not allowed in form {self.form}")
            if value is None and tag in table and table[tag].obligation is requirements.M:
                raise missing_requisite(tag)

    def stamped(self, stamp: DriveStamp) -> Self:
        """The same document as signed by the drive: the body was validated when the draft was built (it is frozen), so only the stamp is checked against the form.

        Equal to `dataclasses.replace(self, stamp=stamp)`, without checking the body again. The draft's
        bytes are written here once and shared by every document stamped from it.
        """
        if self.stamp is not None:
            raise InvalidDocument(None, "the document is signed already: a drive stamps only a draft")
        self._check_stamp(stamp)
        # The drive signs the bytes of the stamped document, and may stamp a draft more than once (to
        # sign it, then with the sign): the draft's own bytes are written here, once, for all of them.
        self._encoded_body()
        # A copy that skips __init__: every field but the stamp is the draft's own, already checked.
        document = object.__new__(type(self))
        document.__dict__.update(self.__dict__)
        object.__setattr__(document, "stamp", stamp)
        return document

    @property
    def form(self) -> FormCode:
        return self.FORM

    @property
    def complete(self) -> bool:
        """True once the drive has stamped (numbered and signed) the document; a draft otherwise."""
        return self.stamp is not None

    def fields(self) -> Fields:
        """The requisites in the drive's order: the stamp first, the register's part, then the extras."""
        stamp = self.stamp.fields() if self.stamp is not None else []
        return stamp + self._body() + list(self.extra)

    def to_bytes(self) -> bytes:
        """`tlv.encode_document(self.form, self.fields())`, with the body written once (see `_encoded_body`)."""
        stamp = b"" if self.stamp is None else tlv.encode_fields(self.stamp.fields())
        return tlv.wrap_document(self.form, stamp + self._encoded_body())

    def _encoded_body(self) -> bytes:
        """The TLV bytes of everything but the stamp, written at the first call and kept (a document is
        frozen); a stamped copy of a draft shares the draft's (`stamped`)."""
        data = self.__dict__.get("_encoded")
        if data is None:
            data = self._encode_body()
            self.__dict__["_encoded"] = data  # not a field: frozen, equality and repr ignore it
        return data

    def _encode_body(self) -> bytes:
        return tlv.encode_fields(self._body() + list(self.extra))

    @classmethod
    def from_fields(cls, fields: Fields, form: int | None = None) -> Self:
        """Read a document from its requisites (a draft if none of the drive's is there)."""
        form = cls.FORM if form is None else form
        if form not in cls.FORMS:
            raise InvalidDocument(None, f"form {form} is not a {cls.__name__}")
        draft = not any(tag in requirements.DRIVE_TAGS for tag, _ in fields)
        requirements.check(form, fields, draft=draft)
        reader = _Reader(fields)
        stamp = None if draft else DriveStamp._read(reader)
        body = cls._read_body(reader, FormCode(form))
        return cls(stamp=stamp, **body, extra=reader.rest())

    @classmethod
    def from_bytes(cls, data: bytes) -> Self:
        form, fields = tlv.decode_document(data)
        return cls.from_fields(fields, form)

    def _body(self) -> Fields:
        raise NotImplementedError

    @classmethod
    def _read_body(cls, reader: _Reader, form: FormCode) -> dict[str, Any]:
        raise NotImplementedError


def _cashier_fields(cashier: str | None, cashier_inn: str | None) -> Fields:
    fields: Fields = []
    if cashier is not None:
        fields.append((1021, cashier))
    if cashier_inn is not None:
        fields.append((1203, cashier_inn))
    return fields


@dataclass(frozen=True, kw_only=True)
class _Settlement(_Document):
    """The part common to a receipt and a correction receipt (§2.3, §2.8).

    Receipt-level VAT (1102–1107) is not a field: it is Σ 1200 (Σ 1043 for 0 % and no VAT) over the
    items of each rate, written for the rates the items use and checked when read. The rates of
    2025–2026 (5 %, 7 %, 5/105, 7/107, 22 %, 22/122) have no receipt-level requisite in the
    reference: their VAT is only in the items' 1200, unless `unconfirmed.RECEIPT_VAT_TAGS_NEW_RATES`
    names a tag for them.
    """

    settlement: SettlementType  # 1054
    tax_system: TaxSystem  # 1055, exactly one system
    items: tuple[Item, ...]  # 1059
    total: int  # 1020
    cash: int = 0  # 1031
    electronic: int = 0  # 1081
    advance: int = 0  # 1215
    credit: int = 0  # 1216
    other: int = 0  # 1217
    cashier: str | None = None  # 1021
    cashier_inn: str | None = None  # 1203
    buyer_contact: str | None = None  # 1008, phone or e-mail, when sent electronically
    sender_email: str | None = None  # 1117, with 1008
    fns_site: str | None = None  # 1060
    bso: bool = False  # form 4 / 41 instead of 3 / 31

    TENDERS: ClassVar[dict[str, int]] = {"cash": 1031, "electronic": 1081, "advance": 1215, "credit": 1216, "other": 1217}
    VAT_TAGS: ClassVar[dict[VatRate, int]] = RECEIPT_VAT_TAGS
    VAT_TAG_SET: ClassVar[frozenset[int]] = frozenset(RECEIPT_VAT_TAGS.values())
    TURNOVER_RATES: ClassVar[frozenset[VatRate]] = frozenset({VatRate.VAT_0, VatRate.NO_VAT})  # 1104/1105 are sums, not VAT

    def __post_init__(self) -> None:
        _set(self, "settlement", _enum(1054, SettlementType, self.settlement))
        _set(self, "tax_system", _enum(1055, TaxSystem, self.tax_system))
        if self.tax_system.bit_count() != 1:
            raise InvalidDocument(1055, f"a settlement applies exactly one taxation system (1055), not {self.tax_system!r}")
        if not isinstance(self.items, tuple | list) or not 1 <= len(self.items) <= MAX_ITEMS:
            raise InvalidDocument(1059, f"a receipt holds 1 to {MAX_ITEMS} items (1059)")
        _set(self, "items", tuple(self.items))
        for item in self.items:
            if not isinstance(item, Item):
                raise InvalidDocument(1059, f"an item (1059) must be an Item, not {type(item).__name__}")
        _sum(1020, self.total)
        items_total = sum(item.amount for item in self.items)
        if self.total != items_total:
            raise InvalidDocument(1020, f"total 1020 = {self.total} differs from the sum of the items 1043 = {items_total}")
        for name, tag in self.TENDERS.items():
            _sum(tag, getattr(self, name))
        paid = sum(getattr(self, name) for name in self.TENDERS)
        if paid != self.total:
            raise InvalidDocument(1031, f"payments 1031+1081+1215+1216+1217 = {paid} differ from the total 1020 = {self.total}")
        _set(self, "cashier", _optional_text(1021, self.cashier, 64))
        _set(self, "cashier_inn", _optional_inn(1203, self.cashier_inn))
        _set(self, "buyer_contact", _optional_text(1008, self.buyer_contact, 64))
        _set(self, "sender_email", _optional_text(1117, self.sender_email, 64))
        if (self.buyer_contact is None) != (self.sender_email is None):
            tag = 1117 if self.sender_email is None else 1008
            raise missing_requisite(tag, "when the receipt is sent electronically (1008 and 1117 go together)")
        _set(self, "fns_site", _optional_text(1060, self.fns_site, 256))
        if not isinstance(self.bso, bool):
            raise InvalidDocument(None, "bso is true (form 4 / 41) or false (form 3 / 31)")
        super().__post_init__()

    @property
    def vat_totals(self) -> dict[int, int]:
        """The receipt-level VAT requisites (tag → kopecks) for the rates the items use."""
        totals: dict[int, int] = {}
        vat_tags, turnover_rates = self.VAT_TAGS, self.TURNOVER_RATES
        for item in self.items:
            tag = vat_tags.get(item.vat)
            if tag is not None:
                added = item.amount if item.vat in turnover_rates else item.vat_amount
                totals[tag] = totals.get(tag, 0) + added
        return dict(sorted(totals.items()))

    def _body(self) -> Fields:
        before, after = self._around_items()
        return before + [(1059, item.fields()) for item in self.items] + after

    def _encode_body(self) -> bytes:
        # The items are most of a receipt: each writes its own TLV (Item._tlv), joined here.
        before, after = self._around_items()
        items = [item._tlv() for item in self.items]
        return b"".join((tlv.encode_fields(before), *items, tlv.encode_fields(after + list(self.extra))))

    def _around_items(self) -> tuple[Fields, Fields]:
        """What comes before the items (the document's own header, 1008) and after them (payments, VAT totals, contacts)."""
        before = self._header()
        if self.buyer_contact is not None:
            before.append((1008, self.buyer_contact))
        # All five tenders, zeros included: the FNS JSON requires them (§2.3).
        after: Fields = [(tag, getattr(self, name)) for name, tag in self.TENDERS.items()]
        after += list(self.vat_totals.items())
        if self.sender_email is not None:
            after.append((1117, self.sender_email))
        if self.fns_site is not None:
            after.append((1060, self.fns_site))
        return before, after

    def _header(self) -> Fields:
        raise NotImplementedError

    @classmethod
    def _read_settlement(cls, reader: _Reader, form: FormCode) -> dict[str, Any]:
        fields = dict(
            settlement=reader.need(1054),
            total=reader.need(1020),
            tax_system=reader.need(1055),  # O in §2.3, but 54-ФЗ prints it and a settlement has one
            cashier=reader.take(1021),
            cashier_inn=reader.take(1203),
            buyer_contact=reader.take(1008),
            items=tuple(Item.from_fields(item) for item in reader.take_all(1059)),
            sender_email=reader.take(1117),
            fns_site=reader.take(1060),
            bso=form in (FormCode.BSO, FormCode.BSO_CORRECTION),
            **{name: reader.take(tag, 0) for name, tag in cls.TENDERS.items()},
        )
        for tag in cls.VAT_TAGS.values():
            reader.take(tag)  # derived from the items; from_fields compares them
        return fields

    @classmethod
    def from_fields(cls, fields: Fields, form: int | None = None) -> Self:
        """Read the document; the receipt-level VAT sums it carries must match its items (§2.3)."""
        document = super().from_fields(fields, form)
        expected = document.vat_totals
        for tag, value in fields:
            if tag in cls.VAT_TAG_SET and value != expected.get(tag, 0):
                raise InvalidDocument(tag, f"{tag} ({tag_name(tag)}) = {value} differs from the sum over the items {expected.get(tag, 0)}")
        return document


@dataclass(frozen=True, kw_only=True)
class Receipt(_Settlement):
    """Кассовый чек, form 3, or бланк строгой отчётности, form 4 (`bso=True`) (§2.3)."""

    FORM: ClassVar[FormCode] = FormCode.RECEIPT
    FORMS: ClassVar[tuple[FormCode, ...]] = (FormCode.RECEIPT, FormCode.BSO)
    MODELED: ClassVar[frozenset[int]] = frozenset({
        1054, 1020, 1055, 1021, 1203, 1008, 1059, 1031, 1081, 1215, 1216, 1217, 1117, 1060,
        *_Settlement.VAT_TAGS.values(),
    })

    @property
    def form(self) -> FormCode:
        return FormCode.BSO if self.bso else FormCode.RECEIPT

    def _header(self) -> Fields:
        return [
            (1054, int(self.settlement)),
            (1020, self.total),
            (1055, int(self.tax_system)),
            *_cashier_fields(self.cashier, self.cashier_inn),
        ]

    @classmethod
    def _read_body(cls, reader: _Reader, form: FormCode) -> dict[str, Any]:
        return cls._read_settlement(reader, form)


@dataclass(frozen=True, kw_only=True)
class CorrectionReceipt(_Settlement):
    """Кассовый чек коррекции, form 31, or БСО коррекции, form 41 (`bso=True`) (§2.8).

    `corrected_date` is the date of the settlement being corrected (1178); `order_number` the tax
    authority's order (1179), required when the correction is made by order.
    """

    corrected_date: date  # 1178 in 1174
    correction_type: CorrectionType = CorrectionType.OWN_INITIATIVE  # 1173
    order_number: str | None = None  # 1179 in 1174

    FORM: ClassVar[FormCode] = FormCode.CORRECTION_RECEIPT
    FORMS: ClassVar[tuple[FormCode, ...]] = (FormCode.CORRECTION_RECEIPT, FormCode.BSO_CORRECTION)
    MODELED: ClassVar[frozenset[int]] = Receipt.MODELED | {1173, 1174}

    def __post_init__(self) -> None:
        _set(self, "correction_type", _enum(1173, CorrectionType, self.correction_type))
        if isinstance(self.corrected_date, datetime) or not isinstance(self.corrected_date, date):
            raise InvalidDocument(1178, "the date of the corrected settlement (1178) must be a date")
        if not TIME_MIN.date() <= self.corrected_date < TIME_MAX.date():
            raise InvalidDocument(1178, f"1178 is out of the UnixTime range: {self.corrected_date}")
        _set(self, "order_number", _optional_text(1179, self.order_number, 32))
        if self.correction_type is CorrectionType.BY_ORDER and self.order_number is None:
            raise missing_requisite(1179, "when the correction is made by order (1173 = 1)")
        super().__post_init__()

    @property
    def form(self) -> FormCode:
        return FormCode.BSO_CORRECTION if self.bso else FormCode.CORRECTION_RECEIPT

    def _header(self) -> Fields:
        basis: Fields = [(1178, datetime.combine(self.corrected_date, time()))]
        if self.order_number is not None:
            basis.append((1179, self.order_number))
        return [
            (1054, int(self.settlement)),
            (1020, self.total),
            (1055, int(self.tax_system)),
            *_cashier_fields(self.cashier, self.cashier_inn),
            (1173, int(self.correction_type)),
            (1174, basis),
        ]

    @classmethod
    def _read_body(cls, reader: _Reader, form: FormCode) -> dict[str, Any]:
        body = cls._read_settlement(reader, form)
        basis = _Reader(reader.need(1174))
        corrected = basis.need(1178)
        if not isinstance(corrected, datetime):
            raise InvalidDocument(1178, "the date of the corrected settlement (1178) must be a date")
        return body | {
            "correction_type": reader.take(1173, CorrectionType.OWN_INITIATIVE),
            "corrected_date": corrected.date(),
            "order_number": basis.take(1179),
        }


@dataclass(frozen=True, kw_only=True)
class RegistrationReport(_Document):
    """Отчёт о регистрации, form 1 (§2.1): the register's parameters as the drive records them."""

    kkt_serial: str  # 1013, the register's serial number
    kkt_version: str  # 1188
    cashier: str  # 1021
    tax_systems: TaxSystem  # 1062, the registered set
    key_resource_days: int  # 1213, days until the FP keys expire
    usage_conditions: int = 0  # 1290, bit mask (§3.10)
    offline: bool = False  # 1002
    encryption: bool = False  # 1056
    automatic: bool = False  # 1001
    machine_number: str | None = None  # 1036, required in automatic mode
    cashier_inn: str | None = None  # 1203
    ofd_inn: str | None = None  # 1017, required online
    ofd_name: str | None = None  # 1046, required online
    fns_site: str | None = None  # 1060
    sender_email: str | None = None  # 1117
    kkt_ffd_version: int = FFD_VERSION_1_2  # 1189
    fn_ffd_version: int = FFD_VERSION_1_2  # 1190

    FORM: ClassVar[FormCode] = FormCode.REGISTRATION
    FORMS: ClassVar[tuple[FormCode, ...]] = (FormCode.REGISTRATION,)
    MODELED: ClassVar[frozenset[int]] = frozenset({
        1062, 1002, 1056, 1001, 1036, 1290, 1013, 1021, 1203, 1060, 1117, 1017, 1046, 1188, 1189, 1190, 1213,
    })

    def __post_init__(self) -> None:
        _set(self, "kkt_serial", _text(1013, self.kkt_serial, 20))
        _set(self, "kkt_version", _text(1188, self.kkt_version, 8))
        _set(self, "cashier", _text(1021, self.cashier, 64))
        _set(self, "tax_systems", _enum(1062, TaxSystem, self.tax_systems))
        if not self.tax_systems:
            raise InvalidDocument(1062, "a register is registered for at least one taxation system (1062)")
        _number(1213, self.key_resource_days, U16_MAX)
        _number(1290, self.usage_conditions)
        for tag, name in ((1002, "offline"), (1056, "encryption"), (1001, "automatic")):
            _flag(tag, getattr(self, name))
        _set(self, "machine_number", _optional_text(1036, self.machine_number, 20))
        if self.automatic and self.machine_number is None:
            raise missing_requisite(1036, "when the automatic-mode flag 1001 is set")
        _set(self, "cashier_inn", _optional_inn(1203, self.cashier_inn))
        _set(self, "ofd_inn", _optional_inn(1017, self.ofd_inn))
        _set(self, "ofd_name", _optional_text(1046, self.ofd_name, 256))
        if not self.offline and (self.ofd_inn is None or self.ofd_name is None):
            raise missing_requisite(1017 if self.ofd_inn is None else 1046, "when the register is online (1002 = 0)")
        _set(self, "fns_site", _optional_text(1060, self.fns_site, 256))
        _set(self, "sender_email", _optional_text(1117, self.sender_email, 64))
        _number(1189, self.kkt_ffd_version, 255)
        _number(1190, self.fn_ffd_version, 255)
        super().__post_init__()

    def _body(self) -> Fields:
        optional = [
            (1036, self.machine_number), (1203, self.cashier_inn), (1060, self.fns_site),
            (1117, self.sender_email), (1017, self.ofd_inn), (1046, self.ofd_name),
        ]
        return [
            (1062, int(self.tax_systems)),
            (1002, self.offline),
            (1056, self.encryption),
            (1001, self.automatic),
            (1290, self.usage_conditions),
            (1013, self.kkt_serial),
            (1021, self.cashier),
            *[(tag, value) for tag, value in optional if value is not None],
            (1188, self.kkt_version),
            (1189, self.kkt_ffd_version),
            (1190, self.fn_ffd_version),
            (1213, self.key_resource_days),
        ]

    @classmethod
    def _read_body(cls, reader: _Reader, form: FormCode) -> dict[str, Any]:
        return dict(
            tax_systems=reader.need(1062),  # O in §2.1; a register without one could sell nothing
            offline=reader.need(1002),
            encryption=reader.need(1056),
            automatic=reader.need(1001),
            usage_conditions=reader.need(1290),
            kkt_serial=reader.need(1013),
            cashier=reader.need(1021),
            machine_number=reader.take(1036),
            cashier_inn=reader.take(1203),
            fns_site=reader.take(1060),
            sender_email=reader.take(1117),
            ofd_inn=reader.take(1017),
            ofd_name=reader.take(1046),
            kkt_version=reader.need(1188),
            kkt_ffd_version=reader.need(1189),
            fn_ffd_version=reader.need(1190),
            key_resource_days=reader.need(1213),
        )


@dataclass(frozen=True, kw_only=True)
class ShiftOpenReport(_Document):
    """Отчёт об открытии смены, form 2 (§2.2)."""

    kkt_version: str  # 1188
    kkt_ffd_version: int = FFD_VERSION_1_2  # 1189
    cashier: str | None = None  # 1021
    cashier_inn: str | None = None  # 1203
    flags: DriveFlags = field(default_factory=DriveFlags)  # 1050–1053
    operator_message: int | None = None  # 1206, bit mask (§3.13)

    FORM: ClassVar[FormCode] = FormCode.SHIFT_OPEN
    FORMS: ClassVar[tuple[FormCode, ...]] = (FormCode.SHIFT_OPEN,)
    MODELED: ClassVar[frozenset[int]] = frozenset({1188, 1189, 1021, 1203, 1050, 1051, 1052, 1053, 1206})

    def __post_init__(self) -> None:
        _set(self, "kkt_version", _text(1188, self.kkt_version, 8))
        _number(1189, self.kkt_ffd_version, 255)
        _set(self, "cashier", _optional_text(1021, self.cashier, 64))
        _set(self, "cashier_inn", _optional_inn(1203, self.cashier_inn))
        if not isinstance(self.flags, DriveFlags):
            raise InvalidDocument(1050, "flags 1050–1053 must be DriveFlags")
        if self.operator_message is not None:
            _number(1206, self.operator_message, 255)
        super().__post_init__()

    def _body(self) -> Fields:
        fields = _cashier_fields(self.cashier, self.cashier_inn) + self.flags.fields()
        if self.operator_message is not None:
            fields.append((1206, self.operator_message))
        return fields + [(1188, self.kkt_version), (1189, self.kkt_ffd_version)]

    @classmethod
    def _read_body(cls, reader: _Reader, form: FormCode) -> dict[str, Any]:
        return dict(
            cashier=reader.take(1021),
            cashier_inn=reader.take(1203),
            flags=DriveFlags._read(reader),
            operator_message=reader.take(1206),
            kkt_version=reader.need(1188),
            kkt_ffd_version=reader.need(1189),
        )


def _unsent(unsent_count: int, first_unsent_date: datetime | None) -> datetime | None:
    """1097 and 1098 agree: a first unsent date exactly when documents await the OFD."""
    _number(1097, unsent_count)
    first_unsent_date = _optional_moment(1098, first_unsent_date)
    if unsent_count and first_unsent_date is None:
        raise missing_requisite(1098, "when documents await the OFD (1097 > 0)")
    if not unsent_count and first_unsent_date is not None:
        raise InvalidDocument(1098, "a first unsent document's date (1098) without unsent documents (1097 = 0)")
    return first_unsent_date


def _counters(tag: int, value: object, kind: type = Counters) -> None:
    if not isinstance(value, kind):
        raise InvalidDocument(tag, f"{tag} ({tag_name(tag)}) must be {kind.__name__}")


@dataclass(frozen=True, kw_only=True)
class ShiftCloseReport(_Document):
    """Отчёт о закрытии смены, form 5 (§2.5), with the shift's and the drive's totals."""

    receipts_count: int  # 1118: receipts and corrections of the shift = its last 1042
    documents_count: int  # 1111: fiscal documents of the shift
    shift_totals: Counters  # 1194
    lifetime_totals: Counters  # 1157
    key_resource_days: int  # 1213
    unsent_count: int = 0  # 1097
    first_unsent_date: datetime | None = None  # 1098
    cashier: str | None = None  # 1021
    cashier_inn: str | None = None  # 1203
    flags: DriveFlags = field(default_factory=DriveFlags)  # 1050–1053
    operator_message: int | None = None  # 1206

    FORM: ClassVar[FormCode] = FormCode.SHIFT_CLOSE
    FORMS: ClassVar[tuple[FormCode, ...]] = (FormCode.SHIFT_CLOSE,)
    MODELED: ClassVar[frozenset[int]] = frozenset({
        1118, 1111, 1194, 1157, 1213, 1097, 1098, 1021, 1203, 1050, 1051, 1052, 1053, 1206,
    })

    def __post_init__(self) -> None:
        _number(1118, self.receipts_count)
        _number(1111, self.documents_count)
        _counters(1194, self.shift_totals)
        _counters(1157, self.lifetime_totals)
        _number(1213, self.key_resource_days, U16_MAX)
        _set(self, "first_unsent_date", _unsent(self.unsent_count, self.first_unsent_date))
        _set(self, "cashier", _optional_text(1021, self.cashier, 64))
        _set(self, "cashier_inn", _optional_inn(1203, self.cashier_inn))
        if not isinstance(self.flags, DriveFlags):
            raise InvalidDocument(1050, "flags 1050–1053 must be DriveFlags")
        if self.operator_message is not None:
            _number(1206, self.operator_message, 255)
        if self.shift_totals.count != self.receipts_count:
            raise InvalidDocument(1118, f"receipts of the shift 1118 = {self.receipts_count} differ from its counters 1134 = {self.shift_totals.count}")
        reports = 2 if unconfirmed.SHIFT_DOCUMENT_COUNT_INCLUDES_REPORTS else 0
        if self.documents_count < self.receipts_count + reports:
            raise InvalidDocument(1111, f"documents of the shift 1111 = {self.documents_count} are fewer than its receipts and reports")
        if self.lifetime_totals.count < self.shift_totals.count:
            raise InvalidDocument(1157, "the drive's lifetime totals (1157) count fewer receipts than the shift's (1194)")
        super().__post_init__()

    def _body(self) -> Fields:
        fields = _cashier_fields(self.cashier, self.cashier_inn)
        fields += [(1118, self.receipts_count), (1111, self.documents_count), (1097, self.unsent_count)]
        if self.first_unsent_date is not None:
            fields.append((1098, self.first_unsent_date))
        fields += self.flags.fields()
        if self.operator_message is not None:
            fields.append((1206, self.operator_message))
        return fields + [
            (1194, self.shift_totals.fields()),
            (1157, self.lifetime_totals.fields()),
            (1213, self.key_resource_days),
        ]

    @classmethod
    def _read_body(cls, reader: _Reader, form: FormCode) -> dict[str, Any]:
        return dict(
            cashier=reader.take(1021),
            cashier_inn=reader.take(1203),
            receipts_count=reader.need(1118),
            documents_count=reader.need(1111),
            unsent_count=reader.take(1097, 0),
            first_unsent_date=reader.take(1098),
            flags=DriveFlags._read(reader),
            operator_message=reader.take(1206),
            shift_totals=Counters.from_fields(reader.need(1194)),
            lifetime_totals=Counters.from_fields(reader.need(1157)),
            key_resource_days=reader.need(1213),
        )


@dataclass(frozen=True, kw_only=True)
class SettlementStatusReport(_Document):
    """Отчёт о текущем состоянии расчётов, form 21 (§2.7)."""

    lifetime_totals: Counters  # 1157
    key_resource_days: int  # 1213
    offline: bool = False  # 1002
    unsent_count: int = 0  # 1097
    first_unsent_number: int | None = None  # 1116, the 1040 of the oldest unacknowledged document
    first_unsent_date: datetime | None = None  # 1098
    unsent_totals: CorrectionCounters | None = None  # 1158

    FORM: ClassVar[FormCode] = FormCode.SETTLEMENT_STATUS
    FORMS: ClassVar[tuple[FormCode, ...]] = (FormCode.SETTLEMENT_STATUS,)
    MODELED: ClassVar[frozenset[int]] = frozenset({1157, 1213, 1002, 1097, 1116, 1098, 1158})

    def __post_init__(self) -> None:
        _counters(1157, self.lifetime_totals)
        _number(1213, self.key_resource_days, U16_MAX)
        _flag(1002, self.offline)
        _set(self, "first_unsent_date", _unsent(self.unsent_count, self.first_unsent_date))
        if self.first_unsent_number is not None:
            _number(1116, self.first_unsent_number, minimum=1)
        if bool(self.unsent_count) != (self.first_unsent_number is not None):
            if self.unsent_count:
                raise missing_requisite(1116, "when documents await the OFD (1097 > 0)")
            raise InvalidDocument(1116, "a first unsent document (1116) without unsent documents (1097 = 0)")
        if self.unsent_totals is not None:
            _counters(1158, self.unsent_totals, CorrectionCounters)
        super().__post_init__()

    def _body(self) -> Fields:
        fields: Fields = [(1002, self.offline)]
        if self.first_unsent_number is not None:
            fields.append((1116, self.first_unsent_number))
        fields.append((1097, self.unsent_count))
        if self.first_unsent_date is not None:
            fields.append((1098, self.first_unsent_date))
        fields += [(1213, self.key_resource_days), (1157, self.lifetime_totals.fields())]
        if self.unsent_totals is not None:
            fields.append((1158, self.unsent_totals.fields()))
        return fields

    @classmethod
    def _read_body(cls, reader: _Reader, form: FormCode) -> dict[str, Any]:
        unsent_totals = reader.take(1158)
        return dict(
            offline=bool(reader.take(1002, False)),
            first_unsent_number=reader.take(1116),
            unsent_count=reader.take(1097, 0),
            first_unsent_date=reader.take(1098),
            key_resource_days=reader.need(1213),
            lifetime_totals=Counters.from_fields(reader.need(1157)),
            unsent_totals=None if unsent_totals is None else CorrectionCounters.from_fields(unsent_totals),
        )


@dataclass(frozen=True, kw_only=True)
class DriveCloseReport(_Document):
    """Отчёт о закрытии фискального накопителя, form 6 (§2.6)."""

    lifetime_totals: Counters  # 1157
    cashier: str | None = None  # 1021
    cashier_inn: str | None = None  # 1203

    FORM: ClassVar[FormCode] = FormCode.DRIVE_CLOSE
    FORMS: ClassVar[tuple[FormCode, ...]] = (FormCode.DRIVE_CLOSE,)
    MODELED: ClassVar[frozenset[int]] = frozenset({1157, 1021, 1203})

    def __post_init__(self) -> None:
        _counters(1157, self.lifetime_totals)
        _set(self, "cashier", _optional_text(1021, self.cashier, 64))
        _set(self, "cashier_inn", _optional_inn(1203, self.cashier_inn))
        super().__post_init__()

    def _body(self) -> Fields:
        return _cashier_fields(self.cashier, self.cashier_inn) + [(1157, self.lifetime_totals.fields())]

    @classmethod
    def _read_body(cls, reader: _Reader, form: FormCode) -> dict[str, Any]:
        return dict(
            cashier=reader.take(1021),
            cashier_inn=reader.take(1203),
            lifetime_totals=Counters.from_fields(reader.need(1157)),
        )


Document = Receipt | CorrectionReceipt | RegistrationReport | ShiftOpenReport | ShiftCloseReport | SettlementStatusReport | DriveCloseReport

_CLASSES: dict[int, type[_Document]] = {
    form: cls
    for cls in (Receipt, CorrectionReceipt, RegistrationReport, ShiftOpenReport, ShiftCloseReport, SettlementStatusReport, DriveCloseReport)
    for form in cls.FORMS
}


def decode(data: bytes) -> Document:
    """Read any document this module models from its bytes, choosing the class by its form code."""
    form, fields = tlv.decode_document(data)
    cls = _CLASSES.get(form)
    if cls is None:
        raise InvalidDocument(None, f"form {form} is not a document this library reads")
    return cls.from_fields(fields, form)
