"""Private rooms: invite-only, and the boundary around them. Only members ever see one — not
in the room list, not its history, members, topic, unread counts, presence, typing, not one
frame about it — and to everybody else it answers exactly like a room that does not exist,
from HTTP and WebSocket alike (as DMs do: test_direct_messages.py). A member removed or
leaving loses it at once, live subscriptions too. Real backend processes, real Redis."""

from __future__ import annotations

import httpx
from chat_backend.protocol import (
    ActivityNotice,
    Delete,
    Edit,
    ErrorFrame,
    LeftNotice,
    MemberNotice,
    MentionNotice,
    MessageFrame,
    Presence,
    Read,
    RoomNotice,
    Send,
    Subscribe,
    TopicNotice,
    Typing,
    TypingNotice,
)
from chatkit import ChatClient, Socket, unique
from conftest import MakeUser
from devstack.backend_server import BackendServer


async def _private_room(owner: ChatClient) -> str:
    name = unique("secret")
    created = await owner.http.post("/api/rooms", json={"name": name, "private": True})
    assert created.status_code == 201, created.text
    assert created.json() == {
        "name": name,
        "kind": "room",
        "private": True,
        "joined": True,
        "seq": 0,
        "unread": 0,
        "mentioned": False,
    }
    return name


async def _http_refusals(client: ChatClient, name: str) -> list[tuple[str, int, object]]:
    """Every room endpoint's answer to `client` about `name`."""
    calls: list[tuple[str, httpx.Response]] = [
        ("history", await client.http.get(f"/api/rooms/{name}/messages")),
        ("context", await client.http.get(f"/api/rooms/{name}/messages/1-0/context")),
        ("read", await client.http.post(f"/api/rooms/{name}/read", json={"seq": 1})),
        ("members", await client.http.get(f"/api/rooms/{name}/members")),
        ("join", await client.http.post(f"/api/rooms/{name}/join")),
        ("leave", await client.http.post(f"/api/rooms/{name}/leave")),
        ("add", await client.http.post(f"/api/rooms/{name}/members", json={"username": client.username})),
        ("remove", await client.http.delete(f"/api/rooms/{name}/members/{client.username}")),
        ("topic", await client.http.put(f"/api/rooms/{name}/topic", json={"topic": "mine"})),
    ]
    return [(what, response.status_code, response.json()) for what, response in calls]


def _as_if_absent(name: str) -> list[tuple[str, int, object]]:
    missing = {"error": "unknown_room", "detail": f"room {name!r} does not exist"}
    whats = ("history", "context", "read", "members", "join", "leave", "add", "remove", "topic")
    return [(what, 404, missing) for what in whats]


async def _expect_unknown_room(sock: Socket, frame: Subscribe | Send | Typing | Edit | Delete | Read) -> None:
    await sock.send(frame)
    answers = [f for f in await sock.until_pong() if isinstance(f, ErrorFrame)]
    assert [(e.code, e.detail) for e in answers] == [("unknown_room", f"room {frame.room!r} does not exist")]


async def _ws_refusals(sock: Socket, name: str, message_id: str) -> None:
    await _expect_unknown_room(sock, Subscribe(room=name, since="0-0"))
    await _expect_unknown_room(sock, Send(room=name, text="let me in", client_id=unique("c")))
    await _expect_unknown_room(sock, Typing(room=name))
    await _expect_unknown_room(sock, Edit(room=name, id=message_id, text="mine", client_id=unique("c")))
    await _expect_unknown_room(sock, Delete(room=name, id=message_id, client_id=unique("c")))
    await _expect_unknown_room(sock, Read(room=name, seq=1))


def _about(room: str, frames: list[object]) -> list[object]:
    return [
        frame
        for frame in frames
        if (isinstance(frame, RoomNotice) and frame.room.name == room)
        or (isinstance(frame, ActivityNotice) and room in {entry.room for entry in frame.rooms})
        or (isinstance(frame, Presence | TypingNotice | TopicNotice | MemberNotice) and frame.room == room)
        or isinstance(frame, MentionNotice | MessageFrame)
    ]


async def test_nobody_else_can_read_write_or_even_find_a_private_room(
    make_user: MakeUser, replicas: tuple[BackendServer, BackendServer]
) -> None:
    alice, mallory = await make_user(replicas[0]), await make_user(replicas[1])
    m = await mallory.ws()  # open before the room exists: it must not hear of it
    room = await _private_room(alice)
    a = await alice.ws()
    await a.subscribe(room)
    await a.send(Typing(room=room))
    message_id = await a.say(room, f"@{mallory.username} is not invited")
    assert (await alice.http.put(f"/api/rooms/{room}/topic", json={"topic": "plans"})).status_code == 204
    never_created = unique("nothing")

    assert room in await alice.rooms()
    assert room not in await mallory.rooms()
    assert await _http_refusals(mallory, room) == _as_if_absent(room)
    assert await _http_refusals(mallory, never_created) == _as_if_absent(never_created)
    for name in (room, never_created):
        await _ws_refusals(m, name, message_id)

    history = (await alice.http.get(f"/api/rooms/{room}/messages")).json()["messages"]
    assert [h["id"] for h in history] == [message_id]  # nothing of mallory's was stored
    await a.say(room, "and more")
    assert _about(room, [*m.seen, *await m.quiet(2.5)]) == []
    await a.close()
    await m.close()


async def test_a_member_adds_someone_who_then_sees_and_chats_in_it(
    make_user: MakeUser, replicas: tuple[BackendServer, BackendServer]
) -> None:
    alice, bob = await make_user(replicas[0]), await make_user(replicas[1])
    room = await _private_room(alice)
    a, b = await alice.ws(), await bob.ws()
    await a.subscribe(room)
    first = await a.say(room, "before bob")

    added = await alice.http.post(f"/api/rooms/{room}/members", json={"username": bob.username})
    assert added.status_code == 201
    again = await alice.http.post(f"/api/rooms/{room}/members", json={"username": bob.username})
    assert again.status_code == 200  # already in it: nothing changes
    notice = await b.expect(RoomNotice, timeout=5)
    assert (notice.room.name, notice.room.private, notice.room.joined) == (room, True, True)
    change = await a.expect(MemberNotice, timeout=5)
    assert (change.action, change.member, change.user) == ("add", bob.username, alice.username)

    listed = (await bob.rooms())[room]
    assert (listed["private"], listed["joined"], listed["seq"], listed["unread"]) == (True, True, 1, 1)
    joined = await bob.http.post(f"/api/rooms/{room}/join")  # in it already: no change
    assert (joined.status_code, joined.json()) == (200, listed)
    await b.subscribe(room)
    await b.say(room, "hi")
    assert [msg.text for msg in await a.messages(2)] == ["before bob", "hi"]
    history = (await bob.http.get(f"/api/rooms/{room}/messages")).json()["messages"]
    assert history[0]["id"] == first
    page = (await bob.http.get(f"/api/rooms/{room}/members")).json()
    assert page == {
        "members": [{"username": name, "online": True} for name in sorted([alice.username, bob.username])],
        "total": 2,
    }
    unknown = await alice.http.post(f"/api/rooms/{room}/members", json={"username": unique("ghost")})
    assert (unknown.status_code, unknown.json()["error"]) == (404, "unknown_user")
    await a.close()
    await b.close()


async def test_a_removed_member_loses_the_room_at_once_on_any_replica(
    make_user: MakeUser, replicas: tuple[BackendServer, BackendServer]
) -> None:
    alice, bob, carol = (
        await make_user(replicas[0]),
        await make_user(replicas[1]),
        await make_user(replicas[0]),
    )
    room = await _private_room(alice)
    for user in (bob, carol):
        await alice.http.post(f"/api/rooms/{room}/members", json={"username": user.username})
    b = await bob.ws()
    await b.subscribe(room)
    seen = await b.say(room, "still here")

    removed = await carol.http.delete(f"/api/rooms/{room}/members/{bob.username}")
    assert removed.status_code == 204
    assert (await b.expect(LeftNotice, timeout=5)).room == room
    a = await alice.ws()
    await a.subscribe(room)
    await a.say(room, "bob is gone")
    heard = [f.message.text for f in await b.quiet(1.5) if isinstance(f, MessageFrame)]
    assert "bob is gone" not in heard
    assert room not in await bob.rooms()
    assert await _http_refusals(bob, room) == _as_if_absent(room)
    await _ws_refusals(b, room, seen)

    # Leaving is the same for oneself; the last member leaving leaves it to nobody.
    assert (await carol.http.post(f"/api/rooms/{room}/leave")).status_code == 204
    assert await _http_refusals(carol, room) == _as_if_absent(room)
    members = (await alice.http.get(f"/api/rooms/{room}/members")).json()["members"]
    assert [entry["username"] for entry in members] == [alice.username]
    await a.close()
    await b.close()


async def test_a_mention_in_a_private_room_notifies_members_only(make_user: MakeUser) -> None:
    alice, bob, mallory = await make_user(), await make_user(), await make_user()
    room = await _private_room(alice)
    await alice.http.post(f"/api/rooms/{room}/members", json={"username": bob.username})
    b, m = await bob.ws(), await mallory.ws()
    a = await alice.ws()
    await a.say(room, f"@{bob.username} and @{mallory.username}")
    mention = await b.expect(MentionNotice, timeout=5)
    assert (mention.room, mention.user) == (room, alice.username)
    assert _about(room, await m.quiet(2.5)) == []
    for sock in (a, b, m):
        await sock.close()
