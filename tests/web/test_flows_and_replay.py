"""The operators' flows dashboard and the replay of a message to one recipient, on SQLite and
PostgreSQL: the chart and backlogs, the paper count, the dead letters' retry, the replay that
re-checks the deliberations of today and logs both decisions, the paper reason in the reader's
language, and who may do what."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from fastapi.testclient import TestClient

from carrefour.bootstrap import Hub
from carrefour.domain.console import Role
from carrefour.services.unit_of_work import MailboxRow
from tests.support import employee_voucher, make_niss
from tests.web.console_support import SAME_ORIGIN
from tests.web.test_console import start_message
from tests.web.test_person import signed_in

Credential = Callable[[str], dict[str, str]]
HTMX = {**SAME_ORIGIN, "HX-Request": "true"}


def rows_of(hub: Hub, message_id: str) -> list[MailboxRow]:
    with hub.uow() as uow:
        return uow.mailbox.of_message(message_id)


def test_the_flows_dashboard_counts_messages_backlogs_paper_and_dead_letters(
    client: TestClient, credential: Credential, hub: Hub
) -> None:
    _, message_id = start_message(client, credential, hub)
    employee_voucher(hub, make_niss())  # nobody integrated the person: on paper
    signed_in(client, hub, Role.OPERATOR)
    page = client.get("/console/flows")
    assert page.status_code == 200
    html = page.text
    assert 'class="chart"' in html
    assert "self-employed-start" in html
    assert "contribution-voucher" in html
    assert "mut-100" in html  # its backlog: the start message, not answered
    assert 'href="/console/transactions?recipient=paper"><strong>1</strong>' in html
    assert "No dead letter." in html
    with hub.uow() as uow:
        row = uow.mailbox.get("mut-100", message_id)
        assert row is not None
        uow.mailbox.update(replace(row, status="failed", attempts=8, last_error="HTTP 500"))
        uow.commit()
    html = client.get("/console/flows").text
    assert "HTTP 500" in html
    retried = client.post(
        "/console/flows/retry",
        data={"message_id": message_id, "recipient": "mut-100"},
        headers=SAME_ORIGIN,
        follow_redirects=False,
    )
    assert retried.status_code == 303
    assert [r.status for r in rows_of(hub, message_id)] == ["queued"]


def test_a_replay_re_decides_today_and_logs_both_decisions(
    client: TestClient, credential: Credential, hub: Hub
) -> None:
    niss, message_id = start_message(client, credential, hub)
    signed_in(client, hub, Role.OPERATOR)
    page = client.get(f"/console/messages/{message_id}")
    assert "Replay to one recipient" in page.text
    replayed = client.post(
        f"/console/messages/{message_id}/replay", data={"recipient": "mut-100"}, headers=HTMX
    )
    assert replayed.status_code == 200, replayed.text
    assert "Replayed to mut-100" in replayed.text
    rows = rows_of(hub, message_id)
    assert [(r.recipient, r.replay, r.status) for r in rows][-1] == ("mut-100", 1, "queued")
    with hub.uow() as uow:
        log = uow.consultations.select(niss=niss, limit=20)
        entries = [e for e in uow.tracking.select(niss=niss) if e.message_id == message_id]
    replay_line = next(line for line in log if line.action == "replay")
    assert replay_line.caller == "bcss"
    assert "first sent under rule" in replay_line.detail
    assert "allowed today" in replay_line.detail
    decision = next(line for line in log if line.caller == "mut-100" and line.action == "receive")
    assert decision.allowed
    assert len(entries) == 2  # the first delivery and the replay, in the tracking file
    verified = client.post("/console/verify", headers=HTMX)
    assert "Intact" in verified.text  # the chains hold the replay's entries


def test_the_paper_reason_of_a_replaced_niss_is_translated_and_other_text_kept() -> None:
    from carrefour.web.flows import paper_reason

    stored = "Le NISS connu de l'expéditeur a été remplacé par 02040500244"
    assert paper_reason(stored, "nl") == (
        "Het INSZ dat de afzender kent werd vervangen door 02040500244"
    )
    assert paper_reason(stored, "en") == "The NISS the sender knows was replaced by 02040500244"
    assert paper_reason(stored, "fr") == stored
    assert paper_reason("another reason", "nl") == "another reason"
    assert paper_reason(None, "nl") is None


def test_a_replay_the_deliberations_refuse_today_changes_no_mailbox_and_is_logged(
    client: TestClient, credential: Credential, hub: Hub
) -> None:
    niss, message_id = start_message(client, credential, hub)
    with hub.uow() as uow:
        (line,) = [x for x in uow.directory.lines_of(niss) if x.institution == "mut-100"]
        uow.directory.cancel(niss, line.id, uow.clock.now(), "cancelled")
        uow.commit()
    signed_in(client, hub, Role.OPERATOR)
    refused = client.post(
        f"/console/messages/{message_id}/replay",
        data={"recipient": "mut-100"},
        headers=SAME_ORIGIN,
    )
    assert refused.status_code == 200
    assert "Not replayed" in refused.text
    assert "not-integrated" in refused.text
    assert [r.replay for r in rows_of(hub, message_id)] == [0]
    with hub.uow() as uow:
        log = uow.consultations.select(niss=niss, limit=20)
    assert any(x.action == "replay" and not x.allowed for x in log)
    assert any(x.caller == "mut-100" and not x.allowed for x in log)


def test_a_replay_needs_the_token_the_operator_role_and_a_recipient_of_the_message(
    client: TestClient, credential: Credential, hub: Hub
) -> None:
    _, message_id = start_message(client, credential, hub)
    signed_in(client, hub, Role.OPERATOR)
    token = client.headers.pop("X-CSRF-Token")
    forged = client.post(
        f"/console/messages/{message_id}/replay", data={"recipient": "mut-100"}, headers=SAME_ORIGIN
    )
    assert forged.status_code == 403
    client.headers["X-CSRF-Token"] = token
    stranger = client.post(
        f"/console/messages/{message_id}/replay", data={"recipient": "mut-200"}, headers=HTMX
    )
    assert stranger.status_code == 422
    assert "never went to" in stranger.text
    assert [r.replay for r in rows_of(hub, message_id)] == [0]
    client.cookies.clear()
    client.headers.pop("X-CSRF-Token")
    signed_in(client, hub, Role.AGENT, "mut-100")
    assert client.get("/console/flows").status_code == 403
    refused = client.post(
        f"/console/messages/{message_id}/replay", data={"recipient": "mut-100"}, headers=HTMX
    )
    assert refused.status_code == 403
    assert [r.replay for r in rows_of(hub, message_id)] == [0]


def test_the_paper_reason_is_shown_in_the_readers_language(
    client: TestClient, credential: Credential, hub: Hub
) -> None:
    outcome = employee_voucher(hub, make_niss())
    signed_in(client, hub, Role.OPERATOR)
    english = client.get(f"/console/messages/{outcome.message_id}", params={"lang": "en"}).text
    assert "No mutuality integrated this person for the period" in english
    dutch = client.get(f"/console/messages/{outcome.message_id}", params={"lang": "nl"}).text
    assert "Geen ziekenfonds heeft deze persoon voor de periode geïntegreerd" in dutch
    french = client.get(f"/console/messages/{outcome.message_id}", params={"lang": "fr"}).text
    assert "Aucune mutualité n&#39;a intégré cette personne pour la période" in french
    assert outcome.a911_id in english  # the A911 record answering it is linked


def test_the_new_pages_in_dutch_have_no_english_word_left(
    client: TestClient, credential: Credential, hub: Hub
) -> None:
    from tests.api.test_inami_api import open_case
    from tests.web.test_i18n import english_left

    niss, message_id = start_message(client, credential, hub)
    case = open_case(client, credential("mut-100"), niss)
    assert case.status_code == 201, case.text
    paper = employee_voucher(hub, make_niss())
    signed_in(client, hub, Role.OPERATOR)
    for path in (
        "/console/flows",
        f"/console/messages/{message_id}",
        f"/console/messages/{paper.message_id}",
        "/console/batches",
        "/console/inami/cases",
        f"/console/inami/cases/{case.json()['id']}",
    ):
        page = client.get(path, params={"lang": "nl"})
        assert page.status_code == 200, path
        assert '<html lang="nl">' in page.text
        assert english_left(page.text) == set(), path
    replayed = client.post(
        f"/console/messages/{message_id}/replay",
        params={"lang": "nl"},
        data={"recipient": "mut-100"},
        headers=HTMX,
    )
    assert "Opnieuw verstuurd naar mut-100" in replayed.text
