"""Rooms and DMs, unread counts, mentions, edits and deletions, and reading comfort, with
two and three people in Debian's chromium against the real stack."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

from devstack.stack import DevStack
from playwright.sync_api import Browser, Page, expect

from tests.e2e.chat_user import ROOM_NAMES, STATUS_OF, SUBSCRIBE_REPLY, ChatUser, people


def in_view(page: Page, text: str) -> bool:
    """Whether the message is inside the visible part of the message list."""
    return bool(
        page.evaluate(
            """(text) => {
              const box = document.querySelector(".messages").getBoundingClientRect();
              const items = [...document.querySelectorAll("li.message")];
              const r = items.find((li) => li.textContent.includes(text)).getBoundingClientRect();
              return r.top < box.bottom && r.bottom > box.top;
            }""",
            text,
        )
    )


def test_a_new_room_appears_live_and_unread_counts_follow_reading(pair: list[ChatUser]) -> None:
    ann, bob = pair
    ann.register()
    bob.register()
    ann.create_room("launch")
    expect(bob.room_entry("launch")).to_have_accessible_name("# launch")  # no reload
    ann.create_room("lunch")
    # Counts follow live in the rooms Bob is in: he joins one of the two.
    bob.open_room("launch")
    bob.join_room()
    bob.open_room("general")

    ann.send("Anyone for lunch?")
    ann.open_room("launch")
    for text in ("Launch checklist is up", "Docs are frozen", "Go at noon?"):
        ann.send(text)
    expect(bob.room_entry("launch")).to_have_accessible_name("# launch, 3 unread")
    expect(bob.room_entry("lunch")).to_have_accessible_name("# lunch")  # not his: as listed
    expect(bob.room_entry("general")).to_have_accessible_name("# general")

    bob.open_room("launch")
    bob.expect_each_once(["Launch checklist is up", "Docs are frozen", "Go at noon?"])
    expect(bob.room_entry("launch")).to_have_accessible_name("# launch")
    # The read position is the server's: a reload shows nothing unread.
    bob.page.reload()
    bob.expect_connected()
    expect(bob.room_entry("launch")).to_have_accessible_name("# launch")


def test_a_dm_is_seen_by_its_two_members_only(trio: list[ChatUser]) -> None:
    ann, bob, cat = trio
    for user in trio:
        user.register()
    expect(ann.online).to_contain_text(bob.name)
    ann.message_user(bob.name)
    expect(ann.dms.get_by_role("button", name=bob.name, exact=True)).to_have_attribute("aria-current", "page")
    ann.send("Just between us: the offer is signed")
    ann.expect_each_once(["Just between us: the offer is signed"])

    # Bob's list shows the DM under Ann's name, with the unread message, without a reload.
    entry = bob.dms.get_by_role("button", name=re.compile(f"^{re.escape(ann.name)}"))
    expect(entry).to_have_accessible_name(f"{ann.name}, 1 unread")
    entry.click()
    expect(bob.page.get_by_role("heading", name=ann.name, exact=True)).to_be_visible()
    bob.expect_each_once(["Just between us: the offer is signed"])
    expect(entry).to_have_accessible_name(ann.name)

    # Cat sees no DM, and neither the API nor the WebSocket opens it for her.
    dm = "dm:" + ":".join(sorted([ann.name, bob.name]))
    expect(cat.dms.get_by_role("listitem")).to_have_count(0)
    assert dm not in cat.page.evaluate(ROOM_NAMES)
    assert cat.page.evaluate(STATUS_OF, f"/api/rooms/{dm}/messages") == 404
    reply = cat.page.evaluate(SUBSCRIBE_REPLY, dm)
    assert (reply["type"], reply["code"]) == ("error", "unknown_room"), reply
    response = cat.page.goto(f"{cat.base_url}/api/rooms/{dm}/messages")
    assert response is not None
    assert response.status == 404
    assert "offer is signed" not in response.text()


def test_edits_and_deletions_show_live_and_after_a_reload(pair: list[ChatUser]) -> None:
    ann, bob = pair
    ann.register()
    bob.register()
    ann.create_room("plans")
    bob.open_room("plans")
    ann.send("See you at 10")
    ann.send("Wrong room, sorry")
    bob.expect_each_once(["See you at 10", "Wrong room, sorry"])
    expect(bob.log.get_by_role("button", name="Edit message")).to_have_count(0)

    # The controls are reachable by keyboard and show when focused.
    message = ann.own_message("See you at 10")
    edit = message.get_by_role("button", name="Edit message")
    edit.focus()
    expect(edit).to_have_css("opacity", "1")
    edit.press("Enter")
    box = message.get_by_role("textbox", name="Edit message")
    expect(box).to_be_focused()
    box.fill("See you at 11")
    box.press("Escape")  # cancels
    expect(message.locator(".message-text")).to_have_text("See you at 10")
    edit.press("Enter")
    box.fill("See you at 11")
    box.press("Enter")  # saves
    expect(message.locator(".message-text")).to_have_text("See you at 11")
    ann.delete_message("Wrong room")

    for user in (bob, ann):
        shows_the_changes(user)  # live
        user.page.reload()
        user.expect_connected()
        user.open_room("plans")
        shows_the_changes(user)  # from history


def shows_the_changes(user: ChatUser) -> None:
    expect(user.message("See you at 11")).to_contain_text("(edited)")
    expect(user.message("This message was deleted")).to_have_count(1)
    expect(user.log).not_to_contain_text("Wrong room, sorry")
    expect(user.log).not_to_contain_text("See you at 10")


def test_a_mention_marks_the_room_and_notifies_a_hidden_tab(pair: list[ChatUser]) -> None:
    ann, bob = pair
    bob.watch_notifications()
    ann.register()
    bob.register()
    ann.create_room("reviews")
    ann.send(f"@{bob.name} can you review the release notes?")
    expect(bob.room_entry("reviews")).to_have_accessible_name("# reviews, 1 unread, mention")
    assert bob.notifications() == []  # the tab is visible: the mark is enough

    bob.set_hidden(True)
    ann.send(f"@{bob.name} ping")
    expect(bob.room_entry("reviews")).to_have_accessible_name("# reviews, 2 unread, mention")
    bob.page.wait_for_function("window.notifications.length > 0")
    assert bob.notifications() == [{"title": f"{ann.name} mentioned you", "body": "in # reviews"}]

    bob.set_hidden(False)
    bob.open_room("reviews")
    expect(bob.room_entry("reviews")).to_have_accessible_name("# reviews")
    expect(bob.log.locator("mark", has_text=f"@{bob.name}").first).to_be_visible()


def test_new_messages_wait_behind_a_button_while_reading_further_up(pair: list[ChatUser]) -> None:
    ann, bob = pair
    ann.register()
    bob.register()
    ann.create_room("backlog")
    ann.send_many("backlog", "item", 30)
    bob.open_room("backlog")
    expect(bob.log.get_by_role("separator", name="Today")).to_have_count(1)
    # Thirty messages in a row from one person: the name is shown once.
    expect(bob.log.locator(".author:not(.visually-hidden)")).to_have_count(1)
    expect(bob.message("item 29")).to_be_visible()
    assert in_view(bob.page, "item 29")

    bob.page.locator(".messages").evaluate("el => el.scrollTo(0, 0)")
    ann.send("Anyone still here?")
    button = bob.page.get_by_role("button", name="New messages")
    expect(button).to_be_visible()
    expect(bob.message("Anyone still here?")).to_have_count(1)
    assert not in_view(bob.page, "Anyone still here?")  # no jump
    button.click()
    expect(button).to_have_count(0)
    assert in_view(bob.page, "Anyone still here?")

    ann.send("Great, then let's go")  # at the bottom the view follows
    expect(bob.message("let's go")).to_be_in_viewport()
    expect(button).to_have_count(0)


def test_screenshot_of_rooms_dms_mentions_and_edits(
    browser: Browser, tmp_path: Path, artifacts: Path
) -> None:
    # A stack of its own: the picture shows only this conversation, not the other tests' rooms.
    with (
        DevStack(tmp_path / "stack") as stack,
        people(browser, stack.url, "ann", "bob", "cat") as (ann, bob, cat),
    ):
        picture_scene(ann, bob, cat)
        # `make screenshot` copies it over docs/screenshot.png.
        ann.page.screenshot(path=str(artifacts / "features.png"))


def picture_scene(ann: ChatUser, bob: ChatUser, cat: ChatUser) -> None:
    for user in (ann, bob, cat):
        user.register()
    ann.create_room("design")
    ann.create_room("release")
    ann.page.get_by_role("button", name="Set a topic").click()
    ann.page.get_by_label("Topic").fill("2.4 ships Thursday")
    ann.page.get_by_role("button", name="Save topic").click()
    for user in (bob, cat):
        user.open_room("release")
    cat.create_room("support")
    ann.open_room("support")  # she follows it: its count moves live
    ann.join_room()
    ann.open_room("release")
    cat.send("Customer asks about SSO, anyone?")

    bob.send("Morning! 2.4 is on staging: https://staging.example.com")
    bob.send(f"@{ann.name} can you check the login page?")
    ann.send("On it, looks good so far")
    mine = ann.own_message("looks good so far")
    mine.get_by_role("button", name="Edit message").click()
    box = mine.get_by_role("textbox", name="Edit message")
    box.fill("On it: login works, and the new font looks great")
    box.press("Enter")
    expect(mine).to_contain_text("(edited)")
    cat.open_room("release")
    cat.send("Ship it!")
    cat.send(f"I'll write the release notes, @{bob.name} can you announce it?")

    bob.message_user(ann.name)
    bob.send("Lunch at 12:30?")
    ann.message_user(cat.name)
    ann.send("Thanks for the logos!")
    cat.open_room("design")
    cat.send(f"@{ann.name} two logo options are in the shared folder")
    for user in (ann, bob, cat):
        user.open_room("release")

    # A thread and reactions, as a team uses them; Ann has the thread open.
    ann.react("Ship it!", "party popper")
    bob.message("Ship it!").get_by_role("button", name=re.compile(r"^🎉")).click()
    cat.react("2.4 is on staging", "rocket")
    bob.reply_in_thread("write the release notes", "Announced in #general, thanks!")
    ann.message("write the release notes").get_by_role("button", name=f"1 reply · {bob.name}").click()
    expect(ann.page.get_by_role("complementary", name="Thread")).to_contain_text("Announced in #general")
    expect(ann.message("Ship it!").get_by_role("button", name=re.compile(r"^🎉 2"))).to_be_visible()

    expect(ann.message("announce it")).to_be_visible()
    expect(ann.online).to_contain_text(cat.name)
    expect(ann.room_entry("design")).to_have_accessible_name("# design, 1 unread, mention")
    expect(ann.room_entry("support")).to_have_accessible_name("# support, 1 unread")
    expect(ann.dms.get_by_role("button", name=re.compile(f"^{re.escape(bob.name)}"))).to_have_accessible_name(
        f"{bob.name}, 1 unread"
    )
    ann.page.mouse.move(0, 0)  # no hover controls in the picture
    ann.page.get_by_role("complementary", name="Thread").get_by_role("textbox", name="Reply").focus()


def test_search_finds_what_was_said_and_opens_it_among_its_neighbours(pair: list[ChatUser]) -> None:
    """A word Ann said, found by Bob from the search box once archived; the result opens among
    the messages around it, and from there the room itself."""
    ann, bob = pair
    for user in pair:
        user.register()
    word = f"zebra{secrets.token_hex(3)}"
    ann.send("before the news")
    ann.send(f"the {word} release is out")
    ann.send("after the news")
    ann.expect_each_once(["before the news", f"the {word} release is out", "after the news"])

    box = bob.page.get_by_role("searchbox", name="Search messages")
    box.fill(word)
    results = bob.page.get_by_role("complementary", name=f"Results for “{word}”")
    hit = results.get_by_role("button", name=re.compile(rf"^# general · {ann.name} · "))
    for _ in range(50):  # searchable once archived, within a pass or two
        box.press("Enter")
        expect(results).to_be_visible()
        if hit.count():
            break
        bob.page.wait_for_timeout(200)
    expect(hit.locator("mark")).to_have_text(word)
    hit.click()
    around = bob.page.get_by_role("region", name="Around the result in # general")
    expect(around.locator("[aria-current=true]")).to_contain_text(f"the {word} release is out")
    expect(around.get_by_text("before the news")).to_be_visible()
    around.get_by_role("button", name="Open # general").click()
    expect(results).to_have_count(0)
    expect(bob.page.get_by_role("heading", name="# general", exact=True)).to_be_visible()


def test_reactions_are_added_from_the_picker_seen_live_and_taken_back(pair: list[ChatUser]) -> None:
    """Bob reacts to Ann's message from the picker; Ann sees it live, adds hers with a click
    on it, and Bob takes his back: both see the same counts throughout."""
    ann, bob = pair
    for user in pair:
        user.register()
    ann.send("shipping the release now")
    bob.expect_each_once(["shipping the release now"])

    bob.react("shipping the release now", "thumbs up")
    shipping = bob.message("shipping the release now")
    expect(shipping.get_by_role("button", name=f"👍 1: {bob.name}")).to_have_attribute("aria-pressed", "true")

    thumbs = ann.message("shipping the release now").get_by_role("button", name=re.compile(r"^👍"))
    expect(thumbs).to_have_accessible_name(f"👍 1: {bob.name}")
    expect(thumbs).to_have_attribute("aria-pressed", "false")
    thumbs.click()
    expect(thumbs).to_have_accessible_name(f"👍 2: {bob.name}, {ann.name}")
    expect(thumbs).to_have_attribute("aria-pressed", "true")

    bobs = bob.message("shipping the release now").get_by_role("button", name=re.compile(r"^👍"))
    expect(bobs).to_have_accessible_name(f"👍 2: {bob.name}, {ann.name}")
    bobs.click()
    expect(thumbs).to_have_accessible_name(f"👍 1: {ann.name}")


def test_a_thread_is_replied_to_beside_the_room_and_counted_under_its_first_message(
    pair: list[ChatUser],
) -> None:
    """Bob answers Ann's question in a thread: the reply stays out of the room's timeline, Ann
    sees "1 reply" under her message live, opens the thread and answers there and in the room."""
    ann, bob = pair
    for user in pair:
        user.register()
    ann.send("who is on call tonight?")
    bob.expect_each_once(["who is on call tonight?"])

    bob.reply_in_thread("who is on call tonight?", "I am")

    summary = ann.message("who is on call tonight?").get_by_role("button", name=f"1 reply · {bob.name}")
    expect(summary).to_be_visible()
    expect(ann.log.get_by_text("I am", exact=True)).to_have_count(0)  # not in the room's timeline
    summary.click()
    mine = ann.page.get_by_role("complementary", name="Thread")
    expect(mine.get_by_role("list", name=f"Replies to {ann.name}")).to_contain_text("I am")
    mine.get_by_role("textbox", name="Reply").fill("thanks, in the room too")
    mine.get_by_role("checkbox", name="Also send to #general").check()
    mine.get_by_role("button", name="Reply").click()
    bob.expect_each_once(["who is on call tonight?", "thanks, in the room too"])
    question = bob.message("who is on call tonight?")
    expect(question.get_by_role("button", name=re.compile(r"^2 replies · "))).to_be_visible()

    # The open thread has its own address: a reload keeps it open, back closes it.
    expect(ann.page).to_have_url(re.compile(r"/r/general/thread/\d+-\d+$"))
    ann.page.reload()
    thread = ann.page.get_by_role("complementary", name="Thread")
    replies = thread.get_by_role("list", name=f"Replies to {ann.name}")
    expect(replies).to_contain_text("thanks, in the room too")
    ann.page.go_back()  # to the room, as it was before the thread opened
    expect(ann.page).not_to_have_url(re.compile("/thread/"))
    expect(thread).to_have_count(0)
