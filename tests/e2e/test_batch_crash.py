"""A serving process killed (SIGKILL) in the middle of a batch: after a restart, or by another
server on the same PostgreSQL, the batch finishes and every voucher is routed exactly once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from carrefour.adapters.db import tables as t
from carrefour.bootstrap import Hub
from carrefour.services.institutions import issue_credential
from tests.support import assert_verifies, employee, integrate_all, make_niss, serving


def population(hub: Hub, size: int, taken: frozenset[str] = frozenset()) -> tuple[list[str], bytes]:
    """``size`` distinct new people integrated at a mutuality, and a file of their vouchers."""
    found: set[str] = set()
    while len(found) < size:
        niss = make_niss()
        if niss not in taken:
            found.add(niss)
    nisses = sorted(found)
    integrate_all(hub, {n: ("mut-100", "mut-200")[i % 2] for i, n in enumerate(nisses)})
    content = b"\n".join(json.dumps(employee(n)).encode() for n in nisses) + b"\n"
    return nisses, content


def token(hub: Hub, institution: str) -> dict[str, str]:
    with hub.uow() as uow:
        return {"Authorization": f"Bearer {issue_credential(uow, institution=institution)}"}


def report(base: str, headers: dict[str, str], batch_id: str) -> dict[str, Any]:
    response = httpx.get(f"{base}/v1/batches/{batch_id}?limit=5", headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def kill_mid_batch(hub: Hub, process: subprocess.Popen[bytes], batch_id: str) -> int:
    """SIGKILL the server once some chunks of the batch are committed; the vouchers routed.
    The batch's progress is read from the database itself, every few milliseconds: a request to
    the busy server may be answered only after the batch's last chunk."""
    b = t.batches.c
    progress = select(b.routed, b.status).where(b.id == batch_id)
    deadline = time.monotonic() + 60
    while True:
        with hub.engine.connect() as conn:
            routed, status = conn.execute(progress).one()
        if routed > 0:
            break
        assert time.monotonic() < deadline, "the batch did not start"
        time.sleep(0.002)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert status == "processing", "the batch ended before the kill: make it larger"
    return int(routed)


def wait_done(base: str, headers: dict[str, str], batch_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 180
    while True:
        body = report(base, headers, batch_id)
        if body["status"] == "done":
            return body
        assert time.monotonic() < deadline, f"the batch did not finish: {body}"
        time.sleep(0.2)


def assert_routed_once(hub: Hub, nisses: list[str], database_url: str) -> None:
    """One voucher message, one mailbox row and one tracking entry per person; verify clean."""
    m, b, k = t.messages.c, t.mailbox.c, t.tracking.c
    with hub.engine.connect() as conn:
        counts = {
            table: dict(
                conn.execute(
                    select(col.niss, func.count())
                    .where(col.flow == "contribution-voucher", col.niss.in_(nisses))
                    .group_by(col.niss)
                ).all()
            )
            for table, col in (("messages", m), ("mailbox", b), ("tracking", k))
        }
    for table, per_person in counts.items():
        assert per_person == dict.fromkeys(nisses, 1), table
    assert_verifies(database_url)


def test_a_server_killed_mid_batch_finishes_it_after_restart_every_voucher_once(
    hub: Hub, database_url: str, tmp_path: Path
) -> None:
    nisses, content = population(hub, 3000)
    onss = token(hub, "onss")
    with serving(database_url, tmp_path) as (process, base):
        response = httpx.post(f"{base}/v1/batches", content=content, headers=onss, timeout=30)
        assert response.status_code == 202, response.text
        batch_id = response.json()["id"]
        routed_at_kill = kill_mid_batch(hub, process, batch_id)
    assert 0 < routed_at_kill < len(nisses)
    with serving(database_url, tmp_path) as (_, base):
        # The same file again answers the unfinished batch: nothing new is created.
        again = httpx.post(f"{base}/v1/batches", content=content, headers=onss, timeout=30)
        assert (again.json()["id"], again.json()["duplicate"]) == (batch_id, True)
        done = wait_done(base, onss, batch_id)
    assert done["errors"] == []
    assert (done["total"], done["accepted"], done["routed"], done["rejected"]) == (
        3000, 3000, 3000, 0,
    )  # fmt: skip
    assert_routed_once(hub, nisses, database_url)


def test_two_servers_on_one_postgresql_one_killed_the_other_finishes_every_batch(
    hub: Hub, database_url: str, tmp_path: Path
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("several serving nodes share one PostgreSQL")
    first_people, first_file = population(hub, 3000)
    second_people, second_file = population(hub, 1500, frozenset(first_people))
    onss = token(hub, "onss")
    with (
        serving(database_url, tmp_path) as (doomed, one),
        serving(database_url, tmp_path) as (
            _,
            other,
        ),
    ):
        first = httpx.post(f"{one}/v1/batches", content=first_file, headers=onss, timeout=30)
        second = httpx.post(f"{other}/v1/batches", content=second_file, headers=onss, timeout=30)
        assert (first.status_code, second.status_code) == (202, 202)
        kill_mid_batch(hub, doomed, first.json()["id"])
        for batch_id, size in ((second.json()["id"], 1500), (first.json()["id"], 3000)):
            done = wait_done(other, onss, batch_id)
            assert (done["accepted"], done["routed"]) == (size, size)
    assert_routed_once(hub, first_people + second_people, database_url)
