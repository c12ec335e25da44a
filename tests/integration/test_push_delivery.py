"""Push delivery to a real HTTP endpoint, on SQLite and PostgreSQL.

The endpoint is ``tests.integration.push_server.PushServer``: a stdlib HTTP server on 127.0.0.1
that records what it receives and can answer 503 or 400, or be stopped (connection refused).
The worker is the real one (``DeliveryWorker`` with ``HttpPushSender``); time is the test's
``FakeClock``, so an hour of back-off passes in a moment.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from carrefour.adapters.push import HttpPushSender
from carrefour.api.app import create_app
from carrefour.bootstrap import Hub, bootstrap
from carrefour.cli.main import app as cli_app
from carrefour.config import Settings
from carrefour.services.institutions import issue_credential, set_push_endpoint
from carrefour.services.unit_of_work import MailboxRow
from carrefour.workers.delivery import DeliveryWorker
from tests.integration import messaging
from tests.integration.push_server import PushServer
from tests.support import FakeClock

START = messaging.START
GRANTED = {"niss", "cas_network_number", "cas_enterprise_number", "begin", "contributor_category"}

HubFactory = Callable[..., Hub]


@pytest.fixture
def make_hub(database_url: str, clock: FakeClock) -> Iterator[HubFactory]:
    """``make_hub(push_max_attempts=3, ...)``: a hub on the test database with those settings."""
    hubs: list[Hub] = []

    def make(**settings: Any) -> Hub:
        hub = bootstrap(
            Settings(database_url=database_url, run_worker_in_server=False, **settings),
            clock=clock,
        )
        hubs.append(hub)
        return hub

    yield make
    for hub in hubs:
        hub.dispose()


@pytest.fixture
def endpoint() -> Iterator[PushServer]:
    server = PushServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def sender() -> Iterator[HttpPushSender]:
    http = HttpPushSender(timeout_seconds=2)
    yield http
    http.close()


def register(hub: Hub, endpoint: PushServer, institution: str = "mut-100") -> None:
    with hub.uow() as uow:
        set_push_endpoint(uow, institution=institution, url=endpoint.url)


def publish_start(hub: Hub, *institutions: str) -> str:
    """A new person integrated by ``institutions``, and INASTI's start message about them."""
    niss = messaging.integrated(hub, *institutions)
    found = messaging.routed(hub, niss)
    assert {r.institution for r in found} == set(institutions)
    payload = {
        "niss": niss,
        "cas_network_number": "001",
        "cas_enterprise_number": "1999000348",
        "begin": "2025-06-01",
        "contributor_category": "A",
        "annual_income": 48_000,
    }
    return messaging.publish_start(hub, niss, payload=payload, found=found)


def mailbox_row(hub: Hub, message_id: str, institution: str = "mut-100") -> MailboxRow:
    with hub.uow() as uow:
        found = uow.mailbox.get(institution, message_id)
    assert found is not None
    return found


def mailbox_rows(hub: Hub, institution: str = "mut-100") -> list[MailboxRow]:
    with hub.uow() as uow:
        return [row for row, _ in uow.mailbox.page(institution, after=None, limit=10_000)]


def test_a_message_is_pushed_on_the_first_round(
    hub: Hub, endpoint: PushServer, sender: HttpPushSender, clock: FakeClock
) -> None:
    register(hub, endpoint)
    message_id = publish_start(hub, "mut-100", "faf-famiwal")  # the fund has no endpoint

    result = DeliveryWorker(hub, sender).run_once()

    assert (result.delivered, result.retried, result.dead) == (1, 0, 0)
    [got] = endpoint.received
    assert got.idempotency_key == message_id
    assert got.message_id == message_id
    assert got.body["flow"] == START
    assert got.body["sender"] == "inasti"
    assert got.body["deliberation"] == "rgti-start-receive-mutualities"
    assert set(got.body["payload"]) == GRANTED, "a push shows no more than a pull"
    row = mailbox_row(hub, message_id)
    assert row.status == "delivered"
    assert row.attempts == 1
    assert row.delivered_at == clock.now()
    assert row.last_error is None
    assert mailbox_row(hub, message_id, "faf-famiwal").status == "queued"

    clock.advance(hours=1)
    assert DeliveryWorker(hub, sender).run_once().attempted == 0
    assert len(endpoint.received) == 1, "a delivered message is not pushed again"


@pytest.mark.parametrize("outage", ["connection-refused", "http-503"])
def test_messages_wait_out_an_endpoint_down_for_an_hour_and_arrive_once_it_is_back(
    make_hub: HubFactory,
    endpoint: PushServer,
    sender: HttpPushSender,
    clock: FakeClock,
    outage: str,
) -> None:
    hub = make_hub(push_max_attempts=10, push_base_delay_seconds=30)
    register(hub, endpoint)
    published = [publish_start(hub, "mut-100") for _ in range(3)]
    if outage == "connection-refused":
        endpoint.stop()
    else:
        endpoint.answer_with(503)
    worker = DeliveryWorker(hub, sender)

    tried_at = []
    for minute in range(0, 61, 5):
        result = worker.run_once()
        assert result.delivered == result.dead == 0
        if result.attempted:
            assert result.retried == 3, "the three messages fall due together"
            tried_at.append(minute)
        clock.advance(minutes=5)

    # Back-off of 30 s, 1, 2, 4, 8, 16, 32 min after tries 1..7: a round every 5 minutes finds
    # the messages due only at these minutes, not at every round.
    assert tried_at == [0, 5, 10, 15, 20, 30, 50]
    gaps = [b - a for a, b in pairwise(tried_at)]
    assert gaps == sorted(gaps)
    waiting = mailbox_rows(hub)
    assert {row.status for row in waiting} == {"queued"}
    assert {row.attempts for row in waiting} == {len(tried_at)}
    assert all(row.last_error for row in waiting)
    if outage == "http-503":
        assert len(endpoint.received) == 3 * len(tried_at)
        assert all("503" in (row.last_error or "") for row in waiting)
    assert endpoint.accepted == []

    endpoint.start()
    endpoint.answer_with(200)
    due = max(row.next_attempt_at for row in waiting if row.next_attempt_at is not None)
    assert due > clock.now(), "the next try is still ahead when the endpoint comes back"
    clock.current = due + timedelta(seconds=1)
    result = worker.run_once()

    assert result.delivered == 3
    accepted = Counter(r.message_id for r in endpoint.accepted)
    assert set(accepted) == set(published), "no message is lost"
    assert all(r.idempotency_key == r.message_id for r in endpoint.received)
    rows = mailbox_rows(hub)
    assert sorted(row.message_id for row in rows) == sorted(published), "one row per message"
    assert {row.status for row in rows} == {"delivered"}
    assert {row.attempts for row in rows} == {len(tried_at) + 1}
    assert all(row.last_error is None for row in rows)
    clock.advance(hours=2)
    assert worker.run_once().attempted == 0


def test_a_message_becomes_a_dead_letter_after_the_last_try(
    make_hub: HubFactory,
    endpoint: PushServer,
    sender: HttpPushSender,
    clock: FakeClock,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hub = make_hub(push_max_attempts=3, push_base_delay_seconds=1)
    register(hub, endpoint)
    message_id = publish_start(hub, "mut-100")
    endpoint.answer_with(503)
    worker = DeliveryWorker(hub, sender)

    rounds = []
    for _ in range(3):
        result = worker.run_once()
        rounds.append((result.retried, result.dead))
        clock.advance(minutes=1)

    assert rounds == [(1, 0), (1, 0), (0, 1)]
    assert len(endpoint.received) == 3
    row = mailbox_row(hub, message_id)
    assert row.status == "failed"
    assert row.attempts == 3
    assert row.last_error is not None
    assert "HTTP 503" in row.last_error
    clock.advance(days=1)
    assert worker.run_once().attempted == 0
    assert len(endpoint.received) == 3, "a dead letter is not tried again"

    with hub.uow() as uow:
        token = issue_credential(uow, institution="mut-100")
    with TestClient(create_app(hub)) as client:
        response = client.get("/v1/mailbox", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    assert [(i["message_id"], i["status"]) for i in response.json()["items"]] == [
        (message_id, "failed")
    ]

    monkeypatch.setenv("CARREFOUR_DATABASE_URL", database_url)
    shown = CliRunner().invoke(cli_app, ["mailbox", "mut-100"])
    assert shown.exit_code == 0, shown.output
    assert message_id in shown.output
    assert "failed" in shown.output
    assert "HTTP 503" in shown.output


def test_an_operator_requeues_dead_letters_once_the_endpoint_is_repaired(
    make_hub: HubFactory,
    endpoint: PushServer,
    sender: HttpPushSender,
    clock: FakeClock,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hub = make_hub(push_max_attempts=1)
    register(hub, endpoint)
    message_id = publish_start(hub, "mut-100")
    endpoint.answer_with(503)
    worker = DeliveryWorker(hub, sender)
    assert worker.run_once().dead == 1
    assert mailbox_row(hub, message_id).status == "failed"

    endpoint.answer_with(200)
    monkeypatch.setenv("CARREFOUR_DATABASE_URL", database_url)
    requeued = CliRunner().invoke(cli_app, ["requeue", "mut-100"])
    assert requeued.exit_code == 0, requeued.output
    assert "1 dead letter(s)" in requeued.output
    clock.current = datetime.now(UTC)  # the command ran on the real clock
    assert worker.run_once().delivered == 1
    row = mailbox_row(hub, message_id)
    assert (row.status, row.attempts, row.last_error) == ("delivered", 1, None)
    again = CliRunner().invoke(cli_app, ["requeue", "mut-100"])
    assert "0 dead letter(s)" in again.output


def test_a_permanent_refusal_fails_at_once(
    hub: Hub, endpoint: PushServer, sender: HttpPushSender, clock: FakeClock
) -> None:
    register(hub, endpoint)
    message_id = publish_start(hub, "mut-100")
    endpoint.answer_with(400)
    worker = DeliveryWorker(hub, sender)

    result = worker.run_once()

    assert (result.delivered, result.retried, result.dead) == (0, 0, 1)
    row = mailbox_row(hub, message_id)
    assert row.status == "failed"
    assert row.attempts == 1
    assert row.last_error is not None
    assert "HTTP 400" in row.last_error
    clock.advance(days=1)
    assert worker.run_once().attempted == 0
    assert len(endpoint.received) == 1


def test_a_pushed_message_can_still_be_pulled_and_acknowledged(
    hub: Hub,
    client: TestClient,
    credential: Callable[[str], dict[str, str]],
    endpoint: PushServer,
    sender: HttpPushSender,
) -> None:
    register(hub, endpoint)
    message_id = publish_start(hub, "mut-100")
    assert DeliveryWorker(hub, sender).run_once().delivered == 1
    headers = credential("mut-100")

    response = client.get("/v1/mailbox", headers=headers)

    assert response.status_code == 200, response.text
    [item] = response.json()["items"]
    assert item["message_id"] == message_id
    assert item["status"] == "delivered"
    assert item["payload"] == endpoint.received[0].body["payload"]
    acked = client.post(
        "/v1/mailbox/acks", json={"message_id": message_id, "result": "accept"}, headers=headers
    )
    assert acked.status_code == 200, acked.text
    assert mailbox_row(hub, message_id).status == "accepted"


def test_the_answer_to_a_pushed_message_is_pushed_back_to_the_emitter(
    hub: Hub,
    client: TestClient,
    credential: Callable[[str], dict[str, str]],
    endpoint: PushServer,
    sender: HttpPushSender,
) -> None:
    register(hub, endpoint)
    register(hub, endpoint, "inasti")
    message_id = publish_start(hub, "mut-100")
    worker = DeliveryWorker(hub, sender)
    assert worker.run_once().delivered == 1
    acked = client.post(
        "/v1/mailbox/acks",
        json={"message_id": message_id, "result": "accept"},
        headers=credential("mut-100"),
    )
    assert acked.status_code == 200, acked.text

    assert worker.run_once().delivered == 1

    pushed = [r.body for r in endpoint.received]
    assert [(b["flow"], b["in_reply_to"]) for b in pushed] == [
        (START, None),
        ("answer", message_id),
    ]
    assert mailbox_row(hub, acked.json()["answer_id"], "inasti").status == "delivered"
