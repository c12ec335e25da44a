"""Routes of the documents concept."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["documents"])
