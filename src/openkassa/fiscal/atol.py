"""Our documents as ATOL ДТО10 JSON tasks, so a real ATOL driver can be plugged in later.

The register builds a draft `Receipt` or `CorrectionReceipt`; a real ATOL device does its own
numbering and signing, so it receives the draft as a JSON task (`processJson`). Sums are integer
kopecks here and become roubles only at the edge of the task (ATOL's JSON carries numbers with two
decimals): Decimal first, `float` last, so no sum is ever computed in floating point.

Not translated yet: agent and supplier data, marking codes and other `Item.extra` requisites.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from openkassa.fiscal.documents import CorrectionReceipt, Item, Receipt
from openkassa.fiscal.enums import CorrectionType, ItemType, PaymentMethod, SettlementType, TaxSystem, VatRate

# Every name below follows ATOL's public JSON task format (ДТО10 «JSON-задания») as documented,
# not a real driver: check each against one before the first sale. One table per requisite.
ATOL_NAMES: dict[str, dict[Any, str]] = {
    "type": {  # 1054
        SettlementType.SALE: "sell",
        SettlementType.SALE_RETURN: "sellReturn",
        SettlementType.PURCHASE: "buy",
        SettlementType.PURCHASE_RETURN: "buyReturn",
    },
    "correctionType": {  # 1054 of a correction receipt
        SettlementType.SALE: "sellCorrection",
        SettlementType.SALE_RETURN: "sellReturnCorrection",
        SettlementType.PURCHASE: "buyCorrection",
        SettlementType.PURCHASE_RETURN: "buyReturnCorrection",
    },
    "correctionKind": {  # 1173
        CorrectionType.OWN_INITIATIVE: "self",
        CorrectionType.BY_ORDER: "instruction",
    },
    "taxationType": {  # 1055
        TaxSystem.OSN: "osn",
        TaxSystem.USN_INCOME: "usnIncome",
        TaxSystem.USN_INCOME_EXPENSE: "usnIncomeOutcome",
        TaxSystem.ENVD: "envd",
        TaxSystem.ESKHN: "esn",
        TaxSystem.PATENT: "patent",
    },
    "tax": {  # 1199
        VatRate.VAT_20: "vat20",
        VatRate.VAT_10: "vat10",
        VatRate.VAT_20_120: "vat120",
        VatRate.VAT_10_110: "vat110",
        VatRate.VAT_0: "vat0",
        VatRate.NO_VAT: "none",
        VatRate.VAT_5: "vat5",
        VatRate.VAT_7: "vat7",
        VatRate.VAT_5_105: "vat105",
        VatRate.VAT_7_107: "vat107",
        VatRate.VAT_22: "vat22",
        VatRate.VAT_22_122: "vat122",
    },
    "paymentMethod": {  # 1214
        PaymentMethod.FULL_PREPAYMENT: "fullPrepayment",
        PaymentMethod.PARTIAL_PREPAYMENT: "prepayment",
        PaymentMethod.ADVANCE: "advance",
        PaymentMethod.FULL_PAYMENT: "fullPayment",
        PaymentMethod.PARTIAL_PAYMENT_AND_CREDIT: "partialPayment",
        PaymentMethod.CREDIT: "credit",
        PaymentMethod.CREDIT_PAYMENT: "creditPayment",
    },
    "paymentObject": {  # 1212; the rarer names are the least certain
        ItemType.GOODS: "commodity",
        ItemType.EXCISE_GOODS: "excise",
        ItemType.WORK: "job",
        ItemType.SERVICE: "service",
        ItemType.GAMBLING_BET: "gamblingBet",
        ItemType.GAMBLING_WIN: "gamblingPrize",
        ItemType.LOTTERY_TICKET: "lottery",
        ItemType.LOTTERY_WIN: "lotteryPrize",
        ItemType.INTELLECTUAL_PROPERTY: "intellectualActivity",
        ItemType.PAYMENT: "payment",
        ItemType.AGENT_FEE: "agentCommission",
        ItemType.COMPOSITE: "composite",
        ItemType.OTHER: "another",
        ItemType.PROPERTY_RIGHT: "proprietaryLaw",
        ItemType.NON_OPERATING_INCOME: "nonOperatingIncome",
        ItemType.INSURANCE_CONTRIBUTIONS: "otherContributions",
        ItemType.TRADE_FEE: "merchantTax",
        ItemType.RESORT_FEE: "resortFee",
        ItemType.PLEDGE: "deposit",
        ItemType.EXPENSE: "consumption",
        ItemType.PENSION_INSURANCE_IP: "soleProprietorCPIContributions",
        ItemType.PENSION_INSURANCE: "cpiContributions",
        ItemType.MEDICAL_INSURANCE_IP: "soleProprietorCMIContributions",
        ItemType.MEDICAL_INSURANCE: "cmiContributions",
        ItemType.SOCIAL_INSURANCE: "csiContributions",
        ItemType.CASINO_PAYMENT: "casinoPayment",
        ItemType.BANK_AGENT_CASH_OUT: "fundsIssuance",
        ItemType.EXCISE_MARKED_WITHOUT_CODE: "exciseWithoutMarking",
        ItemType.EXCISE_MARKED_WITH_CODE: "exciseWithMarking",
        ItemType.MARKED_WITHOUT_CODE: "commodityWithoutMarking",
        ItemType.MARKED_WITH_CODE: "commodityWithMarking",
    },
    "payments": {  # the receipt's payment requisites, by field name (1031, 1081, 1215, 1216, 1217)
        "cash": "cash",
        "electronic": "electronically",
        "advance": "prepaid",
        "credit": "credit",
        "other": "other",
    },
}

CORRECTION_BASE_DATE_FORMAT = "%Y.%m.%d"  # ATOL writes correctionBaseDate as yyyy.mm.dd


def roubles(kopecks: int) -> float:
    """Kopecks as the two-decimal number ATOL's JSON carries: exact Decimal, converted last."""
    return float(Decimal(kopecks).scaleb(-2))


def _quantity(thousandths: int) -> float:
    return float(Decimal(thousandths).scaleb(-3))


def _operator(name: str, inn: str) -> dict[str, str]:
    operator = {"name": name}
    if inn:
        operator["vatin"] = inn
    return operator


def _position(item: Item) -> dict[str, Any]:
    return {
        "type": "position",
        "name": item.name,
        "price": roubles(item.price),
        "quantity": _quantity(item.quantity),
        "amount": roubles(item.amount),
        "measurementUnit": int(item.unit),
        "paymentMethod": ATOL_NAMES["paymentMethod"][item.payment_method],
        "paymentObject": ATOL_NAMES["paymentObject"][item.item_type],
        "tax": {"type": ATOL_NAMES["tax"][item.vat]},
    }


def _settlement(receipt: Receipt | CorrectionReceipt, task_type: str, operator_name: str, operator_inn: str,
                electronically: bool) -> dict[str, Any]:
    """What a receipt and a correction receipt share; the operator defaults to the receipt's cashier."""
    task: dict[str, Any] = {
        "type": task_type,
        "taxationType": ATOL_NAMES["taxationType"][receipt.tax_system],
        "electronically": electronically,
        "operator": _operator(operator_name or receipt.cashier or "", operator_inn or receipt.cashier_inn or ""),
        "items": [_position(item) for item in receipt.items],
        "payments": [
            {"type": atol_type, "sum": roubles(getattr(receipt, field))}
            for field, atol_type in ATOL_NAMES["payments"].items()
            if getattr(receipt, field)
        ],
        "total": roubles(receipt.total),
    }
    if receipt.buyer_contact:
        task["clientInfo"] = {"emailOrPhone": receipt.buyer_contact}
    return task


def receipt_task(receipt: Receipt, *, operator_name: str = "", operator_inn: str = "",
                 electronically: bool = False) -> dict[str, Any]:
    """A receipt (sale, return, purchase, purchase return) as an ATOL task."""
    return _settlement(receipt, ATOL_NAMES["type"][receipt.settlement], operator_name, operator_inn, electronically)


def correction_task(receipt: CorrectionReceipt, *, operator_name: str = "", operator_inn: str = "",
                    electronically: bool = False) -> dict[str, Any]:
    """A correction receipt as an ATOL task, with the correction's type, date and order number."""
    task = _settlement(receipt, ATOL_NAMES["correctionType"][receipt.settlement], operator_name, operator_inn,
                       electronically)
    task["correctionType"] = ATOL_NAMES["correctionKind"][receipt.correction_type]
    task["correctionBaseDate"] = receipt.corrected_date.strftime(CORRECTION_BASE_DATE_FORMAT)
    if receipt.order_number:
        task["correctionBaseNumber"] = receipt.order_number
    return task


def open_shift_task(*, operator_name: str, operator_inn: str = "") -> dict[str, Any]:
    """Open a shift in the cashier's name."""
    return {"type": "openShift", "operator": _operator(operator_name, operator_inn)}


def close_shift_task(*, operator_name: str, operator_inn: str = "") -> dict[str, Any]:
    """Close the shift in the cashier's name."""
    return {"type": "closeShift", "operator": _operator(operator_name, operator_inn)}


def report_x_task(*, operator_name: str, operator_inn: str = "") -> dict[str, Any]:
    """Print an X report (not a fiscal document)."""
    return {"type": "reportX", "operator": _operator(operator_name, operator_inn)}
