"""The command line, through Typer's runner, on SQLite and PostgreSQL."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from carrefour.domain.identifiers import niss_check_digits
from tests.cli.conftest import Cli
from tests.support import make_niss


def test_db_upgrade_is_idempotent_and_reports_the_catalogue(cli: Cli) -> None:
    first = cli("db", "upgrade")
    second = cli("db", "upgrade")
    assert "institutions" in first
    assert "deliberations" in second


def test_institutions_list_shows_the_cas_and_mutualities(cli: Cli) -> None:
    out = cli("institutions", "list", "--sector", "15")
    assert "cas-acerta" in out
    assert "mut-100" not in out


def test_a_credential_is_printed_then_revoked(cli: Cli) -> None:
    token = cli("institutions", "credential", "mut-100").strip()
    assert token.startswith("cf_")
    assert "revoked 1 credential" in cli("institutions", "revoke", "mut-100")


def test_an_unknown_institution_is_named_in_the_error(cli: Cli) -> None:
    out = cli("institutions", "credential", "mut-999", code=1)
    assert "unknown-institution" in out
    assert "mut-999" in out
    out = cli(
        "directory",
        "integrate",
        make_niss(),
        "--capacity",
        "001",
        "--begin",
        "2024-01-01",
        "--as",
        "mut-999",
        code=1,
    )
    assert "unknown-institution" in out


def test_integrate_show_and_end_a_line(cli: Cli) -> None:
    niss = make_niss()
    out = cli(
        "directory",
        "integrate",
        niss,
        "--capacity",
        "001",
        "--begin",
        "2024-01-01",
        "--as",
        "mut-100",
    )
    line_id = out.split("line ")[1].split()[0]
    assert "open" in cli("directory", "show", niss)
    assert "ended" in cli(
        "directory", "end", niss, line_id, "--as", "mut-100", "--on", "2024-12-31"
    )
    shown = cli("directory", "show", niss)
    assert "2024-12-31" in shown
    assert "ended" in shown


def test_bad_input_on_the_command_line_gets_a_specific_error(cli: Cli) -> None:
    niss = make_niss()
    base = ("directory", "integrate")
    out = cli(
        *base,
        "12345678901",
        "--capacity",
        "001",
        "--begin",
        "2024-01-01",
        "--as",
        "mut-100",
        code=1,
    )
    assert "invalid-niss" in out
    assert "check digits" in out
    out = cli(*base, niss, "--capacity", "010", "--begin", "2024-01-01", "--as", "mut-100", code=1)
    assert "unknown-capacity" in out
    out = cli(
        *base,
        niss,
        "--capacity",
        "001",
        "--begin",
        "2024-05-01",
        "--end",
        "2024-04-01",
        "--as",
        "mut-100",
        code=1,
    )
    assert "invalid-period" in out
    cli(*base, niss, "--capacity", "001", "--begin", "2024-01-01", "--as", "mut-100")
    out = cli(*base, niss, "--capacity", "001", "--begin", "2024-06-01", "--as", "mut-100", code=1)
    assert "overlapping-integration" in out
    out = cli(
        *base,
        niss,
        "--capacity",
        "001",
        "--begin",
        "2024-01-01",
        "--as",
        "payer-ethias-pension",
        code=1,
    )
    assert "not-authorised" in out
    new = make_niss()
    cli("directory", "replace", niss, new)
    out = cli(*base, niss, "--capacity", "002", "--begin", "2024-01-01", "--as", "mut-100", code=1)
    assert "niss-replaced" in out
    assert new in out
    bad_date = "681331053" + niss_check_digits("681331053", born_2000_or_later=False)
    out = cli("directory", "show", bad_date, code=1)
    assert "bad-date" in out


def test_db_upgrade_loads_an_operators_own_catalogue_file(cli: Cli, tmp_path: Path) -> None:

    packaged = resources.files("carrefour").joinpath("data", "catalogue.toml").read_text("utf-8")
    own = tmp_path / "catalogue.toml"
    own.write_text(packaged.replace('name_fr = "Acerta', 'name_fr = "Acerta Caisse', 1), "utf-8")
    cli("db", "upgrade", "--catalogue", str(own))
    assert "Acerta Caisse" in cli("institutions", "list", "--sector", "15")
    broken = tmp_path / "broken.toml"
    broken.write_text(packaged.replace('enterprise_number = "', 'enterprise_number = "9', 1))
    out = cli("db", "upgrade", "--catalogue", str(broken), code=1)
    assert "invalid-catalogue" in out
    assert "Acerta Caisse" in cli("institutions", "list", "--sector", "15")


def test_a_database_never_upgraded_is_named_with_the_command_to_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from carrefour.cli.main import app

    monkeypatch.setenv("CARREFOUR_DATABASE_URL", f"sqlite:///{tmp_path / 'new.db'}")
    result = CliRunner().invoke(app, ["institutions", "list"])
    assert result.exit_code == 1
    assert "schema-not-ready" in result.output
    assert "carrefour db upgrade" in result.output
