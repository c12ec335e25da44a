"""Mutual TLS against a real ``carrefour serve``: a registered client certificate stands for
its institution, an unregistered one is refused, a bearer credential still works without one.
The certificates are made here, with ``cryptography``."""

from __future__ import annotations

import ipaddress
import os
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from typer.testing import CliRunner

from carrefour.bootstrap import Hub
from carrefour.cli.main import app as cli_app
from tests.integration.messaging import integrated

PROBLEM = "urn:carrefour:problem:"
NOW = datetime.now(UTC)
Pair = tuple[x509.Certificate, ec.EllipticCurvePrivateKey]


def _name(common: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Carrefour test"),
            x509.NameAttribute(NameOID.COMMON_NAME, common),
        ]
    )


def _issue(
    common: str,
    issuer: tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None,
    *,
    server: bool = False,
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common))
        .issuer_name(issuer[0].subject if issuer else _name(common))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - timedelta(days=1))
        .not_valid_after(NOW + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=issuer is None, path_length=None), critical=True)
    )
    if server:
        san = x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
        builder = builder.add_extension(san, critical=False)
    certificate = builder.sign(issuer[1] if issuer else key, hashes.SHA256())
    return certificate, key


def _write(directory: Path, stem: str, pair: Pair) -> tuple[Path, Path]:
    cert, key = directory / f"{stem}.pem", directory / f"{stem}.key"
    cert.write_bytes(pair[0].public_bytes(serialization.Encoding.PEM))
    key.write_bytes(
        pair[1].private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert, key


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Served:
    def __init__(self, directory: Path, port: int) -> None:
        self.directory = directory
        self.url = f"https://127.0.0.1:{port}"

    def client(self, stem: str | None) -> httpx.Client:
        context = ssl.create_default_context(cafile=str(self.directory / "ca.pem"))
        if stem is not None:
            context.load_cert_chain(self.directory / f"{stem}.pem", self.directory / f"{stem}.key")
        return httpx.Client(base_url=self.url, verify=context, timeout=5)


@pytest.fixture
def served(hub: Hub, database_url: str, tmp_path: Path) -> Iterator[Served]:
    ca = _issue("test CA", None)
    _write(tmp_path, "ca", ca)
    server_cert, server_key = _write(tmp_path, "server", _issue("127.0.0.1", ca, server=True))
    _write(tmp_path, "mut-100", _issue("mut-100 client", ca))
    _write(tmp_path, "stranger", _issue("nobody", ca))
    port = _free_port()
    env = {
        **os.environ,
        "CARREFOUR_DATABASE_URL": database_url,
        "CARREFOUR_RUN_WORKER_IN_SERVER": "false",
        "CARREFOUR_SIGNING_KEY": str(tmp_path / "signing.key"),
    }
    command = [
        sys.executable, "-m", "carrefour.cli.main", "serve", "--port", str(port),
        "--tls-cert", str(server_cert), "--tls-key", str(server_key),
        "--client-ca", str(tmp_path / "ca.pem"),
    ]  # fmt: skip
    log = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    pytest.fail((tmp_path / "serve.log").read_text())
                time.sleep(0.2)
        yield Served(tmp_path, port)
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def test_a_registered_client_certificate_stands_for_its_institution(
    served: Served, hub: Hub, database_url: str
) -> None:
    person = integrated(hub, "mut-100")
    registered = CliRunner().invoke(
        cli_app,
        ["institutions", "certificate", "mut-100", str(served.directory / "mut-100.pem")],
        env={"CARREFOUR_DATABASE_URL": database_url},
    )
    assert registered.exit_code == 0, registered.output
    assert "CN=mut-100 client" in registered.output
    with served.client("mut-100") as client:
        mine = client.get(f"/v1/directory/{person}")
    assert mine.status_code == 200, mine.text
    assert "mut-100" in mine.text  # the caller's own integration: the certificate is mut-100
    with served.client("mut-100") as client:
        institutions = client.get("/v1/institutions")
    assert institutions.status_code == 200, institutions.text


def test_a_client_certificate_that_maps_to_no_institution_is_refused(served: Served) -> None:
    with served.client("stranger") as client:
        response = client.get("/v1/institutions")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == PROBLEM + "unknown-certificate"
    assert "registered for no institution" in response.json()["detail"]


def test_a_bearer_credential_still_works_over_tls_without_a_certificate(
    served: Served, hub: Hub
) -> None:
    from carrefour.services.institutions import issue_credential

    with hub.uow() as uow:
        token = issue_credential(uow, institution="onss")
    with served.client(None) as client:
        ok = client.get("/v1/institutions", headers={"Authorization": f"Bearer {token}"})
        anonymous = client.get("/v1/institutions")
    assert ok.status_code == 200, ok.text
    assert anonymous.status_code == 401


def test_a_certificate_file_that_holds_no_certificate_is_refused(
    hub: Hub, database_url: str, tmp_path: Path
) -> None:
    junk = tmp_path / "junk.pem"
    junk.write_text("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
    result = CliRunner().invoke(
        cli_app,
        ["institutions", "certificate", "mut-100", str(junk)],
        env={"CARREFOUR_DATABASE_URL": database_url},
    )
    assert result.exit_code == 1
    assert "holds no X.509 certificate" in result.output
