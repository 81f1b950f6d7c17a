"""The receipt's QR string (tag 1196, printed only; reference §4.2): built, parsed, taken from a receipt.

`t=YYYYMMDDTHHMM&s=RUB.KK&fn=FN16&i=FD&fp=FP&n=OP` — the date and time of the document (1012), the
total (1020) with two decimals, the drive serial (1041), the document number (1040), the printed
ФП (§4.1) and the settlement type (1054). Every refusal is `InvalidDocument(1196, reason)`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from openkassa.fiscal.documents import Receipt
from openkassa.fiscal.enums import SettlementType
from openkassa.fiscal.errors import InvalidDocument
from openkassa.money import to_roubles

QR_TAG = 1196
_MOMENT_FORMATS = ("%Y%m%dT%H%M", "%Y%m%dT%H%M%S")  # parsers also accept seconds (§4.2)
_MOMENT = re.compile(r"[0-9]{8}T[0-9]{4}([0-9]{2})?")
_SUM = re.compile(r"[0-9]+\.[0-9]{2}")
_FN = re.compile(r"[0-9]{16}")
_NUMBER = re.compile(r"[0-9]{1,10}")  # ASCII only: \d takes any script's digits
U32_MAX = 2**32 - 1


@dataclass(frozen=True)
class QrData:
    """What the QR string of a receipt says."""

    date_time: datetime  # 1012, naive local time
    total: int  # 1020, kopecks
    fn_serial: str  # 1041, 16 digits
    document_number: int  # 1040
    fiscal_sign: int  # the printed ФП: bytes 3–6 of 1077 (§4.1)
    settlement: SettlementType  # 1054


def build(data: QrData) -> str:
    """The QR string, keys in the reference order, kopecks always two digits (`s=12.05`)."""
    if not _FN.fullmatch(data.fn_serial):
        raise InvalidDocument(QR_TAG, f"fn must be 16 digits: {data.fn_serial!r}")
    if data.total < 0 or not 1 <= data.document_number <= U32_MAX or not 0 <= data.fiscal_sign <= U32_MAX:
        raise InvalidDocument(QR_TAG, f"total, document number or fiscal sign out of range: {data}")
    return (
        f"t={data.date_time:%Y%m%dT%H%M}&s={to_roubles(data.total)}&fn={data.fn_serial}"
        f"&i={data.document_number}&fp={data.fiscal_sign}&n={int(data.settlement)}"
    )


def parse(text: str) -> QrData:
    """Read a QR string: keys in any order, seconds in `t` allowed, unknown keys (`ofd=`, …) ignored."""
    values: dict[str, str] = {}
    for pair in text.strip().split("&"):
        key, sep, value = pair.partition("=")
        if not sep:
            raise InvalidDocument(QR_TAG, f"not a key=value pair: {pair!r}")
        if key in values:
            raise InvalidDocument(QR_TAG, f"key {key!r} given twice")
        values[key] = value
    missing = [key for key in ("t", "s", "fn", "i", "fp", "n") if key not in values]
    if missing:
        raise InvalidDocument(QR_TAG, f"missing {', '.join(missing)} in {text!r}")
    if not _SUM.fullmatch(values["s"]):
        raise InvalidDocument(QR_TAG, f"s must be roubles with a dot and two decimals: {values['s']!r}")
    if not _FN.fullmatch(values["fn"]):
        raise InvalidDocument(QR_TAG, f"fn must be 16 digits: {values['fn']!r}")
    return QrData(
        date_time=_moment(values["t"]),
        total=int(values["s"].replace(".", "")),
        fn_serial=values["fn"],
        document_number=_number("i", values["i"], minimum=1),
        fiscal_sign=_number("fp", values["fp"]),
        settlement=_settlement(values["n"]),
    )


def of_receipt(receipt: Receipt) -> QrData:
    """The QR data of a signed receipt; a draft has no QR code."""
    if receipt.stamp is None:
        raise InvalidDocument(QR_TAG, "a draft receipt has no QR code: the drive has not stamped it")
    return QrData(
        date_time=receipt.stamp.date_time,
        total=receipt.total,
        fn_serial=receipt.stamp.fn_serial,
        document_number=receipt.stamp.document_number,
        fiscal_sign=receipt.stamp.fiscal_sign_printed,
        settlement=receipt.settlement,
    )


def _moment(value: str) -> datetime:
    for form in _MOMENT_FORMATS if _MOMENT.fullmatch(value) else ():
        try:
            return datetime.strptime(value, form)
        except ValueError:
            continue
    raise InvalidDocument(QR_TAG, f"t must be YYYYMMDDTHHMM or YYYYMMDDTHHMMSS: {value!r}")


def _number(key: str, value: str, minimum: int = 0) -> int:
    if not _NUMBER.fullmatch(value) or not minimum <= int(value) <= U32_MAX:
        raise InvalidDocument(QR_TAG, f"{key} must be a number from {minimum} to {U32_MAX}: {value!r}")
    return int(value)


def _settlement(value: str) -> SettlementType:
    if value not in {"1", "2", "3", "4"}:
        raise InvalidDocument(QR_TAG, f"n must be a settlement type 1–4: {value!r}")
    return SettlementType(int(value))
