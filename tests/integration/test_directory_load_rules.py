"""A bulk directory load decides every line as a single integration (form I605) decides it: the
same refusals, with the same codes, on SQLite and PostgreSQL."""

from __future__ import annotations

import random
from datetime import date, timedelta

from carrefour.bootstrap import Hub
from carrefour.domain.catalogue import Institution
from carrefour.domain.errors import CarrefourError
from carrefour.domain.identifiers import NissKind, build_niss, format_niss
from carrefour.services import directory
from tests.support import make_niss

Fields = tuple[str, str, str, str, str]


def _judged(hub: Hub, caller: Institution, fields: Fields) -> str | None:
    """What ``integrate`` says of the line (an error code, or None when it would integrate it),
    the integration rolled back."""
    niss, capacity, phase, begin, end = fields
    command = directory.Integrate(
        niss=niss,
        capacity=capacity,
        phase=int(phase),
        begin=date.fromisoformat(begin),
        end=date.fromisoformat(end) if end else None,
    )
    with hub.uow() as uow:
        uow.commit = lambda: None  # type: ignore[method-assign]  # judged, never kept
        try:
            directory.integrate(uow, caller=caller, command=command)
        except CarrefourError as error:
            return error.code
    return None


def _person(rng: random.Random) -> tuple[str, date]:
    """A NISS of any kind (register or BIS, unknown month or day, born in either century),
    written plain or formatted, sometimes with a wrong check digit; and a day near its birth."""
    born = date(1900, 1, 1) + timedelta(days=rng.randrange(125 * 365))
    month, day = born.month, born.day
    kind = rng.choice([NissKind.REGISTER] * 4 + [NissKind.BIS])
    if rng.random() < 0.1:
        month, day = (0, 0) if rng.random() < 0.5 else (month, 0)
    niss = build_niss(
        year=born.year,
        month=month,
        day=day,
        sequence=rng.randrange(1, 999),
        kind=kind,
        sex_known=kind is NissKind.REGISTER or rng.random() < 0.5,
    )
    if rng.random() < 0.1:
        niss = format_niss(niss)
    if rng.random() < 0.1:
        niss = niss[:-1] + str((int(niss[-1]) + rng.randrange(1, 10)) % 10)
    near = date(born.year, month or 1, day or 1) + timedelta(days=rng.randrange(-3, 4))
    return niss, near


def _lines(rng: random.Random, count: int) -> list[Fields]:
    lines: list[Fields] = []
    seen: set[str] = set()
    while len(lines) < count:
        niss, near_birth = _person(rng)
        if niss.replace(".", "").replace("-", "") in seen:
            continue
        seen.add(niss.replace(".", "").replace("-", ""))
        begin = rng.choice([near_birth, near_birth, date(2015, 6, 1), date(2015, 6, 2)])
        if rng.random() < 0.5:
            begin = date(2020, 1, 1)
        ends = ["", (begin + timedelta(days=400)).isoformat(), (begin - timedelta(1)).isoformat()]
        lines.append(
            (
                niss,
                rng.choice(["001"] * 6 + ["000", "902", "777"]),
                rng.choice(["1"] * 6 + ["0", "9"]),
                begin.isoformat(),
                rng.choice(ends[:2] * 4 + ends[2:]),
            )
        )
    return lines


def test_each_line_of_a_load_is_decided_as_integrate_decides_it(hub: Hub) -> None:
    caller = hub.catalogue.institution("mut-100")
    held, old, new = (make_niss(born=date(1980, 1, 1)) for _ in range(3))
    with hub.uow() as uow:
        command = directory.Integrate(niss=held, capacity="001", phase=1, begin=date(2020, 1, 1))
        directory.integrate(uow, caller=caller, command=command)
    with hub.uow() as uow:
        directory.record_replacement(uow, old_niss=old, new_niss=new, by="bcss")
    lines = [
        *_lines(random.Random(605), 400),
        (held, "001", "1", "2021-01-01", ""),  # overlaps the directory
        (held, "902", "1", "2021-01-01", ""),  # out of bounds first
        (held, "001", "1", "2016-01-01", "2019-12-31"),  # before the held line: loaded
        (old, "001", "1", "2020-01-01", ""),  # replaced
        (old, "001", "9", "2020-01-01", ""),  # replaced comes before the phase
    ]
    expected = [_judged(hub, caller, fields) for fields in lines]
    assert {"invalid-niss", "begin-before-birth", "invalid-period", "niss-replaced"} <= set(
        expected
    )  # the lines try every rule

    report = directory.load_integrations(
        hub.uow, caller=caller, lines=enumerate(lines, start=1), source="t.csv", chunk_size=64
    )

    refused = {error.line: error.code for error in report.errors}
    assert [refused.get(number) for number in range(1, len(lines) + 1)] == expected
    assert report.loaded == expected.count(None)
