"""The console in a real browser (Debian's chromium driven by Playwright) against a running
``carrefour serve`` on the demo data: sign in per role, find a person and see the timeline, open
a paper voucher's PDF, switch to Dutch, a refusal for a person not integrated, a form post
without its token, verify naming an unregistered sender and recipient in French and Dutch, and
a 420 px viewport. Each main page is saved under docs/screenshots/."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from carrefour.adapters.db.engine import make_engine
from tests.support import employee, make_niss, stray_rows
from tests.web.test_i18n import english_left

playwright_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None and os.environ.get("CI") != "true", reason="chromium is not installed"
)
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@dataclass
class Demo:
    url: str
    credentials: dict[str, str]
    passwords: dict[str, str]

    def api(self, institution: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.credentials[institution]}"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_demo(folder: Path, prepare: Callable[[str], None] | None = None) -> Iterator[Demo]:
    """``carrefour demo`` loaded in ``folder``, then ``prepare(database_url)`` if given, then
    ``carrefour serve`` on it until the block ends."""
    port = _free_port()
    database_url = f"sqlite:///{folder / 'demo.db'}"
    env = {
        **os.environ,
        "CARREFOUR_DATABASE_URL": database_url,
        "CARREFOUR_SIGNING_KEY": str(folder / "signing.key"),
        "CARREFOUR_PORT": str(port),
        "CARREFOUR_LOG_LEVEL": "warning",
    }
    command = [sys.executable, "-m", "carrefour.cli.main"]
    loaded = subprocess.run(  # noqa: S603 - our own command
        [*command, "demo", "--no-serve", "--persons", "40"],
        env=env, capture_output=True, text=True, check=True, timeout=300,
    )  # fmt: skip
    credentials = dict(re.findall(r"^  (\S+) (cf_\S+)$", loaded.stdout, re.M))
    passwords = dict(re.findall(r"^  (\S+) (\S{16}) \S+ \S+$", loaded.stdout, re.M))
    assert "agent-onss" in passwords, loaded.stdout  # the demo's agent of a sender
    if prepare is not None:
        prepare(database_url)
    server = subprocess.Popen([*command, "serve"], env=env)  # noqa: S603
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield Demo(url, credentials, passwords)
    finally:
        server.terminate()
        server.wait(timeout=20)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    with running_demo(tmp_path_factory.mktemp("browser")) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with playwright_api.sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=CHROMIUM)
        yield launched
        launched.close()


def new_page(browser: object, width: int = 1280) -> object:
    context = browser.new_context(viewport={"width": width, "height": 900})  # type: ignore[attr-defined]
    return context.new_page()


def sign_in(page: object, demo: Demo, user: str, lang: str = "fr") -> None:
    page.goto(f"{demo.url}/console/login?lang={lang}")  # type: ignore[attr-defined]
    page.fill("#name", user)  # type: ignore[attr-defined]
    page.fill("#password", demo.passwords[user])  # type: ignore[attr-defined]
    page.click("form:not(details form) button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_load_state()  # type: ignore[attr-defined]


def person_with_career(demo: Demo) -> str:
    listing = httpx.get(f"{demo.url}/v1/directory", headers=demo.api("mut-100"), timeout=10)
    for item in listing.json()["items"]:
        career = httpx.get(
            f"{demo.url}/v1/rgti/careers/{item['niss']}", headers=demo.api("mut-100"), timeout=10
        )
        if career.status_code == 200 and career.json().get("segments"):
            return str(item["niss"])
    pytest.fail("the demo has no person of mut-100 with a career")


def no_horizontal_scroll(page: object) -> bool:
    return bool(
        page.evaluate(  # type: ignore[attr-defined]
            "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
        )
    )


def test_an_operator_finds_a_person_and_sees_the_timeline_in_french_and_dutch(
    demo: Demo, browser: object
) -> None:
    niss = person_with_career(demo)
    page = new_page(browser)
    page.goto(f"{demo.url}/console/login?lang=fr")  # type: ignore[attr-defined]
    page.screenshot(path=str(SHOTS / "login-fr.png"))  # type: ignore[attr-defined]
    sign_in(page, demo, "operator")
    assert page.locator("html").get_attribute("lang") == "fr"  # type: ignore[attr-defined]
    assert "Tableau de bord" in page.inner_text("h1")  # type: ignore[attr-defined]
    page.screenshot(path=str(SHOTS / "dashboard-fr.png"), full_page=True)  # type: ignore[attr-defined]
    page.click("text=Personnes")  # type: ignore[attr-defined]
    page.fill("input[name=niss]", f"{niss[:2]}.{niss[2:4]}.{niss[4:6]}-{niss[6:9]}.{niss[9:]}")  # type: ignore[attr-defined]
    page.click("form.filters button")  # type: ignore[attr-defined]
    page.wait_for_selector("svg.timeline rect.segment")  # type: ignore[attr-defined]
    page.screenshot(path=str(SHOTS / "person-fr.png"), full_page=True)  # type: ignore[attr-defined]
    page.click("form.lang button[value=nl]")  # type: ignore[attr-defined]
    page.wait_for_selector("html[lang=nl]")  # type: ignore[attr-defined]
    assert english_left(page.content()) == set()  # type: ignore[attr-defined]
    page.screenshot(path=str(SHOTS / "person-nl.png"), full_page=True)  # type: ignore[attr-defined]


def test_a_paper_vouchers_pdf_opens_from_the_person_page(demo: Demo, browser: object) -> None:
    niss = make_niss()
    sent = httpx.post(
        f"{demo.url}/v1/vouchers", json=employee(niss), headers=demo.api("onss"), timeout=10
    )
    assert sent.status_code in (200, 201, 202), sent.text
    page = new_page(browser)
    sign_in(page, demo, "operator", lang="en")
    page.goto(f"{demo.url}/console/persons/{niss}")  # type: ignore[attr-defined]
    link = page.locator("a.pdf")  # type: ignore[attr-defined]
    href = link.get_attribute("href")
    pdf = page.request.get(f"{demo.url}{href}")  # type: ignore[attr-defined]
    assert pdf.status == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")


def test_an_agent_is_refused_a_person_not_integrated_and_the_attempt_is_logged(
    demo: Demo, browser: object
) -> None:
    niss = make_niss()
    put = httpx.put(
        f"{demo.url}/v1/directory/{niss}/integrations",
        json={"capacity": "001", "phase": 1, "begin": "2020-01-01"},
        headers=demo.api("mut-200"),
        timeout=10,
    )
    assert put.status_code == 201, put.text
    page = new_page(browser)
    sign_in(page, demo, "agent-mut-100", lang="en")
    response = page.goto(f"{demo.url}/console/persons/{niss}?lang=en")  # type: ignore[attr-defined]
    assert response.status == 403
    assert "Not authorised" in page.inner_text("h1")  # type: ignore[attr-defined]
    page.screenshot(path=str(SHOTS / "refused-en.png"))  # type: ignore[attr-defined]
    operator = new_page(browser)
    sign_in(operator, demo, "operator", lang="en")
    operator.goto(f"{demo.url}/console/consultations?niss={niss}&caller=mut-100")  # type: ignore[attr-defined]
    assert "MSG000" in operator.inner_text("table")  # type: ignore[attr-defined]


def test_a_form_post_without_its_token_is_refused(demo: Demo, browser: object) -> None:
    page = new_page(browser)
    sign_in(page, demo, "operator", lang="en")
    refused = page.request.post(  # type: ignore[attr-defined]
        f"{demo.url}/console/verify", headers={"Origin": demo.url}, form={"x": "1"}
    )
    assert refused.status == 403
    page.click("form[action$='/verify'] button")  # type: ignore[attr-defined]
    page.wait_for_selector("#verify .result.good")  # type: ignore[attr-defined]


def test_verify_names_an_unregistered_sender_and_recipient_in_french_and_dutch(
    tmp_path: Path, browser: object
) -> None:
    def strays(database_url: str) -> None:
        engine = make_engine(database_url)
        try:
            stray_rows(engine, sender="ghost-sender", messages=2, recipient="ghost-mut", rows=1)
        finally:
            engine.dispose()

    with running_demo(tmp_path, prepare=strays) as stray_demo:
        for lang, sender_line, recipient_line in (
            ("fr", "2 lignes de messages ont pour sender ghost-sender",
             "1 lignes de mailbox ont pour recipient ghost-mut"),
            ("nl", "2 rijen van messages hebben als sender ghost-sender",
             "1 rijen van mailbox hebben als recipient ghost-mut"),
        ):  # fmt: skip
            page = new_page(browser)
            sign_in(page, stray_demo, "operator", lang=lang)
            page.click(f"form.lang button[value={lang}]")  # type: ignore[attr-defined]
            page.wait_for_selector(f"html[lang={lang}]")  # type: ignore[attr-defined]
            page.click("form[action$='/verify'] button")  # type: ignore[attr-defined]
            page.wait_for_selector("#verify .result.bad")  # type: ignore[attr-defined]
            shown = page.inner_text("#verify")  # type: ignore[attr-defined]
            assert sender_line in shown, shown
            assert recipient_line in shown, shown
            assert page.locator("#verify .result.good").count() == 0  # type: ignore[attr-defined]
            page.locator("#verify").screenshot(path=str(SHOTS / f"verify-{lang}.png"))  # type: ignore[attr-defined]


def test_a_420_px_viewport_has_no_horizontal_scroll(demo: Demo, browser: object) -> None:
    niss = person_with_career(demo)
    page = new_page(browser, width=420)
    sign_in(page, demo, "operator")
    paths = ("/console/", f"/console/persons/{niss}", "/console/transactions", "/console/flows",
             "/console/batches", "/console/inami/cases")  # fmt: skip
    for path in paths:
        page.goto(f"{demo.url}{path}")  # type: ignore[attr-defined]
        assert no_horizontal_scroll(page), path
    page.goto(f"{demo.url}/console/persons/{niss}")  # type: ignore[attr-defined]
    page.screenshot(path=str(SHOTS / "person-420px.png"), full_page=True)  # type: ignore[attr-defined]


def test_swagger_ui_works_offline(demo: Demo, browser: object) -> None:
    context = browser.new_context()  # type: ignore[attr-defined]
    outside: list[str] = []

    def only_the_hub(route: object) -> None:
        url = route.request.url  # type: ignore[attr-defined]
        if url.startswith(demo.url) or url.startswith("data:"):
            route.continue_()  # type: ignore[attr-defined]
        else:
            outside.append(url)
            route.abort()  # type: ignore[attr-defined]

    context.route("**/*", only_the_hub)
    page = context.new_page()
    page.goto(f"{demo.url}/docs")
    page.wait_for_selector(".swagger-ui .info .title")
    assert "Carrefour" in page.inner_text(".swagger-ui .info .title")
    assert outside == []


def test_an_operator_reads_the_flows_dashboard_and_replays_a_message(
    demo: Demo, browser: object
) -> None:
    page = new_page(browser)
    sign_in(page, demo, "operator", lang="en")
    page.goto(f"{demo.url}/console/flows?lang=en")  # type: ignore[attr-defined]
    assert page.locator("svg.chart").count() == 1  # type: ignore[attr-defined]
    page.screenshot(path=str(SHOTS / "flows-en.png"), full_page=True)  # type: ignore[attr-defined]
    page.goto(f"{demo.url}/console/transactions?recipient=mut-100")  # type: ignore[attr-defined]
    page.click("#rows a.mono")  # type: ignore[attr-defined]
    page.wait_for_load_state()  # type: ignore[attr-defined]
    page.click("form[action$='/replay'] button")  # type: ignore[attr-defined]
    page.wait_for_selector("#replay-result .result")  # type: ignore[attr-defined]
    assert page.locator("#replay-result .result.good").count() == 1  # type: ignore[attr-defined]
    page.screenshot(path=str(SHOTS / "message-en.png"), full_page=True)  # type: ignore[attr-defined]
    message_url = page.url  # type: ignore[attr-defined]
    for lang in ("fr", "nl"):
        page.goto(f"{demo.url}/console/flows?lang={lang}")  # type: ignore[attr-defined]
        if lang == "nl":  # ("Message", "Transactions": French words too)
            assert english_left(page.content()) == set()  # type: ignore[attr-defined]
        page.screenshot(path=str(SHOTS / f"flows-{lang}.png"), full_page=True)  # type: ignore[attr-defined]
        page.goto(f"{message_url.split('?')[0]}?lang={lang}")  # type: ignore[attr-defined]
        if lang == "nl":
            assert english_left(page.content()) == set()  # type: ignore[attr-defined]
        page.screenshot(path=str(SHOTS / f"message-{lang}.png"), full_page=True)  # type: ignore[attr-defined]


def test_an_agent_uploads_a_batch_and_watches_it_finish(
    demo: Demo, browser: object, tmp_path: Path
) -> None:
    import json

    records = [employee(make_niss()), employee("12345678901")]
    upload = tmp_path / "vouchers.jsonl"
    upload.write_text("".join(json.dumps(r) + "\n" for r in records))
    page = new_page(browser)
    sign_in(page, demo, "agent-onss", lang="en")
    page.goto(f"{demo.url}/console/batches?lang=en")  # type: ignore[attr-defined]
    page.set_input_files("input[type=file]", str(upload))  # type: ignore[attr-defined]
    page.click("form[action$='/batches'] button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_selector("progress")  # type: ignore[attr-defined]
    page.wait_for_selector("a[href$='errors.csv']", timeout=30_000)  # type: ignore[attr-defined]
    assert page.get_attribute("progress", "value") == "100"  # type: ignore[attr-defined]
    assert page.locator("a[href$='errors.csv']").count() == 1  # type: ignore[attr-defined]
    page.screenshot(path=str(SHOTS / "batch-fr.png"), full_page=True)  # type: ignore[attr-defined]


def test_the_inami_cell_issues_a_provisional_proof_and_opens_it(
    demo: Demo, browser: object
) -> None:
    niss = person_with_career(demo)
    opened = httpx.post(
        f"{demo.url}/v1/inami/cases",
        json={"niss": niss, "begin": "2026-01-01", "end": "2026-03-31", "reason": "aucun bon"},
        headers=demo.api("mut-100"),
        timeout=10,
    )
    assert opened.status_code == 201, opened.text
    case_id = opened.json()["id"]
    page = new_page(browser)
    sign_in(page, demo, "inami-cell", lang="nl")
    page.goto(f"{demo.url}/console/inami/cases?lang=nl")  # type: ignore[attr-defined]
    assert english_left(page.content()) == set()  # type: ignore[attr-defined]
    page.screenshot(path=str(SHOTS / "inami-cases-nl.png"), full_page=True)  # type: ignore[attr-defined]
    page.goto(f"{demo.url}/console/inami/cases/{case_id}?lang=nl")  # type: ignore[attr-defined]
    page.click("form[action$='/provisional-proof'] button")  # type: ignore[attr-defined]
    page.wait_for_selector("a.pdf")  # type: ignore[attr-defined]
    page.goto(f"{demo.url}/console/inami/cases/{case_id}?lang=nl")  # type: ignore[attr-defined]
    assert english_left(page.content()) == set()  # type: ignore[attr-defined]
    page.screenshot(path=str(SHOTS / "inami-case-nl.png"), full_page=True)  # type: ignore[attr-defined]
    href = page.get_attribute("a.pdf", "href")  # type: ignore[attr-defined]
    pdf = page.request.get(f"{demo.url}{href}")  # type: ignore[attr-defined]
    assert pdf.status == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")
