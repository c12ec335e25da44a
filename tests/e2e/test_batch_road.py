"""The bulk path's bad input and its recovery: an oversized body, a repeated record, a header
naming another sender, a worker that dies mid-batch, and an operator's cancel and resume."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from carrefour.adapters.db import tables as t
from carrefour.adapters.formats.fixedwidth import write_fixed
from carrefour.bootstrap import Hub
from carrefour.domain.errors import Conflict
from carrefour.services import batches
from carrefour.services.tracking import verify
from tests.support import FakeClock, employee, integrate_all, make_niss

Credential = Callable[[str], dict[str, str]]
PROBLEM = "urn:carrefour:problem:"


def voucher_messages(hub: Hub) -> Counter[str]:
    """How many contribution-voucher messages each person has."""
    with hub.engine.connect() as conn:
        rows = conn.execute(
            select(t.messages.c.niss, func.count())
            .where(t.messages.c.flow == "contribution-voucher")
            .group_by(t.messages.c.niss)
        )
        return Counter({str(niss): int(n) for niss, n in rows})


def jsonl(records: list[dict[str, object]]) -> bytes:
    return b"\n".join(json.dumps(r).encode() for r in records) + b"\n"


def test_a_body_over_the_upload_limit_is_refused_413_and_nothing_is_created(
    client: TestClient, credential: Credential, hub: Hub
) -> None:
    hub.settings = hub.settings.model_copy(update={"max_upload_bytes": 1_000})
    nisses = [make_niss() for _ in range(20)]
    integrate_all(hub, dict.fromkeys(nisses, "mut-100"))
    content = jsonl([employee(n) for n in nisses])
    assert len(content) > 1_000
    response = client.post("/v1/batches", content=content, headers=credential("onss"))
    assert response.status_code == 413
    assert response.json()["type"] == PROBLEM + "payload-too-large"
    assert "CARREFOUR_MAX_UPLOAD_BYTES" in response.json()["detail"]
    with hub.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.batches)).scalar() == 0
    assert voucher_messages(hub) == Counter()


def test_a_second_identical_record_is_a_duplicate_error_and_is_routed_once(
    client: TestClient, credential: Credential, hub: Hub
) -> None:
    nisses = [make_niss() for _ in range(3)]
    integrate_all(hub, dict.fromkeys(nisses, "mut-100"))
    records = [employee(nisses[0]), employee(nisses[1]), employee(nisses[0]), employee(nisses[2])]
    onss = credential("onss")
    response = client.post("/v1/batches", content=jsonl(records), headers=onss)
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["accepted"], body["rejected"]) == (3, 1)
    report = client.get(f"/v1/batches/{body['id']}", headers=onss).json()
    assert [(e["line"], e["code"]) for e in report["errors"]] == [(3, "duplicate")]
    assert "line 1" in report["errors"][0]["detail"]
    assert voucher_messages(hub) == Counter(dict.fromkeys(nisses, 1))


def test_a_fixed_width_header_naming_another_sender_is_refused_with_header(
    client: TestClient, credential: Credential, hub: Hub
) -> None:
    nisses = [make_niss() for _ in range(3)]
    integrate_all(hub, dict.fromkeys(nisses, "mut-100"))
    content = write_fixed("inasti", date(2025, 5, 31), [employee(n) for n in nisses])
    response = client.post("/v1/batches", content=content, headers=credential("onss"))
    assert response.status_code == 422, response.text
    assert response.json()["type"] == PROBLEM + "invalid-batch"
    assert response.json()["reason"] == "header"
    assert "inasti" in response.json()["detail"]
    assert voucher_messages(hub) == Counter()


class Died(Exception):
    """The process stopped right after a chunk committed."""


def test_a_batch_whose_worker_died_is_resumed_after_its_lease_and_each_voucher_routed_once(
    hub: Hub, clock: FakeClock
) -> None:
    nisses = [make_niss() for _ in range(25)]
    integrate_all(hub, dict.fromkeys(nisses, "mut-200"))
    onss = hub.catalogue.institution("onss")
    content = jsonl([employee(n) for n in nisses])
    outcome = batches.accept_batch(
        hub.uow, caller=onss, content=content, file_format=None, idempotency_key=None
    )

    def die_after_two_chunks(done: int, total: int) -> None:
        if done >= 10:
            raise Died

    lease = batches.new_lease(30)
    with pytest.raises(Died):
        batches._resume(
            hub.uow,
            parser=hub.batch_parser,
            renderer=hub.renderer,
            chunk=5,
            lease=lease,
            batch_id=None,
            progress=die_after_two_chunks,
        )
    assert sum(voucher_messages(hub).values()) == 10
    # The lease still runs: neither another worker nor the operator takes the batch.
    assert batches.process_received(hub.uow, parser=hub.batch_parser, renderer=hub.renderer) is None
    with pytest.raises(Conflict, match="lease"):
        batches.resume_batch(
            hub.uow, batch_id=outcome.batch.id, parser=hub.batch_parser, renderer=hub.renderer
        )
    # The same file again answers that batch, unfinished, and creates nothing.
    again = batches.submit_batch(
        hub.uow, caller=onss, content=content, file_format=None, idempotency_key=None,
        parser=hub.batch_parser, renderer=hub.renderer,
    )  # fmt: skip
    assert (again.duplicate, again.batch.id, again.batch.routed) == (True, outcome.batch.id, 10)

    clock.advance(seconds=31)
    done = batches.process_received(
        hub.uow, parser=hub.batch_parser, renderer=hub.renderer, chunk=5
    )
    assert done is not None
    assert (done.id, done.status, done.routed, done.accepted, done.next_record) == (
        outcome.batch.id, "done", 25, 25, 25,
    )  # fmt: skip
    assert voucher_messages(hub) == Counter(dict.fromkeys(nisses, 1))
    with hub.uow() as uow:
        assert verify(uow).broken is None
        assert uow.batches.content(outcome.batch.id) is None
    # A late write by the dead worker's lease is refused: the batch is no longer its.
    with hub.uow() as uow:
        assert uow.batches.hold(outcome.batch.id, owner=lease.owner, until=clock.now()) is None


def test_an_operator_cancels_an_unfinished_batch_and_its_committed_chunks_stay(
    hub: Hub, clock: FakeClock
) -> None:
    nisses = [make_niss() for _ in range(12)]
    integrate_all(hub, dict.fromkeys(nisses, "mut-300"))
    onss = hub.catalogue.institution("onss")
    outcome = batches.accept_batch(
        hub.uow, caller=onss, content=jsonl([employee(n) for n in nisses]),
        file_format=None, idempotency_key=None,
    )  # fmt: skip

    def die(done: int, total: int) -> None:
        raise Died

    with pytest.raises(Died):
        batches._resume(
            hub.uow, parser=hub.batch_parser, renderer=hub.renderer, chunk=4,
            lease=batches.new_lease(30), batch_id=None, progress=die,
        )  # fmt: skip
    with hub.uow() as uow:
        cancelled = batches.cancel_batch(uow, batch_id=outcome.batch.id)
    assert (cancelled.status, cancelled.routed) == ("cancelled", 4)
    clock.advance(seconds=60)
    assert batches.process_received(hub.uow, parser=hub.batch_parser, renderer=hub.renderer) is None
    with pytest.raises(Conflict, match="cancelled"):
        batches.resume_batch(
            hub.uow, batch_id=outcome.batch.id, parser=hub.batch_parser, renderer=hub.renderer
        )
    assert sum(voucher_messages(hub).values()) == 4
