"""The upload: `POST /api/device/v1/documents` takes a batch of what happened at the till.

    {"documents": [{"type": "shift_open", "id": "…", …}, {"type": "receipt", …}, …]}

Each document carries the UUID the register made when the operation happened, so the upload is
idempotent: a batch sent twice, or one document sent by two racing uploads, is kept once and the
second answer says `repeated`. A register drops a document from its outbox once the answer says
`accepted` or `quarantined` (both mean the server holds it), and keeps it for the next try on any
other answer, a lost answer included.

Fiscal documents (shift reports, receipts, corrections) carry the TLV bytes the fiscal drive signed
(`fiscal`, base64). The server reads the fiscal details (drive, number, sign, date, totals) from
those bytes, never from the register's word, checks the sign, and compares them with the
register's own view of the sale (lines with their products and discounts, payments by kind). A
document whose parts disagree is kept in quarantine with the reason, never dropped.

The server also plays the OFD for the software fiscal drive: the answer to a fiscal document whose
bytes and sign are sound carries the acknowledgement (`ofd`) the register gives its drive, which
takes the document out of the drive's unsent queue (`fiscal.ofd.Acknowledgement`).

Money is integer kopecks and quantities integer thousandths, as in `fiscal` and `changes`.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, TypeAdapter

MAX_DOCUMENTS = 500
"""Documents in one upload; a register with more sends several batches, oldest first."""



def _from_base64(value: object) -> object:
    if isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except binascii.Error:
            raise ValueError("not base64") from None
    return value


Blob = Annotated[bytes, BeforeValidator(_from_base64),
                 PlainSerializer(lambda value: base64.b64encode(value).decode("ascii"), return_type=str, when_used="json")]
"""Bytes: base64 in JSON, `bytes` in Python."""

Kopecks = Annotated[int, Field(ge=0, le=2**47)]
Positive = Annotated[int, Field(gt=0, le=2**47)]
Number = Annotated[int, Field(ge=1, le=2**31 - 1)]  # a shift (1038), a settlement type (1054), a VAT rate (1199)


def _plausible(moment: datetime) -> datetime:
    if not 2000 <= moment.year <= 2100:
        raise ValueError("a date between the years 2000 and 2100")
    return moment


Moment = Annotated[AwareDatetime, AfterValidator(_plausible)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Document(_Model):
    id: uuid.UUID  # made on the register when the operation happened
    made_at: Moment
    cashier_id: uuid.UUID | None = None  # None: made outside a cashier's session (a product from the scanner)


class ShiftOpen(_Document):
    type: Literal["shift_open"] = "shift_open"
    shift: Number  # 1038
    cash: Kopecks  # counted in the drawer when the shift opened
    fiscal: Blob  # the signed open report (form 2)


class ShiftClose(_Document):
    type: Literal["shift_close"] = "shift_close"
    shift: Number
    counted_cash: Kopecks  # counted in the drawer at closing
    carried_over: Kopecks = 0  # left in the drawer for the next shift, when the point allows it
    fiscal: Blob  # the signed close report (form 5)


class CashOperation(_Document):
    """Внесение (`in`) or выплата (`out`): not a fiscal document."""

    type: Literal["cash"] = "cash"
    shift: Number
    kind: Literal["in", "out"]
    amount: Positive
    reason: Annotated[str, Field(max_length=256)] = ""


class Line(_Model):
    """One line as the register sold it: `amount` = round(price × quantity) − discount.

    A return made against a receipt says which line of it each of its lines gives back (`origin`)."""

    product_id: uuid.UUID | None  # None: a free-price sale of nothing in the catalog
    name: Annotated[str, Field(min_length=1, max_length=128)]
    price: Kopecks  # per unit, before discounts
    quantity: Annotated[int, Field(ge=1, le=2**47)]  # thousandths
    discount: Kopecks = 0  # the line's own discount plus its share of the receipt's
    amount: Kopecks
    vat: Number  # 1199
    origin: Annotated[int, Field(ge=0, le=999)] | None = None  # a return: the line of `original_id` given back


PaymentKind = Literal["cash", "card", "bonus", "gift", "advance", "credit", "other"]

TENDER_OF_PAYMENT: dict[str, str] = {
    "cash": "cash",  # 1031
    "card": "electronic",  # 1081
    "gift": "advance",  # 1215: a gift certificate is a prepayment set off
    "advance": "advance",  # 1215
    "credit": "credit",  # 1216: paid later (partial payment or credit)
    "bonus": "other",  # 1217: bonus points are a consideration of another kind
    "other": "other",  # 1217
}
"""Which of the receipt's five payment sums (`fiscal.documents.Receipt` fields) each kind adds to."""


class Payment(_Model):
    kind: PaymentKind
    amount: Positive  # what this payment settles; for cash, after the change
    tendered: Kopecks | None = None  # cash handed over by the buyer (amount + change)
    reference: Annotated[str, Field(max_length=64)] = ""  # card approval code, certificate or bonus card number


class Receipt(_Document):
    """A sale (1054 = 1) or a return of a sale (2), with the drive's signed receipt."""

    type: Literal["receipt"] = "receipt"
    shift: Number
    settlement: Number  # 1054
    lines: Annotated[list[Line], Field(min_length=1, max_length=1000)]
    payments: Annotated[list[Payment], Field(max_length=20)]  # none only when the total is 0
    total: Kopecks
    buyer_contact: Annotated[str, Field(max_length=64)] = ""
    original_id: uuid.UUID | None = None  # the receipt a return is made against, when known
    fiscal: Blob


class Correction(Receipt):
    """A correction receipt (forms 31/41): the same parts, and why it was made."""

    type: Literal["correction"] = "correction"  # type: ignore[assignment]
    reason: Annotated[str, Field(max_length=256)] = ""


class NewProduct(_Document):
    """A product a cashier made at the till for an unknown barcode; it joins the point's catalog."""

    type: Literal["product"] = "product"
    name: Annotated[str, Field(min_length=1, max_length=128)]
    barcode: Annotated[str, Field(max_length=64)] = ""
    price: Kopecks


class FiscalReport(_Document):
    """A fiscal document with nothing of the register's own to add: the registration report, a
    settlement status report, the drive close report. A receipt or shift report sent this way (its
    register-side record lost) is kept in quarantine, and acknowledged all the same."""

    type: Literal["report"] = "report"
    fiscal: Blob


Document = Annotated[ShiftOpen | ShiftClose | CashOperation | Receipt | Correction | NewProduct | FiscalReport,
                     Field(discriminator="type")]
DOCUMENT = TypeAdapter(Document)
"""Reads one document: `DOCUMENT.validate_python(data)`; the server reads each apart, so one bad
document does not cost the batch."""

FISCAL_TYPES = frozenset({"shift_open", "shift_close", "receipt", "correction", "report"})


class Ofd(_Model):
    """The OFD's acknowledgement of a fiscal document (`fiscal.ofd.Acknowledgement`)."""

    fn_serial: str
    document_number: int
    received_at: datetime
    operator_sign: Blob
    code: int = 0


class Result(_Model):
    """What became of one document of the batch, in the batch's order."""

    id: uuid.UUID | None  # None when the document had no readable id
    status: Literal["accepted", "quarantined", "rejected"]
    repeated: bool = False  # the server had it already: this is the first answer again
    reason: str | None = None  # why it is quarantined or rejected
    ofd: Ofd | None = None


class Upload(_Model):
    documents: Annotated[list[Any], Field(min_length=1, max_length=MAX_DOCUMENTS)]  # each read apart


class Uploaded(_Model):
    results: list[Result]


class DriveKey(_Model):
    """`PUT /api/device/v1/drive`: the register's software fiscal drive and the key it signs with.

    The server checks fiscal signs with it, as an OFD checks a real drive's with the keys the FNS
    holds. A serial keeps its first key: a register cannot re-key a drive the server knows."""

    fn_serial: Annotated[str, Field(pattern=r"^\d{16}$")]
    key: Annotated[Blob, Field(min_length=16, max_length=64)]
