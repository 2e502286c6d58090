"""`python -m chat_backend`: the production server, uvicorn with WEB_CONCURRENCY worker processes.

HOST, PORT and WEB_CONCURRENCY choose where and how many; everything else is read by
chat_backend.settings. The configuration is checked here first, so a bad value stops the
server once with a clear message instead of crashing every worker.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile

import uvicorn
from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings

from chat_backend.archive import migrate
from chat_backend.realtime.uvicorn_adapter import UVICORN_PROTOCOLS
from chat_backend.server import serve
from chat_backend.settings import ConfigError, Settings, load_settings


class ServerSettings(BaseSettings):
    host: str = "0.0.0.0"
    port: int = Field(default=8000, ge=1, le=65535)
    web_concurrency: int = Field(default=2, ge=1, le=64)
    graceful_shutdown_seconds: int = Field(default=10, ge=0)


def run(server: ServerSettings, settings: Settings) -> None:
    config = uvicorn.Config(
        "chat_backend.app:create_asgi_app",
        factory=True,
        host=server.host,
        port=server.port,
        workers=server.web_concurrency,
        **UVICORN_PROTOCOLS,
        ws_max_size=settings.max_frame_bytes,
        # X-Forwarded-For is read by the app, for the proxies' own entries only (http/client_ip.py).
        proxy_headers=False,
        timeout_graceful_shutdown=server.graceful_shutdown_seconds,
        log_config=None,
        access_log=False,
    )
    serve(config)


def main() -> None:
    """The server; `python -m chat_backend migrate`: the PostgreSQL schema brought up to date."""
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
    if sys.argv[1:] == ["migrate"]:
        if settings.database_url is None:
            sys.exit("migrate: DATABASE_URL is not set")
        migrate.upgrade(settings)
        return
    # Workers share metrics through files here; a fresh directory per start, as the client requires.
    metrics_dir = tempfile.mkdtemp(prefix="chat-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    try:
        run(server, settings)
    finally:
        shutil.rmtree(metrics_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
