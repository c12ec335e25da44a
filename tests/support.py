"""Test helpers: a settable clock, factories for test data, and real ``carrefour`` processes."""

from __future__ import annotations

import itertools
import os
import random
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, insert

from carrefour.adapters.db import tables as t
from carrefour.bootstrap import Hub
from carrefour.domain.directory import IntegrationLine
from carrefour.domain.identifiers import build_niss
from carrefour.domain.periods import Period
from carrefour.services.vouchers import VoucherOutcome

_sequence = itertools.count(1)
_rng = random.Random(7)


@dataclass
class FakeClock:
    """A clock that stays where it is put."""

    current: datetime = field(default_factory=lambda: datetime(2025, 6, 2, 9, 0, tzinfo=UTC))

    def now(self) -> datetime:
        return self.current

    def today(self) -> date:
        return self.current.date()

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


def make_niss(*, born: date | None = None) -> str:
    """A fresh valid NISS (distinct within a test run)."""
    born = born or date(_rng.randint(1950, 2004), _rng.randint(1, 12), _rng.randint(1, 28))
    return build_niss(
        year=born.year, month=born.month, day=born.day, sequence=next(_sequence) % 997 + 1
    )


def employee(person: str, **overrides: Any) -> dict[str, Any]:
    return {
        "kind": "employee",
        "niss": person,
        "period": "2025Q1",
        "ct1": "110",
        "ct2": "460",
        "employer": "0403019261",
        "days_worked": 60,
        "hours_worked": 456.5,
        "working_time_fraction": 1,
        **overrides,
    }


def integrate_all(hub: Hub, assignments: dict[str, str]) -> None:
    """Integrate each NISS at its mutuality (capacity 001) in one transaction."""
    with hub.uow() as uow:
        now = uow.clock.now()
        for niss, mutuality in assignments.items():
            uow.directory.add(
                IntegrationLine(
                    id=f"t{niss}",
                    niss=niss,
                    institution=mutuality,
                    capacity="001",
                    phase=1,
                    period=Period(date(2020, 1, 1)),
                ),
                now,
            )
        uow.commit()


def tamper(hub: Hub, statement: str, *, table: str = "tracking", **params: Any) -> int:
    """Run ``statement`` against an append-only log (``table``) as its owner would, the guard
    switched off for that one statement: how an edit or a deletion behind the hub's back looks."""
    from sqlalchemy import text

    with hub.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only"))
            changed = conn.execute(text(statement), params).rowcount
            conn.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER {table}_append_only"))
            return int(changed)
        for action in ("update", "delete"):
            conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_{action}"))
        return int(conn.execute(text(statement), params).rowcount)


def employee_voucher(hub: Hub, niss: str, period: str = "2025Q1") -> VoucherOutcome:
    """ONSS's voucher of an employee's quarter, submitted through the voucher use case."""
    from carrefour.services.vouchers import submit_voucher

    with hub.uow() as uow:
        return submit_voucher(
            uow,
            caller=hub.catalogue.institution("onss"),
            data=employee(niss, period=period, ct2="000", hours_worked=456),
            renderer=hub.renderer,
        )


#: When the rows ``message_row`` and ``mailbox_row`` make were written.
ROWS_AT = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def message_row(message_id: str, sender: str, niss: str = "68060105329") -> dict[str, Any]:
    """A ``messages`` row as the hub stores a start message, to insert straight into the table."""
    return {
        "niss": niss, "id": message_id, "flow": "self-employed-start", "sender": sender,
        "event_date": None, "period": None, "payload": {"niss": niss, "begin": "2025-03-01"},
        "in_reply_to": None, "created_at": ROWS_AT,
    }  # fmt: skip


def mailbox_row(message_id: str, recipient: str, niss: str = "68060105329") -> dict[str, Any]:
    """A queued ``mailbox`` row of ``message_id`` for ``recipient``, to insert straight in."""
    return {
        "recipient": recipient, "message_id": message_id, "niss": niss,
        "flow": "self-employed-start", "sender": "inasti", "rule_id": "r", "fields": ["*"],
        "status": "queued", "attempts": 0, "created_at": ROWS_AT, "replay": 0,
    }  # fmt: skip


def stray_rows(engine: Engine, *, sender: str, messages: int, recipient: str, rows: int) -> None:
    """``messages`` messages sent by ``sender`` and ``rows`` mailbox rows to ``recipient``,
    written with SQL past the hub (neither need be a registered institution)."""
    with engine.begin() as conn:
        if messages:
            conn.execute(
                insert(t.messages), [message_row(f"stray-{i}", sender) for i in range(messages)]
            )
        if rows:
            conn.execute(
                insert(t.mailbox), [mailbox_row(f"stray-{i}", recipient) for i in range(rows)]
            )


CARREFOUR = str(Path(sys.executable).with_name("carrefour"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(database_url: str, tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """``carrefour serve`` as a real process on a free port, its batch worker taking 25
    records a chunk under a 2-second lease (chunks small enough that a batch of 3,000 is still
    running when the first ones are seen committed); killed on exit if still running."""
    port = free_port()
    env = {
        **os.environ,
        "CARREFOUR_BATCH_INLINE_MAX_BYTES": "0",  # every batch goes to the batch worker
        "CARREFOUR_BATCH_CHUNK": "25",
        "CARREFOUR_BATCH_LEASE_SECONDS": "2",
        "CARREFOUR_WORKER_POLL_SECONDS": "0.2",
        "CARREFOUR_SIGNING_KEY": str(tmp_path / "signing.key"),
        "CARREFOUR_LOG_LEVEL": "warning",
    }
    process = subprocess.Popen(  # noqa: S603 - this package's own entry point
        [CARREFOUR, "serve", "--database-url", database_url, "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert process.poll() is None, "the server stopped at start"
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)
        yield process, base
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()


def assert_verifies(database_url: str) -> None:
    """``carrefour verify`` on the database exits 0: every chain and checkpoint is intact."""
    verified = subprocess.run(  # noqa: S603 - this package's own entry point
        [CARREFOUR, "verify", "--database-url", database_url],
        capture_output=True,
        text=True,
        check=False,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
