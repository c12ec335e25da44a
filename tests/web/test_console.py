"""The operator console over HTTP, on SQLite and PostgreSQL: sign-in, the hub-only rule, the
pages, the rerun of a dead letter, the tracking check, escaping and the forgery guard."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from carrefour.bootstrap import Hub
from carrefour.services.unit_of_work import MailboxRow
from carrefour.web.console import COOKIE
from tests.support import make_niss, stray_rows
from tests.web.console_support import SAME_ORIGIN, csrf_of, post_login, post_voucher

Credential = Callable[[str], dict[str, str]]
HTMX = {**SAME_ORIGIN, "HX-Request": "true"}


def token_of(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


def sign_in(client: TestClient, credential: Credential, institution: str = "bcss") -> int:
    client.headers["Accept-Language"] = "en"
    return post_login(client, credential=token_of(credential(institution)))


@pytest.fixture
def operator(client: TestClient, credential: Credential) -> TestClient:
    """The test client, signed in to the console with a credential of the hub."""
    assert sign_in(client, credential) == 303
    return client


def start_message(client: TestClient, credential: Credential, hub: Hub) -> tuple[str, str]:
    """A person integrated at mut-100, then a start declared by a CAS: (NISS, message id)."""
    niss = make_niss()
    response = client.put(
        f"/v1/directory/{niss}/integrations",
        json={"capacity": "001", "phase": 1, "begin": "2020-01-01"},
        headers=credential("mut-100"),
    )
    assert response.status_code == 201, response.text
    response = client.post(
        "/v1/rgti/affiliations",
        json={"niss": niss, "begin": "2025-01-01", "contributor_category": "A"},
        headers=credential("cas-acerta"),
    )
    assert response.status_code == 201, response.text
    with hub.uow() as uow:
        (entry,) = uow.tracking.select(niss=niss, flow="self-employed-start")
    return niss, entry.message_id


def mut_100_row(hub: Hub, message_id: str) -> MailboxRow:
    with hub.uow() as uow:
        row = uow.mailbox.get("mut-100", message_id)
    assert row is not None
    return row


def test_without_a_cookie_the_console_sends_to_the_sign_in_page(client: TestClient) -> None:
    response = client.get("/console/", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].endswith("/console/login")
    assert "Credential" in client.get("/console/login", params={"lang": "en"}).text


def test_only_a_credential_of_the_hub_opens_the_console(
    client: TestClient, credential: Credential
) -> None:
    assert sign_in(client, credential, "mut-100") == 403
    assert COOKIE not in client.cookies
    client.cookies.set(COOKIE, token_of(credential("bcss")), path="/console")
    refused = client.get("/console/", follow_redirects=False)
    assert refused.status_code == 401  # a credential is not a session
    client.cookies.clear()
    assert sign_in(client, credential, "bcss") == 303


def test_an_unknown_credential_is_refused_on_the_sign_in_page(client: TestClient) -> None:
    client.headers["Accept-Language"] = "en"
    assert post_login(client, credential="cf_0000_nope") == 401
    assert (
        "Wrong user name or password"
        in client.post(
            "/console/login",
            data={"credential": "cf_0000_nope", "csrf": csrf_of(client.get("/console/login").text)},
            headers=SAME_ORIGIN,
        ).text
    )


def test_the_cookie_is_http_only_and_same_site_strict(
    client: TestClient, credential: Credential
) -> None:
    token = token_of(credential("bcss"))
    response = client.post(
        "/console/login",
        data={"credential": token, "csrf": csrf_of(client.get("/console/login").text)},
        headers=SAME_ORIGIN,
        follow_redirects=False,
    )
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    assert "path=/console" in cookie
    assert token.lower() not in cookie  # the cookie holds a session id, not the credential


def test_the_dashboard_counts_deliveries_per_status(
    operator: TestClient, credential: Credential, hub: Hub
) -> None:
    start_message(operator, credential, hub)
    page = operator.get("/console/")
    assert page.status_code == 200
    assert "Mailboxes" in page.text
    assert "queued" in page.text
    assert "dead letters" in page.text
    assert "inasti" in page.text  # the start message's tracking chain


def test_a_distributed_message_is_listed_and_detailed(
    operator: TestClient, credential: Credential, hub: Hub
) -> None:
    niss, message_id = start_message(operator, credential, hub)
    listing = operator.get("/console/transactions", params={"niss": niss})
    assert listing.status_code == 200
    assert "self-employed-start" in listing.text
    assert f"/console/messages/{message_id}" in listing.text
    assert "mut-100" in listing.text

    detail = operator.get(f"/console/messages/{message_id}")
    assert detail.status_code == 200
    assert "mut-100" in detail.text
    assert "status-queued" in detail.text
    assert "cas-acerta" in detail.text
    assert "Rerun" not in detail.text
    assert "No answer yet" in detail.text

    accepted = operator.post(
        "/v1/mailbox/acks",
        json={"message_id": message_id, "result": "accept"},
        headers=credential("mut-100"),
    )
    assert accepted.status_code == 200, accepted.text
    answered = operator.get(f"/console/messages/{message_id}").text
    assert "status-accepted" in answered
    assert f"/console/messages/{accepted.json()['answer_id']}" in answered

    consulted = operator.get("/console/consultations", params={"niss": niss})
    assert consulted.status_code == 200
    assert "directory-send-network" in consulted.text  # mut-100's integration
    assert f"operator console: message {message_id}" in consulted.text


def test_a_dead_letter_is_rerun_from_its_message_page(
    operator: TestClient, credential: Credential, hub: Hub
) -> None:
    _, message_id = start_message(operator, credential, hub)
    position = mut_100_row(hub, message_id).position
    assert position is not None
    with hub.uow() as uow:
        uow.mailbox.record_push(
            position,
            status="failed",
            attempts=3,
            next_attempt_at=None,
            last_error="HTTP 400 <b>bad</b>",
            at=hub.clock.now(),
        )
        uow.commit()

    board = operator.get("/console/")
    assert "alert" in board.text
    assert "Newest dead letters" in board.text
    page = operator.get(f"/console/messages/{message_id}")
    assert "Rerun" in page.text
    assert "HTTP 400 &lt;b&gt;bad&lt;/b&gt;" in page.text
    assert operator.get("/console/transactions", params={"status": "failed"}).text.count(message_id)

    rerun = operator.post(
        f"/console/messages/{message_id}/rerun", data={"recipient": "mut-100"}, headers=HTMX
    )
    assert rerun.status_code == 200
    assert "Back in the push queue (1)" in rerun.text
    row = mut_100_row(hub, message_id)
    assert (row.status, row.attempts, row.last_error) == ("queued", 0, None)
    again = operator.post(f"/console/messages/{message_id}/rerun", data={}, headers=HTMX)
    assert "Nothing to rerun" in again.text
    log = operator.get("/console/consultations", params={"caller": "bcss"}).text
    assert "<td>rerun</td>" in log
    assert f"message {message_id} back in the push queue for mut-100" in log


def test_the_verify_button_reports_an_intact_tracking_file(
    operator: TestClient, credential: Credential, hub: Hub
) -> None:
    start_message(operator, credential, hub)
    fragment = operator.post("/console/verify", headers=HTMX)
    assert fragment.status_code == 200
    assert "Intact" in fragment.text
    page = operator.post("/console/verify", headers=SAME_ORIGIN)
    assert "Intact" in page.text
    assert "Mailboxes" in page.text


def test_the_verify_button_names_a_sender_no_institution_registers(
    operator: TestClient, hub: Hub
) -> None:
    stray_rows(hub.engine, sender="ghost-sender", messages=2, recipient="mut-100", rows=1)
    fragment = operator.post("/console/verify", headers=HTMX)
    assert fragment.status_code == 200
    assert (
        "2 rows of messages have the sender ghost-sender, which is no registered institution."
        in fragment.text
    )
    assert "Intact" not in fragment.text


def test_an_unknown_message_is_a_404_page(operator: TestClient) -> None:
    response = operator.get("/console/messages/nope")
    assert response.status_code == 404
    assert "no message" in response.text


def test_a_malformed_query_is_an_html_page(operator: TestClient) -> None:
    for path, params in (
        ("/console/consultations", {"limit": "0"}),
        ("/console/transactions", {"before": "soon"}),
    ):
        response = operator.get(path, params=params)
        assert response.status_code == 422
        assert response.headers["content-type"].startswith("text/html")


def test_values_are_escaped(operator: TestClient) -> None:
    attack = "<script>alert(1)</script>"
    for path in ("/console/transactions", "/console/consultations"):
        response = operator.get(path, params={"niss": attack})
        assert response.status_code == 422
        assert attack not in response.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text


def test_a_post_from_another_site_is_refused(
    operator: TestClient, credential: Credential, hub: Hub
) -> None:
    _, message_id = start_message(operator, credential, hub)
    for headers in ({}, {"Origin": "https://evil.example"}, {"Origin": "null"}):
        response = operator.post(f"/console/messages/{message_id}/rerun", headers=headers)
        assert response.status_code == 403, headers
    token = operator.headers.pop("X-CSRF-Token")
    missing = operator.post(f"/console/messages/{message_id}/rerun", headers=SAME_ORIGIN)
    assert missing.status_code == 403
    assert "no valid token" in missing.text
    forged = operator.post("/console/verify", data={"csrf": "forged"}, headers=SAME_ORIGIN)
    assert forged.status_code == 403
    operator.headers["X-CSRF-Token"] = token
    referer = operator.post("/console/verify", headers={"Referer": "http://testserver/console/"})
    assert referer.status_code == 200


def test_signing_out_forgets_the_cookie(operator: TestClient) -> None:
    response = operator.post("/console/logout", headers=SAME_ORIGIN, follow_redirects=False)
    assert response.status_code == 303
    assert operator.get("/console/", follow_redirects=False).status_code == 303


def test_transactions_load_more_as_an_htmx_fragment(
    operator: TestClient, credential: Credential, hub: Hub
) -> None:
    start_message(operator, credential, hub)
    start_message(operator, credential, hub)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("carrefour.web.console.PAGE_SIZE", 1)
        first = operator.get("/console/transactions")
        assert "Load more" in first.text
        before = first.text.split("before=")[1].split('"')[0]
        fragment = operator.get(
            "/console/transactions", params={"before": before}, headers={"HX-Request": "true"}
        )
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith("<tr>")
    assert "<html" not in fragment.text


def test_the_payload_is_shown_as_labelled_fields_with_the_raw_json_folded(
    operator: TestClient, credential: Credential, hub: Hub
) -> None:
    _, message_id = start_message(operator, credential, hub)
    page = operator.get(f"/console/messages/{message_id}").text
    assert '<dt class="mono">contributor_category</dt><dd>A</dd>' in page
    assert "<details><summary>Raw JSON</summary>" in page


def test_an_operator_pauses_and_resumes_push_delivery_from_the_console(
    operator: TestClient, credential: Credential, hub: Hub
) -> None:
    _, message_id = start_message(operator, credential, hub)
    assert "/console/delivery/mut-100/pause" in operator.get(f"/console/messages/{message_id}").text
    paused = operator.post("/console/delivery/mut-100/pause", headers=SAME_ORIGIN)
    assert paused.status_code == 200
    assert "/console/delivery/mut-100/resume" in paused.text
    with hub.uow() as uow:
        assert uow.console.paused_at("mut-100") is not None
    resumed = operator.post("/console/delivery/mut-100/resume", headers=SAME_ORIGIN)
    assert "No recipient paused." in resumed.text
    assert operator.post("/console/delivery/mut-100/stop", headers=SAME_ORIGIN).status_code == 404


def test_a_tracking_file_row_lists_the_entries_its_holder_keeps(
    operator: TestClient, credential: Credential, hub: Hub
) -> None:
    from tests.support import employee_voucher

    voucher = post_voucher(
        operator, credential("cas-acerta"), kind="self-employed", niss=make_niss(),
        period="2024", ct1="410", ct2="460", cas="cas-acerta", contributor_category="A",
        quarters=["in-order"] * 4,
    )  # fmt: skip
    sent = voucher["message_id"]  # sent by the CAS, kept in INASTI's tracking file
    other = employee_voucher(hub, make_niss())  # ONSS keeps its own
    board = operator.get("/console/").text
    link = re.search(r'<td><a href="([^"]+)">inasti</a></td>', board)
    assert link, "no row for INASTI's tracking file"
    listing = operator.get(html.unescape(link.group(1))).text
    assert f"/console/messages/{sent}" in listing
    assert "<td>cas-acerta</td>" in listing  # its emitter
    assert f"/console/messages/{other.message_id}" not in listing
    assert 'name="holder" value="inasti"' in listing  # the filter stays on the form
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("carrefour.web.console.PAGE_SIZE", 1)
        start_message(operator, credential, hub)  # INASTI's own start message, same file
        first = operator.get(html.unescape(link.group(1))).text
    assert "holder=inasti&amp;before=" in first  # and on the next page's link
