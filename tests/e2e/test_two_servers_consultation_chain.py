"""Two real ``carrefour serve`` processes on one PostgreSQL answer directory reads at the same
time: each answers what the other does, every answered request has exactly one consultation
line, and the lines of both make one unbroken chain, even after one of them is SIGKILLed while
its clients are still sending."""

from __future__ import annotations

import itertools
import os
import signal
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from carrefour.adapters.db import tables as t
from carrefour.bootstrap import Hub
from tests.support import assert_verifies, integrate_all, make_niss, serving

Credential = Callable[[str], dict[str, str]]
PROBLEM = "urn:carrefour:problem:"
#: Malformed NISS: bad check digits, too short, a letter.
MALFORMED = ("12345678901", "1234567890", "6806010532X")
CLIENTS = 8

#: One request: the caller, the NISS as given in the path.
Request = tuple[str, str]
#: One answer: the status and the JSON body.
Answer = tuple[int, Any]


def fresh_nisses(count: int, taken: set[str]) -> list[str]:
    """``count`` valid NISS, none in ``taken`` (which they join)."""
    found: list[str] = []
    while len(found) < count:
        niss = make_niss()
        if niss not in taken:
            taken.add(niss)
            found.append(niss)
    return found


def send_all(
    work: list[tuple[str, Request]],
    headers: dict[str, dict[str, str]],
    on_answer: Callable[[str], None] = lambda base: None,
) -> list[Answer | None]:
    """Each ``(server, request)`` of ``work`` sent by one of ``CLIENTS`` concurrent clients
    (``on_answer(server)`` after each answer); the answers in the order of ``work``, None
    where no answer came (the server gone)."""

    def client(share: range) -> list[tuple[int, Answer | None]]:
        answers: list[tuple[int, Answer | None]] = []
        with httpx.Client(timeout=30) as http:
            for index in share:
                base, (caller, niss) = work[index]
                try:
                    response = http.get(f"{base}/v1/directory/{niss}", headers=headers[caller])
                except httpx.TransportError:
                    answers.append((index, None))
                    continue
                answers.append((index, (response.status_code, response.json())))
                on_answer(base)
        return answers

    shares = [range(first, len(work), CLIENTS) for first in range(CLIENTS)]
    answers: list[Answer | None] = [None] * len(work)
    with ThreadPoolExecutor(CLIENTS) as pool:
        for share in pool.map(client, shares):
            for index, answer in share:
                answers[index] = answer
    return answers


def logged(hub: Hub) -> Counter[tuple[str, str | None]]:
    """The directory consultation lines, counted by caller and NISS (None: a malformed NISS)."""
    c = t.consultation_log.c
    with hub.engine.connect() as conn:
        rows = conn.execute(
            select(c.caller, c.niss, func.count())
            .where(c.flow == "directory")
            .group_by(c.caller, c.niss)
        ).all()
        total = conn.execute(select(func.count()).select_from(t.consultation_log)).scalar_one()
    counts = Counter({(caller, niss): int(count) for caller, niss, count in rows})
    assert total == counts.total(), "a consultation line of another flow"
    return counts


def line_of(request: Request) -> tuple[str, str | None]:
    """The caller and NISS of the request's consultation line (a malformed NISS: none)."""
    caller, niss = request
    return caller, None if niss in MALFORMED else niss


def expected(request: Request, own: dict[str, str]) -> Answer:
    """The status and the gist of the body the route answers ``request``: a malformed NISS
    and a caller no deliberation lets consult the directory are refused with a problem
    document; a mutuality sees only its own lines of a person (none for a person it did not
    integrate, or one unknown to the hub)."""
    caller, niss = request
    if niss in MALFORMED:
        return 422, "invalid-niss"
    if caller == "payer-ethias-pension":
        return 403, "not-authorised"
    items = [] if own.get(niss) != caller else [(niss, caller)]
    return 200, items


def summary(answer: Answer) -> Answer:
    """The status and the persons and institutions of a page, or the type of a problem."""
    status, body = answer
    if status == 200:
        return status, [(item["niss"], item["institution"]) for item in body["items"]]
    return status, body["type"].removeprefix(PROBLEM)


def test_two_servers_answer_alike_and_chain_one_line_per_answer_even_when_one_is_killed(
    hub: Hub,
    credential: Credential,
    database_url: str,
    tmp_path: Path,
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("several serving processes share one consultation chain on PostgreSQL only")
    taken: set[str] = set()
    own = dict.fromkeys(fresh_nisses(30, taken), "mut-100")
    own |= dict.fromkeys(fresh_nisses(20, taken), "mut-200")
    integrate_all(hub, own)
    callers = ("mut-100", "mut-200", "payer-ethias-pension")
    headers = {caller: credential(caller) for caller in callers}
    strangers = fresh_nisses(30, taken)  # valid NISS the hub does not know
    requests: list[Request] = [
        (caller, niss) for caller in ("mut-100", "mut-200") for niss in [*own, *strangers]
    ]
    requests += [(caller, niss) for caller in ("mut-100", "mut-200") for niss in MALFORMED]
    requests += [("payer-ethias-pension", niss) for niss in list(own)[:5]]

    with (
        serving(database_url, tmp_path) as (doomed, one),
        serving(database_url, tmp_path) as (_, other),
    ):
        # Every request to both servers at once (half the clients send to each).
        work = [(base, request) for request in requests for base in (one, other)]
        answers = send_all(work, headers)
        for number, request in enumerate(requests):
            from_one, from_other = answers[2 * number], answers[2 * number + 1]
            assert from_one is not None, request
            assert from_other is not None, request
            assert from_one == from_other, request
            assert summary(from_one) == expected(request, own), request
        first = Counter(line_of(request) for request in requests for _ in range(2))
        assert logged(hub) == first
        assert_verifies(database_url)

        # One server killed while clients are still sending to both: a person each request.
        late = [("mut-100", niss) for niss in fresh_nisses(300, taken)]
        work = [((one, other)[number % 2], request) for number, request in enumerate(late)]
        answered_by_one = itertools.count(1)
        lock = threading.Lock()

        def kill_one_after_40_answers(base: str) -> None:
            if base == one:
                with lock:
                    if next(answered_by_one) == 40:
                        os.kill(doomed.pid, signal.SIGKILL)

        late_answers = send_all(work, headers, kill_one_after_40_answers)
        doomed.wait()

    by_one = [answer for (base, _), answer in zip(work, late_answers, strict=True) if base == one]
    by_other = [answer for (base, _), answer in zip(work, late_answers, strict=True) if base != one]
    assert [answer and answer[0] for answer in by_other] == [200] * len(by_other)
    assert sum(answer is not None for answer in by_one) >= 40
    assert None in by_one, "every request to the killed server was answered: kill it sooner"
    counts = logged(hub)
    for request, answer in zip(late, late_answers, strict=True):
        if answer is not None:
            assert answer == (200, {"items": [], "next_cursor": None}), request
            assert counts[request] == 1, f"no line for an answered request {request}"
        else:  # sent, not answered: its line may or may not have been committed
            assert counts[request] <= 1, request
    assert counts - Counter(late) == first, "a line of the first requests lost or doubled"
    assert_verifies(database_url)
