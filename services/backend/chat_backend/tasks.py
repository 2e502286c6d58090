"""Stopping a background task for good."""

from __future__ import annotations

import asyncio
from typing import Any

CANCEL_AGAIN_SECONDS = 1.0


async def stopped(task: asyncio.Task[Any]) -> None:
    """Cancels `task` and returns once it has ended, whatever it ended with (its loop logs its
    own errors). Cancelled again while it goes on: under Python 3.11 a cancellation that comes as
    the future a `wait_for` waits on completes is lost, and a loop would go round for good."""
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=CANCEL_AGAIN_SECONDS)
    if not task.cancelled():
        task.exception()  # retrieved: an error it ended with is no news at shutdown
