"""The connector over a real ``carrefour serve --client-ca``: a centre whose client certificate
is registered (``institutions gateway ID --certificate``, the API's own mapping) is recognised by
it; an unregistered certificate gets the unknown-caller fault."""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from typer.testing import CliRunner

from carrefour.bootstrap import Hub
from carrefour.cli.main import app as cli_app
from tests.e2e import test_mutual_tls as mtls
from tests.e2e.test_mutual_tls import Served, _issue, _write
from tests.gateway.test_connector import (
    CPAS,
    PATH,
    SSIN,
    envelope,
    reasons,
    reply_of,
    return_code,
    ssdn,
)

served = mtls.served  # the real server with mutual TLS, on both databases
SOAP = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'}


def _cpas_certificate(served: Served) -> None:
    ca_cert = x509.load_pem_x509_certificate((served.directory / "ca.pem").read_bytes())
    ca_key = serialization.load_pem_private_key(
        (served.directory / "ca.key").read_bytes(), password=None
    )
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    _write(served.directory, "cpas", _issue("cpas-bruxelles client", (ca_cert, ca_key)))


def test_a_centre_is_recognised_by_its_registered_client_certificate(
    served: Served, hub: Hub, database_url: str
) -> None:
    _cpas_certificate(served)
    registered = CliRunner().invoke(
        cli_app,
        ["institutions", "gateway", CPAS, "--certificate", str(served.directory / "cpas.pem")],
        env={"CARREFOUR_DATABASE_URL": database_url},
    )
    assert registered.exit_code == 0, registered.output
    assert "CN=cpas-bruxelles client" in registered.output
    with served.client("cpas") as client:
        response = client.post(PATH, content=envelope(ssdn(reference="tls-1")), headers=SOAP)
    assert response.status_code == 200, response.text
    reply = reply_of(response)
    assert return_code(reply) == "0", reasons(reply)
    with hub.uow() as uow:
        lines = [line for line in uow.directory.lines_of(SSIN) if line.institution == CPAS]
        uow.commit()
    assert len(lines) == 1
    # One mapping: the same certificate stands for the centre on the REST API too.
    with served.client("cpas") as client:
        mine = client.get(f"/v1/directory/{SSIN}")
    assert mine.status_code == 200, mine.text
    assert CPAS in mine.text


def test_an_unregistered_client_certificate_gets_the_unknown_caller_fault(
    served: Served, hub: Hub
) -> None:
    with served.client("stranger") as client:
        response = client.post(PATH, content=envelope(ssdn(reference="tls-2")), headers=SOAP)
    assert response.status_code == 500
    assert b"unknown-caller" in response.content
    with hub.uow() as uow:
        assert uow.directory.lines_of(SSIN) == []
        uow.commit()
