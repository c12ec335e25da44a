"""``carrefour rgti``: declare, consult and end a self-employed career, on SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import date

from tests.cli.conftest import Cli
from tests.support import make_niss


def declare(cli: Cli, niss: str, *extra: str, code: int = 0) -> str:
    return cli("rgti", "declare", niss, "--as", "cas-acerta", *extra, code=code)


def segment(output: str) -> list[str]:
    """The cells of the first segment of ``rgti show``."""
    for line in output.splitlines():
        cells = [c.strip() for c in line.strip().strip("│").split("│")]
        if cells[0] == "1":
            return cells
    raise AssertionError(f"no segment in:\n{output}")


def test_declare_show_and_end_an_affiliation(cli: Cli) -> None:
    niss = make_niss(born=date(1980, 5, 17))
    cli(
        "directory",
        "integrate",
        niss,
        "--as",
        "mut-100",
        "--capacity",
        "001",
        "--begin",
        "2020-01-01",
    )
    out = declare(cli, niss, "--begin", "2025-01-06", "--category", "A")
    affiliation = out.split("affiliation ")[1].split()[0]
    assert f"affiliation {affiliation} declared" in out
    assert "sent self-employed-start of 2025-01-06" in out

    # segment, CAS no. (Acerta is 001), CAS enterprise, begin, end, category
    assert segment(cli("rgti", "show", niss))[:6] == [
        "1",
        "001",
        "1999000348",
        "2025-01-06",
        "",
        "A",
    ]

    out = cli("rgti", "end", affiliation, "--on", "2025-03-31", "--as", "cas-acerta")
    assert f"affiliation {affiliation} ends on 2025-03-31 (cessation)" in out
    assert "sent self-employed-stop of 2025-03-31" in out
    assert segment(cli("rgti", "show", niss))[3:6] == ["2025-01-06", "2025-03-31", "A"]


def test_bad_input_gets_a_specific_error(cli: Cli) -> None:
    niss = make_niss(born=date(1990, 3, 3))
    out = declare(cli, niss, "--begin", "2025-01-06", "--category", "Z", code=1)
    assert "invalid-code" in out
    out = declare(cli, niss, "--begin", "1985-01-01", "--category", "A", code=1)
    assert "invalid-period" in out
    out = declare(cli, niss, "--begin", "2025-01-06", "--category", "A")
    assert "no start or stop message" in out  # nobody integrated the person
    affiliation = out.split("affiliation ")[1].split()[0]
    out = cli("rgti", "end", affiliation, "--on", "2025-03-31", "--as", "cas-xerius", code=1)
    assert "not-authorised" in out


def test_category_change_correction_and_assimilation_from_the_command_line(cli: Cli) -> None:
    niss = make_niss(born=date(1970, 1, 1))
    out = cli("rgti", "declare", niss, "--begin", "2024-03-01", "--category", "A",
              "--as", "cas-ucm")  # fmt: skip
    affiliation = out.split("affiliation ")[1].split()[0]
    cli("rgti", "category", affiliation, "D", "--from", "2025-01-01", "--as", "cas-ucm")
    cli("rgti", "correct", affiliation, "--begin", "2024-02-01", "--as", "cas-ucm")
    cli("rgti", "assimilation", niss, "--code", "7", "--begin", "2023-01-01",
        "--end", "2023-06-30", "--decided", "2023-09-01")  # fmt: skip
    shown = cli("rgti", "show", niss)
    assert "2024-02-01" in shown
    assert "D" in shown
    assert "code 7 2023-01-01/2023-06-30 granted (decided 2023-09-01)" in shown
    out = cli("rgti", "category", affiliation, "A", "--from", "2025-06-01", "--as", "cas-acerta",
              code=1)  # fmt: skip
    assert "not-authorised" in out
    out = cli("rgti", "assimilation", niss, "--code", "99", "--begin", "2023-01-01", code=1)
    assert "invalid-code" in out
