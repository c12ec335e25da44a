"""``carrefour batch``: a fixed-width file through the command line, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from carrefour.adapters.formats.fixedwidth import write_fixed
from carrefour.bootstrap import Hub
from tests.cli.conftest import Cli
from tests.support import employee, integrate_all, make_niss

# record index -> what breaks it and the error code it gets; record i is on line i + 2
BAD: dict[int, tuple[dict[str, Any], str]] = {
    4: ({"niss": "12345678901"}, "invalid-niss"),
    11: ({"days_worked": 200}, "invalid-input"),
    23: ({"employer": "0431150351"}, "invalid-enterprise-number"),
}


@pytest.fixture
def batch_file(hub: Hub, tmp_path: Path) -> Path:
    """30 employee vouchers of persons known at mutualities, 3 of them bad."""
    population = [make_niss() for _ in range(30)]
    integrate_all(hub, {niss: ("mut-100", "mut-200")[i % 2] for i, niss in enumerate(population)})
    records: list[dict[str, Any]] = [
        employee(niss, **(BAD[i][0] if i in BAD else {})) for i, niss in enumerate(population)
    ]
    path = tmp_path / "onss.txt"
    path.write_bytes(write_fixed("onss", date(2025, 5, 31), records))
    return path


def _row(output: str, first: str) -> list[str]:
    """The cells of the table row whose first cell is ``first``."""
    for line in output.splitlines():
        cells = [c.strip() for c in line.strip().strip("│┃").split("│")]
        if cells and cells[0] == first:
            return cells
    raise AssertionError(f"no row {first!r} in:\n{output}")


def test_submit_routes_the_good_records_and_lists_the_bad_lines(
    cli: Cli, hub: Hub, batch_file: Path
) -> None:
    out = cli("batch", "submit", str(batch_file), "--as", "onss", "--format", "fixed")
    assert "27/27" in out  # the progress bar counts the good records as they are routed
    batch_id = out.split("batch of onss")[1].split("│")[1].strip()
    summary = _row(out, batch_id)
    assert summary[1:] == ["fixed", "done", "30", "27", "3", "27", "0", "no"]
    for index, (_, code) in BAD.items():
        assert _row(out, str(index + 2))[1] == code
    with hub.uow() as uow:
        before = uow.mailbox.counts()

    again = cli("batch", "submit", str(batch_file), "--as", "onss")
    assert _row(again, batch_id)[-1] == "yes"
    assert "duplicate" in again
    with hub.uow() as uow:
        assert uow.mailbox.counts() == before

    shown = cli("batch", "show", batch_id, "--as", "onss")
    assert _row(shown, batch_id)[2:6] == ["done", "30", "27", "3"]
    assert [_row(shown, str(i + 2))[1] for i in BAD] == [code for _, code in BAD.values()]
    limited = cli("batch", "show", batch_id, "--as", "onss", "--limit", "1")
    assert "1 of 3 errors shown" in limited
    assert f"carrefour batch show {batch_id} --as onss" in limited
    assert "not-found" in cli("batch", "show", batch_id, "--as", "onem", code=1)


def test_a_file_whose_trailer_count_is_wrong_is_refused_whole(
    cli: Cli, hub: Hub, tmp_path: Path
) -> None:
    niss = make_niss()
    integrate_all(hub, {niss: "mut-100"})
    content = write_fixed("onss", date(2025, 5, 31), [employee(niss), employee(niss)])
    lines = content.decode().splitlines()
    path = tmp_path / "short.txt"
    path.write_text("\n".join([*lines[:2], lines[-1]]) + "\n")
    out = cli("batch", "submit", str(path), "--as", "onss", code=1)
    assert "count-mismatch" in out
    with hub.uow() as uow:
        assert uow.messages.of_niss(niss) == []


def test_a_sender_not_allowed_to_send_vouchers_and_a_missing_file(
    cli: Cli, batch_file: Path, tmp_path: Path
) -> None:
    assert "not-authorised" in cli("batch", "submit", str(batch_file), "--as", "mut-100", code=1)
    out = cli("batch", "submit", str(tmp_path / "nowhere.txt"), "--as", "onss", code=2)
    assert "does not exist" in out


def test_an_operator_resumes_a_waiting_batch_and_cancels_another(
    cli: Cli, hub: Hub, batch_file: Path
) -> None:
    from carrefour.services.batches import accept_batch

    onss = hub.catalogue.institution("onss")
    waiting = accept_batch(
        hub.uow, caller=onss, content=batch_file.read_bytes(), file_format=None,
        idempotency_key=None,
    ).batch  # fmt: skip
    out = cli("batch", "resume", waiting.id)
    assert _row(out, waiting.id)[2:6] == ["done", "30", "27", "3"]
    out = cli("batch", "cancel", waiting.id, code=1)
    assert "conflict" in out
    assert "nothing to cancel" in out

    other = accept_batch(
        hub.uow, caller=onss, content=batch_file.read_bytes() + b"\n", file_format=None,
        idempotency_key=None,
    ).batch  # fmt: skip
    out = cli("batch", "cancel", other.id)
    assert _row(out, other.id)[2] == "cancelled"
    out = cli("batch", "resume", other.id, code=1)
    assert "cancelled: nothing to resume" in out
