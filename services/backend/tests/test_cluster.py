"""On a Redis Cluster (make test-backend-cluster): rooms really spread over the masters, each
room's messages live whole on its own master, and delivery works whichever shard a room is on."""

from __future__ import annotations

import asyncio

import pytest
import redis
from chat_backend.protocol import MessageFrame, Send
from chat_backend.store import entries
from chatkit import unique
from conftest import KEYS, MakeUser, StartBackend, Store
from devstack.redis_cluster import RedisCluster

pytestmark = pytest.mark.cluster_only


def rooms_on_every_master(cluster: RedisCluster) -> dict[int, str]:
    """A new room name per master (a room's keys share its hash tag, so its slot is its name's)."""
    masters = {shard.master for shard in cluster.shards()}
    rooms: dict[int, str] = {}
    while set(rooms) != masters:
        name = unique("room")
        rooms.setdefault(cluster.shard_of(name).master, name)
    return rooms


def _messages_stored(node: redis.Redis, room: str) -> list[str]:
    """The ids of the room's messages in its stream on `node`; its events (the creator's
    joining) left out. Another master would answer MOVED."""
    return [entry_id for entry_id, fields in node.xrange(KEYS.stream(room)) if entries.is_message(fields)]


async def test_rooms_spread_over_the_masters_and_each_room_lives_on_one(
    make_user: MakeUser, redis_server: Store
) -> None:
    assert isinstance(redis_server, RedisCluster)
    rooms = rooms_on_every_master(redis_server)
    assert len(rooms) == 3
    alice, bob = await make_user(), await make_user()
    sender, receiver = await alice.ws(), await bob.ws()
    for master, room in rooms.items():
        assert (await alice.http.post("/api/rooms", json={"name": room})).status_code == 201
        await receiver.subscribe(room)
        message_id = await sender.say(room, f"on {master}")
        frame = await receiver.expect(MessageFrame)
        assert (frame.message.room, frame.message.id) == (room, message_id)
        with redis_server.client(master) as node:
            assert _messages_stored(node, room) == [message_id]
    await sender.close()
    await receiver.close()


async def test_a_room_keeps_delivering_while_its_slot_moves_to_another_master(
    make_user: MakeUser, redis_server: Store
) -> None:
    assert isinstance(redis_server, RedisCluster)
    alice, bob = await make_user(), await make_user()
    room = unique("room")
    assert (await alice.http.post("/api/rooms", json={"name": room})).status_code == 201
    sender, receiver = await alice.ws(), await bob.ws()
    await receiver.subscribe(room)
    before = await sender.say(room, "before the move")
    source = redis_server.shard_of(room).master
    target = next(shard.master for shard in redis_server.shards() if shard.master != source)
    redis_server.move_slot(room, target)
    after = await sender.say(room, "after the move")  # the backend follows MOVED
    delivered = [(await receiver.expect(MessageFrame)).message.id for _ in range(2)]
    assert delivered == [before, after]
    with redis_server.client(target) as node:
        assert _messages_stored(node, room) == [before, after]
    history = (await bob.http.get(f"/api/rooms/{room}/messages")).json()["messages"]
    assert [message["id"] for message in history] == [before, after]
    await sender.close()
    await receiver.close()


async def test_rooms_left_and_joined_again_while_messages_flow_keep_the_tail_running(
    make_user: MakeUser, start_backend: StartBackend
) -> None:
    """Sockets join and leave busy rooms over and over (each time the last one leaves, the tail
    unsubscribes the room's channel; the next join subscribes it again), as people do. The
    worker's tail never takes its own unsubscribe for a moved slot, nor trips over a room left
    while it was being read: every join is answered, and the tail never starts over."""
    server = start_backend(workers=1)
    alice = await make_user(server)
    rooms = [unique("room") for _ in range(4)]
    for room in rooms:
        await alice.create_room(room)
    sender = await alice.ws()
    done = asyncio.Event()

    async def talk() -> None:
        while not done.is_set():
            for room in rooms:
                await sender.send(Send(room=room, text="busy", client_id=unique("c")))
            await asyncio.sleep(0.005)

    async def come_and_go(room: str) -> None:
        for _ in range(25):
            sock = await alice.ws()
            await sock.subscribe(room)  # presence within 5 s, or TimeoutError
            await sock.close()

    talking = asyncio.create_task(talk())
    try:
        await asyncio.gather(*(come_and_go(room) for room in rooms))
    finally:
        done.set()
        await talking
    await sender.close()
    assert "tail failed" not in server.log_path.read_text()
