"""Two people chat through the real stack in Debian's chromium."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from devstack.stack import DevStack
from playwright.sync_api import Browser, expect

from tests.e2e.chat_user import PASSWORD, PHONE, ChatUser

HOSTILE = "<img src=x onerror=alert(1)>"


@pytest.fixture
def ann(browser: Browser, stack: DevStack) -> Iterator[ChatUser]:
    user = ChatUser(browser, stack.url, "ann")
    yield user
    user.close()


@pytest.fixture
def bob(browser: Browser, stack: DevStack) -> Iterator[ChatUser]:
    # Bob is on a phone: the whole conversation must work at phone width.
    user = ChatUser(browser, stack.url, "bob", viewport=PHONE)
    yield user
    user.close()


def csp_violations(*users: ChatUser) -> list[str]:
    return [e for u in users for e in u.console_errors if "Content Security Policy" in e]


def test_two_people_chat_live_with_presence_typing_and_history(
    ann: ChatUser, bob: ChatUser, artifacts: Path
) -> None:
    ann.register()
    bob.register()
    for user in (ann, bob):
        expect(user.page.get_by_role("heading", name="# general")).to_be_visible()

    # Presence: each sees the other online in the room.
    expect(ann.page.get_by_role("region", name="Online in this room")).to_contain_text(bob.name)
    expect(bob.page.get_by_role("region", name="Online in this room")).to_contain_text(ann.name)

    # Typing shows on the other side, and goes once the message arrives.
    ann.composer.press_sequentially("Hello Bob")
    expect(bob.page.get_by_text(f"{ann.name} is typing…")).to_be_visible()
    ann.composer.press("Enter")
    expect(bob.log).to_contain_text("Hello Bob")
    expect(bob.page.get_by_text(f"{ann.name} is typing…")).to_be_hidden()

    bob.send("Hi Ann!\nTwo lines from my phone")
    expect(ann.log).to_contain_text("Two lines from my phone")
    ann.expect_each_once(["Hello Bob", "Hi Ann!\nTwo lines from my phone"])

    # Phone width: nothing wider than the screen, the composer still in view.
    assert bob.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    expect(bob.composer).to_be_in_viewport()

    # A reload keeps the history (and the session).
    bob.page.reload()
    bob.expect_connected()
    bob.expect_each_once(["Hello Bob", "Hi Ann!\nTwo lines from my phone"])
    bob.page.screenshot(path=str(artifacts / "chat-phone.png"))
    assert csp_violations(ann, bob) == []

    # Logging out ends the session: the chat is behind /login again.
    ann.page.get_by_role("button", name="Log out").click()
    expect(ann.page).to_have_url(f"{ann.base_url}/login")
    ann.page.goto(f"{ann.base_url}/")
    expect(ann.page).to_have_url(f"{ann.base_url}/login")


def test_unauthenticated_visit_goes_to_login(browser: Browser, stack: DevStack) -> None:
    visitor = ChatUser(browser, stack.url, "visitor")
    try:
        visitor.page.goto(f"{stack.url}/")
        expect(visitor.page).to_have_url(f"{stack.url}/login")
        visitor.page.get_by_label("Username").fill(visitor.name)
        visitor.page.get_by_label("Password").fill("wrong password")
        visitor.page.get_by_role("button", name="Log in").click()
        expect(visitor.page.get_by_role("alert")).to_have_text("wrong username or password")
    finally:
        visitor.close()


def test_hostile_markup_is_shown_as_text_and_runs_nothing(ann: ChatUser, bob: ChatUser) -> None:
    ann.register()
    bob.register()
    ann.send(f"look {HOSTILE} and <script>alert(2)</script>")
    for user in (ann, bob):
        message = user.log.locator("li.message", has_text=HOSTILE)
        expect(message).to_have_count(1)
        expect(message.locator(".message-text")).to_have_text(f"look {HOSTILE} and <script>alert(2)</script>")
        expect(user.log.locator("img, script")).to_have_count(0)
    bob.page.wait_for_timeout(500)  # time for an onerror handler to fire, if one had been created
    assert ann.dialogs == []
    assert bob.dialogs == []
    assert csp_violations(ann, bob) == []


def test_backend_killed_mid_conversation_loses_and_doubles_nothing(
    ann: ChatUser, bob: ChatUser, stack: DevStack, artifacts: Path
) -> None:
    ann.register()
    bob.register()
    ann.create_room("release")
    bob.open_room("release")  # listed for bob as soon as it exists
    expect(ann.page.get_by_role("region", name="Online in this room")).to_contain_text(bob.name)

    before = ["Is the release branch cut?", "Yes, tagging v2.4 now", "Deploying to staging"]
    ann.send(before[0])
    expect(bob.log).to_contain_text(before[0])
    bob.send(before[1])
    expect(ann.log).to_contain_text(before[1])
    # Sent the instant before the crash: its ack may never arrive, so it is re-sent.
    ann.send(before[2])
    stack.kill_backend(signal.SIGKILL)
    for user in (ann, bob):
        expect(user.page.get_by_role("status")).to_have_text("Reconnecting…")

    during = ["Staging looks green from here", "Great, promoting to production"]
    bob.send(during[0])
    ann.send(during[1])
    expect(bob.log.locator("li.message.pending")).to_have_count(1)
    stack.start_backend()
    for user in (ann, bob):
        user.expect_connected(timeout=30_000)

    after = "Production is live: https://chat.example.com"
    bob.send(after)
    everything = [*before, *during, after]
    ann.expect_each_once(everything)
    bob.expect_each_once(everything)
    assert ann.confirmed_texts() == bob.confirmed_texts()
    assert csp_violations(ann, bob) == []

    ann.page.screenshot(path=str(artifacts / "chat.png"))


def test_scrolling_up_loads_older_history(ann: ChatUser, bob: ChatUser) -> None:
    ann.register()
    bob.register()
    ann.create_room("history")
    # 56 messages: more than one page (50), each user below the send rate limit.
    ann.send_many("history", "early", 28)
    bob.send_many("history", "late", 28)

    bob.page.reload()
    bob.expect_connected()
    bob.open_room("history")
    messages = bob.log.locator("li.message")
    expect(messages).to_have_count(50)
    expect(messages.first).to_contain_text("early 6")

    bob.page.locator(".messages").evaluate("el => el.scrollTo(0, 0)")
    expect(messages).to_have_count(56)
    expect(messages.first).to_contain_text("early 0")
    expect(bob.page.get_by_role("button", name="Load older messages")).to_have_count(0)
    texts = bob.confirmed_texts()
    assert texts == [f"early {i}" for i in range(28)] + [f"late {i}" for i in range(28)]


def test_a_session_ended_elsewhere_takes_the_open_tab_to_login(browser: Browser, stack: DevStack) -> None:
    """Logging out everywhere from another device closes the tab's socket with 4401: the tab
    shows the login page instead of reconnecting with a cookie that no longer works."""
    ann = ChatUser(browser, stack.url, "away")
    try:
        ann.register()
        ann.expect_connected()
        with httpx.Client(base_url=stack.url, trust_env=False) as phone:
            login = phone.post("/api/login", json={"username": ann.name, "password": PASSWORD})
            assert login.status_code == 200, login.text
            assert phone.post("/api/logout-all").status_code == 204
        expect(ann.page).to_have_url(f"{stack.url}/login")
        expect(ann.page.get_by_role("button", name="Log in")).to_be_visible()
    finally:
        ann.close()
