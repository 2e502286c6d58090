"""The probe message: step, sequence number and send time travel inside the text.

The send time is CLOCK_MONOTONIC, which on Linux is one clock for every process on the
machine, so sender and receiver processes compare times directly.
"""

from __future__ import annotations

import functools
import time
from typing import NamedTuple

# A partial, not a def: it is called once per delivery, and this saves a Python call.
now_ns = functools.partial(time.clock_gettime_ns, time.CLOCK_MONOTONIC)


class Probe(NamedTuple):
    step: int
    seq: int
    sent_ns: int


def probe_text(step: int, seq: int) -> str:
    return f"bench {step} {seq} {now_ns()}"


def parse_probe(text: str) -> Probe | None:
    parts = text.split(" ")
    if len(parts) != 4 or parts[0] != "bench":
        return None
    return Probe(int(parts[1]), int(parts[2]), int(parts[3]))


def sequence(room: int, n: int) -> int:
    """A run-wide unique message number: the room in the high digits."""
    return room * 1_000_000_000 + n


def room_of_sequence(seq: int) -> int:
    return seq // 1_000_000_000
