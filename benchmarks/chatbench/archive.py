"""The PostgreSQL archive under load (`make bench-archive`, `python -m chatbench.archive`).

1. Archiver lag: redis-server, PostgreSQL and the backend (2 workers) from the shared launchers;
   senders post `Plan.rate` msgs/s over ROOMS rooms for `Plan.seconds`, each send acked;
   chat_archive_lag_seconds is sampled from /api/metrics all along, then until it is back to 0.
2. Reads from PostgreSQL: a room of `Plan.archived` messages bulk-loaded with COPY (the search index
   built after the load, as a restore would), the Redis side marked as trimmed so history past it
   is PostgreSQL's; then 50-message history pages at random depths and searches through the HTTP
   API, one after another, p50/p99 printed with the data size, beside the same statements run
   straight on PostgreSQL (the same query mix and snippet options).
The JSON (benchmarks/results/archive-<time>.json) carries the machine and the goals; copied to
docs/results/, `make docs` shows it on docs/storage.md. `--quick` runs every part small, for the
test that proves the benchmark works. Everything listens on 127.0.0.1 and is stopped before it
returns.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import secrets
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import redis
from chat_backend.archive.history import OLDER
from chat_backend.archive.search import SEARCH, headline_options
from chat_backend.protocol import Ack, Send
from chat_backend.store.keys import ONE_NODE
from chatkit import ChatClient, Socket, unique
from devstack import machine
from devstack.backend_server import BackendServer
from devstack.postgres_server import PostgresServer
from devstack.redis_server import RedisServer

from chatbench.percentiles import summary
from chatbench.stack import BENCH_ENV, ORIGIN

ROOMS = 5
SENDERS_PER_ROOM = 4
PAGE = 50
WARM_UP = 20
READ_GOAL_MS = 50.0  # p99 of a history page and of a search, through the HTTP API
WORDS = [f"w{n}" for n in range(5000)]  # the archive's vocabulary: each word in ~0.16% of messages
LAG_LINE = re.compile(r"^chat_archive_lag_seconds(?:\{[^}]*\})? (\S+)$", re.MULTILINE)
READS = (("history_page_of_50", "history page of 50"), ("search_20_newest", "search, 20 newest"))
METRICS_TOKEN = secrets.token_urlsafe(32)  # only its bearer reads /api/metrics


@dataclass(frozen=True)
class Plan:
    rate: int = 1200  # msgs/s: the fan-out benchmark's top step
    seconds: float = 10
    archived: int = 1_000_000
    reads: int = 300


QUICK = Plan(rate=100, seconds=1, archived=5_000, reads=20)


async def _lag(http: httpx.AsyncClient) -> float:
    answer = await http.get("/api/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    found = LAG_LINE.search(answer.text)
    if found is None:
        raise RuntimeError(f"no chat_archive_lag_seconds in /api/metrics ({answer.status_code})")
    return float(found.group(1))


async def _sender(ws: Socket, room: str, per_second: float, seconds: float, acked: list[int]) -> None:
    """Sends paced at `per_second`, acks read as they come."""
    total = int(per_second * seconds)

    async def read() -> None:
        for _ in range(total):
            await ws.expect(Ack, timeout=30)
            acked.append(1)

    reader = asyncio.create_task(read())
    started = time.monotonic()
    for n in range(total):
        await asyncio.sleep(max(0.0, started + n / per_second - time.monotonic()))
        text = f"{unique('probe')} {random.choice(WORDS)}"
        await ws.send(Send(room=room, text=text, client_id=unique("c")))
    await reader


async def measure_lag(backend: BackendServer, plan: Plan) -> dict[str, Any]:
    users = [ChatClient(backend.url, ORIGIN) for _ in range(ROOMS * SENDERS_PER_ROOM)]
    for user in users:
        await user.register()
    rooms = [unique("bench") for _ in range(ROOMS)]
    for room in rooms:
        await users[0].create_room(room)
    sockets = [await user.ws() for user in users]
    acked: list[int] = []
    samples: list[float] = []
    per_sender = plan.rate / len(sockets)
    done = asyncio.Event()

    async def sample() -> None:
        while not done.is_set():
            samples.append(await _lag(users[0].http))
            await asyncio.sleep(0.25)

    sampler = asyncio.create_task(sample())
    started = time.monotonic()
    await asyncio.gather(
        *(_sender(ws, rooms[n % ROOMS], per_sender, plan.seconds, acked) for n, ws in enumerate(sockets))
    )
    sent_seconds = time.monotonic() - started
    done.set()
    await sampler
    drained = time.monotonic()
    while await _lag(users[0].http) > 0:  # noqa: ASYNC110 (polls the server's metric)
        await asyncio.sleep(0.1)
    for ws in sockets:
        await ws.close()
    for user in users:
        await user.aclose()
    return {
        "offered_msgs_per_s": plan.rate,
        "acked": len(acked),
        "acked_msgs_per_s": round(len(acked) / sent_seconds),
        "lag_max_s": max(samples),
        "lag_p50_s": sorted(samples)[len(samples) // 2],
        "to_zero_after_load_s": round(time.monotonic() - drained, 2),
    }


def bulk_load(postgres: PostgresServer, database: str, room: str, archived: int) -> dict[str, Any]:
    """`archived` messages into the room with COPY, oldest 5 years back; returns the sizes."""
    rng = random.Random(7)
    first_ms = int(time.time() * 1000) - 5 * 365 * 86_400_000
    started = time.monotonic()
    with postgres.connect(database) as conn:
        conn.execute("SET maintenance_work_mem = '256MB'")
        conn.execute("DROP INDEX messages_search")  # built once after the load: far cheaper
        columns = "room, id_ms, id_seq, author, body, ts, client_id, seq"
        with conn.cursor() as cur, cur.copy(f"COPY messages ({columns}) FROM STDIN") as copy:
            for n in range(archived):
                ms = first_ms + n * 150
                text = " ".join(rng.choice(WORDS) for _ in range(8))
                copy.write_row((room, ms, 0, "loader", text, ms, f"c{n}", n + 1))
        conn.execute("CREATE INDEX messages_search ON messages USING gin (search)")
        conn.execute("VACUUM ANALYZE messages")
        conn.execute("CHECKPOINT")  # the load's WAL flushed now, not during the measured reads
        size = conn.execute("SELECT pg_total_relation_size('messages')").fetchone()
    return {
        "messages": archived,
        "table_and_indexes_mb": round(int(size[0]) / 2**20) if size else None,
        "load_seconds": round(time.monotonic() - started, 1),
        "first_ms": first_ms,
    }


def query(rng: random.Random, n: int) -> str:
    """Every other search one word, the others two words or-ed (twice the matches)."""
    return rng.choice(WORDS) if n % 2 else f"{rng.choice(WORDS)} or {rng.choice(WORDS)}"


async def measure_reads(backend: BackendServer, room: str, first_ms: int, plan: Plan) -> dict[str, Any]:
    user = ChatClient(backend.url, ORIGIN)
    await user.register()
    rng = random.Random(11)
    pages: list[int] = []
    searches: list[int] = []
    found: list[int] = []
    for _ in range(WARM_UP):  # each worker's pool connected, its statements prepared
        await user.http.get(f"/api/rooms/{room}/messages", params={"limit": PAGE, "before": f"{first_ms}-0"})
        await user.http.get("/api/search", params={"q": rng.choice(WORDS)})
    for _ in range(plan.reads):
        before = f"{first_ms + rng.randrange(PAGE, plan.archived) * 150}-0"
        started = time.perf_counter_ns()
        params: dict[str, str | int] = {"limit": PAGE, "before": before}
        response = await user.http.get(f"/api/rooms/{room}/messages", params=params)
        pages.append((time.perf_counter_ns() - started) // 1000)
        assert response.status_code == 200, response.text
        assert len(response.json()["messages"]) == PAGE
    for n in range(plan.reads):
        q = query(rng, n)
        started = time.perf_counter_ns()
        response = await user.http.get("/api/search", params={"q": q})
        searches.append((time.perf_counter_ns() - started) // 1000)
        assert response.status_code == 200, response.text
        found.append(len(response.json()["results"]))
    await user.aclose()
    return {
        "history_page_of_50": summary(pages),
        "search_20_newest": summary(searches),
        "search_results_mean": round(sum(found) / len(found), 1),
    }


def measure_sql(postgres: PostgresServer, room: str, first_ms: int, plan: Plan) -> dict[str, Any]:
    """The same two statements the backend runs, straight on PostgreSQL: its share of the time."""
    rng = random.Random(13)
    pages: list[int] = []
    searches: list[int] = []
    with postgres.connect() as conn:
        for n in range(WARM_UP + plan.reads):
            started = time.perf_counter_ns()
            conn.execute(
                OLDER, (room, first_ms + rng.randrange(PAGE, plan.archived) * 150, 0, PAGE)
            ).fetchall()
            if n >= WARM_UP:
                pages.append((time.perf_counter_ns() - started) // 1000)
            params = {"q": query(rng, n), "rooms": [room], "limit": 20, "options": headline_options("S", "E")}
            started = time.perf_counter_ns()
            conn.execute(SEARCH, params).fetchall()
            if n >= WARM_UP:
                searches.append((time.perf_counter_ns() - started) // 1000)
    return {"history_page_of_50": summary(pages), "search_20_newest": summary(searches)}


def goals(reads: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "name": f"{label}, p99 through the HTTP API",
            "target": f"<= {READ_GOAL_MS:g} ms",
            "measured": f"{reads[key]['p99_ms']:.1f} ms",
            "met": reads[key]["p99_ms"] <= READ_GOAL_MS,
        }
        for key, label in (
            ("history_page_of_50", "history page of 50"),
            ("search_20_newest", "search, 20 newest"),
        )
    ]


async def run(workdir: Path, plan: Plan) -> dict[str, Any]:
    store = RedisServer(workdir / "redis")
    postgres = PostgresServer(workdir / "postgres")
    store.start()
    postgres.start()
    backend = BackendServer(
        workdir / "backend",
        redis_url=store.url,
        allowed_origins=ORIGIN,
        session_secret=unique("secret") * 3,
        extra_env={
            **BENCH_ENV,
            "DATABASE_URL": postgres.url,
            "DATABASE_PASSWORD": postgres.password,
            "METRICS_TOKEN": METRICS_TOKEN,
        },
    )
    try:
        backend.start(timeout=60)
        result: dict[str, Any] = {"machine": machine.describe(), "started": machine.utc_now()}
        result["archiver"] = await measure_lag(backend, plan)
        room = unique("archive")
        with redis.Redis(port=store.port, decode_responses=True) as client:
            client.sadd(ONE_NODE.ROOMS, room)
        result["data"] = bulk_load(postgres, "chat", room, plan.archived)
        with redis.Redis(port=store.port, decode_responses=True) as client:
            # What the archiver leaves once it trimmed a room: the stream's history is PostgreSQL's.
            last = f"{result['data']['first_ms'] + (plan.archived - 1) * 150}-0"
            client.set(ONE_NODE.archived(room), last)
            client.set(ONE_NODE.trimmed(room), last)
        result["reads"] = await measure_reads(backend, room, result["data"]["first_ms"], plan)
        result["sql_alone"] = measure_sql(postgres, room, result["data"]["first_ms"], plan)
        result["goals"] = goals(result["reads"])
        return result
    finally:
        backend.stop()
        postgres.remove()
        store.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    parser.add_argument("--quick", action="store_true", help="every part small: proves the benchmark works")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="chat-archive-bench-") as scratch:
        result = asyncio.run(run(Path(scratch), QUICK if args.quick else Plan()))
    print(json.dumps(result, indent=2))
    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / f"archive-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
