"""INAMI's administrative cell (seed 002): the rules of a case's documents and interventions.

Seed 002: "Ces documents seront remis à une Cellule administrative auprès de l'INAMI qui les
examinera plus en détail; cette Cellule peut aussi intervenir auprès des émetteurs de messages."

- A **case document** is a PDF or an image (PNG, JPEG) the person brought: its type is read from
  its first bytes (the magic number), never from what the uploader declares, and it may not be
  larger than the hub's limit (``check_document``).
- An **intervention** asks an emitter to ``send``, ``correct`` or ``explain`` a voucher for the
  person and period; the emitter answers ``sent`` (naming the message it sent), ``corrected`` (the
  same) or ``no-obligation`` (with its reason) (``check_answer``).
- **States** of a case: ``open``, ``waiting-emitter`` (an intervention is unanswered),
  ``proof-issued``, ``closed`` (with an outcome) (``state_after``).

Standard library and ``carrefour.domain`` only.
"""

from __future__ import annotations

from collections.abc import Collection
from enum import StrEnum
from typing import Final, TypeVar

from carrefour.domain.errors import (
    Conflict,
    DocumentTooLarge,
    InvalidCode,
    InvalidInput,
    UnsupportedDocumentType,
)

__all__ = [
    "CLOSED",
    "OPEN",
    "PROOF_ISSUED",
    "WAITING_EMITTER",
    "Answer",
    "InterventionAction",
    "Outcome",
    "check_answer",
    "check_document",
    "check_open",
    "parse_enum",
    "sniff_media_type",
    "state_after",
]

E = TypeVar("E", bound=StrEnum)

OPEN: Final = "open"
WAITING_EMITTER: Final = "waiting-emitter"
PROOF_ISSUED: Final = "proof-issued"
CLOSED: Final = "closed"

#: The accepted document types, by the first bytes that identify them.
MAGIC: Final[tuple[tuple[bytes, str], ...]] = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)


class InterventionAction(StrEnum):
    """What the cell asks of an emitter about the person's voucher for the period."""

    SEND = "send"
    CORRECT = "correct"
    EXPLAIN = "explain"


class Answer(StrEnum):
    """How the emitter answers an intervention."""

    SENT = "sent"
    CORRECTED = "corrected"
    NO_OBLIGATION = "no-obligation"


class Outcome(StrEnum):
    """How the cell closes a case. [assumption] the list: not found in a public source."""

    IN_ORDER = "in-order"  # a voucher was sent or corrected: the person is in order
    PROVISIONAL_PROOF = "provisional-proof"  # a provisional proof stands for the period
    NOT_INSURED = "not-insured"  # no voucher was due: the person is not insured on this basis
    WITHDRAWN = "withdrawn"  # the mutuality withdrew its request


def parse_enum(kind: type[E], text: str, field: str) -> E:
    """The ``kind`` member spelled ``text``, or ``InvalidCode`` naming the valid values."""
    try:
        return kind(text)
    except ValueError:
        valid = [member.value for member in kind]
        raise InvalidCode(
            f"{field} {text!r} is not a valid value; valid values: {', '.join(valid)}",
            field=field,
            value=text,
            valid=valid,
        ) from None


def sniff_media_type(content: bytes) -> str | None:
    """The media type ``content`` starts like, among the accepted ones; ``None`` otherwise."""
    for magic, media_type in MAGIC:
        if content.startswith(magic):
            return media_type
    return None


def check_document(content: bytes, *, max_bytes: int, declared: str | None = None) -> str:
    """The media type of an uploaded case document, or the reason it is refused.

    ``DocumentTooLarge`` over ``max_bytes``; ``UnsupportedDocumentType`` when the bytes are no
    PDF, PNG or JPEG, or when they contradict the declared type (a PNG sent as a PDF)."""
    if len(content) > max_bytes:
        raise DocumentTooLarge(
            f"the document has {len(content)} bytes; the limit is {max_bytes} bytes",
            size=len(content),
            max_bytes=max_bytes,
        )
    if not content:
        raise InvalidInput("the document is empty", field="content")
    found = sniff_media_type(content)
    accepted = [media_type for _, media_type in MAGIC]
    if found is None:
        raise UnsupportedDocumentType(
            "the document is neither a PDF nor a PNG or JPEG image (its first bytes say so); "
            f"accepted types: {', '.join(accepted)}",
            declared=declared,
            accepted=accepted,
        )
    declared_type = (declared or "").split(";")[0].strip().lower()
    if declared_type not in ("", "application/octet-stream", found):
        raise UnsupportedDocumentType(
            f"the document is declared {declared_type} but its bytes are {found}",
            declared=declared_type,
            detected=found,
            accepted=accepted,
        )
    return found


def check_open(status: str, case_id: str) -> None:
    """``Conflict`` (reason ``case-closed``) when the case is closed: nothing more is added."""
    if status == CLOSED:
        raise Conflict(
            f"case {case_id} is closed; open a new case", reason="case-closed", case_id=case_id
        )


def check_answer(answer: Answer, *, message_id: str | None, reason: str | None) -> None:
    """``sent`` and ``corrected`` name the message the emitter sent; ``no-obligation`` says why."""
    if answer in (Answer.SENT, Answer.CORRECTED) and not message_id:
        raise InvalidInput(
            f"an answer {answer.value!r} names the message sent (message_id)", field="message_id"
        )
    if answer is Answer.NO_OBLIGATION and not (reason or "").strip():
        raise InvalidInput(
            "an answer 'no-obligation' says why no voucher was due (reason)", field="reason"
        )


def state_after(*, proofs_issued: bool, waiting: Collection[str]) -> str:
    """The state of an open case: ``waiting-emitter`` while an intervention is unanswered, then
    ``proof-issued`` once a provisional proof was issued, ``open`` otherwise."""
    if waiting:
        return WAITING_EMITTER
    return PROOF_ISSUED if proofs_issued else OPEN
