"""Online-shop documents between the server and a register of their point.

`POST /api/device/v1/shop-documents/take?wait=N` answers `Taken`: the point's next documents,
oldest first, now PENDING for this register (with those it took before and has not reported: a
register that restarted takes them again, and its journal says whether it fiscalized them already).
`wait` makes it a long poll: the request sleeps until a shop sends a document, or N seconds pass.
`POST /api/device/v1/shop-documents/{id}/result` takes `Result`: the fiscal details of the receipt
the register made of it, or why it could not make one.

Money is in kopecks and quantities in thousandths, as everywhere between the two.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, model_validator

FAILURE_TYPES = ("FN_MEMORY_OVERFLOW", "FN_EXPIRED", "FN_GENERIC_FAILURE", "NON_FN_FAILURE")


class ShopLine(BaseModel):
    name: str
    price: int  # a unit, kopecks (rounded as printed)
    quantity: int  # thousandths
    discount: int  # on the whole line, kopecks
    amount: int  # price × quantity − discount, kopecks (from the shop's unrounded price)
    vat: int  # 1199
    vat_sum: int | None = None
    item_type: int  # 1212
    payment_method: int | None = None  # 1214; None: as the register settles it (full payment, or credit)
    code: str = ""
    barcode: str = ""
    country: str = ""
    declaration: str = ""
    nomenclature_code: str = ""
    mark: str = ""
    agent: dict | None = None
    supplier: dict | None = None


class ShopPayment(BaseModel):
    type: Literal["CASH", "CARD", "PREPAID", "POSTPAY", "OTHER"]
    amount: int


class ShopDocument(BaseModel):
    id: uuid.UUID  # the server's
    external_id: str  # the shop's
    doc_num: str
    settlement: int  # 1054
    checkout_at: datetime
    contact: str  # the buyer's e-mail or phone (1008)
    tax_system: int | None  # 1055; None: the point's default
    print: bool
    text: str
    cashier: dict
    client: dict
    agent: dict | None = None
    lines: list[ShopLine]
    payments: list[ShopPayment]
    total: int


class Taken(BaseModel):
    documents: list[ShopDocument]


class FiscalInfo(BaseModel):
    """As the shop reads it (reference §5.9), all eleven fields."""

    shiftNumber: int  # noqa: N815 - the reference's names
    checkNumber: int  # noqa: N815
    kktNumber: str  # noqa: N815
    fnNumber: str  # noqa: N815
    fnDocNumber: int  # noqa: N815
    fnDocMark: int  # noqa: N815
    date: str  # "YYYY-MM-DDTHH:MM:SS+00:00"
    sum: float
    checkType: str  # noqa: N815
    qr: str
    ecrRegistrationNumber: str  # noqa: N815


class Failure(BaseModel):
    type: Literal["FN_MEMORY_OVERFLOW", "FN_EXPIRED", "FN_GENERIC_FAILURE", "NON_FN_FAILURE"]
    message: str = Field(max_length=1000)


class Result(BaseModel):
    """Exactly one of `fiscal` (the receipt was made; `receipt_id`: its id among the register's
    uploaded documents) and `failure`."""

    fiscal: FiscalInfo | None = None
    receipt_id: uuid.UUID | None = None
    failure: Failure | None = None

    @model_validator(mode="after")
    def _one(self) -> Result:
        if (self.fiscal is None) == (self.failure is None):
            raise ValueError("send either fiscal or failure")
        return self
