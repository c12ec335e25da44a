"""The printable documents: the paper voucher and the provisional proof of insurability."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from typing import Any

import pytest
from pypdf import PdfReader

from carrefour.adapters.documents import render_paper_voucher, render_provisional_proof
from carrefour.adapters.documents.pdf import printable

ISSUED_AT = datetime(2025, 7, 14, 10, 32, tzinfo=UTC)
NISS = "68.06.01-053.29"

FIELDS = [
    ("Jours de travail", "Arbeidsdagen", "64"),
    ("Code titulaire CT1", "Code gerechtigde CT1", "110"),
    ("Code titulaire CT2", "Code gerechtigde CT2", "461"),
    ("Régime de travail", "Arbeidsregeling", "Temps plein / Voltijds"),
    ("Catégorie d'employeur", "Werkgeverscategorie", "Privé / Privé"),
    ("Nom de l'intéressé", "Naam van de betrokkene", "Noël Lefèvre-Hoëllër"),
]


def pdf_text(pdf: bytes) -> str:
    """The text of every page, whitespace collapsed so that wrapped lines read as one."""
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def page_count(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)


def paper_voucher(**changes: Any) -> bytes:
    arguments: dict[str, Any] = {
        "document_id": "PV-2025-000123",
        "sender_name_fr": "Office national de sécurité sociale",
        "sender_name_nl": "Rijksdienst voor Sociale Zekerheid",
        "sender_enterprise_number": "0206.731.645",
        "niss_formatted": NISS,
        "kind_fr": "Bon de cotisation - travailleur salarié",
        "kind_nl": "Bijdragebon - werknemer",
        "period_label": "2025-Q2",
        "fields": FIELDS,
        "reason_fr": "Aucune mutualité n'a intégré cette personne",
        "reason_nl": "Geen ziekenfonds heeft deze persoon geïntegreerd",
        "message_id": "01J2ZK3Q6W9R8T7Y5X4V3B2N1M",
        "issued_at": ISSUED_AT,
    }
    return render_paper_voucher(**(arguments | changes))


def provisional_proof(**changes: Any) -> bytes:
    arguments: dict[str, Any] = {
        "document_id": "PP-2025-000042",
        "niss_formatted": NISS,
        "mutuality_name_fr": "Mutualité chrétienne",
        "mutuality_name_nl": "Christelijke Mutualiteit",
        "case_id": "CELL-2025-0815",
        "valid_from": date(2025, 7, 14),
        "valid_until": date(2025, 12, 31),
        "reason": "Bon de cotisation manquant pour le deuxième trimestre",
        "issued_at": ISSUED_AT,
    }
    return render_provisional_proof(**(arguments | changes))


# --- the paper voucher ----------------------------------------------------------------------


def test_a_paper_voucher_is_a_one_page_pdf() -> None:
    pdf = paper_voucher()
    assert pdf.startswith(b"%PDF")
    assert page_count(pdf) == 1


def test_a_paper_voucher_has_its_title_in_french_and_in_dutch() -> None:
    text = pdf_text(paper_voucher())
    assert "Bon de cotisation" in text
    assert "Bijdragebon" in text


def test_a_paper_voucher_shows_the_niss_the_document_id_and_the_issue_date() -> None:
    text = pdf_text(paper_voucher())
    assert NISS in text
    assert "PV-2025-000123" in text
    assert "14/07/2025 10:32" in text


def test_a_paper_voucher_shows_every_field_with_both_labels_and_its_value() -> None:
    text = pdf_text(paper_voucher())
    for label_fr, label_nl, value in FIELDS:
        assert label_fr in text
        assert label_nl in text
        assert value in text


def test_a_paper_voucher_shows_the_sender_the_kind_the_period_and_the_message() -> None:
    text = pdf_text(paper_voucher())
    for expected in [
        "Office national de sécurité sociale",
        "Rijksdienst voor Sociale Zekerheid",
        "0206.731.645",
        "Bon de cotisation - travailleur salarié",
        "Bijdragebon - werknemer",
        "2025-Q2",
        "01J2ZK3Q6W9R8T7Y5X4V3B2N1M",
    ]:
        assert expected in text


def test_a_paper_voucher_says_in_both_languages_why_it_is_on_paper() -> None:
    text = pdf_text(paper_voucher())
    assert "Aucune mutualité n'a intégré cette personne" in text
    assert "Geen ziekenfonds heeft deze persoon geïntegreerd" in text


def test_a_paper_voucher_tells_the_person_to_bring_it_to_a_mutuality_of_their_choice() -> None:
    text = pdf_text(paper_voucher())
    assert "remettez ce bon à la mutualité de votre choix" in text
    assert "bezorg deze bon aan het ziekenfonds van uw keuze" in text
    assert "dans les deux semaines" in text
    assert "binnen twee weken" in text


def test_a_paper_voucher_has_a_footer_with_the_document_id() -> None:
    assert "Carrefour — PV-2025-000123" in pdf_text(paper_voucher())


def test_accented_french_and_dutch_words_survive() -> None:
    text = pdf_text(paper_voucher())
    for word in ["Régime", "Catégorie", "Privé", "Noël", "Lefèvre-Hoëllër", "geïntegreerd"]:
        assert word in text


def test_thirty_fields_run_onto_a_second_page_and_none_is_lost() -> None:
    fields = [(f"Rubrique numéro {n}", f"Rubriek nummer {n}", f"valeur {n}") for n in range(30)]
    pdf = paper_voucher(fields=fields)
    assert pdf.startswith(b"%PDF")
    assert page_count(pdf) == 2
    text = pdf_text(pdf)
    for label_fr, label_nl, value in fields:
        assert f"{label_fr} {label_nl} {value}" in text


def test_every_page_of_a_long_voucher_has_its_footer_and_its_number() -> None:
    fields = [(f"Rubrique {n}", f"Rubriek {n}", str(n)) for n in range(30)]
    reader = PdfReader(io.BytesIO(paper_voucher(fields=fields)))
    for number, page in enumerate(reader.pages, start=1):
        text = " ".join(page.extract_text().split())
        assert "Carrefour — PV-2025-000123" in text
        assert f"{number} / 2" in text


def test_a_word_wider_than_its_column_is_cut_rather_than_lost() -> None:
    value = "X" * 150
    text = pdf_text(paper_voucher(fields=[("Référence", "Referentie", value)]))
    assert value in "".join(text.split())


def test_a_value_on_several_lines_keeps_every_line() -> None:
    text = pdf_text(paper_voucher(fields=[("Adresse", "Adres", "Rue Haute 1\n1000 Bruxelles")]))
    assert "Rue Haute 1 1000 Bruxelles" in text


def test_characters_outside_the_core_font_are_replaced_rather_than_fatal() -> None:
    fields = [("Nom", "Naam", "Łukasz Szczęsny 🙂 Ørsted")]
    text = pdf_text(paper_voucher(fields=fields))
    assert "Lukasz Szczesny ? Ørsted" in text


def test_the_same_voucher_renders_to_the_same_bytes() -> None:
    assert paper_voucher() == paper_voucher()


def test_the_issue_moment_is_the_creation_date_of_the_pdf() -> None:
    metadata = PdfReader(io.BytesIO(paper_voucher())).metadata
    assert metadata is not None
    assert metadata.creation_date == ISSUED_AT


# --- the provisional proof of insurability --------------------------------------------------


def test_a_provisional_proof_is_a_one_page_pdf() -> None:
    pdf = provisional_proof()
    assert pdf.startswith(b"%PDF")
    assert page_count(pdf) == 1


def test_a_provisional_proof_has_its_title_in_french_and_in_dutch() -> None:
    text = pdf_text(provisional_proof())
    assert "Preuve provisoire d'assurabilité" in text
    assert "Voorlopig bewijs van verzekerbaarheid" in text


def test_a_provisional_proof_shows_the_niss_the_mutuality_the_case_and_the_reason() -> None:
    text = pdf_text(provisional_proof())
    for expected in [
        NISS,
        "PP-2025-000042",
        "Mutualité chrétienne",
        "Christelijke Mutualiteit",
        "CELL-2025-0815",
        "Bon de cotisation manquant pour le deuxième trimestre",
        "Carrefour — PP-2025-000042",
    ]:
        assert expected in text


def test_a_provisional_proof_labels_every_value_in_both_languages() -> None:
    text = pdf_text(provisional_proof())
    for label_fr, label_nl in [
        ("Numéro NISS", "INSZ-nummer"),
        ("Mutualité", "Ziekenfonds"),
        ("Dossier de la cellule", "Dossier van de cel"),
        ("Valable à partir du", "Geldig vanaf"),
        ("Valable jusqu'au (inclus)", "Geldig tot en met"),
        ("Motif", "Reden"),
    ]:
        assert label_fr in text
        assert label_nl in text


def test_a_provisional_proof_states_its_validity_in_both_languages() -> None:
    text = pdf_text(provisional_proof())
    assert "du 14/07/2025 au 31/12/2025 inclus" in text
    assert "van 14/07/2025 tot en met 31/12/2025" in text


def test_a_provisional_proof_says_a_definitive_voucher_supersedes_it() -> None:
    text = pdf_text(provisional_proof())
    assert "bon de cotisation définitif, qui la remplace" in text
    assert "definitieve bijdragebon, die het vervangt" in text


def test_a_mutuality_with_one_name_is_named_once() -> None:
    text = pdf_text(
        provisional_proof(mutuality_name_fr="Partenamut", mutuality_name_nl="Partenamut")
    )
    assert "Partenamut / Partenamut" not in text
    assert "Partenamut" in text


def test_a_provisional_proof_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(ValueError, match="before"):
        provisional_proof(valid_from=date(2025, 7, 14), valid_until=date(2025, 7, 13))


def test_the_same_proof_renders_to_the_same_bytes() -> None:
    assert provisional_proof() == provisional_proof()


# --- text the core fonts can draw -----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "drawn"),
    [
        ("Lefèvre ë ï ç œ €", "Lefèvre ë ï ç œ €"),
        ("Győr", "Gyor"),
        ("Łódź", "Lódz"),
        ("ﬁn", "fin"),
        ("🙂", "?"),
        ("a\tb", "a b"),
        ("a\r\nb", "a\nb"),
        ("a\u200bb", "ab"),
        ("12\u202f000", "12\u00a0000"),
        ("a\u2011b", "a-b"),
    ],
)
def test_text_is_made_drawable_with_the_core_fonts(text: str, drawn: str) -> None:
    assert printable(text) == drawn
