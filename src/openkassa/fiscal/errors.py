"""Errors of the fiscal core. Each says what is wrong in terms a developer can act on."""

from __future__ import annotations


class FiscalError(Exception):
    """Anything the fiscal core refuses."""


class InvalidDocument(FiscalError):
    """A document or a value in it breaks a ФФД 1.2 rule; `tag` names the requisite (None: the document)."""

    def __init__(self, tag: int | None, reason: str):
        self.tag, self.reason = tag, reason
        super().__init__(f"tag {tag}: {reason}" if tag is not None else reason)


class DecodeError(FiscalError):
    """Bytes that are not a well-formed TLV document; `offset` is where reading stopped."""

    def __init__(self, offset: int, reason: str):
        self.offset, self.reason = offset, reason
        super().__init__(f"at byte {offset}: {reason}")


class DriveError(FiscalError):
    """The fiscal drive refuses an operation in its current state.

    `fn_code` is the fiscal drive error number where the reference gives one (0x16 shift over
    24 hours, 0x15 OFD wait over 30 days, 0x17 time went backwards), else 0.
    """

    fn_code = 0

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


class NotRegistered(DriveError):
    """The drive has no registration report yet."""


class DriveClosed(DriveError):
    """The drive was closed (form 6); it signs nothing more."""


class ShiftClosed(DriveError):
    """The operation needs an open shift."""


class ShiftAlreadyOpen(DriveError):
    """A shift is open already; close it first."""


class ShiftExpired(DriveError):
    """The shift is older than 24 hours: only closing it is allowed."""

    fn_code = 0x16


class OfdWaitExceeded(DriveError):
    """The oldest document not acknowledged by the OFD is older than 30 days."""

    fn_code = 0x15


class TimeWentBackwards(DriveError):
    """The document is dated earlier than the previous one."""

    fn_code = 0x17


class ResourceExhausted(DriveError):
    """The drive's keys expired or its archive is full: only closing the shift and the drive is allowed."""

    fn_code = 0x14


class NotEnoughCash(DriveError):
    """A cash out larger than the cash in the drawer."""


class DriveBusy(DriveError):
    """Another process holds the drive (a fiscal drive serves one register at a time)."""


class InvalidRequest(FiscalError):
    """An operation's arguments are wrong: a cash amount that is not a positive number of kopecks, or a
    request id already used for a different operation."""
