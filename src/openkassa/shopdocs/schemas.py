"""Reading a document an online shop sends (`POST /api/fn/v2/doc`, reference §5.3, §7).

The shops' plugins were written against a lenient Java server, so the reader is lenient where they
are (reference §3.2): unknown fields are ignored, `null` is "absent", a number may come as a string
and a string as a number, `docType` may be called `documentType`. It is strict where a receipt
must be right: the enums exactly as documented, the limits, and the totals to the kopeck (a
position's amount is price × quantity − its discount, rounded half up; the payments must add up to
the positions). Every problem is named by its path, `inventPositions[0].quantity: …`, as the
plugins show the server's message to the shop owner.

Money becomes kopecks and quantities thousandths, read from the JSON text as decimals, never
through binary floats.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from openkassa.fiscal.enums import ItemType, PaymentMethod, SettlementType, TaxSystem, VatRate
from openkassa.i18n import _
from openkassa.money import MAX_KOPECKS, to_roubles

DOC_TYPES = {"SALE": SettlementType.SALE, "RETURN": SettlementType.SALE_RETURN, "BUY": SettlementType.PURCHASE,
             "BUY_RETURN": SettlementType.PURCHASE_RETURN}
CHECK_TYPES = {"SALE": "SALE", "RETURN": "RETURN", "BUY": "PURCHASE", "BUY_RETURN": "RETURN_PURCHASE"}
TAX_MODES = {"COMMON": TaxSystem.OSN, "SIMPLIFIED": TaxSystem.USN_INCOME,
             "SIMPLIFIED_WITH_EXPENSE": TaxSystem.USN_INCOME_EXPENSE, "ENVD": TaxSystem.ENVD,
             "COMMON_AGRICULTURAL": TaxSystem.ESKHN, "PATENT": TaxSystem.PATENT}
VAT_TAGS = {1102: VatRate.VAT_20, 1103: VatRate.VAT_10, 1104: VatRate.VAT_0, 1105: VatRate.NO_VAT,
            1106: VatRate.VAT_20_120, 1107: VatRate.VAT_10_110}
"""The documented tags only: 1109 and 1113, sent by some newer plugins, mean rates not confirmed
anywhere (reference §5.11.3), and a receipt with a guessed rate would be a wrong fiscal document."""
PAYMENT_OBJECTS = {
    "commodity": ItemType.GOODS, "excise": ItemType.EXCISE_GOODS, "job": ItemType.WORK, "service": ItemType.SERVICE,
    "gambling_bet": ItemType.GAMBLING_BET, "gambling_prize": ItemType.GAMBLING_WIN,
    "lottery": ItemType.LOTTERY_TICKET, "lottery_prize": ItemType.LOTTERY_WIN,
    "intellectual_activity": ItemType.INTELLECTUAL_PROPERTY, "payment": ItemType.PAYMENT,
    "agent_commission": ItemType.AGENT_FEE, "composite": ItemType.COMPOSITE, "another": ItemType.OTHER,
    "property_right": ItemType.PROPERTY_RIGHT, "non-operating_gain": ItemType.NON_OPERATING_INCOME,
    "insurance_premium": ItemType.INSURANCE_CONTRIBUTIONS, "sales_tax": ItemType.TRADE_FEE,
    "resort_fee": ItemType.RESORT_FEE,
}
PAYMENT_METHODS = {
    "full_prepayment": PaymentMethod.FULL_PREPAYMENT, "prepayment": PaymentMethod.PARTIAL_PREPAYMENT,
    "advance": PaymentMethod.ADVANCE, "full_payment": PaymentMethod.FULL_PAYMENT,
    "partial_payment": PaymentMethod.PARTIAL_PAYMENT_AND_CREDIT, "credit": PaymentMethod.CREDIT,
    "credit_payment": PaymentMethod.CREDIT_PAYMENT,
}
PAYMENT_TYPES = ("CASH", "CARD", "PREPAID", "POSTPAY", "OTHER")
AGENT_TYPES = ("bank_paying_agent", "bank_paying_subagent", "paying_agent", "paying_subagent", "attorney",
               "commission_agent", "another")

MAX_ID = 256
MAX_POSITIONS = 1000
MAX_PAYMENTS = 20
MAX_THOUSANDTHS = 10**12
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE = re.compile(r"\+7\d{10}")
_INN = re.compile(r"\d{10}|\d{12}")
_COUNTRY = re.compile(r"\d{1,3}")
_HEX_BYTES = re.compile(r"[0-9A-Fa-f]{2}( [0-9A-Fa-f]{2}){0,31}")
_AGENT_PHONE = re.compile(r"\+?\d{1,19}")


class Problem(ValueError):
    """What is wrong with the document, and where: the plugins show this text as it is."""


@dataclass(frozen=True)
class ShopDocumentIn:
    external_id: str
    doc_num: str
    doc_type: str
    checkout_at: datetime
    contact: str
    response_url: str
    total: int
    content: dict  # what the register fiscalizes (see `read_document`)


def read_document(raw: object, *, zone: str) -> ShopDocumentIn:
    """The document as the register will fiscalize it, or Problem. A `checkoutDateTime` without an
    offset is the point's local time (`zone`)."""
    if not isinstance(raw, dict):
        raise Problem(_("The body must be a JSON object: the document."))
    doc_type = _enum(_field(raw, "docType") if _field(raw, "docType") is not None else _field(raw, "documentType"),
                     "docType", DOC_TYPES)
    positions = _list(raw, "inventPositions", MAX_POSITIONS)
    payments = _list(raw, "moneyPositions", MAX_PAYMENTS)
    lines = [_position(position, f"inventPositions[{n}]") for n, position in enumerate(positions)]
    paid = [_payment(payment, f"moneyPositions[{n}]") for n, payment in enumerate(payments)]
    total, paid_total = sum(line["amount"] for line in lines), sum(payment["amount"] for payment in paid)
    if total != paid_total:
        raise Problem(_("Sum of moneyPositions ({paid}) does not match sum of inventPositions ({total})").format(
            paid=to_roubles(paid_total), total=to_roubles(total)))
    tax_mode = _field(raw, "taxMode")
    content = {
        "settlement": int(DOC_TYPES[doc_type]),
        "tax_system": int(TAX_MODES[_enum(tax_mode, "taxMode", TAX_MODES)]) if tax_mode is not None else None,
        "print": _bool(raw, "printReceipt"),
        "text": _text(raw, "textToPrint", limit=3000),
        "cashier": {"name": _text(raw, "cashierName", limit=64), "inn": _inn(raw, "cashierInn"),
                    "position": _text(raw, "cashierPosition", limit=64)},
        "client": {"name": _text(raw, "clientName", limit=256), "inn": _inn(raw, "clientInn")},
        "agent": _agent(_field(raw, "agentInfo"), "agentInfo"),
        "lines": lines,
        "payments": paid,
    }
    return ShopDocumentIn(
        external_id=_text(raw, "id", required=True, limit=MAX_ID), doc_num=_text(raw, "docNum", required=True, limit=MAX_ID),
        doc_type=doc_type, checkout_at=_moment(_field(raw, "checkoutDateTime"), "checkoutDateTime", zone),
        contact=_contact(raw), response_url=_url(raw), total=total, content=content)


def _position(raw: object, path: str) -> dict:
    if not isinstance(raw, dict):
        raise Problem(_("{path}: must be an object").format(path=path))
    price = _kopecks(_field(raw, "price"), f"{path}.price")
    quantity = _decimal(_field(raw, "quantity"), f"{path}.quantity")
    if quantity <= 0:
        raise Problem(_("{path}: must be greater than 0").format(path=f"{path}.quantity"))
    if quantity * 1000 != (quantity * 1000).to_integral_value():
        raise Problem(_("{path}: at most three decimals").format(path=f"{path}.quantity"))
    if quantity * 1000 > MAX_THOUSANDTHS:
        raise Problem(_("{path}: too large").format(path=f"{path}.quantity"))
    discount = _kopecks(_field(raw, "discSum"), f"{path}.discSum", required=False) or 0
    gross = _half_up(_decimal(_field(raw, "price"), f"{path}.price") * quantity * 100)
    if discount > gross:
        raise Problem(_("{path}: the discount is more than the position costs").format(path=f"{path}.discSum"))
    vat_tag = _integer(_field(raw, "vatTag"), f"{path}.vatTag")
    if vat_tag not in VAT_TAGS:
        raise Problem(_("{path}: must be one of {values}").format(path=f"{path}.vatTag",
                                                                  values=", ".join(map(str, VAT_TAGS))))
    payment_object = _field(raw, "paymentObject")
    payment_method = _field(raw, "paymentMethod")
    country = _text(raw, "originCountryCode", limit=3)
    if country and not _COUNTRY.fullmatch(country):
        raise Problem(_("{path}: must be 1 to 3 digits (ОКСМ)").format(path=f"{path}.originCountryCode"))
    code = _text(raw, "nomenclatureCode", limit=95)
    if code and not _HEX_BYTES.fullmatch(code):
        raise Problem(_("{path}: must be up to 32 hex bytes separated by spaces").format(path=f"{path}.nomenclatureCode"))
    vat_sum = _field(raw, "vatSum")
    return {
        "name": _text(raw, "name", required=True, limit=128, path=f"{path}.name"),
        "price": price, "quantity": int(quantity * 1000), "discount": discount, "amount": gross - discount,
        "vat": int(VAT_TAGS[vat_tag]),
        "vat_sum": _kopecks(vat_sum, f"{path}.vatSum") if vat_sum is not None else None,
        "item_type": int(PAYMENT_OBJECTS[_enum(payment_object, f"{path}.paymentObject", PAYMENT_OBJECTS)])
        if payment_object is not None else int(ItemType.GOODS),
        "payment_method": int(PAYMENT_METHODS[_enum(payment_method, f"{path}.paymentMethod", PAYMENT_METHODS)])
        if payment_method is not None else None,  # the register's own: full payment, or credit for POSTPAY
        "code": _text(raw, "inventCode", limit=128), "barcode": _text(raw, "barcode", limit=128),
        "country": country, "declaration": _text(raw, "customsDeclarationNumber", limit=32),
        "nomenclature_code": code, "mark": _text(raw, "productMark", limit=255),
        "agent": _agent(_field(raw, "agentInfo"), f"{path}.agentInfo"),
        "supplier": _supplier(_field(raw, "supplierInfo"), f"{path}.supplierInfo"),
    }


def _payment(raw: object, path: str) -> dict:
    if not isinstance(raw, dict):
        raise Problem(_("{path}: must be an object").format(path=path))
    kind = _enum(_field(raw, "paymentType"), f"{path}.paymentType", PAYMENT_TYPES)
    return {"type": kind, "amount": _kopecks(_field(raw, "sum"), f"{path}.sum")}


def _agent(raw: object, path: str) -> dict | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise Problem(_("{path}: must be an object").format(path=path))
    types = raw.get("types") or []
    if not isinstance(types, list):
        raise Problem(_("{path}: must be a list").format(path=f"{path}.types"))
    agent: dict = {"types": [_enum(kind, f"{path}.types[{n}]", AGENT_TYPES) for n, kind in enumerate(types)]}
    for name in ("payingAgent", "receivePaymentsOperator", "moneyTransferOperator"):
        part = _field(raw, name)
        if part is None:
            continue
        if not isinstance(part, dict):
            raise Problem(_("{path}: must be an object").format(path=f"{path}.{name}"))
        agent[name] = {"phones": _phones(part, f"{path}.{name}")}
        if name == "payingAgent":
            agent[name]["operation"] = _text(part, "operation", limit=24, path=f"{path}.{name}.operation")
        if name == "moneyTransferOperator":
            agent[name].update(name=_text(part, "name", limit=64, path=f"{path}.{name}.name"),
                               address=_text(part, "address", limit=255, path=f"{path}.{name}.address"),
                               inn=_inn(part, "inn", path=f"{path}.{name}.inn"))
    return agent


def _supplier(raw: object, path: str) -> dict | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise Problem(_("{path}: must be an object").format(path=path))
    return {"phones": _phones(raw, path), "name": _text(raw, "name", limit=255, path=f"{path}.name"),
            "inn": _inn(raw, "inn", path=f"{path}.inn")}


def _phones(raw: dict, path: str) -> list[str]:
    phones = raw.get("phones") or []
    if not isinstance(phones, list):
        raise Problem(_("{path}: must be a list").format(path=f"{path}.phones"))
    for n, phone in enumerate(phones):
        if not isinstance(phone, str) or not _AGENT_PHONE.fullmatch(phone):
            raise Problem(_("{path}: must be digits with an optional leading +, at most 19").format(
                path=f"{path}.phones[{n}]"))
    return phones


# --- scalars ----------------------------------------------------------------------------------------


def _field(raw: dict, name: str) -> object:
    return raw.get(name)


def _list(raw: dict, name: str, limit: int) -> list:
    items = raw.get(name)
    if items is None:
        raise Problem(_("{path}: must not be null").format(path=name))
    if not isinstance(items, list):
        raise Problem(_("{path}: must be a list").format(path=name))
    if not items:
        raise Problem(_("{path}: must not be empty").format(path=name))
    if len(items) > limit:
        raise Problem(_("{path}: at most {limit} items").format(path=name, limit=limit))
    return items


def _text(raw: dict, name: str, *, required: bool = False, limit: int, path: str | None = None) -> str:
    path = path or name
    value = raw.get(name)
    if value is None or value == "":
        if required:
            raise Problem(_("{path}: must not be empty").format(path=path))
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        raise Problem(_("{path}: must be a string").format(path=path))
    text = str(value).strip()
    if required and not text:
        raise Problem(_("{path}: must not be empty").format(path=path))
    if len(text) > limit:
        raise Problem(_("{path}: at most {limit} characters").format(path=path, limit=limit))
    return text


def _decimal(value: object, path: str) -> Decimal:
    if value is None:
        raise Problem(_("{path}: must not be null").format(path=path))
    if isinstance(value, bool):
        raise Problem(_("{path}: must be a number").format(path=path))
    try:
        number = Decimal(value.strip()) if isinstance(value, str) else Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise Problem(_("{path}: must be a number").format(path=path)) from None
    if not number.is_finite() or abs(number) > Decimal(10) ** 13:
        raise Problem(_("{path}: must be a number").format(path=path))
    return number


def _kopecks(value: object, path: str, *, required: bool = True) -> int | None:
    """Roubles as kopecks (not negative), rounded half up: plugins compute prices and sums in binary
    floats (46.800000000000004) or divide (33.333333333333336), and the real server took them."""
    if value is None and not required:
        return None
    number = _decimal(value, path)
    if number < 0:
        raise Problem(_("{path}: must not be negative").format(path=path))
    kopecks = _half_up(number * 100)
    if kopecks > MAX_KOPECKS:
        raise Problem(_("{path}: too large").format(path=path))
    return kopecks


def _integer(value: object, path: str) -> int:
    number = _decimal(value, path)
    if number != number.to_integral_value():
        raise Problem(_("{path}: must be a whole number").format(path=path))
    return int(number)


def _enum(value: object, path: str, allowed) -> str:
    if value is None:
        raise Problem(_("{path}: must not be null").format(path=path))
    if not isinstance(value, str) or value not in allowed:
        raise Problem(_("{path}: must be one of {values}").format(path=path, values=", ".join(allowed)))
    return value


def _bool(raw: dict, name: str) -> bool:
    value = raw.get(name)
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise Problem(_("{path}: must be true or false").format(path=name))


def _inn(raw: dict, name: str, *, path: str | None = None) -> str:
    inn = _text(raw, name, limit=12, path=path)
    if inn and not _INN.fullmatch(inn):
        raise Problem(_("{path}: must be 10 or 12 digits").format(path=path or name))
    return inn


def _contact(raw: dict) -> str:
    contact = _text(raw, "email", required=True, limit=256)
    if not (_EMAIL.fullmatch(contact) or _PHONE.fullmatch(contact)):
        raise Problem(_("email: must be an e-mail address or a phone as +7 and 10 digits"))
    return contact


def _url(raw: dict) -> str:
    url = _text(raw, "responseURL", limit=2000)
    if url and not re.fullmatch(r"https?://[^\s/?#]+[^\s]*", url):
        raise Problem(_("responseURL: must be an absolute http or https address"))
    return url


_OFFSET_WITHOUT_COLON = re.compile(r"([+-]\d{2})(\d{2})$")


def _moment(value: object, path: str, zone: str) -> datetime:
    if not isinstance(value, str) or not value.strip():
        raise Problem(_("{path}: must be a date and time (ISO 8601)").format(path=path))
    text = _OFFSET_WITHOUT_COLON.sub(r"\1:\2", value.strip().replace("Z", "+00:00"))
    try:
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=ZoneInfo(zone))
        return moment.astimezone(timezone.utc)
    except (ValueError, OverflowError):  # OverflowError: year 1 or 9999 moved past the calendar's edge
        raise Problem(_("{path}: must be a date and time (ISO 8601)").format(path=path)) from None


def _half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))
