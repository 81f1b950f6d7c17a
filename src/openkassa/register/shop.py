"""An online shop's documents on the register: taken from the server, fiscalized, reported back.

`Desk.run` loops in a thread of the register (beside the link's push and pull, in the app and in
`--headless`): it asks the server for the point's queued documents as a long poll of `WAIT_SECONDS`
(so it asks again at least that often, and a document sent meanwhile is answered at once), makes a
receipt of each with `Till.shop_receipt` and reports the fiscal details, or why it could not. The
receipt joins the outbox like any other and is uploaded by the pusher.

Never twice: the receipt's id is the shop document's (the server's id), the drive signs at most
once per request id, and the journal answers a document it made already with that receipt again;
so a register that crashed between signing and reporting reports the same receipt when it takes the
document again.

What the register's receipts cannot carry yet is refused with a failure the shop reads (agent and
supplier details, 1222–1226; a marking code), rather than fiscalized without it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

from openkassa.fiscal import documents as fiscal
from openkassa.fiscal import qr
from openkassa.fiscal.arithmetic import line_amount
from openkassa.fiscal.enums import ItemType, PaymentMethod, VatRate
from openkassa.fiscal.errors import DriveClosed, DriveError, ResourceExhausted
from openkassa.protocol import shopdocs as wire
from openkassa.register import sale
from openkassa.register.client import ServerClient, SyncError
from openkassa.register.till import Till, TillError

log = logging.getLogger(__name__)

WAIT_SECONDS = 5.0  # each long poll; the reference's registers ask every 5 s
IDLE_SECONDS = 30.0  # between asks when the point takes no shop documents
MAX_PAUSE_SECONDS = 30.0
TENDERS = {"CASH": "cash", "CARD": "card", "PREPAID": "advance", "POSTPAY": "credit", "OTHER": "other"}
CHECK_TYPES = {1: "SALE", 2: "RETURN", 3: "PURCHASE", 4: "RETURN_PURCHASE"}


class Refused(Exception):
    """The register cannot make a receipt of this document; the shop is told why."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind, self.message = kind, message


def lines_of(document: wire.ShopDocument) -> list[sale.CartLine]:
    """The document's positions as the register rings them up, each to the shop's kopeck: the
    shop computed a position's amount from its unrounded price, so where the rounded price times
    the quantity falls short of it, the price goes up a kopeck and the difference is a discount."""
    lines = []
    for n, line in enumerate(document.lines, start=1):
        if line.agent or line.supplier or line.mark or line.nomenclature_code or line.country or line.declaration:
            raise Refused("NON_FN_FAILURE", f"Position {n}: agent, supplier, marking and customs details are not "
                                            f"supported by this register yet.")
        price = line.price
        if line_amount(price, line.quantity) < line.amount:
            price = -(-line.amount * 1000 // line.quantity)  # up to the kopeck
        lines.append(sale.CartLine(product_id=None, name=line.name, price=price, quantity=line.quantity,
                                   vat=VatRate(line.vat), kind=ItemType(line.item_type),
                                   discount=line_amount(price, line.quantity) - line.amount,
                                   method=PaymentMethod(line.payment_method) if line.payment_method else None))
    if document.agent:
        raise Refused("NON_FN_FAILURE", "Agent details are not supported by this register yet.")
    if document.client.get("inn"):  # a buyer organisation (1227/1228) must be on the receipt, not left off it
        raise Refused("NON_FN_FAILURE", "The buyer's INN (clientInn) is not supported by this register yet.")
    return lines


def tenders_of(document: wire.ShopDocument) -> list[sale.Tender]:
    return [sale.Tender(kind=TENDERS[payment.type], amount=payment.amount) for payment in document.payments
            if payment.amount]


def fiscal_info(receipt: fiscal.Receipt, *, made_at: datetime, kkt_serial: str) -> wire.FiscalInfo:
    """The receipt's details as the shop reads them (reference §5.9): `date` in UTC, the QR's `t`
    in the point's local time, as the drive stamped it."""
    stamp = receipt.stamp
    return wire.FiscalInfo(
        shiftNumber=stamp.shift, checkNumber=stamp.receipt_number, kktNumber=kkt_serial, fnNumber=stamp.fn_serial,
        fnDocNumber=stamp.document_number, fnDocMark=stamp.fiscal_sign_printed,
        date=made_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00"), sum=receipt.total / 100,
        checkType=CHECK_TYPES[int(receipt.settlement)], qr=qr.build(qr.of_receipt(receipt)),
        ecrRegistrationNumber=stamp.registration_number)


class Desk:
    """The register's online-shop desk: takes, fiscalizes and reports (see the module docstring)."""

    def __init__(self, till: Till, client: ServerClient, *, made: Callable[[], None] = lambda: None):
        self.till, self.client, self.made = till, client, made

    def round(self, wait: float = 0) -> int:
        """Take what waits (waiting up to `wait` seconds for something), fiscalize it, report it;
        returns how many documents were taken. `made` is told after each receipt (the pusher
        uploads it)."""
        documents = self.client.take_shop_documents(wait)
        for document in documents:
            result = self.fiscalize(document)
            if result.fiscal is not None:
                self.made()
            self.client.report_shop_document(document.id, result)
        return len(documents)

    def fiscalize(self, document: wire.ShopDocument) -> wire.Result:
        try:
            receipt, made_at = self.till.shop_receipt(document, lines_of(document), tenders_of(document))
        except Refused as refused:
            return wire.Result(failure=wire.Failure(type=refused.kind, message=refused.message))
        except TillError as error:
            return wire.Result(failure=wire.Failure(type=_failure_type(error.__cause__), message=str(error)[:1000]))
        return wire.Result(fiscal=fiscal_info(receipt, made_at=made_at, kkt_serial=self.till.kkt_serial()),
                           receipt_id=document.id)

    def run(self, stop: threading.Event) -> None:
        """Rounds until `stop`; the server away or the point not taking shop documents, it waits."""
        pause = 1.0
        while not stop.is_set():
            try:
                asked = time.monotonic()
                taken = self.round(WAIT_SECONDS)
                pause = 1.0
                if not taken and time.monotonic() - asked < WAIT_SECONDS / 2:  # the point takes none: no long poll
                    stop.wait(IDLE_SECONDS)
            except SyncError as error:
                log.warning("online-shop documents: %s", error)
                stop.wait(pause)
                pause = min(pause * 2, MAX_PAUSE_SECONDS)
            except Exception:  # noqa: BLE001 - the desk must outlive a bug: its documents would wait forever
                log.exception("online-shop documents: the round failed; trying again")
                stop.wait(pause)
                pause = min(pause * 2, MAX_PAUSE_SECONDS)


def _failure_type(cause: BaseException | None) -> str:
    """The reference's kind of failure (§5.10) for the drive's refusal behind a TillError."""
    if isinstance(cause, ResourceExhausted):
        return "FN_MEMORY_OVERFLOW"
    if isinstance(cause, DriveClosed):
        return "FN_EXPIRED"
    return "FN_GENERIC_FAILURE" if isinstance(cause, DriveError) else "NON_FN_FAILURE"
