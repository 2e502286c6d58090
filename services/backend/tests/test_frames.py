"""Client frames validated through the protocol models (no server needed): each refusal has
its code, a detail naming the field, and the send's client_id once that one is valid."""

from __future__ import annotations

import orjson
import pytest
from chat_backend.protocol import ErrorCode, ErrorFrame, Send, Subscribe, encode
from chat_backend.realtime import frames

LIMIT = 10  # MAX_MESSAGE_LENGTH for these cases


def send(**fields: object) -> str:
    return orjson.dumps(
        {"type": "message", "room": "general", "text": "hi", "client_id": "c1", **fields}
    ).decode()


REFUSED: list[tuple[str, ErrorCode, str, str | None]] = [
    ("nope", ErrorCode.BAD_JSON, "JSON", None),
    ("[]", ErrorCode.BAD_FRAME, "object", None),
    ('{"type": null}', ErrorCode.MISSING_FIELD, "'type'", None),
    ('{"type": ["ping"]}', ErrorCode.UNKNOWN_TYPE, "['ping']", None),
    ('{"type": "subscribe", "room": "general", "since": "1-x"}', ErrorCode.INVALID_FIELD, "'since'", None),
    (send(client_id=""), ErrorCode.INVALID_FIELD, "'client_id' must be 1-64 characters", None),
    (send(client_id=7, room="../x"), ErrorCode.INVALID_FIELD, "'client_id' must be a string", None),
    (send(room="../x", text=5), ErrorCode.INVALID_FIELD, "'room' must be a room name (3-32 of", "c1"),
    (send(text=None), ErrorCode.INVALID_FIELD, "'text' must be a string", "c1"),
    (send(text=" \n\t "), ErrorCode.INVALID_FIELD, "'text' must not be blank", "c1"),
    (send(text="a\x00b"), ErrorCode.INVALID_FIELD, "'text' must not contain NUL characters", "c1"),
    (send(text="x" * (LIMIT + 1)), ErrorCode.TOO_LONG, f"'text' is longer than {LIMIT} characters", "c1"),
    (send(thread="1-0", in_room="yes"), ErrorCode.INVALID_FIELD, "'in_room' must be true or false", "c1"),
]  # fmt: skip


@pytest.mark.parametrize(("raw", "code", "detail", "client_id"), REFUSED)
def test_a_refusal_names_the_field_and_the_send(
    raw: str, code: ErrorCode, detail: str, client_id: str | None
) -> None:
    with pytest.raises(frames.FrameError) as refused:
        frames.parse(raw, LIMIT)
    assert refused.value.frame.code == code
    assert detail in refused.value.frame.detail
    assert refused.value.frame.client_id == client_id


def test_valid_frames_become_models_and_unknown_fields_are_ignored() -> None:
    assert frames.parse(send(text="x" * LIMIT, user="admin"), LIMIT) == Send(
        room="general", text="x" * LIMIT, client_id="c1"
    )
    assert frames.parse('{"type": "subscribe", "room": "general", "since": "17"}', LIMIT) == Subscribe(
        room="general", since="17"
    )


def test_an_error_frame_leaves_out_what_it_does_not_have() -> None:
    assert orjson.loads(encode(ErrorFrame(code=ErrorCode.BAD_JSON, detail="no"))) == {
        "type": "error", "code": "bad_json", "detail": "no",
    }  # fmt: skip
