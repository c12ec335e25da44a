"""SOAP 1.1 for the classic connector: read an envelope's ``sendXML/xmlString``, write the reply
envelope and the faults, serve the WSDL.

Every document is parsed by ``parse_document``: no DTD (a SOAP message must not carry one, and that
refuses entity-expansion bombs and external entities outright), no entity resolution, no network,
libxml2's default size limits. A fault names its reason with a stable code
(``urn:carrefour:problem:<code>`` in the fault's detail).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Final

from lxml import etree

SOAP_ENV: Final = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12_ENV: Final = "http://www.w3.org/2003/05/soap-envelope"
CONNECTOR_NS: Final = "http://ksz-bcss.fgov.be/connectors/WebServiceConnector"
PROBLEM_NS: Final = "urn:carrefour:problem"
PROBLEM_TYPE_PREFIX: Final = "urn:carrefour:problem:"


class SoapFault(Exception):
    """A request the connector answers with a SOAP fault. ``code`` is the stable reason
    (``not-xml``, ``not-soap``, ``no-xml-string``, ``dtd-forbidden``, ``body-too-large``,
    ``unknown-caller``); ``fault_code`` the SOAP 1.1 fault code (``Client``,
    ``VersionMismatch``)."""

    def __init__(self, code: str, message: str, *, fault_code: str = "Client") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.fault_code = fault_code


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_pis=True,
    )


def parse_document(data: bytes | str, *, what: str) -> etree._Element:
    """The document element of ``data``; ``SoapFault`` ``not-xml`` or ``dtd-forbidden``."""
    if isinstance(data, str):
        text = data.lstrip()
        if text.startswith("<?xml"):
            # A declaration in a string names an encoding that no longer applies.
            text = text[text.find("?>") + 2 :] if "?>" in text else text
        data = text.encode("utf-8")
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as error:
        raise SoapFault("not-xml", f"{what} is not well-formed XML: {error}") from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise SoapFault(
            "dtd-forbidden",
            f"{what} carries a document type declaration (DTD); entities and DTDs are refused",
        )
    return root


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def read_xml_string(body: bytes) -> str:
    """The ``xmlString`` of a SOAP 1.1 ``sendXML`` request, as text."""
    root = parse_document(body, what="the request body")
    if root.tag == f"{{{SOAP12_ENV}}}Envelope":
        raise SoapFault(
            "soap-version",
            "this connector speaks SOAP 1.1 (namespace " + SOAP_ENV + "), not SOAP 1.2",
            fault_code="VersionMismatch",
        )
    if root.tag != f"{{{SOAP_ENV}}}Envelope":
        raise SoapFault(
            "not-soap",
            f"the document element is {_local(root.tag)!r}, not a SOAP 1.1 Envelope ({SOAP_ENV})",
        )
    soap_body = root.find(f"{{{SOAP_ENV}}}Body")
    if soap_body is None:
        raise SoapFault("not-soap", "the SOAP Envelope has no Body")
    operation = next((child for child in soap_body if _local(child.tag) == "sendXML"), None)
    if operation is None:
        names = ", ".join(_local(child.tag) for child in soap_body) or "nothing"
        raise SoapFault(
            "no-xml-string", f"the SOAP Body holds {names}; expected sendXML with an xmlString"
        )
    carrier = next((child for child in operation if _local(child.tag) == "xmlString"), None)
    if carrier is None:
        raise SoapFault("no-xml-string", "sendXML has no xmlString element")
    inner = next(iter(carrier), None)
    if inner is not None and isinstance(inner.tag, str):
        # Some clients put the document itself, not its text, in xmlString.
        return etree.tostring(inner, encoding="unicode")
    if not (carrier.text or "").strip():
        raise SoapFault("no-xml-string", "xmlString is empty")
    return carrier.text or ""


def _envelope() -> tuple[etree._Element, etree._Element]:
    envelope = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soapenv": SOAP_ENV})
    body = etree.SubElement(envelope, f"{{{SOAP_ENV}}}Body")
    return envelope, body


def reply_envelope(xml_string: str) -> bytes:
    """The SOAP response whose ``sendXMLResponse/xmlString`` carries ``xml_string``."""
    envelope, body = _envelope()
    response = etree.SubElement(
        body, f"{{{CONNECTOR_NS}}}sendXMLResponse", nsmap={"con": CONNECTOR_NS}
    )
    etree.SubElement(response, f"{{{CONNECTOR_NS}}}xmlString").text = xml_string
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


def fault_envelope(fault: SoapFault) -> bytes:
    """A SOAP 1.1 Fault: ``soapenv:Client`` (or another code), the message, and the stable reason
    in ``detail/cf:problem``."""
    envelope, body = _envelope()
    element = etree.SubElement(body, f"{{{SOAP_ENV}}}Fault")
    etree.SubElement(element, "faultcode").text = f"soapenv:{fault.fault_code}"
    etree.SubElement(element, "faultstring").text = fault.message
    detail = etree.SubElement(element, "detail")
    etree.SubElement(detail, f"{{{PROBLEM_NS}}}problem", nsmap={"cf": PROBLEM_NS}).text = (
        PROBLEM_TYPE_PREFIX + fault.code
    )
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


@dataclass(frozen=True)
class Wsdl:
    """The connector's WSDL, with the address it is served from."""

    template: str

    @classmethod
    def packaged(cls) -> Wsdl:
        path = resources.files("carrefour") / "data" / "gateway.wsdl"
        return cls(path.read_text(encoding="utf-8"))

    def at(self, location: str) -> bytes:
        escaped = location.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
        return self.template.replace("{location}", escaped).encode("utf-8")
