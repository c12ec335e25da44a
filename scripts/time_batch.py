"""Time ``carrefour batch submit`` for N employee vouchers of a fresh population.

    .venv/bin/python scripts/time_batch.py 20000 sqlite:////tmp/carrefour-time.db
    .venv/bin/python scripts/time_batch.py 20000 postgresql+psycopg://postgres@127.0.0.1:5432/x

The database must be empty and upgraded (``carrefour db upgrade``). Prints vouchers per second
and the peak RSS of the submitting process.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from tests.support import make_niss

from carrefour.bootstrap import bootstrap
from carrefour.config import load_settings
from carrefour.domain.directory import IntegrationLine
from carrefour.domain.periods import Period


def population(size: int) -> list[str]:
    """``size`` distinct valid NISS."""
    found: set[str] = set()
    while len(found) < size:
        found.add(make_niss())
    return sorted(found)


def main(size: int, url: str) -> None:
    hub = bootstrap(load_settings(database_url=url))
    nisses = population(size)
    with hub.uow() as uow:
        now = datetime.now(UTC)
        for i, niss in enumerate(nisses):
            uow.directory.add(
                IntegrationLine(
                    id=f"p{i}", niss=niss, institution=("mut-100", "mut-200")[i % 2],
                    capacity="001", phase=1, period=Period(date(2020, 1, 1)),
                ),
                now,
            )  # fmt: skip
        uow.commit()
    hub.dispose()
    record = {"kind": "employee", "period": "2025Q1", "ct1": "110", "ct2": "460",
              "employer": "0403019261", "days_worked": 60, "hours_worked": 456.5,
              "working_time_fraction": 1}  # fmt: skip
    with tempfile.NamedTemporaryFile("wb", suffix=".jsonl", delete=False) as out:
        for niss in nisses:
            out.write(json.dumps({**record, "niss": niss}).encode() + b"\n")
    started = time.perf_counter()
    carrefour = str(Path(sys.executable).with_name("carrefour"))
    subprocess.run(  # noqa: S603 - this package's own entry point
        [carrefour, "batch", "submit", out.name, "--as", "onss", "--database-url", url],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    sys.stdout.write(
        f"{size} vouchers in {elapsed:.1f} s: {size / elapsed:,.0f}/s, peak RSS {peak:.0f} MB\n"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])
