"""The classic connector answers SOAP sendXML calls of a registered CPAS over the directory."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from xml.sax.saxutils import escape

import pytest
from fastapi.testclient import TestClient
from lxml import etree

from carrefour.adapters.xml.ssdn import ssdn_schema
from carrefour.api.app import create_app
from carrefour.bootstrap import Hub
from carrefour.services.gateway import register_client

PATH = "/connectors/webservice/KSZBCSSWebServiceConnectorPort"
CPAS = "cpas-bruxelles"
SSIN = "68060105329"
S = "{http://www.ksz-bcss.fgov.be/XSD/SSDN/Service}"
C = "{http://www.ksz-bcss.fgov.be/XSD/SSDN/Common}"


def ssdn(
    *,
    reference: str = "ref-1",
    action: str = "REGISTER",
    ssin: str = SSIN,
    purpose: str = "<mar:Purpose>2</mar:Purpose>",
    org_unit: str = "1999003615",
    birth_date: str = "1968-06-01",
    service: str = "OCMWCPASManageAccess",
) -> str:
    return f"""<ssdn:SSDNRequest xmlns:ssdn="http://www.ksz-bcss.fgov.be/XSD/SSDN/Service"
 xmlns:com="http://www.ksz-bcss.fgov.be/XSD/SSDN/Common"
 xmlns:mar="http://www.ksz-bcss.fgov.be/XSD/SSDN/OCMW_CPAS/ManageAccess">
<ssdn:RequestContext><ssdn:AuthorizedUser><ssdn:UserID>00901732883</ssdn:UserID>
<ssdn:Email>info@cpas.example</ssdn:Email><ssdn:OrgUnit>{org_unit}</ssdn:OrgUnit>
<ssdn:MatrixID>17</ssdn:MatrixID><ssdn:MatrixSubID>1</ssdn:MatrixSubID></ssdn:AuthorizedUser>
<ssdn:Message><ssdn:Reference>{reference}</ssdn:Reference>
<ssdn:TimeRequest>20250602T090000</ssdn:TimeRequest></ssdn:Message></ssdn:RequestContext>
<ssdn:ServiceRequest><ssdn:ServiceId>{service}</ssdn:ServiceId><ssdn:Version>20050930</ssdn:Version>
<mar:ManageAccessRequest><mar:SSIN>{ssin}</mar:SSIN>{purpose}
<mar:Period><com:StartDate>2025-01-01</com:StartDate></mar:Period><mar:Action>{action}</mar:Action>
<mar:ProofOfAuthentication><mar:PersonData><mar:LastName>Dupont</mar:LastName>
<mar:BirthDate>{birth_date}</mar:BirthDate></mar:PersonData></mar:ProofOfAuthentication>
</mar:ManageAccessRequest></ssdn:ServiceRequest></ssdn:SSDNRequest>"""


def envelope(xml: str) -> bytes:
    return f"""<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"
 xmlns:web="http://ksz-bcss.fgov.be/connectors/WebServiceConnector"><soapenv:Body>
<web:sendXML><web:xmlString>{escape(xml)}</web:xmlString></web:sendXML>
</soapenv:Body></soapenv:Envelope>""".encode()


@pytest.fixture
def soap(hub: Hub) -> Iterator[TestClient]:
    with hub.uow() as uow:
        register_client(uow, institution=CPAS, allow=["127.0.0.0/8"])
    with TestClient(create_app(hub), client=("127.0.0.1", 50000)) as client:
        yield client


def reply_of(response: object) -> etree._Element:
    root = etree.fromstring(response.content)  # type: ignore[attr-defined]
    text = root.find(".//{http://ksz-bcss.fgov.be/connectors/WebServiceConnector}xmlString").text
    reply = etree.fromstring(text.encode())
    assert ssdn_schema().validate(reply), ssdn_schema().error_log
    return reply


def return_code(reply: etree._Element) -> str:
    return str(reply.findtext(f"{S}ReplyContext/{C}ResultSummary/{C}ReturnCode"))


def reasons(reply: etree._Element) -> list[str]:
    return [str(x.text) for x in reply.iter(f"{C}ReasonCode")]


def test_a_register_through_the_connector_is_visible_in_the_rest_directory(
    soap: TestClient, credential: Callable[[str], dict[str, str]]
) -> None:
    reply = reply_of(soap.post(PATH, content=envelope(ssdn())))
    assert return_code(reply) == "0"
    ticket = reply.findtext(f"{S}ReplyContext/{S}Message/{S}Ticket")
    lines = soap.get(f"/v1/directory/{SSIN}", headers=credential(CPAS)).json()["items"]
    assert [(x["capacity"], x["begin"]) for x in lines] == [("002", "2025-01-01")]
    journal = soap.get(f"/v1/gateway/requests/{ticket}", headers=credential(CPAS)).json()
    assert journal["return_code"] == 0
    assert journal["niss"] == SSIN


def test_the_same_reference_gets_the_first_reply_and_ticket(soap: TestClient) -> None:
    first = soap.post(PATH, content=envelope(ssdn())).content
    again = soap.post(PATH, content=envelope(ssdn())).content
    assert first == again


def test_register_overlapping_an_existing_registration_is_an_error(soap: TestClient) -> None:
    soap.post(PATH, content=envelope(ssdn(reference="a")))
    reply = reply_of(soap.post(PATH, content=envelope(ssdn(reference="b"))))
    assert return_code(reply) == "10000"
    assert "overlapping-integration" in reasons(reply)


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"org_unit": "0403019261"}, "caller-mismatch"),
        ({"birth_date": "1970-06-01"}, "birth-date-mismatch"),
        ({"ssin": "123"}, "invalid-document"),
        ({"ssin": "12345678901"}, "invalid-niss"),
        ({"purpose": ""}, "missing-purpose"),
        ({"service": "OCMWCPASUnknown"}, "unknown-service"),
    ],
)
def test_a_bad_request_gets_its_reason_and_writes_nothing(
    soap: TestClient,
    hub: Hub,
    overrides: dict[str, str],
    reason: str,
) -> None:
    reply = reply_of(soap.post(PATH, content=envelope(ssdn(**overrides))))
    assert return_code(reply) == "10000"
    assert reason in reasons(reply)
    with hub.uow() as uow:
        assert uow.directory.lines_of(SSIN) == []


BOMB = """<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">
<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><lolz>&lol2;</lolz>"""


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"this is not xml", "not-xml"),
        (b"<order><item/></order>", "not-soap"),
        (
            b'<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">'
            b"<soapenv:Body><other/></soapenv:Body></soapenv:Envelope>",
            "no-xml-string",
        ),
        (BOMB.encode(), "dtd-forbidden"),
    ],
)
def test_what_is_not_a_soap_call_gets_a_fault(soap: TestClient, body: bytes, code: str) -> None:
    response = soap.post(PATH, content=body)
    assert response.status_code == 500
    assert f"urn:carrefour:problem:{code}".encode() in response.content


def test_a_10_mb_body_is_refused_unread(soap: TestClient) -> None:
    response = soap.post(PATH, content=b" " * (10 * 1024 * 1024))
    assert response.status_code == 413
    assert b"urn:carrefour:problem:body-too-large" in response.content


def test_the_wsdl_names_this_server(soap: TestClient) -> None:
    response = soap.get(PATH + "?wsdl")
    assert b'location="http://testserver' + PATH.encode() in response.content
