"""``carrefour directory load``: many I605 lines at once, each refused line reported with its
number and the rest loaded, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from carrefour.bootstrap import bootstrap
from carrefour.config import Settings
from carrefour.services import directory
from tests.cli.conftest import Cli
from tests.support import make_niss


def _lines_of(database_url: str, niss: str) -> list[str]:
    hub = bootstrap(Settings(database_url=database_url))
    try:
        with hub.uow() as uow:
            return [str(entry.line.period) for entry in directory.history(uow, niss=niss)]
    finally:
        hub.dispose()


def _phase_of(database_url: str, niss: str) -> int:
    hub = bootstrap(Settings(database_url=database_url))
    try:
        with hub.uow() as uow:
            (entry,) = directory.history(uow, niss=niss)
            return entry.line.phase
    finally:
        hub.dispose()


def test_a_csv_load_reports_each_bad_line_and_loads_the_rest(
    cli: Cli, database_url: str, tmp_path: Path
) -> None:
    good = [make_niss() for _ in range(5)]
    held = make_niss()
    cli("directory", "integrate", held, "--capacity", "001", "--begin", "2020-01-01",
        "--as", "mut-100")  # fmt: skip
    rows = [
        "niss,capacity,phase,begin,end",
        *(f"{niss},001,1,2024-01-01," for niss in good),  # lines 2-6
        "12345678901,001,1,2024-01-01,",  # line 7: bad check digits
        f"{good[0]},001,1,2024-06-01,2024-12-31",  # line 8: overlaps line 2 of the file
        f"{held},001,1,2024-01-01,",  # line 9: overlaps the directory
        f"{make_niss()},777,1,2024-01-01,",  # line 10: no such capacity
        f"{make_niss()},001,1,2024-13-01,",  # line 11: not a date
        f"{good[1]},001,1,2020-01-01,2023-12-31",  # line 12: before line 3, no overlap
    ]
    path = tmp_path / "lines.csv"
    path.write_text("\n".join(rows) + "\n")
    errors = tmp_path / "errors.csv"

    out = cli("directory", "load", str(path), "--as", "mut-100", "--errors", str(errors), code=1)

    assert "6 lines loaded, 5 refused" in out
    refused = [line.split(",")[:2] for line in errors.read_text().splitlines()[1:]]
    assert refused == [
        ["7", "invalid-niss"],
        ["8", "overlapping-integration"],
        ["9", "overlapping-integration"],
        ["10", "unknown-capacity"],
        ["11", "invalid-period"],
    ]
    assert "line 7: invalid-niss" in out
    assert _lines_of(database_url, good[1]) == ["2020-01-01/2023-12-31", "2024-01-01/"]
    assert _lines_of(database_url, held) == ["2020-01-01/"]


def test_a_json_lines_load_loaded_again_loads_nothing_twice(
    cli: Cli, database_url: str, tmp_path: Path
) -> None:
    people = [make_niss() for _ in range(3)]
    path = tmp_path / "lines.jsonl"
    path.write_text(
        "".join(
            json.dumps({"niss": niss, "capacity": "001", "phase": 1, "begin": "2024-01-01"}) + "\n"
            for niss in people
        )
        + "not json\n"
    )

    first = cli("directory", "load", str(path), "--as", "mut-100", "--chunk", "2", code=1)
    again = cli("directory", "load", str(path), "--as", "mut-100", code=1)

    assert "3 lines loaded, 1 refused" in first
    assert "line 4: invalid-input" in first
    assert "0 lines loaded, 4 refused" in again
    assert all(_lines_of(database_url, niss) == ["2024-01-01/"] for niss in people)


def test_a_csv_without_its_header_line_is_refused_whole(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "lines.csv"
    path.write_text(f"{make_niss()},001,1,2024-01-01,\n")
    out = cli("directory", "load", str(path), "--as", "mut-100", code=1)
    assert "must name the columns niss, capacity, phase, begin, end" in out


def test_a_json_lines_load_reads_numbers_nulls_and_other_keys_as_json_gives_them(
    cli: Cli, database_url: str, tmp_path: Path
) -> None:
    people = [make_niss(born=date(1970, 5, 1)) for _ in range(3)]  # no leading 0: a number
    line = {"capacity": "001", "begin": "2024-01-01"}
    records = [
        json.dumps({**line, "niss": people[0], "phase": 0, "end": None, "note": "ignored"}),
        json.dumps({**line, "niss": people[1], "end": "2024-06-30"}),
        "",
        json.dumps([people[2], "001", 1, "2024-01-01"]),  # line 4: not an object
        json.dumps({**line, "niss": int(people[2])}),  # its NISS as a number
        json.dumps({**line, "niss": people[2], "phase": "x", "begin": "2024-02-01"}),  # line 6
        json.dumps({**line, "niss": make_niss(), "phase": 1.0}),  # line 7: 1.0 is not 1
        json.dumps({**line, "niss": make_niss(), "phase": True}),  # line 8
    ]
    path = tmp_path / "lines.ndjson"
    path.write_text("\n".join(records) + "\n")

    out = cli("directory", "load", str(path), "--as", "mut-100", code=1)

    assert "3 lines loaded, 4 refused" in out
    assert "line 4: invalid-input: missing niss, capacity, begin" in out
    assert "line 6: invalid-input: phase 'x'" in out
    assert "line 7: invalid-input: phase '1.0'" in out
    assert "line 8: invalid-input: phase 'True'" in out
    assert _lines_of(database_url, people[0]) == ["2024-01-01/"]
    assert _lines_of(database_url, people[1]) == ["2024-01-01/2024-06-30"]
    assert _lines_of(database_url, people[2]) == ["2024-01-01/"]
    assert [_phase_of(database_url, niss) for niss in people] == [0, 1, 1]  # no phase: 1


def test_a_csv_load_reads_its_columns_by_name_across_chunks(
    cli: Cli, database_url: str, tmp_path: Path
) -> None:
    first, second = make_niss(), make_niss()
    rows = [
        "begin,niss,capacity",  # no phase (1) nor end (open) columns, another order
        f"2024-01-01,{first},001",
        f"2023-01-01,{second},001",
        "",
        f"2024-03-01,{first},001",  # line 5: overlaps line 2, committed in an earlier chunk
        f"2024-03-01,{second},001,extra",  # line 6: overlaps line 3; the extra field is ignored
        f"2024-03-01,{make_niss()}",  # line 7: no capacity
    ]
    path = tmp_path / "lines.csv"
    path.write_text("\n".join(rows) + "\n")

    out = cli("directory", "load", str(path), "--as", "mut-100", "--chunk", "1", code=1)

    assert "2 lines loaded, 3 refused" in out
    assert "line 5: overlapping-integration" in out
    assert "line 6: overlapping-integration" in out
    assert "line 7: invalid-input: missing capacity" in out
    assert _lines_of(database_url, first) == ["2024-01-01/"]
    assert _lines_of(database_url, second) == ["2023-01-01/"]
