"""Seed 002 walked end to end over HTTP, on SQLite and PostgreSQL.

"Il se peut que la transmission électronique d'un bon de cotisation échoue en raison d'un
problème d'intégration constaté par la BCSS. Dans ce cas, un bon de cotisation papier est en
principe envoyé à l'employeur avec la demande de le transmettre au travailleur." Then the person
brings the paper to a mutuality, which "doit avant tout vérifier l'identification correcte" and
tells the emitters the NISS the mutualities know; the voucher reaches the mutuality
electronically; the tracking files are kept "auprès de l'ONSS, de l'INASTI, de l'ONEm ou du
cadastre des pensions".
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from fastapi.testclient import TestClient

from carrefour.bootstrap import Hub
from carrefour.domain.identifiers import format_niss
from carrefour.services.tracking import verify
from tests.support import employee, integrate_all, make_niss

Credential = Callable[[str], dict[str, str]]
PROBLEM = "urn:carrefour:problem:"


def mail(client: TestClient, headers: dict[str, str], flow: str) -> list[dict[str, Any]]:
    response = client.get("/v1/mailbox?limit=1000", headers=headers)
    assert response.status_code == 200, response.text
    return [item for item in response.json()["items"] if item["flow"] == flow]


def submit(client: TestClient, headers: dict[str, str], voucher: dict[str, Any]) -> Any:
    response = client.post("/v1/vouchers", json=voucher, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def correct(client: TestClient, headers: dict[str, str], **body: Any) -> Any:
    return client.post("/v1/corrections", json=body, headers=headers)


def test_the_paper_brought_to_the_mutuality_is_corrected_rerouted_and_told_to_its_emitter(
    client: TestClient, credential: Credential, hub: Hub
) -> None:
    wrong, right = make_niss(), make_niss()
    onss, mut300, cell = credential("onss"), credential("mut-300"), credential("inami-sca")

    # An ONSS voucher for a NISS no mutuality integrated goes on paper...
    outcome = submit(client, onss, employee(wrong))
    assert outcome["status"] == "paper"
    document_id = outcome["document_id"]

    # ... and ONSS, the emitter, is told to have the employer hand it over.
    [notice] = mail(client, onss, "paper-voucher")
    assert notice["payload"]["document_id"] == document_id
    assert notice["payload"]["employer"] == "0403019261"
    assert notice["payload"]["hander"] == "onss"
    assert client.get(f"/v1/documents/{document_id}", headers=onss).status_code == 200

    # The person brings the paper to mut-300, which knows them under the right NISS.
    integrate_all(hub, {right: "mut-300"})
    response = correct(client, mut300, document_id=document_id, correct_niss=format_niss(right))

    assert response.status_code == 200, response.text
    done = response.json()
    assert (done["old_niss"], done["new_niss"]) == (wrong, right)
    assert done["message_id"] == outcome["message_id"]
    assert done["paper_closed"] is True
    assert done["recipients"] == ["mut-300"]
    assert done["notified"] == ["onss"]

    # The voucher reaches mut-300 electronically, under the right NISS.
    [voucher] = mail(client, mut300, "contribution-voucher")
    assert voucher["message_id"] == done["rerouted"][0]
    assert (voucher["niss"], voucher["sender"]) == (right, "onss")
    assert voucher["in_reply_to"] == outcome["message_id"]
    assert voucher["payload"]["days_worked"] == 60

    # ONSS learns the NISS the mutualities know...
    [told] = mail(client, onss, "identification-correction")
    assert told["payload"]["old_niss"] == wrong
    assert told["payload"]["new_niss"] == right
    assert told["payload"]["document_id"] == document_id

    # ... and INAMI's cell sees the A911 record resolved.
    a911 = client.get("/v1/inami/a911", headers=cell).json()["items"]
    resolved = [r for r in a911 if r.get("resolved") is True]
    assert [(r["document_id"], r["new_niss"], r["corrected_by"]) for r in resolved] == [
        (document_id, right, "mut-300")
    ]

    # The correction replaced no number: ONEm still integrates the old one.
    integrated = client.put(
        f"/v1/directory/{wrong}/integrations",
        json={"capacity": "001", "phase": 1, "begin": "2025-01-01"},
        headers=credential("onem"),
    )
    assert integrated.status_code in (200, 201), integrated.text

    # The same correction by its message id changes nothing.
    again = correct(client, mut300, message_id=outcome["message_id"], correct_niss=right)
    assert again.status_code == 200, again.text
    assert again.json()["repeated"] is True
    assert len(mail(client, mut300, "contribution-voucher")) == 1

    with hub.uow() as uow:
        assert verify(uow).broken is None


def test_who_hands_a_paper_voucher_over_is_told_and_may_read_it(
    client: TestClient, credential: Credential, hub: Hub
) -> None:
    # ONEm's voucher: its payment body hands it over.
    unemployed = make_niss()
    paper = submit(
        client,
        credential("onem"),
        {"kind": "unemployment", "niss": unemployed, "period": "2025Q1", "ct1": "110",
         "ct2": "000", "compensated_days": 30, "payment_body": "capac"},
    )  # fmt: skip
    assert paper["status"] == "paper"
    capac = credential("capac")
    [notice] = mail(client, capac, "paper-voucher")
    assert notice["payload"]["document_id"] == paper["document_id"]
    assert client.get(f"/v1/documents/{paper['document_id']}", headers=capac).status_code == 200

    # A pension payer's voucher through the cadastre: the payer hands it over.
    pensioner = make_niss(born=date(1950, 2, 2))
    payer = credential("payer-ethias-pension")
    pension = submit(
        client,
        payer,
        {"kind": "pension", "niss": pensioner, "period": "2025-03", "ct1": "110", "ct2": "460",
         "gross_pension": "1834.20", "health_withholding": "65.11",
         "pension_payer": "payer-ethias-pension"},
    )  # fmt: skip
    assert pension["status"] == "paper"
    [told] = mail(client, payer, "paper-voucher")
    assert told["payload"]["document_id"] == pension["document_id"]
    assert client.get(f"/v1/documents/{pension['document_id']}", headers=payer).status_code == 200

    # Someone else still gets 404, as if the document did not exist.
    other = client.get(f"/v1/documents/{pension['document_id']}", headers=credential("onss"))
    assert other.status_code == 404


def test_tracking_entries_go_to_the_holder_of_the_senders_network(
    client: TestClient, credential: Credential, hub: Hub
) -> None:
    person = make_niss()
    integrate_all(hub, {person: "mut-100"})
    cas = submit(
        client,
        credential("cas-acerta"),
        {"kind": "self-employed", "niss": person, "period": "2024", "ct1": "410", "ct2": "460",
         "cas": "cas-acerta", "contributor_category": "A",
         "quarters": ["in-order", "in-order", "in-order", "in-order"]},
    )  # fmt: skip
    unemployment = submit(
        client,
        credential("onem"),
        {"kind": "unemployment", "niss": person, "period": "2025Q1", "ct1": "110",
         "ct2": "000", "compensated_days": 30, "payment_body": "capac"},
    )  # fmt: skip

    with hub.uow() as uow:
        holders = {e.message_id: e.holder for e in uow.tracking.select(niss=person)}
        assert holders[cas["message_id"]] == "inasti"
        assert holders[unemployment["message_id"]] == "onem"
        assert "cas-acerta" not in uow.tracking.emitters()
        assert verify(uow).broken is None
    # The mutuality consults the tracking file as before.
    seen = client.get(f"/v1/tracking?niss={person}", headers=credential("mut-100")).json()
    assert {e["message_id"] for e in seen["items"]} >= {cas["message_id"]}


# --- bad input -------------------------------------------------------------------------------


def test_a_correction_by_one_that_neither_received_nor_holds_the_voucher_is_refused_and_logged(
    client: TestClient, credential: Credential, hub: Hub
) -> None:
    person = make_niss()
    integrate_all(hub, {person: "mut-200"})
    electronic = submit(client, credential("onss"), employee(person))
    assert electronic["recipients"] == ["mut-200"]

    response = correct(
        client, credential("mut-100"), message_id=electronic["message_id"], correct_niss=make_niss()
    )
    not_mutuality = submit(client, credential("onss"), employee(make_niss()))
    by_onem = correct(
        client, credential("onem"), document_id=not_mutuality["document_id"],
        correct_niss=make_niss(),
    )  # fmt: skip

    assert response.status_code == 403, response.text
    assert response.json()["type"] == PROBLEM + "not-holder"
    assert by_onem.status_code == 403, by_onem.text
    assert by_onem.json()["type"] == PROBLEM + "not-authorised"
    assert mail(client, credential("onss"), "identification-correction") == []
    with hub.uow() as uow:
        lines = uow.consultations.select(niss=person)
    refused = [(x.caller, x.object_id) for x in lines if x.flow.startswith("identif")]
    assert ("mut-100", electronic["message_id"]) in refused
    assert not any(x.allowed for x in lines if x.flow == "identification-correction")


def test_a_second_correction_of_a_voucher_to_another_niss_is_409_and_unknown_ids_404(
    client: TestClient, credential: Credential, hub: Hub
) -> None:
    wrong, right, other = make_niss(), make_niss(), make_niss()
    paper = submit(client, credential("onss"), employee(wrong))
    mut300, mut100 = credential("mut-300"), credential("mut-100")
    first = correct(client, mut300, document_id=paper["document_id"], correct_niss=right)
    assert first.status_code == 200, first.text

    second = correct(client, mut100, message_id=paper["message_id"], correct_niss=other)
    unknown_document = correct(client, mut300, document_id="no-such-document", correct_niss=right)
    unknown_message = correct(client, mut300, message_id="no-such-message", correct_niss=right)
    invalid = correct(client, mut300, document_id=paper["document_id"], correct_niss="12345678901")
    both = correct(client, mut300, document_id=paper["document_id"],
                   message_id=paper["message_id"], correct_niss=right)  # fmt: skip

    assert second.status_code == 409, second.text
    assert second.json()["type"] == PROBLEM + "already-corrected"
    assert second.json()["new_niss"] == right
    assert unknown_document.status_code == 404, unknown_document.text
    assert unknown_message.status_code == 404, unknown_message.text
    assert invalid.status_code == 422, invalid.text
    assert invalid.json()["type"] == PROBLEM + "invalid-niss"
    assert both.status_code == 422, both.text
    told = mail(client, credential("onss"), "identification-correction")
    assert [t["payload"]["new_niss"] for t in told] == [right]


def test_a_correction_made_before_the_mutuality_integrated_the_person_routes_once_it_has(
    client: TestClient, credential: Credential, hub: Hub
) -> None:
    wrong, right = make_niss(), make_niss()
    paper = submit(client, credential("onss"), employee(wrong))
    mut300 = credential("mut-300")

    early = correct(client, mut300, document_id=paper["document_id"], correct_niss=right)
    assert early.status_code == 200, early.text
    assert (early.json()["rerouted"], early.json()["paper_closed"]) == ([], False)
    integrate_all(hub, {right: "mut-300"})
    late = correct(client, mut300, document_id=paper["document_id"], correct_niss=right)
    after = correct(client, mut300, document_id=paper["document_id"], correct_niss=right)

    assert late.status_code == 200, late.text
    assert late.json()["paper_closed"] is True
    assert late.json()["recipients"] == ["mut-300"]
    assert after.json()["repeated"] is True
    assert after.json()["rerouted"] == late.json()["rerouted"]
    assert len(mail(client, mut300, "contribution-voucher")) == 1
    # One correction message reached ONSS, however many times the mutuality sent it.
    assert len(mail(client, credential("onss"), "identification-correction")) == 1
