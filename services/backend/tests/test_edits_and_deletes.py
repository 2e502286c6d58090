"""Editing and deleting one's own messages: events in the room's stream, checked for
ownership atomically with their storage, stored once per client_id, delivered live and on
resume, folded into history. Real backend processes, real Redis."""

from __future__ import annotations

from chat_backend.protocol import Ack, Delete, DeleteNotice, Edit, EditNotice, MessageFrame
from chatkit import ChatClient, Socket, unique
from conftest import KEYS, MakeUser, Store, store_client


async def _chat(make_user: MakeUser) -> tuple[ChatClient, ChatClient, str, Socket, Socket]:
    alice, bob = await make_user(), await make_user()
    room = unique("room")
    await alice.create_room(room)
    a, b = await alice.ws(), await bob.ws()
    await a.subscribe(room)
    await b.subscribe(room)
    return alice, bob, room, a, b


async def _history(client: ChatClient, room: str, **params: object) -> list[dict[str, object]]:
    response = await client.http.get(f"/api/rooms/{room}/messages", params=params)
    messages: list[dict[str, object]] = response.json()["messages"]
    return messages


async def _stream_length(redis_server: Store, room: str) -> int:
    async with store_client(redis_server) as redis:
        return int(await redis.xlen(KEYS.stream(room)))


async def test_edits_and_deletes_reach_every_subscriber_live(make_user: MakeUser) -> None:
    alice, _, room, a, b = await _chat(make_user)
    first = await a.say(room, "helo")
    second = await a.say(room, "oops")
    await b.messages(2)
    edit_id = await a.edit(room, first, "hello")
    delete_id = await a.delete(room, second)
    for sock in (a, b):
        edited = await sock.expect(EditNotice)
        assert (edited.id, edited.target, edited.text) == (edit_id, first, "hello")
        assert edited.user == alice.username
        deleted = await sock.expect(DeleteNotice)
        assert (deleted.id, deleted.target, deleted.user) == (delete_id, second, alice.username)
        assert deleted.ts >= edited.ts
    await a.close()
    await b.close()


async def test_someone_elses_message_is_refused_and_nothing_is_stored(
    make_user: MakeUser, redis_server: Store
) -> None:
    _, bob, room, a, b = await _chat(make_user)
    message_id = await a.say(room, "mine")
    stored = await _stream_length(redis_server, room)
    for frame in (
        Edit(room=room, id=message_id, text="mine now", client_id=unique("c")),
        Delete(room=room, id=message_id, client_id=unique("c")),
    ):
        refusal = await b.refused(frame)
        assert (refusal.code, refusal.detail) == ("forbidden", "not your message")
        assert refusal.client_id == frame.client_id
    assert await _stream_length(redis_server, room) == stored
    (message,) = await _history(bob, room)
    assert (message["text"], "edited_ts" in message, "deleted" in message) == ("mine", False, False)
    await a.close()
    await b.close()


async def test_unknown_and_deleted_messages_are_refused(make_user: MakeUser, redis_server: Store) -> None:
    alice, _, room, a, b = await _chat(make_user)
    message_id = await a.say(room, "soon gone")
    edit_id = await a.edit(room, message_id, "still here")
    await a.delete(room, message_id)
    other_room = unique("room")
    await alice.create_room(other_room)
    stored = await _stream_length(redis_server, room)
    for target, where in (
        (message_id, room),  # deleted
        (edit_id, room),  # an event, not a message
        ("1-0", room),  # never stored
        (message_id.split("-")[0], room),  # "<ms>" is "<ms>-0", not every id of that ms
        (message_id, other_room),  # in another room
    ):
        for frame in (
            Edit(room=where, id=target, text="again", client_id=unique("c")),
            Delete(room=where, id=target, client_id=unique("c")),
        ):
            refusal = await a.refused(frame)
            assert refusal.code == "unknown_message", (target, where, refusal)
    assert await _stream_length(redis_server, room) == stored
    await a.close()
    await b.close()


async def test_a_retried_edit_or_delete_is_stored_once(make_user: MakeUser, redis_server: Store) -> None:
    _, _, room, a, b = await _chat(make_user)
    message_id = await a.say(room, "typo")
    stored = await _stream_length(redis_server, room)
    edit = Edit(room=room, id=message_id, text="fixed", client_id=unique("c"))
    delete = Delete(room=room, id=message_id, client_id=unique("c"))
    acks = []
    for frame in (edit, edit, delete, delete, edit):  # a retry after the delete too
        await a.send(frame)
        acks.append(await a.expect(Ack, client_id=frame.client_id))
    assert acks[0] == acks[1] == acks[4]
    assert acks[2] == acks[3]
    assert await _stream_length(redis_server, room) == stored + 2  # one edit, one delete
    frames = [f for f in [*b.pending, *await b.quiet(0.5)] if isinstance(f, EditNotice | DeleteNotice)]
    assert [(type(f), f.id) for f in frames] == [(EditNotice, acks[0].id), (DeleteNotice, acks[2].id)]
    await a.close()
    await b.close()


async def test_an_edit_too_long_or_blank_is_refused(make_user: MakeUser) -> None:
    _, _, room, a, b = await _chat(make_user)
    message_id = await a.say(room, "short")
    too_long = await a.refused(Edit(room=room, id=message_id, text="x" * 4001, client_id="long"))
    assert (too_long.code, too_long.client_id) == ("too_long", "long")
    blank = await a.refused(Edit.model_construct(room=room, id=message_id, text="  ", client_id="blank"))
    assert (blank.code, blank.detail) == ("invalid_field", "'text' must not be blank")
    await a.close()
    await b.close()


async def test_resume_replays_edits_and_deletes_in_stream_order(
    make_user: MakeUser,
) -> None:
    alice, bob, room, a, b = await _chat(make_user)
    first = await a.say(room, "first")
    second = await a.say(room, "second")
    await b.messages(2)
    await b.close()
    edit_id = await a.edit(room, first, "first, edited")
    delete_id = await a.delete(room, second)
    third = await a.say(room, "third")

    b = await bob.ws()
    await b.subscribe(room, since=second)  # what the client saw last
    replayed = [f for f in await b.quiet(0.5) if isinstance(f, MessageFrame | EditNotice | DeleteNotice)]
    assert [(type(f).__name__, f.message.id if isinstance(f, MessageFrame) else f.id) for f in replayed] == [
        ("EditNotice", edit_id),
        ("DeleteNotice", delete_id),
        ("MessageFrame", third),
    ]
    await b.close()

    # From the start: each message as it is now, then the events as they happened.
    b = await bob.ws()
    await b.subscribe(room, since="0-0")
    frames = [f for f in await b.quiet(0.5) if isinstance(f, MessageFrame | EditNotice | DeleteNotice)]
    messages = {f.message.id: f.message for f in frames if isinstance(f, MessageFrame)}
    assert (messages[first].text, messages[first].edited_ts is not None) == ("first, edited", True)
    assert (messages[second].text, messages[second].deleted) == ("", True)
    assert [type(f).__name__ for f in frames] == [
        "MessageFrame",
        "MessageFrame",
        "EditNotice",
        "DeleteNotice",
        "MessageFrame",
    ]
    assert alice.username == messages[third].user
    await a.close()
    await b.close()


async def test_history_folds_edits_and_deletes_and_counts_only_messages(
    make_user: MakeUser,
) -> None:
    alice, _, room, a, b = await _chat(make_user)
    ids = [await a.say(room, f"message {n}") for n in range(4)]
    for n in range(5):
        await a.edit(room, ids[1], f"message 1, take {n}")
    await a.delete(room, ids[2])
    history = await _history(alice, room)
    assert [m["id"] for m in history] == ids
    assert [m["seq"] for m in history] == [1, 2, 3, 4]
    edited, deleted = history[1], history[2]
    assert edited["text"] == "message 1, take 4"
    assert isinstance(edited["edited_ts"], int)
    assert "deleted" not in edited
    assert (deleted["text"], deleted["deleted"], "edited_ts" in deleted) == ("", True, False)
    assert {"edited_ts", "deleted"}.isdisjoint(history[0])
    # Six events lie between the newest messages: a page of 3 is still 3 messages.
    page = await _history(alice, room, limit=3)
    assert [m["id"] for m in page] == ids[1:]
    older = await _history(alice, room, limit=3, before=page[0]["id"])
    assert [m["id"] for m in older] == ids[:1]
    await a.close()
    await b.close()
