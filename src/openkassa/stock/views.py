"""The stock pages of the back office (Товары → Учёт, Остатки, Движения товаров, suppliers)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
