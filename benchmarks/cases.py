"""The measured operations. Each runs end to end through the hub's public entry points (the
``carrefour`` commands, the HTTP server, the services) and is set beside a floor measured in the
same run on the same database: what plain bulk inserts, a bare endpoint or a minimal PDF do."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, func, inspect, select, text

from carrefour.bootstrap import Hub
from carrefour.domain.identifiers import build_niss, format_niss
from carrefour.services import mailboxes
from carrefour.services.institutions import issue_credential

CHUNK = 20_000


@dataclass
class Figure:
    backend: str
    operation: str
    unit: str
    count: int
    seconds: float
    floor: str = ""
    floor_rate: float | None = None
    p50_ms: float | None = None
    p99_ms: float | None = None
    peak_rss_mb: float | None = None
    target: str = ""
    note: str = ""

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    @property
    def ratio(self) -> float | None:
        return self.rate / self.floor_rate if self.floor_rate else None

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "rate": self.rate, "ratio": self.ratio}


# -- populations -------------------------------------------------------------------------------


def persons(count: int) -> Iterator[str]:
    """``count`` distinct valid NISS (register numbers, born 1950 on, odd and even sequences)."""
    made = 0
    day = date(1950, 1, 1).toordinal()
    while True:
        born = date.fromordinal(day)
        for sequence in range(1, 998):
            if made == count:
                return
            yield build_niss(year=born.year, month=born.month, day=born.day, sequence=sequence)
            made += 1
        day += 1


def write_directory_file(path: Path, nisses: Sequence[str]) -> None:
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(("niss", "capacity", "phase", "begin", "end"))
        writer.writerows((niss, "001", 1, "2020-01-01", "") for niss in nisses)


def write_voucher_file(path: Path, nisses: Sequence[str]) -> None:
    with path.open("w") as out:
        for niss in nisses:
            record = {
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
            out.write(json.dumps(record) + "\n")


# -- running commands --------------------------------------------------------------------------


#: Runs ``carrefour`` and, as it exits, writes its own peak resident set (``VmHWM``, in kB) to
#: the file ``BENCH_PEAK_FILE`` names: the kernel's ``ru_maxrss`` of a child also counts the pages
#: it shared with the benchmark's process between fork and exec, which holds a million rows.
_LAUNCH = """
import atexit, os, runpy, sys
def peak():
    with open("/proc/self/status") as status:
        kb = next(line.split()[1] for line in status if line.startswith("VmHWM"))
    with open(os.environ["BENCH_PEAK_FILE"], "w") as out:
        out.write(kb)
atexit.register(peak)
sys.argv = ["carrefour", *sys.argv[1:]]
runpy.run_module("carrefour.cli.main", run_name="__main__")
"""


def carrefour(database_url: str, *args: str) -> tuple[float, float, str]:
    """Run ``carrefour ARGS``; returns (seconds, its own peak RSS in MB, output)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.NamedTemporaryFile("r") as peak:
        env = {
            **os.environ,
            "CARREFOUR_DATABASE_URL": database_url,
            "COLUMNS": "200",
            "BENCH_PEAK_FILE": peak.name,
        }
        started = time.perf_counter()
        process = subprocess.run(  # noqa: S603 - our own command
            [sys.executable, "-c", _LAUNCH, *args], env=env, stdout=out, stderr=out, check=False
        )
        seconds = time.perf_counter() - started
        out.seek(0)
        output = out.read()
        kilobytes = peak.read().strip()
    if process.returncode != 0 and not kilobytes:
        raise RuntimeError(output)
    return seconds, int(kilobytes or 0) / 1024, output


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def server(command: list[str], env: dict[str, str], port: int) -> Iterator[str]:
    process = subprocess.Popen(  # noqa: S603 - our own command
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                httpx.get(base + "/healthz", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            raise RuntimeError(f"{command} did not come up")
        yield base
    finally:
        process.terminate()
        process.wait(20)


@contextmanager
def hub_server(database_url: str) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "CARREFOUR_DATABASE_URL": database_url, "CARREFOUR_LOG_LEVEL": "warning"}
    command = [sys.executable, "-m", "carrefour.cli.main", "serve", "--port", str(port)]
    with server(command, env, port) as base:
        yield base


@contextmanager
def bare_server() -> Iterator[str]:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "benchmarks.bare:app",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    with server(command, env, port) as base:
        yield base


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


#: wrk's script of the declarations: a new person's form I605 at every request.
DECLARE_SCRIPT = Path(__file__).resolve().parent / "declare.lua"
WRK_THREADS = 2
#: Persons numbered apart for each run of the declarations (the script's NISS run to 10,000,000).
DECLARED_PER_RUN = 3_000_000


def wrk(
    url: str,
    connections: int,
    seconds: float,
    token: str | None = None,
    *,
    script: Path | None = None,
    first: int = 0,
) -> dict[str, float]:
    """wrk's requests/s, p50 and p99 (ms) on ``url`` (with ``script``, its requests, given the
    credential, the thread count and ``first``, where its numbering starts)."""
    command = [
        "wrk", f"-t{WRK_THREADS}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency"
    ]  # fmt: skip
    if token and script is None:
        command += ["-H", f"Authorization: Bearer {token}"]
    if script is not None:
        command += ["-s", str(script), url, "--", token or "", str(WRK_THREADS), str(first)]
    else:
        command.append(url)
    output = subprocess.run(  # noqa: S603 - fixed arguments
        command, capture_output=True, text=True, check=True
    ).stdout
    return _wrk_figures(output)


def _wrk_figures(output: str) -> dict[str, float]:
    figures = {"requests": float(re.search(r"(\d+) requests in", output).group(1))}  # type: ignore[union-attr]
    figures["seconds"] = _duration(re.search(r"requests in ([\d.]+\w+),", output).group(1))  # type: ignore[union-attr]
    for label, key in (("50%", "p50"), ("99%", "p99")):
        found = re.search(rf"{label}\s+([\d.]+)(us|ms|s)", output)
        figures[key] = float(found.group(1)) * _UNITS[found.group(2)] if found else float("nan")
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    figures["errors"] = float(errors.group(1)) if errors else 0.0
    return figures


def _duration(text_value: str) -> float:
    number, unit = re.match(r"([\d.]+)(\w+)", text_value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[unit]


# -- floors: the same rows, plain bulk inserts -------------------------------------------------


def _copy_shape(conn: Any, dialect: str, table: str, copy: str) -> None:
    """``copy``: an empty table with ``table``'s columns, primary key and indexes."""
    conn.exec_driver_sql(f'DROP TABLE IF EXISTS "{copy}"')
    if dialect == "sqlite":
        ddl = conn.exec_driver_sql(
            "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = ? AND sql IS NOT NULL"
            " AND type IN ('table', 'index')",
            (table,),
        ).all()
        for kind, name, sql in sorted(ddl, key=lambda row: row[0] != "table"):
            # the name as written: quoted once a migration rebuilt the table, bare before
            sql = re.sub(rf'(?:"{table}"|\b{table}\b)\s*\(', f'"{copy}" (', sql, count=1)
            if kind == "index":
                sql = sql.replace(name, f"{copy}_{name}", 1)
            else:  # foreign keys would measure the referenced table too: the floor has none
                sql = re.sub(r",\s*FOREIGN KEY[^)]*\)\s*REFERENCES[^)]*\)", "", sql)
            conn.exec_driver_sql(sql)
        return
    conn.exec_driver_sql(f'CREATE TABLE "{copy}" (LIKE "{table}" INCLUDING INDEXES)')


def bulk_floor(engine: Engine, rows_of: dict[str, list[tuple[Any, ...]]]) -> float:
    """Seconds to insert ``rows_of[table]`` plainly into copies of those tables (same columns
    and indexes), a commit per chunk: ``executemany`` on SQLite, ``COPY`` on PostgreSQL."""
    dialect = engine.dialect.name
    raw = engine.raw_connection()
    try:
        driver: Any = raw.driver_connection
        with engine.begin() as conn:
            for table in rows_of:
                _copy_shape(conn, dialect, table, f"floor_{table}")
        if dialect != "sqlite":  # the driver read JSON columns as objects: COPY takes text
            rows_of = {table: [_as_text(row) for row in rows] for table, rows in rows_of.items()}
        started = time.perf_counter()
        for table, rows in rows_of.items():
            if not rows:
                continue
            width = len(rows[0])
            for start in range(0, len(rows), CHUNK):
                part = rows[start : start + CHUNK]
                if dialect == "sqlite":
                    marks = ", ".join("?" * width)
                    driver.execute("BEGIN IMMEDIATE")
                    insert = f'INSERT INTO "floor_{table}" VALUES ({marks})'  # noqa: S608 - our tables
                    driver.executemany(insert, part)
                    driver.execute("COMMIT")
                else:
                    statement = f'COPY "floor_{table}" FROM STDIN'
                    with driver.cursor() as cursor, cursor.copy(statement) as copy:
                        for row in part:
                            copy.write_row(row)
                    driver.commit()
        seconds = time.perf_counter() - started
        with engine.begin() as conn:
            for table in rows_of:
                conn.exec_driver_sql(f'DROP TABLE IF EXISTS "floor_{table}"')
        return seconds
    finally:
        raw.close()


def _as_text(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(json.dumps(v) if isinstance(v, dict | list) else v for v in row)


def narrow_floor(engine: Engine, count: int) -> float:
    """Seconds to insert ``count`` narrow rows (integer key, NISS), a commit per chunk."""
    rows = [(i, f"{i:011d}") for i in range(count)]
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS floor_narrow")
        conn.exec_driver_sql("CREATE TABLE floor_narrow (id BIGINT PRIMARY KEY, niss CHAR(11))")
    seconds = bulk_floor_rows(engine, "floor_narrow", rows)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE floor_narrow")
    return seconds


def bulk_floor_rows(engine: Engine, table: str, rows: list[tuple[Any, ...]]) -> float:
    raw = engine.raw_connection()
    try:
        driver: Any = raw.driver_connection
        started = time.perf_counter()
        for start in range(0, len(rows), CHUNK):
            part = rows[start : start + CHUNK]
            if engine.dialect.name == "sqlite":
                driver.execute("BEGIN IMMEDIATE")
                driver.executemany(f"INSERT INTO {table} VALUES (?, ?)", part)  # noqa: S608
                driver.execute("COMMIT")
            else:
                with driver.cursor() as cursor, cursor.copy(f"COPY {table} FROM STDIN") as copy:
                    for row in part:
                        copy.write_row(row)
                driver.commit()
        return time.perf_counter() - started
    finally:
        raw.close()


def table_counts(engine: Engine) -> dict[str, int]:
    names = inspect(engine).get_table_names()
    with engine.connect() as conn:
        return {
            name: int(
                conn.execute(select(func.count()).select_from(text(f'"{name}"'))).scalar_one()
            )
            for name in names
            if not name.startswith(("floor_", "alembic"))
        }


def new_rows(engine: Engine, before: dict[str, int]) -> dict[str, list[tuple[Any, ...]]]:
    """The rows of each table that grew since ``before`` (its last rows, by insertion order)."""
    after = table_counts(engine)
    grown: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        for name, count in after.items():
            added = count - before.get(name, 0)
            if added <= 0:
                continue
            order = "rowid" if engine.dialect.name == "sqlite" else "ctid"
            query = f'SELECT * FROM "{name}" ORDER BY {order} DESC LIMIT {added}'  # noqa: S608
            newest_first = [tuple(row) for row in conn.exec_driver_sql(query)]
            grown[name] = newest_first[::-1]  # the floor inserts them in the order they came
    return grown


# -- the cases ---------------------------------------------------------------------------------


def directory_load(hub: Hub, backend: str, work: Path, count: int) -> tuple[Figure, list[str]]:
    nisses = list(persons(count))
    path = work / "directory.csv"
    write_directory_file(path, nisses)
    url = str(hub.settings.database_url)
    before = table_counts(hub.engine)
    seconds, rss, output = carrefour(url, "directory", "load", str(path), "--as", "mut-100")
    if "0 refused" not in output:
        raise RuntimeError(output)
    floor = bulk_floor(hub.engine, {"person_lines": new_rows(hub.engine, before)["person_lines"]})
    figure = Figure(
        backend,
        "directory load (carrefour directory load, CSV)",
        "lines",
        count,
        seconds,
        "plain bulk insert of the same rows",
        count / floor,
        peak_rss_mb=rss,
        target="1,000,000 lines < 60 s on SQLite",
    )
    return figure, nisses


#: Each of the probe's 4 connections waits this long between two ``/healthz`` requests: about
#: 100 requests/s in all, many times a load balancer's liveness probe. Unpaced, wrk kept the
#: server's event loop and itself busy on one of the 2 cores, and the batch beside it ran on
#: the other: its figure measured the probe as much as the batch.
PROBE_PACE_MS = 40


def batch_routing(
    hub: Hub, backend: str, work: Path, nisses: Sequence[str], health_seconds: float
) -> list[Figure]:
    """``carrefour batch submit`` of one voucher per person, with /healthz hammered meanwhile."""
    path = work / "vouchers.jsonl"
    write_voucher_file(path, nisses)
    url = str(hub.settings.database_url)
    before = table_counts(hub.engine)
    with hub_server(url) as base:
        pace = work / "pace.lua"
        pace.write_text(f"function delay()\n  return {PROBE_PACE_MS}\nend\n")
        health = subprocess.Popen(  # noqa: S603 - fixed arguments
            ["wrk", "-t1", "-c4", "-d3600s", "--latency", "-s", str(pace), base + "/healthz"],  # noqa: S607
            stdout=subprocess.PIPE,
            text=True,
        )
        seconds, rss, output = carrefour(url, "batch", "submit", str(path), "--as", "onss")
        health.send_signal(signal.SIGINT)
        health_output, _ = health.communicate(30)
    with hub.engine.connect() as conn:
        count = int(conn.exec_driver_sql("SELECT sum(routed) FROM batches").scalar() or 0)
    if count == 0:
        raise RuntimeError(output)
    written = new_rows(hub.engine, before)
    floor = bulk_floor(hub.engine, written)
    narrow = narrow_floor(hub.engine, len(nisses))
    shape = ", ".join(f"{name} {len(rows):,}" for name, rows in written.items())
    figures = [
        Figure(
            backend,
            "batch routing (carrefour batch submit, JSON Lines)",
            "vouchers",
            count,
            seconds,
            "plain bulk insert of the rows it wrote",
            count / floor,
            peak_rss_mb=rss,
            target=">= 50k/s SQLite (3x floor), >= 30k/s PG; RSS < 500 MB",
            note=f"rows written: {shape}",
        ),
        Figure(
            backend, "  physical limit: one narrow row per voucher", "rows", len(nisses), narrow
        ),
    ]
    try:
        h = _wrk_figures(health_output)
        figures.append(
            Figure(
                backend,
                "GET /healthz while the batch runs, 4 connections, paced",
                "requests",
                int(h["requests"]),
                h["seconds"],
                p50_ms=h["p50"],
                p99_ms=h["p99"],
                target="p99 < 50 ms",
            )
        )
    except AttributeError:
        pass
    return figures


#: The messages a drain pulls at most: its rate is steady over a full mailbox (each page is read
#: by position), and the first 200,000 of a million keep ``make bench`` within its 15 minutes.
DRAIN_AT_MOST = 200_000


def mailbox_drain(hub: Hub, backend: str) -> Figure:
    caller = hub.catalogue.institution("mut-100")
    after: str | None = None
    count = 0
    started = time.perf_counter()
    while count < DRAIN_AT_MOST:
        with hub.uow() as uow:
            page = mailboxes.pull(uow, caller=caller, after=after, limit=1000)
        if not page.items:
            break
        count += len(page.items)
        after = page.next_cursor
    seconds = time.perf_counter() - started
    label = "mailbox drain (pull pages of 1,000)"
    if count >= DRAIN_AT_MOST:
        label = f"mailbox drain (pull pages of 1,000, the first {DRAIN_AT_MOST:,})"
    return Figure(backend, label, "messages", count, seconds)


def http_requests(hub: Hub, backend: str, nisses: Sequence[str], seconds: float) -> list[Figure]:
    """The directory read of one person, and the declaration of a new person (form I605, which
    writes a directory line and its consultation line), at 4 and 32 connections, beside a bare
    ASGI endpoint on the same server."""
    with hub.uow() as uow:
        token = issue_credential(uow, institution="mut-100")
    url = str(hub.settings.database_url)
    figures: list[Figure] = []
    floors: dict[int, dict[str, float]] = {}
    with bare_server() as base:
        for connections in (4, 32):
            floors[connections] = wrk(base + "/", connections, seconds)
    with hub_server(url) as base:
        target = f"{base}/v1/directory/{nisses[len(nisses) // 2]}"
        if httpx.get(target, headers={"Authorization": f"Bearer {token}"}).status_code != 200:
            raise RuntimeError(f"{target} does not answer 200")
        measured = [
            (f"HTTP GET /v1/directory/{{niss}}, {connections} connections", connections,
             wrk(target, connections, seconds, token))
            for connections in (4, 32)
        ]  # fmt: skip
        measured += [
            (f"HTTP PUT /v1/directory/{{niss}}/integrations (a new person each), "
             f"{connections} connections", connections,
             wrk(base + "/", connections, seconds, token, script=DECLARE_SCRIPT,
                 first=run * DECLARED_PER_RUN))
            for run, connections in enumerate((4, 32))
        ]  # fmt: skip
    for operation, connections, got in measured:
        floor = floors[connections]
        reads = operation.startswith("HTTP GET")
        figures.append(
            Figure(
                backend,
                operation,
                "requests",
                int(got["requests"]),
                got["seconds"],
                "bare ASGI endpoint, same server",
                floor["requests"] / floor["seconds"],
                p50_ms=got["p50"],
                p99_ms=got["p99"],
                target=">= 2,000/s, p99 < 5 ms at 4" if reads and connections == 4 else "",
                note=f"floor p99 {floor['p99']:.2f} ms"
                + (f"; {int(got['errors'])} non-2xx" if got["errors"] else ""),
            )
        )
    return figures


def pdfs(hub: Hub, backend: str, count: int) -> Figure:
    from fpdf import FPDF

    sender = hub.catalogue.institution("onss")
    fields = [("Période", "Periode", "2025Q1"), ("Jours", "Dagen", "60"), ("CT1", "CT1", "110")]
    started = time.perf_counter()
    for i in range(count):
        hub.renderer.paper_voucher(
            document_id=f"doc-{i}",
            sender=sender,
            niss_formatted=format_niss("68060105329"),
            kind_fr="salarié",
            kind_nl="werknemer",
            period_label="2025Q1",
            fields=fields,
            reason_fr="pas de mutualité",
            reason_nl="geen ziekenfonds",
            message_id=f"m-{i}",
            issued_at=datetime(2026, 6, 1, tzinfo=UTC),
        )
    seconds = time.perf_counter() - started
    started = time.perf_counter()
    for i in range(count):
        pdf = FPDF()
        pdf.add_page()
        pdf.set_font("helvetica", size=12)
        pdf.cell(text=f"document {i}")
        pdf.output()
    floor = time.perf_counter() - started
    return Figure(
        backend,
        "paper voucher PDFs",
        "PDFs",
        count,
        seconds,
        "a minimal fpdf2 page",
        count / floor,
        target=">= 500/s",
    )


def has_wrk() -> bool:
    return shutil.which("wrk") is not None
