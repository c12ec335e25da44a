"""``/v1/corrections``: a mutuality corrects the identification of a voucher (seed 002)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from carrefour.api.deps import CallerDep, UowDep
from carrefour.services import mailboxes

router = APIRouter(prefix="/v1/corrections", tags=["mailbox"])


class CorrectionCreate(BaseModel):
    """The voucher, by ``message_id`` or by its paper's ``document_id`` (the PDF prints both),
    and the person's NISS as the mutualities know it."""

    model_config = ConfigDict(extra="forbid")

    message_id: str | None = Field(default=None, max_length=64)
    document_id: str | None = Field(default=None, max_length=64)
    correct_niss: str = Field(max_length=32)
    reason: str | None = Field(default=None, max_length=500)


class CorrectionRead(BaseModel):
    """What the correction did: ``correction_id`` the ``identification-correction`` message,
    ``notified`` who it reached, ``rerouted`` the voucher sent again under the new NISS (to
    ``recipients``), ``paper_closed`` whether a paper voucher thereby went electronically,
    ``a911_id`` the A911 update that told INAMI."""

    message_id: str
    document_id: str | None
    old_niss: str
    new_niss: str
    correction_id: str
    repeated: bool
    notified: list[str]
    rerouted: list[str]
    recipients: list[str]
    paper_closed: bool
    a911_id: str | None


_DESCRIPTION = """\
Seed 002: « Les mutualités qui reçoivent un tel bon de cotisation papier ne doivent pas seulement
traiter le contenu de ce bon; elles doivent avant tout vérifier l'identification correcte de la
personne en question. » (A mutuality that receives a paper voucher must first check the person's
identification.)

The caller tells the hub that the person the voucher names as NISS X is known to the mutualities
as ``correct_niss``. The voucher is routed under the new NISS to the mutualities that integrated
it (a paper voucher is closed, INAMI gets an A911 update marking it resolved); the emitter and
every institution that received the voucher under X get an ``identification-correction``. No
number is replaced in the registers: everyone keeps integrating X.

Problems: 404 ``not-found`` (no such voucher or paper document), 403 ``not-holder`` (the caller
neither received the voucher nor holds its paper; logged), 403 ``not-authorised`` (not a
mutuality nor INAMI's cell; logged), 409 ``already-corrected`` (the voucher was corrected to
another NISS: the problem names it), 422 ``invalid-niss`` / ``invalid-input``.
"""


@router.post("", response_model=CorrectionRead, description=_DESCRIPTION)
async def correct(body: CorrectionCreate, uow: UowDep, caller: CallerDep) -> CorrectionRead:
    """Correct the identification of a voucher received electronically or brought on paper."""
    done = mailboxes.correct_identification(
        uow,
        caller=caller,
        correct_niss=body.correct_niss,
        message_id=body.message_id,
        document_id=body.document_id,
        reason=body.reason,
    )
    return CorrectionRead(
        message_id=done.message_id,
        document_id=done.document_id,
        old_niss=done.old_niss,
        new_niss=done.new_niss,
        correction_id=done.correction_id,
        repeated=done.repeated,
        notified=list(done.notified),
        rerouted=list(done.rerouted),
        recipients=list(done.recipients),
        paper_closed=done.paper_closed,
        a911_id=done.a911_id,
    )
