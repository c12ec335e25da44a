"""Identifiers the hub gives out: messages, directory lines, affiliations, documents, batches.

An identifier is 32 lowercase hex digits, time-ordered (like a UUIDv7): the Unix time in
milliseconds (12 digits), a counter that orders the identifiers one process makes in the same
millisecond (8 digits), then 48 random bits (12 digits). Identifiers made later sort after
earlier ones, so the indexes on them grow at their end instead of taking each new key at a
random place; the random part keeps two processes' identifiers of the same millisecond apart.
"""

from __future__ import annotations

import os
import threading
import time

_COUNTER_LIMIT = 1 << 32
_lock = threading.Lock()
_last_ms = 0
_next = 0


def _reserve(count: int) -> tuple[int, int]:
    """The millisecond and the first counter value of ``count`` new identifiers, never before
    those already given out by this process."""
    global _last_ms, _next
    with _lock:
        now = time.time_ns() // 1_000_000
        if now > _last_ms:
            _last_ms, _next = now, 0
        if _next + count > _COUNTER_LIMIT:  # the millisecond's counter is used up: the next one
            _last_ms, _next = _last_ms + 1, 0
        first = _next
        _next += count
        return _last_ms, first


def new_ids(count: int) -> list[str]:
    """``count`` new identifiers, in ascending order (one read of the random source)."""
    if count <= 0:
        return []
    ms, first = _reserve(count)
    prefix = f"{ms:012x}"
    pool = os.urandom(6 * count).hex()
    return [f"{prefix}{first + i:08x}{pool[12 * i : 12 * i + 12]}" for i in range(count)]


def new_id() -> str:
    """A new identifier: 32 lowercase hex digits, after every one this process gave before."""
    ms, first = _reserve(1)
    return f"{ms:012x}{first:08x}{os.urandom(6).hex()}"
