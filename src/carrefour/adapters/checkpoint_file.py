"""The checkpoint file: every signed checkpoint, one JSON line each, appended outside the
database (``CARREFOUR_CHECKPOINT_DIR``) and synced to disk before the command returns."""

from __future__ import annotations

import json
import os
from pathlib import Path

from carrefour.domain.evidence import SignedCheckpoint

FILE_NAME = "checkpoints.jsonl"


class CheckpointFile:
    def __init__(self, directory: Path) -> None:
        self.path = directory / FILE_NAME

    @property
    def location(self) -> str:
        return str(self.path)

    def append(self, checkpoint: SignedCheckpoint) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(checkpoint.to_json(), sort_keys=True, separators=(",", ":")) + "\n"
        descriptor = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(descriptor, "a", encoding="utf-8") as file:
            file.write(line)
            file.flush()
            os.fsync(file.fileno())

    def read(self) -> list[SignedCheckpoint]:
        if not self.path.exists():
            return []
        found = []
        for number, line in enumerate(self.path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                found.append(SignedCheckpoint.from_json(json.loads(line)))
            except (ValueError, KeyError, TypeError, IndexError) as error:
                raise ValueError(
                    f"line {number} of {self.path} is not a checkpoint: {error}"
                ) from None
        return found
