"""PostgreSQL from the Debian package, on 127.0.0.1 only, with a generated password.

PostgreSQL refuses to run as root: as root, initdb and postgres run as the package's `postgres`
user (setpriv, which execs in place, so the server stays this process group's), with the data
in a directory that user owns beside the scratch space (whose parents it may not traverse). The
data outlives a stop, so a restart (or a SIGKILL drill) finds it again; `remove` deletes it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg

from devstack.process import HOST, ManagedProcess, free_port

BINDIR = Path("/usr/lib/postgresql/15/bin")
DATABASE = "chat"
SUPERUSER = "chat"  # the one role; the backend connects as it
_HOME_PREFIX = "chat-postgres-"
_FOR = "scratch"  # in a root-run server's home: the scratch directory it belongs to


def _binary(name: str) -> str:
    found = BINDIR / name
    if not found.exists():
        raise RuntimeError(f"{found} is missing: run `make system-deps` (apt-get install postgresql)")
    return str(found)


def _home(datadir: Path) -> tuple[Path, list[str]]:
    """Where the server's files live and the prefix that runs a command as their owner."""
    if os.geteuid() != 0:
        return datadir, []
    owner = pwd.getpwnam("postgres")
    _remove_orphans()
    digest = hashlib.sha256(str(datadir.resolve()).encode()).hexdigest()[:16]
    home = Path(tempfile.gettempdir()) / f"{_HOME_PREFIX}{digest}"
    home.mkdir(mode=0o700, exist_ok=True)
    (home / _FOR).write_text(str(datadir.resolve()))
    os.chown(home, owner.pw_uid, owner.pw_gid)
    return home, ["setpriv", f"--reuid={owner.pw_uid}", f"--regid={owner.pw_gid}", "--init-groups"]


def _remove_orphans() -> None:
    """The data of servers whose scratch space is gone (a finished test run's, say)."""
    for home in Path(tempfile.gettempdir()).glob(f"{_HOME_PREFIX}*"):
        with contextlib.suppress(OSError):
            if not Path((home / _FOR).read_text()).exists():
                shutil.rmtree(home)


class PostgresServer(ManagedProcess):
    """A PostgreSQL server whose data lives under `datadir` (or, as root, a directory derived
    from it); the `chat` database and role exist once `start` returns."""

    def __init__(self, datadir: Path, port: int | None = None):
        port = port or free_port()
        datadir.mkdir(parents=True, exist_ok=True)
        self.home, self._as_owner = _home(datadir)
        self.pgdata = self.home / "data"
        self._password_file = self.home / "password"
        argv = [
            *self._as_owner,
            _binary("postgres"),
            "-D",
            str(self.pgdata),
            "-c",
            f"listen_addresses={HOST}",
            "-p",
            str(port),
            "-k",
            str(self.home),  # the unix socket beside the data, not in /var/run
        ]
        super().__init__("postgres", argv, port, datadir)

    @property
    def password(self) -> str:
        return self._password_file.read_text().strip()

    @property
    def url(self) -> str:
        """DATABASE_URL as deployments give it: no password (that is DATABASE_PASSWORD)."""
        return f"postgresql://{SUPERUSER}@{HOST}:{self.port}/{DATABASE}"

    def _initdb(self) -> None:
        if (self.pgdata / "PG_VERSION").exists():
            return
        self._password_file.write_text(secrets.token_urlsafe(24))
        self._password_file.chmod(0o600)
        shutil.chown(self._password_file, *self._owner())
        subprocess.run(
            [
                *self._as_owner,
                _binary("initdb"),
                "-D",
                str(self.pgdata),
                "-U",
                SUPERUSER,
                "--auth=scram-sha-256",
                f"--pwfile={self._password_file}",
                "--encoding=UTF8",
                "--no-locale",
                "--no-sync",  # nothing to lose yet; the server itself fsyncs as usual
            ],
            check=True,
            capture_output=True,
        )

    def _owner(self) -> tuple[int, int]:
        stat = self.home.stat()
        return stat.st_uid, stat.st_gid

    def start(self, timeout: float = 60.0) -> None:
        self._initdb()
        super().start(timeout)
        self._create_database(timeout)

    def connect(self, dbname: str = DATABASE) -> psycopg.Connection:
        return psycopg.connect(
            host=HOST, port=self.port, user=SUPERUSER, password=self.password, dbname=dbname, autocommit=True
        )

    def _create_database(self, timeout: float) -> None:
        """Once it accepts logins (the port opens a moment before), the `chat` database."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                with self.connect("postgres") as conn:
                    if not conn.execute(
                        "SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)
                    ).fetchone():
                        conn.execute(f"CREATE DATABASE {DATABASE}")
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def stop(self, timeout: float = 30.0) -> None:
        self.signal(signal.SIGCONT)  # a paused (SIGSTOP) server could not act on a signal
        # SIGINT is the fast shutdown; SIGTERM (what stop sends) would wait for every client.
        self.signal(signal.SIGINT)
        if self.proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout)
        super().stop(timeout)

    def remove(self) -> None:
        """Stop and delete the data."""
        self.stop()
        shutil.rmtree(self.home, ignore_errors=True)
