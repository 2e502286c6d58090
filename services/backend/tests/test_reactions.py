"""Reactions: an emoji (one the Unicode emoji data knows) added or removed on a message,
idempotently, live to the room's subscribers and replayed on resume, with counts and who
reacted, at most MAX_REACTIONS_PER_MESSAGE distinct emoji a message; a private room's only
for its members. Real backend processes, real Redis."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from chat_backend.protocol import ReactionNotice
from chatkit import ChatClient, unique
from conftest import MakeRoom, MakeUser, StartBackend
from devstack.backend_server import BackendServer


def _path(room: str, message: str, emoji: str) -> str:
    return f"/api/rooms/{room}/messages/{message}/reactions/{quote(emoji)}"


async def test_reactions_are_counted_idempotent_and_live(make_user: MakeUser, make_room: MakeRoom) -> None:
    alice, bob = await make_user(), await make_user()
    room = await make_room(alice)
    a, b = await alice.ws(), await bob.ws()
    await a.subscribe(room)
    await b.subscribe(room)
    message = await a.say(room, "lunch?")

    for client in (alice, bob, bob):  # bob's second is no change
        response = await client.http.put(_path(room, message, "👍"))
        assert response.status_code == 200
    assert (await alice.http.put(_path(room, message, "🏳️‍🌈"))).status_code == 200
    expected = {
        "id": message,
        "reactions": [
            {"emoji": "👍", "count": 2, "users": [alice.username, bob.username]},
            {"emoji": "🏳️‍🌈", "count": 1, "users": [alice.username]},
        ],
    }
    page = await bob.http.get(f"/api/rooms/{room}/reactions", params={"ids": [message]})
    assert page.json() == {"messages": [expected]}
    live = [await a.expect(ReactionNotice, timeout=5) for _ in range(3)]
    assert [(n.user, n.emoji, n.action, n.target) for n in live] == [
        (alice.username, "👍", "add", message),
        (bob.username, "👍", "add", message),
        (alice.username, "🏳️‍🌈", "add", message),
    ]
    assert [f for f in await a.quiet(0.5) if isinstance(f, ReactionNotice)] == []  # the repeat: nothing

    removed = await bob.http.delete(_path(room, message, "👍"))
    assert removed.json()["reactions"][0] == {"emoji": "👍", "count": 1, "users": [alice.username]}
    assert (await bob.http.delete(_path(room, message, "👍"))).status_code == 200  # again: no change
    resumed = await bob.ws()
    await resumed.subscribe(room, since=message)
    replayed = [await resumed.expect(ReactionNotice, timeout=5) for _ in range(4)]
    assert [n.action for n in replayed] == ["add", "add", "add", "remove"]
    history = (await bob.http.get(f"/api/rooms/{room}/messages")).json()["messages"]
    assert [m["text"] for m in history] == ["lunch?"]  # reactions are no messages
    for sock in (a, b, resumed):
        await sock.close()


@pytest.mark.parametrize("text", ["a", "👍👍", ":thumbsup:", "1"])
async def test_only_one_emoji_is_a_reaction(make_user: MakeUser, make_room: MakeRoom, text: str) -> None:
    alice = await make_user()
    room = await make_room(alice)
    sock = await alice.ws()
    message = await sock.say(room, "hi")
    refused = await alice.http.put(_path(room, message, text))
    assert (refused.status_code, refused.json()["error"]) == (422, "invalid_emoji")
    assert (await alice.http.get(f"/api/rooms/{room}/reactions", params={"ids": [message]})).json() == {
        "messages": []
    }
    await sock.close()


async def test_an_emoji_is_one_reaction_however_its_variation_selector_was_typed(
    make_user: MakeUser, make_room: MakeRoom
) -> None:
    """Pickers differ: one sends 👍 with U+FE0F, another without; ❤ may come bare. Each is
    stored in its fully-qualified form, so they count as one."""
    alice, bob = await make_user(), await make_user()
    room = await make_room(alice)
    sock = await alice.ws()
    message = await sock.say(room, "hi")
    for client, emoji in ((alice, "👍"), (bob, "👍\ufe0f"), (alice, "❤"), (bob, "❤\ufe0f")):
        assert (await client.http.put(_path(room, message, emoji))).status_code == 200
    listed = (await alice.http.get(f"/api/rooms/{room}/reactions", params={"ids": [message]})).json()
    people = sorted([alice.username, bob.username])
    assert [(r["emoji"], r["count"], sorted(r["users"])) for r in listed["messages"][0]["reactions"]] == [
        ("👍", 2, people),
        ("❤\ufe0f", 2, people),
    ]
    taken_back = await bob.http.delete(_path(room, message, "👍"))
    assert [r["count"] for r in taken_back.json()["reactions"]] == [1, 2]
    await sock.close()


async def test_a_reaction_needs_a_message_the_caller_can_see(
    make_user: MakeUser, make_room: MakeRoom
) -> None:
    alice, mallory = await make_user(), await make_user()
    room = await make_room(alice)
    sock = await alice.ws()
    message = await sock.say(room, "hi")
    await sock.delete(room, message)
    gone = await alice.http.put(_path(room, message, "👍"))
    assert (gone.status_code, gone.json()["error"]) == (404, "unknown_message")
    secret = unique("secret")
    await alice.create_room(secret, private=True)
    private_message = await sock.say(secret, "members only")
    for response in (
        await mallory.http.put(_path(secret, private_message, "👍")),
        await mallory.http.get(f"/api/rooms/{secret}/reactions", params={"ids": [private_message]}),
    ):
        assert (response.status_code, response.json()["error"]) == (404, "unknown_room")
    await sock.close()


@pytest.fixture(scope="module")
def few_reactions(start_backend: StartBackend) -> BackendServer:
    return start_backend(MAX_REACTIONS_PER_MESSAGE="2", SEND_RATE_LIMIT="5", SEND_RATE_WINDOW="60")


async def test_a_message_has_at_most_max_reactions_and_changes_are_rate_limited(
    make_user: MakeUser, few_reactions: BackendServer
) -> None:
    alice: ChatClient = await make_user(few_reactions)
    room = unique("room")
    await alice.create_room(room)
    sock = await alice.ws()
    message = await sock.say(room, "vote")  # 1 of the 5
    for emoji in ("👍", "👎"):
        assert (await alice.http.put(_path(room, message, emoji))).status_code == 200
    full = await alice.http.put(_path(room, message, "🎉"))
    assert (full.status_code, full.json()["error"]) == (409, "too_many_reactions")
    assert (await alice.http.delete(_path(room, message, "👎"))).status_code == 200  # 4 of the 5
    assert (await alice.http.put(_path(room, message, "🎉"))).status_code == 200  # 5 of the 5
    limited = await alice.http.delete(_path(room, message, "🎉"))
    assert (limited.status_code, limited.json()["error"]) == (429, "rate_limited")
    assert int(limited.headers["Retry-After"]) > 0
    await sock.close()
