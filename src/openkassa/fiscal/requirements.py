"""The requirement tables of ФФД 1.2 (reference §2) as data, and `check`, which holds a document to them.

Each table maps a tag to its `Requirement`: the obligation (M must be present, S must be present in
the cases the notes of the order give, O may be present) and the medium (P printed form only,
E electronic form only, PE both). Where §2 gives no column (the counters), the obligation is ours
and says so.

`check` works on the electronic form, the `Fields` of a document: an M requisite of the printed form
only (1000 the title, 1196 the QR code) is derived when printing and never required here; such tags
are still allowed. The S conditions that §2 and §5 state are checked (`CONDITIONS`); the others are
not, because the notes of the order are not in the reference.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from enum import StrEnum
from typing import NamedTuple

from openkassa.fiscal import unconfirmed
from openkassa.fiscal.enums import CorrectionType, FormCode, VatRate
from openkassa.fiscal.errors import InvalidDocument
from openkassa.fiscal.tags import TAGS
from openkassa.fiscal.tlv import Fields


class Obligation(StrEnum):
    """Column «Обяз.» of the order: 1 → M, 2 → S, 3 → O."""

    M = "M"
    S = "S"
    O = "O"  # noqa: E741 — the letter the reference uses


class Medium(StrEnum):
    """The forms of the document a requisite appears in: printed, electronic or both."""

    P = "P"
    E = "E"
    PE = "PE"


class Requirement(NamedTuple):
    obligation: Obligation
    medium: Medium


Table = dict[int, Requirement]
M, S, O = Obligation.M, Obligation.S, Obligation.O
P, E, PE = Medium.P, Medium.E, Medium.PE

REGISTRATION: Table = {
    # Registration report, form 1 (table 87).
    1000: Requirement(M, P),  # document name (printed title)
    1209: Requirement(M, E),  # FFD version of the document
    1048: Requirement(M, PE),  # user (seller) name
    1018: Requirement(M, PE),  # user (seller) INN
    1062: Requirement(O, PE),  # taxation systems (registered set)
    1012: Requirement(M, PE),  # date & time of the FD
    1037: Requirement(M, PE),  # KKT registration number
    1002: Requirement(M, PE),  # offline (autonomous) mode flag
    1056: Requirement(M, PE),  # encryption flag
    1001: Requirement(M, PE),  # automatic-mode flag
    1036: Requirement(S, PE),  # vending machine number
    1290: Requirement(M, PE),  # KKT usage-condition flags
    1013: Requirement(M, PE),  # KKT serial number
    1021: Requirement(M, PE),  # cashier
    1203: Requirement(O, E),  # cashier INN
    1009: Requirement(M, PE),  # settlement address
    1187: Requirement(M, PE),  # place of settlement
    1060: Requirement(S, PE),  # FNS website
    1117: Requirement(S, PE),  # receipt sender e-mail
    1017: Requirement(S, PE),  # OFD INN
    1046: Requirement(S, PE),  # OFD name
    1188: Requirement(M, PE),  # KKT model version
    1189: Requirement(M, PE),  # KKT FFD version
    1190: Requirement(M, PE),  # FN FFD version
    1213: Requirement(M, PE),  # FP key resource (days)
    1274: Requirement(S, E),  # extra requisite of reg. report
    1275: Requirement(S, E),  # extra data of reg. report
    1040: Requirement(M, PE),  # FD number
    1041: Requirement(M, PE),  # FN serial number
    1077: Requirement(M, PE),  # fiscal sign of document (ФПД)
}
_REGISTRATION_CHANGE_EXTRA: Table = {
    # Added to form 1 by the re-registration report, form 11 (table 88).
    1205: Requirement(M, PE),  # reasons for KKT info change
    1157: Requirement(S, PE),  # FN lifetime totals
}
SHIFT_OPEN: Table = {
    # Shift open report, form 2 (table 94).
    1000: Requirement(M, P),  # document name (printed title)
    1209: Requirement(M, E),  # FFD version of the document
    1048: Requirement(M, P),  # user (seller) name
    1018: Requirement(M, PE),  # user (seller) INN
    1021: Requirement(S, PE),  # cashier
    1203: Requirement(O, E),  # cashier INN
    1009: Requirement(M, P),  # settlement address
    1187: Requirement(M, P),  # place of settlement
    1012: Requirement(M, PE),  # date & time of the FD
    1038: Requirement(M, PE),  # shift number
    1037: Requirement(M, PE),  # KKT registration number
    1053: Requirement(S, PE),  # OFD response timeout flag
    1051: Requirement(S, PE),  # FN urgent replacement flag
    1052: Requirement(S, PE),  # FN memory full flag
    1050: Requirement(S, PE),  # FN resource exhaustion flag
    1206: Requirement(S, PE),  # OFD operator message
    1188: Requirement(M, PE),  # KKT model version
    1189: Requirement(M, PE),  # KKT FFD version
    1276: Requirement(S, E),  # extra requisite of shift-open report
    1277: Requirement(S, E),  # extra data of shift-open report
    1040: Requirement(M, PE),  # FD number
    1041: Requirement(M, PE),  # FN serial number
    1077: Requirement(M, PE),  # fiscal sign of document (ФПД)
}
RECEIPT: Table = {
    # Receipt, form 3 and БСО, form 4 (table 96).
    1000: Requirement(M, P),  # document name (printed title)
    1209: Requirement(M, E),  # FFD version of the document
    1048: Requirement(O, PE),  # user (seller) name
    1018: Requirement(O, PE),  # user (seller) INN
    1256: Requirement(O, PE),  # buyer information
    1042: Requirement(M, E),  # receipt number within shift
    1012: Requirement(M, PE),  # date & time of the FD
    1038: Requirement(M, E),  # shift number
    1054: Requirement(M, PE),  # settlement type (sale/return…)
    1055: Requirement(O, PE),  # taxation system applied
    1021: Requirement(S, PE),  # cashier
    1203: Requirement(O, E),  # cashier INN
    1037: Requirement(M, PE),  # KKT registration number
    1036: Requirement(S, PE),  # vending machine number
    1009: Requirement(M, PE),  # settlement address
    1187: Requirement(M, PE),  # place of settlement
    1008: Requirement(O, PE),  # buyer phone or e-mail
    1059: Requirement(M, PE),  # item (subject of settlement)
    1020: Requirement(M, PE),  # receipt total
    1031: Requirement(O, PE),  # paid in cash
    1081: Requirement(O, PE),  # paid electronically (cashless)
    1215: Requirement(O, PE),  # paid by prepayment (advance offset)
    1216: Requirement(O, PE),  # paid by postpayment (credit)
    1217: Requirement(O, PE),  # paid by counter-provision
    1102: Requirement(S, PE),  # receipt VAT sum at 20%
    1103: Requirement(S, PE),  # receipt VAT sum at 10%
    1104: Requirement(S, PE),  # receipt sum at VAT 0%
    1105: Requirement(S, PE),  # receipt sum without VAT
    1106: Requirement(S, PE),  # receipt VAT sum at 20/120
    1107: Requirement(S, PE),  # receipt VAT sum at 10/110
    1108: Requirement(S, E),  # internet-only KKT flag
    1117: Requirement(S, E),  # receipt sender e-mail
    2107: Requirement(S, PE),  # marked goods check results
    1060: Requirement(O, PE),  # FNS website
    1270: Requirement(S, E),  # operational requisite
    1192: Requirement(O, PE),  # additional receipt requisite
    1084: Requirement(O, PE),  # additional user requisite
    1261: Requirement(S, E),  # industry requisite of receipt
    1040: Requirement(M, PE),  # FD number
    1041: Requirement(M, PE),  # FN serial number
    1077: Requirement(M, PE),  # fiscal sign of document (ФПД)
    1196: Requirement(M, P),  # QR code
}
ITEM: Table = {
    # Item 1059 (table 97).
    1214: Requirement(O, PE),  # payment method (full/prepay/credit…)
    1212: Requirement(O, PE),  # item type
    1222: Requirement(O, PE),  # agent flag for item
    1223: Requirement(O, PE),  # agent data
    1224: Requirement(O, PE),  # supplier data
    1226: Requirement(O, PE),  # supplier INN
    1030: Requirement(S, PE),  # item name
    2108: Requirement(S, PE),  # quantity measure unit
    1163: Requirement(S, PE),  # product code (structured)
    2115: Requirement(S, P),  # marking control code
    2102: Requirement(O, E),  # marking-code processing mode
    2106: Requirement(O, PE),  # product info check result
    1230: Requirement(O, PE),  # country of origin code
    1231: Requirement(O, PE),  # customs declaration number
    1079: Requirement(M, PE),  # unit price (after discounts)
    1198: Requirement(O, PE),  # VAT per unit
    1023: Requirement(M, PE),  # item quantity
    1291: Requirement(S, PE),  # fractional quantity of marked goods
    1229: Requirement(O, PE),  # excise duty
    1199: Requirement(S, PE),  # VAT rate
    1200: Requirement(O, PE),  # item VAT sum
    1043: Requirement(M, PE),  # item total cost (after discounts)
    1260: Requirement(S, E),  # industry requisite of item
    1191: Requirement(O, PE),  # additional item requisite
}
AGENT_DATA: Table = {
    # 1223 agent data (table 98).
    1075: Requirement(S, PE),  # transfer operator phone
    1044: Requirement(S, PE),  # payment agent operation
    1073: Requirement(S, PE),  # payment agent phone
    1074: Requirement(S, PE),  # payment-acceptance operator phone
    1026: Requirement(S, PE),  # transfer operator name
    1005: Requirement(S, PE),  # transfer operator address
    1016: Requirement(S, PE),  # transfer operator INN
}
SUPPLIER_DATA: Table = {
    # 1224 supplier data (table 99).
    1171: Requirement(S, PE),  # supplier phone
    1225: Requirement(S, PE),  # supplier name
}
PRODUCT_CODE: Table = {
    # 1163 product code (table 117).
    1300: Requirement(S, E),  # unrecognised product code
    1301: Requirement(S, E),  # EAN-8
    1302: Requirement(S, E),  # EAN-13
    1303: Requirement(S, E),  # ITF-14
    1304: Requirement(S, E),  # GS1.0
    1305: Requirement(S, E),  # GS1.M
    1306: Requirement(S, E),  # KMK code
    1307: Requirement(S, E),  # fur (МИ) code
    1308: Requirement(S, E),  # EGAIS-2.0
    1309: Requirement(S, E),  # EGAIS-3.0
    1320: Requirement(S, E),  # code format F.1
    1321: Requirement(S, E),  # code format F.2
    1322: Requirement(S, PE),  # code format F.3
    1323: Requirement(S, E),  # code format F.4
    1324: Requirement(S, E),  # code format F.5
    1325: Requirement(S, PE),  # code format F.6
}
BUYER: Table = {
    # 1256 buyer information (table 115).
    1227: Requirement(S, PE),  # buyer (client)
    1228: Requirement(S, E),  # buyer INN
    1243: Requirement(S, E),  # buyer date of birth
    1244: Requirement(O, E),  # buyer citizenship
    1245: Requirement(S, E),  # buyer ID document type code
    1246: Requirement(S, E),  # buyer ID document data
    1254: Requirement(O, PE),  # buyer address
}
FRACTIONAL_QUANTITY: Table = {
    # 1291 fractional quantity of marked goods (table 150).
    1292: Requirement(M, P),  # fraction (text)
    1293: Requirement(M, E),  # numerator
    1294: Requirement(M, E),  # denominator
}
INDUSTRY_REQUISITE: Table = {
    # 1260 / 1261 industry requisite (table 102).
    1262: Requirement(O, E),  # federal authority (ФОИВ) id
    1263: Requirement(O, E),  # basis document date
    1264: Requirement(O, E),  # basis document number
    1265: Requirement(O, E),  # industry requisite value
}
OPERATIONAL_REQUISITE: Table = {
    # 1270 operational requisite (table 119).
    1273: Requirement(S, E),  # operation date/time
    1271: Requirement(S, E),  # operation id
    1272: Requirement(S, E),  # operation data
}
USER_REQUISITE: Table = {
    # 1084 additional user requisite (table 10).
    1085: Requirement(O, PE),  # additional requisite name
    1086: Requirement(O, PE),  # additional requisite value
}
SHIFT_CLOSE: Table = {
    # Shift close report, form 5 (table 123).
    1000: Requirement(M, P),  # document name (printed title)
    1209: Requirement(M, E),  # FFD version of the document
    1048: Requirement(M, P),  # user (seller) name
    1018: Requirement(M, PE),  # user (seller) INN
    1021: Requirement(S, PE),  # cashier
    1203: Requirement(O, E),  # cashier INN
    1009: Requirement(M, P),  # settlement address
    1187: Requirement(M, P),  # place of settlement
    1012: Requirement(M, PE),  # date & time of the FD
    1038: Requirement(M, PE),  # shift number
    1037: Requirement(M, PE),  # KKT registration number
    1118: Requirement(M, PE),  # receipts in shift
    1111: Requirement(M, PE),  # total FDs in shift
    1097: Requirement(S, PE),  # number of FDs not confirmed by OFD
    2104: Requirement(S, PE),  # unsent marking notifications
    1098: Requirement(S, PE),  # date of first unconfirmed FD
    1053: Requirement(S, PE),  # OFD response timeout flag
    1051: Requirement(S, PE),  # FN urgent replacement flag
    1052: Requirement(S, PE),  # FN memory full flag
    1050: Requirement(S, PE),  # FN resource exhaustion flag
    1206: Requirement(S, PE),  # OFD operator message
    2112: Requirement(S, PE),  # incorrect marking codes flag
    2113: Requirement(S, PE),  # incorrect requests/notifications flag
    1194: Requirement(M, PE),  # shift totals
    1157: Requirement(M, PE),  # FN lifetime totals
    1213: Requirement(M, PE),  # FP key resource (days)
    1278: Requirement(S, E),  # extra requisite of shift-close report
    1279: Requirement(S, E),  # extra data of shift-close report
    1040: Requirement(M, PE),  # FD number
    1041: Requirement(M, PE),  # FN serial number
    1077: Requirement(M, PE),  # fiscal sign of document (ФПД)
}
DRIVE_CLOSE: Table = {
    # Fiscal drive close report, form 6 (table 124).
    1000: Requirement(M, P),  # document name (printed title)
    1209: Requirement(M, E),  # FFD version of the document
    1048: Requirement(M, PE),  # user (seller) name
    1018: Requirement(M, PE),  # user (seller) INN
    1021: Requirement(S, PE),  # cashier
    1203: Requirement(O, E),  # cashier INN
    1009: Requirement(M, PE),  # settlement address
    1187: Requirement(M, PE),  # place of settlement
    1012: Requirement(M, PE),  # date & time of the FD
    1038: Requirement(M, PE),  # shift number
    1037: Requirement(M, PE),  # KKT registration number
    1157: Requirement(M, PE),  # FN lifetime totals
    1282: Requirement(S, E),  # extra requisite of FN-close report
    1283: Requirement(S, E),  # extra data of FN-close report
    1040: Requirement(M, PE),  # FD number
    1041: Requirement(M, PE),  # FN serial number
    1077: Requirement(M, PE),  # fiscal sign of document (ФПД)
}
SETTLEMENT_STATUS: Table = {
    # Current settlement status report, form 21 (table 95).
    1000: Requirement(M, P),  # document name (printed title)
    1209: Requirement(M, E),  # FFD version of the document
    1048: Requirement(M, P),  # user (seller) name
    1018: Requirement(M, PE),  # user (seller) INN
    1009: Requirement(M, P),  # settlement address
    1187: Requirement(M, P),  # place of settlement
    1012: Requirement(M, PE),  # date & time of the FD
    1038: Requirement(S, PE),  # shift number
    1002: Requirement(S, PE),  # offline (autonomous) mode flag
    1116: Requirement(S, PE),  # number of first unconfirmed FD
    1097: Requirement(S, PE),  # number of FDs not confirmed by OFD
    2104: Requirement(S, PE),  # unsent marking notifications
    1098: Requirement(S, PE),  # date of first unconfirmed FD
    1213: Requirement(M, PE),  # FP key resource (days)
    1037: Requirement(M, PE),  # KKT registration number
    1157: Requirement(M, PE),  # FN lifetime totals
    1158: Requirement(S, PE),  # totals of unsent FDs
    1280: Requirement(S, E),  # extra requisite of state report
    1281: Requirement(S, E),  # extra data of state report
    1040: Requirement(M, PE),  # FD number
    1041: Requirement(M, PE),  # FN serial number
    1077: Requirement(M, PE),  # fiscal sign of document (ФПД)
}
CORRECTION_RECEIPT: Table = {
    # Correction receipt, form 31 and БСО коррекции, form 41 (table 120).
    1000: Requirement(M, P),  # document name (printed title)
    1209: Requirement(M, E),  # FFD version of the document
    1048: Requirement(O, PE),  # user (seller) name
    1018: Requirement(O, PE),  # user (seller) INN
    1256: Requirement(O, PE),  # buyer information
    1042: Requirement(M, E),  # receipt number within shift
    1012: Requirement(M, PE),  # date & time of the FD
    1038: Requirement(M, E),  # shift number
    1054: Requirement(M, PE),  # settlement type (sale/return…)
    1055: Requirement(O, PE),  # taxation system applied
    1021: Requirement(S, PE),  # cashier
    1203: Requirement(O, E),  # cashier INN
    1037: Requirement(M, PE),  # KKT registration number
    1173: Requirement(O, PE),  # correction type
    1174: Requirement(M, PE),  # correction basis
    1036: Requirement(S, PE),  # vending machine number
    1009: Requirement(M, PE),  # settlement address
    1187: Requirement(M, PE),  # place of settlement
    1008: Requirement(O, PE),  # buyer phone or e-mail
    1059: Requirement(M, PE),  # item (subject of settlement)
    1020: Requirement(M, PE),  # receipt total
    1031: Requirement(O, PE),  # paid in cash
    1081: Requirement(O, PE),  # paid electronically (cashless)
    1215: Requirement(O, PE),  # paid by prepayment (advance offset)
    1216: Requirement(O, PE),  # paid by postpayment (credit)
    1217: Requirement(O, PE),  # paid by counter-provision
    1102: Requirement(S, PE),  # receipt VAT sum at 20%
    1103: Requirement(S, PE),  # receipt VAT sum at 10%
    1104: Requirement(S, PE),  # receipt sum at VAT 0%
    1105: Requirement(S, PE),  # receipt sum without VAT
    1106: Requirement(S, PE),  # receipt VAT sum at 20/120
    1107: Requirement(S, PE),  # receipt VAT sum at 10/110
    1108: Requirement(S, E),  # internet-only KKT flag
    1117: Requirement(S, E),  # receipt sender e-mail
    2107: Requirement(O, PE),  # marked goods check results
    1060: Requirement(O, E),  # FNS website
    1270: Requirement(S, E),  # operational requisite
    1192: Requirement(O, PE),  # additional receipt requisite
    1084: Requirement(O, PE),  # additional user requisite
    1261: Requirement(S, E),  # industry requisite of receipt
    1040: Requirement(M, PE),  # FD number
    1041: Requirement(M, PE),  # FN serial number
    1077: Requirement(M, PE),  # fiscal sign of document (ФПД)
    1196: Requirement(O, P),  # QR code
}
CORRECTION_BASIS: Table = {
    # 1174 correction basis (tables 67/122).
    1178: Requirement(S, PE),  # date of corrected settlement
    1179: Requirement(S, E),  # tax-authority order number
}

# The counters (§2.5) have no obligation column. Ours, as the documents write them: the counts are
# always there; a sum is written only when it is not zero, and a whole structure only when it holds
# something (an STLV with every child present would overflow the limits of §2.5, e.g. 1145 ≤ 32
# bytes). Every counter appears in both forms.
COUNTERS: Table = {
    # 1194 shift totals and 1157 lifetime totals (coop-fd tables 89–92).
    1134: Requirement(M, PE),  # receipts + correction receipts of all types
    1129: Requirement(O, PE),  # sale counters
    1130: Requirement(O, PE),  # sale-return counters
    1131: Requirement(O, PE),  # purchase counters
    1132: Requirement(O, PE),  # purchase-return counters
    1133: Requirement(O, PE),  # correction-receipt counters
}
OPERATION_COUNTERS: Table = {
    # Children of 1129–1132.
    1135: Requirement(M, PE),  # number of receipts of this settlement type
    1136: Requirement(O, PE),  # total cash
    1138: Requirement(O, PE),  # total cashless
    1218: Requirement(O, PE),  # total prepayments
    1219: Requirement(O, PE),  # total credit
    1220: Requirement(O, PE),  # total counter-provision
    1201: Requirement(O, PE),  # grand total
    1139: Requirement(O, PE),  # VAT 20 %
    1140: Requirement(O, PE),  # VAT 10 %
    1141: Requirement(O, PE),  # VAT 20/120
    1142: Requirement(O, PE),  # VAT 10/110
    1143: Requirement(O, PE),  # turnover at 0 %
    1183: Requirement(O, PE),  # turnover without VAT
}
CORRECTION_COUNTERS: Table = {
    # Children of 1133 (corrections) and of 1158 (documents not confirmed by the OFD).
    1144: Requirement(M, PE),  # count of correction receipts / of unsent receipts and corrections
    1145: Requirement(O, PE),  # sale
    1146: Requirement(O, PE),  # purchase
    1232: Requirement(O, PE),  # sale return
    1233: Requirement(O, PE),  # purchase return
}
CORRECTION_OPERATION_COUNTERS: Table = {
    # Children of 1145/1146/1232/1233: the sums of OPERATION_COUNTERS without VAT.
    tag: requirement for tag, requirement in OPERATION_COUNTERS.items() if tag not in range(1139, 1144) and tag != 1183
}

REGISTRATION_CHANGE: Table = REGISTRATION | _REGISTRATION_CHANGE_EXTRA

FORMS: dict[int, Table] = {
    FormCode.REGISTRATION: REGISTRATION,
    FormCode.REGISTRATION_CHANGE: REGISTRATION_CHANGE,
    FormCode.SHIFT_OPEN: SHIFT_OPEN,
    FormCode.SETTLEMENT_STATUS: SETTLEMENT_STATUS,
    FormCode.RECEIPT: RECEIPT,
    FormCode.BSO: RECEIPT,
    FormCode.CORRECTION_RECEIPT: CORRECTION_RECEIPT,
    FormCode.BSO_CORRECTION: CORRECTION_RECEIPT,
    FormCode.SHIFT_CLOSE: SHIFT_CLOSE,
    FormCode.DRIVE_CLOSE: DRIVE_CLOSE,
}
"""The requirement table of each document, by form code."""

NESTED: dict[int, Table] = {
    1059: ITEM,
    1223: AGENT_DATA,
    1224: SUPPLIER_DATA,
    1163: PRODUCT_CODE,
    1256: BUYER,
    1291: FRACTIONAL_QUANTITY,
    1260: INDUSTRY_REQUISITE,
    1261: INDUSTRY_REQUISITE,
    1270: OPERATIONAL_REQUISITE,
    1084: USER_REQUISITE,
    1174: CORRECTION_BASIS,
    1194: COUNTERS,
    1157: COUNTERS,
    1129: OPERATION_COUNTERS,
    1130: OPERATION_COUNTERS,
    1131: OPERATION_COUNTERS,
    1132: OPERATION_COUNTERS,
    1133: CORRECTION_COUNTERS,
    1158: CORRECTION_COUNTERS,
    1145: CORRECTION_OPERATION_COUNTERS,
    1146: CORRECTION_OPERATION_COUNTERS,
    1232: CORRECTION_OPERATION_COUNTERS,
    1233: CORRECTION_OPERATION_COUNTERS,
}
"""The requirement table of the children of each STLV requisite, by its tag."""

REPEATABLE = frozenset({1059, 1074})
"""Tags that may appear more than once at one level (items of a receipt, phones in 1223)."""

DRIVE_TAGS = frozenset({1209, 1041, 1037, 1018, 1040, 1012, 1077, 1038, 1042, 1048, 1009, 1187})
"""What the fiscal drive adds to a document (§2.0 and its registration data); a draft has none of it."""

RECEIPT_VAT_TAGS: dict[VatRate, int] = {
    VatRate.VAT_20: 1102,
    VatRate.VAT_10: 1103,
    VatRate.VAT_0: 1104,
    VatRate.NO_VAT: 1105,
    VatRate.VAT_20_120: 1106,
    VatRate.VAT_10_110: 1107,
} | {VatRate(rate): tag for rate, tag in unconfirmed.RECEIPT_VAT_TAGS_NEW_RATES.items()}
"""The receipt-level VAT requisite of each rate (§2.3); the rates of 2025–2026 have none (unconfirmed.py)."""
for _tag in unconfirmed.RECEIPT_VAT_TAGS_NEW_RATES.values():
    RECEIPT[_tag] = CORRECTION_RECEIPT[_tag] = Requirement(S, PE)


# --- the S conditions that §2 and §5 state ----------------------------------------------------------

Level = dict[int, list]
"""The values of one STLV level by tag (a list: tags may repeat)."""

Condition = Callable[[Level], "InvalidDocument | None"]


def _first(level: Level, tag: int):
    return level[tag][0] if tag in level else None


def _machine_number_when_automatic(level: Level) -> InvalidDocument | None:
    """1036 when the register works in automatic mode, 1001 = 1 (§4.3)."""
    if _first(level, 1001) and 1036 not in level:
        return missing_requisite(1036, "when the automatic-mode flag 1001 is set")
    return None


def _ofd_when_online(level: Level) -> InvalidDocument | None:
    """1017 and 1046 when the register is online, 1002 = 0: its documents go to an OFD (§5)."""
    if 1002 in level and not _first(level, 1002):
        for tag in (1017, 1046):
            if tag not in level:
                return missing_requisite(tag, "when the register is online (1002 = 0)")
    return None


def _vat_totals_for_rates_used(level: Level) -> InvalidDocument | None:
    """1102–1107 for each rate an item uses (§2.3, §4.3)."""
    rates = {_first(_level(item), 1199) for item in level.get(1059, [])}
    for rate, tag in RECEIPT_VAT_TAGS.items():
        if rate in rates and tag not in level:
            return missing_requisite(tag, f"when an item has the VAT rate {rate.label}")
    return None


def _contacts_when_sent_electronically(level: Level) -> InvalidDocument | None:
    """1008 (buyer) and 1117 (sender) together: a receipt sent electronically needs both (§4.3)."""
    for present, absent in ((1008, 1117), (1117, 1008)):
        if present in level and absent not in level:
            return missing_requisite(absent, f"when the receipt is sent electronically ({present} is given)")
    return None


def _order_number_when_by_order(level: Level) -> InvalidDocument | None:
    """1179 in 1174 when the correction is made by order of the tax authority, 1173 = 1 (§2.8, §3.6)."""
    if _first(level, 1173) == CorrectionType.BY_ORDER:
        basis = _level(_first(level, 1174) or [])
        if 1179 not in basis:
            return missing_requisite(1179, "when the correction is made by order (1173 = 1)")
    return None


def _unsent_details_when_unsent(*tags: int) -> Condition:
    def condition(level: Level) -> InvalidDocument | None:
        if (_first(level, 1097) or 0) > 0:
            for tag in tags:
                if tag not in level:
                    return missing_requisite(tag, "when documents await the OFD (1097 > 0)")
        return None

    condition.__doc__ = f"{', '.join(map(str, tags))} when documents await the OFD, 1097 > 0 (§5)."
    return condition


def _exactly_one_code(level: Level) -> InvalidDocument | None:
    """1163 holds exactly one product code (§2.4)."""
    if sum(len(values) for values in level.values()) != 1:
        return InvalidDocument(1163, "a product code holds exactly one code")
    return None


_RECEIPT_CONDITIONS = (_vat_totals_for_rates_used, _contacts_when_sent_electronically)

FORM_CONDITIONS: dict[int, tuple[Condition, ...]] = {
    FormCode.REGISTRATION: (_machine_number_when_automatic, _ofd_when_online),
    FormCode.REGISTRATION_CHANGE: (_machine_number_when_automatic, _ofd_when_online),
    FormCode.RECEIPT: _RECEIPT_CONDITIONS,
    FormCode.BSO: _RECEIPT_CONDITIONS,
    FormCode.CORRECTION_RECEIPT: (*_RECEIPT_CONDITIONS, _order_number_when_by_order),
    FormCode.BSO_CORRECTION: (*_RECEIPT_CONDITIONS, _order_number_when_by_order),
    FormCode.SHIFT_CLOSE: (_unsent_details_when_unsent(1098),),
    FormCode.SETTLEMENT_STATUS: (_unsent_details_when_unsent(1116, 1098),),
}
"""The S requisites whose condition the reference states, by form code."""

NESTED_CONDITIONS: dict[int, tuple[Condition, ...]] = {1163: (_exactly_one_code,)}


def tag_name(tag: int) -> str:
    """The Russian name of a requisite, as the order gives it."""
    spec = TAGS.get(tag)
    return spec.name if spec is not None else "unknown requisite"


def missing_requisite(tag: int, when: str = "") -> InvalidDocument:
    reason = f"mandatory requisite {tag} ({tag_name(tag)}) is missing"
    return InvalidDocument(tag, f"{reason} {when}" if when else reason)


def _level(fields: Iterable) -> Level:
    level: Level = {}
    for tag, value in fields:
        level.setdefault(tag, []).append(value)
    return level


def check(form: int, fields: Fields, *, draft: bool = False) -> None:
    """Refuse a document whose requisites break the table of its form (§2), naming the tag.

    Every M requisite of the electronic form must be present, with the S requisites whose condition
    holds; a tag outside the table, or repeated where it may not be, is refused. The same holds,
    level by level, inside the STLV requisites the reference describes. A `draft` (a document not yet
    through the fiscal drive) is not asked for the requisites the drive adds (`DRIVE_TAGS`).
    """
    table = FORMS.get(form)
    if table is None:
        raise InvalidDocument(None, f"unknown document form {form}")
    _check_level(table, fields, FORM_CONDITIONS.get(form, ()), f"form {form}", DRIVE_TAGS if draft else frozenset())


def _check_level(table: Table, fields: Fields, conditions: Iterable[Condition], where: str, excused: frozenset[int]) -> None:
    level = _level(fields)
    for tag, values in level.items():
        if tag not in table:
            raise InvalidDocument(tag, f"requisite {tag} ({tag_name(tag)}) is not allowed in {where}")
        if len(values) > 1 and tag not in REPEATABLE:
            raise InvalidDocument(tag, f"requisite {tag} ({tag_name(tag)}) appears {len(values)} times in {where}")
    for tag, (obligation, medium) in table.items():
        if obligation is M and medium is not P and tag not in level and tag not in excused:
            raise missing_requisite(tag)
    for condition in conditions:
        if (error := condition(level)) is not None:
            raise error
    for tag, values in level.items():
        if tag in NESTED:
            for value in values:
                if not isinstance(value, list):
                    raise InvalidDocument(tag, f"requisite {tag} ({tag_name(tag)}) must be a structure (STLV)")
                _check_level(NESTED[tag], value, NESTED_CONDITIONS.get(tag, ()), f"requisite {tag}", frozenset())


def check_extra(table: Table, extra: Fields, modeled: Iterable[int], where: str) -> None:
    """Refuse requisites kept beside a model's own fields: outside `table`, modeled already, or repeated.

    Structures among them are checked against their own table, as `check` does.
    """
    modeled = frozenset(modeled)
    seen: set[int] = set()
    for tag, value in extra:
        if tag not in table:
            raise InvalidDocument(tag, f"requisite {tag} ({tag_name(tag)}) is not allowed in {where}")
        if tag in modeled:
            raise InvalidDocument(tag, f"requisite {tag} ({tag_name(tag)}) is a field of {where}, not an extra")
        if tag in seen and tag not in REPEATABLE:
            raise InvalidDocument(tag, f"requisite {tag} ({tag_name(tag)}) appears twice in {where}")
        seen.add(tag)
        if tag in NESTED:
            if not isinstance(value, list):
                raise InvalidDocument(tag, f"requisite {tag} ({tag_name(tag)}) must be a structure (STLV)")
            _check_level(NESTED[tag], value, NESTED_CONDITIONS.get(tag, ()), f"requisite {tag}", frozenset())
