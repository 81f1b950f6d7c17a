"""Barcodes of products: EAN-13, EAN-8 and UPC-A have a check digit, which is verified; other codes
(Code 128, internal shop codes, marking prefixes) are accepted as written.
"""

from __future__ import annotations

import re

from openkassa.i18n import _

MAX_LENGTH = 64
CHECKED_LENGTHS = {8: "EAN-8", 12: "UPC-A", 13: "EAN-13"}
_PRINTABLE_ASCII = re.compile(r"[\x21-\x2b\x2d-\x3a\x3c-\x7e]+")  # no comma or semicolon: they part a file's codes


def check_digit(digits: str) -> int:
    """The GS1 check digit of a code without it: weights 3 and 1 from the right."""
    odd, even = digits[::-1][::2].encode(), digits[::-1][1::2].encode()
    total = 3 * (sum(odd) - 48 * len(odd)) + sum(even) - 48 * len(even)  # an ASCII digit's byte is 48 + its value
    return (10 - total % 10) % 10


def normalize(code: str) -> str:
    """The barcode as stored, or ValueError with a message a shop owner understands."""
    code = code.strip()
    if not code:
        raise ValueError(_("A barcode cannot be empty."))
    if len(code) > MAX_LENGTH or not _PRINTABLE_ASCII.fullmatch(code):
        raise ValueError(_("Barcode «{code}»: up to {limit} Latin letters, digits and signs, without spaces, commas or semicolons.").format(
            code=code[:MAX_LENGTH], limit=MAX_LENGTH))
    if code.isdigit() and len(code) in CHECKED_LENGTHS and int(code[-1]) != check_digit(code[:-1]):
        raise ValueError(_("Barcode {code}: the check digit of {kind} should be {digit}.").format(
            code=code, kind=CHECKED_LENGTHS[len(code)], digit=check_digit(code[:-1])))
    return code
