"""Property-based fuzzing of WebSocket frames: random JSON, wrong types, huge and binary
frames, unknown types. Each is answered with an error frame (or, for frames over the size
limit, a clean close with 1009), and a bystander on the same server keeps being served."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from devstack.backend_server import BackendServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from tests.drills import figures
from tests.drills.chat_peer import Account, open_socket, register
from tests.drills.drill_env import ORIGIN
from tests.drills.raw_socket import StalledClient

MAX_FRAME = 64 * 1024  # MAX_FRAME_BYTES default
SERVER_TYPES = {"ack", "message", "presence", "typing", "pong", "error"}
ERROR_CODES = {
    "bad_json", "bad_frame", "missing_field", "invalid_field", "unknown_type", "binary_unsupported",
    "too_long", "unknown_room", "not_subscribed", "rate_limited", "unavailable",
}  # fmt: skip
CLIENT_TYPES = ["subscribe", "unsubscribe", "message", "typing", "ping"]

int64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)  # what JSON libraries round-trip
json_values = st.recursive(
    st.none() | st.booleans() | int64 | st.floats(allow_nan=False) | st.text(max_size=50),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
# Frames the server must refuse with an error frame: (frame, "refuse")
not_json = st.text(min_size=1, max_size=200).filter(lambda t: not _is_json(t))
not_object = json_values.filter(lambda v: not isinstance(v, dict)).map(lambda v: orjson.dumps(v).decode())
unknown_type = st.builds(
    lambda kind, extra: orjson.dumps({**extra, "type": kind}).decode(),
    st.one_of(st.text(max_size=30).filter(lambda k: k not in CLIENT_TYPES), int64, st.none()),
    st.dictionaries(st.text(max_size=8), json_values, max_size=3),
)
wrong_types = st.builds(
    lambda kind, field, value: orjson.dumps({"type": kind, field: value}).decode(),
    st.sampled_from(["subscribe", "unsubscribe", "message", "typing"]),
    st.sampled_from(["room", "text", "client_id", "since"]),
    st.one_of(int64, st.floats(allow_nan=False), st.lists(int64, max_size=3), st.booleans()),
)
binary = st.binary(min_size=1, max_size=2048)
# Frames that may or may not be valid: anything goes except a server error or a broken socket.
known_type_random_fields = st.builds(
    lambda kind, fields: orjson.dumps({**fields, "type": kind}).decode(),
    st.sampled_from(CLIENT_TYPES),
    st.dictionaries(st.sampled_from(["room", "text", "client_id", "since", "user", "id"]), json_values),
)
huge = st.integers(min_value=MAX_FRAME + 1, max_value=2 * MAX_FRAME).map(lambda n: "x" * n)

fuzz_frames = st.one_of(
    not_json.map(lambda f: (f, "refuse")),
    not_object.map(lambda f: (f, "refuse")),
    unknown_type.map(lambda f: (f, "refuse")),
    wrong_types.map(lambda f: (f, "refuse")),
    binary.map(lambda f: (f, "refuse")),
    known_type_random_fields.map(lambda f: (f, "any")),
    huge.map(lambda f: (f, "close")),
)


def _is_json(text: str) -> bool:
    try:
        orjson.loads(text)
    except orjson.JSONDecodeError:
        return False
    return True


def _is_ping(frame: str | bytes) -> bool:
    """A frame the server parses as a ping (extra fields are ignored), so it answers a pong."""
    if isinstance(frame, bytes) or not _is_json(frame):
        return False
    data = orjson.loads(frame)
    return isinstance(data, dict) and data.get("type") == "ping"


class Harness:
    """The fuzzed socket (reopened after a close) and a bystander, on one event loop."""

    def __init__(self, base_url: str, fuzzer: Account, bystander: Account):
        self.loop = asyncio.new_event_loop()
        self.base_url, self.fuzzer = base_url, fuzzer
        self.port = int(base_url.rsplit(":", 1)[1])
        self.socket: ClientConnection | None = None
        self.bystander = self.run(open_socket(base_url, ORIGIN, bystander.cookie))
        self.counts = {"refuse": 0, "any": 0, "close": 0}
        self.close_codes: dict[int | None, int] = {}

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    async def answers_until_pong(self, ws: ClientConnection, pongs: int = 1) -> list[dict[str, Any]]:
        """Frames answered before the pong to our own ping (`pongs` = 2 if the probe was a ping)."""
        await ws.send('{"type":"ping"}')
        frames = []
        async with asyncio.timeout(10):
            while pongs:
                frame = orjson.loads(await ws.recv())
                assert isinstance(frame, dict), frame
                assert frame.get("type") in SERVER_TYPES, frame
                if frame["type"] == "pong":
                    pongs -= 1
                else:
                    frames.append(frame)
        return frames

    def oversize(self, frame: str) -> int | None:
        """The close code the server answers a frame over the limit with, read off the wire:
        it closes TCP with the rest of the frame unread, and the reset that follows can hide
        the close frame from a WebSocket library (which then reports 1006)."""
        client = StalledClient(self.port, ORIGIN, self.fuzzer.cookie, receive_buffer=1 << 20)
        with contextlib.suppress(OSError):  # the server may close before we finish sending
            client.send_text(frame.encode())
        return client.drain(timeout=10).close_code

    async def probe(self, frame: str | bytes, expect: str) -> None:
        self.counts[expect] += 1
        if expect == "close":
            assert isinstance(frame, str)
            code = await asyncio.to_thread(self.oversize, frame)
            self.close_codes[code] = self.close_codes.get(code, 0) + 1
            assert code == 1009, f"a frame over the limit was answered with close code {code}"
            assert await self.answers_until_pong(self.bystander) == []
            return
        if self.socket is None or self.socket.close_code is not None:
            self.socket = await open_socket(self.base_url, ORIGIN, self.fuzzer.cookie)
        ws = self.socket
        try:
            await ws.send(frame)
            answers = await self.answers_until_pong(ws, 2 if _is_ping(frame) else 1)
        except ConnectionClosed:
            raise AssertionError(f"socket closed ({ws.close_code}) after {frame[:80]!r}") from None
        else:
            errors = [a for a in answers if a["type"] == "error"]
            for error in errors:
                assert error["code"] in ERROR_CODES, error
                assert error["detail"], error
            if expect == "refuse":
                assert errors, f"no error frame for {frame[:80]!r}: {answers}"
        # Whatever the fuzzer did, the bystander is still served.
        assert await self.answers_until_pong(self.bystander) == []

    def close(self) -> None:
        for ws in (self.socket, self.bystander):
            if ws is not None:
                self.run(ws.close())
        self.loop.close()


@pytest.fixture(scope="module")
def harness(shared_backend: BackendServer) -> Iterator[Harness]:
    fuzzer, bystander = (asyncio.run(register(shared_backend.url)) for _ in range(2))
    running = Harness(shared_backend.url, fuzzer, bystander)
    yield running
    running.close()


@given(case=fuzz_frames)
@settings(
    max_examples=250,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
def test_every_bad_frame_gets_an_error_frame_or_a_clean_close(
    harness: Harness, case: tuple[str | bytes, str]
) -> None:
    frame, expect = case
    harness.run(harness.probe(frame, expect))
    figures.record("websocket fuzzer", **harness.counts, close_codes=harness.close_codes)
