"""A backend worker killed (SIGKILL) mid-load: its clients reconnect to a live worker and,
with `since`, end with exactly the stored messages, checked per client by id."""

from __future__ import annotations

import asyncio
import signal
from collections import Counter

import psutil
from chatkit import Peer
from devstack.backend_server import BackendServer

from tests.drills import figures
from tests.drills.conftest import StartBackend, StartRedis
from tests.drills.conversation import converse, join
from tests.drills.drill_env import stored_client_ids, stored_ids
from tests.drills.workers import serving, wait_for_workers

PEERS = 12
PER_PEER = 30


def local_ports(peers: list[Peer]) -> dict[int, Peer]:
    ports = {}
    for peer in peers:
        assert peer.ws is not None
        ports[int(peer.ws.conn.local_address[1])] = peer
    return ports


async def test_clients_of_a_killed_worker_resume_with_exactly_the_stored_messages(
    start_redis: StartRedis, start_backend: StartBackend
) -> None:
    server = start_redis()
    backend: BackendServer = start_backend(server)
    wait_for_workers(backend, 2)
    peers = await join(backend.url, PEERS)
    by_port = local_ports(peers)
    victims: list[Peer] = []

    async def kill_busiest_worker() -> None:
        held = serving(backend, set(by_port))
        pid, ports = max(held.items(), key=lambda item: len(item[1]))
        assert ports, f"no worker holds our sockets: {held}"
        victims.extend(by_port[port] for port in ports)
        psutil.Process(pid).send_signal(signal.SIGKILL)

    try:
        outcome = await converse(peers, PER_PEER, kill_busiest_worker)
        ids = stored_ids(server)
        for peer in peers:
            await peer.wait_for(set(ids))
        await asyncio.sleep(0.5)  # anything extra (a duplicate) would arrive now
    finally:
        await asyncio.gather(*(peer.drop() for peer in peers))
    respawned = wait_for_workers(backend, 2)

    doubled = [cid for cid, n in Counter(stored_client_ids(server)).items() if n > 1]
    figures.record(
        "a backend worker killed with SIGKILL mid-load",
        "its clients see the socket drop, reconnect (to the other worker or the one uvicorn respawns), "
        "subscribe with `since` = the last id seen and resend unacked messages with the same "
        "`client_id`; nothing lost or stored twice, each client gets exactly the stored ids in order",
        peers=PEERS,
        on_killed_worker=len(victims),
        sent=outcome.sent,
        acked=len(outcome.acked),
        stored=len(ids),
        lost=len(outcome.acked - set(ids)),
        stored_twice=len(doubled),
        reconnects=sum(p.reconnects for p in peers),
        workers_after=len(respawned),
    )
    assert victims, "the drill must kill a worker that serves some of the clients"
    assert all(peer.reconnects >= 1 for peer in victims), "clients of the dead worker must reconnect"
    assert len(outcome.acked) == outcome.sent == len(ids)
    assert outcome.acked == set(ids)
    assert not doubled
    for peer in peers:
        assert peer.received == ids, (
            f"{peer.account.username}: {len(peer.received)} delivered vs {len(ids)} stored; "
            f"dups={[i for i, n in Counter(peer.received).items() if n > 1][:3]}"
        )
