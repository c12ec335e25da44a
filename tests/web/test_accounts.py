"""Console accounts on SQLite and PostgreSQL: users per role with argon2 passwords, server-side
sessions that expire and are revoked, the sign-in form's token, and ``carrefour users``."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from carrefour.bootstrap import Hub
from carrefour.domain.console import Role
from carrefour.domain.errors import Conflict, InvalidInput, UnknownInstitution
from carrefour.services import console_users
from carrefour.web.common import COOKIE
from tests.support import FakeClock
from tests.web.console_support import SAME_ORIGIN, csrf_of, post_login

PASSWORD = "correct horse battery"


def add(hub: Hub, name: str, role: Role, institution: str | None = None) -> None:
    with hub.uow() as uow:
        console_users.add_user(
            uow, name=name, role=role, institution=institution, password=PASSWORD, language="en"
        )


def test_each_role_signs_in_with_its_password_and_lands_on_its_page(
    client: TestClient, hub: Hub
) -> None:
    add(hub, "olivia", Role.OPERATOR)
    add(hub, "marc", Role.AGENT, "mut-100")
    add(hub, "ines", Role.INAMI_CELL)
    for name, home in (
        ("olivia", "/console/"),
        ("marc", "/console/persons"),
        ("ines", "/console/persons"),
    ):
        client.cookies.clear()
        form = client.get("/console/login")
        response = client.post(
            "/console/login",
            data={"csrf": csrf_of(form.text), "name": name, "password": PASSWORD},
            headers=SAME_ORIGIN,
            follow_redirects=False,
        )
        assert response.status_code == 303, name
        assert response.headers["location"] == home
        assert PASSWORD not in response.headers["set-cookie"]


def test_the_stored_password_is_an_argon2_hash(hub: Hub) -> None:
    add(hub, "marc", Role.AGENT, "mut-100")
    with hub.uow() as uow:
        user = uow.console.user("marc")
    assert user is not None
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


def test_a_wrong_password_an_unknown_name_and_a_disabled_user_are_refused_alike(
    client: TestClient, hub: Hub
) -> None:
    add(hub, "marc", Role.AGENT, "mut-100")
    client.headers["Accept-Language"] = "en"
    assert post_login(client, name="marc", password="wrong password!") == 401
    assert post_login(client, name="nobody", password=PASSWORD) == 401
    with hub.uow() as uow:
        console_users.disable(uow, name="marc")
    assert post_login(client, name="marc", password=PASSWORD) == 401
    assert COOKIE not in client.cookies


def test_the_sign_in_form_needs_its_own_token(client: TestClient, hub: Hub) -> None:
    add(hub, "marc", Role.AGENT, "mut-100")
    client.get("/console/login")
    response = client.post(
        "/console/login",
        data={"name": "marc", "password": PASSWORD, "csrf": "guess"},
        headers=SAME_ORIGIN,
    )
    assert response.status_code == 403
    assert COOKIE not in client.cookies


def test_bad_accounts_are_refused_with_a_reason(hub: Hub) -> None:
    with hub.uow() as uow:
        with pytest.raises(InvalidInput, match="needs --institution"):
            console_users.add_user(uow, name="a", role=Role.AGENT, password=PASSWORD)
        with pytest.raises(InvalidInput, match="at least 12"):
            console_users.add_user(uow, name="a", role=Role.OPERATOR, password="short")
        with pytest.raises(UnknownInstitution):
            console_users.add_user(
                uow, name="a", role=Role.AGENT, institution="mut-999", password=PASSWORD
            )
    add(hub, "olivia", Role.OPERATOR)
    with hub.uow() as uow, pytest.raises(Conflict):
        console_users.add_user(uow, name="olivia", role=Role.OPERATOR, password=PASSWORD)


def test_signing_out_revokes_the_session_on_the_server(client: TestClient, hub: Hub) -> None:
    add(hub, "olivia", Role.OPERATOR)
    assert post_login(client, name="olivia", password=PASSWORD) == 303
    session_id = client.cookies[COOKIE]
    assert client.post("/console/logout", headers=SAME_ORIGIN).status_code == 200
    client.cookies.set(COOKIE, session_id, path="/console")
    assert client.get("/console/", follow_redirects=False).status_code == 401


def test_a_session_expires(client: TestClient, hub: Hub, clock: FakeClock) -> None:
    add(hub, "olivia", Role.OPERATOR)
    assert post_login(client, name="olivia", password=PASSWORD) == 303
    assert client.get("/console/").status_code == 200
    clock.advance(hours=hub.settings.console_session_hours, seconds=1)
    assert client.get("/console/", follow_redirects=False).status_code == 401


def test_a_new_password_closes_the_open_sessions(client: TestClient, hub: Hub) -> None:
    add(hub, "olivia", Role.OPERATOR)
    assert post_login(client, name="olivia", password=PASSWORD) == 303
    with hub.uow() as uow:
        assert console_users.set_password(uow, name="olivia", password="another long one") == 1
    assert client.get("/console/", follow_redirects=False).status_code == 401


def test_the_session_cookie_opens_no_api(client: TestClient, hub: Hub) -> None:
    add(hub, "olivia", Role.OPERATOR)
    assert post_login(client, name="olivia", password=PASSWORD) == 303
    session_id = client.cookies[COOKIE]
    response = client.get("/v1/institutions", headers={"Authorization": f"Bearer {session_id}"})
    assert response.status_code == 401


def test_an_agent_cannot_open_the_operators_pages(client: TestClient, hub: Hub) -> None:
    add(hub, "marc", Role.AGENT, "mut-100")
    assert post_login(client, name="marc", password=PASSWORD) == 303
    for path in ("/console/transactions", "/console/consultations", "/console/messages/x"):
        assert client.get(path).status_code == 403, path


def test_after_an_expired_session_the_sign_in_page_works_at_once(
    client: TestClient, hub: Hub, clock: FakeClock
) -> None:
    add(hub, "olivia", Role.OPERATOR)
    assert post_login(client, name="olivia", password=PASSWORD) == 303
    clock.advance(hours=hub.settings.console_session_hours + 1)
    expired = client.get("/console/", follow_redirects=False)
    assert expired.status_code == 401
    again = client.post(
        "/console/login",
        data={"csrf": csrf_of(expired.text), "name": "olivia", "password": PASSWORD},
        headers=SAME_ORIGIN,
        follow_redirects=False,
    )
    assert again.status_code == 303
