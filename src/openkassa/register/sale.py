"""A receipt from what the cashier rang up: its sums, the drive's draft, and the document to upload.

`close` runs the receipt arithmetic of the fiscal core (`fiscal.arithmetic.settle`: line sums,
discounts, rounding in the buyer's favour, VAT, change out of cash only) and turns the result into
the draft the fiscal drive signs and the lines and payments the register uploads. Both come from
the one settlement, so the server's recomputation always agrees with an honest register.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from openkassa.fiscal import arithmetic
from openkassa.fiscal import documents as fiscal
from openkassa.fiscal.enums import ItemType, PaymentMethod, SettlementType, TaxSystem, Unit, VatRate
from openkassa.fiscal.errors import InvalidDocument
from openkassa.protocol import documents as protocol


@dataclass
class CartLine:
    """A line as rung up: price per unit in kopecks, quantity in thousandths, its own discount."""

    product_id: uuid.UUID | None
    name: str
    price: int
    quantity: int = 1000
    vat: VatRate = VatRate.NO_VAT
    unit: Unit = Unit.PIECE
    kind: ItemType = ItemType.GOODS
    discount: int = 0
    origin: int | None = None  # a return by receipt: the line of the original receipt this gives back
    method: PaymentMethod | None = None  # 1214 when the line says (an online shop's prepayment); else the receipt's


@dataclass(frozen=True)
class Tender:
    """What the buyer hands over of one kind (`protocol.documents.PaymentKind`); cash may exceed the due."""

    kind: str
    amount: int
    reference: str = ""


@dataclass(frozen=True)
class Closed:
    """A receipt ready for the drive: the draft to sign, and the register's view to upload with it."""

    draft: fiscal.Receipt
    lines: tuple[protocol.Line, ...]
    payments: tuple[protocol.Payment, ...]
    total: int
    change: int


def close(lines: list[CartLine], tenders: list[Tender], *, tax_system: TaxSystem,
          settlement: SettlementType = SettlementType.SALE, receipt_discount: int = 0, rounding: int = 0,
          cashier: str | None = None, cashier_inn: str | None = None,
          buyer_contact: str | None = None, sender_email: str | None = None) -> Closed:
    """Settle the receipt. Refuses (`InvalidDocument`) tenders short of the total, non-cash tenders
    over it, discounts above the sums, an unknown payment kind."""
    sums = {name: 0 for name in ("cash", "electronic", "advance", "credit", "other")}
    for tender in tenders:
        if tender.kind not in protocol.TENDER_OF_PAYMENT:
            raise InvalidDocument(None, f"unknown payment kind {tender.kind!r}")
        sums[protocol.TENDER_OF_PAYMENT[tender.kind]] += tender.amount
    settled = arithmetic.settle(
        [arithmetic.LineInput(line.price, line.quantity, line.vat, line.discount) for line in lines],
        arithmetic.Payments(**sums), receipt_discount=receipt_discount, rounding=rounding)
    method = PaymentMethod.FULL_PAYMENT
    if settled.payments.credit:
        method = PaymentMethod.CREDIT if settled.payments.credit == settled.total else PaymentMethod.PARTIAL_PAYMENT_AND_CREDIT
    items = tuple(
        fiscal.Item(name=line.name, price=done.price, quantity=done.quantity, amount=done.amount, vat=done.vat,
                    vat_amount=done.vat_amount, payment_method=line.method or method, item_type=line.kind,
                    unit=line.unit)
        for line, done in zip(lines, settled.lines, strict=True))
    draft = fiscal.Receipt(
        settlement=settlement, tax_system=tax_system, items=items, total=settled.total,
        cash=settled.payments.cash, electronic=settled.payments.electronic, advance=settled.payments.advance,
        credit=settled.payments.credit, other=settled.payments.other, cashier=cashier, cashier_inn=cashier_inn,
        buyer_contact=buyer_contact, sender_email=sender_email if buyer_contact else None)
    uploaded_lines = tuple(
        protocol.Line(product_id=line.product_id, name=line.name, price=done.price, quantity=done.quantity,
                      discount=done.discount, amount=done.amount, vat=int(done.vat), origin=line.origin)
        for line, done in zip(lines, settled.lines, strict=True))
    return Closed(draft=draft, lines=uploaded_lines, payments=_payments(tenders, settled.change),
                  total=settled.total, change=settled.change)


def _payments(tenders: list[Tender], change: int) -> tuple[protocol.Payment, ...]:
    """The tenders as they settle the receipt: the change comes off the cash, the last cash first."""
    payments = []
    for tender in reversed(tenders):
        amount, tendered = tender.amount, None
        if tender.kind == "cash" and change:
            given_back = min(change, amount)
            change -= given_back
            amount, tendered = amount - given_back, tender.amount
        if amount:
            payments.append(protocol.Payment(kind=tender.kind, amount=amount, tendered=tendered, reference=tender.reference))
    return tuple(reversed(payments))


def document(closed: Closed, signed: fiscal.Receipt | None, *, id: uuid.UUID, made_at: datetime, shift: int,
             cashier_id: uuid.UUID | None, original_id: uuid.UUID | None = None) -> protocol.Receipt:
    """The receipt as the register uploads it: its view of the sale and the drive's signed bytes
    (empty while `signed` is None: the copy written down before the drive signs)."""
    return protocol.Receipt(
        id=id, made_at=made_at, cashier_id=cashier_id, shift=shift, settlement=int(closed.draft.settlement),
        lines=list(closed.lines), payments=list(closed.payments), total=closed.total,
        buyer_contact=closed.draft.buyer_contact or "", original_id=original_id,
        fiscal=b"" if signed is None else signed.to_bytes())
