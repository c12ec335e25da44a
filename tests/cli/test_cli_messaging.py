"""``carrefour mailbox``, ``tracking`` and ``verify`` after a start message, on SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import date

from carrefour.adapters.db.engine import make_engine
from carrefour.domain.identifiers import format_niss
from tests.cli.conftest import Cli
from tests.support import make_niss, stray_rows


def test_a_start_message_shows_in_the_mailbox_and_the_tracking_file(cli: Cli) -> None:
    niss = make_niss(born=date(1975, 8, 9))
    assert "intact: 0 entries" in cli("verify")
    for institution, capacity in (("mut-100", "001"), ("onem", "004")):
        cli(
            "directory",
            "integrate",
            niss,
            "--as",
            institution,
            "--capacity",
            capacity,
            "--begin",
            "2020-01-01",
        )
    out = cli(
        "rgti", "declare", niss, "--begin", "2025-01-06", "--category", "A", "--as", "cas-acerta"
    )
    message = out.split("as message ")[1].split()[0]

    mailbox = cli("mailbox", "mut-100")
    assert "mailbox of mut-100" in mailbox
    [row] = [line for line in mailbox.splitlines() if message in line]
    for expected in ("self-employed-start", "inasti", niss, "2025-01-06", "queued"):
        assert expected in row, expected
    assert "queued: 1" in mailbox
    assert message not in cli("mailbox", "mut-200")

    tracking = cli("tracking", niss)
    assert f"tracking file for {format_niss(niss)}" in tracking
    rows = [line for line in tracking.splitlines() if "self-employed-start" in line]
    assert len(rows) == 2
    assert {r.split("│")[5].strip() for r in rows} == {"mut-100", "onem"}
    assert all("inasti" in r and "2025-01-06" in r for r in rows)

    assert "tracking file intact: 2 entries" in cli("verify")
    assert "unknown-institution" in cli("mailbox", "mut-999", code=1)


def test_verify_fails_naming_a_sender_and_a_recipient_no_institution_registers(
    cli: Cli, database_url: str
) -> None:
    engine = make_engine(database_url)
    stray_rows(engine, sender="ghost-sender", messages=3, recipient="ghost-mut", rows=2)
    engine.dispose()

    out = cli("verify", code=1)
    assert "messages.sender 'ghost-sender' is no registered institution: 3 row(s)" in out
    assert "mailbox.recipient 'ghost-mut' is no registered institution: 2 row(s)" in out
    assert "intact" not in out
