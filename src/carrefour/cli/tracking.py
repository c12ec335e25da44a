"""``carrefour tracking``: a person's tracking file (``tracking NISS``), and the offline bundle
of their evidence (``tracking export NISS``, ``tracking verify-bundle FILE``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from carrefour.cli import messaging
from carrefour.cli.common import DatabaseOption, console, err_console, open_hub, reports_errors
from carrefour.domain.errors import InvalidInput


class _ShowByDefault(TyperGroup):
    """``carrefour tracking NISS`` still lists the person's tracking file: a first word that is
    no command of the group is the NISS of ``show``."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["show", *args]
        return super().parse_args(ctx, args)


app = typer.Typer(
    cls=_ShowByDefault,
    help="The tracking file: a person's entries, and bundles of evidence checkable offline.",
    no_args_is_help=True,
)
app.command("show")(messaging.tracking)


@app.command("export")
@reports_errors
def export(
    niss: str,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="file to write (default NISS.json)")
    ] = None,
    database_url: DatabaseOption = None,
) -> None:
    """Write NISS's tracking entries and status changes, each chain's proof up to a signed
    checkpoint, and the hub's public key, as one JSON file (checked offline by verify-bundle)."""
    from carrefour.services.operations import export_bundle

    with open_hub(database_url) as hub, hub.uow() as uow:
        if not hub.signer.available:
            raise InvalidInput(
                "no signing key here (CARREFOUR_SIGNING_KEY): a bundle carries its public key"
            )
        bundle = export_bundle(uow, by="bcss", niss=niss, public_key=hub.signer.public_key())
    target = output or Path(f"{bundle['niss']}.json")
    target.write_text(json.dumps(bundle, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    proved = sum(len(c["entries"]) for c in bundle["tracking"].values())
    console.print(
        f"bundle for {bundle['niss']} written to {target}: {len(bundle['tracking'])} tracking "
        f"chain(s) ({proved} entries in their proofs), {len(bundle['statuses'])} status "
        f"chain(s), {len(bundle['checkpoints'])} checkpoint(s), "
        f"{len(bundle['unproved'])} entr(ies) newer than the last checkpoint",
        soft_wrap=True,
        highlight=False,
    )


@app.command("verify-bundle")
@reports_errors
def verify_bundle(file: Path) -> None:
    """Check a bundle written by `tracking export` with its public key alone (no database):
    exit 1 naming what does not hold."""
    from carrefour.bootstrap import signature_check
    from carrefour.domain.evidence import check_bundle

    try:
        bundle: Any = json.loads(file.read_text(encoding="utf-8"))
        report = check_bundle(bundle, signature_check())
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        err_console.print(f"[bold red]invalid bundle[/] {file}: {type(error).__name__}: {error}")
        raise typer.Exit(1) from None
    if report.broken is not None:
        err_console.print(
            f"[bold red]broken bundle[/] {file}: {report.broken}", highlight=False, soft_wrap=True
        )
        raise typer.Exit(1)
    console.print(
        f"bundle intact for {report.niss}: {report.tracking} tracking entr(ies) and "
        f"{report.statuses} status change(s) proved by {report.checkpoints} signed "
        f"checkpoint(s); {report.unproved} newer than the last checkpoint (not proved)",
        soft_wrap=True,
        highlight=False,
    )
