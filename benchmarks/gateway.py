"""REGISTER calls per second through the classic connector: ``python -m benchmarks.gateway``.

A fresh SQLite database, the hub served by uvicorn on a free 127.0.0.1 port, one client sending
``sendXML`` REGISTER requests for distinct persons one after the other over a kept-alive
connection (zeep-like envelopes). Not part of the main table."""

from __future__ import annotations

import socket
import sys
import tempfile
import threading
import time
from pathlib import Path
from xml.sax.saxutils import escape

import httpx
import uvicorn

from carrefour.api.app import create_app
from carrefour.bootstrap import bootstrap, upgrade_database
from carrefour.config import Settings
from carrefour.domain.identifiers import build_niss
from carrefour.services.gateway import register_client

PATH = "/connectors/webservice/KSZBCSSWebServiceConnectorPort"


def request(niss: str, reference: str) -> bytes:
    document = f"""<ssdn:SSDNRequest xmlns:ssdn="http://www.ksz-bcss.fgov.be/XSD/SSDN/Service"
 xmlns:com="http://www.ksz-bcss.fgov.be/XSD/SSDN/Common"
 xmlns:mar="http://www.ksz-bcss.fgov.be/XSD/SSDN/OCMW_CPAS/ManageAccess"><ssdn:RequestContext>
<ssdn:AuthorizedUser><ssdn:UserID>00901732883</ssdn:UserID><ssdn:Email>a@cpas.example</ssdn:Email>
<ssdn:OrgUnit>1999003615</ssdn:OrgUnit><ssdn:MatrixID>17</ssdn:MatrixID>
<ssdn:MatrixSubID>1</ssdn:MatrixSubID></ssdn:AuthorizedUser><ssdn:Message>
<ssdn:Reference>{reference}</ssdn:Reference></ssdn:Message></ssdn:RequestContext>
<ssdn:ServiceRequest><ssdn:ServiceId>OCMWCPASManageAccess</ssdn:ServiceId>
<ssdn:Version>20050930</ssdn:Version><mar:ManageAccessRequest><mar:SSIN>{niss}</mar:SSIN>
<mar:Purpose>2</mar:Purpose><mar:Period><com:StartDate>2025-01-01</com:StartDate></mar:Period>
<mar:Action>REGISTER</mar:Action><mar:ProofOfAuthentication><mar:SISCardNumber>1234567890
</mar:SISCardNumber></mar:ProofOfAuthentication></mar:ManageAccessRequest></ssdn:ServiceRequest>
</ssdn:SSDNRequest>"""
    return (
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:web="http://ksz-bcss.fgov.be/connectors/WebServiceConnector"><soapenv:Body>'
        f"<web:sendXML><web:xmlString>{escape(document)}</web:xmlString></web:sendXML>"
        "</soapenv:Body></soapenv:Envelope>"
    ).encode()


def main(calls: int = 500) -> float:
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(
            database_url=f"sqlite:///{Path(folder) / 'bench.db'}", run_worker_in_server=False
        )
        upgrade_database(settings)
        hub = bootstrap(settings)
        with hub.uow() as uow:
            register_client(uow, institution="cpas-bruxelles", allow=["127.0.0.1/32"])
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        server = uvicorn.Server(
            uvicorn.Config(create_app(hub), host="127.0.0.1", port=port, log_level="warning")
        )
        threading.Thread(target=server.run, daemon=True).start()
        while not server.started:
            time.sleep(0.05)
        bodies = [
            request(
                build_niss(
                    year=1960 + i % 40,
                    month=1 + i % 12,
                    day=1 + i % 28,
                    sequence=1 + i // 480 % 997,
                ),
                f"b{i}",
            )
            for i in range(calls)
        ]
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            started = time.perf_counter()
            for body in bodies:
                response = client.post(PATH, content=body)
                assert response.status_code == 200, response.content
            elapsed = time.perf_counter() - started
        server.should_exit = True
        hub.dispose()
    rate = calls / elapsed
    print(f"gateway REGISTER: {calls} calls in {elapsed:.2f} s = {rate:.0f} calls/s")
    return rate


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500)
