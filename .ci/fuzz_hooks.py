"""schemathesis hooks for .ci/fuzz: strategies for the formats the hub's OpenAPI declares beyond
JSON Schema (see ``carrefour.api.schemas``), and the few rules between fields a schema cannot
state. Loaded with SCHEMATHESIS_HOOKS=fuzz_hooks (PYTHONPATH=.ci), in .venv-fuzz: no import of
carrefour here."""

from __future__ import annotations

from datetime import date
from typing import Any

import schemathesis
from hypothesis import strategies as st


def _niss(born: date, serial: int) -> str:
    """A NISS with its mod-97 check digits (a 2 before the nine digits from 2000 on)."""
    first = f"{born:%y%m%d}{serial:03d}"
    base = int(first) + (2_000_000_000 if born.year >= 2000 else 0)
    return f"{first}{97 - base % 97:02d}"


NISS = st.builds(
    _niss,
    st.dates(min_value=date(1930, 1, 1), max_value=date(2020, 12, 31)),
    st.integers(min_value=1, max_value=997),
)
schemathesis.openapi.format("niss", NISS)
# A cursor is one the list gave out: nothing generated is one, so none is sent (the first page).
schemathesis.openapi.format("cursor", st.just(""))

_CURSORS = ("after", "cursor", "before")


@schemathesis.hook
def map_query(ctx: Any, query: dict[str, Any] | None) -> dict[str, Any] | None:
    if not query:
        return query
    return {k: v for k, v in query.items() if k not in _CURSORS or v not in ("", None)}


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


@schemathesis.hook
def filter_body(ctx: Any, body: Any) -> bool:
    """A period ends on or after its begin (a cut too)."""
    if not isinstance(body, dict):
        return True
    for begin, end in (("begin", "end"), ("cut_begin", "cut_end")):
        first, last = _day(body.get(begin)), _day(body.get(end))
        if first is not None and last is not None and last < first:
            return False
    return True


__all__ = ["NISS", "filter_body", "map_query"]
