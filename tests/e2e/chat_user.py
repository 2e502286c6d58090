"""One person in the chat: a browser context of their own (own cookies) and its page."""

from __future__ import annotations

import re
import secrets
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from playwright.sync_api import Browser, ConsoleMessage, Dialog, Locator, Page, expect

PASSWORD = "correct horse battery"
DESKTOP = {"width": 1100, "height": 720}
PHONE = {"width": 390, "height": 844}

# Sends `count` messages over a WebSocket of the page's own session, as fast as acks come back.
SEND_MANY = """async ([room, prefix, count]) => {
  const ws = new WebSocket(`ws://${location.host}/api/ws`);
  await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = reject; });
  const acked = new Promise((resolve, reject) => {
    let n = 0;
    ws.onmessage = (event) => {
      const frame = JSON.parse(event.data);
      if (frame.type === "error") reject(new Error(frame.detail));
      if (frame.type === "ack" && ++n === count) resolve();
    };
  });
  for (let i = 0; i < count; i++) {
    ws.send(JSON.stringify({ type: "message", room, text: `${prefix} ${i}`, client_id: `${prefix}-${i}` }));
  }
  await acked;
  ws.close();
}"""

# The tab's visibility under the test's control (window.setHidden), and every notification
# the page creates recorded in window.notifications.
WATCH_NOTIFICATIONS = """(() => {
  let hidden = false;
  const state = () => (hidden ? "hidden" : "visible");
  Object.defineProperty(Document.prototype, "visibilityState", { get: state });
  Object.defineProperty(Document.prototype, "hidden", { get: () => hidden });
  window.setHidden = (value) => {
    hidden = value;
    document.dispatchEvent(new Event("visibilitychange"));
  };
  window.notifications = [];
  const Real = window.Notification;
  window.Notification = class extends Real {
    constructor(title, options) {
      super(title, options);
      window.notifications.push({ title, body: options?.body });
    }
  };
})()"""


# What the page's own session gets from the API and the WebSocket.
STATUS_OF = "async (path) => (await fetch(path)).status"
ROOM_NAMES = "async () => (await (await fetch('/api/rooms')).json()).rooms.map((r) => r.name)"
SUBSCRIBE_REPLY = """async (room) => {
  const ws = new WebSocket(`ws://${location.host}/api/ws`);
  await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = reject; });
  const reply = new Promise((resolve) => {
    ws.onmessage = (event) => {
      const frame = JSON.parse(event.data);
      if (frame.type !== "presence") resolve(frame);
    };
  });
  ws.send(JSON.stringify({ type: "subscribe", room, since: "0-0" }));
  const frame = await reply;
  ws.close();
  return frame;
}"""
# What the page's own session finds searching.
SEARCH_TEXTS = """async (q) =>
  (await (await fetch(`/api/search?q=${encodeURIComponent(q)}`)).json()).results.map((r) => r.message.text)"""


class ChatUser:
    def __init__(self, browser: Browser, base_url: str, prefix: str, viewport: dict[str, int] = DESKTOP):
        self.name = f"{prefix}_{secrets.token_hex(3)}"
        self.base_url = base_url
        self.context = browser.new_context(
            viewport={"width": viewport["width"], "height": viewport["height"]}
        )
        self.page: Page = self.context.new_page()
        self.dialogs: list[str] = []
        self.console_errors: list[str] = []
        self.page.on("dialog", self._on_dialog)
        self.page.on("console", self._on_console)

    def _on_dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.console_errors.append(message.text)

    def close(self) -> None:
        self.context.close()

    def register(self) -> None:
        page = self.page
        page.goto(f"{self.base_url}/")
        expect(page).to_have_url(f"{self.base_url}/login")
        page.get_by_role("button", name="Register").click()
        page.get_by_label("Username").fill(self.name)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Register").click()
        expect(page).to_have_url(f"{self.base_url}/")
        self.expect_connected()

    def expect_connected(self, timeout: float = 20_000) -> None:
        light = self.page.get_by_role("banner").get_by_role("status")
        expect(light).to_have_text("Connected", timeout=timeout)

    def watch_notifications(self) -> None:
        """Notifications allowed, their creation recorded, the tab's visibility controlled
        (call before the first page load)."""
        self.context.grant_permissions(["notifications"], origin=self.base_url)
        self.context.add_init_script(WATCH_NOTIFICATIONS)

    def set_hidden(self, hidden: bool) -> None:
        self.page.evaluate("hidden => window.setHidden(hidden)", hidden)

    def notifications(self) -> list[dict[str, str]]:
        return self.page.evaluate("window.notifications")

    @property
    def composer(self) -> Locator:
        # "Message #general" in a room, "Message bob" in a DM.
        return self.page.get_by_role("textbox", name=re.compile(r"^Message "))

    def send(self, text: str) -> None:
        """Types like a person and sends with Enter."""
        self.composer.fill(text)
        self.composer.press("Enter")

    @property
    def rooms(self) -> Locator:
        return self.conversations.get_by_role("region", name="Rooms")

    @property
    def dms(self) -> Locator:
        return self.conversations.get_by_role("region", name="Direct messages")

    @property
    def conversations(self) -> Locator:
        return self.page.get_by_role("navigation", name="Conversations")

    @property
    def online(self) -> Locator:
        return self.page.get_by_role("region", name="Online in this room")

    def message_user(self, name: str) -> None:
        """Opens the DM with someone online in the room."""
        self.online.get_by_role("button", name=f"Message {name}").click()
        expect(self.page.get_by_role("heading", name=name, exact=True)).to_be_visible()

    def room_entry(self, room: str) -> Locator:
        """The room's button in the list, whatever its unread count ("# random, 3 unread")."""
        return self.rooms.get_by_role("button", name=re.compile(rf"^# {re.escape(room)}(,|$)"))

    def open_room(self, room: str) -> None:
        self.room_entry(room).click()
        expect(self.page.get_by_role("heading", name=f"# {room}", exact=True)).to_be_visible()

    def join_room(self) -> None:
        """Joins the public room open on the page."""
        self.page.get_by_role("button", name="Join room").click()
        expect(self.page.get_by_role("button", name="Leave room")).to_be_visible()

    def create_room(self, room: str) -> None:
        self.page.get_by_label("New room").fill(room)
        self.page.get_by_role("button", name="Create").click()
        expect(self.page.get_by_role("heading", name=f"# {room}", exact=True)).to_be_visible()

    def delete_message(self, text: str) -> None:
        """Deletes one of my messages, answering the confirmation."""
        self.message(text).get_by_role("button", name="Delete message").click()
        dialog = self.page.get_by_role("dialog", name="Delete message")
        dialog.get_by_role("button", name="Delete").click()
        expect(dialog).to_be_hidden()

    def send_many(self, room: str, prefix: str, count: int) -> None:
        self.page.evaluate(SEND_MANY, [room, prefix, count])

    def message(self, text: str) -> Locator:
        """The stored message on screen whose text contains `text`."""
        return self.log.locator("li.message:not(.pending)", has_text=text)

    def react(self, text: str, emoji_name: str) -> None:
        """Reacts to the message holding `text` with the emoji the picker finds as `emoji_name`."""
        self.message(text).get_by_role("button", name=re.compile(r"^React to ")).click()
        picker = self.page.get_by_role("dialog", name="Emoji picker")
        picker.get_by_role("searchbox", name="Search emoji").fill(emoji_name)
        picker.get_by_role("button", name=re.compile(rf"^{emoji_name} :")).first.click()
        expect(picker).to_have_count(0)

    def reply_in_thread(self, text: str, reply: str) -> Locator:
        """Replies in the thread of the message holding `text`; the open thread panel."""
        self.message(text).get_by_role("button", name=re.compile(r"in a thread$")).click()
        thread = self.page.get_by_role("complementary", name="Thread")
        thread.get_by_role("textbox", name="Reply").fill(reply)
        thread.get_by_role("button", name="Reply").click()
        expect(thread.get_by_role("list", name=re.compile("^Replies to "))).to_contain_text(reply)
        return thread

    def own_message(self, text: str) -> Locator:
        """Like message(), then held by its id: it stays found while its text is edited."""
        found = self.message(text)
        expect(found).to_have_count(1)
        return self.log.locator(f'li.message[data-id="{found.get_attribute("data-id")}"]')

    @property
    def log(self) -> Locator:
        return self.page.get_by_role("log")

    def confirmed_texts(self) -> list[str]:
        """Texts of the stored messages on screen (pending ones excluded), top to bottom."""
        return self.log.locator("li.message:not(.pending) .message-text").all_inner_texts()

    def expect_each_once(self, texts: list[str], timeout: float = 30_000) -> None:
        """Waits until nothing is pending and each text is on screen, then checks exactly once."""
        expect(self.log.locator("li.message.pending")).to_have_count(0, timeout=timeout)
        for text in texts:
            expect(
                self.log.locator("li.message:not(.pending) .message-text", has_text=text).first
            ).to_be_visible(timeout=timeout)
        counts = Counter(self.confirmed_texts())
        assert {text: counts[text] for text in texts} == dict.fromkeys(texts, 1), counts


@contextmanager
def people(browser: Browser, base_url: str, *prefixes: str) -> Iterator[list[ChatUser]]:
    """A few people, each in a browser context of their own, closed after."""
    users = [ChatUser(browser, base_url, prefix) for prefix in prefixes]
    try:
        yield users
    finally:
        for user in users:
            user.close()
