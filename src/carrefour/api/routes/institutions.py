"""``GET /v1/institutions``: the catalogue's institutions."""

from __future__ import annotations

from fastapi import APIRouter

from carrefour.api.deps import CallerDep, HubDep
from carrefour.api.schemas import InstitutionRead, Page

router = APIRouter(prefix="/v1/institutions", tags=["institutions"])


@router.get("", response_model=Page[InstitutionRead])
async def list_institutions(
    hub: HubDep, caller: CallerDep, sector: int | None = None
) -> Page[InstitutionRead]:
    institutions = sorted(hub.catalogue.institutions.values(), key=lambda i: i.id)
    items = [InstitutionRead.of(i) for i in institutions if sector is None or i.sector == sector]
    return Page[InstitutionRead](items=items)


@router.get("/{institution_id}", response_model=InstitutionRead)
async def get_institution(institution_id: str, hub: HubDep, caller: CallerDep) -> InstitutionRead:
    return InstitutionRead.of(hub.catalogue.institution(institution_id))
