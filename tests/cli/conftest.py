"""The ``cli`` fixture: run ``carrefour`` through Typer's runner on the test database."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from typer.testing import CliRunner

from carrefour.cli.main import app

Cli = Callable[..., str]
runner = CliRunner()


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """``cli("directory", "show", niss, code=0)`` -> the output (stdout and stderr); the exit
    code must be ``code``."""
    monkeypatch.setenv("CARREFOUR_DATABASE_URL", database_url)

    def run(*args: str, code: int = 0) -> str:
        result = runner.invoke(app, list(args))
        output = result.output + (result.stderr if result.stderr_bytes is not None else "")
        assert result.exit_code == code, output
        return output

    return run
