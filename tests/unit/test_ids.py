"""The hub's identifiers: 32 lowercase hex digits, time-ordered, never repeated."""

from __future__ import annotations

import re
import time

from carrefour.services.ids import new_id, new_ids

HEX32 = re.compile(r"[0-9a-f]{32}")


def test_identifiers_are_32_hex_digits_in_the_order_they_were_made() -> None:
    made = [new_id(), *new_ids(5_000), new_id(), *new_ids(3)]
    assert all(HEX32.fullmatch(i) for i in made)
    assert made == sorted(made)
    assert len(set(made)) == len(made)


def test_an_identifier_starts_with_the_millisecond_it_was_made_in() -> None:
    before = time.time_ns() // 1_000_000
    made = new_id()
    after = time.time_ns() // 1_000_000
    assert before <= int(made[:12], 16) <= after


def test_identifiers_of_the_same_millisecond_differ_in_their_random_part() -> None:
    tails = {i[20:] for i in new_ids(1_000)}
    assert len(tails) == 1_000


def test_no_identifier_is_made_for_nothing() -> None:
    assert new_ids(0) == []
