"""Enumerations of ФФД 1.2 with their Russian labels (reference §3).

Values are the numbers written in the documents; `label` is the Russian wording for people,
`printed` (where it exists) what the receipt prints.
"""

from __future__ import annotations

from enum import IntEnum, IntFlag

from openkassa.fiscal import unconfirmed


class SettlementType(IntEnum):
    """1054 признак расчёта."""

    SALE = 1
    SALE_RETURN = 2
    PURCHASE = 3
    PURCHASE_RETURN = 4

    @property
    def label(self) -> str:
        return {1: "Приход", 2: "Возврат прихода", 3: "Расход", 4: "Возврат расхода"}[self.value]

    @property
    def printed(self) -> str:
        return self.label.upper()


class TaxSystem(IntFlag):
    """1055 (one bit: the system of this settlement) and 1062 (the registered set)."""

    OSN = 1
    USN_INCOME = 2
    USN_INCOME_EXPENSE = 4
    ENVD = 8  # abolished in 2021: decoded, never offered
    ESKHN = 16
    PATENT = 32

    @property
    def label(self) -> str:
        return {
            1: "Общая (ОСН)",
            2: "Упрощённая, доход (УСН доход)",
            4: "Упрощённая, доход минус расход (УСН доход − расход)",
            8: "ЕНВД",
            16: "Единый сельскохозяйственный налог (ЕСХН)",
            32: "Патентная (ПСН)",
        }[self.value]

    @property
    def printed(self) -> str:
        return {1: "ОСН", 2: "УСН доход", 4: "УСН доход - расход", 8: "ЕНВД", 16: "ЕСХН", 32: "ПСН"}[self.value]

    @classmethod
    def single(cls) -> list[TaxSystem]:
        """The systems a settlement may apply today (one bit each, without ЕНВД)."""
        return [cls.OSN, cls.USN_INCOME, cls.USN_INCOME_EXPENSE, cls.ESKHN, cls.PATENT]


class VatRate(IntEnum):
    """1199 ставка НДС. Values 7–12 are UNCONFIRMED (see unconfirmed.py)."""

    VAT_20 = 1
    VAT_10 = 2
    VAT_20_120 = 3
    VAT_10_110 = 4
    VAT_0 = 5
    NO_VAT = 6
    VAT_5 = unconfirmed.VAT_5
    VAT_7 = unconfirmed.VAT_7
    VAT_5_105 = unconfirmed.VAT_5_105
    VAT_7_107 = unconfirmed.VAT_7_107
    VAT_22 = unconfirmed.VAT_22
    VAT_22_122 = unconfirmed.VAT_22_122

    @property
    def label(self) -> str:
        return _VAT_LABELS[self]

    @property
    def printed(self) -> str:
        return _VAT_LABELS[self]

    @property
    def fraction(self) -> tuple[int, int]:
        """VAT as a share of the amount including it: (numerator, denominator).

        20% of a price that includes VAT is 20/120 of it, exactly as the calculated rate 20/120;
        0% and no VAT are (0, 1).
        """
        return _VAT_FRACTIONS[self]


_VAT_LABELS = {
    VatRate.VAT_20: "НДС 20%",
    VatRate.VAT_10: "НДС 10%",
    VatRate.VAT_20_120: "НДС 20/120",
    VatRate.VAT_10_110: "НДС 10/110",
    VatRate.VAT_0: "НДС 0%",
    VatRate.NO_VAT: "БЕЗ НДС",
    VatRate.VAT_5: "НДС 5%",
    VatRate.VAT_7: "НДС 7%",
    VatRate.VAT_5_105: "НДС 5/105",
    VatRate.VAT_7_107: "НДС 7/107",
    VatRate.VAT_22: "НДС 22%",
    VatRate.VAT_22_122: "НДС 22/122",
}

_VAT_FRACTIONS = {
    VatRate.VAT_20: (20, 120),
    VatRate.VAT_10: (10, 110),
    VatRate.VAT_20_120: (20, 120),
    VatRate.VAT_10_110: (10, 110),
    VatRate.VAT_0: (0, 1),
    VatRate.NO_VAT: (0, 1),
    VatRate.VAT_5: (5, 105),
    VatRate.VAT_7: (7, 107),
    VatRate.VAT_5_105: (5, 105),
    VatRate.VAT_7_107: (7, 107),
    VatRate.VAT_22: (22, 122),
    VatRate.VAT_22_122: (22, 122),
}


class ItemType(IntEnum):
    """1212 признак предмета расчёта."""

    GOODS = 1
    EXCISE_GOODS = 2
    WORK = 3
    SERVICE = 4
    GAMBLING_BET = 5
    GAMBLING_WIN = 6
    LOTTERY_TICKET = 7
    LOTTERY_WIN = 8
    INTELLECTUAL_PROPERTY = 9
    PAYMENT = 10
    AGENT_FEE = 11
    COMPOSITE = 12
    OTHER = 13
    PROPERTY_RIGHT = 14
    NON_OPERATING_INCOME = 15
    INSURANCE_CONTRIBUTIONS = 16
    TRADE_FEE = 17
    RESORT_FEE = 18
    PLEDGE = 19
    EXPENSE = 20
    PENSION_INSURANCE_IP = 21
    PENSION_INSURANCE = 22
    MEDICAL_INSURANCE_IP = 23
    MEDICAL_INSURANCE = 24
    SOCIAL_INSURANCE = 25
    CASINO_PAYMENT = 26
    BANK_AGENT_CASH_OUT = 27
    EXCISE_MARKED_WITHOUT_CODE = 30
    EXCISE_MARKED_WITH_CODE = 31
    MARKED_WITHOUT_CODE = 32
    MARKED_WITH_CODE = 33

    @property
    def label(self) -> str:
        return _ITEM_TYPE_LABELS[self.value]


_ITEM_TYPE_LABELS = {
    1: "Товар", 2: "Подакцизный товар", 3: "Работа", 4: "Услуга", 5: "Ставка азартной игры",
    6: "Выигрыш азартной игры", 7: "Лотерейный билет", 8: "Выигрыш лотереи",
    9: "Предоставление РИД", 10: "Платёж", 11: "Агентское вознаграждение", 12: "Выплата",
    13: "Иной предмет расчёта", 14: "Имущественное право", 15: "Внереализационный доход",
    16: "Страховые взносы", 17: "Торговый сбор", 18: "Курортный сбор", 19: "Залог", 20: "Расход",
    21: "Взносы на ОПС ИП", 22: "Взносы на ОПС", 23: "Взносы на ОМС ИП", 24: "Взносы на ОМС",
    25: "Взносы на ОСС", 26: "Платёж казино", 27: "Выдача денежных средств",
    30: "Подакцизный товар без кода маркировки", 31: "Подакцизный товар с кодом маркировки",
    32: "Товар без кода маркировки", 33: "Товар с кодом маркировки",
}


class PaymentMethod(IntEnum):
    """1214 признак способа расчёта."""

    FULL_PREPAYMENT = 1
    PARTIAL_PREPAYMENT = 2
    ADVANCE = 3
    FULL_PAYMENT = 4
    PARTIAL_PAYMENT_AND_CREDIT = 5
    CREDIT = 6
    CREDIT_PAYMENT = 7

    @property
    def label(self) -> str:
        return {
            1: "Предоплата 100%", 2: "Предоплата", 3: "Аванс", 4: "Полный расчёт",
            5: "Частичный расчёт и кредит", 6: "Передача в кредит", 7: "Оплата кредита",
        }[self.value]

    @property
    def printed(self) -> str:
        return {
            1: "ПРЕДОПЛАТА 100%", 2: "ПРЕДОПЛАТА", 3: "АВАНС", 4: "ПОЛНЫЙ РАСЧЕТ",
            5: "ЧАСТИЧНЫЙ РАСЧЕТ И КРЕДИТ", 6: "ПЕРЕДАЧА В КРЕДИТ", 7: "ОПЛАТА КРЕДИТА",
        }[self.value]


class Unit(IntEnum):
    """2108 мера количества предмета расчёта (0 = pieces, as ATOL and Shtrih write it)."""

    PIECE = 0
    GRAM = 10
    KILOGRAM = 11
    TONNE = 12
    CENTIMETRE = 20
    DECIMETRE = 21
    METRE = 22
    SQUARE_CENTIMETRE = 30
    SQUARE_DECIMETRE = 31
    SQUARE_METRE = 32
    MILLILITRE = 40
    LITRE = 41
    CUBIC_METRE = 42
    KILOWATT_HOUR = 50
    GIGACALORIE = 51
    DAY = 70
    HOUR = 71
    MINUTE = 72
    SECOND = 73
    KILOBYTE = 80
    MEGABYTE = 81
    GIGABYTE = 82
    TERABYTE = 83
    OTHER = 255

    @property
    def label(self) -> str:
        """The short name as printed (CP866-safe: no ², ³ or ·)."""
        return _UNIT_LABELS[self.value]


_UNIT_LABELS = {
    0: "шт", 10: "г", 11: "кг", 12: "т", 20: "см", 21: "дм", 22: "м", 30: "кв. см", 31: "кв. дм",
    32: "кв. м", 40: "мл", 41: "л", 42: "куб. м", 50: "кВт ч", 51: "Гкал", 70: "сут", 71: "ч",
    72: "мин", 73: "с", 80: "Кбайт", 81: "Мбайт", 82: "Гбайт", 83: "Тбайт", 255: "ед",
}


class CorrectionType(IntEnum):
    """1173 тип коррекции."""

    OWN_INITIATIVE = 0
    BY_ORDER = 1

    @property
    def label(self) -> str:
        return {0: "Самостоятельно", 1: "По предписанию"}[self.value]


class FormCode(IntEnum):
    """The tag of a document's outer TLV (reference §3.12)."""

    REGISTRATION = 1
    REGISTRATION_CHANGE = 11
    SHIFT_OPEN = 2
    SETTLEMENT_STATUS = 21
    RECEIPT = 3
    CORRECTION_RECEIPT = 31
    BSO = 4
    BSO_CORRECTION = 41
    SHIFT_CLOSE = 5
    DRIVE_CLOSE = 6
    OFD_ACKNOWLEDGEMENT = 7

    @property
    def title(self) -> str:
        """The printed title (tag 1000)."""
        return {
            1: "ОТЧЕТ О РЕГИСТРАЦИИ", 11: "ОТЧЕТ ОБ ИЗМЕНЕНИИ ПАРАМЕТРОВ РЕГИСТРАЦИИ",
            2: "ОТЧЕТ ОБ ОТКРЫТИИ СМЕНЫ", 21: "ОТЧЕТ О ТЕКУЩЕМ СОСТОЯНИИ РАСЧЕТОВ", 3: "КАССОВЫЙ ЧЕК",
            31: "КАССОВЫЙ ЧЕК КОРРЕКЦИИ", 4: "БЛАНК СТРОГОЙ ОТЧЕТНОСТИ",
            41: "БЛАНК СТРОГОЙ ОТЧЕТНОСТИ КОРРЕКЦИИ", 5: "ОТЧЕТ О ЗАКРЫТИИ СМЕНЫ",
            6: "ОТЧЕТ О ЗАКРЫТИИ ФН", 7: "ПОДТВЕРЖДЕНИЕ ОПЕРАТОРА",
        }[self.value]

    @property
    def json_name(self) -> str:
        """The document object's name in the FNS JSON form."""
        return {
            1: "fiscalReport", 11: "fiscalReportCorrection", 2: "openShift", 21: "currentStateReport",
            3: "receipt", 31: "receiptCorrection", 4: "bso", 41: "bsoCorrection", 5: "closeShift",
            6: "closeArchive", 7: "operatorAck",
        }[self.value]


FFD_VERSION_1_2 = 4  # tags 1209/1189/1190
