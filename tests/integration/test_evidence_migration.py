"""Upgrading a database that already holds answered mailbox rows: revision 0012 records each
row's state as the first entry of its holder's status chain, so verify holds from then on."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from sqlalchemy import insert, text

from carrefour.adapters.db import tables as t
from carrefour.adapters.db.engine import make_engine
from carrefour.adapters.db.migrate import alembic_config
from carrefour.bootstrap import bootstrap, upgrade_database
from carrefour.config import Settings
from carrefour.services.tracking import verify

AT = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def test_rows_answered_before_the_upgrade_start_their_status_chain(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    config = alembic_config(url)
    with engine.connect() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0006")
        conn.commit()
    with engine.begin() as conn:
        conn.execute(
            insert(t.institutions).values(
                id="mut-100", name_fr="m", name_nl="m", sector=11, institution_type=1,
                enterprise_number="0403019261", network_number=None, placeholder=True,
                push_endpoint=None, refreshed_at=AT,
            )
        )  # fmt: skip
        common = {
            "recipient": "mut-100", "niss": "68060105329", "flow": "self-employed-start",
            "sender": "inasti", "rule_id": "r", "fields": ["*"], "attempts": 0,
            "created_at": AT, "replay": 0,
        }  # fmt: skip
        conn.execute(
            insert(t.mailbox),
            [
                {**common, "message_id": "m1", "status": "accepted", "ack_result": "accept",
                 "delivered_at": AT, "acknowledged_at": AT},
                {**common, "message_id": "m2", "status": "queued", "ack_result": None,
                 "delivered_at": None, "acknowledged_at": None},
            ],
        )  # fmt: skip
    engine.dispose()

    settings = Settings(database_url=url, signing_key=tmp_path / "key")
    upgrade_database(settings)
    hub = bootstrap(settings)
    try:
        with hub.uow() as uow:
            entries = uow.evidence.select(holder="mut-100")
            assert [(e.message_id, e.status, e.event) for e in entries] == [
                ("m1", "accepted", "recorded")
            ]
            assert verify(uow, signer=hub.signer, journal=hub.journal).broken is None
        with hub.engine.begin() as conn:
            conn.execute(text("UPDATE mailbox SET status = 'rejected' WHERE message_id = 'm1'"))
        with hub.uow() as uow:
            broken = verify(uow, signer=hub.signer, journal=hub.journal).broken
        assert broken is not None
        assert "mailbox status was edited" in broken.reason
    finally:
        hub.dispose()
