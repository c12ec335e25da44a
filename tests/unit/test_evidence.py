"""The pure checks of the status chain and of the checkpoints' own chain."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from carrefour.domain.evidence import (
    MailboxState,
    SignedCheckpoint,
    StatusEntry,
    chain_status,
    check_checkpoint_chain,
    check_states,
    compare_with_file,
    verify_status_chain,
)
from carrefour.domain.messages import GENESIS_HASH

AT = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)


def entry(status: str, event: str, ack: str | None = None) -> StatusEntry:
    return StatusEntry("mut-100", "m1", 0, "68060105329", status, ack, event, AT)


def signed(number: int, previous: str | None, signature: str = "ab") -> SignedCheckpoint:
    return SignedCheckpoint(
        number, AT, {"inasti": (number, "c" * 64)}, {}, previous, signature, "k"
    )


def chained(count: int) -> list[SignedCheckpoint]:
    out: list[SignedCheckpoint] = []
    for number in range(1, count + 1):
        out.append(signed(number, out[-1].digest if out else GENESIS_HASH))
    return out


def test_a_status_chain_links_each_entry_to_the_one_before() -> None:
    first, second = chain_status([entry("delivered", "delivered"), entry("accepted", "accept")], {})
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash
    assert verify_status_chain([first, second]) is None
    edited = replace(second, status="rejected")
    broken = verify_status_chain([first, edited])
    assert broken is not None
    assert "was edited" in broken.reason
    missing = verify_status_chain([second])
    assert missing is not None
    assert "deleted or edited" in missing.reason


def test_a_row_is_held_to_its_last_recorded_change() -> None:
    (last,) = chain_status([entry("accepted", "accept", "accept")], {})
    row = MailboxState("mut-100", "m1", 0, "68060105329", "accepted", "accept")
    assert check_states([row], {row.key: last}) is None
    broken = check_states([replace(row, status="rejected")], {row.key: last})
    assert broken is not None
    assert "mailbox status was edited" in broken.reason
    unrecorded = check_states([replace(row, message_id="m2")], {row.key: last})
    assert unrecorded is not None
    assert "no change was recorded" in unrecorded.reason
    queued = replace(row, message_id="m3", status="queued", ack_result=None)
    assert check_states([queued], {}) is None


def test_checkpoints_form_a_chain() -> None:
    checkpoints = chained(3)
    assert check_checkpoint_chain(checkpoints, "the database") is None
    gap = check_checkpoint_chain([checkpoints[0], checkpoints[2]], "the database")
    assert gap is not None
    assert "does not name the checkpoint before it" in gap.reason


def test_the_database_and_the_file_must_hold_the_same_checkpoints() -> None:
    checkpoints = chained(3)
    assert compare_with_file(checkpoints, checkpoints) is None
    newest_gone = compare_with_file(checkpoints[:2], checkpoints)
    assert newest_gone is not None
    assert "the newest is 2" in newest_gone.reason
    all_gone = compare_with_file([], checkpoints)
    assert all_gone is not None
    assert "it holds none" in all_gone.reason
    fork = [*checkpoints[:2], replace(checkpoints[2], signature="cd")]
    forked = compare_with_file(fork, checkpoints)
    assert forked is not None
    assert "forked" in forked.reason
    cut = compare_with_file(checkpoints, checkpoints[:1])
    assert cut is not None
    assert "checkpoint 2 of the database is not in the checkpoint file" in cut.reason
