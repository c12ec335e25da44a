"""A watch on the server's event loop: a warning, with what the loop was running, when it stops
answering for longer than ``CARREFOUR_LOOP_STALL_SECONDS``.

Every request of the process waits while the loop runs something that does not return to it
(a statement waiting for a lock, a long computation): ``/healthz`` itself stops answering. A
thread of the watch asks the loop for a beat every quarter of the limit; when the last beat is
older than the limit, it logs the stack of the loop's thread once for that stall, then the stall's
length once the loop answers again.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
import time
import traceback

log = logging.getLogger(__name__)


class LoopWatch:
    """Started on the loop it watches (``start``), stopped by ``stop``."""

    def __init__(self, limit_seconds: float) -> None:
        self._limit = limit_seconds
        self._stop = threading.Event()
        self._beat = time.monotonic()
        self._loop_thread = 0
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._beat = time.monotonic()
        self._thread = threading.Thread(
            target=self._watch, args=(loop,), name="loop-watch", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _answered(self) -> None:
        self._beat = time.monotonic()

    def _watch(self, loop: asyncio.AbstractEventLoop) -> None:
        stalled_since: float | None = None
        while not self._stop.wait(self._limit / 4):
            try:
                loop.call_soon_threadsafe(self._answered)
            except RuntimeError:  # the loop is closed
                return
            silent = time.monotonic() - self._beat
            if silent > self._limit and stalled_since is None:
                stalled_since = self._beat
                frame = sys._current_frames().get(self._loop_thread)
                stack = "".join(traceback.format_stack(frame)) if frame is not None else ""
                log.warning(
                    "the event loop has not answered for %.1f s (every request waits): %s",
                    silent,
                    stack,
                )
            elif stalled_since is not None and silent <= self._limit / 2:
                log.warning(
                    "the event loop answers again after %.1f s",
                    self._beat - stalled_since,
                )
                stalled_since = None
