"""the consultation log is chained whole and signed: lines written before 0011 (no hash) are
chained in position order with the later ones, and checkpoints record the log's head

Revision ID: 0016
Revises: 0014

Before this revision no checkpoint signed the consultation log, so its chain can be laid again
from the genesis over every line, oldest first, without breaking any signature. The chain the
lines already carry is checked first: a log that was already broken refuses the upgrade rather
than being chained again over the damage.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import carrefour.adapters.db.types
from carrefour.adapters.db.repositories import _consultation_entry  # the log's one row reader
from carrefour.domain.messages import GENESIS_HASH
from carrefour.services.consultations import chained, check_chain

revision: str = "0016"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_time = carrefour.adapters.db.types.UtcDateTime(timezone=True)
_FIELDS = (
    "caller", "action", "flow", "niss", "rule_id", "allowed", "reason_code", "status_code",
    "detail", "object_id", "http_status", "prev_hash", "hash",
)  # fmt: skip
_log = sa.table(
    "consultation_log",
    sa.column("position", sa.BigInteger()),
    sa.column("at", _time),
    *(sa.column(name) for name in _FIELDS),
)
_head = sa.table("consultation_log_head", sa.column("id"), sa.column("lines"), sa.column("hash"))
_CHUNK = 5000


def _guard(enabled: bool) -> None:
    """Switch the append-only guard of the consultation log (0004) off or back on."""
    if op.get_bind().dialect.name == "postgresql":
        state = "ENABLE" if enabled else "DISABLE"
        op.execute(f"ALTER TABLE consultation_log {state} TRIGGER consultation_log_append_only")
        return
    for action in ("UPDATE", "DELETE"):
        name = f"consultation_log_no_{action.lower()}"
        if enabled:
            op.execute(
                f"CREATE TRIGGER {name} BEFORE {action} ON consultation_log BEGIN "
                f"SELECT RAISE(ABORT, 'consultation_log is append-only: {action} refused'); END"
            )
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")


def _chain_every_line() -> None:
    bind = op.get_bind()
    unchained = bind.execute(
        sa.select(sa.func.count()).select_from(_log).where(_log.c.hash.is_(None))
    ).scalar_one()
    if not unchained:
        return
    lines = [
        _consultation_entry(row) for row in bind.execute(sa.select(_log).order_by(_log.c.position))
    ]
    row = bind.execute(sa.select(_head.c.lines, _head.c.hash).where(_head.c.id == 1)).first()
    head = (0, GENESIS_HASH) if row is None else (int(row.lines), str(row.hash))
    report = check_chain(iter([line for line in lines if line.hash]), head)
    if report.broken is not None:
        raise RuntimeError(
            f"the consultation log is already broken ({report.broken.message_id}: "
            f"{report.broken.reason}); it is not chained again over the damage: restore it "
            "from a backup (`carrefour verify` names the line), then upgrade"
        )
    relinked = chained(lines, GENESIS_HASH)
    _guard(False)
    update = (
        sa.update(_log)
        .where(_log.c.position == sa.bindparam("p"))
        .values(prev_hash=sa.bindparam("ph"), hash=sa.bindparam("h"))
    )
    for start in range(0, len(relinked), _CHUNK):
        bind.execute(
            update,
            [
                {"p": line.position, "ph": line.prev_hash, "h": line.hash}
                for line in relinked[start : start + _CHUNK]
            ],
        )
    _guard(True)
    last = relinked[-1].hash if relinked else GENESIS_HASH
    if row is None:
        bind.execute(_head.insert().values(id=1, lines=len(relinked), hash=last))
    else:
        bind.execute(_head.update().where(_head.c.id == 1).values(lines=len(relinked), hash=last))


def upgrade() -> None:
    op.add_column("tracking_checkpoints", sa.Column("log_head", sa.JSON(), nullable=True))
    _chain_every_line()


def downgrade() -> None:
    with op.batch_alter_table("tracking_checkpoints") as batch:
        batch.drop_column("log_head")
