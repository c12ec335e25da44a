"""API schemas, separate from tables and domain objects."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictInt

from carrefour.domain.catalogue import Institution
from carrefour.domain.directory import IntegrationLine
from carrefour.domain.messages import AckResult
from carrefour.services.tracking import TrackedMessage

T = TypeVar("T")

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date_only(value: Any) -> Any:
    """A date is written ``YYYY-MM-DD``: an integer (seconds since 1970 to Pydantic) or any
    other spelling is refused, so the schema's ``format: date`` is all the validator takes."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        return value
    raise ValueError("a date is a string YYYY-MM-DD")


#: A calendar date as the API takes it: ``"2025-01-31"``, nothing else.
Day = Annotated[date, BeforeValidator(_iso_date_only)]


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


class InstitutionRead(BaseModel):
    id: str
    name_fr: str
    name_nl: str
    sector: int
    institution_type: int
    enterprise_number: str
    network_number: str | None
    placeholder: bool

    model_config = ConfigDict(from_attributes=True)

    @classmethod
    def of(cls, institution: Institution) -> InstitutionRead:
        return cls.model_validate(institution)


class IntegrationCreate(BaseModel):
    """Form I605. ``capacity`` is a 3-digit code of the caller's sector (``"001"``)."""

    model_config = ConfigDict(extra="forbid")

    capacity: str = Field(examples=["001"])
    phase: StrictInt = Field(default=1, ge=0, le=99)
    begin: Day
    end: Day | None = None


class IntegrationEnd(BaseModel):
    """Form S607: end the line on ``end``, or cut ``cut_begin``..``cut_end`` out of it."""

    model_config = ConfigDict(extra="forbid")

    end: Day | None = None
    cut_begin: Day | None = None
    cut_end: Day | None = None


class IntegrationRead(BaseModel):
    id: str
    niss: str
    institution: str
    capacity: str
    phase: int
    begin: date
    end: date | None

    @classmethod
    def of(cls, line: IntegrationLine) -> IntegrationRead:
        return cls(
            id=line.id,
            niss=line.niss,
            institution=line.institution,
            capacity=line.capacity,
            phase=line.phase,
            begin=line.period.begin,
            end=line.period.end,
        )


class Health(BaseModel):
    status: str
    database: str
    time: datetime
    version: str


class AckCreate(BaseModel):
    """An answer on a message of the caller's mailbox.

    ``reason`` is required for ``reject`` and ``wrongly-handled``; ``correct_niss`` (the person's
    NISS as the mutualities know it) for ``correction`` and only there; ``period`` only for
    ``resend``, to replay only the vouchers of that period (as written on them: ``2025Q1``,
    ``2024``, ``2025-03``...)."""

    model_config = ConfigDict(extra="forbid")

    message_id: str
    result: AckResult
    reason: str | None = Field(default=None, max_length=500)
    correct_niss: str | None = Field(default=None, max_length=32)
    period: str | None = Field(default=None, max_length=32)


class AckRead(BaseModel):
    """What the answer did. ``answer_id`` is the message the answer sent (``answer``,
    ``identification-correction`` or ``resend-request``), if any; ``notified`` the institutions
    that message went to; ``rerouted`` the new vouchers sent for the corrected NISS; ``replayed``
    the messages a resend put back in the caller's mailbox, under their original ids."""

    message_id: str
    status: str
    answer_id: str | None
    repeated: bool
    notified: list[str] = Field(default_factory=list)
    rerouted: list[str] = Field(default_factory=list)
    replayed: list[str] = Field(default_factory=list)


class TrackingRead(BaseModel):
    position: int | None
    message_id: str
    flow: str
    emitter: str
    recipient: str
    niss: str
    event_date: date | None
    deliberation: str | None
    sent_at: datetime
    status: str
    delivery_status: str | None
    hash: str

    @classmethod
    def of(cls, tracked: TrackedMessage) -> TrackingRead:
        e = tracked.entry
        return cls(
            position=e.position,
            message_id=e.message_id,
            flow=e.flow,
            emitter=e.emitter,
            recipient=e.recipient,
            niss=e.niss,
            event_date=e.event_date,
            deliberation=e.rule_id,
            sent_at=e.sent_at,
            status=e.status,
            delivery_status=tracked.delivery_status,
            hash=e.hash,
        )


# --- what the validators enforce, said in the OpenAPI -------------------------------------------
# Pydantic writes a NISS, a quarter or a cursor as a bare string. The validators enforce more; the
# schema says it, so that data generated from the schema (schemathesis's positive tests) is data
# the hub accepts. What JSON Schema cannot say is named by a ``format`` of our own, documented in
# its description, for which a generator registers a strategy (.ci/fuzz_hooks.py):
# - ``niss``: 11 digits whose last two are the mod-97 check of the first nine (with a 2 before
#   them for persons born from 2000);
# - ``cursor``: a ``next_cursor`` the same list returned (opaque: nothing else is one).

#: Request fields and parameters that hold a NISS.
NISS_NAMES = frozenset({"niss", "correct_niss"})
#: Query parameters that take a ``next_cursor``.
CURSOR_NAMES = frozenset({"after", "cursor", "before"})
#: Request fields and parameters that hold a quarter.
QUARTER_NAMES = frozenset({"quarter"})

NISS_PATTERN = r"^[0-9]{11}$"
QUARTER_PATTERN = r"^[0-9]{4}Q[1-4]$"
_DECLARED: dict[str, dict[str, Any]] = {
    **{
        name: {
            "pattern": NISS_PATTERN,
            "format": "niss",
            "description": "a NISS: 11 digits, the last two the mod-97 check of the first nine",
            "examples": ["68060105329"],
        }
        for name in NISS_NAMES
    },
    **{
        name: {
            "format": "cursor",
            "description": "the next_cursor of the previous page (nothing else is one)",
        }
        for name in CURSOR_NAMES
    },
    **{
        name: {"pattern": QUARTER_PATTERN, "description": "a quarter: YYYYQn, e.g. 2025Q1"}
        for name in QUARTER_NAMES
    },
}


def _declare(schema: dict[str, Any], name: str) -> None:
    """Add what the validator of ``name`` enforces to its string schema (or the string branch of
    an optional one)."""
    declared = _DECLARED.get(name)
    if declared is None:
        return
    for branch in schema.get("anyOf", [schema]):
        if branch.get("type") == "string":
            branch.update(declared)


def _request_models(schema: dict[str, Any]) -> set[str]:
    names = set()
    for item in schema.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            for content in operation.get("requestBody", {}).get("content", {}).values():
                ref = str(content.get("schema", {}).get("$ref", ""))
                if ref.startswith("#/components/schemas/"):
                    names.add(ref.rsplit("/", 1)[1])
    return names


def declare_validation(schema: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI ``schema`` with the patterns and formats of NISS, quarters and cursors on
    every parameter and request field that takes one (in place; returned for chaining)."""
    for item in schema.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                _declare(parameter.get("schema", {}), str(parameter.get("name")))
    components = schema.get("components", {}).get("schemas", {})
    for model in _request_models(schema):
        for name, field in components.get(model, {}).get("properties", {}).items():
            _declare(field, name)
    return schema


def document_validation(app: Any) -> None:
    """Make ``app``'s OpenAPI say what the validators enforce (``declare_validation``)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        return declare_validation(generate())  # idempotent: the schema is generated once

    app.openapi = openapi
