"""SSDN documents: read an ``SSDNRequest`` (validated against the BCSS schemas packaged in
``carrefour/data/xsd``) into ``domain.gateway`` values, and write an ``SSDNReply``.

The schemas are the public ones the existing clients build their documents from
(``SSDN/Service``, ``SSDN/Common``, ``SSDN/OCMW_CPAS/ManageAccess``). They are loaded once, from
the package, with no network access; the ``xs:any`` of a ``ServiceRequest`` is ``lax``, so a
``ManageAccessRequest`` inside it is validated too.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Final

from lxml import etree

from carrefour.adapters.xml.soap import SoapFault, parse_document
from carrefour.domain.gateway import (
    AUTHOR,
    AuthorizedUser,
    Detail,
    InvalidDocument,
    ManageAccess,
    ManageAccessAction,
    ProofOfAuthentication,
    QueryRegister,
    ReturnCode,
    SsdnReply,
    SsdnRequest,
)

SERVICE_NS: Final = "http://www.ksz-bcss.fgov.be/XSD/SSDN/Service"
COMMON_NS: Final = "http://www.ksz-bcss.fgov.be/XSD/SSDN/Common"
MANAGE_ACCESS_NS: Final = "http://www.ksz-bcss.fgov.be/XSD/SSDN/OCMW_CPAS/ManageAccess"

_S = f"{{{SERVICE_NS}}}"
_C = f"{{{COMMON_NS}}}"
_M = f"{{{MANAGE_ACCESS_NS}}}"
_NAMESPACE = re.compile(r"\{[^}]*\}")
_ELEMENT = re.compile(r"Element '([^']+)'")

_ROOT_SCHEMA: Final = f"""<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:import namespace="{COMMON_NS}" schemaLocation="SSDN/Common/NamespaceRoot.xsd"/>
  <xs:import namespace="{SERVICE_NS}" schemaLocation="SSDN/Service/NamespaceRoot.xsd"/>
  <xs:import namespace="{MANAGE_ACCESS_NS}"
             schemaLocation="SSDN/OCMW_CPAS/ManageAccess/NamespaceRoot.xsd"/>
</xs:schema>"""


def xsd_directory() -> Path:
    return Path(str(resources.files("carrefour") / "data" / "xsd"))


@cache
def ssdn_schema() -> etree.XMLSchema:
    """SSDNRequest, SSDNReply, ManageAccessRequest and ManageAccessReply in one schema."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    base = xsd_directory().as_uri() + "/"
    root = etree.fromstring(_ROOT_SCHEMA.encode(), parser, base_url=base)
    return etree.XMLSchema(root)


def schema_errors(element: etree._Element) -> list[tuple[str, str]]:
    """(element name, message) of each schema error of ``element``, namespaces left out."""
    schema = ssdn_schema()
    if schema.validate(element):
        return []
    found = []
    for entry in schema.error_log:
        message = _NAMESPACE.sub("", entry.message)
        named = _ELEMENT.search(message)
        found.append((named.group(1) if named else "", message))
    return found


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else str(tag)


def _text(parent: etree._Element, path: str) -> str | None:
    found = parent.find(path)
    if found is None or found.text is None:
        return None
    return " ".join(found.text.split())


def _required(parent: etree._Element, path: str) -> str:
    value = _text(parent, path)
    if value is None:  # the schema makes it required: only a schema change gets here
        raise InvalidDocument(f"{path} is missing", reason="invalid-document", element=path)
    return value


def _int(value: str | None) -> int | None:
    return None if value is None else int(value)


def _manage_access(element: etree._Element) -> ManageAccess:
    period = element.find(f"{_M}Period")
    assert period is not None  # noqa: S101 - required by the schema, validated before
    end = _text(period, f"{_C}EndDate")
    register = _text(element, f"{_M}QueryRegister")
    person = element.find(f"{_M}ProofOfAuthentication/{_M}PersonData")
    proof_path = f"{_M}ProofOfAuthentication/"
    return ManageAccess(
        ssin=_required(element, f"{_M}SSIN"),
        purpose=_int(_text(element, f"{_M}Purpose")),
        begin=date.fromisoformat(_required(period, f"{_C}StartDate")[:10]),
        end=None if end is None else date.fromisoformat(end[:10]),
        action=ManageAccessAction(_required(element, f"{_M}Action")),
        sector=_int(_text(element, f"{_M}Sector")),
        query_register=None if register is None else QueryRegister(register),
        proof=ProofOfAuthentication(
            sis_card_number=_text(element, f"{proof_path}{_M}SISCardNumber"),
            identity_card_number=_text(element, f"{proof_path}{_M}IdentityCardNumber"),
            last_name=None if person is None else _text(person, f"{_M}LastName"),
            first_name=None if person is None else _text(person, f"{_M}FirstName"),
            birth_date=None if person is None else _text(person, f"{_M}BirthDate"),
        ),
    )


def parse_request(text: str) -> SsdnRequest:
    """The ``SSDNRequest`` carried by an ``xmlString``; ``InvalidDocument`` naming the element
    at fault otherwise."""
    try:
        root = parse_document(text, what="xmlString")
    except SoapFault as fault:
        raise InvalidDocument(fault.message, reason=fault.code, element="xmlString") from None
    if root.tag != f"{_S}SSDNRequest":
        name = _local(root.tag)
        raise InvalidDocument(
            f"xmlString holds a {name!r} document, not an SSDNRequest in {SERVICE_NS}",
            reason="not-ssdn-request",
            element=name,
        )
    errors = schema_errors(root)
    if errors:
        element, message = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise InvalidDocument(
            f"the SSDNRequest does not follow its schema: {message}{more}",
            reason="invalid-document",
            element=element,
        )
    requests = root.findall(f"{_S}ServiceRequest")
    if len(requests) != 1:
        raise InvalidDocument(
            f"the SSDNRequest holds {len(requests)} ServiceRequest elements; the hub answers one",
            reason="invalid-document",
            element="ServiceRequest",
        )
    service = requests[0]
    body = service[2]
    user = root.find(f"{_S}RequestContext/{_S}AuthorizedUser")
    assert user is not None  # noqa: S101 - required by the schema, validated above
    message = f"{_S}RequestContext/{_S}Message/"
    return SsdnRequest(
        user=AuthorizedUser(
            user_id=_required(user, f"{_S}UserID"),
            email=_required(user, f"{_S}Email"),
            org_unit=_text(user, f"{_S}OrgUnit"),
            matrix_id=int(_required(user, f"{_S}MatrixID")),
            matrix_sub_id=_int(_text(user, f"{_S}MatrixSubID")),
        ),
        reference=_text(root, f"{message}{_S}Reference"),
        time_request=_text(root, f"{message}{_S}TimeRequest"),
        service_id=_required(service, f"{_S}ServiceId"),
        version=_required(service, f"{_S}Version"),
        manage_access=_manage_access(body) if body.tag == f"{_M}ManageAccessRequest" else None,
        body_element=_local(body.tag),
    )


# --- writing --------------------------------------------------------------------------------

_OK = {ReturnCode.OK: "YES", ReturnCode.WARNING: "WARNING", ReturnCode.ERROR: "NO"}


def _add(parent: etree._Element, tag: str, text: str | None) -> None:
    if text is not None:
        etree.SubElement(parent, tag).text = text


def _summary(parent: etree._Element, code: ReturnCode, details: Sequence[Detail]) -> None:
    summary = etree.SubElement(parent, f"{_C}ResultSummary", ok=_OK[code])
    _add(summary, f"{_C}ReturnCode", str(int(code)))
    for item in details[:30]:
        detail = etree.SubElement(summary, f"{_C}Detail")
        _add(detail, f"{_C}Severity", item.severity.value)
        _add(detail, f"{_C}ReasonCode", item.reason_code)
        _add(detail, f"{_C}Diagnostic", item.diagnostic)
        _add(detail, f"{_C}AuthorCodeList", AUTHOR)
        if item.field_name is not None:
            information = etree.SubElement(detail, f"{_C}Information")
            _add(information, f"{_C}FieldName", item.field_name)
            _add(information, f"{_C}FieldValue", item.field_value)


def _period(parent: etree._Element, tag: str, begin: date, end: date | None) -> None:
    period = etree.SubElement(parent, tag)
    _add(period, f"{_C}StartDate", begin.isoformat())
    _add(period, f"{_C}EndDate", None if end is None else end.isoformat())


def _manage_access_reply(parent: etree._Element, reply: SsdnReply, ask: ManageAccess) -> None:
    root = etree.SubElement(parent, f"{_M}ManageAccessReply", nsmap={None: MANAGE_ACCESS_NS})
    original = etree.SubElement(root, f"{_M}OriginalRequest")
    _add(original, f"{_M}SSIN", ask.ssin)
    # [assumption] a LIST without Purpose echoes Purpose 0: the reply's schema requires one.
    _add(original, f"{_M}Purpose", str(ask.purpose or 0))
    _period(original, f"{_M}Period", ask.begin, ask.end)
    _add(original, f"{_M}Action", ask.action.value)
    if ask.action is ManageAccessAction.LIST:
        _add(original, f"{_M}Register", (ask.query_register or QueryRegister.PRIMARY).value)
    for registration in reply.registrations:
        line = etree.SubElement(root, f"{_M}Registrations")
        _add(line, f"{_M}Purpose", str(registration.purpose))
        _period(line, f"{_M}Period", registration.begin, registration.end)
        _add(line, f"{_M}OrgUnit", registration.org_unit)
        _add(line, f"{_M}Register", registration.register.value)


def render_reply(reply: SsdnReply) -> str:
    """The ``SSDNReply`` document, as text (what the reply's ``xmlString`` carries)."""
    root = etree.Element(f"{_S}SSDNReply", nsmap={"ssdn": SERVICE_NS, "common": COMMON_NS})
    context = etree.SubElement(root, f"{_S}ReplyContext")
    _summary(context, reply.return_code, [*reply.details, *reply.service_details])
    request = reply.request
    if request is not None:
        user = etree.SubElement(context, f"{_S}AuthorizedUser")
        _add(user, f"{_S}UserID", request.user.user_id)
        _add(user, f"{_S}Email", request.user.email)
        _add(user, f"{_S}OrgUnit", request.user.org_unit)
        _add(user, f"{_S}MatrixID", str(request.user.matrix_id))
        if request.user.matrix_sub_id is not None:
            _add(user, f"{_S}MatrixSubID", str(request.user.matrix_sub_id))
    message = etree.SubElement(context, f"{_S}Message")
    _add(message, f"{_S}Reference", None if request is None else request.reference)
    _add(message, f"{_S}Ticket", reply.ticket)
    _add(message, f"{_S}TimeRequest", None if request is None else request.time_request)
    _add(message, f"{_S}TimeReceive", reply.time_receive)
    _add(message, f"{_S}TimeResponse", reply.time_response)
    if request is not None and not reply.details:
        service = etree.SubElement(root, f"{_S}ServiceReply")
        code = reply.return_code
        _summary(service, code, reply.service_details)
        _add(service, f"{_S}ServiceId", request.service_id)
        _add(service, f"{_S}Version", request.version)
        if request.manage_access is not None:
            _manage_access_reply(service, reply, request.manage_access)
    return etree.tostring(root, encoding="unicode")


class LxmlSsdnCodec:
    """The SSDN documents read and written with lxml (the ``SsdnCodec`` port)."""

    def parse_request(self, text: str) -> SsdnRequest:
        return parse_request(text)

    def render_reply(self, reply: SsdnReply) -> str:
        return render_reply(reply)
