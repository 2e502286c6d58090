"""One person in the chat: a browser context of their own (own cookies) and its page."""

from __future__ import annotations

import secrets
from collections import Counter

from playwright.sync_api import Browser, ConsoleMessage, Dialog, Locator, Page, expect

PASSWORD = "correct horse battery"
DESKTOP = {"width": 1100, "height": 720}
PHONE = {"width": 390, "height": 844}


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
        expect(self.page.get_by_role("status")).to_have_text("Connected", timeout=timeout)

    @property
    def composer(self) -> Locator:
        return self.page.get_by_role("textbox", name="Message #")

    def send(self, text: str) -> None:
        """Types like a person and sends with Enter."""
        self.composer.fill(text)
        self.composer.press("Enter")

    def open_room(self, room: str) -> None:
        self.page.get_by_role("navigation", name="Rooms").get_by_role("button", name=f"# {room}").click()
        expect(self.page.get_by_role("heading", name=f"# {room}")).to_be_visible()

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
