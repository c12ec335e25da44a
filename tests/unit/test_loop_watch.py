"""The server's loop watch names what blocks the event loop, once a stall passes its limit, and
says how long the stall lasted once the loop answers again; a loop that answers logs nothing."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from carrefour.api.loop_watch import LoopWatch


def stalling_statement() -> None:
    time.sleep(1.0)  # a statement waiting for a lock, on the loop


def test_a_stalled_loop_is_reported_with_what_it_runs(caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> None:
        watch = LoopWatch(0.2)
        watch.start()
        try:
            await asyncio.sleep(0.3)  # the loop answers: nothing to report
            assert not caplog.records
            stalling_statement()
            await asyncio.sleep(0.3)
        finally:
            watch.stop()

    with caplog.at_level(logging.WARNING, logger="carrefour.api.loop_watch"):
        asyncio.run(main())
    stalled, answered = (record.getMessage() for record in caplog.records)
    assert "has not answered" in stalled
    assert "stalling_statement" in stalled
    assert "answers again after" in answered
    lasted = float(answered.rsplit("after ", 1)[1].split(" s")[0])
    assert 0.8 <= lasted <= 1.5
