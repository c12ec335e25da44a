"""Real SOAP clients against a running server: zeep loads the served WSDL."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
import zeep
from lxml import etree

from carrefour.adapters.xml.ssdn import ssdn_schema
from carrefour.api.app import create_app
from carrefour.bootstrap import Hub
from carrefour.services.gateway import register_client
from tests.gateway.test_connector import CPAS, PATH, SSIN, C, S, ssdn


@pytest.fixture
def server(hub: Hub) -> Iterator[str]:
    with hub.uow() as uow:
        register_client(uow, institution=CPAS, allow=["127.0.0.1/32"])
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(create_app(hub), host="127.0.0.1", port=port, log_level="warning")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    while not running.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(timeout=10)


def test_zeep_registers_lists_and_unregisters_a_person(server: str, hub: Hub) -> None:
    client = zeep.Client(f"{server}{PATH}?wsdl")
    codes = []
    for reference, action in [("z1", "REGISTER"), ("z2", "LIST"), ("z3", "UNREGISTER")]:
        text = client.service.sendXML(ssdn(reference=reference, action=action))
        reply = etree.fromstring(text.encode())
        assert ssdn_schema().validate(reply), ssdn_schema().error_log
        codes.append(reply.findtext(f"{S}ReplyContext/{C}ResultSummary/{C}ReturnCode"))
        if action == "LIST":
            assert len(reply.findall(".//{*}Registrations")) == 1
    assert codes == ["0", "0", "0"]
    with hub.uow() as uow:
        assert uow.directory.lines_of(SSIN) == []
