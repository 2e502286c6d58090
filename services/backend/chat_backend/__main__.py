"""`python -m chat_backend`: the production server, WEB_CONCURRENCY worker processes.

HOST, PORT, WEB_CONCURRENCY and ASGI_SERVER (uvicorn | granian) choose where, how many and
which server; everything else is read by chat_backend.settings. The configuration is
checked here first, so a bad value stops the server once with a clear message instead of
crashing every worker.
"""

from __future__ import annotations

import os
import sys
import tempfile
from typing import Any, Literal

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings

from chat_backend.settings import ConfigError, Settings, load_settings

# Concurrent requests per granian worker; a WebSocket holds one for its whole life, so the
# default (backlog / workers, i.e. 512) would cap sockets far below what a worker serves.
GRANIAN_BACKPRESSURE = 65536


class ServerSettings(BaseSettings):
    host: str = "0.0.0.0"
    port: int = Field(default=8000, ge=1, le=65535)
    web_concurrency: int = Field(default=2, ge=1, le=64)
    # uvicorn: measured faster here (README, "Performance") and the best-known ASGI server.
    asgi_server: Literal["uvicorn", "granian"] = "uvicorn"
    graceful_shutdown_seconds: int = Field(default=10, ge=0)
    forwarded_allow_ips: str = "127.0.0.1,::1"  # proxies whose X-Forwarded-For is believed


# wire.py writes frames straight to websockets-sansio's transport; with no compression a
# frame is the same bytes on every socket (chat frames are small: deflate costs more CPU than
# it saves).
UVICORN_PROTOCOLS: dict[str, Any] = {
    "loop": "uvloop",
    "http": "httptools",
    "ws": "websockets-sansio",
    "ws_per_message_deflate": False,
}


def run_uvicorn(server: ServerSettings, settings: Settings) -> None:
    import uvicorn

    uvicorn.run(
        "chat_backend.app:create_asgi_app",
        factory=True,
        host=server.host,
        port=server.port,
        workers=server.web_concurrency,
        **UVICORN_PROTOCOLS,
        ws_max_size=settings.max_frame_bytes,
        proxy_headers=True,
        forwarded_allow_ips=server.forwarded_allow_ips,
        timeout_graceful_shutdown=server.graceful_shutdown_seconds,
        log_config=None,
        access_log=False,
    )


def run_granian(server: ServerSettings) -> None:
    from granian import Granian
    from granian.constants import Interfaces, Loops

    # The frame size limit is enforced by the app (granian has no such option).
    Granian(
        "chat_backend.app:create_granian_app",
        factory=True,
        address=server.host,
        port=server.port,
        interface=Interfaces.ASGI,
        workers=server.web_concurrency,
        loop=Loops.uvloop,
        websockets=True,
        backpressure=GRANIAN_BACKPRESSURE,
        respawn_failed_workers=True,  # as uvicorn's supervisor does
        workers_kill_timeout=server.graceful_shutdown_seconds or None,
        log_access=False,
    ).serve()


def main() -> None:
    try:
        settings = load_settings()
        server = ServerSettings()
    except ConfigError as exc:
        sys.exit(str(exc))
    except ValidationError as exc:
        sys.exit(
            "invalid configuration:\n"
            + "\n".join(f"  {str(e['loc'][0]).upper()}: {e['msg']}" for e in exc.errors())
        )
    # Workers share metrics through files here; a fresh directory per start, as the client requires.
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="chat-metrics-")
    if server.asgi_server == "granian":
        run_granian(server)
    else:
        run_uvicorn(server, settings)


if __name__ == "__main__":
    main()
