"""Key names are where stored data lives: the two layouts name every key as data already in
Redis was stored under (a rename would strand it), and on a cluster all of a room's keys share
one hash slot."""

from __future__ import annotations

import pytest
from chat_backend.store.keys import CLUSTER, ONE_NODE, Keys
from redis.crc import key_slot

ROOM_KEYS = ("stream", "room_seq", "read_positions", "mentions", "changes", "dm", "presence", "room_channel")


def _names(keys: Keys) -> dict[str, str]:
    return {
        **{name: getattr(keys, name)("general") for name in ROOM_KEYS},
        "dedup": keys.dedup("general", "ann", "c1"),
        "send_rate": keys.send_rate("ann", "general"),
        "room_probe": keys.room_probe("general"),
        "user": keys.user("ann"),
        "user_dms": keys.user_dms("ann"),
        "user_channel": keys.user_channel("ann"),
        "session": keys.session("t0k"),
        "login_failures_user": keys.throttle("login:user", "ann"),
        "login_failures_ip": keys.throttle("login:ip", "10.0.0.1"),
        "user_sessions": keys.user_sessions("ann"),
        "user_sockets": keys.user_sockets("ann"),
        "user_opened_dms": keys.user_opened_dms("ann"),
        "user_rooms": keys.user_rooms("ann"),
        "user_created_rooms": keys.user_created_rooms("ann"),
    }


@pytest.mark.parametrize(("keys", "room"), [(ONE_NODE, "general"), (CLUSTER, "{general}")])
def test_every_key_keeps_its_name(keys: Keys, room: str) -> None:
    throttle = "{throttle}:" if keys.hash_tags else ""
    assert _names(keys) == {
        "stream": f"chat:room:{room}:messages",
        "room_seq": f"chat:room:{room}:seq",
        "read_positions": f"chat:room:{room}:reads",
        "mentions": f"chat:room:{room}:mentions",
        "changes": f"chat:room:{room}:changes",
        "dm": f"chat:room:{room}:dm",
        "presence": f"chat:presence:{room}",
        "room_channel": f"chat:room:{room}:events",
        "dedup": f"chat:dedup:{room}:ann:c1",
        "send_rate": "chat:rate:send:{general}:ann" if keys.hash_tags else "chat:rate:send:ann",
        "room_probe": "chat:replication-probe:{general}" if keys.hash_tags else "chat:replication-probe",
        "user": "chat:user:ann",
        "user_dms": "chat:user:ann:dms",
        "user_channel": "chat:events:user:ann",
        "session": "chat:session:t0k",
        # Counters that live minutes: on a cluster they moved to one shard (quotas.py).
        "login_failures_user": f"chat:throttle:{throttle}login:user:ann",
        "login_failures_ip": f"chat:throttle:{throttle}login:ip:10.0.0.1",
        "user_sessions": "chat:user:ann:sessions",
        "user_sockets": "chat:user:ann:sockets",
        "user_opened_dms": "chat:user:ann:opened-dms",
        "user_rooms": "chat:user:ann:rooms",
        "user_created_rooms": "chat:rooms:{chat:rooms}:created-by:ann",
    }


def test_on_a_cluster_what_the_send_script_touches_shares_the_rooms_slot() -> None:
    names = _names(CLUSTER)
    room_side = [names[name] for name in (*ROOM_KEYS, "dedup", "send_rate", "room_probe")]
    assert {key_slot(name.encode()) for name in room_side} == {key_slot(b"general")}


def test_on_a_cluster_what_one_script_counts_shares_a_slot() -> None:
    room_registry = (CLUSTER.user_created_rooms("ann"), CLUSTER.PRIVATE_ROOMS, CLUSTER.ROOM_NAMES)
    assert {key_slot(name.encode()) for name in room_registry} == {key_slot(CLUSTER.ROOMS.encode())}
    throttles = [
        CLUSTER.throttle("login:user-ip", "ann", "10.0.0.1"),
        CLUSTER.throttle("login:ip", "10.0.0.1"),
    ]
    assert len({key_slot(name.encode()) for name in throttles}) == 1
