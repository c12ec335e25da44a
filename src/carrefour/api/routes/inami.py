"""Routes of the inami concept."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["inami"])
