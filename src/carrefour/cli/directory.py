"""``carrefour directory``: integrate, end and show person directory lines."""

from __future__ import annotations

import csv
import gc
import io
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated

import msgspec
import typer
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from carrefour.cli.common import DatabaseOption, console, open_hub, parse_day, reports_errors
from carrefour.domain.errors import InvalidInput
from carrefour.domain.identifiers import format_niss
from carrefour.domain.periods import Period, parse_date
from carrefour.services import directory as service

app = typer.Typer(help="The person directory: who knows which person, in what capacity.")

AsOption = Annotated[str, typer.Option("--as", help="the institution acting (catalogue id)")]


@app.command()
@reports_errors
def integrate(
    niss: str,
    capacity: Annotated[str, typer.Option(help="3-digit capacity code of the sector")],
    begin: Annotated[str, typer.Option(help="YYYY-MM-DD")],
    as_: AsOption,
    phase: Annotated[int, typer.Option(min=0)] = 1,
    end: Annotated[str | None, typer.Option(help="YYYY-MM-DD; empty = open")] = None,
    database_url: DatabaseOption = None,
) -> None:
    """Integrate NISS for an institution (form I605)."""
    with open_hub(database_url) as hub, hub.uow() as uow:
        caller = hub.catalogue.institution(as_)
        command = service.Integrate(
            niss=niss, capacity=capacity, phase=phase, begin=parse_date(begin), end=parse_day(end)
        )
        line = service.integrate(uow, caller=caller, command=command)
    console.print(f"integrated: line {line.id} {line.institution} {line.capacity} {line.period}")


@app.command()
@reports_errors
def end(
    niss: str,
    line_id: str,
    as_: AsOption,
    on: Annotated[str | None, typer.Option("--on", help="end date; default today")] = None,
    cut_begin: Annotated[str | None, typer.Option(help="cut a period out instead")] = None,
    cut_end: Annotated[str | None, typer.Option()] = None,
    database_url: DatabaseOption = None,
) -> None:
    """End an integration line (form S607), or cut a period out of it."""
    with open_hub(database_url) as hub, hub.uow() as uow:
        caller = hub.catalogue.institution(as_)
        if cut_begin is not None:
            period = Period(parse_date(cut_begin), parse_day(cut_end))
            remains = service.cut_integration(
                uow, caller=caller, niss=niss, line_id=line_id, period=period
            )
            console.print(f"cut {period} out of {line_id}; {len(remains)} line(s) remain")
            for line in remains:
                console.print(f"  line {line.id} {line.period}")
            return
        end_day = parse_day(on) or hub.clock.today()
        line = service.end_integration(uow, caller=caller, niss=niss, line_id=line_id, end=end_day)
    console.print(f"ended: line {line.id} {line.period}")


@app.command()
@reports_errors
def show(
    niss: str,
    at: Annotated[str | None, typer.Option(help="only lines in force on this date")] = None,
    database_url: DatabaseOption = None,
) -> None:
    """Every line held for NISS, with its history (the operator's view)."""
    day: date | None = parse_day(at)
    with open_hub(database_url) as hub, hub.uow() as uow:
        history = service.history(uow, niss=niss)
    table = Table(
        "line",
        "institution",
        "capacity",
        "phase",
        "begin",
        "end",
        "last change",
        "state",
        title=f"NISS {format_niss(niss)}",
    )
    for entry in history:
        line = entry.line
        if day is not None and (entry.cancelled_at is not None or not line.covers(day)):
            continue
        table.add_row(
            line.id,
            line.institution,
            line.capacity,
            str(line.phase),
            line.period.begin.isoformat(),
            line.period.end.isoformat() if line.period.end else "",
            f"{entry.change} {entry.changed_at:%Y-%m-%d %H:%M}",
            "cancelled" if entry.cancelled_at else ("open" if line.period.is_open else "ended"),
        )
    console.print(table)


@app.command()
@reports_errors
def replace(
    old_niss: str,
    new_niss: str,
    as_: Annotated[str, typer.Option("--as", help="who records it")] = "bcss",
    database_url: DatabaseOption = None,
) -> None:
    """Record that OLD_NISS was replaced by NEW_NISS (e.g. a BIS number by a register number)."""
    with open_hub(database_url) as hub, hub.uow() as uow:
        hub.catalogue.institution(as_)
        service.record_replacement(uow, old_niss=old_niss, new_niss=new_niss, by=as_)
    console.print(f"{format_niss(old_niss)} is replaced by {format_niss(new_niss)}")


class _JsonLine(msgspec.Struct):
    """The fields of a JSON Lines bulk line (any other key is ignored)."""

    niss: object = None
    capacity: object = None
    phase: object = None
    begin: object = None
    end: object = None


_decode_json_line = msgspec.json.Decoder(_JsonLine).decode
_UNREADABLE: tuple[object, ...] = (None,) * len(service.LOAD_FIELDS)


def _read_lines(path: Path, raw: io.BufferedReader) -> Iterator[tuple[int, service.LoadFields]]:
    """``(line number, fields)`` of a CSV file (a header line names the columns) or, for
    ``.jsonl``/``.ndjson``, of a JSON Lines file, the fields in ``LOAD_FIELDS`` order; an
    unreadable line has no fields."""
    if path.suffix.lower() in (".jsonl", ".ndjson", ".json"):
        yield from _json_lines(raw)
        return
    text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
    try:
        yield from _csv_lines(path, text)
    finally:
        text.detach()  # the caller's file stays open: it measures the progress on it


def _json_lines(raw: io.BufferedReader) -> Iterator[tuple[int, service.LoadFields]]:
    for number, line in enumerate(raw, start=1):
        if not line.strip():
            continue
        try:
            value = _decode_json_line(line)
        except (msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError):
            yield number, _UNREADABLE
            continue
        yield number, (value.niss, value.capacity, value.phase, value.begin, value.end)


def _csv_lines(path: Path, text: io.TextIOWrapper) -> Iterator[tuple[int, service.LoadFields]]:
    reader = csv.reader(text)
    header = next(reader, [])
    unknown = set(header) - set(service.LOAD_FIELDS)
    if "niss" not in header or unknown:
        raise InvalidInput(
            f"the first line of {path} must name the columns {', '.join(service.LOAD_FIELDS)}"
            + (f" (unknown: {', '.join(sorted(unknown))})" if unknown else "")
        )
    where = {name: index for index, name in enumerate(header)}
    if tuple(header) == service.LOAD_FIELDS:
        for row in reader:  # the usual file: its rows are the fields as they are
            if len(row) == len(header):
                yield reader.line_num, row
            elif row:
                yield reader.line_num, _fields(row, where)
        return
    for row in reader:
        if row:
            yield reader.line_num, _fields(row, where)


def _fields(row: list[str], where: Mapping[str, int]) -> tuple[str | None, ...]:
    """A CSV row's fields in ``LOAD_FIELDS`` order (``None`` for a column the file or the row
    lacks)."""
    width = len(row)
    return tuple(
        row[where[name]] if name in where and where[name] < width else None
        for name in service.LOAD_FIELDS
    )


@contextmanager
def _without_cycle_collection() -> Iterator[None]:
    """The cyclic garbage collector off for the length of a load. A chunk's lines are many
    small tuples and lists with no cycles (freed as soon as they are written), and the collector
    would otherwise walk them again and again: about half of the time spent reading and checking
    a file."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@app.command()
@reports_errors
def load(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV or .jsonl")],
    as_: AsOption,
    errors_to: Annotated[
        Path | None, typer.Option("--errors", help="write every refused line here (CSV)")
    ] = None,
    chunk: Annotated[int, typer.Option(min=1, help="lines per transaction")] = 50_000,
    database_url: DatabaseOption = None,
) -> None:
    """Integrate many persons at once (form I605 per line: niss, capacity, phase, begin, end).

    Each line follows the rules of `integrate`; a refused line is reported with its number and
    the others are loaded. Exit code 1 when some lines were refused."""
    with open_hub(database_url) as hub, file.open("rb") as raw:
        caller = hub.catalogue.institution(as_)
        size = file.stat().st_size
        columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn())
        with Progress(*columns, TimeElapsedColumn(), console=console, transient=True) as bar:
            task = bar.add_task("loading", total=size)

            def advance(report: service.LoadReport) -> None:
                bar.update(
                    task,
                    completed=raw.tell(),
                    description=f"{report.loaded:,} loaded, {len(report.errors):,} refused",
                )

            with _without_cycle_collection():
                report = service.load_integrations(
                    hub.uow,
                    caller=caller,
                    lines=_read_lines(file, raw),
                    source=file.name,
                    chunk_size=chunk,
                    progress=advance,
                )
    console.print(f"{report.loaded:,} lines loaded, {len(report.errors):,} refused")
    for error in report.errors[:20]:
        console.print(f"  line {error.line}: {error.code}: {error.detail}", highlight=False)
    if len(report.errors) > 20:
        console.print(f"  ... and {len(report.errors) - 20:,} more")
    if errors_to is not None:
        with errors_to.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(("line", "code", "detail"))
            writer.writerows((e.line, e.code, e.detail) for e in report.errors)
    if report.errors:
        raise typer.Exit(1)
