"""The consultation log's chain links each line to the one before it and keeps everything else
the line says."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import UTC, datetime
from typing import Any

from carrefour.domain.messages import GENESIS_HASH
from carrefour.services.consultations import chained, check_chain, line_hash
from carrefour.services.unit_of_work import ConsultationEntry

AT = datetime(2026, 6, 1, 9, 30, tzinfo=UTC)


def every_field_set(number: int) -> ConsultationEntry:
    """A line whose every field holds a value of its own (none left at its default)."""
    values: dict[str, Any] = {}
    for position, item in enumerate(fields(ConsultationEntry)):
        if item.name == "at":
            values[item.name] = AT
        elif item.name == "allowed":
            values[item.name] = False
        elif item.name in ("position", "http_status"):
            values[item.name] = 400 + number * 10 + position
        else:
            values[item.name] = f"{item.name}-{number}"
    return ConsultationEntry(**values)


def test_a_chained_line_keeps_every_field_but_its_two_hashes() -> None:
    given = [every_field_set(1), every_field_set(2)]
    first, second = chained(given, GENESIS_HASH)
    assert first == replace(given[0], prev_hash=GENESIS_HASH, hash=line_hash(first))
    assert second == replace(given[1], prev_hash=first.hash, hash=line_hash(second))
    assert first.hash != second.hash
    report = check_chain(iter([first, second]), (2, second.hash))
    assert (report.lines, report.broken) == (2, None)
