"""What the HTTP handlers share within one worker process."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import HTTPConnection

from chat_backend.archive.database import Database
from chat_backend.archive.history import History
from chat_backend.archive.reactions import ReactionHistory
from chat_backend.archive.threads import ThreadHistory
from chat_backend.realtime.sockets import Sockets
from chat_backend.settings import Settings
from chat_backend.store.access import Access
from chat_backend.store.accounts import Accounts
from chat_backend.store.memberships import Memberships
from chat_backend.store.messages import Messages
from chat_backend.store.people import People
from chat_backend.store.profiles import Profiles
from chat_backend.store.reactions import Reactions
from chat_backend.store.reads import Reads
from chat_backend.store.redis_client import Client
from chat_backend.store.rooms import Rooms
from chat_backend.store.socket_leases import SocketLeases
from chat_backend.store.threads import Threads

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
    access: Access
    memberships: Memberships
    people: People
    profiles: Profiles
    reactions: Reactions
    threads: Threads
    leases: SocketLeases
    history: History
    thread_history: ThreadHistory
    reaction_history: ReactionHistory
    database: Database | None  # None without DATABASE_URL: no search


def services(conn: HTTPConnection) -> Services:
    found: Services = conn.app.state.services
    return found
