"""Routes of the vouchers concept."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["vouchers"])
