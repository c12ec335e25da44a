"""``/v1/documents``: the PDFs the hub produced (paper vouchers, provisional proofs)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from carrefour.api.deps import CallerDep, UowDep
from carrefour.services import person_page

router = APIRouter(prefix="/v1/documents", tags=["documents"])


@router.get(
    "/{document_id}",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "the PDF"}},
)
async def fetch(document_id: str, uow: UowDep, caller: CallerDep) -> Response:
    """The document, for its readers only (its sender, INAMI, the mutuality of a proof, and the
    hub itself); anyone else gets 404, as if it did not exist."""
    document = person_page.document(uow, caller=caller, document_id=document_id)
    return Response(
        content=document.content,
        media_type=document.media_type,
        headers={"Content-Disposition": f'inline; filename="{document.id}.pdf"'},
    )
