"""The receipt's QR code (tag 1196, printed only; reference §4.2): its string built, parsed, taken from
a receipt, and the code drawn from it.

`t=YYYYMMDDTHHMM&s=RUB.KK&fn=FN16&i=FD&fp=FP&n=OP` — the date and time of the document (1012), the
total (1020) with two decimals, the drive serial (1041), the document number (1040), the printed
ФП (§4.1) and the settlement type (1054). Every refusal is `InvalidDocument(1196, reason)`.

The code is drawn with segno, always the same way: a full QR code (never Micro QR), the smallest
version that holds the string, error correction M (raised by segno to Q or H when that fits the same
version), a quiet zone of 4 modules. A receipt's string (55–85 characters) makes a version 4 or 5
code: 33 or 37 modules, 41 or 45 with the quiet zone; only the longest strings (a total of a
trillion roubles with 10-digit FD and ФП) need version 6, 49 modules with the quiet zone.

Three drawings: `svg()` for pages, `png()` for e-mails (many mail clients show no SVG) and
`text_art()` for the terminal and the laid-out receipt (`layout.render(..., qr_code="art")`).
Printers draw the code themselves from the string (`escpos.py`).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import datetime

import segno

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

ERROR_CORRECTION = "M"  # 15 % of the code may be lost: thermal paper fades and creases (L is 7 %)
QUIET_ZONE = 4  # modules of light margin on every side, as ISO/IEC 18004 asks for a QR code
SCALE = 5  # pixels per module in the images: 45 modules with the quiet zone make 225 px
HALF_BLOCKS = {(True, True): "█", (True, False): "▀", (False, True): "▄", (False, False): " "}
"""The character for a dark (True) or light module on top and one below it."""


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


def svg(text: str) -> str:
    """The QR code of `text` as a standalone SVG document (no XML declaration, so it also goes inline in HTML)."""
    out = io.BytesIO()
    _symbol(text).save(out, kind="svg", scale=SCALE, border=QUIET_ZONE, xmldecl=False)
    return out.getvalue().decode()


def png(text: str) -> bytes:
    """The QR code of `text` as a PNG image, black on white, `SCALE` pixels per module."""
    out = io.BytesIO()
    _symbol(text).save(out, kind="png", scale=SCALE, border=QUIET_ZONE)
    return out.getvalue()


def text_art(text: str) -> str:
    """The QR code of `text` in Unicode half blocks (▀ ▄ █ and spaces): two module rows to a line.

    Dark modules are the drawn part, as ink on paper: show the text dark on a light background
    (in Textual, e.g. `color: black; background: white`). On a light-on-dark terminal it shows
    inverted, which many scanners refuse — segno's own `terminal(compact=True)` draws the light
    modules instead, for that case. The quiet zone is included, as spaces and blank lines, and every
    line has the same width: the code's modules plus 2 × 4 (41 or 45 columns for a receipt's
    string), more than the 32 columns of 58 mm paper. A code with an odd number of rows ends with a line
    whose lower halves are light.
    """
    rows = [[bool(module) for module in row] for row in _symbol(text).matrix_iter(border=QUIET_ZONE)]
    if len(rows) % 2:
        rows.append([False] * len(rows[0]))
    return "\n".join(
        "".join(HALF_BLOCKS[pair] for pair in zip(top, bottom, strict=True))
        for top, bottom in zip(rows[::2], rows[1::2], strict=True)
    )


def _symbol(text: str) -> segno.QRCode:
    return segno.make(text, error=ERROR_CORRECTION, micro=False)


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
