"""PostgreSQL as the store that keeps every message: the archiver copies each room's stream into
it once, in order, and Redis trims only what it holds; history reads on past the Redis window
without a seam; search finds what the user can see. Real redis-server (or Redis Cluster), real
PostgreSQL, real backend processes."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from chat_backend.protocol import Ack, Send
from chatkit import ChatClient, unique
from conftest import KEYS, ORIGIN, ArchiveStack, MakeArchiveStack, store_client
from devstack.backend_server import BackendServer

Page = list[dict[str, Any]]


async def _until(check: Callable[[], Any], timeout: float = 60, every: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if inspect.isawaitable(found):
            found = await found
        if found:
            return found
        if time.monotonic() > deadline:
            raise TimeoutError(f"not so after {timeout}s")
        await asyncio.sleep(every)


async def _user(server: BackendServer, name: str | None = None) -> ChatClient:
    client = ChatClient(server.url, ORIGIN)
    await client.register(name)
    return client


async def _page(client: ChatClient, room: str, around: str | None = None, **params: object) -> Page:
    """A history page: older than `before` (or the newest), or the context `around` a message."""
    path = f"/api/rooms/{room}/messages" + (f"/{around}/context" if around else "")
    response = await client.http.get(path, params=params)
    assert response.status_code == 200, response.text
    page: Page = response.json()["messages"]
    return page


async def _whole_history(client: ChatClient, room: str, limit: int = 7) -> Page:
    """Every message, paging back with `before` from the newest, oldest first."""
    found: Page = []
    before: str | None = None
    while True:
        page = await _page(client, room, limit=limit, **({"before": before} if before else {}))
        found = page + found
        if len(page) < limit:
            return found
        before = page[0]["id"]


def _archived(stack: ArchiveStack, room: str) -> list[tuple[object, ...]]:
    return stack.sql(
        "SELECT id_ms || '-' || id_seq, body, deleted FROM messages WHERE room = %s ORDER BY id_ms, id_seq",
        room,
    )


async def _stream_ids(stack: ArchiveStack, room: str) -> list[str]:
    async with store_client(stack.store) as redis:
        return [eid for eid, _ in await redis.xrange(KEYS.stream(room))]


async def test_history_goes_past_the_redis_window_without_a_seam(
    make_archive_stack: MakeArchiveStack,
) -> None:
    stack = make_archive_stack()
    server = stack.start()
    alice = await _user(server)
    room = unique("room")
    await alice.create_room(room)
    ws = await alice.ws()
    ids = [await ws.say(room, f"message {n}") for n in range(10)]
    await ws.edit(room, ids[3], "message 3, edited")
    await ws.delete(room, ids[5])
    ids += [await ws.say(room, f"message {n}") for n in range(10, 60)]
    # Archived, then trimmed back to the window: PostgreSQL alone holds the oldest.
    await _until(lambda: len(_archived(stack, room)) == 60)
    stream = await _until(lambda: _short(stack, room))
    assert ids[0] not in stream
    assert ids[-1] in stream

    history = await _whole_history(alice, room)
    assert [m["id"] for m in history] == ids
    assert [m["seq"] for m in history] == list(range(1, 61))
    assert {m["user"] for m in history} == {alice.username}
    assert history[3]["text"] == "message 3, edited"
    assert history[3]["edited_ts"] >= history[3]["ts"]
    assert history[5]["deleted"] is True
    assert history[5]["text"] == ""
    plain = [m for n, m in enumerate(history) if n not in (3, 5)]
    assert [m["text"] for m in plain] == [f"message {n}" for n in range(60) if n not in (3, 5)]
    # One shape on both sides of the seam.
    shape = frozenset({"id", "room", "user", "text", "ts", "client_id", "seq"})
    assert {frozenset(m) for m in plain} == {shape}
    # `before` any id ever stored, and `around` one PostgreSQL alone holds.
    assert [m["id"] for m in await _page(alice, room, limit=5, before=ids[30])] == ids[25:30]
    assert [m["id"] for m in await _page(alice, room, limit=10, around=ids[2])] == ids[:10]
    assert [m["id"] for m in await _page(alice, room, limit=10, around=ids[40])] == ids[35:45]
    assert [m["id"] for m in await _page(alice, room, limit=10, around=ids[57])] == ids[52:]
    # The deleted message's text is gone from PostgreSQL too.
    assert ("", True) in [(body, deleted) for _, body, deleted in _archived(stack, room)]
    assert stack.sql("SELECT count(*) FROM messages WHERE body LIKE 'message 5'") == [(0,)]
    await ws.close()
    await alice.aclose()


async def _reply(ws: Any, room: str, parent: str, text: str, in_room: bool) -> str:
    frame = Send(room=room, text=text, client_id=unique("c"), thread=parent, in_room=in_room)
    await ws.send(frame)
    return str((await ws.expect(Ack, client_id=frame.client_id)).id)


async def test_thread_replies_stay_out_of_room_history_past_the_redis_window(
    make_archive_stack: MakeArchiveStack,
) -> None:
    stack = make_archive_stack()
    server = stack.start()
    alice = await _user(server)
    room = unique("room")
    await alice.create_room(room)
    ws = await alice.ws()
    parent = await ws.say(room, "the parent")
    await _reply(ws, room, parent, "a reply in the thread alone", in_room=False)
    shown = await _reply(ws, room, parent, "a reply sent to the room too", in_room=True)
    ids = [parent, shown] + [await ws.say(room, f"message {n}") for n in range(60)]
    # Every message is archived, the hidden reply too; thread and member entries are not.
    await _until(lambda: len(_archived(stack, room)) == 63)
    stream = await _until(lambda: _short(stack, room))
    assert parent not in stream
    assert shown not in stream

    history = await _whole_history(alice, room)
    assert [m["id"] for m in history] == ids
    assert (history[1]["thread"], history[1]["in_room"]) == (parent, True)
    assert "thread" not in history[0]
    assert "in_room" not in history[0]
    assert [m["id"] for m in await _page(alice, room, limit=4, around=parent)] == ids[:4]
    await ws.close()
    await alice.aclose()


async def _two_in_a_room(
    make_archive_stack: MakeArchiveStack,
) -> tuple[ArchiveStack, ChatClient, ChatClient, str]:
    """A stack, and two people with a room of Alice's."""
    stack = make_archive_stack()
    server = stack.start()
    alice, bob = await _user(server), await _user(server)
    room = unique("room")
    await alice.create_room(room)
    return stack, alice, bob, room


async def test_a_thread_older_than_the_redis_window_opens_whole_with_its_counts(
    make_archive_stack: MakeArchiveStack,
) -> None:
    stack, alice, bob, room = await _two_in_a_room(make_archive_stack)
    ann_ws, bob_ws = await alice.ws(), await bob.ws()
    parent = await ann_ws.say(room, "who takes the release?")
    first = await _reply(ann_ws, room, parent, "not me this time", in_room=False)
    await _reply(bob_ws, room, parent, "I can", in_room=False)
    await _reply(ann_ws, room, parent, "thanks!", in_room=True)
    await ann_ws.edit(room, first, "not me this time, sorry")
    in_redis = (await alice.http.get(f"/api/rooms/{room}/messages/{parent}/thread")).json()
    assert in_redis["parent"]["replies"] == 3
    assert in_redis["parent"]["last_repliers"] == [bob.username, alice.username]
    for n in range(60):
        await ann_ws.say(room, f"message {n}")
    await _until(lambda: len(_archived(stack, room)) == 64)
    stream = await _until(lambda: _short(stack, room))
    assert parent not in stream

    # The same thread, the same counts, now from PostgreSQL alone.
    response = await alice.http.get(f"/api/rooms/{room}/messages/{parent}/thread")
    assert response.status_code == 200, response.text
    assert response.json() == in_redis
    assert [m["text"] for m in in_redis["messages"]] == ["not me this time, sorry", "I can", "thanks!"]
    history = await _whole_history(alice, room)
    assert (history[0]["id"], history[0]["replies"]) == (parent, 3)
    assert history[0]["last_repliers"] == [bob.username, alice.username]
    assert "replies" not in history[2]  # a message nobody replied to
    # A reply is no thread of its own, and an id nobody stored none at all.
    for missing in (first, "1-0"):
        response = await alice.http.get(f"/api/rooms/{room}/messages/{missing}/thread")
        assert response.json()["error"] == "unknown_message", response.text
    for client, ws in ((alice, ann_ws), (bob, bob_ws)):
        await ws.close()
        await client.aclose()


async def _react(client: ChatClient, room: str, message: str, emoji: str, add: bool = True) -> None:
    path = f"/api/rooms/{room}/messages/{message}/reactions/{quote(emoji)}"
    response = await (client.http.put(path) if add else client.http.delete(path))
    assert response.status_code == 200, response.text


async def test_reactions_outlive_the_redis_window_and_go_with_a_deleted_message(
    make_archive_stack: MakeArchiveStack,
) -> None:
    stack, alice, bob, room = await _two_in_a_room(make_archive_stack)
    ws = await alice.ws()
    liked, gone = await ws.say(room, "ship it friday?"), await ws.say(room, "a typo")
    await _react(alice, room, liked, "👍")
    await _react(bob, room, liked, "🎉")
    await _react(bob, room, liked, "👍")
    await _react(alice, room, liked, "❤️")
    await _react(alice, room, liked, "❤️", add=False)
    await _react(bob, room, gone, "👀")
    await ws.delete(room, gone)
    lookup = {"ids": [liked, gone]}
    in_redis = (await alice.http.get(f"/api/rooms/{room}/reactions", params=lookup)).json()
    assert in_redis == {
        "messages": [
            {
                "id": liked,
                "reactions": [
                    {"emoji": "👍", "count": 2, "users": [alice.username, bob.username]},
                    {"emoji": "🎉", "count": 1, "users": [bob.username]},
                ],
            }
        ]
    }
    for n in range(60):
        await ws.say(room, f"message {n}")
    await _until(lambda: len(_archived(stack, room)) == 62)
    stream = await _until(lambda: _short(stack, room))
    assert liked not in stream

    # The same answer from PostgreSQL alone; the deleted message's reaction is gone from it.
    assert (await alice.http.get(f"/api/rooms/{room}/reactions", params=lookup)).json() == in_redis
    assert stack.sql("SELECT count(*) FROM reactions WHERE emoji = %s", "👀") == [(0,)]
    await ws.close()
    for client in (alice, bob):
        await client.aclose()


async def _short(stack: ArchiveStack, room: str) -> list[str] | None:
    stream = await _stream_ids(stack, room)
    return stream if len(stream) <= stack.history_limit else None


async def test_each_entry_reaches_postgres_once_and_redis_trims_only_what_it_holds(
    make_archive_stack: MakeArchiveStack,
) -> None:
    """Two backend processes, each with an archiver (one holds the lease at a time), senders on
    both; all the while, every entry older than the stream's first is in PostgreSQL."""
    stack = make_archive_stack()
    servers = [stack.start(), stack.start()]
    users = [await _user(server) for server in servers]
    room = unique("room")
    await users[0].create_room(room)
    sockets = [await users[n % 2].ws() for n in range(4)]  # one per sender, two on each process
    acked: list[str] = []
    edits: list[str] = []
    violations: list[str] = []
    done = asyncio.Event()

    async def send(n: int) -> None:
        ws = sockets[n]
        for i in range(40):
            message = await ws.say(room, f"sender {n} says {i}")
            acked.append(message)
            if i % 10 == 0:
                edits.append(await ws.edit(room, message, f"sender {n} said {i}"))

    async def watch() -> None:
        async with store_client(stack.store) as redis:
            while not done.is_set():
                first = await redis.xrange(KEYS.stream(room), count=1)
                if first:
                    held = {row[0] for row in _archived(stack, room)}
                    older = [m for m in list(acked) if _key(m) < _key(first[0][0])]
                    violations.extend(m for m in older if m not in held)
                await asyncio.sleep(0.05)

    watcher = asyncio.create_task(watch())
    await asyncio.gather(*(send(n) for n in range(4)))
    await _until(lambda: len(_archived(stack, room)) == len(acked) == 160)
    done.set()
    await watcher
    assert violations == []
    counted = "SELECT count(*), count(DISTINCT (id_ms, id_seq)) FROM messages WHERE room = %s"
    assert stack.sql(counted, room) == [(160, 160)]
    await _until(lambda: stack.sql("SELECT count(*) FROM changes WHERE room = %s", room) == [(len(edits),)])
    assert [row[0] for row in _archived(stack, room)] == sorted(acked, key=_key)
    texts = {row[1] for row in _archived(stack, room)}
    assert all(f"sender {n} said {i}" in texts for n in range(4) for i in range(0, 40, 10))
    for ws in sockets:
        await ws.close()
    for user in users:
        await user.aclose()


def _key(message_id: str) -> tuple[int, int]:
    ms, _, seq = message_id.partition("-")
    return int(ms), int(seq)
