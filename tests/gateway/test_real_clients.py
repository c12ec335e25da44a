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


PHP_CLIENT = r"""
$client = new SoapClient($argv[1], ['trace' => 1, 'cache_wsdl' => WSDL_CACHE_NONE]);
foreach (array_slice($argv, 2) as $document) {
    $answer = $client->sendXML(['xmlString' => $document]);
    echo base64_encode($answer->xmlString), "\n";
}
"""


def default_namespace(document: str) -> str:
    """The same SSDNRequest written with a default namespace instead of the ``ssdn:`` prefix."""
    return document.replace("xmlns:ssdn=", "xmlns=").replace("ssdn:", "")


def test_php_soapclient_registers_lists_and_unregisters_a_person(server: str, hub: Hub) -> None:
    import base64
    import os
    import shutil
    import subprocess

    php = shutil.which("php")
    if php is None:
        if os.environ.get("CI") == "true":
            pytest.fail("php is required under CI=true (.ci/run installs php-cli php-soap)")
        pytest.skip("php is not installed (apt-get install php-cli php-soap)")
    documents = [
        default_namespace(ssdn(reference=f"p{i}", action=action))
        for i, action in enumerate(["REGISTER", "LIST", "UNREGISTER"])
    ]
    done = subprocess.run(  # noqa: S603 - a fixed program and our own arguments
        [php, "-r", PHP_CLIENT, f"{server}{PATH}?wsdl", *documents],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    replies = [etree.fromstring(base64.b64decode(x)) for x in done.stdout.split()]
    for reply in replies:
        assert ssdn_schema().validate(reply), ssdn_schema().error_log
    codes = [r.findtext(f"{S}ReplyContext/{C}ResultSummary/{C}ReturnCode") for r in replies]
    assert codes == ["0", "0", "0"]
    with hub.uow() as uow:
        assert uow.directory.lines_of(SSIN) == []
