"""nginx from the Debian package serving the built frontend and proxying /api, like the ingress.

The server rules (headers, caching, SPA fallback, /healthz) and the connection limits come
from the same files the frontend container uses, services/frontend/nginx/chat-server.conf and
chat-limits.conf; only what differs locally (listen address, root, the /api proxy, writable
paths) is generated here.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from chat_backend.settings import Settings
from checkout import ROOT

from devstack.process import HOST, ManagedProcess, free_port

FRONTEND = ROOT / "services" / "frontend"
SERVER_RULES = FRONTEND / "nginx" / "chat-server.conf"
LIMITS = FRONTEND / "nginx" / "chat-limits.conf"
DIST = FRONTEND / "dist"
MIME_TYPES = Path("/etc/nginx/mime.types")
# nginx refuses what the backend would (MAX_BODY_BYTES): an oversize body never reaches the
# backend, which would answer before reading it and leave nginx a closed connection (502).
MAX_BODY_BYTES: int = Settings.model_fields["max_body_bytes"].default
BODY_TOO_LARGE = f'{{"error":"body_too_large","detail":"request body is larger than {MAX_BODY_BYTES} bytes"}}'


def nginx_binary() -> str:
    found = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(found).exists():
        raise RuntimeError("nginx is missing: run `make system-deps` (apt-get install nginx)")
    return found


def render_config(port: int, dist: Path, backend_url: str, runtime: Path, logs: Path) -> str:
    """The whole nginx.conf for one local stack; every writable path is under `runtime`."""
    temp_paths = "\n".join(
        f"    {kind}_temp_path {runtime / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""daemon off;
worker_processes 1;
pid {runtime / "nginx.pid"};
error_log {logs / "nginx-error.log"} warn;
include {LIMITS};

http {{
    include {MIME_TYPES};
    default_type application/octet-stream;
    access_log {logs / "nginx-access.log"};
{temp_paths}

    map $http_upgrade $connection_upgrade {{
        default upgrade;
        "" close;
    }}

    server {{
        listen {HOST}:{port};
        root {dist};

        # The ingress's routing: /api (the WebSocket at /api/ws included) to the backend.
        location /api/ {{
            client_max_body_size {MAX_BODY_BYTES};
            error_page 413 = @body_too_large;
            proxy_pass {backend_url};
            proxy_http_version 1.1;
            proxy_set_header Host $http_host;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            # A chat socket stays open for hours; the client pings well within this.
            proxy_read_timeout 1h;
            proxy_send_timeout 1h;
            proxy_buffering off;
        }}

        # The backend's own answer to an oversize body (docs/protocol.md's error shape).
        location @body_too_large {{
            default_type application/json;
            return 413 '{BODY_TOO_LARGE}';
        }}

        include {SERVER_RULES};
    }}
}}
"""


class NginxServer(ManagedProcess):
    """nginx on 127.0.0.1:`port` serving `dist` and proxying /api to `backend_url`.

    Its config, pid and temp files live in a fresh temporary directory (removed on stop),
    its logs in `workdir`, so it runs as any user and several stacks can run at once.
    """

    def __init__(self, workdir: Path, backend_url: str, port: int | None = None, dist: Path = DIST):
        port = port or free_port()
        super().__init__("nginx", [nginx_binary()], port, workdir)
        self.backend_url = backend_url
        self.dist = dist
        self.runtime: Path | None = None

    def start(self, timeout: float = 30.0) -> None:
        if not (self.dist / "index.html").exists():
            raise RuntimeError(
                f"{self.dist}/index.html is missing: build the frontend first (`make frontend-build`)"
            )
        if not MIME_TYPES.exists():
            raise RuntimeError(f"{MIME_TYPES} is missing: run `make system-deps` (apt-get install nginx)")
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.runtime = Path(tempfile.mkdtemp(prefix="devstack-nginx-"))
        # Started as root, nginx runs its workers as `nobody`: they must reach the temp dirs.
        self.runtime.chmod(0o755)
        config = self.runtime / "nginx.conf"
        config.write_text(
            render_config(self.port, self.dist, self.backend_url, self.runtime, self.workdir.resolve())
        )
        self.argv = [
            nginx_binary(),
            "-p",
            str(self.runtime),
            "-c",
            str(config),
            "-e",
            str(self.runtime / "startup.log"),
        ]
        super().start(timeout)

    def stop(self, timeout: float = 10.0) -> None:
        super().stop(timeout)
        if self.runtime is not None:
            shutil.rmtree(self.runtime, ignore_errors=True)
            self.runtime = None
