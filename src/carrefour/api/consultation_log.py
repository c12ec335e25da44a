"""The API's share of the consultation log: the line of every request about a person or an
object by id that no use case logged (reads by id, PDF downloads, 404s on another institution's
document, batch, case, line or message), written before the request is answered.

The response is held until the application has finished with the request (its unit of work
closed, the use case's own lines written): only then is the request's line committed, and only
then does the answer leave.

**Group commit.** A read-only unit of work (the read routes) does not write its lines: it hands
them to the request (``consultations.defer_lines``). The middleware then gives the request's
lines to the group commit (``GroupCommit``), which commits the lines of every request waiting
at that moment in one transaction, and answers each request only once the commit of its lines
returned. A crash
therefore loses no line of an answered request, the chain stays one chain (one writer), and the
event loop never waits for the database's write lock: a request waits on an ``asyncio`` future
while other requests (``/healthz`` among them) go on being served.

On PostgreSQL the group's transaction runs on the event loop itself, with an asynchronous
connection (``hot_path.AsyncHotPath``): one task commits the groups one after the other, the
next group gathering while a commit is under way. Each commit is one statement after the
chain's head (``repositories.lines_after``), its own transaction: no lock of the head outlives
a round trip, and the lines of several processes sharing the database make one chain. (An
earlier commit on the loop read the head ``FOR UPDATE`` in one round trip and wrote in the
next; a route that writes, on the loop too, then waited at its commit for the head the loop's
own group held, and every request of the process hung.)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Sequence
from typing import Any

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from carrefour.adapters.db.engine import lock_held
from carrefour.adapters.db.hot_path import AsyncHotPath, HotPath
from carrefour.api.deps import authenticate_bearer, bearer_of
from carrefour.api.problems import problem
from carrefour.bootstrap import Hub
from carrefour.domain.errors import CarrefourError
from carrefour.services import consultations
from carrefour.services.institutions import CredentialCache
from carrefour.services.unit_of_work import ConsultationEntry

log = logging.getLogger(__name__)

#: Seconds the writer thread waits for work before it stops (it starts again on demand).
WRITER_IDLE_SECONDS = 5.0
#: SQLite: seconds between the event loop's attempts at a write lock another writer holds,
#: the first, doubling up to the last. A worker's heartbeat or a checkpoint starting the log
#: over holds it a few milliseconds: the group waits about that long, where SQLite's busy
#: handler on the writer thread slept 1, 2, 5 then 10 ms (a wait of 8 to 18 ms).
GROUP_LOCK_RETRY_SECONDS = (0.00025, 0.002)
#: SQLite: seconds the loop tries again before the group goes to the writer thread (a batch
#: chunk holding the lock for longer: the thread waits for it, up to the busy timeout).
GROUP_LOCK_RETRY_FOR_SECONDS = 1.0


class _Waiting:
    __slots__ = ("done", "lines", "loop")

    def __init__(
        self,
        lines: list[ConsultationEntry],
        loop: asyncio.AbstractEventLoop,
        done: asyncio.Future[None],
    ) -> None:
        self.lines = lines
        self.loop = loop
        self.done = done


def _settle(done: asyncio.Future[None], error: BaseException | None) -> None:
    if done.done():  # the request was cancelled (its client went away); its line is written
        return
    if error is None:
        done.set_result(None)
    else:
        done.set_exception(error)


class GroupCommit:
    """Each transaction commits the lines of every request waiting when it began, in arrival
    order, chained like any other lines.

    On SQLite the lines of the requests that reached this point in one turn of the event loop
    are committed on the loop itself, with a BEGIN IMMEDIATE that does not wait: SQLite's write
    transaction is a fraction of a millisecond, cheaper than a hop to a thread and back. When
    another writer holds the lock, that attempt fails at once and the loop tries again a
    moment later (``GROUP_LOCK_RETRY_SECONDS``), the lines of the requests arriving meanwhile
    joining the group; a lock held longer than ``GROUP_LOCK_RETRY_FOR_SECONDS`` (a batch
    chunk) sends the group to the writer thread, which waits for it off the loop. (A route that
    writes waits for the lock on its own schedule, ``deps.ROUTE_LOCK_RETRY_SECONDS``, up to the
    busy timeout.) On PostgreSQL (a commit there is network round trips) a task of the loop
    commits the groups with ``async_path``, the loop serving other requests meanwhile; without
    it, the writer thread does."""

    def __init__(
        self,
        hub: Hub,
        hot_path: HotPath,
        idle_seconds: float = WRITER_IDLE_SECONDS,
        async_path: AsyncHotPath | None = None,
    ) -> None:
        self._hub = hub
        self._hot_path = hot_path
        self._async_path = async_path
        self._committer: asyncio.Task[None] | None = None
        self._idle = idle_seconds
        self._on_loop = hub.engine.dialect.name == "sqlite"
        self._gathering: list[_Waiting] = []
        #: SQLite: the loop's next attempt at a write lock another writer holds, the delay
        #: before it and when the first attempt failed (None: no attempt is waiting).
        self._retry: asyncio.TimerHandle | None = None
        self._retry_delay = 0.0
        self._locked_since = 0.0
        self._wake = threading.Condition()
        self._queue: list[_Waiting] = []
        self._running = False
        #: Transactions committed so far (for the operations docs and the tests).
        self.commits = 0

    async def commit(self, lines: Sequence[ConsultationEntry]) -> None:
        """Return once ``lines`` are committed; raise what the commit raised."""
        await self.submit(lines)

    def submit(self, lines: Sequence[ConsultationEntry]) -> asyncio.Future[None]:
        """Hand ``lines`` to the next group now; the future is done once they are committed
        (what is awaited meanwhile, a read on a thread, overlaps the commit's round trips)."""
        loop = asyncio.get_running_loop()
        waiting = _Waiting(list(lines), loop, loop.create_future())
        if self._on_loop:
            self._gather_on_loop(waiting)
        elif self._async_path is not None:
            self._gather_for_task(waiting, self._async_path)
        else:
            self._to_writer([waiting])
        return waiting.done

    def _gather_for_task(self, waiting: _Waiting, async_path: AsyncHotPath) -> None:
        committer = self._committer
        if committer is not None and committer.get_loop() is not waiting.loop:
            # a loop that is gone (a test's previous ``asyncio.run``): nobody awaits its groups
            self._gathering = [w for w in self._gathering if w.loop is waiting.loop]
            committer = None
        self._gathering.append(waiting)
        if committer is None:
            self._committer = waiting.loop.create_task(self._commit_groups(async_path))

    async def _commit_groups(self, async_path: AsyncHotPath) -> None:
        """Commit the gathered groups one transaction each, until none is waiting."""
        try:
            while self._gathering:
                group, self._gathering = self._gathering, []
                error: BaseException | None = None
                try:
                    await async_path.commit_lines([line for w in group for line in w.lines])
                    self.commits += 1
                except Exception as failure:  # every request of the group is answered 500
                    log.exception("the consultation log could not be written")
                    error = failure
                for waiting in group:
                    _settle(waiting.done, error)
        finally:
            if self._committer is asyncio.current_task():
                self._committer = None

    def _gather_on_loop(self, waiting: _Waiting) -> None:
        if self._gathering and self._gathering[0].loop is not waiting.loop:
            # a loop that is gone (a test's previous ``asyncio.run``): nobody awaits its groups
            if self._retry is not None:
                self._retry.cancel()
                self._retry = None
            self._gathering = []
            self._retry_delay = 0.0
        self._gathering.append(waiting)
        if len(self._gathering) == 1 and self._retry is None:
            waiting.loop.call_soon(self._flush_on_loop)

    def _flush_on_loop(self) -> None:
        self._retry = None
        group, self._gathering = self._gathering, []
        if not group:
            return
        try:
            self._write(group, no_wait=True)
        except Exception as error:
            if not (lock_held(error) and self._retry_on_loop(group)):
                # the lock held too long (or the write failed): the writer thread waits for
                # the lock, tries again, and reports a failure
                self._to_writer(group)
            return
        self._retry_delay = 0.0
        for waiting in group:
            _settle(waiting.done, None)

    def _retry_on_loop(self, group: list[_Waiting]) -> bool:
        """Try ``group`` again a moment later on the loop (another writer has the lock); False
        once the lock has been held ``GROUP_LOCK_RETRY_FOR_SECONDS``."""
        loop = group[0].loop
        now = loop.time()
        first, most = GROUP_LOCK_RETRY_SECONDS
        if self._retry_delay == 0.0:
            self._locked_since = now
            self._retry_delay = first
        elif now - self._locked_since >= GROUP_LOCK_RETRY_FOR_SECONDS:
            self._retry_delay = 0.0
            return False
        else:
            self._retry_delay = min(self._retry_delay * 2, most)
        self._gathering = group + self._gathering
        self._retry = loop.call_later(self._retry_delay, self._flush_on_loop)
        return True

    def _write(self, group: Sequence[_Waiting], *, no_wait: bool) -> None:
        lines = [line for waiting in group for line in waiting.lines]
        # takes the write lock first (fails at once if no_wait)
        self._hot_path.commit_lines(lines, no_wait=no_wait)
        self.commits += 1

    def _to_writer(self, group: list[_Waiting]) -> None:
        with self._wake:
            self._queue.extend(group)
            if self._running:
                self._wake.notify()
            else:
                self._running = True
                threading.Thread(
                    target=self._run, name="consultation-log-writer", daemon=True
                ).start()

    def _run(self) -> None:
        while True:
            with self._wake:
                if not self._queue:
                    self._wake.wait(self._idle)
                if not self._queue:
                    self._running = False
                    self._hot_path.release_thread()
                    return
                group, self._queue = self._queue, []
            error: BaseException | None = None
            try:
                self._write(group, no_wait=False)
            except Exception as failure:  # every request of the group is answered 500
                log.exception("the consultation log could not be written")
                error = failure
            for waiting in group:
                with contextlib.suppress(RuntimeError):  # its event loop is closed
                    waiting.loop.call_soon_threadsafe(_settle, waiting.done, error)


def unavailable(scope: Scope) -> JSONResponse:
    """The 500 answered instead of a request's answer when its line could not be committed."""
    return problem(
        500,
        "consultation-log-unavailable",
        "Consultation log unavailable",
        "the consultation line of this request could not be committed; nothing was answered, "
        "try again",
        str(scope["path"])[:512],
    )


class RequestLog:
    """The lines of the API's requests: each request's own line when it needs one, and the
    lines deferred to it, committed by one ``GroupCommit`` for the whole process."""

    def __init__(
        self,
        hub: Hub,
        credentials: CredentialCache,
        hot_path: HotPath,
        async_path: AsyncHotPath | None = None,
    ) -> None:
        self.hub = hub
        self.credentials = credentials
        self.lines = GroupCommit(hub, hot_path, async_path=async_path)

    async def log(self, scope: Scope, status: int, trace: consultations.RequestTrace) -> None:
        """The request's own line if it needs one, then every deferred line, committed."""
        self._request_line(scope, status, trace)
        if trace.deferred:
            await self.lines.commit(trace.deferred)
            trace.deferred = []

    def _request_line(self, scope: Scope, status: int, trace: consultations.RequestTrace) -> None:
        params: dict[str, Any] = dict(scope.get("path_params") or {})
        niss = params.get("niss")
        object_id = consultations.request_object(params, trace)
        if not consultations.needs_request_line(
            trace, niss=niss, object_id=object_id, http_status=status
        ):
            return
        route = getattr(scope.get("route"), "path", None) or str(scope["path"])
        try:
            caller = authenticate_bearer(self.hub, self.credentials, bearer_of(scope))
        except CarrefourError:
            return
        # Read-only: the line is deferred to the request and committed with the others.
        with self.hub.uow(read_only=True) as uow:
            consultations.request_line(
                uow,
                caller=caller.id,
                method=str(scope["method"]),
                route=route,
                niss=niss,
                object_id=object_id,
                http_status=status,
                trace=trace,
            )


class ConsultationLogMiddleware:
    def __init__(self, app: ASGIApp, log: RequestLog) -> None:
        self.app = app
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith("/v1/"):
            await self.app(scope, receive, send)
            return
        trace = consultations.start_trace()
        held: list[Message] = []

        async def hold(message: Message) -> None:
            held.append(message)

        try:
            await self.app(scope, receive, hold)
        except Exception:
            await self.log.log(scope, 500, trace)
            raise
        status = next((m["status"] for m in held if m["type"] == "http.response.start"), 500)
        try:
            await self.log.log(scope, int(status), trace)
        except Exception:
            # Its line is not committed: the answer does not leave.
            await unavailable(scope)(scope, receive, send)
            return
        for message in held:
            await send(message)
