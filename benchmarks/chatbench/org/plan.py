"""Who is in which conversation, at each size of the organisation plan."""

from __future__ import annotations

from dataclasses import dataclass

from chat_backend.store.rooms import dm_name


@dataclass(frozen=True)
class OrgPlan:
    sizes: tuple[int, ...] = (100, 2_000, 10_000)  # rooms (DMs come on top)
    peer_sizes: tuple[int, ...] = (100, 2_000)  # where Socket.IO runs the same plan
    room_size: int = 5
    rooms_per_person: int = 10  # and one DM each: each person's one socket is in 11 conversations
    rate: float = 50.0  # msgs/s into conversations drawn at random, each from one of its members
    seconds: float = 20.0
    drain_seconds: float = 2.0
    idle_seconds: float = 60.0  # no messages: what sockets in quiet rooms cost (a WebSocket ping each)
    settle_seconds: float = 3.0  # after subscribing, before anything is counted
    seed: int = 7  # the draw of conversations and senders: the same for every system


QUICK = OrgPlan(sizes=(10, 40), peer_sizes=(10, 40), seconds=2.0, drain_seconds=1.0, idle_seconds=1.0,
                settle_seconds=1.0)  # fmt: skip


def person(index: int) -> str:
    return f"person{index}"


@dataclass(frozen=True)
class Conversation:
    name: str
    members: tuple[int, ...]  # people, by index


@dataclass(frozen=True)
class Layout:
    """One size: `rooms` rooms of `room_size` people, every person in `rooms_per_person` of them
    (person k's seats are every `people`-th seat of the rooms laid end to end), and a DM for each
    pair of neighbours (0 and 1, 2 and 3, ...)."""

    rooms: int
    people: int
    conversations: tuple[Conversation, ...]

    def of_person(self) -> list[list[int]]:
        """Each person's conversations, by index."""
        mine: list[list[int]] = [[] for _ in range(self.people)]
        for index, conversation in enumerate(self.conversations):
            for member in conversation.members:
                mine[member].append(index)
        return mine


def layout(plan: OrgPlan, rooms: int) -> Layout:
    people = rooms * plan.room_size // plan.rooms_per_person
    if people < plan.room_size:
        raise ValueError(f"{rooms} rooms seat {people} people: fewer than a room holds")
    seats = plan.room_size
    conversations = [
        Conversation(f"org{r}", tuple((r * seats + k) % people for k in range(seats))) for r in range(rooms)
    ]
    conversations += [
        Conversation(dm_name((person(p), person(p + 1))), (p, p + 1)) for p in range(0, people - 1, 2)
    ]
    return Layout(rooms, people, tuple(conversations))
