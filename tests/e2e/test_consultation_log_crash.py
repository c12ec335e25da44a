"""A real server killed (SIGKILL) right after answering loses no consultation line of an answered
request, and the chain still verifies."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from carrefour.bootstrap import Hub
from carrefour.services.consultations import verify_log
from tests.support import employee, make_niss

Credential = Callable[[str], dict[str, str]]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_killed_server_loses_no_line_of_an_answered_request(
    hub: Hub, credential: Credential, database_url: str, tmp_path: Path
) -> None:
    port = free_port()
    env = {
        **os.environ,
        "CARREFOUR_DATABASE_URL": database_url,
        "CARREFOUR_RUN_WORKER_IN_SERVER": "false",
        "CARREFOUR_SIGNING_KEY": str(tmp_path / "signing.key"),
    }
    carrefour = str(Path(sys.executable).with_name("carrefour"))
    log_file = (tmp_path / "server.log").open("wb")
    server = subprocess.Popen(  # noqa: S603 (our own entry point)
        [carrefour, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log_file,
    )
    base = f"http://127.0.0.1:{port}"
    headers = credential("mut-100")
    persons = [make_niss() for _ in range(20)]
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            log = (tmp_path / "server.log").read_text(errors="replace")
            assert time.monotonic() < deadline, f"the server did not start: {log[-2000:]}"
            assert server.poll() is None, f"the server stopped: {log[-2000:]}"
            time.sleep(0.1)
        with httpx.Client(base_url=base, headers=headers, timeout=10) as http:
            for niss in persons:
                # a mutuality may not send an employee voucher: refused, and logged
                assert http.post("/v1/vouchers", json=employee(niss)).status_code == 403
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=10)
        log_file.close()

    with hub.uow() as uow:
        logged = {line.niss for line in uow.consultations.select(caller="mut-100", limit=1000)}
        assert verify_log(uow) is None
    assert set(persons) <= logged
