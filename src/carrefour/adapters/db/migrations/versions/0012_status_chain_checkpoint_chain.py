"""the status chain (every change of a mailbox row, append-only), chained checkpoints, credential
expiry, client certificates and worker heartbeats

Revision ID: 0012
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import carrefour.adapters.db.types
from carrefour.domain.evidence import INITIAL_STATUSES, StatusEntry, chain_status

revision: str = "0012"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_position = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_time = carrefour.adapters.db.types.UtcDateTime(timezone=True)


def _append_only(table: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION carrefour_append_only()"
        )
        return
    for action in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {action} refused'); END"
        )


def _seed_status_chain() -> None:
    """One entry for every mailbox row already past its initial status, so that verify can hold
    every row to its last recorded change from now on."""
    mailbox = sa.table(
        "mailbox",
        sa.column("position"),
        sa.column("recipient"),
        sa.column("message_id"),
        sa.column("replay"),
        sa.column("niss"),
        sa.column("status"),
        sa.column("ack_result"),
        sa.column("created_at", _time),
        sa.column("delivered_at", _time),
        sa.column("acknowledged_at", _time),
    )
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(mailbox)
        .where(
            sa.or_(
                mailbox.c.status.not_in(sorted(INITIAL_STATUSES)), mailbox.c.ack_result.is_not(None)
            )
        )
        .order_by(mailbox.c.position)
    ).all()
    entries = chain_status(
        [
            StatusEntry(
                holder=r.recipient,
                message_id=r.message_id,
                replay=int(r.replay),
                niss=r.niss,
                status=r.status,
                ack_result=r.ack_result,
                event="recorded",
                at=r.acknowledged_at or r.delivered_at or r.created_at,
            )
            for r in rows
        ],
        {},
    )
    if not entries:
        return
    log = sa.table(
        "status_log",
        *(sa.column(name) for name in ("holder", "message_id", "replay", "niss", "status")),
        *(sa.column(name) for name in ("ack_result", "event", "prev_hash", "digest", "hash")),
        sa.column("at", _time),
    )
    fields = ("holder", "message_id", "replay", "niss", "status", "ack_result", "event", "at")
    bind.execute(
        log.insert(),
        [
            {
                **{f: getattr(e, f) for f in fields},
                "prev_hash": e.prev_hash,
                "digest": e.digest,
                "hash": e.hash,
            }
            for e in entries
        ],
    )
    heads = sa.table("status_heads", sa.column("holder"), sa.column("position"), sa.column("hash"))
    log_position = sa.table(
        "status_log", sa.column("position"), sa.column("holder"), sa.column("hash")
    )
    last: dict[str, str] = {e.holder: e.hash for e in entries}
    for holder, digest in last.items():
        position = bind.execute(
            sa.select(log_position.c.position).where(log_position.c.hash == digest)
        ).scalar_one()
        bind.execute(heads.insert().values(holder=holder, position=position, hash=digest))


def upgrade() -> None:
    op.create_table(
        "status_log",
        sa.Column("position", _position, autoincrement=True, nullable=False),
        sa.Column("holder", sa.String(length=64), nullable=False),
        sa.Column("message_id", sa.String(length=32), nullable=False),
        sa.Column("replay", sa.Integer(), nullable=False),
        sa.Column("niss", sa.String(length=11), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("ack_result", sa.String(length=20), nullable=True),
        sa.Column("event", sa.String(length=20), nullable=False),
        sa.Column("at", _time, nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("position", name=op.f("pk_status_log")),
    )
    op.create_index("ix_status_log_niss", "status_log", ["niss", "position"])
    op.create_index("ix_status_log_holder", "status_log", ["holder", "position"])
    op.create_table(
        "status_heads",
        sa.Column("holder", sa.String(length=64), nullable=False),
        sa.Column("position", _position, nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("holder", name=op.f("pk_status_heads")),
    )
    _seed_status_chain()
    _append_only("status_log")
    op.add_column("tracking_checkpoints", sa.Column("status_heads", sa.JSON(), nullable=True))
    op.add_column(
        "tracking_checkpoints", sa.Column("previous", sa.String(length=64), nullable=True)
    )
    op.add_column("credentials", sa.Column("expires_at", _time, nullable=True))
    op.create_table(
        "client_certificates",
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("institution_id", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("not_after", _time, nullable=False),
        sa.Column("created_at", _time, nullable=False),
        sa.Column("revoked_at", _time, nullable=True),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_client_certificates_institution_id_institutions"),
        ),
        sa.PrimaryKeyConstraint("fingerprint", name=op.f("pk_client_certificates")),
    )
    op.create_index("ix_client_certificates_institution", "client_certificates", ["institution_id"])
    op.create_table(
        "worker_heartbeats",
        sa.Column("worker", sa.String(length=120), nullable=False),
        sa.Column("at", _time, nullable=False),
        sa.PrimaryKeyConstraint("worker", name=op.f("pk_worker_heartbeats")),
    )


def downgrade() -> None:
    op.drop_table("worker_heartbeats")
    op.drop_table("client_certificates")
    with op.batch_alter_table("credentials") as batch:
        batch.drop_column("expires_at")
    with op.batch_alter_table("tracking_checkpoints") as batch:
        batch.drop_column("previous")
        batch.drop_column("status_heads")
    op.drop_table("status_heads")
    op.drop_table("status_log")
