"""Redis unavailable for 10 s, seen from the browser (nginx + backend + Debian chromium):
the message typed during the outage stays on screen as pending ("sending…"), is resent
by the app when Redis returns, and ends up stored and shown exactly once for everyone."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from devstack.browser import launch_chromium
from devstack.stack import DevStack
from playwright.sync_api import Browser, expect, sync_playwright

from tests.drills import figures
from tests.drills.drill_env import OUTAGE_SECONDS
from tests.e2e.chat_user import ChatUser


@pytest.fixture
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


def readyz(url: str) -> int:
    try:
        with urllib.request.urlopen(f"{url}/api/readyz", timeout=5) as response:  # noqa: S310 (our own http URL)
            return int(response.status)
    except urllib.error.HTTPError as err:
        return err.code


def test_pending_message_survives_a_redis_outage_and_is_resent(browser: Browser, tmp_path: Path) -> None:
    with DevStack(tmp_path / "stack") as stack:
        ann, bob = ChatUser(browser, stack.url, "ann"), ChatUser(browser, stack.url, "bob")
        try:
            ann.register()
            bob.register()
            ann.send("before the outage")
            bob.expect_each_once(["before the outage"])

            stack.redis.stop()
            down_at = time.monotonic()
            ready_during = readyz(stack.url)
            ann.send("typed during the outage")
            pending = ann.log.locator("li.message.pending", has_text="typed during the outage")
            expect(pending).to_contain_text("sending…")
            time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - down_at)))
            expect(pending).to_contain_text("sending…")  # still queued, never dropped or failed
            figures.DRILL_ARTIFACTS.mkdir(parents=True, exist_ok=True)
            ann.page.screenshot(path=str(figures.DRILL_ARTIFACTS / "redis-outage-pending.png"))

            stack.redis.start()
            back_at = time.monotonic()
            texts = ["before the outage", "typed during the outage"]
            ann.expect_each_once(texts)
            delivered_in = time.monotonic() - back_at
            bob.expect_each_once(texts)
        finally:
            ann.close()
            bob.close()
    figures.record(
        f"Redis unavailable for {OUTAGE_SECONDS} s, in the browser (nginx + chromium)",
        "the message typed during the outage stays on screen as pending (never failed), is resent by "
        "the app when Redis returns and appears once for everyone",
        readyz_during=ready_during,
        pending_shown="sending…",
        stored_and_shown_after_s=round(delivered_in, 1),
        copies_each=1,
    )
    assert ready_during == 503
