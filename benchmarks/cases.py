"""The benchmark cases: each prepares its data, then returns steps to time."""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import httpx

from carrefour.bootstrap import Hub
from carrefour.domain.directory import IntegrationLine
from carrefour.domain.identifiers import parse_niss
from carrefour.domain.periods import Period
from carrefour.services import batches, careers, directory, mailboxes, tracking
from carrefour.services.institutions import issue_credential
from carrefour.simulate.population import CAS, MUTUALITIES, people


@dataclass
class Work:
    steps: list[Callable[[], int]]
    latencies: list[float] | None = None  # per request, when a step times many requests itself


@dataclass(frozen=True)
class Case:
    name: str
    unit: str
    prepare: Callable[[Hub, float], Work]


def _n(base: int, scale: float) -> int:
    return max(1, int(base * scale))


def niss_validation(hub: Hub, scale: float) -> Work:
    numbers = [p.niss for p in people(_n(20_000, scale), seed=1)]

    def step() -> int:
        for value in numbers:
            parse_niss(value)
        return len(numbers)

    return Work([step])


def _integrate_all(hub: Hub, assignments: list[tuple[str, str, str]]) -> None:
    """Directory lines ``(niss, institution, capacity)``, open since 2020, in one transaction."""
    with hub.uow() as uow:
        now = uow.clock.now()
        for niss, institution, capacity in assignments:
            uow.directory.add(
                IntegrationLine(
                    id=f"{institution}-{capacity}-{niss}",
                    niss=niss,
                    institution=institution,
                    capacity=capacity,
                    phase=1,
                    period=Period(date(2020, 1, 1)),
                ),
                now,
            )
        uow.commit()


def _bulk_directory(hub: Hub, count: int) -> list[str]:
    population = [p.niss for p in people(count, seed=2)]
    rng = random.Random(3)
    _integrate_all(hub, [(niss, rng.choice(MUTUALITIES), "001") for niss in population])
    return population


def integrate(hub: Hub, scale: float) -> Work:
    population = [p.niss for p in people(_n(1_000, scale), seed=4)]
    caller = hub.catalogue.institution("mut-200")

    def one(niss: str) -> Callable[[], int]:
        def step() -> int:
            with hub.uow() as uow:
                command = directory.Integrate(
                    niss=niss, capacity="002", phase=1, begin=date(2024, 1, 1)
                )
                directory.integrate(uow, caller=caller, command=command)
            return 1

        return step

    return Work([one(n) for n in population])


def routing_query(hub: Hub, scale: float) -> Work:
    population = _bulk_directory(hub, _n(20_000, scale))
    sample = random.Random(5).sample(population, min(2_000, len(population)))

    def one(niss: str) -> Callable[[], int]:
        def step() -> int:
            with hub.uow() as uow:
                directory.who_knows(uow, niss=niss, at=date(2025, 1, 1))
            return 1

        return step

    return Work([one(n) for n in sample])


def declare_start(hub: Hub, scale: float) -> Work:
    population = [p for p in people(_n(1_000, scale), seed=6) if p.birth.year < 2000]
    _ = _bulk_lines_for(hub, [p.niss for p in population])
    rng = random.Random(7)

    def one(niss: str, cas: str) -> Callable[[], int]:
        def step() -> int:
            with hub.uow() as uow:
                result = careers.declare_affiliation(
                    uow,
                    caller=hub.catalogue.institution(cas),
                    command=careers.DeclareAffiliation(
                        niss=niss, begin=date(2025, 3, 3), contributor_category="A"
                    ),
                )
            return len(result.messages) and 1

        return step

    return Work([one(p.niss, rng.choice(CAS)) for p in population])


def _bulk_lines_for(hub: Hub, nisses: list[str]) -> int:
    rng = random.Random(8)
    lines = [(niss, rng.choice(MUTUALITIES), "001") for niss in nisses]
    _integrate_all(hub, lines + [(niss, "onem", "004") for niss in nisses])
    return len(nisses)


def mailbox_pull(hub: Hub, scale: float) -> Work:
    caller = hub.catalogue.institution("onem")
    state: dict[str, str | None] = {"after": None}

    def step() -> int:
        with hub.uow() as uow:
            page = mailboxes.pull(uow, caller=caller, after=state["after"], limit=500)
        state["after"] = page.next_cursor
        return len(page.items)

    return Work([step for _ in range(max(1, _n(1_000, scale) // 500 + 1))])


def verify_chain(hub: Hub, scale: float) -> Work:
    def step() -> int:
        with hub.uow() as uow:
            report = tracking.verify(uow)
        assert report.broken is None
        return report.entries

    return Work([step])


def http_consultation(hub: Hub, scale: float) -> Work:
    """A real ``carrefour serve`` process on this database, 8 concurrent client connections."""
    with hub.uow() as uow:
        token = issue_credential(uow, institution="mut-100")
        lines, _ = directory.persons_of(uow, caller=hub.catalogue.institution("mut-100"), limit=200)
    nisses = [line.niss for line in lines] or ["68060105329"]
    headers = {"Authorization": f"Bearer {token}"}
    total = _n(3_000, scale)
    latencies: list[float] = []

    async def load(base: str) -> int:
        async with httpx.AsyncClient(base_url=base, headers=headers) as client:
            counter = iter(range(total))

            async def worker() -> None:
                for i in counter:
                    t0 = time.perf_counter()
                    response = await client.get(f"/v1/directory/{nisses[i % len(nisses)]}")
                    latencies.append(time.perf_counter() - t0)
                    if response.status_code != 200:
                        raise RuntimeError(response.text)

            await asyncio.gather(*(worker() for _ in range(8)))
        return total

    def step() -> int:
        port = _free_port()
        env = {**os.environ, "CARREFOUR_DATABASE_URL": str(hub.settings.database_url)}
        server = subprocess.Popen(  # noqa: S603 - our own command, fixed arguments
            [sys.executable, "-m", "carrefour.cli.main", "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            _wait_healthy(base)
            if shutil.which("wrk"):
                return _wrk(f"{base}/v1/directory/{nisses[0]}", token, latencies)
            return asyncio.run(load(base))
        finally:
            server.terminate()
            server.wait(10)

    return Work([step], latencies)


def _wrk(url: str, token: str, latencies: list[float]) -> int:
    """Load with wrk (far cheaper than a Python client on shared cores): 2 threads, 8
    connections, 10 s; its p50 and p99 become the latencies."""
    output = subprocess.run(  # noqa: S603 - fixed arguments
        ["wrk", "-t2", "-c8", "-d10s", "--latency", "-H", f"Authorization: Bearer {token}", url],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    done = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    for label in ("50%", "99%"):
        value, unit = re.search(rf"{label}\s+([\d.]+)(us|ms|s)", output).groups()  # type: ignore[union-attr]
        latencies.append(float(value) / {"us": 1e6, "ms": 1e3, "s": 1.0}[unit])
    return done


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_healthy(base: str) -> None:
    for _ in range(100):
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the server at {base} did not come up")


def voucher_batch(hub: Hub, scale: float) -> Work:
    """A JSON Lines batch of employee vouchers, each person integrated at a mutuality."""
    population = [p.niss for p in people(_n(5_000, scale), seed=12)]
    rng = random.Random(13)
    _integrate_all(hub, [(niss, rng.choice(MUTUALITIES), "001") for niss in population])
    content = "\n".join(
        json.dumps(
            {
                "kind": "employee",
                "niss": niss,
                "period": "2025Q1",
                "ct1": "110",
                "ct2": "460",
                "employer": "0403019261",
                "days_worked": 60,
                "hours_worked": 456.5,
                "working_time_fraction": 1,
            }
        )
        for niss in population
    ).encode()
    caller = hub.catalogue.institution("onss")

    def step() -> int:
        outcome = batches.submit_batch(
            hub.uow,
            caller=caller,
            content=content,
            file_format="jsonl",
            idempotency_key=None,
            parser=hub.batch_parser,
            renderer=hub.renderer,
        )
        assert outcome.batch.routed == len(population), outcome.batch
        return outcome.batch.routed

    return Work([step])


CASES = [
    Case("NISS parse + validate", "NISS", niss_validation),
    Case("integrate (I605), one transaction each", "lines", integrate),
    Case("who knows NISS on date (routing query)", "queries", routing_query),
    Case("declare start + distribute (1 write, 2 recipients)", "writes", declare_start),
    Case("mailbox pull, pages of 500", "messages", mailbox_pull),
    Case("verify tracking chains", "entries", verify_chain),
    Case("voucher batch (JSON Lines), routed to mutualities", "vouchers", voucher_batch),
    Case("HTTP GET /v1/directory/{niss}, 8 connections", "requests", http_consultation),
]
