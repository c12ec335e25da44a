"""One road for one voucher and for many: a generated batch routed as a batch and the same
vouchers routed one by one through the single-voucher path write the same messages, mailbox
rows and tracking entries (ids, timestamps, positions and hashes aside), on both databases."""

from __future__ import annotations

import json
import random
from collections import Counter
from datetime import date
from typing import Any

from sqlalchemy import select

from carrefour.adapters.db import tables as t
from carrefour.bootstrap import Hub
from carrefour.domain.errors import CarrefourError
from carrefour.domain.vouchers import parse_voucher
from carrefour.services import batches
from carrefour.services.tracking import verify
from carrefour.services.vouchers import route_vouchers, submit_voucher
from tests.support import FakeClock, employee, integrate_all, make_niss

# Payload keys of an A911 record that hold the ids of the message and document it is about.
ID_KEYS = ("message_id", "document_id")


def pension(niss: str) -> dict[str, Any]:
    return {
        "kind": "pension", "niss": niss, "period": "2025-03", "ct1": "110", "ct2": "460",
        "gross_pension": "1000.00", "health_withholding": "35.50",
        "pension_payer": "payer-ethias-pension",
    }  # fmt: skip


def population(hub: Hub, seed: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """ONSS's employee vouchers (routed to two mutualities, paper for persons no mutuality
    knows and for replaced NISS) and a pension payer's vouchers (two hops), shuffled."""
    rng = random.Random(seed)
    at_100 = [make_niss() for _ in range(120)]
    at_200 = [make_niss() for _ in range(120)]
    unknown = [make_niss() for _ in range(25)]
    replaced = [make_niss() for _ in range(15)]
    pensioners = [make_niss(born=date(1950, 3, 3)) for _ in range(40)]
    integrate_all(
        hub,
        {
            **dict.fromkeys(at_100, "mut-100"),
            **dict.fromkeys(at_200, "mut-200"),
            **dict.fromkeys(replaced, "mut-100"),
            **dict.fromkeys(pensioners, "mut-400"),
        },
    )
    with hub.uow() as uow:
        for old in replaced:
            uow.replacements.record(old, make_niss(), "mut-100", uow.clock.now())
        uow.commit()
    employees = [employee(n) for n in at_100 + at_200 + unknown + replaced]
    rng.shuffle(employees)
    return employees, [pension(n) for n in pensioners]


def written(hub: Hub, since: dict[str, int]) -> dict[str, Counter[str]]:
    """Every message, mailbox row and tracking entry written after the row counts ``since``,
    each without its id, timestamps, position and hashes (a message it answers by its content)."""
    with hub.engine.connect() as conn:
        messages = conn.execute(
            select(t.messages).order_by(t.messages.c.created_at, t.messages.c.id)
        ).all()
        mailbox = conn.execute(select(t.mailbox).order_by(t.mailbox.c.position)).all()
        tracking = conn.execute(select(t.tracking).order_by(t.tracking.c.position)).all()
    key_of: dict[str, str] = {}
    for m in messages:
        payload = {k: v for k, v in dict(m.payload).items() if k not in ID_KEYS}
        key_of[m.id] = json.dumps([m.flow, m.sender, m.niss, m.period, payload], sort_keys=True)
    new_ids = {m.id for m in messages} - _ids_before(messages, since["messages"])
    found: dict[str, Counter[str]] = {"messages": Counter(), "mailbox": Counter()}
    found["tracking"] = Counter()
    for m in messages:
        if m.id in new_ids:
            reply = key_of.get(m.in_reply_to) if m.in_reply_to else None
            found["messages"][json.dumps([key_of[m.id], str(m.event_date), reply])] += 1
    for b in mailbox[since["mailbox"] :]:
        row = [key_of[b.message_id], b.recipient, b.niss, b.flow, b.sender, b.rule_id]
        row += [sorted(b.fields), b.status, b.attempts, b.replay]
        found["mailbox"][json.dumps(row)] += 1
    for e in tracking[since["tracking"] :]:
        row = [key_of[e.message_id], e.emitter, e.recipient, e.flow, e.niss, str(e.event_date)]
        row += [e.rule_id, e.status, e.holder, e.flow == "paper-voucher" or e.payload_digest]
        found["tracking"][json.dumps(row)] += 1
    return found


def _ids_before(messages: list[Any], count: int) -> set[str]:
    return {m.id for m in messages[:count]}


def counts(hub: Hub) -> dict[str, int]:
    with hub.engine.connect() as conn:
        return {
            name: len(conn.execute(select(table.c[key])).all())
            for name, table, key in (
                ("messages", t.messages, "id"),
                ("mailbox", t.mailbox, "position"),
                ("tracking", t.tracking, "position"),
            )
        }


def test_a_batch_and_the_same_vouchers_one_by_one_write_the_same_rows(
    hub: Hub, clock: FakeClock
) -> None:
    employees, pensions = population(hub, seed=7)
    onss = hub.catalogue.institution("onss")
    payer = hub.catalogue.institution("payer-ethias-pension")

    before = counts(hub)
    for caller, records in ((onss, employees), (payer, pensions)):
        outcome = batches.submit_batch(
            hub.uow,
            caller=caller,
            content=b"".join(json.dumps(r).encode() + b"\n" for r in records),
            file_format="jsonl",
            idempotency_key=None,
            parser=hub.batch_parser,
            renderer=hub.renderer,
            chunk=64,
        )
        assert outcome.batch.status == "done"
        assert outcome.batch.rejected == 0
    as_batch = written(hub, before)

    clock.advance(minutes=1)
    middle = counts(hub)
    for caller, records in ((onss, employees), (payer, pensions)):
        for record in records:
            with hub.uow() as uow:
                submit_voucher(uow, caller=caller, data=record, renderer=hub.renderer)
    one_by_one = written(hub, middle)

    assert sum(as_batch["messages"].values()) == middle["messages"] - before["messages"]
    paper = sum(
        n
        for k, n in as_batch["messages"].items()
        if json.loads(json.loads(k)[0])[0] == "paper-voucher"
    )
    # 25 persons no mutuality knows and 15 replaced NISS: for each, one A911 record for INAMI and
    # one notice to the institution that hands the paper over
    assert paper == 80
    recipients = {json.loads(k)[1] for k in as_batch["mailbox"]}
    assert {"mut-100", "mut-200", "mut-400", "pension-cadastre"} <= recipients
    for table in ("messages", "mailbox", "tracking"):
        assert one_by_one[table] == as_batch[table], table
    with hub.uow() as uow:
        report = verify(uow)
    # every sender and recipient either road wrote is a registered institution
    assert (report.broken, report.unregistered) == (None, ())


def test_vouchers_routed_in_a_transaction_that_rolls_back_leave_nothing(hub: Hub) -> None:
    """The bulk writes go through the driver itself: they belong to the unit of work's
    transaction even when no other statement began it, so a chunk is written whole or not at
    all (here: not at all)."""
    persons = [make_niss() for _ in range(50)]
    integrate_all(hub, dict.fromkeys(persons, "mut-100"))
    onss = hub.catalogue.institution("onss")
    vouchers = [parse_voucher(employee(niss), today=date(2025, 6, 1)) for niss in persons]
    before = counts(hub)
    with hub.uow() as uow:
        routed = route_vouchers(uow, caller=onss, vouchers=vouchers, renderer=hub.renderer)
        assert not [r for r in routed if isinstance(r, CarrefourError)]
        uow.rollback()
    assert counts(hub) == before


def test_a_connection_whose_first_chunk_rolled_back_routes_the_next_one(hub: Hub) -> None:
    """The routing tables are made by the first chunk a connection routes: when that chunk's
    transaction rolls back, they go with it, and the next chunk on the same connection (taken
    from the pool again) makes them again and is routed whole."""
    first = [make_niss() for _ in range(30)]
    second = [make_niss() for _ in range(20)]
    integrate_all(hub, dict.fromkeys(first + second, "mut-100"))
    onss = hub.catalogue.institution("onss")
    hub.engine.dispose()  # a new connection, on which nothing was routed yet
    with hub.uow() as uow:
        driver = uow.connection.connection.driver_connection
        vouchers = [parse_voucher(employee(niss), today=date(2025, 6, 1)) for niss in first]
        route_vouchers(uow, caller=onss, vouchers=vouchers, renderer=hub.renderer)
        uow.rollback()
    before = counts(hub)
    with hub.uow() as uow:
        assert uow.connection.connection.driver_connection is driver
        vouchers = [parse_voucher(employee(niss), today=date(2025, 6, 1)) for niss in second]
        routed = route_vouchers(uow, caller=onss, vouchers=vouchers, renderer=hub.renderer)
        uow.commit()
    assert not [r for r in routed if isinstance(r, CarrefourError)]
    after = counts(hub)
    assert after["messages"] - before["messages"] == 20
    assert after["mailbox"] - before["mailbox"] == 20


def test_two_chunks_in_one_transaction_each_route_only_their_own_vouchers(hub: Hub) -> None:
    first = [make_niss() for _ in range(30)]
    second = [make_niss() for _ in range(20)]
    integrate_all(hub, {**dict.fromkeys(first, "mut-100"), **dict.fromkeys(second, "mut-200")})
    onss = hub.catalogue.institution("onss")
    before = counts(hub)
    with hub.uow() as uow:
        results = [
            route_vouchers(
                uow,
                caller=onss,
                vouchers=[parse_voucher(employee(n), today=date(2025, 6, 1)) for n in nisses],
                renderer=hub.renderer,
            )
            for nisses in (first, second)
        ]
        uow.commit()
    assert [sorted({tuple(r.recipients) for r in chunk}) for chunk in results] == [  # type: ignore[union-attr]
        [("mut-100",)],
        [("mut-200",)],
    ]
    after = counts(hub)
    assert after["messages"] - before["messages"] == 50
    assert after["mailbox"] - before["mailbox"] == 50
    assert after["tracking"] - before["tracking"] == 50
