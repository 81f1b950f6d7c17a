"""The link to the fiscal data operator (ОФД) and an emulated OFD that acknowledges documents.

A register sends each signed document to the OFD and drops it from its unsent queue (1097, 1098,
1116; reference §5) once the OFD answers with an acknowledgement (form 7, «ПОДТВЕРЖДЕНИЕ
ОПЕРАТОРА»: it quotes the fiscal drive and the document number 1040 and carries the operator's sign
ФПО 1078 and the response code 1022).

The document travels as the TLV bytes `documents.<X>.to_bytes()` produces. The transport framing
(session and container headers, the 8-byte ФПС after the document; §1.1) belongs to a real OFD
client and is not modelled here.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import IntEnum
from typing import Protocol

from openkassa.fiscal import documents
from openkassa.fiscal.errors import DecodeError, FiscalError

OPERATOR_SIGN_LENGTH = 16  # ФПО 1078 is at most 16 bytes (coop-fd; yandex allows 18)


class ResponseCode(IntEnum):
    """1022 код ответа ОФД (§3.13)."""

    ACCEPTED = 0
    NOT_RECOGNISED = 11
    CHECK_FAILED = 14  # ФЛК: the format-logical check failed

    @property
    def label(self) -> str:
        return {0: "Принят", 11: "Не распознан", 14: "Не прошёл ФЛК"}[self.value]


@dataclass(frozen=True)
class Acknowledgement:
    """The OFD's answer about one document: form 7 in substance.

    `received_at` is when the OFD received the document, an aware UTC datetime (the OFD is a
    server far from the till; the till's local time belongs to the documents it signs).
    """

    fn_serial: str  # 1041
    document_number: int  # 1040 of the acknowledged document; 0 when it could not be read
    received_at: datetime
    operator_sign: bytes  # ФПО 1078, ≤ 16 bytes
    code: int = 0  # 1022, a ResponseCode value

    def __post_init__(self) -> None:
        if len(self.operator_sign) > OPERATOR_SIGN_LENGTH:
            raise ValueError(f"the operator's sign (ФПО 1078) is at most {OPERATOR_SIGN_LENGTH} bytes")
        if self.received_at.tzinfo is None:
            raise ValueError("received_at is an aware UTC datetime")

    @property
    def accepted(self) -> bool:
        """True when the OFD took the document: the register may drop it from its unsent queue."""
        return self.code == ResponseCode.ACCEPTED


class OfdLink(Protocol):
    """Whatever delivers a signed document to an OFD and brings back its answer."""

    def send(self, fn_serial: str, document: bytes) -> Acknowledgement:
        """Deliver `document` (the TLV bytes of a signed document) from the drive `fn_serial`."""
        ...


def _utc_now() -> datetime:
    return datetime.now(UTC)


class EmulatedOfd:
    """An OFD in memory: it checks each document, signs its answer and remembers what it accepted.

    Sending a document again returns the first acknowledgement (a register retries after a lost
    answer); a different document under a number already accepted is refused, code 14. Refusals are
    answered but not remembered, so a corrected resend can still be accepted.
    """

    def __init__(self, key: bytes, clock: Callable[[], datetime] = _utc_now):
        if not key:
            raise ValueError("the emulated OFD needs a non-empty signing key")
        self._key = key
        self._clock = clock
        self._accepted: dict[tuple[str, int], tuple[bytes, Acknowledgement]] = {}

    def send(self, fn_serial: str, document: bytes) -> Acknowledgement:
        """Check and acknowledge one document (see the class docstring for the rules)."""
        try:
            decoded = documents.decode(document)
        except DecodeError:
            return self._answer(fn_serial, 0, document, ResponseCode.NOT_RECOGNISED)
        except FiscalError:
            return self._answer(fn_serial, 0, document, ResponseCode.CHECK_FAILED)
        stamp = decoded.stamp
        if stamp is None:  # a draft: no number, no fiscal sign
            return self._answer(fn_serial, 0, document, ResponseCode.CHECK_FAILED)
        number = stamp.document_number
        if stamp.fn_serial != fn_serial:  # signed by another drive than the one sending it
            return self._answer(fn_serial, number, document, ResponseCode.CHECK_FAILED)
        known = self._accepted.get((fn_serial, number))
        if known is not None:
            first_bytes, first_answer = known
            if first_bytes == document:
                return first_answer
            return self._answer(fn_serial, number, document, ResponseCode.CHECK_FAILED)
        answer = self._answer(fn_serial, number, document, ResponseCode.ACCEPTED)
        self._accepted[(fn_serial, number)] = (document, answer)
        return answer

    def received(self, fn_serial: str) -> list[int]:
        """The numbers (1040) of the documents accepted from a drive, in ascending order."""
        return sorted(number for serial, number in self._accepted if serial == fn_serial)

    def _answer(self, fn_serial: str, number: int, document: bytes, code: ResponseCode) -> Acknowledgement:
        return Acknowledgement(
            fn_serial=fn_serial,
            document_number=number,
            received_at=self._clock(),
            operator_sign=self.operator_sign(fn_serial, document),
            code=int(code),
        )

    def operator_sign(self, fn_serial: str, document: bytes) -> bytes:
        return operator_sign(self._key, fn_serial, document)


def operator_sign(key: bytes, fn_serial: str, document: bytes) -> bytes:
    """An emulated OFD's ФПО: HMAC-SHA256 with its key over the drive serial and the document, first 16 bytes."""
    mac = hmac.new(key, fn_serial.encode("utf-8") + document, hashlib.sha256)
    return mac.digest()[:OPERATOR_SIGN_LENGTH]
