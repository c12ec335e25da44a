"""Registering an institution's client certificate from the command line, on SQLite and
PostgreSQL: ``institutions certificate`` and ``institutions gateway --certificate`` go through one
function, store the same fingerprint, say the same thing (the first with the end of validity)
and refuse an expired certificate or a file holding none with the same error."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from carrefour.bootstrap import Hub
from carrefour.cli.transport import register_certificate_file
from tests.cli.conftest import Cli
from tests.e2e import test_mutual_tls as mtls


def certificate_file(folder: Path, common: str) -> Path:
    path, _ = mtls._write(folder, common, mtls._issue(common, None))
    return path


def fingerprint_of(path: Path) -> str:
    from carrefour.bootstrap import read_certificate

    return read_certificate(path)[0]


def one_line(output: str) -> str:
    return output.replace("\n", "").strip()


def test_both_commands_register_the_certificate_and_say_so(
    cli: Cli, hub: Hub, tmp_path: Path
) -> None:
    first, second = certificate_file(tmp_path, "mut-100 a"), certificate_file(tmp_path, "cpas b")
    said = one_line(cli("institutions", "certificate", "mut-100", str(first)))
    until = f"{mtls.NOW + timedelta(days=30):%Y-%m-%d}"  # as the test certificates are issued
    assert said == (
        "mut-100: client certificate CN=mut-100 a,O=Carrefour test "
        f"(SHA-256 {fingerprint_of(first)}) valid until {until}"
    )
    said = one_line(cli("institutions", "gateway", "cpas-bruxelles", "--certificate", str(second)))
    assert said == (
        "cpas-bruxelles: client certificate CN=cpas b,O=Carrefour test "
        f"(SHA-256 {fingerprint_of(second)})"
    )
    with hub.uow() as uow:
        records = [uow.certificates.get(fingerprint_of(p)) for p in (first, second)]
        uow.commit()
    assert [r.institution_id if r else None for r in records] == ["mut-100", "cpas-bruxelles"]


def test_both_commands_refuse_an_expired_certificate_and_a_file_without_one(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mtls, "NOW", datetime.now(UTC) - timedelta(days=60))
    expired = certificate_file(tmp_path, "old")
    junk = tmp_path / "junk.pem"
    junk.write_text("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
    for path, error in ((expired, "expired on"), (junk, "holds no X.509 certificate")):
        by_file = cli("institutions", "certificate", "mut-100", str(path), code=1)
        by_gateway = cli("institutions", "gateway", "mut-100", "--certificate", str(path), code=1)
        assert error in by_file
        assert by_file == by_gateway


def test_the_one_function_reads_the_file_and_stores_its_fingerprint(
    hub: Hub, tmp_path: Path
) -> None:
    path = certificate_file(tmp_path, "onss c")
    record = register_certificate_file(hub, institution="onss", file=path, with_validity=False)
    assert (record.institution_id, record.fingerprint) == ("onss", fingerprint_of(path))
    with hub.uow() as uow:
        assert uow.certificates.get(record.fingerprint) == record
        uow.commit()
