"""Identifiers the hub gives out: messages, directory lines, affiliations, documents, batches."""

from __future__ import annotations

import uuid


def new_id() -> str:
    """A new random identifier: 32 lowercase hex digits."""
    return uuid.uuid4().hex
