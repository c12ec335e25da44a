"""``carrefour mailbox``, ``tracking``, ``verify`` and ``worker``."""

from __future__ import annotations

import threading
from typing import Annotated

import typer
from rich.table import Table

from carrefour.cli.common import DatabaseOption, console, err_console, open_hub, reports_errors
from carrefour.domain.identifiers import parse_niss
from carrefour.services import tracking as tracking_service


@reports_errors
def mailbox(
    institution: str,
    limit: Annotated[int, typer.Option(min=1)] = 50,
    database_url: DatabaseOption = None,
) -> None:
    """Show the newest messages in INSTITUTION's mailbox and their delivery state (read only)."""
    with open_hub(database_url) as hub, hub.uow() as uow:
        hub.catalogue.institution(institution)
        rows = uow.mailbox.page(institution, after=None, limit=100_000)[-limit:]
        counts = uow.mailbox.counts(institution)
    table = Table(
        "cursor",
        "message",
        "flow",
        "from",
        "NISS",
        "event",
        "status",
        "tries",
        "last error",
        title=f"mailbox of {institution}",
    )
    for row, message in rows:
        table.add_row(
            str(row.position),
            row.message_id,
            row.flow,
            row.sender,
            row.niss,
            message.event_date.isoformat() if message.event_date else "",
            row.status + (f" ({row.ack_reason})" if row.ack_reason else ""),
            str(row.attempts),
            row.last_error or "",
        )
    console.print(table)
    console.print(", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "empty")


@reports_errors
def tracking(
    niss: str,
    database_url: DatabaseOption = None,
) -> None:
    """Every message sent about NISS, from the tracking file (the operator's view)."""
    value = parse_niss(niss).value
    with open_hub(database_url) as hub, hub.uow() as uow:
        entries = uow.tracking.select(niss=value)
        states = {
            (e.recipient, e.message_id): uow.mailbox.get(e.recipient, e.message_id) for e in entries
        }
    table = Table(
        "#",
        "sent at",
        "flow",
        "emitter",
        "recipient",
        "event",
        "rule",
        "status",
        "now",
        title=f"tracking file for {parse_niss(value).formatted()}",
    )
    for e in entries:
        row = states[(e.recipient, e.message_id)]
        table.add_row(
            str(e.position),
            f"{e.sent_at:%Y-%m-%d %H:%M:%S}",
            e.flow,
            e.emitter,
            e.recipient,
            e.event_date.isoformat() if e.event_date else "",
            e.rule_id or "",
            e.status,
            row.status if row else "",
        )
    console.print(table)


@reports_errors
def verify(database_url: DatabaseOption = None) -> None:
    """Recompute the tracking file of every holder (ONSS, INASTI, ONEm, the pension cadastre,
    and the senders that keep their own); name the first broken entry, and every message sender
    or mailbox recipient that is no registered institution (exit 1)."""
    with open_hub(database_url) as hub, hub.uow() as uow:
        report = tracking_service.verify(uow, signer=hub.signer, journal=hub.journal)
        checkpoints = len(uow.tracking.checkpoints())
        unsigned = checkpoints and not hub.signer.available
    if report.broken is not None:
        b = report.broken
        err_console.print(
            f"[bold red]broken[/] tracking file of holder {b.emitter} at entry {b.position} "
            f"(message {b.message_id}): {b.reason}",
            highlight=False,
        )
    for u in report.unregistered:
        err_console.print(
            f"[bold red]broken[/] {u.table}.{u.column} {u.value!r} is no registered "
            f"institution: {u.rows} row(s)",
            highlight=False,
        )
    if not report.intact:
        raise typer.Exit(1)
    console.print(
        f"tracking file intact: {report.entries} entries in {report.emitters} tracking files "
        f"by holder, "
        f"{checkpoints} signed checkpoint(s)"
    )
    if unsigned:
        err_console.print(
            "[yellow]warning[/] no signing key here: checkpoint signatures were not checked "
            "(set CARREFOUR_SIGNING_KEY)",
            highlight=False,
        )


@reports_errors
def checkpoint(database_url: DatabaseOption = None) -> None:
    """Sign the head of every tracking chain with the hub's key (run it regularly, e.g. hourly):
    a chain rewritten after a checkpoint no longer verifies."""
    with open_hub(database_url) as hub, hub.uow() as uow:
        signed = tracking_service.checkpoint(uow, signer=hub.signer, journal=hub.journal)
        key = hub.settings.signing_key
    console.print(
        f"checkpoint {signed.position}: {len(signed.heads)} chain heads signed "
        f"with the key in {key} (public key {signed.public_key[:16]}…)"
    )


@reports_errors
def worker(
    database_url: DatabaseOption = None,
    once: Annotated[bool, typer.Option(help="one round, then stop")] = False,
) -> None:
    """Run the background workers: push delivery and the batch files stored for later."""
    from carrefour.adapters.push import HttpPushSender
    from carrefour.workers.delivery import BatchWorker, DeliveryWorker

    with open_hub(database_url) as hub:
        sender = HttpPushSender()
        delivery = DeliveryWorker(hub, sender)
        batches = BatchWorker(hub)
        if once:
            result = delivery.run_once()
            batch = batches.run_once()
            console.print(
                f"delivered {result.delivered}, retrying {result.retried}, dead {result.dead}; "
                + (f"batch {batch.id} {batch.status}" if batch else "no batch waiting")
            )
            return
        _, stop_batches = batches.start_thread()
        stop = threading.Event()
        try:
            delivery.run(stop)
        except KeyboardInterrupt:
            stop.set()
        finally:
            stop_batches.set()
            sender.close()


@reports_errors
def requeue(
    institution: str,
    message: Annotated[str | None, typer.Option(help="only this message id")] = None,
    database_url: DatabaseOption = None,
) -> None:
    """Put INSTITUTION's dead letters back in the push queue (after its endpoint is repaired)."""
    from carrefour.services.delivery import requeue_dead_letters

    with open_hub(database_url) as hub, hub.uow() as uow:
        count = requeue_dead_letters(uow, institution=institution, message_id=message)
    console.print(f"{count} dead letter(s) of {institution} back in the push queue")
