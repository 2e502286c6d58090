"""The people directory (anyone, by a prefix of their name in any case, a page at a time), a
DM started with someone offline, and group DMs of 3 to 9 people: a stable name from the
member set, private to its members like any DM. Real backend processes, real Redis."""

from __future__ import annotations

from chat_backend.protocol import ErrorFrame, MessageFrame, RoomNotice, Subscribe
from chatkit import unique
from conftest import MakeUser, StartBackend


async def test_people_are_found_by_a_prefix_in_any_case_a_page_at_a_time(make_user: MakeUser) -> None:
    stem = unique("Dir")
    people = [await make_user(name=f"{stem}{n}") for n in range(5)]
    names = [person.username for person in people]
    searcher = await make_user()
    found, after = [], None
    while True:
        params = {"prefix": stem.upper(), "limit": 2, **({"after": after} if after else {})}
        page = (await searcher.http.get("/api/people", params=params)).json()
        assert len(page["people"]) <= 2
        found += [person["username"] for person in page["people"]]
        after = page.get("after")
        if after is None:
            break
    assert found == names
    assert (await searcher.http.get("/api/people", params={"prefix": unique("nobody")})).json() == {
        "people": []
    }
    too_many = await searcher.http.get("/api/people", params={"limit": 1001})
    assert (too_many.status_code, too_many.json()["error"]) == (422, "invalid_request")


async def test_a_dm_starts_with_someone_offline_who_finds_it_on_return(make_user: MakeUser) -> None:
    alice, bob = await make_user(), await make_user()  # bob has no socket open
    room = (await alice.open_dm(bob.username))["name"]
    a = await alice.ws()
    await a.say(room, "when you are back")
    info = (await bob.rooms())[room]
    assert (info["unread"], info["members"]) == (1, sorted([alice.username, bob.username]))
    b = await bob.ws()
    await b.subscribe(room, since="0-0")
    assert [m.text for m in await b.messages(1)] == ["when you are back"]
    await a.close()
    await b.close()


async def test_a_group_dm_is_one_room_per_member_set_private_to_them(make_user: MakeUser) -> None:
    alice, bob, carol, mallory = [await make_user() for _ in range(4)]
    socks = [await user.ws() for user in (alice, bob, carol, mallory)]
    members = sorted([alice.username, bob.username, carol.username])
    created = await alice.http.post("/api/dms", json={"usernames": [carol.username.upper(), bob.username]})
    assert created.status_code == 201
    room = created.json()["name"]
    assert (room, created.json()["members"], created.json()["kind"]) == (
        "dm:" + ":".join(members),
        members,
        "dm",
    )
    again = await carol.http.post(
        "/api/dms", json={"usernames": [alice.username, bob.username, carol.username]}
    )
    assert (again.status_code, again.json()["name"]) == (200, room)  # the same set, from anyone in it
    for sock in socks[:3]:
        assert (await sock.expect(RoomNotice, timeout=5)).room.name == room
    await socks[1].subscribe(room)
    await socks[0].say(room, "all three of us")
    assert [m.text for m in await socks[1].messages(1)] == ["all three of us"]

    assert room not in await mallory.rooms()
    history = await mallory.http.get(f"/api/rooms/{room}/messages")
    assert (history.status_code, history.json()["error"]) == (404, "unknown_room")
    await socks[3].send(Subscribe(room=room))
    refusal = await socks[3].expect(ErrorFrame)
    assert refusal.code == "unknown_room"
    heard = [*socks[3].seen, *await socks[3].quiet(1.5)]
    assert [f for f in heard if isinstance(f, RoomNotice | MessageFrame)] == []
    for sock in socks:
        await sock.close()


async def test_a_group_dm_has_at_most_max_dm_members(
    make_user: MakeUser, start_backend: StartBackend
) -> None:
    small = start_backend(MAX_DM_MEMBERS="3")
    users = [await make_user(small) for _ in range(4)]
    others = [user.username for user in users[1:]]
    too_many = await users[0].http.post("/api/dms", json={"usernames": others})
    assert (too_many.status_code, too_many.json()["error"]) == (422, "dm_too_large")
    assert (await users[0].http.post("/api/dms", json={"usernames": others[:2]})).status_code == 201
    beyond_any = await users[0].http.post("/api/dms", json={"usernames": [unique("x") for _ in range(9)]})
    assert beyond_any.status_code == 422  # past the protocol's nine, before anything is looked up
    for body in ({"username": others[0], "usernames": others[:1]}, {}, {"usernames": []}):
        refused = await users[0].http.post("/api/dms", json=body)
        assert (refused.status_code, refused.json()["error"]) == (422, "invalid_request"), body
