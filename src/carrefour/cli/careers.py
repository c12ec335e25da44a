"""``carrefour rgti``: consult and write self-employed careers."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from carrefour.cli.common import DatabaseOption, console, open_hub, parse_day, reports_errors
from carrefour.domain.careers import EndReason, WorkerCapacity
from carrefour.domain.identifiers import parse_niss
from carrefour.domain.periods import parse_date
from carrefour.services import careers as service

app = typer.Typer(help="The RGTI: self-employed careers fed by the CAS.")

AsOption = Annotated[str, typer.Option("--as", help="the institution acting (catalogue id)")]


def _print_messages(result: service.WriteResult) -> None:
    if not result.messages:
        console.print("no start or stop message follows from this write")
    for message in result.messages:
        console.print(f"sent {message.flow} of {message.event_date} as message {message.id}")


@app.command()
@reports_errors
def show(
    niss: str,
    as_: Annotated[str, typer.Option("--as", help="consult as this institution")] = "inasti",
    at: Annotated[str | None, typer.Option(help="the situation on this date")] = None,
    database_url: DatabaseOption = None,
) -> None:
    """The career of NISS per segment (form L302), as an institution sees it."""
    with open_hub(database_url) as hub, hub.uow() as uow:
        caller = hub.catalogue.institution(as_)
        answer = service.consult_career(uow, caller=caller, niss=niss, at=parse_day(at))
    table = Table(
        "segment",
        "CAS no.",
        "CAS enterprise",
        "begin",
        "end",
        "category",
        "enterprise",
        "assimilated periods",
        title=f"RGTI {parse_niss(answer.niss).formatted()}  {answer.status_code}  "
        f"attestation {answer.attestation_id}",
    )
    for s in answer.segments:
        assimilated = s.get("assimilated_periods")
        table.add_row(
            str(s.get("segment", "")),
            str(s.get("cas_network_number") or ""),
            str(s.get("cas_enterprise_number") or ""),
            str(s.get("begin") or ""),
            str(s.get("end") or ""),
            str(s.get("contributor_category") or ""),
            str(s.get("enterprise_number") or ""),
            ""
            if assimilated is None
            else ", ".join(
                f"{a['code']} {a['begin']}/{a['end'] or ''} "
                + ("granted" if a["granted"] else "refused")
                for a in assimilated
            ),
        )
    console.print(table)
    if answer.assimilated_periods:
        console.print("INASTI's decisions on assimilated periods:")
        for a in answer.assimilated_periods:
            decision = "granted" if a["granted"] else "refused"
            console.print(
                f"  code {a['code']} {a['begin']}/{a['end'] or ''} {decision} "
                f"(decided {a['decided_on']})"
            )


@app.command()
@reports_errors
def declare(
    niss: str,
    begin: Annotated[str, typer.Option(help="YYYY-MM-DD")],
    category: Annotated[str, typer.Option(help="contributor category: A, D, E, F, H, P, S")],
    as_: AsOption,
    end: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
    capacity: Annotated[WorkerCapacity, typer.Option()] = WorkerCapacity.SELF_EMPLOYED,
    enterprise: Annotated[str | None, typer.Option(help="enterprise number")] = None,
    cas: Annotated[str | None, typer.Option(help="the CAS, when INASTI declares")] = None,
    database_url: DatabaseOption = None,
) -> None:
    """Declare an affiliation of NISS (as a CAS)."""
    with open_hub(database_url) as hub, hub.uow() as uow:
        caller = hub.catalogue.institution(as_)
        command = service.DeclareAffiliation(
            niss=niss,
            begin=parse_date(begin),
            end=parse_day(end),
            contributor_category=category,
            capacity=capacity,
            enterprise_number=enterprise,
            cas=cas,
        )
        result = service.declare_affiliation(uow, caller=caller, command=command)
    console.print(f"affiliation {result.affiliation_id} declared")
    _print_messages(result)


@app.command()
@reports_errors
def end(
    affiliation_id: str,
    on: Annotated[str, typer.Option("--on", help="the last day of the affiliation")],
    as_: AsOption,
    reason: Annotated[EndReason, typer.Option()] = EndReason.CESSATION,
    database_url: DatabaseOption = None,
) -> None:
    """Declare the end (radiation) of an affiliation."""
    with open_hub(database_url) as hub, hub.uow() as uow:
        caller = hub.catalogue.institution(as_)
        result = service.declare_end(
            uow, caller=caller, affiliation_id=affiliation_id, end=parse_date(on), reason=reason
        )
    console.print(f"affiliation {affiliation_id} ends on {on} ({reason.value})")
    _print_messages(result)


@app.command()
@reports_errors
def category(
    affiliation_id: str,
    category: Annotated[str, typer.Argument(help="the new contributor category")],
    since: Annotated[str, typer.Option("--from", help="YYYY-MM-DD: in force from this day")],
    as_: AsOption,
    database_url: DatabaseOption = None,
) -> None:
    """Change the contributor category of an affiliation from a date."""
    with open_hub(database_url) as hub, hub.uow() as uow:
        caller = hub.catalogue.institution(as_)
        result = service.change_category(
            uow,
            caller=caller,
            affiliation_id=affiliation_id,
            category=category,
            begin=parse_date(since),
        )
    console.print(f"affiliation {affiliation_id}: category {category} from {since}")
    _print_messages(result)


@app.command()
@reports_errors
def correct(
    affiliation_id: str,
    begin: Annotated[str, typer.Option(help="the right first day")],
    as_: AsOption,
    end: Annotated[str | None, typer.Option(help="the right last day; omit if open")] = None,
    database_url: DatabaseOption = None,
) -> None:
    """Correct a wrongly declared affiliation period (a back-dated begin sends a new start)."""
    with open_hub(database_url) as hub, hub.uow() as uow:
        caller = hub.catalogue.institution(as_)
        result = service.correct_affiliation(
            uow, caller=caller, affiliation_id=affiliation_id, begin=parse_date(begin),
            end=parse_day(end),
        )  # fmt: skip
    console.print(f"affiliation {affiliation_id} corrected to {begin}/{end or ''}")
    _print_messages(result)


@app.command()
@reports_errors
def assimilation(
    niss: str,
    code: Annotated[int, typer.Option(help="7, 8, 9, 10 or 17")],
    begin: Annotated[str, typer.Option(help="YYYY-MM-DD")],
    end: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
    refused: Annotated[bool, typer.Option(help="the decision refuses the period")] = False,
    decided: Annotated[str | None, typer.Option(help="decision date; default today")] = None,
    as_: Annotated[str, typer.Option("--as", help="the institution acting")] = "inasti",
    database_url: DatabaseOption = None,
) -> None:
    """Record INASTI's decision on an assimilated period of NISS."""
    with open_hub(database_url) as hub, hub.uow() as uow:
        caller = hub.catalogue.institution(as_)
        command = service.RecordAssimilation(
            niss=niss,
            code=code,
            begin=parse_date(begin),
            end=parse_day(end),
            granted=not refused,
            decided_on=parse_day(decided) or hub.clock.today(),
        )
        service.record_assimilation(uow, caller=caller, command=command)
    decision = "refused" if refused else "granted"
    console.print(f"assimilated period {code} {begin}/{end or ''} {decision} for {niss}")
