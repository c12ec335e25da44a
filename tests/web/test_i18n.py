"""The console in French, Dutch and English: every message of the templates translated, the
language chosen by ``?lang=``, by the browser, and per user; Belgian formats; no English word
left on a Dutch page."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from babel.messages.extract import extract_from_dir
from fastapi.testclient import TestClient

from carrefour.bootstrap import Hub
from carrefour.domain.console import Role
from carrefour.web import i18n
from carrefour.web.locale import messages
from tests.web.test_person import person_with_career, signed_in

Credential = Callable[[str], dict[str, str]]
WEB = Path(i18n.__file__).resolve().parent


def test_every_message_of_the_console_is_translated(tmp_path: Path) -> None:
    found = {
        message
        for _, _, message, _, _ in extract_from_dir(
            str(WEB),
            method_map=[("templates/**.html", "jinja2"), ("**.py", "python")],
            options_map={"templates/**.html": {"extensions": "jinja2.ext.i18n"}},
            keywords={"_": None, "translate": (2,)},
        )
        if isinstance(message, str)
    }
    assert found - set(messages.MESSAGES) == set()
    messages.write(tmp_path)  # the shipped .po files are the ones the source makes
    for language in ("fr", "nl"):
        relative = Path(language, "LC_MESSAGES", "console.po")
        assert (tmp_path / relative).read_text() == (WEB / "locale" / relative).read_text()


def visible_text(html: str) -> str:
    html = re.sub(r"<(script|style|svg)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r'<[^>]*\b(?:class|href|name|value|id|type)="[^"]*"[^>]*>', " ", html)
    return re.sub(r"<[^>]+>", " ", html)


def english_left(html: str) -> set[str]:
    text = visible_text(html)
    return {
        english
        for english, (_, dutch) in messages.MESSAGES.items()
        if len(english) > 3
        and english != dutch
        and "%" not in english
        and re.search(rf"(?<![\w-]){re.escape(english)}(?![\w-])", text)
    }


def test_a_dutch_person_page_has_no_english_word_left(
    client: TestClient, credential: Credential, hub: Hub
) -> None:
    niss = person_with_career(client, credential)
    signed_in(client, hub, Role.OPERATOR)
    page = client.get(f"/console/persons/{niss}", params={"lang": "nl"}).text
    assert '<html lang="nl">' in page
    assert "Loopbaan als zelfstandige" in page
    assert english_left(page) == set()
    board = client.get("/console/", params={"lang": "nl"}).text
    assert english_left(board) == set()
    assert "Brievenbussen" in board


def test_the_language_follows_the_browser_then_the_users_choice(
    client: TestClient, hub: Hub
) -> None:
    assert '<html lang="fr">' in client.get("/console/login").text
    dutch = client.get("/console/login", headers={"Accept-Language": "nl-BE,nl;q=0.9"}).text
    assert '<html lang="nl">' in dutch
    assert "Aanmelden" in dutch
    signed_in(client, hub, Role.OPERATOR)  # the user's language is English
    assert '<html lang="en">' in client.get("/console/").text
    switched = client.post(
        "/console/language",
        data={"lang": "nl", "back": "/console/"},
        headers={"Origin": "http://testserver"},
    )
    assert '<html lang="nl">' in switched.text
    with hub.uow() as uow:
        user = uow.console.user("operator-x")
    assert user is not None
    assert user.language == "nl"


def test_dates_and_numbers_take_the_belgian_formats() -> None:
    assert i18n.day("2025-03-01", "fr") == "01/03/2025"
    assert i18n.day("2025-03-01", "nl") == "01/03/2025"
    assert i18n.number(12345, "nl") == "12.345"


def payload_value(html: str, key: str) -> str:
    found = re.search(rf'<dt class="mono">{re.escape(key)}</dt><dd>(.*?)</dd>', html)
    assert found, f"no payload field {key}"
    return found.group(1)


def test_the_message_page_shows_null_and_false_payload_values_in_the_readers_words(
    client: TestClient, credential: Credential, hub: Hub
) -> None:
    from tests.web.test_console import start_message

    _, message_id = start_message(client, credential, hub)  # no end yet, not a resumption
    signed_in(client, hub, Role.OPERATOR)
    for language, no in (("fr", "non"), ("nl", "nee"), ("en", "no")):
        html = client.get(f"/console/messages/{message_id}", params={"lang": language}).text
        assert payload_value(html, "resumption") == no
        assert payload_value(html, "end") == "—"
        assert payload_value(html, "end_reason") == "—"
        fields = re.findall(r'<dl class="envelope fields">(.*?)</dl>', html, flags=re.S)
        assert not re.search(r">(None|False|True)<", fields[0])


def test_a_payload_value_reads_as_a_word_a_dash_or_itself() -> None:
    assert [i18n.shown(True, lang) for lang in ("fr", "nl", "en")] == ["oui", "ja", "yes"]
    assert [i18n.shown(False, lang) for lang in ("fr", "nl", "en")] == ["non", "nee", "no"]
    assert i18n.shown(None, "nl") == "—"
    assert i18n.shown(0, "fr") == "0"  # a number is not a boolean
    assert i18n.shown("2025-01-01", "en") == "2025-01-01"
