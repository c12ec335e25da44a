"""``make bench``'s floor for batch routing runs on the database as the migrations leave it: the
rows a batch wrote are copied back into empty tables of the same shape (a table rebuilt by a
migration is stored with its name quoted), on each backend."""

from __future__ import annotations

import json

from benchmarks import cases
from sqlalchemy import inspect

from carrefour.bootstrap import Hub
from carrefour.services import batches
from tests.support import employee, integrate_all, make_niss


def test_the_floor_inserts_the_rows_a_batch_wrote_into_tables_of_the_same_shape(
    hub: Hub,
) -> None:
    nisses = sorted({make_niss() for _ in range(40)})
    integrate_all(hub, dict.fromkeys(nisses, "mut-100"))
    before = cases.table_counts(hub.engine)
    outcome = batches.submit_batch(
        hub.uow,
        caller=hub.catalogue.institution("onss"),
        content=b"".join(json.dumps(employee(n)).encode() + b"\n" for n in nisses),
        file_format="jsonl",
        idempotency_key=None,
        parser=hub.batch_parser,
        renderer=hub.renderer,
    )
    assert outcome.batch.routed == len(nisses)
    after = cases.table_counts(hub.engine)
    written = cases.new_rows(hub.engine, before)
    for table in ("messages", "mailbox", "tracking"):
        assert len(written[table]) == len(nisses), table

    assert cases.bulk_floor(hub.engine, written) > 0

    # the copies are dropped once measured; the hub's own rows stay
    tables = set(inspect(hub.engine).get_table_names())
    assert not {name for name in tables if name.startswith("floor_")}
    assert cases.table_counts(hub.engine) == after
