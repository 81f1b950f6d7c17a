"""Registering a software drive the way the drive tests need it."""

from __future__ import annotations

from dataclasses import replace

from openkassa.fiscal.documents import RegistrationReport
from openkassa.fiscal.drive import SoftwareDrive
from openkassa.fiscal.enums import TaxSystem


def registration(**changes) -> RegistrationReport:
    report = RegistrationReport(
        kkt_serial="00106700000001", kkt_version="1.0", cashier="Иванова А.", tax_systems=TaxSystem.USN_INCOME,
        key_resource_days=0, ofd_inn="7704358518", ofd_name="ОФД-Я",
    )
    return replace(report, **changes)


def register(drive: SoftwareDrive, **changes) -> RegistrationReport:
    return drive.register(
        registration(**changes), registration_number="0000000001012345", user_inn="7707083893",
        user="ООО «Ромашка»", address="г. Москва, ул. Ленина, 1", place="Магазин «Ромашка»",
    )
