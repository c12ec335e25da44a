"""The classic BCSS web-service connector (SOAP 1.1 ``sendXML``) and its request journal.

``POST /connectors/webservice/KSZBCSSWebServiceConnectorPort`` answers existing BCSS clients as
they are; ``GET`` on the same path (``?wsdl``) serves the WSDL with this server's address.
``GET /v1/gateway/requests/{ticket}`` shows the caller a request it sent, with the reply.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from carrefour.adapters.xml.soap import (
    SoapFault,
    Wsdl,
    fault_envelope,
    read_xml_string,
    reply_envelope,
)
from carrefour.api.deps import CallerDep, HubDep, UowDep
from carrefour.domain.catalogue import Institution
from carrefour.domain.errors import Unauthenticated
from carrefour.services import gateway

PATH = "/connectors/webservice/KSZBCSSWebServiceConnectorPort"
XML = "text/xml; charset=utf-8"
WSDL = Wsdl.packaged()

connector = APIRouter(tags=["gateway"])
journal = APIRouter(prefix="/v1/gateway", tags=["gateway"])


def _fault(fault: SoapFault, status: int = 500) -> Response:
    """SOAP 1.1 over HTTP answers a fault with status 500 (413 for a body refused unread)."""
    return Response(fault_envelope(fault), status_code=status, media_type=XML)


def _peer_certificate(scope: MutableMapping[str, Any]) -> str | None:
    """The client certificate (PEM) of a mutual-TLS connection, from the ASGI ``tls``
    extension, when the server provides it."""
    tls = (scope.get("extensions") or {}).get("tls") or {}
    chain = tls.get("client_cert_chain") or []
    return str(chain[0]) if chain else None


@connector.get(PATH, include_in_schema=False)
async def wsdl(request: Request) -> Response:
    """The WSDL (``?wsdl``), its address the one it was asked at."""
    return Response(WSDL.at(str(request.url.replace(query=""))), media_type=XML)


@connector.post(PATH, include_in_schema=False)
async def send_xml(request: Request, hub: HubDep) -> Response:
    """One ``sendXML`` call: the ``SSDNReply`` in ``sendXMLResponse/xmlString``, or a fault.

    The database work runs in a worker thread: a call whose Reference is still in flight in
    another call waits for that answer (``services.gateway``), and that wait must not hold the
    event loop (every other request would wait with it)."""
    limit = hub.settings.gateway_max_body_bytes
    address = request.client.host if request.client else None
    certificate = _peer_certificate(request.scope)

    def identify() -> Institution | SoapFault:
        with hub.uow() as uow:
            try:
                caller = gateway.identify(uow, address=address, certificate_pem=certificate)
            except Unauthenticated as error:
                return SoapFault("unknown-caller", error.detail)
            uow.commit()
            return caller

    caller = await run_in_threadpool(identify)
    if isinstance(caller, SoapFault):
        return _fault(caller)
    declared = request.headers.get("content-length", "")
    body = bytearray()
    too_large = declared.isdigit() and int(declared) > limit
    if not too_large:
        async for chunk in request.stream():
            body += chunk
            if len(body) > limit:
                too_large = True
                break

    def answer(caller: Institution) -> Response:
        with hub.uow() as uow:
            try:
                if too_large:
                    raise SoapFault(
                        "body-too-large",
                        f"the request is larger than {limit} bytes; it was not read",
                    )
                xml = read_xml_string(bytes(body))
            except SoapFault as fault:
                gateway.record_fault(uow, caller=caller, reason=fault.code, detail=fault.message)
                return _fault(fault, 413 if fault.code == "body-too-large" else 500)
            reply = gateway.send_xml(uow, caller=caller, xml=xml, codec=hub.ssdn_codec)
        return Response(reply_envelope(reply), media_type=XML)

    return await run_in_threadpool(answer, caller)


class GatewayRequestRead(BaseModel):
    """A request sent to the connector, with its reply."""

    ticket: str
    caller: str
    reference: str | None
    service_id: str | None
    version: str | None
    action: str | None
    niss: str | None
    return_code: int | None
    received_at: datetime
    answered_at: datetime | None
    request_xml: str
    reply_xml: str | None


@journal.get("/requests/{ticket}", response_model=GatewayRequestRead)
async def show_request(ticket: str, uow: UowDep, caller: CallerDep) -> GatewayRequestRead:
    """The journal row of a ticket the caller received (request and reply XML, outcome)."""
    entry = gateway.journal_entry(uow, caller=caller, ticket=ticket)
    return GatewayRequestRead(
        ticket=entry.ticket,
        caller=entry.caller,
        reference=entry.reference,
        service_id=entry.service_id,
        version=entry.version,
        action=entry.action,
        niss=entry.niss,
        return_code=entry.return_code,
        received_at=entry.received_at,
        answered_at=entry.answered_at,
        request_xml=entry.request_xml,
        reply_xml=entry.reply_xml,
    )


router = APIRouter()
router.include_router(connector)
router.include_router(journal)
