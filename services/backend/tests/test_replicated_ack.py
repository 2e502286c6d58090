"""REDIS_ACK_REPLICAS=1 against a real primary and replica: the ack means the replica holds
the message, nothing is fanned out before it does, and a paused replica turns a send into
the retryable `unavailable` error whose resend (same client_id) is stored once."""

from __future__ import annotations

import asyncio
import secrets
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
import redis
from chat_backend.protocol import Ack, ErrorFrame, MessageFrame, Send
from chatkit import ChatClient, Socket, unique
from conftest import KEYS, ORIGIN
from devstack.backend_server import BackendServer
from devstack.redis_server import RedisServer

pytestmark = pytest.mark.single_node  # a primary and its replica

ACK_TIMEOUT_MS = 1500
ROOM = "general"


@dataclass
class Replicated:
    primary: RedisServer
    replica: RedisServer
    backend: BackendServer  # two workers
    other: BackendServer  # another instance on the same Redis, as behind a load balancer


@pytest.fixture(scope="module")
def replicated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replicated]:
    workdir = tmp_path_factory.mktemp("replicated")
    primary = RedisServer(workdir / "primary")
    replica = RedisServer(workdir / "replica", replica_of=primary.port)
    secret = secrets.token_urlsafe(32)
    env = {"REDIS_ACK_REPLICAS": "1", "REDIS_ACK_TIMEOUT_MS": str(ACK_TIMEOUT_MS)}
    backends = [
        BackendServer(workdir / name, primary.url, ORIGIN, secret, workers=workers, extra_env=env)
        for name, workers in (("backend", 2), ("other", 1))
    ]
    started: list[RedisServer | BackendServer] = []
    try:
        for process in (primary, replica, *backends):
            started.append(process)
            process.start()
        yield Replicated(primary, replica, *backends)
    finally:
        for process in reversed(started):
            process.stop()


def stored(server: RedisServer, client_id: str) -> list[str]:
    """The ids `server` holds for `client_id` (a paused server must not be asked)."""
    with redis.Redis(port=server.port, decode_responses=True) as client:
        return [i for i, fields in client.xrange(KEYS.stream(ROOM)) if fields["client_id"] == client_id]


def stream_length(server: RedisServer) -> int:
    with redis.Redis(port=server.port, decode_responses=True) as client:
        return int(client.xlen(KEYS.stream(ROOM)))


async def user_on(make_client: Callable[..., ChatClient], *servers: BackendServer) -> list[Socket]:
    """One user's sockets, one on each server (a session is valid on every instance)."""
    clients = [make_client(server) for server in servers]
    await clients[0].register()
    for client in clients[1:]:
        client.http.cookies = clients[0].http.cookies
    return [await client.ws() for client in clients]


def send_frame(client_id: str, text: str = "hello") -> Send:
    return Send(room=ROOM, text=text, client_id=client_id)


async def test_ack_means_the_replica_holds_the_message(
    replicated: Replicated, make_client: Callable[..., ChatClient]
) -> None:
    [watcher] = await user_on(make_client, replicated.backend)
    await watcher.subscribe(ROOM)
    [sender] = await user_on(make_client, replicated.backend)
    client_id = unique("c")
    message_id = await sender.say(ROOM, "replicated", client_id)
    assert stored(replicated.replica, client_id) == [message_id]  # checked as soon as the ack is in
    assert [m.id for m in await watcher.messages(1)] == [message_id]
    await asyncio.gather(watcher.close(), sender.close())


async def test_paused_replica_refuses_the_send_and_the_resend_is_stored_once(
    replicated: Replicated, make_client: Callable[..., ChatClient]
) -> None:
    [watcher] = await user_on(make_client, replicated.backend)
    await watcher.subscribe(ROOM)
    [sender] = await user_on(make_client, replicated.backend)
    client_id = unique("c")
    replicated.replica.signal(signal.SIGSTOP)
    try:
        started = time.monotonic()
        await sender.send(send_frame(client_id))
        refused = await sender.expect(ErrorFrame, timeout=ACK_TIMEOUT_MS / 1000 + 5, client_id=client_id)
        waited = time.monotonic() - started
        assert refused.code == "unavailable"
        assert ACK_TIMEOUT_MS / 1000 - 0.1 <= waited < ACK_TIMEOUT_MS / 1000 + 2, waited
        assert len(stored(replicated.primary, client_id)) == 1  # on the primary only: not acked
        fanned_out = [f for f in await watcher.quiet(0.5) if isinstance(f, MessageFrame)]
        assert not fanned_out, "fanned out unreplicated"
    finally:
        replicated.replica.signal(signal.SIGCONT)
    message_id = await sender.say(ROOM, "hello", client_id)  # the client's retry, same client_id
    assert stored(replicated.primary, client_id) == stored(replicated.replica, client_id) == [message_id]
    assert stream_length(replicated.primary) == stream_length(replicated.replica)
    shown = await watcher.messages(1)
    shown += [f.message for f in await watcher.quiet(0.5) if isinstance(f, MessageFrame)]
    assert [(m.id, m.client_id) for m in shown] == [(message_id, client_id)], "shown once, as stored"
    await asyncio.gather(watcher.close(), sender.close())


async def test_resend_of_a_stored_message_is_acked_only_once_the_replica_has_it(
    replicated: Replicated, make_client: Callable[..., ChatClient]
) -> None:
    """The resend reaches another instance, whose connections wrote nothing since. Redis 7.2+
    and Valkey count only a connection's own writes for WAIT, so there the retry's write is
    what makes WAIT cover the original append; Redis 7.0 counts everything before its last
    command, so here this checks the behaviour, not that write."""
    first, second = await user_on(make_client, replicated.backend, replicated.other)
    client_id = unique("c")
    replicated.replica.signal(signal.SIGSTOP)
    try:
        await first.send(send_frame(client_id))
        refused = await first.expect(ErrorFrame, timeout=ACK_TIMEOUT_MS / 1000 + 5, client_id=client_id)
        assert refused.code == "unavailable"
        [original] = stored(replicated.primary, client_id)
        await second.send(send_frame(client_id))
        with pytest.raises(TimeoutError):
            await second.expect(Ack, timeout=0.7, client_id=client_id)
    finally:
        replicated.replica.signal(signal.SIGCONT)
    ack = await second.expect(Ack, timeout=ACK_TIMEOUT_MS / 1000, client_id=client_id)
    assert ack.id == original
    assert stored(replicated.primary, client_id) == stored(replicated.replica, client_id) == [original]
    await asyncio.gather(first.close(), second.close())
