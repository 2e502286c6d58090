"""The HTTP contract (docs/protocol.md) against a real backend with two workers and real Redis."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from chatkit import PASSWORD, ChatClient, unique
from conftest import MakeUser, StartBackend


async def test_register_sets_a_safe_session_cookie(make_client: Callable[..., ChatClient]) -> None:
    client = make_client()
    response = await client.register()
    assert response.json() == {"username": client.username}
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "secure" not in cookie  # COOKIE_SECURE is off in this backend
    me = await client.http.get("/api/me")
    assert me.status_code == 200
    assert me.json() == {"username": client.username}


async def test_taken_name_and_invalid_credentials_are_refused(make_client: Callable[..., ChatClient]) -> None:
    first, second = make_client(), make_client()
    await first.register()
    taken = await second.http.post("/api/register", json={"username": first.username, "password": PASSWORD})
    assert taken.status_code == 409
    assert taken.json()["error"] == "username_taken"
    for body in (
        {"username": "ab", "password": PASSWORD},
        {"username": "bad name!", "password": PASSWORD},
        {"username": "x" * 33, "password": PASSWORD},
        {"username": unique("u"), "password": "short"},
        {"username": unique("u"), "password": "p" * 129},
        {"username": unique("u")},
        {"username": 5, "password": PASSWORD},
    ):
        response = await second.http.post("/api/register", json=body)
        assert response.status_code == 422, body
        assert response.json()["error"] == "invalid_request"
        assert response.json()["detail"]


async def test_login_logout_me(make_user: MakeUser) -> None:
    client = await make_user()
    assert (await client.http.post("/api/logout")).status_code == 204
    assert (await client.http.get("/api/me")).status_code == 401
    wrong = await client.http.post(
        "/api/login", json={"username": client.username, "password": "wrong-password"}
    )
    assert wrong.status_code == 401
    assert wrong.json() == {"error": "invalid_credentials", "detail": "wrong username or password"}
    ok = await client.http.post("/api/login", json={"username": client.username, "password": PASSWORD})
    assert ok.status_code == 200
    assert (await client.http.get("/api/me")).json() == {"username": client.username}


async def test_logout_revokes_the_session_server_side(make_user: MakeUser) -> None:
    client = await make_user()
    stolen = dict(client.http.cookies)
    await client.http.post("/api/logout")
    async with httpx.AsyncClient(base_url=client.base_url, cookies=stolen) as thief:
        assert (await thief.get("/api/me")).status_code == 401


async def test_rooms(make_user: MakeUser) -> None:
    client = await make_user()
    rooms = (await client.http.get("/api/rooms")).json()["rooms"]
    assert "general" in [room["name"] for room in rooms]
    name = unique("room")
    created = await client.http.post("/api/rooms", json={"name": name})
    assert created.status_code == 201
    fresh = {"name": name, "kind": "room", "joined": True, "seq": 0, "unread": 0, "mentioned": False}
    assert created.json() == fresh
    assert fresh in (await client.http.get("/api/rooms")).json()["rooms"]
    again = await client.http.post("/api/rooms", json={"name": name})
    assert again.status_code == 409
    assert again.json()["error"] == "room_exists"
    bad = await client.http.post("/api/rooms", json={"name": "no spaces"})
    assert bad.status_code == 422


async def test_everything_but_auth_and_health_needs_a_session(backend_url: str) -> None:
    async with httpx.AsyncClient(base_url=backend_url) as anonymous:
        for method, path in (
            ("GET", "/api/me"),
            ("GET", "/api/rooms"),
            ("POST", "/api/rooms"),
            ("GET", "/api/rooms/general/messages"),
            ("GET", "/api/rooms/general/members"),
            ("POST", "/api/rooms/general/join"),
            ("PUT", "/api/rooms/general/topic"),
        ):
            response = await anonymous.request(method, path, json={"name": "abc"})
            assert response.status_code == 401, path
            assert response.json()["error"] == "unauthenticated"
        assert (await anonymous.get("/api/healthz")).json() == {"status": "ok"}
        assert (await anonymous.get("/api/readyz")).json() == {"status": "ready"}
    forged_cookie = {"chat_session": "eyJmb3JnZWQiOnRydWV9.forged"}
    async with httpx.AsyncClient(base_url=backend_url, cookies=forged_cookie) as forger:
        assert (await forger.get("/api/me")).status_code == 401


async def test_history_errors(make_user: MakeUser) -> None:
    client = await make_user()
    unknown = await client.http.get("/api/rooms/nosuchroom/messages")
    assert unknown.status_code == 404
    assert unknown.json()["error"] == "unknown_room"
    bad_before = await client.http.get("/api/rooms/general/messages", params={"before": "yesterday"})
    assert bad_before.status_code == 422
    assert "before" in bad_before.json()["detail"]
    for beyond in ("99999999999999999999", "1-18446744073709551616"):  # beyond any stream id
        too_big = await client.http.get("/api/rooms/general/messages", params={"before": beyond})
        assert (too_big.status_code, too_big.json()["error"]) == (422, "invalid_request")
    for first in ("0-0", "0"):  # the first id there can be: nothing is older, and nothing fails
        nothing = await client.http.get("/api/rooms/general/messages", params={"before": first})
        assert (nothing.status_code, nothing.json()["messages"]) == (200, [])
        around = await client.http.get(f"/api/rooms/general/messages/{first}/context")
        assert around.status_code == 200, around.text
    bad_limit = await client.http.get("/api/rooms/general/messages", params={"limit": "0"})
    assert bad_limit.status_code == 422
    bad_room = await client.http.get("/api/rooms/x/messages")
    assert bad_room.status_code == 422


async def test_bad_bodies_get_a_reason(backend_url: str) -> None:
    async with httpx.AsyncClient(base_url=backend_url) as http:
        not_json = await http.post(
            "/api/login", content=b"{nope", headers={"content-type": "application/json"}
        )
        assert not_json.status_code == 422
        assert not_json.json()["error"] == "invalid_request"
        huge = await http.post(
            "/api/register", content=b"x" * 100_000, headers={"content-type": "application/json"}
        )
        assert huge.status_code == 413
        assert huge.json()["error"] == "body_too_large"
        missing = await http.get("/api/nothing-here")
        assert missing.status_code == 404
        assert missing.json()["error"] == "not_found"
        wrong_method = await http.delete("/api/rooms")
        assert wrong_method.status_code == 405


async def test_openapi_needs_a_session(backend_url: str, make_user: MakeUser) -> None:
    client = await make_user()
    schema = (await client.http.get("/api/openapi.json")).json()
    assert "/api/register" in schema["paths"]
    assert "/api/rooms/{room}/messages" in schema["paths"]
    assert (await client.http.get("/api/docs")).status_code == 200
    async with httpx.AsyncClient(base_url=backend_url) as anonymous:
        for path in ("/api/openapi.json", "/api/docs"):
            assert (await anonymous.get(path)).status_code == 401, path


async def test_metrics_only_with_the_scrape_token(start_backend: StartBackend, make_user: MakeUser) -> None:
    token = "scrape-" + "t" * 32
    server = start_backend(METRICS_TOKEN=token)
    client = await make_user(server)
    sock = await client.ws()
    await sock.subscribe("general")
    await sock.say("general", "counted")
    async with httpx.AsyncClient(base_url=server.url) as prometheus:
        scraped = await prometheus.get("/api/metrics", headers={"Authorization": f"Bearer {token}"})
        assert scraped.status_code == 200
        for name in (
            "chat_websocket_connections",
            "chat_messages_received_total",
            "chat_messages_delivered_total",
            "chat_send_latency_seconds_bucket",
        ):
            assert name in scraped.text
        for headers in ({}, {"Authorization": "Bearer guess"}):
            refused = await prometheus.get("/api/metrics", headers=headers)
            assert (refused.status_code, refused.json()["error"]) == (401, "metrics_token_required")
    # A session is not enough: the counters of failed logins are no user's business.
    as_user = await client.http.get("/api/metrics")
    assert (as_user.status_code, as_user.json()["error"]) == (401, "metrics_token_required")
    # Without a token configured nobody reads them.
    other = await make_user()
    assert (await other.http.get("/api/metrics")).status_code == 401
    await sock.close()
