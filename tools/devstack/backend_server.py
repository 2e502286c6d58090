"""The chat backend (`python -m chat_backend`) as a child process."""

from __future__ import annotations

import sys
from pathlib import Path

from devstack.process import HOST, ManagedProcess, free_port


class BackendServer(ManagedProcess):
    """The production server with `workers` processes, configured only through env vars."""

    def __init__(
        self,
        workdir: Path,
        redis_url: str,
        allowed_origins: str,
        session_secret: str,
        port: int | None = None,
        workers: int = 2,
        extra_env: dict[str, str] | None = None,
    ):
        port = port or free_port()
        env = {
            "HOST": HOST,
            "PORT": str(port),
            "WEB_CONCURRENCY": str(workers),
            "REDIS_URL": redis_url,
            "ALLOWED_ORIGINS": allowed_origins,
            "SESSION_SECRET": session_secret,
            **(extra_env or {}),
        }
        super().__init__("backend", [sys.executable, "-m", "chat_backend"], port, workdir, env)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"
