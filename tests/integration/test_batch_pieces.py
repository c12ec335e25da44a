"""A batch file on disk is hashed, stored and parsed a piece at a time: stored as several rows,
routed as the whole file would be, answered as a duplicate when sent again, and resumed from
its stored pieces by another worker, on both databases."""

from __future__ import annotations

import gc
import json
from pathlib import Path

from sqlalchemy import func, select

from carrefour.adapters.db import tables as t
from carrefour.bootstrap import Hub
from carrefour.cli.batches import file_pieces
from carrefour.services import batches
from tests.support import employee, integrate_all, make_niss


def _stored_pieces(hub: Hub) -> int:
    with hub.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.batch_files)).scalar_one())


def collecting() -> int:
    """-1 while the cyclic garbage collector runs (a chunk should run without it), else 1."""
    return -1 if gc.isenabled() else 1


def test_a_file_is_stored_in_pieces_and_routed_whole(hub: Hub, tmp_path: Path) -> None:
    nisses = [make_niss() for _ in range(60)]
    integrate_all(hub, dict.fromkeys(nisses, "mut-100"))
    path = tmp_path / "vouchers.jsonl"
    path.write_bytes(b"".join(json.dumps(employee(n)).encode() + b"\n" for n in nisses))
    onss = hub.catalogue.institution("onss")
    seen: list[int] = []

    def submit() -> batches.BatchOutcome:
        return batches.submit_batch(
            hub.uow,
            caller=onss,
            content=file_pieces(path, 1_000),
            file_format=None,
            idempotency_key=None,
            parser=hub.batch_parser,
            renderer=hub.renderer,
            progress=lambda done, total: seen.append(_stored_pieces(hub) * collecting()),
            chunk=25,
        )

    outcome = submit()
    assert outcome.batch.status == "done"
    assert (outcome.batch.total, outcome.batch.routed, outcome.batch.rejected) == (60, 60, 0)
    assert seen
    assert min(seen) == len(list(file_pieces(path, 1_000)())) > 3
    assert _stored_pieces(hub) == 0  # dropped once the batch is done
    assert gc.isenabled()  # the collector paused for the chunks is running again
    again = submit()
    assert again.duplicate
    assert again.batch.id == outcome.batch.id


def test_a_batch_left_unfinished_is_resumed_from_its_stored_pieces(
    hub: Hub, tmp_path: Path
) -> None:
    nisses = [make_niss() for _ in range(40)]
    integrate_all(hub, dict.fromkeys(nisses, "mut-100"))
    path = tmp_path / "vouchers.jsonl"
    path.write_bytes(b"".join(json.dumps(employee(n)).encode() + b"\n" for n in nisses))
    onss = hub.catalogue.institution("onss")
    accepted = batches.accept_batch(
        hub.uow,
        caller=onss,
        content=file_pieces(path, 500),
        file_format=None,
        idempotency_key=None,
    )
    assert _stored_pieces(hub) > 3
    path.unlink()  # the worker reads the stored copy, not the file
    done = batches.process_received(
        hub.uow, parser=hub.batch_parser, renderer=hub.renderer, chunk=15
    )
    assert done is not None
    assert done.id == accepted.batch.id
    assert (done.status, done.routed) == ("done", 40)
