"""Routes of the insurability concept."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["insurability"])
