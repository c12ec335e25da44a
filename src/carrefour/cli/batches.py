"""``carrefour batch``: submit a batch file of vouchers and read its report."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from carrefour.cli.common import DatabaseOption, console, open_hub, reports_errors
from carrefour.services import batches as service
from carrefour.services.unit_of_work import Batch

app = typer.Typer(help="Batch files of contribution vouchers (JSON Lines or fixed-width).")

AsOption = Annotated[str, typer.Option("--as", help="the sending institution (catalogue id)")]

SHOWN_ERRORS = 20
"""Record errors ``submit`` prints; ``show`` prints up to its ``--limit``."""


class BatchFormat(StrEnum):
    JSONL = "jsonl"
    FIXED = "fixed"


def _summary(batch: Batch, *, duplicate: bool) -> Table:
    table = Table(
        "batch",
        "format",
        "status",
        "total",
        "accepted",
        "rejected",
        "routed",
        "paper",
        "duplicate",
        title=f"batch of {batch.sender}",
    )
    table.add_row(
        batch.id,
        batch.format or "",
        batch.status + (f" ({batch.error_code})" if batch.error_code else ""),
        str(batch.total),
        str(batch.accepted),
        str(batch.rejected),
        str(batch.routed),
        str(batch.paper),
        "yes" if duplicate else "no",
    )
    return table


def _print_errors(batch: Batch, errors: list[tuple[int, str, str]], as_: str) -> None:
    if batch.status == "refused" and batch.error:
        console.print(f"refused: {batch.error}", highlight=False)
    if not errors:
        if batch.rejected == 0 and batch.status == "done":
            console.print("no record was rejected")
        return
    table = Table("line", "code", "detail", title="record errors")
    for line, code, detail in errors:
        table.add_row(str(line), code, detail)
    console.print(table)
    if batch.rejected > len(errors):
        console.print(
            f"{len(errors)} of {batch.rejected} errors shown; all of them: "
            f"carrefour batch show {batch.id} --as {as_} --limit {batch.rejected}",
            highlight=False,
        )


#: The size of the pieces a file is read, stored and parsed in (each cut after a newline).
PIECE_BYTES = 4 << 20


def file_pieces(path: Path, size: int = PIECE_BYTES) -> Callable[[], Iterator[bytes]]:
    """The file at ``path`` read again from its start at each call, in pieces of about ``size``
    bytes cut after a newline: a file of any size is hashed, stored and parsed without being
    held whole."""

    def read() -> Iterator[bytes]:
        with path.open("rb") as source:
            rest = b""
            while block := source.read(size):
                block = rest + block
                cut = block.rfind(b"\n") + 1
                if cut == 0:  # a line longer than a piece: read on
                    rest = block
                    continue
                yield block[:cut]
                rest = block[cut:]
            if rest:
                yield rest

    return read


@app.command()
@reports_errors
def submit(
    file: Annotated[
        Path,
        typer.Argument(
            exists=True,
            dir_okay=False,
            readable=True,
            metavar="FILE",
            help="the batch file",
        ),
    ],
    as_: AsOption,
    file_format: Annotated[
        BatchFormat | None,
        typer.Option("--format", help="detected from the first byte when omitted"),
    ] = None,
    key: Annotated[
        str | None,
        typer.Option("--key", help="idempotency key: the same key again answers the first batch"),
    ] = None,
    database_url: DatabaseOption = None,
) -> None:
    """Submit FILE: route its good vouchers, report its bad records by line."""
    try:
        with file.open("rb"):
            pass
    except OSError as error:
        raise typer.BadParameter(f"cannot read {file}: {error.strerror}") from None
    content = file_pieces(file)
    with open_hub(database_url) as hub:
        caller = hub.catalogue.institution(as_)
        # The bar appears with the first routed chunk: a refused, duplicate or all-bad file
        # routes nothing and shows none.
        progress = Progress(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        )
        task = progress.add_task("routing vouchers", total=None)

        def advance(done: int, total: int) -> None:
            if not progress.live.is_started:
                progress.start()
            progress.update(task, completed=done, total=total)

        try:
            outcome = service.submit_batch(
                hub.uow,
                caller=caller,
                content=content,
                file_format=None if file_format is None else file_format.value,
                idempotency_key=key,
                parser=hub.batch_parser,
                renderer=hub.renderer,
                progress=advance,
                chunk=hub.settings.batch_chunk,
                lease_seconds=hub.settings.batch_lease_seconds,
            )
        finally:
            if progress.live.is_started:
                progress.stop()
        with hub.uow() as uow:
            batch, errors = service.batch_status(
                uow, caller=caller, batch_id=outcome.batch.id, error_limit=SHOWN_ERRORS
            )
    console.print(_summary(batch, duplicate=outcome.duplicate))
    if outcome.duplicate:
        console.print(
            "duplicate: this file (or this key) was already submitted; nothing new was created",
            highlight=False,
        )
    _print_errors(batch, errors, as_)


@app.command()
@reports_errors
def show(
    batch_id: str,
    as_: AsOption,
    limit: Annotated[int, typer.Option(min=0, help="errors listed at most")] = 1000,
    database_url: DatabaseOption = None,
) -> None:
    """The status of a batch of the sender's and its record errors."""
    with open_hub(database_url) as hub, hub.uow() as uow:
        caller = hub.catalogue.institution(as_)
        batch, errors = service.batch_status(
            uow, caller=caller, batch_id=batch_id, error_limit=limit
        )
    console.print(_summary(batch, duplicate=False))
    _print_errors(batch, errors, as_)


@app.command()
@reports_errors
def resume(batch_id: str, database_url: DatabaseOption = None) -> None:
    """Process an unfinished batch now, from its next chunk (its worker died and its lease
    expired); each voucher is still routed once."""
    with open_hub(database_url) as hub:
        batch = service.resume_batch(
            hub.uow,
            batch_id=batch_id,
            parser=hub.batch_parser,
            renderer=hub.renderer,
            chunk=hub.settings.batch_chunk,
            lease_seconds=hub.settings.batch_lease_seconds,
        )
    console.print(_summary(batch, duplicate=False))


@app.command()
@reports_errors
def cancel(batch_id: str, database_url: DatabaseOption = None) -> None:
    """Stop an unfinished batch: the chunks already committed stay routed, no other is."""
    with open_hub(database_url) as hub, hub.uow() as uow:
        batch = service.cancel_batch(uow, batch_id=batch_id)
    console.print(_summary(batch, duplicate=False))
    console.print(
        f"cancelled after {batch.next_record} of {batch.total or '?'} records", highlight=False
    )
