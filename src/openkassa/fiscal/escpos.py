"""The laid-out receipt as ESC/POS bytes for a thermal receipt printer, without a printer library.

One print job: `ESC @` (initialise), `ESC t` (the PC866 code table), the text encoded as CP866 one
line to a line feed, the QR code drawn by the printer itself from the QR string (`GS ( k`: model 2,
module size, error correction, store the data, print it; centred with `ESC a`), then `GS V 66 0`:
feed to the cutter and cut partially (one point left uncut). Commands as in Epson's ESC/POS
reference; the numbers a given printer may differ on are the constants below.

The text goes out as laid out (`layout.render(..., qr_code="none")`), with no bold or double
height: the layout marks no title lines. Control characters in it (a product name may hold an ESC)
become «?», so no text can send the printer a command; a character CP866 lacks becomes «?» too.
"""

from __future__ import annotations

from collections.abc import Sequence

from openkassa.fiscal import layout, qr
from openkassa.fiscal.documents import Receipt

ESC, GS, LF = b"\x1b", b"\x1d", b"\n"
INITIALISE = ESC + b"@"
# Printer-dependent: 17 is PC866 (Cyrillic #2) on Epson TM printers; many clones number their
# tables otherwise (the self-test page lists them). Change it here, for every print job.
CODE_TABLE = 17
QR_MODULE_SIZE = 6  # dots per module: at 203 dpi a 33-module code (version 4) is 24.75 mm, over 20 mm (§4.2)
QR_ERROR_LEVELS = {"L": 48, "M": 49, "Q": 50, "H": 51}  # GS ( k function 169
CENTRE, LEFT = ESC + b"a\x01", ESC + b"a\x00"
PARTIAL_CUT = GS + b"V" + bytes([66, 0])  # feed to the cutting position + 0, cut leaving one point
_CONTROLS = {code: "?" for code in [*range(0x20), 0x7F]}


def receipt_job(
    receipt: Receipt, *, width: int = 32, header: Sequence[str] = (), footer: Sequence[str] = ()
) -> bytes:
    """The print job of a receipt: its text as `layout.render` lays it out, and its QR code if it is signed."""
    text = layout.render(receipt, width=width, header=header, footer=footer, qr_code="none")
    qr_string = qr.build(qr.of_receipt(receipt)) if receipt.stamp is not None else None
    return encode(text, qr_string=qr_string)


def encode(text: str, *, qr_string: str | None = None) -> bytes:
    """A print job of laid-out text, then the QR code of an ASCII `qr_string` drawn by the printer, then the cut."""
    job = INITIALISE + ESC + b"t" + bytes([CODE_TABLE])
    for line in text.split("\n"):
        job += line.translate(_CONTROLS).encode("cp866", errors="replace") + LF
    if qr_string is not None:
        job += CENTRE + _qr_code(qr_string) + LF + LEFT
    return job + PARTIAL_CUT


def _qr_code(text: str) -> bytes:
    """`GS ( k` for a QR code: model 2, module size, error level, store `text`, print what is stored."""
    data = text.encode("ascii")
    stored = len(data) + 3  # pL pH count the data and the three bytes cn fn m before it
    return (
        _qr_function(65, bytes([50, 0]))  # 165: model 2
        + _qr_function(67, bytes([QR_MODULE_SIZE]))  # 167: module size in dots
        + _qr_function(69, bytes([QR_ERROR_LEVELS[qr.ERROR_CORRECTION]]))  # 169: error correction
        + GS + b"(k" + stored.to_bytes(2, "little") + b"\x31\x50\x30" + data  # 180: store the data
        + _qr_function(81, b"\x30")  # 181: print the stored code
    )


def _qr_function(fn: int, parameters: bytes) -> bytes:
    """`GS ( k pL pH cn fn parameters` with cn = 49 (QR code) and pL pH the length of cn, fn and the parameters."""
    return GS + b"(k" + (len(parameters) + 2).to_bytes(2, "little") + bytes([49, fn]) + parameters
