"""``carrefour users``: add, list, passwd and disable console users."""

from __future__ import annotations

from tests.cli.conftest import Cli

PASSWORD = "correct horse battery"


def test_the_users_command_adds_lists_changes_and_disables(cli: Cli) -> None:
    out = cli("users", "add", "marc", "--role", "agent", "--institution", "mut-100",
              "--password", PASSWORD)  # fmt: skip
    assert "marc added: agent of mut-100" in out
    cli("users", "add", "ines", "--role", "inami-cell", "--password", PASSWORD)
    assert "unknown role 'boss'" in cli(
        "users", "add", "x", "--role", "boss", "--password", PASSWORD, code=1
    )
    listing = cli("users", "list")
    assert "marc  agent  mut-100  fr  active" in listing
    assert "ines  inami-cell  inami-sca" in listing
    assert "0 open session(s) closed" in cli("users", "passwd", "marc", "--password", "x" * 12)
    cli("users", "disable", "marc")
    assert "marc  agent  mut-100  fr  disabled" in cli("users", "list")
    assert "no console user 'nobody'" in cli("users", "disable", "nobody", code=1)


def test_the_demo_prints_every_credential_whole_and_a_console_user_per_role(cli: Cli) -> None:
    import re

    out = cli("demo", "--no-serve", "--persons", "5")
    credentials = re.findall(r"^  (\S+) (cf_[0-9a-f]{16}_[A-Za-z0-9_-]{43})$", out, re.M)
    assert "bcss" in {name for name, _ in credentials}
    assert len(credentials) > 20
    users = re.findall(r"^  (\S+) (\S{16}) (operator|agent|inami-cell) (\S+)$", out, re.M)
    assert {role for _, _, role, _ in users} == {"operator", "agent", "inami-cell"}
    assert "not serving (--no-serve)" in out
    assert "serving the API" not in out
    again = cli("demo", "--no-serve", "--persons", "5")  # a second run prints new passwords
    assert re.findall(r"^  operator (\S{16}) ", again, re.M) != [users[0][1]]
