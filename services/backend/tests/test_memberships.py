"""Public rooms are joined and left, every room has a member list (online first) and a topic
set by its members, each within its ceiling; room names are unique regardless of case. Real
backend processes, real Redis."""

from __future__ import annotations

import pytest
from chat_backend.protocol import MemberNotice, TopicNotice
from chatkit import unique
from conftest import MakeRoom, MakeUser, StartBackend
from devstack.backend_server import BackendServer


async def test_joining_and_leaving_a_public_room_shows_in_the_list_and_the_room(
    make_user: MakeUser, make_room: MakeRoom
) -> None:
    alice, bob = await make_user(), await make_user()
    room = await make_room(alice)
    a = await alice.ws()
    await a.subscribe(room)
    assert (await alice.rooms())[room]["joined"] is True  # its creator is in it
    assert (await bob.rooms())[room]["joined"] is False  # browsable: listed, not joined

    joined = await bob.http.post(f"/api/rooms/{room}/join")
    assert joined.status_code == 200
    assert (joined.json()["name"], joined.json()["joined"]) == (room, True)
    assert (await bob.http.post(f"/api/rooms/{room}/join")).status_code == 200  # again: no change
    assert (await bob.rooms())[room]["joined"] is True
    notice = await a.expect(MemberNotice, timeout=5)
    assert (notice.action, notice.member, notice.user) == ("join", bob.username, bob.username)

    assert (await bob.http.post(f"/api/rooms/{room}/leave")).status_code == 204
    assert (await bob.rooms())[room]["joined"] is False
    assert (await a.expect(MemberNotice, timeout=5)).action == "leave"
    assert [f for f in await a.quiet(0.5) if isinstance(f, MemberNotice)] == []  # one join, one leave
    # Nobody is removed from a public room; a DM has no joining, leaving or topic.
    refused = await alice.http.delete(f"/api/rooms/{room}/members/{bob.username}")
    assert (refused.status_code, refused.json()["error"]) == (403, "public_room")
    dm = (await alice.open_dm(bob.username))["name"]
    for response in (
        await alice.http.post(f"/api/rooms/{dm}/join"),
        await alice.http.post(f"/api/rooms/{dm}/leave"),
        await alice.http.put(f"/api/rooms/{dm}/topic", json={"topic": "x"}),
    ):
        assert (response.status_code, response.json()["error"]) == (422, "not_a_room")
    await a.close()


async def test_members_are_listed_online_first_a_page_at_a_time(
    make_user: MakeUser, make_room: MakeRoom
) -> None:
    users = [await make_user() for _ in range(4)]
    room = await make_room(users[0])
    for user in users[1:]:
        await user.http.post(f"/api/rooms/{room}/join")
    online = users[2]
    sock = await online.ws()
    await sock.subscribe(room)
    offline = sorted((user.username for user in users if user is not online), key=str.casefold)

    first = (await users[0].http.get(f"/api/rooms/{room}/members", params={"limit": 2})).json()
    assert first == {
        "members": [{"username": online.username, "online": True}, {"username": offline[0], "online": False}],
        "total": 4,
        "next_offset": 2,
    }
    rest = (await users[0].http.get(f"/api/rooms/{room}/members", params={"limit": 2, "offset": 2})).json()
    assert rest == {"members": [{"username": name, "online": False} for name in offline[1:]], "total": 4}
    bad = await users[0].http.get(f"/api/rooms/{room}/members", params={"limit": 0})
    assert (bad.status_code, bad.json()["error"]) == (422, "invalid_request")
    await sock.close()


async def test_members_set_the_topic_live_and_listed(make_user: MakeUser, make_room: MakeRoom) -> None:
    alice, bob = await make_user(), await make_user()
    room = await make_room(alice)
    a, b = await alice.ws(), await bob.ws()
    await a.subscribe(room)
    await b.subscribe(room)
    since = await a.say(room, "before the topic")

    assert (await alice.http.put(f"/api/rooms/{room}/topic", json={"topic": "Q3 plans"})).status_code == 204
    for sock in (a, b):
        notice = await sock.expect(TopicNotice, timeout=5)
        assert (notice.room, notice.topic, notice.user) == (room, "Q3 plans", alice.username)
    assert (await bob.rooms())[room]["topic"] == "Q3 plans"
    # Not a member: refused, nothing changes. A resume past the change gets it again.
    refused = await bob.http.put(f"/api/rooms/{room}/topic", json={"topic": "mine"})
    assert (refused.status_code, refused.json()["error"]) == (403, "not_member")
    resumed = await bob.ws()
    await resumed.subscribe(room, since=since)
    assert (await resumed.expect(TopicNotice, timeout=5)).topic == "Q3 plans"
    # The history holds messages only; the topic is counted as none.
    history = (await bob.http.get(f"/api/rooms/{room}/messages")).json()["messages"]
    assert [m["text"] for m in history] == ["before the topic"]
    assert (await alice.rooms())[room]["seq"] == 1
    assert (await alice.http.put(f"/api/rooms/{room}/topic", json={"topic": ""})).status_code == 204
    assert "topic" not in (await alice.rooms())[room]
    for sock in (a, b, resumed):
        await sock.close()


async def test_room_names_are_unique_regardless_of_case(make_user: MakeUser) -> None:
    alice = await make_user()
    name = unique("Team")
    assert (await alice.http.post("/api/rooms", json={"name": name})).status_code == 201
    for variant, private in ((name.lower(), False), (name.upper(), True), ("GENERAL", False)):
        taken = await alice.http.post("/api/rooms", json={"name": variant, "private": private})
        assert (taken.status_code, taken.json()["error"]) == (409, "room_exists"), variant
    assert name.lower() not in await alice.rooms()


async def test_privacy_is_true_or_false_never_a_word_taken_for_either(make_user: MakeUser) -> None:
    alice = await make_user()
    name = unique("room")
    for private in ("F", "no", 0, "true", None):
        refused = await alice.http.post("/api/rooms", json={"name": name, "private": private})
        assert (refused.status_code, refused.json()["error"]) == (422, "invalid_request"), private
    assert name not in await alice.rooms()


@pytest.fixture(scope="module")
def small_rooms(start_backend: StartBackend) -> BackendServer:
    return start_backend(MAX_ROOM_MEMBERS="2", MAX_TOPIC_LENGTH="10", PEOPLE_PAGE_MAX="1")


async def test_members_topics_and_pages_have_ceilings(
    make_user: MakeUser, small_rooms: BackendServer
) -> None:
    alice, bob, carol = [await make_user(small_rooms) for _ in range(3)]
    room = unique("small")
    await alice.create_room(room, private=True)
    assert (
        await alice.http.post(f"/api/rooms/{room}/members", json={"username": bob.username})
    ).status_code == 201
    full = await alice.http.post(f"/api/rooms/{room}/members", json={"username": carol.username})
    assert (full.status_code, full.json()["error"]) == (409, "room_full")
    public = unique("small")
    await alice.create_room(public)
    await bob.http.post(f"/api/rooms/{public}/join")
    full = await carol.http.post(f"/api/rooms/{public}/join")
    assert (full.status_code, full.json()["error"]) == (409, "room_full")
    assert (await carol.rooms())[public]["joined"] is False

    long = await alice.http.put(f"/api/rooms/{room}/topic", json={"topic": "x" * 11})
    assert (long.status_code, long.json()["error"]) == (422, "too_long")
    assert (await alice.http.put(f"/api/rooms/{room}/topic", json={"topic": "x" * 10})).status_code == 204
    controls = await alice.http.put(f"/api/rooms/{room}/topic", json={"topic": "bell\x07"})
    assert (controls.status_code, controls.json()["error"]) == (422, "invalid_request")
    assert (await alice.rooms())[room]["topic"] == "x" * 10
    for blank in ("   ", "\u200b\u2060", "\u3164"):  # shows nothing: clears it, nothing invisible is kept
        assert (await alice.http.put(f"/api/rooms/{room}/topic", json={"topic": "x"})).status_code == 204
        assert (await alice.http.put(f"/api/rooms/{room}/topic", json={"topic": blank})).status_code == 204
        assert not (await alice.rooms())[room].get("topic")

    page = (await alice.http.get(f"/api/rooms/{room}/members", params={"limit": 50})).json()
    assert (len(page["members"]), page["total"], page["next_offset"]) == (1, 2, 1)
