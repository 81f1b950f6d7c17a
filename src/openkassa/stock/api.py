"""JSON API of stock (`/api/v1/stock/...`): documents, balances, movements, suppliers."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1/stock", tags=["stock"])
