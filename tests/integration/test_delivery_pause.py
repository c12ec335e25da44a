"""Pausing push delivery to a recipient, on SQLite and PostgreSQL: the worker leaves its
messages queued (untouched) until ``carrefour institutions resume``, then pushes them."""

from __future__ import annotations

from carrefour.adapters.push import HttpPushSender
from carrefour.bootstrap import Hub
from carrefour.workers.delivery import DeliveryWorker
from tests.cli.conftest import Cli, cli  # noqa: F401 - the cli fixture
from tests.integration.push_server import PushServer
from tests.integration.test_push_delivery import (  # noqa: F401 - fixtures
    endpoint,
    mailbox_row,
    publish_start,
    register,
    sender,
)


def test_a_paused_recipient_gets_nothing_pushed_until_resumed(
    hub: Hub,
    endpoint: PushServer,  # noqa: F811 - the imported fixture
    sender: HttpPushSender,  # noqa: F811 - the imported fixture
    cli: Cli,  # noqa: F811
) -> None:
    register(hub, endpoint)
    assert "mut-100: push delivery paused" in cli("institutions", "pause", "mut-100")
    assert "was paused already" in cli("institutions", "pause", "mut-100")
    message_id = publish_start(hub, "mut-100")

    assert DeliveryWorker(hub, sender).run_once().attempted == 0
    assert endpoint.received == []
    row = mailbox_row(hub, message_id)
    assert (row.status, row.attempts) == ("queued", 0)

    assert "mut-100: push delivery resumed" in cli("institutions", "resume", "mut-100")
    assert DeliveryWorker(hub, sender).run_once().delivered == 1
    assert [got.message_id for got in endpoint.received] == [message_id]
    assert "was not paused" in cli("institutions", "resume", "mut-100")
    assert "unknown" in cli("institutions", "pause", "mut-999", code=1).lower()
