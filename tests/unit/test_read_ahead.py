"""A batch's next chunk is prepared by a thread of its own while the current one is written."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from carrefour.services.batches import read_ahead


def _running(name: str = "read-ahead") -> int:
    return sum(1 for thread in threading.enumerate() if thread.name == name)


def test_the_items_come_in_order_and_are_prepared_by_another_thread() -> None:
    made_by: set[str] = set()

    def items() -> Iterator[int]:
        for number in range(50):
            made_by.add(threading.current_thread().name)
            yield number

    assert list(read_ahead(items(), depth=2)) == list(range(50))
    assert made_by == {"read-ahead"}
    assert _running() == 0


def test_an_error_of_the_items_is_raised_where_the_caller_meets_it() -> None:
    def items() -> Iterator[int]:
        yield 1
        yield 2
        raise ValueError("line 3 is not JSON")

    ahead = read_ahead(items())
    assert [next(ahead), next(ahead)] == [1, 2]
    with pytest.raises(ValueError, match="line 3 is not JSON"):
        next(ahead)
    assert _running() == 0


def test_a_caller_that_stops_early_stops_the_thread() -> None:
    produced: list[int] = []

    def endless() -> Iterator[int]:
        number = 0
        while True:
            produced.append(number)
            yield number
            number += 1

    ahead = read_ahead(endless(), depth=1)
    assert next(ahead) == 0
    ahead.close()
    assert _running() == 0
    assert len(produced) <= 2  # one taken, at most one made ahead of it


def test_the_next_item_is_made_only_once_the_one_before_is_taken() -> None:
    made: list[int] = []
    pause = threading.Event()

    def items() -> Iterator[int]:
        for number in range(5):
            made.append(number)
            yield number

    ahead = read_ahead(items(), depth=1)
    assert next(ahead) == 0
    for _ in range(100):  # the thread makes item 1 while item 0 is used, and no more
        if len(made) == 2:
            break
        pause.wait(0.01)
    pause.wait(0.1)
    assert made == [0, 1]
    assert list(ahead) == [1, 2, 3, 4]
