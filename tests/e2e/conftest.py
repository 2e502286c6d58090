"""The real stack (redis-server, backend with 2 workers, nginx serving the production
build) started by the `make dev` launcher on a free port, and Debian's chromium."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from checkout import ARTIFACTS
from devstack.browser import launch_chromium
from devstack.stack import DevStack
from playwright.sync_api import Browser, Playwright, expect, sync_playwright

from tests.e2e.chat_user import ChatUser, people

# `make test` runs suites side by side on 2 cores: give the UI more than the default 5 s.
expect.set_options(timeout=15_000)


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevStack]:
    # Every test's users register from 127.0.0.1.
    with DevStack(
        tmp_path_factory.mktemp("stack"), backend_env={"REGISTRATIONS_PER_IP": "100000"}
    ) as running:
        yield running


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    chromium = launch_chromium(playwright)
    yield chromium
    chromium.close()


@pytest.fixture
def artifacts() -> Path:
    """Screenshots go to artifacts/e2e/ (git-ignored); `make screenshot` publishes the README's."""
    path = ARTIFACTS / "e2e"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def pair(browser: Browser, stack: DevStack) -> Iterator[list[ChatUser]]:
    with people(browser, stack.url, "ann", "bob") as users:
        yield users


@pytest.fixture
def trio(browser: Browser, stack: DevStack) -> Iterator[list[ChatUser]]:
    with people(browser, stack.url, "ann", "bob", "cat") as users:
        yield users
