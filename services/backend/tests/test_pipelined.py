"""The hot paths' own Redis connection (store/pipelined.py), on real redis-servers: AUTH and the
URL's database, a script the server forgot, a lost connection, error replies as redis-py's
exceptions, pub/sub messages handed over as they arrive."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis
from chat_backend.store.pipelined import Pipelined, ScriptRunner
from devstack.redis_server import RedisServer
from redis.exceptions import AuthenticationError, ConnectionError, ResponseError

pytestmark = pytest.mark.single_node  # servers of its own, one with a password

SECRET = "pipelined-test-password"
COUNT = "return redis.call('INCRBY', KEYS[1], ARGV[1])"


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("guarded"), password=SECRET)
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def plain(tmp_path: Path) -> AsyncIterator[tuple[RedisServer, aioredis.Redis]]:
    server = RedisServer(tmp_path)
    server.start()
    client = aioredis.Redis.from_url(server.url, decode_responses=True)
    try:
        yield server, client
    finally:
        await client.aclose()
        server.stop()


async def test_a_script_runs_behind_a_password_on_the_urls_database(guarded: RedisServer) -> None:
    url = guarded.url.removesuffix("/0") + "/3"
    client = aioredis.Redis.from_url(url, decode_responses=True)
    other = aioredis.Redis.from_url(guarded.url, decode_responses=True)  # database 0
    script = client.register_script(COUNT)
    runner = ScriptRunner()
    try:
        assert await runner.run(url, script, ["counted"], [2]) == 2
        assert await runner.run(url, script, ["counted"], [3]) == 5
        assert await client.get("counted") == "5"  # on database 3, where the URL points
        assert not await other.exists("counted")
    finally:
        runner.close()
        await client.aclose()
        await other.aclose()
    wrong = url.replace(SECRET, "not-the-password")
    with pytest.raises(AuthenticationError):
        await ScriptRunner().run(wrong, script, ["counted"], [1])


async def test_a_script_the_server_forgot_is_sent_whole(plain: tuple[RedisServer, aioredis.Redis]) -> None:
    server, client = plain
    script = client.register_script(COUNT)
    runner = ScriptRunner()
    try:
        assert await runner.run(server.url, script, ["n"], [1]) == 1
        await client.script_flush()  # as a restarted or newly promoted primary has none
        assert await runner.run(server.url, script, ["n"], [1]) == 2
        assert await client.script_exists(script.sha) == [True]  # cached again: EVALSHA next time
    finally:
        runner.close()


async def test_a_lost_connection_fails_its_calls_and_the_next_one_reconnects(
    plain: tuple[RedisServer, aioredis.Redis],
) -> None:
    server, client = plain
    script = client.register_script(COUNT)
    runner = ScriptRunner()
    conn = await Pipelined.open(server.url)
    try:
        assert await runner.run(server.url, script, ["n"], [1]) == 1
        waiting = conn.call("BLPOP", "never-filled", 0)
        await client.client_kill_filter(_type="normal", skipme=True)  # both connections
        with pytest.raises(ConnectionError):
            await asyncio.wait_for(waiting, 5)
        assert conn.closed
        with pytest.raises(ConnectionError):
            conn.call("PING")
        assert await runner.run(server.url, script, ["n"], [1]) == 2  # a fresh connection
    finally:
        runner.close()
        conn.close()


async def test_an_error_reply_raises_redis_pys_exception_and_the_next_reply_is_its_own(
    plain: tuple[RedisServer, aioredis.Redis],
) -> None:
    server, client = plain
    await client.set("text", "not a number")
    conn = await Pipelined.open(server.url)
    try:
        failing, after = conn.call("INCR", "text"), conn.call("GET", "text")
        with pytest.raises(ResponseError, match="not an integer"):
            await failing
        assert await after == "not a number"
    finally:
        conn.close()


async def test_pub_sub_messages_reach_the_callback_as_they_arrive(
    plain: tuple[RedisServer, aioredis.Redis],
) -> None:
    server, client = plain
    heard: asyncio.Queue[list[Any]] = asyncio.Queue()
    lost: asyncio.Future[Exception] = asyncio.get_running_loop().create_future()
    conn = await Pipelined.open(server.url)
    try:
        conn.subscribe_mode(heard.put_nowait, lost.set_result)
        conn.send("SSUBSCRIBE", "{room}:bell")
        assert await asyncio.wait_for(heard.get(), 5) == ["ssubscribe", "{room}:bell", 1]
        assert await client.execute_command("SPUBLISH", "{room}:bell", "ding") == 1
        assert await asyncio.wait_for(heard.get(), 5) == ["smessage", "{room}:bell", "ding"]
        await client.client_kill_filter(_type="pubsub", skipme=True)
        assert isinstance(await asyncio.wait_for(lost, 5), ConnectionError)
    finally:
        conn.close()
