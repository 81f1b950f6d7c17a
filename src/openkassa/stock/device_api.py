"""The device API's stock: a register asks a product's balance in the warehouse its point sells from."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/device/v1", tags=["device"])
