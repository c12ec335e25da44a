"""The tracking entry's format: its holder, the digest of its message's payload, and a hash an
auditor recomputes from the documented bytes."""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import text

from carrefour.bootstrap import Hub
from carrefour.domain.messages import tracking_holder
from carrefour.services.tracking import verify
from tests.integration.messaging import integrated, publish_start


def test_an_entry_carries_its_holder_and_its_payload_digest_and_its_hash_is_recomputable(
    hub: Hub,
) -> None:
    payload = {"kind": "start", "remark": "café", "amount": 12}
    niss = integrated(hub, "mut-100")
    message_id = publish_start(hub, niss, payload=payload)
    with hub.uow() as uow:
        [entry] = [e for e in uow.tracking.select(niss=niss) if e.message_id == message_id]
    assert entry.holder == tracking_holder(hub.catalogue, "inasti") == "inasti"
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert entry.payload_digest == hashlib.sha256(canonical.encode()).hexdigest()
    # The bytes docs/formats.md gives, recomputed by hand: an auditor needs nothing else.
    fields = [
        "carrefour-tracking-2",
        entry.holder,
        entry.message_id,
        entry.flow,
        entry.emitter,
        entry.recipient,
        entry.niss,
        entry.event_date.isoformat() if entry.event_date else "",
        entry.rule_id or "",
        entry.sent_at.isoformat(timespec="microseconds"),
        entry.status,
        entry.payload_digest,
    ]
    digest = hashlib.sha256("\x1f".join(fields).encode()).hexdigest()
    assert entry.hash == hashlib.sha256((entry.prev_hash + digest).encode()).hexdigest()


def test_verify_names_a_message_whose_stored_payload_was_edited(hub: Hub) -> None:
    niss = integrated(hub, "mut-100")
    publish_start(hub, niss)
    edited = publish_start(hub, niss, payload={"kind": "start", "amount": 1})
    publish_start(hub, niss)
    with hub.uow() as uow:
        assert verify(uow).broken is None
    with hub.engine.begin() as conn:  # messages are not append-only: anyone could edit one
        conn.execute(
            text("UPDATE messages SET payload = :p WHERE id = :id"),
            {"p": json.dumps({"kind": "start", "amount": 1000}), "id": edited},
        )
    with hub.uow() as uow:
        broken = verify(uow).broken
    assert broken is not None
    assert broken.message_id == edited
    assert broken.emitter == "inasti"
    assert "payload was edited" in broken.reason
