"""No NISS and no credential in the logs: a full scenario through a real ``carrefour serve``
process with its access log on, then every NISS the scenario used is looked for in its output."""

from __future__ import annotations

import json
import logging
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import structlog

from carrefour.adapters.logs import MaskingFilter, install_log_masking, mask
from carrefour.bootstrap import bootstrap
from carrefour.config import Settings
from carrefour.services.institutions import issue_credential
from tests.support import employee, make_niss

CARREFOUR = Path(sys.executable).with_name("carrefour")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def served(database_url: str, tmp_path: Path) -> Iterator[tuple[str, dict[str, str], Path]]:
    """A ``carrefour serve`` process on a free port: its URL, a credential per institution of
    the scenario, and the file its output (access log included) goes to."""
    settings = Settings(database_url=database_url, signing_key=tmp_path / "signing.key")
    hub = bootstrap(settings)
    tokens = {}
    with hub.uow() as uow:
        for institution in ("mut-100", "onss", "cas-acerta", "bcss"):
            tokens[institution] = issue_credential(uow, institution=institution)
    hub.dispose()
    port = free_port()
    output = tmp_path / "serve.log"
    command = [str(CARREFOUR), "serve", "--database-url", database_url, "--port", str(port)]
    env = {
        "PATH": str(CARREFOUR.parent),
        "CARREFOUR_LOG_LEVEL": "info",
        "CARREFOUR_SIGNING_KEY": str(tmp_path / "signing.key"),
        "CARREFOUR_WORKER_POLL_SECONDS": "0.2",
    }
    with output.open("wb") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, env=env)  # noqa: S603
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert process.poll() is None, output.read_text()
                assert time.monotonic() < deadline, output.read_text()
                time.sleep(0.2)
            yield url, tokens, output
        finally:
            process.terminate()
            process.wait(timeout=20)


def test_a_full_scenario_leaves_no_niss_and_no_credential_in_the_logs(
    served: tuple[str, dict[str, str], Path],
) -> None:
    url, tokens, output = served
    auth = {name: {"Authorization": f"Bearer {token}"} for name, token in tokens.items()}
    persons = [make_niss() for _ in range(6)]
    with httpx.Client(base_url=url, timeout=10) as client:
        for niss in persons:
            put = client.put(
                f"/v1/directory/{niss}/integrations",
                json={"capacity": "001", "begin": "2024-01-01"},
                headers=auth["mut-100"],
            )
            assert put.status_code == 201, put.text
            assert client.get(f"/v1/directory/{niss}", headers=auth["mut-100"]).status_code == 200
            sent = client.post("/v1/vouchers", json=employee(niss), headers=auth["onss"])
            assert sent.status_code == 201, sent.text
            declared = client.post(
                "/v1/rgti/affiliations",
                json={"niss": niss, "begin": "2025-01-06", "contributor_category": "A"},
                headers=auth["cas-acerta"],
            )
            assert declared.status_code == 201, declared.text
            career = client.get(f"/v1/rgti/careers/{niss}", headers=auth["mut-100"])
            assert career.status_code == 200, career.text
            tracked = client.get("/v1/tracking", params={"niss": niss}, headers=auth["mut-100"])
            assert tracked.status_code == 200, tracked.text
        # Refusals and bad input name the person too: formatted, unknown, in a query string.
        niss = persons[0]
        formatted = f"{niss[:2]}.{niss[2:4]}.{niss[4:6]}-{niss[6:9]}.{niss[9:]}"
        client.get(f"/v1/rgti/careers/{formatted}", headers=auth["mut-100"])
        client.get(f"/v1/insurability/{niss}", headers=auth["onss"])
        client.get(f"/v1/directory?at=2025-01-01&after={niss}", headers=auth["mut-100"])
        client.get(f"/v1/directory/{niss}?token={tokens['bcss']}")
        batch = "".join(json.dumps(employee(p, period="2025Q2")) + "\n" for p in persons)
        posted = client.post("/v1/batches?format=jsonl", content=batch, headers=auth["onss"])
        assert posted.status_code == 201, posted.text
        time.sleep(1)  # a round of the delivery worker
    served_log = output.read_text()
    access_lines = [line for line in served_log.splitlines() if '" 20' in line]
    assert len(access_lines) >= 6 * 6, served_log[-2000:]
    assert "-xxx-xx" in served_log  # the paths are there, their NISS masked
    found = [niss for niss in persons if niss in served_log]
    assert found == [], f"{len(found)} NISS in the logs"
    assert formatted not in served_log
    for token in tokens.values():
        assert token not in served_log


def test_the_filter_masks_uvicorn_access_lines_and_structlog_events(
    capsys: pytest.CaptureFixture[str],
) -> None:
    niss = make_niss()
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", f"/v1/rgti/careers/{niss}?niss={niss}", "1.1", 200),
        None,
    )
    assert MaskingFilter().filter(record)
    line = record.getMessage()
    assert niss not in line
    assert f"/v1/rgti/careers/{niss[:6]}-xxx-xx?niss={niss[:6]}-xxx-xx" in line
    install_log_masking()
    structlog.get_logger("carrefour.test").info(
        "voucher routed", niss=niss, payload={"niss": niss}, authorization="Bearer s3cret"
    )
    printed = capsys.readouterr().out
    assert niss not in printed
    assert "s3cret" not in printed
    assert f"{niss[:6]}-xxx-xx" in printed
    assert mask("Bearer abc.def and token=xyz") == "Bearer [redacted] and token=[redacted]"
    message_id = "a" + "1" * 11 + "b" * 20
    assert mask(message_id) == message_id  # an identifier holding 11 digits is left alone


@pytest.fixture(autouse=True)
def _carrefour_installed() -> None:
    if shutil.which("carrefour", path=str(CARREFOUR.parent)) is None:
        pytest.fail(f"the carrefour command is not installed beside {sys.executable}")
