"""Shared set-up of the messaging tests: integrated persons and INASTI start messages."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from carrefour.bootstrap import Hub
from carrefour.domain.routing import Recipient, recipients
from carrefour.services.directory import Integrate, integrate
from carrefour.services.messages import publish
from tests.support import make_niss

START = "self-employed-start"


def integrated(hub: Hub, *institutions: str) -> str:
    """A new person integrated (capacity 001, phase 1, since 2024) by each of ``institutions``."""
    niss = make_niss()
    with hub.uow() as uow:
        for institution in institutions:
            integrate(
                uow,
                caller=hub.catalogue.institution(institution),
                command=Integrate(niss=niss, capacity="001", phase=1, begin=date(2024, 1, 1)),
            )
        uow.commit()
    return niss


def routed(hub: Hub, niss: str) -> list[Recipient]:
    """The recipients routing finds today for INASTI's start message about ``niss``."""
    with hub.uow() as uow:
        return recipients(
            START,
            uow.directory.lines_of(niss),
            hub.clock.today(),
            catalogue=hub.catalogue,
            exclude=("inasti",),
        )


def publish_start(
    hub: Hub,
    niss: str,
    *,
    payload: Mapping[str, Any] | None = None,
    found: list[Recipient] | None = None,
) -> str:
    """INASTI's start message about ``niss`` to ``found`` (default: whoever routing finds)."""
    found = routed(hub, niss) if found is None else found
    assert found, "the person must have a recipient"
    with hub.uow() as uow:
        message = publish(
            uow,
            flow=START,
            sender="inasti",
            niss=niss,
            payload=payload or {"niss": niss, "begin": "2025-06-01", "contributor_category": "A"},
            recipients=found,
            event_date=date(2025, 6, 1),
        )
        uow.commit()
    return message.id
