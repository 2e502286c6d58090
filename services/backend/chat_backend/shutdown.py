"""Graceful shutdown under granian.

uvicorn closes WebSockets with 1012 on SIGTERM by itself. granian drops them without a close
frame (emmett-framework/granian#796), so under granian the app takes SIGTERM over: it closes
every socket with 1012 once its in-flight ack went out, then hands over to granian's own
shutdown, which reacts to SIGINT exactly as it would have to SIGTERM.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal

from chat_backend.hub import Hub
from chat_backend.protocol import CloseCode

log = logging.getLogger("chat_backend.shutdown")
DRAIN_SECONDS = 5.0  # below granian's workers_kill_timeout (GRACEFUL_SHUTDOWN_SECONDS, 10)


def close_sockets_on_sigterm(hub: Hub) -> None:
    loop = asyncio.get_running_loop()
    draining: list[asyncio.Task[None]] = []

    def on_sigterm() -> None:
        if not draining:  # SIGTERM may come twice (the process group, then granian's supervisor)
            draining.append(loop.create_task(_close_then_stop(hub)))

    loop.add_signal_handler(signal.SIGTERM, on_sigterm)


async def _close_then_stop(hub: Hub) -> None:
    log.info("SIGTERM: closing sockets", extra={"sockets": len(hub.connections)})
    try:
        # Clients reconnect (to another replica) and resume with `since`.
        await hub.close_all(
            CloseCode.SERVICE_RESTART, "server restarting: reconnect and resume", DRAIN_SECONDS
        )
    finally:
        os.kill(os.getpid(), signal.SIGINT)
