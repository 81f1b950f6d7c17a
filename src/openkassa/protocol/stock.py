"""A product's stock as a register asks it: `GET /api/device/v1/stock/{product_id}`.

The quantity is in thousandths of the product's unit, below zero when more was sold than the books
hold, and null when the register's point keeps no stock (its stock accounting is off).
"""

from __future__ import annotations

import uuid

from pydantic import BaseModel, Field


class ProductBalance(BaseModel):
    product_id: uuid.UUID
    quantity: int | None = Field(description="Thousandths in the point's warehouse; null: the point keeps no stock.")
