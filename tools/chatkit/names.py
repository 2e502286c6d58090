"""Names no earlier test run used: users, rooms and client_ids."""

from __future__ import annotations

import itertools
import secrets

_serial = itertools.count(1)


def unique(prefix: str) -> str:
    # The counter keeps names apart within a process, the random part across processes and
    # runs against one long-lived Redis; short enough for a 32-character username.
    return f"{prefix}{next(_serial)}_{secrets.token_hex(3)}"
