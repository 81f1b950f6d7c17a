"""Identifiers: time-ordered UUIDs (version 7) for every row the system creates."""

from __future__ import annotations

import array
import hashlib
import itertools
import operator
import os
import re
import secrets
import time
import uuid
from collections.abc import Iterator

from stdnum.exceptions import ValidationError
from stdnum.ru import inn


def new_id() -> uuid.UUID:
    """A UUIDv7 (RFC 9562): 48-bit Unix milliseconds, then random bits.

    Time order keeps B-tree inserts local and makes ids usable as paging cursors.
    """
    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (millis & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76  # version
    value |= ((rand >> 62) & 0xFFF) << 64  # 12 random bits
    value |= 0b10 << 62  # variant
    value |= rand & ((1 << 62) - 1)
    return uuid.UUID(int=value)


def new_ids() -> Iterator[uuid.UUID]:
    """UUIDv7s for a run of new rows, in increasing order, cheaper than `new_id` one by one.

    RFC 9562's monotonic method: the time and random bits of a fresh id, then each one the previous
    plus a random step of 1 to 2**32. The clock is read again every 2**16 ids, so the time in them
    stays about right; the top random bit starts at 0, so 2**16 steps (at most 2**48) never carry
    into the variant bits.
    """
    last = 0
    while True:
        first = max(new_id().int & ~(1 << 61), last)  # a run made within the millisecond still rises
        steps = map(operator.add, array.array("I", os.urandom(4 << 16)), itertools.repeat(1))  # 1 to 2**32, 2**16 of them
        for last in itertools.islice(itertools.accumulate(steps, initial=first), 1, None):
            yield uuid.UUID(int=last)


def normalize_inn(value: str) -> str:
    """A Russian taxpayer number (ИНН, 10 digits for a company, 12 for a person), checksum verified.

    Raises ValueError when it is not one.
    """
    try:
        return inn.validate(value)
    except ValidationError as exc:
        raise ValueError(str(exc)) from exc


def normalize_phone(value: str) -> str:
    """A phone number as +<digits>; Russian 8XXXXXXXXXX and 10-digit forms become +7….

    Raises ValueError when it is not a plausible phone number.
    """
    digits = "".join(ch for ch in value if ch.isdigit())
    if value.strip().startswith("8") and len(digits) == 11:
        digits = "7" + digits[1:]
    elif len(digits) == 10 and not value.strip().startswith("+"):
        digits = "7" + digits
    stripped = value.strip()
    allowed = set("+0123456789 ()-")
    if not stripped or set(stripped) - allowed or not 11 <= len(digits) <= 15:
        raise ValueError("not a phone number")
    return "+" + digits


def new_secret() -> str:
    """A random, URL-safe secret (256 bits) for links, sessions and device tokens."""
    return secrets.token_urlsafe(32)


def secret_hash(secret: str) -> str:
    """What we store instead of a secret. Plain SHA-256 suffices: secrets carry 256 random bits."""
    return hashlib.sha256(secret.encode()).hexdigest()


_LINK_SECRET = re.compile(r"(/(?:confirm|password/reset|invite)/)[^/?\s\"]+")


def redact_link_secrets(text: str) -> str:
    """Text (a path, a log line) with the secrets of e-mailed links replaced by an ellipsis."""
    return _LINK_SECRET.sub(r"\1…", text)
