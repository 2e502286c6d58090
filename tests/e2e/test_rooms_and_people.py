"""Private rooms, topics and membership, the people directory, group DMs and one's account,
with two to four people in Debian's chromium against the real stack."""

from __future__ import annotations

import re
import secrets
import time

from devstack.stack import DevStack
from playwright.sync_api import Browser, Locator, expect

from tests.e2e.chat_user import (
    PASSWORD,
    ROOM_NAMES,
    SEARCH_TEXTS,
    STATUS_OF,
    SUBSCRIBE_REPLY,
    ChatUser,
    people,
)


def members_panel(user: ChatUser, room: str) -> Locator:
    user.page.get_by_role("button", name="Members", exact=True).click()
    panel = user.page.get_by_role("complementary", name=f"Members of # {room}")
    expect(panel).to_be_visible()
    return panel


def cannot_see(user: ChatUser, room: str, text: str) -> None:
    """For `user` the room does not exist: not listed, not readable, not subscribable, not found."""
    expect(user.room_entry(room)).to_have_count(0)
    assert room not in user.page.evaluate(ROOM_NAMES)
    assert user.page.evaluate(STATUS_OF, f"/api/rooms/{room}/messages") == 404
    assert user.page.evaluate(STATUS_OF, f"/api/rooms/{room}/members") == 404
    reply = user.page.evaluate(SUBSCRIBE_REPLY, room)
    assert (reply["type"], reply["code"]) == ("error", "unknown_room"), reply
    assert text not in user.page.evaluate(SEARCH_TEXTS, text)


def found_by_search(user: ChatUser, text: str, within: float = 15) -> bool:
    """Search finds the message once the archive holds it (a second or so after it was sent)."""
    deadline = time.monotonic() + within
    while text not in user.page.evaluate(SEARCH_TEXTS, text):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.25)
    return True


def log_in(user: ChatUser, password: str = PASSWORD) -> None:
    user.page.goto(f"{user.base_url}/login")
    user.page.get_by_label("Username").fill(user.name)
    user.page.get_by_label("Password").fill(password)
    user.page.get_by_role("button", name="Log in").click()
    user.expect_connected()


def test_a_private_room_is_seen_by_its_members_only_and_they_invite_and_remove(trio: list[ChatUser]) -> None:
    ann, bob, cat = trio
    for user in trio:
        user.register()
    room = f"board-{secrets.token_hex(3)}"
    ann.page.get_by_label("New room").fill(room)
    ann.page.get_by_label("Private (invite only)").check()
    ann.page.get_by_role("button", name="Create").click()
    expect(ann.page.get_by_role("heading", name=f"# {room}", exact=True)).to_be_visible()
    expect(ann.page.get_by_text("Private: members only")).to_be_visible()
    expect(ann.room_entry(room)).to_have_accessible_name(f"# {room}, private")
    secret = f"the merger closes friday {secrets.token_hex(2)}"
    ann.send(secret)
    ann.expect_each_once([secret])
    for outsider in (bob, cat):
        cannot_see(outsider, room, secret)

    # Ann invites Bob: the room shows up in his list at once, with what was said before.
    panel = members_panel(ann, room)
    panel.get_by_label("Add a member by username").fill(bob.name)
    panel.get_by_role("button", name="Add", exact=True).click()
    expect(panel.get_by_role("list", name="Members")).to_contain_text(bob.name)
    expect(bob.room_entry(room)).to_have_accessible_name(re.compile(rf"^# {room}, private"))
    bob.open_room(room)
    bob.expect_each_once([secret])
    assert found_by_search(bob, secret)
    cannot_see(cat, room, secret)

    # Removed, Bob loses the room at once; Cat never had it.
    panel.get_by_role("button", name=f"Remove {bob.name}").click()
    expect(panel.get_by_role("list", name="Members")).not_to_contain_text(bob.name)
    expect(bob.page.get_by_role("heading", name="Conversation not found")).to_be_visible()
    cannot_see(bob, room, secret)


def test_a_topic_and_who_joined_show_live(pair: list[ChatUser]) -> None:
    ann, bob = pair
    ann.register()
    bob.register()
    room = f"plans-{secrets.token_hex(3)}"
    ann.create_room(room)
    ann.page.get_by_role("button", name="Set a topic").click()
    ann.page.get_by_label("Topic").fill("Q3 launch plans")
    ann.page.get_by_role("button", name="Save topic").click()
    expect(ann.page.locator(".topic-text")).to_have_text("Q3 launch plans")

    bob.open_room(room)
    expect(bob.page.locator(".topic-text")).to_have_text("Q3 launch plans")
    expect(bob.page.get_by_role("button", name="Set a topic")).to_have_count(0)  # not a member yet
    panel = members_panel(ann, room)
    members = panel.get_by_role("list", name="Members")
    expect(members).to_contain_text(f"{ann.name} (you)")
    expect(members).not_to_contain_text(bob.name)

    bob.join_room()
    expect(members).to_contain_text(bob.name)  # Ann's open list follows
    ann.page.get_by_role("button", name="Edit topic").click()
    ann.page.get_by_label("Topic").fill("Q3 launch plans, dates fixed")
    ann.page.get_by_role("button", name="Save topic").click()
    expect(bob.page.locator(".topic-text")).to_have_text("Q3 launch plans, dates fixed")

    bob.page.get_by_role("button", name="Leave room").click()
    expect(bob.page.get_by_role("button", name="Join room")).to_be_visible()
    expect(members).not_to_contain_text(bob.name)


def test_the_directory_finds_anyone_and_opens_a_group_dm_for_its_members_only(
    browser: Browser, stack: DevStack
) -> None:
    with people(browser, stack.url, "ann", "bob", "cat", "dan") as (ann, bob, cat, dan):
        for user in (ann, bob, cat, dan):
            user.register()
        bob.page.close()  # offline: found and messaged all the same
        ann.page.get_by_role("button", name="Find people").click()
        directory = ann.page.get_by_role("complementary", name="People")
        find = directory.get_by_label("Find people")
        for other in (bob, cat):
            find.fill(other.name)
            directory.get_by_label(f"Choose {other.name} for a group message").check()
        group = sorted([bob.name, cat.name])
        directory.get_by_role("button", name=f"Message {', '.join([bob.name, cat.name])}").click()
        title = ", ".join(group)
        expect(ann.page.get_by_role("heading", name=title, exact=True)).to_be_visible()
        dm = "dm:" + ":".join(sorted([ann.name, bob.name, cat.name]))
        expect(ann.page).to_have_url(f"{stack.url}/r/{dm}")
        ann.send("Kickoff at ten, the three of us")
        ann.expect_each_once(["Kickoff at ten, the three of us"])
        ann.page.reload()
        expect(ann.page.get_by_role("heading", name=title, exact=True)).to_be_visible()

        entry = cat.dms.get_by_role(
            "button", name=re.compile(rf"^{re.escape(', '.join(sorted([ann.name, bob.name])))}")
        )
        entry.click()
        cat.expect_each_once(["Kickoff at ten, the three of us"])
        cannot_see(dan, dm, "Kickoff at ten")


def test_an_account_sets_its_display_name_changes_its_password_and_logs_out_everywhere(
    browser: Browser, stack: DevStack
) -> None:
    with people(browser, stack.url, "ann", "ann", "bob") as (ann, laptop, bob):
        ann.register()
        laptop.name = ann.name  # Ann's second browser
        log_in(laptop)
        bob.register()

        ann.page.get_by_role("button", name="Account").click()
        account = ann.page.get_by_role("complementary", name="Account")
        shown = f"Ann {secrets.token_hex(2)}"
        account.get_by_label("Shown beside your username").fill(shown)
        account.get_by_role("button", name="Save display name").click()
        expect(account.get_by_role("status")).to_have_text("Display name saved.")
        expect(ann.page.locator(".me")).to_contain_text(shown)
        ann.send("signing with my name now")
        author = bob.message("signing with my name now").locator(".author")
        expect(author).to_have_text(f"{shown} @{ann.name}")
        bob.page.get_by_role("button", name="Find people").click()
        bob.page.get_by_label("Find people").fill(shown)
        expect(bob.page.get_by_role("list", name="People")).to_contain_text(f"{shown} @{ann.name}")

        # A wrong current password changes nothing; the right one ends the laptop's session.
        account.get_by_label("Current password").fill("not the password")
        account.get_by_label("New password", exact=True).fill("a brand new passphrase")
        account.get_by_role("button", name="Change password").click()
        expect(account.get_by_role("alert")).to_contain_text("current password is wrong")
        laptop.expect_connected()
        account.get_by_label("Current password").fill(PASSWORD)
        account.get_by_role("button", name="Change password").click()
        expect(account.get_by_text("Your other sessions were logged out")).to_be_visible()
        expect(laptop.page).to_have_url(f"{stack.url}/login")
        ann.expect_connected()

        log_in(laptop, "a brand new passphrase")
        laptop.page.get_by_role("button", name="Account").click()
        laptop.page.get_by_role("button", name="Log out everywhere").click()
        expect(laptop.page).to_have_url(f"{stack.url}/login")
        expect(ann.page).to_have_url(f"{stack.url}/login")
