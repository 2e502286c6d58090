"""Every Redis key the backend uses, in one place."""

from __future__ import annotations

ROOMS = "chat:rooms"
EVENTS_CHANNEL = "chat:events"  # presence and typing, fanned out between replicas
REPLICATION_PROBE = "chat:replication-probe"  # written only so WAIT can confirm a read


def user(name: str) -> str:
    return f"chat:user:{name}"


def session(token: str) -> str:
    return f"chat:session:{token}"


def stream(room: str) -> str:
    return f"chat:room:{room}:messages"


def dedup(room: str, user_name: str, client_id: str) -> str:
    return f"chat:dedup:{room}:{user_name}:{client_id}"


def send_rate(user_name: str) -> str:
    return f"chat:rate:send:{user_name}"


def login_failures_user(name: str) -> str:
    return f"chat:throttle:login:user:{name}"


def login_failures_ip(ip: str) -> str:
    return f"chat:throttle:login:ip:{ip}"


def presence(room: str) -> str:
    return f"chat:presence:{room}"
