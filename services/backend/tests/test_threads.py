"""Threads: a reply names its parent; it stays out of the room's timeline (unless also sent
to the room), the parent shows its reply count and last repliers (live, and in history), the
thread is read whole, and everyone already in it is notified. Real backend processes, real
Redis."""

from __future__ import annotations

from chat_backend.protocol import Ack, ErrorFrame, MentionNotice, MessageFrame, Send, ThreadNotice
from chatkit import Socket, unique
from conftest import MakeRoom, MakeUser


async def _reply(sock: Socket, room: str, parent: str, text: str, in_room: bool = False) -> str:
    frame = Send(room=room, text=text, client_id=unique("c"), thread=parent, in_room=in_room)
    await sock.send(frame)
    return (await sock.expect(Ack, client_id=frame.client_id)).id


async def test_replies_live_in_their_thread_and_notify_everyone_in_it(
    make_user: MakeUser, make_room: MakeRoom
) -> None:
    alice, bob, carol = await make_user(), await make_user(), await make_user()
    room = await make_room(alice)
    a, b, c = await alice.ws(), await bob.ws(), await carol.ws()
    await a.subscribe(room)
    parent = await a.say(room, "plan for Friday?")
    first = await _reply(b, room, parent, "pizza")
    notice = await a.expect(MentionNotice, timeout=5)  # alice wrote the parent
    assert (notice.room, notice.user, notice.id) == (room, bob.username, first)
    update = await a.expect(ThreadNotice, timeout=5)
    assert (update.target, update.replies, update.last_repliers) == (parent, 1, [bob.username])
    reply = next(
        f.message
        for f in [*a.pending, *await a.quiet(0.3)]
        if isinstance(f, MessageFrame) and f.message.id == first
    )
    assert reply.thread == parent

    second = await _reply(c, room, parent, "tacos", in_room=True)
    for sock in (a, b):  # both were in the thread before carol
        assert (await sock.expect(MentionNotice, timeout=5)).id == second
    assert [f for f in await c.quiet(0.5) if isinstance(f, MentionNotice)] == []

    history = (await alice.http.get(f"/api/rooms/{room}/messages")).json()["messages"]
    assert [(m["text"], m.get("replies"), m.get("last_repliers")) for m in history] == [
        ("plan for Friday?", 2, [bob.username, carol.username]),
        ("tacos", None, None),  # also sent to the room; "pizza" lives in the thread alone
    ]
    thread = (await carol.http.get(f"/api/rooms/{room}/messages/{parent}/thread")).json()
    assert (thread["parent"]["id"], thread["parent"]["replies"]) == (parent, 2)
    assert [(m["text"], m["thread"]) for m in thread["messages"]] == [("pizza", parent), ("tacos", parent)]
    for sock in (a, b, c):
        await sock.close()


async def test_a_reply_needs_a_message_that_is_no_reply(make_user: MakeUser, make_room: MakeRoom) -> None:
    alice = await make_user()
    room = await make_room(alice)
    sock = await alice.ws()
    parent = await sock.say(room, "top")
    reply = await _reply(sock, room, parent, "under it")
    for target in (reply, "1-0"):
        refusal = await sock.refused(Send(room=room, text="deeper", client_id=unique("c"), thread=target))
        assert isinstance(refusal, ErrorFrame)
        assert refusal.code == "unknown_message"
        missing = await alice.http.get(f"/api/rooms/{room}/messages/{target}/thread")
        assert (missing.status_code, missing.json()["error"]) == (404, "unknown_message")
    await sock.close()
