"""The people directory: everyone registered, found by a prefix of their username or display
name (profiles.py), in any case.

One sorted set (Keys.PEOPLE) of "<casefolded name>\\n<username>" entries, all of score 0, read
by lexicographic range: a prefix search is one ZRANGE BYLEX however many people there are, and
a page goes on after the last entry the previous one returned.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from chat_backend.store.keys import Keys
from chat_backend.store.redis_client import Client

_SEPARATOR = "\n"  # no name has it, and it sorts before every character a name has


def entry(key: str, username: str) -> str:
    """The directory's entry finding `username` by `key` (their name)."""
    return f"{key.casefold()}{_SEPARATOR}{username}"


@dataclass(frozen=True)
class Found:
    usernames: list[str]
    after: str | None  # where the next page starts; None after the last


class People:
    def __init__(self, redis: Client, keys: Keys):
        self.redis = redis
        self.keys = keys

    async def search(self, prefix: str, after: str | None, limit: int) -> Found:
        """Up to `limit` people whose name starts with `prefix` (any case), by name, after
        the entry `after` (a previous page's)."""
        folded = prefix.casefold().encode()
        start = b"(" + after.encode() if after else b"[" + folded
        entries = cast(
            list[str],
            await self.redis.zrange(
                self.keys.PEOPLE, start, b"[" + folded + b"\xff", bylex=True, offset=0, num=limit + 1
            ),
        )
        page = entries[:limit]
        # Found by username and display name alike, one is listed once a page.
        usernames = list(dict.fromkeys(found.partition(_SEPARATOR)[2] for found in page))
        return Found(usernames, page[-1] if len(entries) > limit else None)
