"""A Redis Cluster on 127.0.0.1 from Debian's redis-server: 3 masters with a replica each by
default, every node with the chat's shared settings (AOF on, appendfsync as given).

Formed once (slots, introductions and replicas, as `redis-cli --cluster create` does); the nodes
keep their view of the cluster (nodes.conf) and their ports (ports.txt) under `datadir`, so a
restart rejoins the same cluster with its data.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from pathlib import Path

import redis

from devstack.process import HOST, MAX_PORT, free_port, is_free
from devstack.redis_server import RedisServer

# How long a master may be unreachable before its replica is promoted: short, so the drills'
# failovers take seconds, long enough that a busy 2-core machine does not fail over by itself.
NODE_TIMEOUT_MS = 2000
SLOTS = 16384
BUS_PORT_OFFSET = 10000  # each node also listens on its port + 10000 for the cluster bus


@dataclass(frozen=True)
class Shard:
    """One master, its replicas and the hash slots it serves (CLUSTER SHARDS)."""

    master: int  # port
    replicas: tuple[int, ...]
    slots: tuple[tuple[int, int], ...]  # inclusive ranges

    def owns(self, slot: int) -> bool:
        return any(low <= slot <= high for low, high in self.slots)


class RedisCluster:
    def __init__(
        self,
        datadir: Path,
        masters: int = 3,
        replicas_per_master: int = 1,
        appendfsync: str = "always",
        password: str | None = None,
    ):
        self.datadir = datadir
        self.masters = masters
        self.replicas_per_master = replicas_per_master
        self.password = password
        self.ports = self._ports(masters * (1 + replicas_per_master))
        self.nodes = {
            port: RedisServer(
                datadir / f"node-{port}",
                port=port,
                appendfsync=appendfsync,
                password=password,
                cluster_node_timeout_ms=NODE_TIMEOUT_MS,
            )
            for port in self.ports
        }

    def _ports(self, count: int) -> list[int]:
        record = self.datadir / "ports.txt"
        if record.exists():
            kept = [int(port) for port in record.read_text().split()]
            if len(kept) == count:
                return kept
        chosen: set[int] = set()
        while len(chosen) < count:
            port = free_port()
            if port + BUS_PORT_OFFSET <= MAX_PORT and is_free(port + BUS_PORT_OFFSET):
                chosen.add(port)
        self.datadir.mkdir(parents=True, exist_ok=True)
        record.write_text(" ".join(map(str, sorted(chosen))))
        return sorted(chosen)

    @property
    def url(self) -> str:
        """Any one node: a cluster client learns the others from it."""
        return self.nodes[self.ports[0]].url

    def start(self, timeout: float = 60.0) -> None:
        for node in self.nodes.values():
            node.start(timeout)
        if not self._formed():
            self._create()
        self.wait_healthy(timeout)

    def stop(self) -> None:
        for node in self.nodes.values():
            node.stop()

    def client(self, port: int) -> redis.Redis:
        return redis.Redis(port=port, password=self.password, decode_responses=True)

    def _formed(self) -> bool:
        with self.client(self.ports[0]) as client:
            return int(client.execute_command("CLUSTER INFO").get("cluster_slots_assigned", 0)) > 0

    def _create(self, timeout: float = 60.0) -> None:
        """What `redis-cli --cluster create` does, for any number of masters (it wants 3 or more):
        the slots split evenly over the masters, every node introduced, each replica assigned."""
        masters, replicas = self.ports[: self.masters], self.ports[self.masters :]
        for i, port in enumerate(masters):
            low, high = SLOTS * i // len(masters), SLOTS * (i + 1) // len(masters) - 1
            with self.client(port) as client:
                client.execute_command("CLUSTER ADDSLOTSRANGE", low, high)
                client.execute_command("CLUSTER SET-CONFIG-EPOCH", i + 1)
        for port in self.ports[1:]:
            with self.client(port) as client:
                client.execute_command("CLUSTER MEET", HOST, self.ports[0])
        deadline = time.monotonic() + timeout
        while not all(self._knows_everyone(port) for port in self.ports):
            if time.monotonic() > deadline:
                raise TimeoutError(f"the nodes did not meet within {timeout}s; logs under {self.datadir}")
            time.sleep(0.05)
        for i, port in enumerate(replicas):
            with self.client(masters[i % len(masters)]) as master:
                master_id = master.execute_command("CLUSTER MYID")
            with self.client(port) as client:
                client.execute_command("CLUSTER REPLICATE", master_id)

    def _knows_everyone(self, port: int) -> bool:
        with self.client(port) as client:
            return int(client.execute_command("CLUSTER INFO")["cluster_known_nodes"]) == len(self.ports)

    def wait_healthy(self, timeout: float = 60.0) -> None:
        """Until every running node says the cluster is ok and every master has its replicas in sync."""
        deadline = time.monotonic() + timeout
        while not self._healthy():
            if time.monotonic() > deadline:
                raise TimeoutError(f"cluster not healthy after {timeout}s; logs under {self.datadir}")
            time.sleep(0.1)

    def _healthy(self) -> bool:
        try:
            for port, node in self.nodes.items():
                if not node.running:
                    continue
                with self.client(port) as client:
                    if client.execute_command("CLUSTER INFO").get("cluster_state") != "ok":
                        return False
                    info = client.info("replication")
                    if info["role"] == "slave" and info.get("master_link_status") != "up":
                        return False
            return all(len(shard.replicas) == self.replicas_per_master for shard in self.shards())
        except (redis.RedisError, OSError):
            return False

    def shards(self) -> list[Shard]:
        """The masters as a running node sees them, with their replicas but failed ones (one that
        just synced is "loading" in the others' gossip for a while)."""
        port = next(port for port, node in self.nodes.items() if node.running)
        with self.client(port) as client:
            reply = client.execute_command("CLUSTER SHARDS")
        shards = []
        for shard in reply:
            slots = shard["slots"]
            ranges = tuple((int(slots[i]), int(slots[i + 1])) for i in range(0, len(slots), 2))
            nodes = shard["nodes"]
            masters = [int(n["port"]) for n in nodes if n["role"] == "master" and n["health"] == "online"]
            if masters and ranges:
                replicas = tuple(
                    int(n["port"]) for n in nodes if n["role"] == "replica" and n["health"] != "fail"
                )
                shards.append(Shard(masters[0], replicas, ranges))
        return shards

    def shard_of(self, name: str) -> Shard:
        """The shard of a key, or of every key whose hash tag is `{name}` (a room's keys)."""
        port = next(port for port, node in self.nodes.items() if node.running)
        with self.client(port) as client:
            slot = int(client.execute_command("CLUSTER KEYSLOT", name))
        return next(shard for shard in self.shards() if shard.owns(slot))

    def move_slot(self, name: str, to_master: int) -> None:
        """Migrate the slot of `name` (and every key in it) to another master, as resharding does."""
        with self.client(self.ports[0]) as client:
            slot = int(client.execute_command("CLUSTER KEYSLOT", name))
        source = self.shard_of(name).master
        with self.client(source) as src, self.client(to_master) as dst:
            src_id, dst_id = src.execute_command("CLUSTER MYID"), dst.execute_command("CLUSTER MYID")
            dst.execute_command("CLUSTER SETSLOT", slot, "IMPORTING", src_id)
            src.execute_command("CLUSTER SETSLOT", slot, "MIGRATING", dst_id)
            while names := src.execute_command("CLUSTER GETKEYSINSLOT", slot, 100):
                argv = ["MIGRATE", HOST, to_master, "", 0, 5000]
                if self.password:
                    argv += ["AUTH", self.password]
                src.execute_command(*argv, "KEYS", *names)
            for node in (dst, src):
                node.execute_command("CLUSTER SETSLOT", slot, "NODE", dst_id)
        self.wait_healthy()

    def wait_promoted(self, name: str, dead_master: int, timeout: float = 60.0) -> int:
        """Until another node serves `name`'s slot as master and the cluster is ok again; its port."""
        deadline = time.monotonic() + timeout
        while True:
            with contextlib.suppress(redis.RedisError, OSError, StopIteration):
                shard = self.shard_of(name)
                port = next(p for p, node in self.nodes.items() if node.running)
                with self.client(port) as client:
                    state = client.execute_command("CLUSTER INFO").get("cluster_state")
                if shard.master != dead_master and state == "ok":
                    return shard.master
            if time.monotonic() > deadline:
                raise TimeoutError(f"no replica took over from {dead_master} within {timeout}s")
            time.sleep(0.05)
