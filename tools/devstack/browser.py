"""Debian's chromium driven by Playwright (its own browser download does not work here)."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Browser as AsyncBrowser
from playwright.async_api import Playwright as AsyncPlaywright
from playwright.sync_api import Browser, Playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


def _check() -> str:
    if not CHROMIUM.exists():
        raise RuntimeError(f"{CHROMIUM} is missing: run `make system-deps` (apt-get install chromium)")
    return str(CHROMIUM)


def launch_chromium(playwright: Playwright, *extra_args: str) -> Browser:
    """A headless chromium for the sync Playwright API; `extra_args` go after ours."""
    return playwright.chromium.launch(
        executable_path=_check(), args=[*CHROMIUM_ARGS, *extra_args], headless=True
    )


async def launch_chromium_async(playwright: AsyncPlaywright) -> AsyncBrowser:
    """The same browser for the asyncio Playwright API."""
    return await playwright.chromium.launch(executable_path=_check(), args=list(CHROMIUM_ARGS), headless=True)
