"""Validated input of the points domain, shared by the HTML forms, the JSON API and the device API."""

from __future__ import annotations

import re
import uuid
from enum import IntEnum, StrEnum
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from openkassa.i18n import _
from openkassa.inputs import Strict, check_inn, multi_line, single_line


class TaxSystem(IntEnum):
    """Taxation systems, valued as the bits of ФФД tags 1055/1062 (ЕНВД, bit 8, is abolished)."""

    OSN = 1
    USN_INCOME = 2
    USN_INCOME_EXPENSE = 4
    ESKHN = 16
    PATENT = 32

    @property
    def label(self) -> str:
        return {
            TaxSystem.OSN: _("General (ОСН)"),
            TaxSystem.USN_INCOME: _("Simplified, income (УСН доход)"),
            TaxSystem.USN_INCOME_EXPENSE: _("Simplified, income minus expense (УСН доход − расход)"),
            TaxSystem.ESKHN: _("Agricultural tax (ЕСХН)"),
            TaxSystem.PATENT: _("Patent (Патент)"),
        }[self]


def tax_systems_of(mask: int) -> list[TaxSystem]:
    return [t for t in TaxSystem if mask & t]


class Rounding(IntEnum):
    """Rounding of the receipt total down, in the buyer's favour, to this many kopecks."""

    OFF = 0
    TEN_KOPECKS = 10
    FIFTY_KOPECKS = 50
    ONE_ROUBLE = 100

    @property
    def label(self) -> str:
        return {
            Rounding.OFF: _("Do not round"),
            Rounding.TEN_KOPECKS: _("To 10 kopecks"),
            Rounding.FIFTY_KOPECKS: _("To 50 kopecks"),
            Rounding.ONE_ROUBLE: _("To 1 rouble"),
        }[self]


class CatalogChoice(StrEnum):
    NEW = "new"
    SHARED = "shared"
    COPY = "copy"

    @property
    def label(self) -> str:
        return {
            CatalogChoice.NEW: _("A new, empty catalog"),
            CatalogChoice.SHARED: _("Share the catalog of another point"),
            CatalogChoice.COPY: _("A copy of another point's catalog"),
        }[self]


# Russia's time zones, offered first in the form; any IANA zone is accepted.
RUSSIAN_TIME_ZONES = [
    "Europe/Kaliningrad", "Europe/Moscow", "Europe/Samara", "Asia/Yekaterinburg", "Asia/Omsk",
    "Asia/Novosibirsk", "Asia/Krasnoyarsk", "Asia/Irkutsk", "Asia/Yakutsk", "Asia/Vladivostok",
    "Asia/Magadan", "Asia/Kamchatka",
]


def _optional_person_inn(value: str) -> str:
    """A cashier's INN (tag 1203) is a person's: 12 digits."""
    if not value:
        return ""
    inn = check_inn(value)
    if len(inn) != 12:
        raise ValueError(_("A person's INN has 12 digits."))
    return inn


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(_("Choose a time zone from the list.")) from None
    return value


def _pin(value: str) -> str:
    # [0-9], not \d: \d also takes Arabic-Indic and other digits that no register keypad can type.
    if value and not re.fullmatch(r"[0-9]{4,6}", value):
        raise ValueError(_("The PIN must be 4 to 6 digits."))
    return value


Name = single_line(128)
ReceiptText = multi_line(512)


class PointSettings(Strict):
    """Register settings of a point."""

    push_catalog_updates: bool = True
    rounding: Rounding = Rounding.OFF
    receipt_header: ReceiptText = ""
    receipt_footer: ReceiptText = ""
    carry_over_cash: bool = False
    allow_deferred_receipts: bool = False
    allow_price_change: bool = False
    allow_return_without_receipt: bool = False
    allow_free_price_sale: bool = False
    pay_bonus_card: bool = False
    pay_gift_certificate: bool = False
    pay_advance: bool = False
    allow_partial_payment: bool = False
    allow_credit: bool = False
    online_shop: bool = False  # takes an online shop's documents (the fiscalization API, /api/fn)


class PointIn(PointSettings):
    name: Name
    address: single_line(256)
    inn: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20), AfterValidator(check_inn)]
    timezone: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), AfterValidator(_timezone)] = "Europe/Moscow"
    tax_systems: Annotated[list[TaxSystem], Field(min_length=1)]
    default_tax_system: TaxSystem

    # A field validator, not a model one, so that the message lands on the field the user must fix.
    @field_validator("default_tax_system")
    @classmethod
    def _default_is_allowed(cls, value: TaxSystem, info: ValidationInfo) -> TaxSystem:
        allowed = info.data.get("tax_systems")
        if allowed is not None and value not in allowed:
            raise ValueError(_("The default taxation system must be one of the allowed ones."))
        return value

    @property
    def tax_mask(self) -> int:
        mask = 0
        for system in self.tax_systems:
            mask |= system
        return mask


class NewPointIn(PointIn):
    """A point being created also chooses where its catalog comes from."""

    catalog: CatalogChoice = CatalogChoice.NEW
    # The form's "—" option sends an empty string: that is no point chosen.
    catalog_source_point_id: Annotated[
        uuid.UUID | None, BeforeValidator(lambda value: value or None), Field(validate_default=True)
    ] = None

    @field_validator("catalog_source_point_id")
    @classmethod
    def _source_when_needed(cls, value: uuid.UUID | None, info: ValidationInfo) -> uuid.UUID | None:
        if info.data.get("catalog", CatalogChoice.NEW) != CatalogChoice.NEW and value is None:
            raise ValueError(_("Choose the point whose catalog to use."))
        return value


class CashierIn(Strict):
    name: Name
    inn: Annotated[str, StringConstraints(strip_whitespace=True, max_length=20), AfterValidator(_optional_person_inn)] = ""
    # On edit an empty PIN keeps the old one; the service insists on a PIN for a new cashier.
    pin: Annotated[str, StringConstraints(strip_whitespace=True, max_length=20), AfterValidator(_pin)] = ""
    point_ids: Annotated[list[uuid.UUID], Field(min_length=1)]
    can_return: bool = False
    can_discount: bool = False
    can_change_price: bool = False
    can_cash_drawer: bool = False
    can_close_shift: bool = True


class DeviceInfo(Strict):
    name: single_line(128)
    app_version: single_line(40, required=False) = ""
    serial: single_line(64, required=False) = ""


class DeviceStatusIn(Strict):
    """What a bound register reports about itself; fields left out stay as they were."""

    app_version: single_line(40, required=False) = ""
    fn_serial: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^([0-9]{16})?$")] = ""
    kkt_reg_number: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^([0-9]{16})?$")] = ""
    unsent_documents: Annotated[int, Field(ge=0, le=10_000_000)] = 0  # fiscal documents the OFD has not acknowledged
    oldest_unsent_at: AwareDatetime | None = None  # the oldest of them
    last_ofd_exchange_at: AwareDatetime | None = None

    @model_validator(mode="after")
    def _oldest_unsent(self) -> DeviceStatusIn:
        """The count and the oldest's date come together: nothing waiting has no oldest."""
        if "unsent_documents" in self.model_fields_set:
            if not self.unsent_documents:
                self.oldest_unsent_at = None
            elif self.oldest_unsent_at is None:
                raise ValueError(_("Give the date of the oldest unsent document."))
        return self


class ActivateIn(Strict):
    code: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]
    device: DeviceInfo
