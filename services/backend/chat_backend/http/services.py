"""What the HTTP handlers share within one worker process."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import HTTPConnection

from chat_backend.archive.database import Database
from chat_backend.archive.history import History
from chat_backend.realtime.sockets import Sockets
from chat_backend.settings import Settings
from chat_backend.store.accounts import Accounts
from chat_backend.store.messages import Messages
from chat_backend.store.reads import Reads
from chat_backend.store.redis_client import Client
from chat_backend.store.rooms import Rooms

SESSION_COOKIE = "chat_session"


@dataclass
class Services:
    settings: Settings
    redis: Client
    accounts: Accounts
    messages: Messages
    rooms: Rooms
    reads: Reads
    sockets: Sockets
    history: History
    database: Database | None  # None without DATABASE_URL: no search


def services(conn: HTTPConnection) -> Services:
    found: Services = conn.app.state.services
    return found
