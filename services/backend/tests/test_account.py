"""One's own account: changing the password needs the current one and ends every other
session; logging out everywhere ends them all; a user holds at most MAX_SESSIONS_PER_USER
sessions. Real backend processes, real Redis."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from chat_backend.protocol import CloseCode, Ping, Pong
from chatkit import ChatClient
from chatkit.accounts import PASSWORD
from conftest import MakeUser, StartBackend
from devstack.backend_server import BackendServer

NEW_PASSWORD = "battery-staple-2"  # a test user's
SESSION_ENDED = CloseCode.SESSION_ENDED


async def _login(
    make_client: Callable[..., ChatClient],
    name: str,
    password: str = PASSWORD,
    server: BackendServer | None = None,
) -> ChatClient:
    client = make_client(server)
    response = await client.http.post("/api/login", json={"username": name, "password": password})
    assert response.status_code == 200, response.text
    client.username = name
    return client


async def _logged_in(client: ChatClient) -> bool:
    return (await client.http.get("/api/me")).status_code == 200


async def test_a_password_change_needs_the_current_one_and_ends_every_other_session(
    make_user: MakeUser, make_client: Callable[..., ChatClient]
) -> None:
    here = await make_user()
    there = await _login(make_client, here.username)
    wrong = await here.http.post(
        "/api/me/password", json={"current_password": "not-the-password", "new_password": NEW_PASSWORD}
    )
    assert (wrong.status_code, wrong.json()["error"]) == (403, "wrong_password")
    assert await _logged_in(there)  # nothing changed

    changed = await here.http.post(
        "/api/me/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert changed.status_code == 204
    assert await _logged_in(here)
    assert not await _logged_in(there)
    old = await make_client().http.post("/api/login", json={"username": here.username, "password": PASSWORD})
    assert (old.status_code, old.json()["error"]) == (401, "invalid_credentials")
    await _login(make_client, here.username, NEW_PASSWORD)
    short = await here.http.post(
        "/api/me/password", json={"current_password": NEW_PASSWORD, "new_password": "x"}
    )
    assert (short.status_code, short.json()["error"]) == (422, "invalid_request")


async def test_logging_out_everywhere_ends_every_session(
    make_user: MakeUser, make_client: Callable[..., ChatClient]
) -> None:
    here = await make_user()
    there = await _login(make_client, here.username)
    bystander = await make_user()
    assert (await here.http.post("/api/logout-all")).status_code == 204
    assert not await _logged_in(here)
    assert not await _logged_in(there)
    assert await _logged_in(bystander)


async def test_a_new_session_past_the_ceiling_ends_the_oldest(
    make_client: Callable[..., ChatClient], start_backend: StartBackend
) -> None:
    server = start_backend(MAX_SESSIONS_PER_USER="2")
    first = make_client(server)
    await first.register()
    second = await _login(make_client, first.username, server=server)
    oldest_tab = await first.ws()
    third = await _login(make_client, first.username, server=server)
    assert [await _logged_in(client) for client in (first, second, third)] == [False, True, True]
    assert await oldest_tab.close_code(timeout=10) == SESSION_ENDED


async def test_a_password_change_closes_the_other_sessions_sockets_and_keeps_its_own(
    make_user: MakeUser, make_client: Callable[..., ChatClient]
) -> None:
    here = await make_user()
    there = await _login(make_client, here.username)
    own_tab, other_tabs = await here.ws(), [await there.ws() for _ in range(2)]
    changed = await here.http.post(
        "/api/me/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert changed.status_code == 204
    assert await asyncio.gather(*(tab.close_code(timeout=10) for tab in other_tabs)) == [SESSION_ENDED] * 2
    await own_tab.send(Ping())
    await own_tab.expect(Pong)
    await own_tab.close()


async def test_logging_out_everywhere_closes_every_socket(make_user: MakeUser) -> None:
    here = await make_user()
    tabs = [await here.ws() for _ in range(2)]
    assert (await here.http.post("/api/logout-all")).status_code == 204
    assert await asyncio.gather(*(tab.close_code(timeout=10) for tab in tabs)) == [SESSION_ENDED] * 2
