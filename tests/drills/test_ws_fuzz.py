"""Property-based fuzzing of WebSocket frames: random JSON, wrong types, huge and binary
frames, unknown types. Each is answered with an error frame (or, for frames over the size
limit, a clean close with 1009), and a bystander on the same server keeps being served.
Valid frames are drawn from the protocol models, so a frame type added there is fuzzed too,
and the server must not refuse them for their shape."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from chat_backend.protocol import (
    MAX_SEQ,
    ActivityNotice,
    ClientFrame,
    ErrorCode,
    ErrorFrame,
    Pong,
    RoomNotice,
    ServerFrame,
)
from chatkit import Account, Socket, connect, encode, frame_types, register, tag, ws_url
from devstack.backend_server import BackendServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, TypeAdapter, ValidationError
from websockets.exceptions import ConnectionClosed

from tests.drills import figures
from tests.drills.drill_env import ORIGIN, ROOM
from tests.drills.raw_socket import StalledClient

MAX_FRAME = 64 * 1024  # MAX_FRAME_BYTES default
SERVER_TYPES = {tag(frame_type) for frame_type in frame_types(ServerFrame)}
ERROR_CODES = {code.value for code in ErrorCode}
# A frame the models accept may be refused for the server's state or settings, not its shape.
NOT_ABOUT_SHAPE = {
    ErrorCode.UNKNOWN_ROOM,
    ErrorCode.UNKNOWN_MESSAGE,  # an edit or delete of an id no message of the room has
    ErrorCode.FORBIDDEN,  # ... or someone else's
    ErrorCode.NOT_SUBSCRIBED,
    ErrorCode.RATE_LIMITED,
    ErrorCode.UNAVAILABLE,
    ErrorCode.TOO_LONG,  # the limit is a server setting, MAX_MESSAGE_LENGTH
}
CLIENT_FRAME: TypeAdapter[ClientFrame] = TypeAdapter(ClientFrame)
CLIENT_FRAMES = frame_types(ClientFrame)
CLIENT_TYPES = [tag(frame_type) for frame_type in CLIENT_FRAMES]
# Every field a client frame has, but its type, and frame types that have any of them.
CLIENT_FIELDS = sorted({name for frame_type in CLIENT_FRAMES for name in frame_type.model_fields} - {"type"})
TYPES_WITH_FIELDS = [tag(t) for t in CLIENT_FRAMES if set(t.model_fields) - {"type"}]

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
    st.sampled_from(TYPES_WITH_FIELDS),
    st.sampled_from(CLIENT_FIELDS),
    st.one_of(int64, st.floats(allow_nan=False), st.lists(int64, max_size=3), st.booleans()),
)
binary = st.binary(min_size=1, max_size=2048)
# Frames that may or may not be valid: anything goes except a server error or a broken socket.
known_type_random_fields = st.builds(
    lambda kind, fields: orjson.dumps({**fields, "type": kind}).decode(),
    st.sampled_from(CLIENT_TYPES),
    st.dictionaries(st.sampled_from([*CLIENT_FIELDS, "user", "id"]), json_values),
)
huge = st.integers(min_value=MAX_FRAME + 1, max_value=2 * MAX_FRAME).map(lambda n: "x" * n)
STRING_KEYWORDS = {"type", "title", "description", "pattern", "minLength", "maxLength"}
INTEGER_KEYWORDS = {"type", "title", "description"}


def field_values(name: str, schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values of one field as the model's JSON schema describes it. A kind of field not
    handled here fails the module's import: extend this rather than leave it unfuzzed."""
    if "anyOf" in schema:
        return st.one_of(*(field_values(name, option) for option in schema["anyOf"]))
    if "const" in schema:
        return st.just(schema["const"])
    if schema.get("type") == "null":
        return st.none()
    if schema.get("type") == "boolean":
        return st.booleans()
    if name == "seq" and schema.get("type") == "integer" and set(schema) <= INTEGER_KEYWORDS:
        # Its bounds are the model's (the schema has no numeric keywords).
        return st.integers(min_value=0, max_value=MAX_SEQ)
    if schema.get("type") != "string" or not set(schema) <= STRING_KEYWORDS:
        raise NotImplementedError(f"no strategy for field {name!r}: {schema}")
    shortest, longest = schema.get("minLength", 0), schema.get("maxLength", 200)
    if "pattern" in schema:
        values = st.from_regex(schema["pattern"], fullmatch=True)
        values = values.filter(lambda value: shortest <= len(value) <= longest)
    else:
        values = st.text(min_size=shortest, max_size=longest)
    # Random names are rooms nobody created: half the frames name one that exists.
    return st.just(ROOM) | values if name == "room" else values


def accepted(fields: dict[str, Any]) -> bool:
    """The models have rules their schema cannot state (a text must not be blank)."""
    try:
        CLIENT_FRAME.validate_python(fields)
    except ValidationError:
        return False
    return True


def valid_frames(frame_type: type[BaseModel]) -> st.SearchStrategy[str]:
    schema = frame_type.model_json_schema()
    fields = {name: field_values(name, field) for name, field in schema["properties"].items()}
    required = set(schema.get("required", ()))
    return (
        st.fixed_dictionaries(
            {name: values for name, values in fields.items() if name in required},
            optional={name: values for name, values in fields.items() if name not in required},
        )
        .filter(accepted)
        .map(lambda drawn: encode(CLIENT_FRAME.validate_python(drawn)))
    )


fuzz_frames = st.one_of(
    not_json.map(lambda f: (f, "refuse")),
    not_object.map(lambda f: (f, "refuse")),
    unknown_type.map(lambda f: (f, "refuse")),
    wrong_types.map(lambda f: (f, "refuse")),
    binary.map(lambda f: (f, "refuse")),
    known_type_random_fields.map(lambda f: (f, "any")),
    huge.map(lambda f: (f, "close")),
    st.one_of(*map(valid_frames, CLIENT_FRAMES)).map(lambda f: (f, "valid")),
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
        self.url, self.fuzzer = ws_url(base_url), fuzzer
        self.port = int(base_url.rsplit(":", 1)[1])
        self.socket: Socket | None = None
        self.bystander = self.run(connect(self.url, ORIGIN, bystander.cookie))
        self.counts = {"refuse": 0, "any": 0, "valid": 0, "close": 0}
        self.close_codes: dict[int | None, int] = {}

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    async def answers_until_pong(self, ws: Socket, probe_was_ping: bool = False) -> list[ServerFrame]:
        """Frames answered before the pong to our own ping (and the probe's pong, if it was a
        ping). Each was decoded into a protocol model, or the kit raised."""
        if probe_was_ping:
            await ws.expect(Pong, timeout=10)
        frames = await ws.until_pong(timeout=10)
        for frame in frames:
            assert frame.type in SERVER_TYPES, frame
        return frames

    async def bystander_answers(self) -> list[ServerFrame]:
        """What the bystander got but the frames every socket may get (new rooms, activity:
        the fuzzer's valid frames create messages)."""
        frames = await self.answers_until_pong(self.bystander)
        return [frame for frame in frames if not isinstance(frame, ActivityNotice | RoomNotice)]

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
            assert await self.bystander_answers() == []
            return
        if self.socket is None or self.socket.conn.close_code is not None:
            self.socket = await connect(self.url, ORIGIN, self.fuzzer.cookie)
        ws = self.socket
        try:
            await ws.send(frame)
            answers = await self.answers_until_pong(ws, _is_ping(frame))
        except ConnectionClosed:
            raise AssertionError(f"socket closed ({ws.conn.close_code}) after {frame[:80]!r}") from None
        else:
            errors = [a for a in answers if isinstance(a, ErrorFrame)]
            for error in errors:
                assert error.code in ERROR_CODES, error
                assert error.detail, error
            if expect == "refuse":
                assert errors, f"no error frame for {frame[:80]!r}: {answers}"
            if expect == "valid":
                refused = [error for error in errors if error.code not in NOT_ABOUT_SHAPE]
                assert not refused, f"a frame the models accept was refused: {frame[:80]!r}: {refused}"
        # Whatever the fuzzer did, the bystander is still served.
        assert await self.bystander_answers() == []

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
    figures.record(
        "bad WebSocket frames: Hypothesis (random JSON, non-objects, wrong types, unknown types, binary, "
        "over 64 KiB)",
        "each gets an error frame with a known code, or for an oversize frame a close 1009; a bystander "
        "keeps getting answers",
        **harness.counts,
        close_codes=harness.close_codes,
    )


@pytest.mark.parametrize("frame_type", CLIENT_FRAMES, ids=CLIENT_TYPES)
@given(data=st.data())
@settings(
    max_examples=15,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
def test_every_client_frame_type_is_drawn_and_accepted_for_its_shape(
    harness: Harness, frame_type: type[BaseModel], data: st.DataObject
) -> None:
    """The mixed run above may draw few frames of one type: here each type gets its own."""
    harness.run(harness.probe(data.draw(valid_frames(frame_type)), "valid"))
