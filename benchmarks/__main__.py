"""Measure the hub's hot paths on fresh databases; print a table and write it as JSON.

    python -m benchmarks                          # SQLite in a temporary directory
    python -m benchmarks --postgres URL           # also on PostgreSQL (a scratch database)
    BENCH_SCALE=0.1 python -m benchmarks          # a tenth of the volumes (make bench-quick)

Volumes at scale 1: 1,000,000 directory lines and 1,000,000 vouchers per database, HTTP
windows of 10 s, 2,000 PDFs. Every figure stands beside its floor, measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from benchmarks import cases
from benchmarks.cases import Figure
from carrefour.bootstrap import bootstrap, upgrade_database
from carrefour.config import Settings

RESULTS = Path(__file__).resolve().parent / "results"


class BenchClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def today(self) -> date:
        return date(2026, 6, 1)


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


def run_backend(
    backend: str, url: str, work: Path, scale: float, only: str | None, console: Console
) -> list[Figure]:
    settings = Settings(database_url=url)
    upgrade_database(settings)
    hub = bootstrap(settings, clock=BenchClock())
    figures: list[Figure] = []
    http_seconds = max(3.0, 10.0 * min(scale, 1.0))

    def wanted(name: str) -> bool:
        return only is None or only in name

    try:
        console.print(f"[dim]{backend}: directory load...[/]")
        load, nisses = cases.directory_load(hub, backend, work, max(100, int(1_000_000 * scale)))
        figures.append(load)
        if wanted("batch"):
            console.print(f"[dim]{backend}: batch routing...[/]")
            figures += cases.batch_routing(hub, backend, work, nisses, http_seconds)
            console.print(f"[dim]{backend}: mailbox drain...[/]")
            figures.append(cases.mailbox_drain(hub, backend))
        if wanted("http") and cases.has_wrk():
            console.print(f"[dim]{backend}: HTTP reads and declarations...[/]")
            figures += cases.http_requests(hub, backend, nisses, http_seconds)
        if wanted("pdf") and backend == "sqlite":
            console.print(f"[dim]{backend}: PDFs...[/]")
            figures.append(cases.pdfs(hub, backend, max(50, int(2_000 * min(scale, 1.0)))))
    finally:
        hub.dispose()
    return figures


def _ms(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def print_table(console: Console, figures: list[Figure]) -> None:
    table = Table(
        "db",
        "operation",
        "count",
        "s",
        "rate /s",
        "floor /s",
        "ratio",
        "p50 ms",
        "p99 ms",
        "peak RSS MB",
        "target",
    )
    for f in figures:
        table.add_row(
            f.backend,
            f.operation + (f"\n[dim]floor: {f.floor}; {f.note}[/]" if f.floor or f.note else ""),
            f"{f.count:,}",
            f"{f.seconds:.1f}",
            f"{f.rate:,.0f} {f.unit}",
            "" if f.floor_rate is None else f"{f.floor_rate:,.0f}",
            "" if f.ratio is None else f"{f.ratio:.2f}",
            _ms(f.p50_ms),
            _ms(f.p99_ms),
            "" if f.peak_rss_mb is None else f"{f.peak_rss_mb:,.0f}",
            f.target,
        )
    console.print(table)


def markdown(figures: list[Figure]) -> str:
    """The table as Markdown, for README.md and docs/scaling.md."""
    lines = [
        "| db | operation | count | rate /s | floor /s | ratio | p50 / p99 ms | peak RSS MB "
        "| target |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for f in figures:
        floor = "" if f.floor_rate is None else f"{f.floor_rate:,.0f} ({f.floor})"
        latency = "" if f.p99_ms is None else f"{_ms(f.p50_ms)} / {_ms(f.p99_ms)}"
        lines.append(
            f"| {f.backend} | {f.operation.strip()} | {f.count:,} | {f.rate:,.0f} {f.unit} "
            f"| {floor} "
            f"| {'' if f.ratio is None else f'{f.ratio:.2f}'} | {latency} "
            f"| {'' if f.peak_rss_mb is None else f'{f.peak_rss_mb:,.0f}'} | {f.target} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres", help="a PostgreSQL URL to benchmark too")
    parser.add_argument("--scale", type=float, default=float(os.environ.get("BENCH_SCALE", "1")))
    parser.add_argument("--only", help="only the cases whose name holds this: batch, http, pdf")
    args = parser.parse_args()

    console = Console(width=180)
    if not cases.has_wrk():
        console.print("[yellow]wrk is not installed: the HTTP figures are left out[/]")
    figures: list[Figure] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        targets: list[tuple[str, str, Callable[[], None]]] = [
            ("sqlite", f"sqlite:///{work / 'bench.db'}", lambda: None)
        ]
        if args.postgres:
            url, drop = scratch_postgres(args.postgres)
            targets.append(("postgresql", url, drop))
        for backend, url, cleanup in targets:
            try:
                figures += run_backend(backend, url, work, args.scale, args.only, console)
            finally:
                cleanup()
    print_table(console, figures)
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    document = {
        "at": stamp,
        "scale": args.scale,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "load_average": os.getloadavg(),
        # how the hub reached PostgreSQL (a Unix socket or TCP), without a password
        "postgres": make_url(args.postgres).render_as_string() if args.postgres else None,
        "seconds": time.perf_counter() - started,
        "figures": [f.as_json() for f in figures],
    }
    for name in (f"{stamp}.json", "latest.json"):
        (RESULTS / name).write_text(json.dumps(document, indent=2) + "\n")
    (RESULTS / "latest.md").write_text(markdown(figures))
    console.print(f"written to {RESULTS / (stamp + '.json')} in {document['seconds']:.0f} s")


if __name__ == "__main__":
    main()
