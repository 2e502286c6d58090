"""The WebSocket contract: ack after storage, live fan-out, de-dup, resume with `since`,
presence and typing — against real backend processes sharing one real Redis."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable

import orjson
from chat_backend.protocol import (
    ErrorFrame,
    MessageFrame,
    Ping,
    Pong,
    Presence,
    Subscribe,
    Typing,
    TypingNotice,
)
from chatkit import ChatClient
from conftest import MakeRoom, MakeUser, StartBackend
from devstack.backend_server import BackendServer


async def test_message_is_acked_stored_and_delivered_live(make_user: MakeUser, make_room: MakeRoom) -> None:
    alice, bob = await make_user(), await make_user()
    room = await make_room(alice)
    a, b = await alice.ws(), await bob.ws()
    await a.subscribe(room)
    await b.subscribe(room)
    message_id = await a.say(room, "hello <b>bob</b>", client_id="c-1")
    for sock in (a, b):
        (message,) = await sock.messages(1)
        assert message.id == message_id
        assert message.room == room
        assert message.user == alice.username
        assert message.text == "hello <b>bob</b>"
        assert message.client_id == "c-1"
        assert isinstance(message.ts, int)
    history = (await bob.http.get(f"/api/rooms/{room}/messages")).json()["messages"]
    assert [m["id"] for m in history] == [message_id]
    await a.close()
    await b.close()


async def test_user_comes_from_the_session_not_the_frame(make_user: MakeUser, make_room: MakeRoom) -> None:
    mallory = await make_user()
    room = await make_room(mallory)
    sock = await mallory.ws()
    await sock.subscribe(room)
    spoofed = {"type": "message", "room": room, "text": "hi", "client_id": "x1", "user": "admin"}
    await sock.send(orjson.dumps(spoofed).decode())  # a Send model would drop the "user"
    (message,) = await sock.messages(1)
    assert message.user == mallory.username
    await sock.close()


async def test_retried_client_id_is_stored_once(make_user: MakeUser, make_room: MakeRoom) -> None:
    client = await make_user()
    room = await make_room(client)
    sock = await client.ws()
    await sock.subscribe(room)
    first = await sock.say(room, "once", client_id="retry-me")
    second = await sock.say(room, "once", client_id="retry-me")
    assert first == second
    history = (await client.http.get(f"/api/rooms/{room}/messages")).json()["messages"]
    assert [m["client_id"] for m in history] == ["retry-me"]
    delivered = [f for f in await sock.quiet() if isinstance(f, MessageFrame)]
    assert len([f for f in sock.seen if isinstance(f, MessageFrame)]) == 1, delivered
    await sock.close()


async def test_two_instances_share_delivery_through_redis(
    start_backend: StartBackend, make_client: Callable[..., ChatClient], make_room: MakeRoom
) -> None:
    one, two = start_backend(), start_backend()
    alice, bob = make_client(one), make_client(two)
    await alice.register()
    await bob.http.post("/api/login", json={"username": alice.username, "password": "wrong-password-x"})
    await bob.register()
    room = await make_room(alice)
    a, b = await alice.ws(), await bob.ws()
    await a.subscribe(room)
    await b.subscribe(room)
    presence = await a.expect(Presence, room=room, users=sorted([alice.username, bob.username]))
    assert presence.users == sorted([alice.username, bob.username])
    sent = [await a.say(room, f"m{i}") for i in range(5)] + [await b.say(room, f"n{i}") for i in range(5)]
    for sock in (a, b):
        got = [m.id for m in await sock.messages(10)]
        assert sorted(got) == sorted(sent)
        assert len(set(got)) == 10
    await b.send(Typing(room=room))
    typing = await a.expect(TypingNotice, room=room)
    assert typing.user == bob.username
    await a.close()
    await b.close()


async def test_reconnect_with_since_gets_exactly_what_was_missed(
    make_user: MakeUser,
    make_room: MakeRoom,
) -> None:
    alice, bob = await make_user(), await make_user()
    room = await make_room(alice)
    a, b = await alice.ws(), await bob.ws()
    await a.subscribe(room)
    await b.subscribe(room)
    before = [await a.say(room, f"before {i}") for i in range(3)]
    seen_by_b = [m.id for m in await b.messages(3)]
    assert seen_by_b == before
    await b.close()
    missed = [await a.say(room, f"missed {i}") for i in range(7)]

    b = await bob.ws()
    await b.subscribe(room, since=seen_by_b[-1])
    # Messages sent while the resume is in flight must arrive exactly once too.
    during = [await a.say(room, f"during {i}") for i in range(3)]
    got = [m.id for m in await b.messages(10)]
    assert got == missed + during
    assert [f for f in await b.quiet() if isinstance(f, MessageFrame)] == []
    await a.close()
    await b.close()


async def test_presence_counts_people_not_tabs(make_user: MakeUser, make_room: MakeRoom) -> None:
    alice, bob = await make_user(), await make_user()
    room = await make_room(alice)
    tab1, tab2, watcher = await alice.ws(), await alice.ws(), await bob.ws()
    await watcher.subscribe(room)
    await tab1.subscribe(room)
    await tab2.subscribe(room)
    both = sorted([alice.username, bob.username])
    await watcher.expect(Presence, room=room, users=both)
    await tab1.close()
    # Alice still has a tab open: she stays present.
    after_one = await watcher.expect(Presence, room=room)
    assert after_one.users == both
    await tab2.close()
    await watcher.expect(Presence, room=room, users=[bob.username])
    await watcher.close()


async def test_a_join_storm_costs_each_member_a_few_presence_frames_not_one_per_join(
    make_client: Callable[..., ChatClient],
    make_user: MakeUser,
    make_room: MakeRoom,
) -> None:
    """Presence goes out at once, then at most every 200 ms per worker: 30 people joining
    together reach the watcher as a few frames, the last one naming everybody."""
    watcher_client = await make_user()
    room = await make_room(watcher_client)
    watcher = await watcher_client.ws()
    await watcher.subscribe(room)
    others = [make_client() for _ in range(30)]
    await asyncio.gather(*(client.register() for client in others))
    tabs = await asyncio.gather(*(client.ws() for client in others))
    await asyncio.gather(*(tab.send(Subscribe(room=room)) for tab in tabs))
    everybody = sorted([watcher_client.username, *(client.username for client in others)])
    frames = []
    async with asyncio.timeout(10):
        while not frames or frames[-1].users != everybody:
            frames.append(await watcher.expect(Presence, room=room))
    # Every frame still to come from the storm, too, not only those before everybody showed.
    frames += [f for f in await watcher.quiet(1.0) if isinstance(f, Presence) and f.room == room]
    assert frames[-1].users == everybody
    assert len(frames) < len(tabs) // 2, f"{len(frames)} presence frames for {len(tabs)} joins"
    await asyncio.gather(watcher.close(), *(tab.close() for tab in tabs))


async def test_typing_requires_subscription_and_is_never_stored(
    make_user: MakeUser,
    make_room: MakeRoom,
) -> None:
    client = await make_user()
    room = await make_room(client)
    sock = await client.ws()
    await sock.send(Typing(room=room))
    error = await sock.expect(ErrorFrame)
    assert error.code == "not_subscribed"
    await sock.subscribe(room)
    await sock.send(Typing(room=room))
    await sock.expect(TypingNotice, room=room, user=client.username)
    history = (await client.http.get(f"/api/rooms/{room}/messages")).json()["messages"]
    assert history == []
    await sock.close()


async def test_ping_pong(make_user: MakeUser) -> None:
    client = await make_user()
    sock = await client.ws()
    await sock.send(Ping())
    assert await sock.expect(Pong) == Pong()  # and nothing else: frames are decoded without extras
    await sock.close()


async def test_history_pages_and_trims_at_the_limit(
    start_backend: StartBackend, make_user: MakeUser, make_room: MakeRoom
) -> None:
    server: BackendServer = start_backend(HISTORY_LIMIT="20")
    client = await make_user(server)
    room = await make_room(client)
    sock = await client.ws()
    await sock.subscribe(room)
    ids = [await sock.say(room, f"message {i}") for i in range(230)]
    page = (await client.http.get(f"/api/rooms/{room}/messages", params={"limit": 8})).json()["messages"]
    assert [m["id"] for m in page] == ids[-8:]  # newest page, oldest first
    collected = list(page)
    while page:
        page = (
            await client.http.get(
                f"/api/rooms/{room}/messages", params={"limit": 8, "before": collected[0]["id"]}
            )
        ).json()["messages"]
        collected = page + collected
    assert [m["id"] for m in collected] == ids[-20:]  # exactly the promised last HISTORY_LIMIT
    await sock.close()


async def test_sigterm_closes_sockets_with_1012(start_backend: StartBackend, make_user: MakeUser) -> None:
    server = start_backend()
    client = await make_user(server)
    sock = await client.ws()
    await sock.subscribe("general")
    server.signal(signal.SIGTERM)
    assert await sock.close_code() == 1012
