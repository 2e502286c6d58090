"""Usernames are unique regardless of case: `Alice` registered, nobody can be `alice`; a
mention, a DM or an invitation names a user in any case. Users from before keep their names;
of case-variants among them the first indexed keeps the casefolded one. Real backend
processes, real Redis."""

from __future__ import annotations

from argon2 import PasswordHasher
from chat_backend.protocol import MentionNotice
from chatkit import unique
from chatkit.accounts import PASSWORD
from conftest import KEYS, MakeUser, StartBackend, Store, store_client


async def test_a_case_variant_of_a_username_is_taken(make_user: MakeUser) -> None:
    alice = await make_user(name=unique("Alice"))
    other = await make_user()
    for variant in (alice.username.lower(), alice.username.upper()):
        taken = await other.http.post("/api/register", json={"username": variant, "password": PASSWORD})
        assert (taken.status_code, taken.json()["error"]) == (409, "username_taken"), variant
    assert (await other.http.get("/api/me")).json() == {"username": other.username}


async def test_mentions_dms_and_invitations_name_users_in_any_case(make_user: MakeUser) -> None:
    alice, bob = await make_user(), await make_user(name=unique("Bob"))
    b = await bob.ws()
    a = await alice.ws()
    room = (await alice.open_dm(bob.username.upper()))["name"]
    assert room == "dm:" + ":".join(sorted([alice.username, bob.username]))
    message_id = await a.say(room, f"over to you, @{bob.username.lower()}.")
    assert await b.expect(MentionNotice, timeout=5) == MentionNotice(
        room=room, seq=1, user=alice.username, id=message_id
    )
    secret = unique("secret")
    await alice.create_room(secret, private=True)
    added = await alice.http.post(f"/api/rooms/{secret}/members", json={"username": bob.username.lower()})
    assert added.status_code == 201
    assert secret in await bob.rooms()
    await a.close()
    await b.close()


async def test_users_from_before_are_indexed_once_at_start(
    make_user: MakeUser, redis_server: Store, start_backend: StartBackend
) -> None:
    first = unique("Legacy")
    second = first.lower()
    async with store_client(redis_server) as redis:
        hashed = PasswordHasher().hash(PASSWORD)
        for name in (first, second):  # as registration stored them before
            await redis.set(KEYS.user(name), hashed)
        await redis.delete(KEYS.USERNAMES_INDEXED)
        server = start_backend()
        assert await redis.hget(KEYS.USERNAMES, first.casefold()) in (first, second)
        assert await redis.exists(KEYS.USERNAMES_INDEXED)
    newcomer = await make_user(server)
    for name in (first, second):  # both still log in by their exact names
        login = await newcomer.http.post("/api/login", json={"username": name, "password": PASSWORD})
        assert (login.status_code, login.json()) == (200, {"username": name})
    taken = await newcomer.http.post("/api/register", json={"username": first.upper(), "password": PASSWORD})
    assert (taken.status_code, taken.json()["error"]) == (409, "username_taken")
