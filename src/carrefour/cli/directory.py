"""``carrefour directory``: integrate, end and show person directory lines."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer
from rich.table import Table

from carrefour.cli.common import DatabaseOption, console, open_hub, parse_day, reports_errors
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
