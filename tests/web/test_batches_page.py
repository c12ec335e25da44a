"""The batches page on SQLite and PostgreSQL: an agent uploads a file as its institution, the
worker processes it, the page shows its progress, then the per-record errors, downloadable as
CSV; another institution's agent sees none of it; bad uploads are refused and store nothing."""

from __future__ import annotations

import csv
import io
import json

from fastapi.testclient import TestClient

from carrefour.bootstrap import Hub
from carrefour.domain.console import Role
from carrefour.services import batches
from tests.support import employee, make_niss
from tests.web.console_support import SAME_ORIGIN
from tests.web.test_person import signed_in


def jsonl(*records: dict[str, object]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in records).encode()


def upload(client: TestClient, content: bytes, **fields: str) -> str:
    response = client.post(
        "/console/batches",
        data={"csrf": client.headers["X-CSRF-Token"], **fields},
        files={"file": ("vouchers.jsonl", content, "application/x-ndjson")},
        headers=SAME_ORIGIN,
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return str(response.headers["location"])


def work(hub: Hub) -> None:
    batches.process_received(hub.uow, parser=hub.batch_parser, renderer=hub.renderer)


def test_an_agent_uploads_a_batch_and_reads_its_error_report(client: TestClient, hub: Hub) -> None:
    signed_in(client, hub, Role.AGENT, "onss")
    assert "Upload a batch file" in client.get("/console/batches").text
    content = jsonl(employee(make_niss()), employee("12345678901"), employee(make_niss()))
    location = upload(client, content)
    waiting = client.get(location)
    assert waiting.status_code == 200
    assert 'hx-trigger="every 1s"' in waiting.text  # polls until finished
    assert "received" in waiting.text
    work(hub)
    progress = client.get(location, headers={"HX-Request": "true"})
    assert "<html" not in progress.text  # the fragment htmx swaps in
    assert 'value="100"' in progress.text
    assert 'hx-trigger="every 1s"' not in progress.text
    assert "Per-record errors" in progress.text
    done = client.get(location).text
    assert "done" in done
    assert "errors.csv" in done
    report = client.get(location + "/errors.csv")
    assert report.status_code == 200
    assert report.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(report.text)))
    assert rows[0] == ["line", "code", "detail"]
    assert [row[0] for row in rows[1:]] == ["2"]
    listed = client.get("/console/batches").text
    assert location.rsplit("/", 1)[1][:12] in listed
    with hub.uow() as uow:
        (batch,) = uow.batches.of_sender("onss", limit=5)
    assert (batch.total, batch.accepted, batch.rejected) == (3, 2, 1)

    client.cookies.clear()
    client.headers.pop("X-CSRF-Token")
    signed_in(client, hub, Role.AGENT, "mut-100")
    assert batch.id[:12] not in client.get("/console/batches").text
    assert client.get(location).status_code == 404
    assert client.get(location + "/errors.csv").status_code == 404


def test_an_upload_without_a_file_or_a_token_is_refused_and_stores_nothing(
    client: TestClient, hub: Hub
) -> None:
    signed_in(client, hub, Role.AGENT, "onss")
    empty = client.post(
        "/console/batches",
        data={"csrf": client.headers["X-CSRF-Token"]},
        files={"file": ("empty.jsonl", b"", "application/x-ndjson")},
        headers=SAME_ORIGIN,
    )
    assert empty.status_code == 422
    assert "Choose a batch file" in empty.text
    token = client.headers.pop("X-CSRF-Token")
    forged = client.post(
        "/console/batches",
        data={"csrf": "forged"},
        files={"file": ("v.jsonl", jsonl(employee(make_niss())), "application/x-ndjson")},
        headers=SAME_ORIGIN,
    )
    assert forged.status_code == 403
    client.headers["X-CSRF-Token"] = token
    plain = client.post("/console/batches", data={"csrf": token}, headers=SAME_ORIGIN)
    assert plain.status_code == 422
    with hub.uow() as uow:
        assert uow.batches.of_sender("onss", limit=5) == []


def test_the_inami_cell_has_no_batches_page(client: TestClient, hub: Hub) -> None:
    signed_in(client, hub, Role.INAMI_CELL)
    assert client.get("/console/batches").status_code == 403
