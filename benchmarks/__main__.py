"""Measure the hub's hot paths on a fresh database and print a table.

    python -m benchmarks                    # SQLite in a temporary directory
    python -m benchmarks --postgres URL     # also on PostgreSQL (a scratch database is created)
    python -m benchmarks --scale 2          # twice the volumes

Each row is one operation measured end to end through the same use cases the API calls.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from benchmarks.cases import CASES, Case
from carrefour.bootstrap import Hub, bootstrap, upgrade_database
from carrefour.config import Settings


@dataclass(frozen=True)
class Result:
    backend: str
    case: str
    count: int
    seconds: float
    unit: str
    latencies: list[float]

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds else float("inf")


class BenchClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def today(self) -> date:
        return date(2026, 6, 1)


def run_case(hub: Hub, backend: str, case: Case, scale: float) -> Result:
    work = case.prepare(hub, scale)
    latencies: list[float] = []
    started = time.perf_counter()
    count = 0
    for step in work.steps:
        t0 = time.perf_counter()
        count += step()
        latencies.append(time.perf_counter() - t0)
    seconds = time.perf_counter() - started
    if case.name.startswith("HTTP") and shutil.which("wrk"):
        seconds = 10.0  # wrk's own measuring window
    if work.latencies is not None:
        latencies = work.latencies
    return Result(backend, case.name, count, seconds, case.unit, latencies)


def scratch_postgres(url: str) -> tuple[str, Callable[[], None]]:
    name = f"carrefour_bench_{int(time.time())}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(url).set(database=name).render_as_string(hide_password=False), drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres", help="a PostgreSQL URL to benchmark too")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--only", help="run only cases whose name contains this")
    args = parser.parse_args()

    targets: list[tuple[str, str, Callable[[], None]]] = []
    tmp = tempfile.TemporaryDirectory()
    targets.append(("sqlite", f"sqlite:///{Path(tmp.name) / 'bench.db'}", lambda: None))
    if args.postgres:
        url, drop = scratch_postgres(args.postgres)
        targets.append(("postgresql", url, drop))

    console = Console(width=150)
    results: list[Result] = []
    for backend, url, cleanup in targets:
        try:
            settings = Settings(database_url=url)
            upgrade_database(settings)
            hub = bootstrap(settings, clock=BenchClock())
            for case in CASES:
                if args.only and args.only not in case.name:
                    continue
                console.print(f"[dim]{backend}: {case.name}...[/]")
                results.append(run_case(hub, backend, case, args.scale))
            hub.dispose()
        finally:
            cleanup()

    table = Table("backend", "operation", "count", "seconds", "rate", "p50 ms", "p99 ms")
    for r in results:
        ordered = sorted(r.latencies)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] if ordered else 0.0
        table.add_row(
            r.backend,
            r.case,
            str(r.count),
            f"{r.seconds:.2f}",
            f"{r.rate:,.0f} {r.unit}/s",
            f"{statistics.median(ordered) * 1000:.2f}" if ordered else "",
            f"{p99 * 1000:.2f}",
        )
    console.print(table)


if __name__ == "__main__":
    main()
