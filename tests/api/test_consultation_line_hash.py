"""The hash of a consultation line is the SHA-256 of its content as ``json.dumps`` writes it
(sorted keys, no spaces, non-ASCII escaped): the lines the API commits are chained as every line
already in the log was, whatever their text."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from carrefour.services.consultations import chained, line_content
from carrefour.services.unit_of_work import ConsultationEntry

texts = st.text(max_size=40)  # any character: accents, controls, DEL, beyond the BMP


@given(
    detail=texts,
    caller=texts,
    niss=st.none() | texts,
    http_status=st.none() | st.integers(100, 599),
    allowed=st.booleans(),
)
def test_a_line_s_hash_is_that_of_its_json_dumps_bytes(
    detail: str, caller: str, niss: str | None, http_status: int | None, allowed: bool
) -> None:
    line = ConsultationEntry(
        at=datetime(2026, 6, 1, 12, 30, 5, 17, tzinfo=UTC),
        caller=caller,
        action="consult",
        flow="directory",
        niss=niss,
        rule_id=None,
        allowed=allowed,
        reason_code=None,
        status_code="MSG00000",
        detail=detail,
        http_status=http_status,
    )
    [linked] = chained([line], "0" * 64)
    expected = json.dumps(line_content(linked), sort_keys=True, separators=(",", ":"))
    assert linked.hash == hashlib.sha256(expected.encode()).hexdigest()
