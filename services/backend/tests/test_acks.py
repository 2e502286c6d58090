"""What an ack and a rate-limit refusal tell the sender (docs/protocol.md, "Sending"): the
ack carries the stored message's id and ts, the same for every retry; rate_limited says how
long to wait — against real backend processes and real Redis."""

from __future__ import annotations

from chat_backend.protocol import Ack, ErrorFrame, Send
from chatkit import Socket, unique
from conftest import KEYS, MakeRoom, MakeUser, StartBackend, Store, store_client


async def _ack(sock: Socket, frame: Send) -> Ack:
    await sock.send(frame)
    return await sock.expect(Ack, client_id=frame.client_id)


async def test_the_ack_carries_the_stored_ts_and_a_retry_gets_the_same(
    make_user: MakeUser,
    make_room: MakeRoom,
) -> None:
    alice, bob = await make_user(), await make_user()
    room = await make_room(alice)
    a, b = await alice.ws(), await bob.ws()
    await b.subscribe(room)
    send = Send(room=room, text="when?", client_id=unique("c"))
    ack = await _ack(a, send)
    (delivered,) = await b.messages(1)
    history = (await alice.http.get(f"/api/rooms/{room}/messages")).json()["messages"]
    assert (delivered.id, delivered.ts) == (ack.id, ack.ts)
    assert [(m["id"], m["ts"]) for m in history] == [(ack.id, ack.ts)]
    retried = await _ack(a, send)
    assert (retried.id, retried.ts) == (ack.id, ack.ts)
    await a.close()
    await b.close()


async def test_a_retry_recorded_by_id_alone_gets_the_ts_of_the_entry(
    make_user: MakeUser, make_room: MakeRoom, redis_server: Store
) -> None:
    """A retry record holding only the id (as before acks had ts): the ts comes from the
    stored entry, or from the id itself once the entry is trimmed away."""
    client = await make_user()
    room = await make_room(client)
    sock = await client.ws()
    original = await _ack(sock, Send(room=room, text="stored", client_id=unique("c")))
    gone = Send(room=room, text="trimmed long ago", client_id=unique("c"))
    async with store_client(redis_server) as redis:
        await redis.set(KEYS.dedup(room, client.username, "old"), original.id)
        await redis.set(KEYS.dedup(room, client.username, gone.client_id), "1700000000123-4")
    retried = await _ack(sock, Send(room=room, text="stored", client_id="old"))
    assert (retried.id, retried.ts) == (original.id, original.ts)
    assert await _ack(sock, gone) == Ack(client_id=gone.client_id, id="1700000000123-4", ts=1700000000123)
    await sock.close()


async def test_rate_limited_says_when_to_retry(start_backend: StartBackend, make_user: MakeUser) -> None:
    server = start_backend(SEND_RATE_LIMIT="2", SEND_RATE_WINDOW="20")
    client = await make_user(server)
    sock = await client.ws()
    for i in range(2):
        await _ack(sock, Send(room="general", text=f"ok {i}", client_id=unique("c")))
    await sock.send(Send(room="general", text="one too many", client_id="over"))
    error = await sock.expect(ErrorFrame, client_id="over")
    assert error.code == "rate_limited"
    assert error.retry_after_ms is not None
    assert 0 < error.retry_after_ms <= 20_000
    assert f"retry in {error.retry_after_ms} ms" in error.detail
    await sock.close()
