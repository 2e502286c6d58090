"""What the request handlers share within one worker process."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import HTTPConnection

from chat_backend.accounts import Accounts
from chat_backend.hub import Hub
from chat_backend.messages import Messages
from chat_backend.reads import Reads
from chat_backend.redis_client import Client
from chat_backend.rooms import Rooms
from chat_backend.settings import Settings

SESSION_COOKIE = "chat_session"


@dataclass
class Services:
    settings: Settings
    redis: Client
    accounts: Accounts
    messages: Messages
    hub: Hub
    rooms: Rooms
    reads: Reads


def services(conn: HTTPConnection) -> Services:
    found: Services = conn.app.state.services
    return found
