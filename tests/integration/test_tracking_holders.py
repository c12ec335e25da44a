"""Tracking files by holder, on SQLite and PostgreSQL: a CAS's entries go to INASTI's file, and
the chains written before, in the CAS's own file, still verify beside them."""

from __future__ import annotations

from datetime import date

from carrefour.bootstrap import Hub
from carrefour.domain.messages import Message, TrackingEntry, payload_digest
from carrefour.services.tracking import verify
from carrefour.services.vouchers import submit_voucher
from tests.support import make_niss


def test_a_chain_written_under_the_cas_itself_still_verifies_beside_inastis_file(
    hub: Hub,
) -> None:
    niss = make_niss()
    payload = {"niss": niss, "kind": "self-employed", "period": "2023"}
    with hub.uow() as uow:  # an entry as it was written before the holders: in the CAS's file
        now = uow.clock.now()
        uow.messages.add(
            Message("old-1", "contribution-voucher", "cas-acerta", niss, date(2023, 1, 1),
                    "2023", payload, now)
        )  # fmt: skip
        uow.tracking.append(
            [
                TrackingEntry("old-1", "contribution-voucher", "cas-acerta", "paper", niss,
                              date(2023, 1, 1), None, now, "paper", "", holder="cas-acerta",
                              payload_digest=payload_digest(payload))
            ]
        )  # fmt: skip
        uow.commit()
    with hub.uow() as uow:
        outcome = submit_voucher(
            uow,
            caller=hub.catalogue.institution("cas-acerta"),
            data={"kind": "self-employed", "niss": niss, "period": "2024", "ct1": "410",
                  "ct2": "460", "cas": "cas-acerta", "contributor_category": "A",
                  "quarters": ["in-order"] * 4},
            renderer=hub.renderer,
        )  # fmt: skip

    with hub.uow() as uow:
        entries = uow.tracking.select(niss=niss)
        report = verify(uow)
    holders = {(e.message_id, e.holder) for e in entries}
    assert ("old-1", "cas-acerta") in holders
    assert (outcome.message_id, "inasti") in holders
    assert report.broken is None
