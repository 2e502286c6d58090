"""GET /api/search: full-text search over what PostgreSQL holds, in the rooms and DMs the user
can see and nowhere else, messages as they are now, the snippet in parts (never markup). Real
redis-server (or Redis Cluster), real PostgreSQL, a real backend process."""

from __future__ import annotations

from typing import Any

from chatkit import ChatClient, unique
from conftest import MakeArchiveStack
from test_archive import _until, _user


async def _search(client: ChatClient, q: str, **params: object) -> list[dict[str, Any]]:
    response = await client.http.get("/api/search", params={"q": q, **params})
    assert response.status_code == 200, response.text
    results: list[dict[str, Any]] = response.json()["results"]
    return results


def _texts(results: list[dict[str, Any]]) -> list[str]:
    return [hit["message"]["text"] for hit in results]


async def test_search_finds_what_the_user_can_see_and_nothing_else(
    make_archive_stack: MakeArchiveStack,
) -> None:
    stack = make_archive_stack()
    server = stack.start()
    alice, bob, carol = [await _user(server) for _ in range(3)]
    room = unique("room")
    await alice.create_room(room)
    dm = (await alice.open_dm(bob.username))["name"]
    ws = await alice.ws()
    await ws.say(room, "the zebra crossing is public")
    await ws.say(dm, "a zebra secret between us")
    draft = await ws.say(room, "giraffe draft")
    await ws.edit(room, draft, "okapi final")
    gone = await ws.say(room, "zebra to be deleted")
    await ws.delete(room, gone)
    await _until(lambda: stack.sql("SELECT count(*) FROM changes") == [(2,)])

    assert _texts(await _search(carol, "zebra")) == ["the zebra crossing is public"]
    both = ["a zebra secret between us", "the zebra crossing is public"]  # newest first
    assert _texts(await _search(alice, "zebra")) == both
    assert _texts(await _search(bob, "zebra", room=dm)) == ["a zebra secret between us"]
    assert _texts(await _search(alice, "giraffe")) == []
    (hit,) = await _search(alice, "okapi")
    assert hit["message"]["id"] == draft
    assert hit["message"]["room"] == room
    assert hit["message"]["edited_ts"]
    assert hit["snippet"] == [{"text": "okapi", "match": True}, {"text": " final", "match": False}]
    assert _texts(await _search(alice, '"zebra crossing" -secret')) == ["the zebra crossing is public"]

    refused = await carol.http.get("/api/search", params={"q": "zebra", "room": dm})
    assert (refused.status_code, refused.json()["error"]) == (404, "unknown_room")
    bad_params = (
        {"q": ""},
        {"q": "x" * 201},
        {"q": "zebra\x00"},  # PostgreSQL's text holds no NUL: refused, never a 500
        {"q": "zebra", "limit": 51},
        {"q": "zebra", "room": "no/such"},
    )
    for params in bad_params:
        bad = await alice.http.get("/api/search", params=params)
        assert (bad.status_code, bad.json()["error"]) == (422, "invalid_request")
    await ws.close()
    for client in (alice, bob, carol):
        await client.aclose()


async def test_a_snippet_is_text_in_parts_whatever_the_message_holds(
    make_archive_stack: MakeArchiveStack,
) -> None:
    stack = make_archive_stack()
    server = stack.start()
    alice = await _user(server)
    room = unique("room")
    await alice.create_room(room)
    ws = await alice.ws()
    text = '<img src=x onerror="alert(1)"> look, a <b>zebra</b> & more'
    await ws.say(room, text)
    await _until(lambda: stack.sql("SELECT count(*) FROM messages") == [(1,)])
    (hit,) = await _search(alice, "zebra")
    assert hit["message"]["text"] == text
    assert [part["text"] for part in hit["snippet"] if part["match"]] == ["zebra"]
    assert all(set(part) == {"text", "match"} for part in hit["snippet"])
    await ws.close()
    await alice.aclose()


async def test_private_rooms_and_group_dms_are_searched_for_their_members_only(
    make_archive_stack: MakeArchiveStack,
) -> None:
    stack = make_archive_stack()
    server = stack.start()
    alice, bob, carol, dave = [await _user(server) for _ in range(4)]
    private = unique("room")
    await alice.create_room(private, private=True)
    added = await alice.http.post(f"/api/rooms/{private}/members", json={"username": bob.username})
    assert added.status_code == 201, added.text
    opened = await alice.http.post("/api/dms", json={"usernames": [bob.username, dave.username]})
    assert opened.status_code == 201, opened.text
    group = opened.json()["name"]
    ws = await alice.ws()
    await ws.say(private, "a walrus behind closed doors")
    await ws.say(group, "a walrus among the three of us")
    await _until(lambda: stack.sql("SELECT count(*) FROM messages WHERE body LIKE %s", "%walrus%") == [(2,)])

    both = ["a walrus among the three of us", "a walrus behind closed doors"]  # newest first
    assert _texts(await _search(alice, "walrus")) == both
    assert _texts(await _search(bob, "walrus")) == both
    assert _texts(await _search(dave, "walrus")) == ["a walrus among the three of us"]
    assert _texts(await _search(carol, "walrus")) == []
    for room in (private, group):
        refused = await carol.http.get("/api/search", params={"q": "walrus", "room": room})
        assert (refused.status_code, refused.json()["error"]) == (404, "unknown_room")
    await ws.close()
    for client in (alice, bob, carol, dave):
        await client.aclose()
