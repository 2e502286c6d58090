"""Mentions: `@name` of a registered user who can see the room reaches every socket of theirs
on any replica, subscribed to the room or not, and marks the room `mentioned` until read."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from chat_backend.protocol import MAX_MENTIONS, MentionNotice
from chat_backend.store import mentions
from chatkit import ChatClient, Socket, unique
from conftest import MakeUser
from devstack.backend_server import BackendServer


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("hi @bob", [["bob"]]),
        ("@bob, @carol: and @bob again", [["bob"], ["carol"]]),
        ("thanks @bob.", [["bob.", "bob"]]),  # the sentence's full stop, unless `bob.` is a user
        ("@b.o.b", [["b.o.b"]]),
        ("mail bob@example.com", []),  # `@` after a name character
        ("@ab is too short, @" + "x" * 33 + " too long", []),
        ("@@bob", [["bob"]]),
    ],
)
def test_candidates(text: str, found: list[list[str]]) -> None:
    assert mentions.candidates(text) == found


def test_a_message_names_at_most_max_mentions() -> None:
    text = " ".join(f"@user{n:03}" for n in range(MAX_MENTIONS + 5))
    assert len(mentions.candidates(text)) == MAX_MENTIONS


async def _mentions(sock: Socket) -> list[MentionNotice]:
    return [f for f in await sock.quiet(0.5) if isinstance(f, MentionNotice)]


async def test_a_mention_reaches_every_socket_and_marks_the_room_until_read(
    make_client: Callable[..., ChatClient], make_user: MakeUser, replicas: tuple[BackendServer, BackendServer]
) -> None:
    alice = await make_user(replicas[0])
    bob_here = await make_user(replicas[0])
    bob_there = make_client(replicas[1])
    bob_there.http.cookies = bob_here.http.cookies  # the same user on the other replica
    room = unique("room")
    await alice.create_room(room)
    a, b1, b2 = await alice.ws(), await bob_here.ws(), await bob_there.ws()  # bob subscribes nowhere
    await a.say(room, "before anyone is named")
    message_id = await a.say(room, f"hey @{bob_here.username}, and @{alice.username} myself")
    expected = MentionNotice(room=room, seq=2, user=alice.username, id=message_id)
    for sock in (b1, b2):
        assert await sock.expect(MentionNotice, timeout=5) == expected
    assert await _mentions(a) == []  # naming oneself notifies nobody
    info = (await bob_here.rooms())[room]
    assert (info["unread"], info["mentioned"]) == (2, True)
    assert (await alice.rooms())[room]["mentioned"] is False

    await b2.read(room, 1)  # read, but not up to the mention
    assert (await bob_here.rooms())[room]["mentioned"] is True
    await b2.read(room, 2)
    info = (await bob_there.rooms())[room]
    assert (info["unread"], info["mentioned"]) == (0, False)
    await a.say(room, "no one named")
    assert (await bob_there.rooms())[room]["mentioned"] is False
    for sock in (a, b1, b2):
        await sock.close()


async def test_only_registered_users_who_can_see_the_room_are_notified(
    make_user: MakeUser, replicas: tuple[BackendServer, BackendServer]
) -> None:
    alice, bob, carol = [await make_user(server) for server in (*replicas, replicas[0])]
    dotted = await make_user(replicas[1], unique("d") + ".")
    room = (await alice.open_dm(bob.username))["name"]
    b, c, d = await bob.ws(), await carol.ws(), await dotted.ws()
    a = await alice.ws()
    await a.say(room, f"@{carol.username} cannot see this, @{bob.username} can; @{unique('ghost')} is nobody")
    assert [m.user for m in await _mentions(b)] == [alice.username]
    assert await _mentions(c) == []
    assert (await carol.rooms()).get(room) is None
    await a.say("general", f"to end a sentence: @{dotted.username}")
    assert [m.room for m in await _mentions(d)] == ["general"]  # the name's own `.`, not a full stop
    await a.say("general", f"thanks @{bob.username}.")
    assert [m.room for m in await _mentions(b)] == ["general"]  # a full stop
    for sock in (a, b, c, d):
        await sock.close()
