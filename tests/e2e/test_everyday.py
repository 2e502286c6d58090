"""What a team notices in daily use, in Debian's chromium against the real stack: drafts per
conversation, the connection light, a rate-limited send, the delete confirmation, grouped
times, addresses of rooms and DMs, the phone layout, contrast and the tab title."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from devstack.stack import DevStack
from playwright.sync_api import Browser, Page, expect

from tests.e2e.chat_user import PASSWORD, PHONE, ChatUser

# WCAG 2 contrast of an element's computed text colour on its computed background.
CONTRAST = """(el) => {
  const rgb = (c) => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lum = (c) => {
    const [r, g, b] = rgb(c).map((v) => {
      v /= 255;
      return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const style = getComputedStyle(el);
  const [a, b] = [lum(style.color), lum(style.backgroundColor)].sort((x, y) => y - x);
  return (a + 0.05) / (b + 0.05);
}"""


@pytest.fixture
def ann(browser: Browser, stack: DevStack) -> Iterator[ChatUser]:
    user = ChatUser(browser, stack.url, "ann")
    yield user
    user.close()


@pytest.fixture
def bob(browser: Browser, stack: DevStack) -> Iterator[ChatUser]:
    user = ChatUser(browser, stack.url, "bob")
    yield user
    user.close()


def unread_in_list(user: ChatUser) -> int:
    """The unread counts of the room and DM list, added up."""
    names = user.conversations.get_by_role("button").evaluate_all(
        "els => els.map((b) => b.getAttribute('aria-label') || '')"
    )
    return sum(int(n) for name in names for n in re.findall(r", (\d+) unread", name))


def title_with(unread: int) -> str:
    return f"({unread}) Chat" if unread else "Chat"


def path(page: Page) -> str:
    return str(page.evaluate("location.pathname"))


def test_a_draft_stays_with_its_conversation_and_survives_a_reload(ann: ChatUser) -> None:
    ann.register()
    room = f"drafts-{ann.name[-6:]}"
    ann.composer.fill("half a thought")
    ann.create_room(room)
    expect(ann.composer).to_have_value("")
    ann.composer.press("Enter")  # nothing to send here
    ann.open_room("general")
    expect(ann.composer).to_have_value("half a thought")
    ann.page.reload()
    ann.expect_connected()
    expect(ann.composer).to_have_value("half a thought")
    ann.composer.press("Enter")
    ann.expect_each_once(["half a thought"])
    ann.open_room(room)
    expect(ann.log.locator("li.message")).to_have_count(0)
    ann.page.reload()
    ann.expect_connected()
    expect(ann.composer).to_have_value("")


def test_the_connection_light_comes_back_with_the_network(ann: ChatUser) -> None:
    ann.register()
    sockets: list[str] = []
    ann.page.on("websocket", lambda ws: sockets.append(ws.url))
    ann.context.set_offline(True)
    expect(ann.page.get_by_role("status")).to_have_text("Offline")
    ann.context.set_offline(False)
    ann.expect_connected()
    assert sockets == [], sockets  # the socket lived through it: the light follows the socket
    ann.send("still here")
    ann.expect_each_once(["still here"])


def test_a_rate_limited_send_says_why_and_goes_out_by_itself(ann: ChatUser) -> None:
    ann.register()
    ann.send_many("general", "burst", 30)  # the default SEND_RATE_LIMIT per window
    ann.send("one too many")
    waiting = ann.log.locator("li.message.pending", has_text="one too many").get_by_role("status")
    expect(waiting).to_contain_text(
        re.compile(r"Too many messages at once\. Sending again in \d+ s\."), timeout=5_000
    )
    ann.expect_each_once(["one too many"], timeout=30_000)


def test_delete_asks_first_and_escape_keeps_the_message(ann: ChatUser) -> None:
    ann.register()
    ann.send("maybe delete me")
    ann.expect_each_once(["maybe delete me"])
    ann.message("maybe delete me").get_by_role("button", name="Delete message").click()
    dialog = ann.page.get_by_role("dialog", name="Delete message")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("maybe delete me")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    ann.page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(ann.message("maybe delete me").locator(".message-text")).to_have_text("maybe delete me")
    ann.delete_message("maybe delete me")
    expect(ann.log.get_by_text("This message was deleted")).to_be_visible()


def test_a_grouped_message_shows_its_time_on_hover_and_focus(ann: ChatUser) -> None:
    ann.register()
    ann.send("first of two")
    ann.send("second of two")
    ann.expect_each_once(["first of two", "second of two"])
    first = ann.message("first of two").locator("time")
    follow_up = ann.message("second of two")
    time = follow_up.locator("time")
    expect(follow_up).to_have_class(re.compile(r"\bcontinued\b"))
    expect(first).to_have_css("opacity", "1")
    expect(time).to_have_css("opacity", "0")
    expect(time).to_have_attribute("datetime", re.compile(r"^\d{4}-\d\d-\d\dT"))
    follow_up.hover()
    expect(time).to_have_css("opacity", "1")
    ann.composer.hover()
    expect(time).to_have_css("opacity", "0")
    ann.composer.focus()
    ann.page.keyboard.press("Shift+Tab")  # back from the composer into the list
    for _ in range(10):
        if time.evaluate("el => el === document.activeElement"):
            break
        ann.page.keyboard.press("Shift+Tab")
    expect(time).to_be_focused()
    expect(time).to_have_css("opacity", "1")


def test_every_room_and_dm_has_an_address_kept_by_reload_back_and_forward(
    ann: ChatUser, bob: ChatUser
) -> None:
    ann.register()
    bob.register()
    room = f"addr-{ann.name[-6:]}"
    ann.create_room(room)
    assert path(ann.page) == f"/r/{room}"
    ann.open_room("general")
    assert path(ann.page) == "/r/general"
    ann.page.go_back()
    expect(ann.page.get_by_role("heading", name=f"# {room}", exact=True)).to_be_visible()
    ann.page.go_forward()
    expect(ann.page.get_by_role("heading", name="# general", exact=True)).to_be_visible()
    ann.page.goto(f"{ann.base_url}/r/{room}")
    ann.expect_connected()
    expect(ann.page.get_by_role("heading", name=f"# {room}", exact=True)).to_be_visible()

    # A DM by the other member's name, opened straight from its address.
    ann.page.goto(f"{ann.base_url}/dm/{bob.name}")
    expect(ann.page.get_by_role("heading", name=bob.name, exact=True)).to_be_visible()
    ann.send("found you by address")
    ann.expect_each_once(["found you by address"])
    bob.page.goto(f"{bob.base_url}/dm/{ann.name}")
    bob.expect_each_once(["found you by address"])

    # A shared address opened logged out leads there once logged in.
    guest = ann.context.browser.new_context() if ann.context.browser else None
    assert guest is not None
    try:
        page = guest.new_page()
        page.goto(f"{ann.base_url}/r/{room}")
        expect(page).to_have_url(f"{ann.base_url}/login")
        page.get_by_label("Username").fill(ann.name)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("heading", name=f"# {room}", exact=True)).to_be_visible()
        assert path(page) == f"/r/{room}"
    finally:
        guest.close()

    for missing in ("/r/no-such-room", "/dm/no_such_user", "/nowhere/at/all"):
        ann.page.goto(ann.base_url + missing)
        expect(ann.page.get_by_role("heading", name="Conversation not found")).to_be_visible()
        expect(ann.composer).to_have_count(0)


def test_on_a_phone_only_the_messages_scroll_and_the_room_strip_shows_it_scrolls(
    browser: Browser, stack: DevStack
) -> None:
    phone = ChatUser(browser, stack.url, "pho", viewport=PHONE)
    try:
        phone.register()
        for i in range(4):
            phone.create_room(f"strip-{i}-{phone.name[-6:]}")
        for i in range(25):
            phone.send(f"line {i}")
        phone.expect_each_once([f"line {i}" for i in (0, 24)])
        page = phone.page
        assert page.evaluate("document.scrollingElement.scrollHeight - innerHeight") <= 0
        assert page.evaluate("document.scrollingElement.scrollWidth - innerWidth") <= 0
        header = page.get_by_role("banner").bounding_box()
        assert header is not None
        assert header["height"] <= 48, header
        expect(phone.dms.get_by_role("heading", name="Direct messages")).to_be_visible()
        expect(phone.rooms.get_by_role("heading", name="Rooms")).to_be_visible()
        strip = phone.conversations
        assert strip.evaluate("el => el.scrollWidth > el.clientWidth")
        expect(strip).to_have_class(re.compile(r"\bmore-after\b"))
        assert "gradient" in strip.evaluate("el => getComputedStyle(el).maskImage")
        strip.evaluate("el => { el.scrollLeft = el.scrollWidth; }")
        expect(strip).not_to_have_class(re.compile(r"\bmore-after\b"))
        expect(strip).to_have_class(re.compile(r"\bmore-before\b"))
        # The message list is what scrolls, and it does.
        assert phone.log.evaluate("el => el.parentElement.scrollHeight > el.parentElement.clientHeight")
    finally:
        phone.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_mention_of_me_is_readable_and_the_tab_counts_unread(
    ann: ChatUser, bob: ChatUser, scheme: str
) -> None:
    ann.page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
    ann.register()
    bob.register()
    expect(ann.room_entry("general")).to_have_accessible_name("# general")  # read on arrival
    # Rooms earlier tests wrote in are unread for a newcomer: the title counts them too.
    elsewhere = unread_in_list(ann)
    expect(ann.page).to_have_title(title_with(elsewhere))
    room = f"title-{ann.name[-6:]}"
    ann.create_room(room)
    bob.send(f"@{ann.name} have a look")
    bob.send("and another")
    expect(ann.page).to_have_title(title_with(elsewhere + 2))
    ann.open_room("general")
    mark = ann.message("have a look").locator("mark.mention-me")
    expect(mark).to_have_text(f"@{ann.name}")
    contrast = mark.evaluate(CONTRAST)
    assert contrast >= 4.5, contrast
    expect(ann.page).to_have_title(title_with(elsewhere))


def test_emoji_from_the_picker_from_shortcodes_and_by_completion(ann: ChatUser) -> None:
    ann.register()
    page = ann.page
    page.get_by_role("button", name="Add emoji").click()
    picker = page.get_by_role("dialog", name="Emoji picker")
    search = picker.get_by_role("searchbox", name="Search emoji")
    expect(search).to_be_focused()
    search.fill("party popper")
    picker.get_by_role("button", name=re.compile(r"^party popper :tada:")).click()
    expect(picker).to_be_hidden()
    expect(ann.composer).to_have_value("🎉")
    expect(ann.composer).to_be_focused()
    # Completion from ":" and 2 letters; Enter takes the highlighted one.
    ann.composer.press_sequentially(" :thumbsu")
    options = page.get_by_role("listbox", name="Emoji").get_by_role("option")
    expect(options.first).to_have_text(re.compile(r":thumbsup:"))
    ann.composer.press("Enter")
    expect(ann.composer).to_have_value(re.compile("^🎉 👍\ufe0f? $"))
    # A whole :shortcode: typed goes out as the emoji; an unknown one stays as typed.
    typed = ann.composer.input_value()
    ann.composer.press_sequentially("ship it :rocket: :no_such_emoji:")
    page.keyboard.press("Escape")  # in case a list is open
    ann.composer.press("Enter")
    ann.expect_each_once([f"{typed}ship it 🚀 :no_such_emoji:"])
    # The picker and the data load later, from the app's own origin, within its strict policy.
    assert not [e for e in ann.console_errors if "Content Security Policy" in e], ann.console_errors


def test_at_completes_the_names_of_people_around(ann: ChatUser, bob: ChatUser) -> None:
    ann.register()
    bob.register()
    expect(ann.online).to_contain_text(bob.name)
    ann.composer.press_sequentially(f"thanks @{bob.name[:4]}")
    people = ann.page.get_by_role("listbox", name="People")
    expect(people.get_by_role("option", name=bob.name)).to_be_visible()
    ann.composer.press("Tab")
    expect(ann.composer).to_have_value(f"thanks @{bob.name} ")
    ann.composer.press("Enter")
    expect(bob.message(f"thanks @{bob.name}").locator("mark.mention-me")).to_have_text(f"@{bob.name}")


def test_markdown_renders_and_markup_stays_inert(ann: ChatUser) -> None:
    ann.register()
    ann.send("**bold** and `code` see https://en.wikipedia.org/wiki/Foo_(bar) or www.example.com")
    message = ann.message("bold")
    expect(message.locator("strong")).to_have_text("bold")
    code = message.locator("code")
    expect(code).to_have_text("code")
    assert "mono" in code.evaluate("el => getComputedStyle(el).fontFamily").lower()
    links = message.get_by_role("link")
    expect(links).to_have_count(2)
    assert links.nth(0).get_attribute("href") == "https://en.wikipedia.org/wiki/Foo_(bar)"
    assert links.nth(1).get_attribute("href") == "http://www.example.com"
    assert links.nth(0).get_attribute("rel") == "noopener noreferrer nofollow"
    ann.send(
        '<img src=x onerror="window.pwned=1"> [x](javascript:window.pwned=2) ![p](https://t.invalid/p.gif)'
    )
    hostile = ann.message("onerror")
    expect(hostile).to_contain_text('<img src=x onerror="window.pwned=1">')
    expect(hostile.locator("img")).to_have_count(0)
    for href in hostile.get_by_role("link").evaluate_all("els => els.map((a) => a.getAttribute('href'))"):
        assert not (href or "").lower().startswith("javascript:"), href
    assert ann.page.evaluate("window.pwned") is None
