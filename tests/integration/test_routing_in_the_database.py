"""The routing a chunk does in the database (staged, joined with the directory and the granted
kinds of line) gives every voucher the recipients the domain gives it from the person's lines
(``domain.routing.recipients`` on the first routing day that finds any), on both databases:
persons with one line, with several lines at one institution, lines only on the period's first
day, ended, cancelled or of another capacity, lines of the sender itself."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date

from carrefour.bootstrap import Hub
from carrefour.domain.directory import IntegrationLine
from carrefour.domain.errors import CarrefourError
from carrefour.domain.messages import DeliveryStatus
from carrefour.domain.periods import Period
from carrefour.domain.vouchers import parse_voucher
from carrefour.services import road
from carrefour.services.vouchers import VOUCHER_FLOW, VoucherOutcome, route_vouchers, routing_days
from tests.support import employee, make_niss

INSTITUTIONS = ("mut-100", "mut-200", "mut-300", "onss")
CAPACITIES = ("001", "001", "001", "002")
# The period of the vouchers is 2025Q1: lines that cover its end, only its first day, nothing.
PERIODS = (
    Period(date(2020, 1, 1)),
    Period(date(2025, 1, 1), date(2025, 2, 10)),
    Period(date(2025, 3, 1)),
    Period(date(2019, 1, 1), date(2024, 12, 31)),
    Period(date(2025, 1, 1), date(2025, 1, 1)),
)


def directory(hub: Hub, seed: int, persons: int) -> list[str]:
    """``persons`` people with 0 to 3 random lines each (some cancelled)."""
    rng = random.Random(seed)
    nisses = [make_niss() for _ in range(persons)]
    with hub.uow() as uow:
        now = uow.clock.now()
        for niss in nisses:
            for number in range(rng.choice((0, 1, 1, 1, 2, 3))):
                line = IntegrationLine(
                    id=f"l{number}{niss}",
                    niss=niss,
                    institution=rng.choice(INSTITUTIONS),
                    capacity=rng.choice(CAPACITIES),
                    phase=rng.choice((0, 1, 2)),
                    period=rng.choice(PERIODS),
                )
                uow.directory.add(line, now)
                if rng.random() < 0.1:
                    uow.directory.cancel(niss, line.id, now, "cancelled")
        uow.commit()
    return nisses


def test_a_chunk_routed_in_the_database_gets_the_recipients_the_domain_gives(hub: Hub) -> None:
    nisses = directory(hub, seed=11, persons=400)
    onss = hub.catalogue.institution("onss")
    with hub.uow() as uow:
        today = uow.clock.today()
        vouchers = [parse_voucher(employee(niss), today=today) for niss in nisses]
        lines: dict[str, list[IntegrationLine]] = defaultdict(list)
        for line in uow.directory.lines_of_many(sorted(nisses)):
            lines[line.niss].append(line)
        expected = [
            [
                r.institution
                for r in road.directory_recipients(
                    uow,
                    VOUCHER_FLOW,
                    lines[v.niss],
                    routing_days(v.period, today),
                    exclude={onss.id},
                )
            ]
            for v in vouchers
        ]
        results = route_vouchers(uow, caller=onss, vouchers=vouchers, renderer=hub.renderer)
        uow.commit()
    outcomes = [r for r in results if isinstance(r, VoucherOutcome)]
    assert len(outcomes) == len(vouchers)
    assert not [r for r in results if isinstance(r, CarrefourError)]
    for voucher, outcome, wanted in zip(vouchers, outcomes, expected, strict=True):
        assert outcome.niss == voucher.niss
        if wanted:
            assert (outcome.status, outcome.recipients) == (DeliveryStatus.QUEUED, wanted)
        else:
            assert (outcome.status, outcome.recipients) == (DeliveryStatus.PAPER, [])
    # The population holds each case the database decides and the one it leaves to the domain.
    several = {v.niss for v in vouchers if _several_at_one(lines[v.niss], v.period.begin)}
    assert several
    assert any(wanted for wanted in expected)
    assert any(not wanted for wanted in expected)
    with hub.uow() as uow:
        for voucher, outcome in zip(vouchers, outcomes, strict=True):
            if outcome.status == DeliveryStatus.QUEUED:
                rows = uow.mailbox.of_message(outcome.message_id)
                assert sorted(r.recipient for r in rows) == outcome.recipients
                assert {r.niss for r in rows} == {voucher.niss}


def _several_at_one(lines: list[IntegrationLine], day: date) -> bool:
    held = [line.institution for line in lines if line.covers(day)]
    return len(held) != len(set(held))


def test_one_voucher_is_routed_on_a_one_row_stage_like_a_chunk(hub: Hub) -> None:
    """The single-voucher path runs the same statements: its recipients are the domain's."""
    [niss] = directory(hub, seed=5, persons=1)
    with hub.uow() as uow:
        now = uow.clock.now()
        for institution in ("mut-100", "mut-200"):
            uow.directory.add(
                IntegrationLine(f"x{institution}", niss, institution, "001", 1, PERIODS[0]), now
            )
        uow.commit()
    onss = hub.catalogue.institution("onss")
    with hub.uow() as uow:
        voucher = parse_voucher(employee(niss), today=uow.clock.today())
        [result] = route_vouchers(uow, caller=onss, vouchers=[voucher], renderer=hub.renderer)
        uow.commit()
    assert isinstance(result, VoucherOutcome)
    assert result.status == DeliveryStatus.QUEUED
    assert {"mut-100", "mut-200"} <= set(result.recipients)
