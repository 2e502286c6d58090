"""Display names: chosen by the user, shown beside the unchanging username in member lists,
the people directory (which finds them by it too) and user lookups; length-limited, and
nothing invisible. Real backend processes, real Redis."""

from __future__ import annotations

import pytest
from chatkit import unique
from conftest import MakeRoom, MakeUser


async def test_a_display_name_shows_beside_the_username_everywhere(
    make_user: MakeUser, make_room: MakeRoom
) -> None:
    alice, bob = await make_user(), await make_user()
    shown = unique("Ålice Liddell")
    assert (
        await alice.http.put("/api/me/display-name", json={"display_name": f"  {shown} "})
    ).status_code == 204
    assert (await alice.http.get("/api/me")).json() == {"username": alice.username, "display_name": shown}
    room = await make_room(alice)
    members = (await bob.http.get(f"/api/rooms/{room}/members")).json()["members"]
    assert members == [{"username": alice.username, "display_name": shown, "online": False}]
    lookup = await bob.http.get(
        "/api/users", params={"names": [alice.username, bob.username, unique("ghost")]}
    )
    assert lookup.json() == {
        "users": [{"username": alice.username, "display_name": shown}, {"username": bob.username}]
    }
    found = (await bob.http.get("/api/people", params={"prefix": shown[:8].upper()})).json()["people"]
    assert found == [{"username": alice.username, "display_name": shown}]

    renamed = unique("Alice L")
    assert (await alice.http.put("/api/me/display-name", json={"display_name": renamed})).status_code == 204
    assert (await bob.http.get("/api/people", params={"prefix": shown[:8]})).json()["people"] == []
    assert (await alice.http.put("/api/me/display-name", json={"display_name": ""})).status_code == 204
    assert (await alice.http.get("/api/me")).json() == {"username": alice.username}
    assert (await bob.http.get("/api/people", params={"prefix": renamed})).json()["people"] == []


@pytest.mark.parametrize(
    ("display_name", "error"),
    [
        ("x" * 65, "too_long"),
        ("   ", "invalid_display_name"),
        ("\u200b\u200d\u3164", "invalid_display_name"),  # zero-width and Hangul filler: nothing shows
        ("tab\there", "invalid_display_name"),
    ],
)
async def test_a_display_name_is_refused_when_too_long_or_invisible(
    make_user: MakeUser, display_name: str, error: str
) -> None:
    alice = await make_user()
    refused = await alice.http.put("/api/me/display-name", json={"display_name": display_name})
    assert (refused.status_code, refused.json()["error"]) == (422, error)
    assert (await alice.http.get("/api/me")).json() == {"username": alice.username}


async def test_a_lookup_takes_at_most_a_hundred_names(make_user: MakeUser) -> None:
    alice = await make_user()
    too_many = await alice.http.get("/api/users", params={"names": [f"user{n:03}" for n in range(101)]})
    assert (too_many.status_code, too_many.json()["error"]) == (422, "invalid_request")
