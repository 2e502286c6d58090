"""What one run does: the clients, the rooms and the stepped send rates."""

from __future__ import annotations

from dataclasses import dataclass, field

PEER = "socketio"  # Socket.IO on Node (benchmarks/socketio)
BASELINE = "pubsub"  # raw Redis pub/sub
# The backend (uvicorn) on a local Redis Cluster of this many masters (REDIS_CLUSTER), the rooms
# spread over them; not run by default: `--systems cluster1,cluster3`.
CLUSTERS = {"cluster1": 1, "cluster3": 3}
# Every other name in `systems` is an ASGI server the backend is started with (ASGI_SERVER).
SYSTEMS = ("uvicorn", PEER, BASELINE)


def room_name(index: int) -> str:
    return f"bench{index}"


@dataclass(frozen=True)
class Step:
    """Messages per second spread over `rooms` (room indexes) for `seconds`."""

    name: str
    rate: float
    rooms: tuple[int, ...]
    seconds: float


@dataclass(frozen=True)
class Plan:
    clients: int = 500
    rooms: int = 5
    # Load-generator processes. One: it stays near half a core at the top step, and it needs fewer
    # wake-ups per delivery than two (each broadcast wakes one event loop, not two), so less CPU.
    processes: int = 1
    users: int = 25  # reader accounts the client sockets share (registration is Argon2id: slow on purpose)
    step_seconds: float = 3.0
    drain_seconds: float = 1.0  # after each step, time for late deliveries before counting
    light_rate: float = 10.0  # the light-load step: msgs/s into room 0 alone
    rates: tuple[float, ...] = (100.0, 200.0, 300.0, 400.0, 600.0, 800.0, 1200.0)  # msgs/s over all rooms
    # Later steps are skipped once a step is this slow or misses deliveries (their latency would be
    # the backlog's); None: run them all.
    # (A step passes at p99 <= 200 ms with nothing lost or duplicated: fanout.LATENCY_GOAL_MS.)
    stop_p99_ms: float | None = 1000.0
    compare_rate: float = 400.0  # the step whose deliveries per server CPU-second are compared
    idle_connections: int = 2000
    idle_room_size: int = 20
    systems: tuple[str, ...] = SYSTEMS
    appendfsync: str = "always"  # the backend's Redis: production durability by default
    pulumi: bool = True
    extra: dict[str, str] = field(default_factory=dict)

    def steps(self) -> list[Step]:
        everywhere = tuple(range(self.rooms))
        light = Step("light", self.light_rate, (0,), self.step_seconds)
        return [light] + [Step(f"{int(r)}/s", r, everywhere, self.step_seconds) for r in self.rates]

    def room_names(self) -> tuple[str, ...]:
        return tuple(map(room_name, range(self.rooms)))

    def idle_room_names(self) -> tuple[str, ...]:
        return tuple(f"idle{i}" for i in range(max(1, self.idle_connections // self.idle_room_size)))

    def asgi_servers(self) -> list[str]:
        return [name for name in self.systems if name not in (PEER, BASELINE)]

    def room_of(self, client: int) -> int:
        return client % self.rooms

    def room_sizes(self) -> list[int]:
        sizes = [0] * self.rooms
        for client in range(self.clients):
            sizes[self.room_of(client)] += 1
        return sizes

    def clients_of(self, process: int) -> list[int]:
        return list(range(process, self.clients, self.processes))

    def senders_of(self, process: int) -> list[int]:
        """Rooms whose sender lives in this process (one sender connection per room)."""
        return list(range(process, self.rooms, self.processes))


QUICK = Plan(
    clients=20,
    rooms=2,
    users=4,
    step_seconds=1.0,
    drain_seconds=0.5,
    rates=(20.0, 40.0),
    compare_rate=40.0,
    idle_connections=50,
    idle_room_size=10,
    stop_p99_ms=None,  # every step runs, however slow a busy machine makes it
    pulumi=False,
)
