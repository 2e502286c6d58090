"""Direct messages: opening one, and the boundary around it. Only its two members ever see a
DM — not in the room list, not its history, not one frame about it — and to everybody else
it answers exactly like a room that does not exist. Real backend processes, real Redis."""

from __future__ import annotations

from chat_backend.protocol import (
    ActivityNotice,
    Delete,
    Edit,
    ErrorFrame,
    MentionNotice,
    MessageFrame,
    Read,
    RoomNotice,
    Send,
    Subscribe,
    Typing,
)
from chatkit import Socket, unique
from conftest import MakeUser
from devstack.backend_server import BackendServer


async def test_a_dm_is_opened_once_named_after_both_and_listed_after_the_rooms(
    make_user: MakeUser,
) -> None:
    alice, bob = await make_user(), await make_user()
    created = await alice.http.post("/api/dms", json={"username": bob.username})
    assert created.status_code == 201
    room = "dm:" + ":".join(sorted([alice.username, bob.username]))
    members = sorted([alice.username, bob.username])
    assert created.json() == {
        "name": room,
        "kind": "dm",
        "members": members,
        "seq": 0,
        "unread": 0,
        "mentioned": False,
    }
    again = await bob.http.post("/api/dms", json={"username": alice.username})  # from the other side
    assert again.status_code == 200
    assert again.json()["name"] == room
    for client in (alice, bob):
        listed = list((await client.rooms()).values())
        assert listed[-1]["name"] == room
        assert listed[-1]["members"] == members
        assert all(info["kind"] == "room" and "members" not in info for info in listed[:-1])
        rooms = [info["name"] for info in listed[:-1]]
        assert rooms == sorted(rooms)


async def test_a_dm_needs_someone_else_who_is_registered(make_user: MakeUser) -> None:
    alice = await make_user()
    yourself = await alice.http.post("/api/dms", json={"username": alice.username})
    assert (yourself.status_code, yourself.json()["error"]) == (422, "invalid_dm")
    nobody = await alice.http.post("/api/dms", json={"username": unique("ghost")})
    assert (nobody.status_code, nobody.json()["error"]) == (404, "unknown_user")
    for body in ({"username": "no spaces"}, {"username": "x"}, {}, {"username": "abc", "more": 1}):
        assert (await alice.http.post("/api/dms", json=body)).status_code == 422, body
    a_room_name = await alice.http.post("/api/rooms", json={"name": f"dm:{alice.username}:zzz"})
    assert a_room_name.status_code == 422  # `:` is no room name's


async def test_members_chat_in_a_dm_like_in_a_room(
    make_user: MakeUser, replicas: tuple[BackendServer, BackendServer]
) -> None:
    alice, bob = [await make_user(server) for server in replicas]
    room = (await alice.open_dm(bob.username))["name"]
    a, b = await alice.ws(), await bob.ws()
    await a.subscribe(room)
    await b.subscribe(room)
    sent = await a.say(room, "just us")
    assert [m.id for m in await b.messages(1)] == [sent]
    history = (await bob.http.get(f"/api/rooms/{room}/messages")).json()["messages"]
    assert [m["text"] for m in history] == ["just us"]
    await a.close()
    await b.close()


async def _expect_unknown_room(sock: Socket, frame: Subscribe | Send | Typing | Edit | Delete | Read) -> None:
    await sock.send(frame)
    answers = [f for f in await sock.until_pong() if isinstance(f, ErrorFrame)]
    assert [(e.code, e.detail) for e in answers] == [("unknown_room", f"room {frame.room!r} does not exist")]
    if isinstance(frame, Send | Edit | Delete):
        assert answers[0].client_id == frame.client_id


async def test_nobody_else_can_read_write_or_even_find_a_dm(
    make_user: MakeUser, replicas: tuple[BackendServer, BackendServer]
) -> None:
    alice, bob, mallory = [await make_user(server) for server in (*replicas, replicas[0])]
    m = await mallory.ws()  # open before the DM exists: it must not hear of it
    room = (await alice.open_dm(bob.username))["name"]
    a = await alice.ws()
    await a.subscribe(room)
    message_id = await a.say(room, f"@{mallory.username} is not invited")
    never_opened = "dm:" + ":".join(sorted([alice.username, mallory.username]))

    assert room not in await mallory.rooms()
    for name in (room, never_opened):  # the same answer whether it exists or not
        history = await mallory.http.get(f"/api/rooms/{name}/messages")
        assert (history.status_code, history.json()) == (
            404,
            {"error": "unknown_room", "detail": f"room {name!r} does not exist"},
        )
        read = await mallory.http.post(f"/api/rooms/{name}/read", json={"seq": 1})
        assert (read.status_code, read.json()["error"]) == (404, "unknown_room")

    for name in (room, never_opened):
        await _expect_unknown_room(m, Subscribe(room=name, since="0-0"))
        await _expect_unknown_room(m, Send(room=name, text="let me in", client_id=unique("c")))
        await _expect_unknown_room(m, Typing(room=name))
        await _expect_unknown_room(m, Edit(room=name, id=message_id, text="mine now", client_id=unique("c")))
        await _expect_unknown_room(m, Delete(room=name, id=message_id, client_id=unique("c")))
        await _expect_unknown_room(m, Read(room=name, seq=1))

    history = (await alice.http.get(f"/api/rooms/{room}/messages")).json()["messages"]
    assert [(h["id"], h["text"]) for h in history] == [(message_id, f"@{mallory.username} is not invited")]
    # What mallory's socket got all along: nothing about the DM (no room, activity, mention).
    await a.say(room, "and more")
    heard = [*m.seen, *await m.quiet(2.5)]
    about_dm = [
        frame
        for frame in heard
        if (isinstance(frame, RoomNotice) and frame.room.name == room)
        or (isinstance(frame, ActivityNotice) and room in {entry.room for entry in frame.rooms})
        or isinstance(frame, MentionNotice | MessageFrame)
    ]
    assert about_dm == []
    await a.close()
    await m.close()


async def test_both_members_hear_of_a_new_dm_on_any_replica_and_nobody_else(
    make_user: MakeUser, replicas: tuple[BackendServer, BackendServer]
) -> None:
    alice, bob, carol = [await make_user(server) for server in (*replicas, replicas[1])]
    a, b, c = await alice.ws(), await bob.ws(), await carol.ws()
    room = (await alice.open_dm(bob.username))["name"]
    for sock in (a, b):
        notice = await sock.expect(RoomNotice, timeout=5)
        assert notice.room.name == room
        assert notice.room.kind == "dm"
        assert notice.room.members == sorted([alice.username, bob.username])
        assert (notice.room.seq, notice.room.unread, notice.room.mentioned) == (0, 0, False)
    await alice.open_dm(bob.username)  # opened again: nobody is told again
    for sock in (a, b, c):
        assert [f for f in await sock.quiet(0.5) if isinstance(f, RoomNotice) and f.room.name == room] == []
    for sock in (a, b, c):
        await sock.close()
