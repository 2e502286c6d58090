"""Client → server WebSocket frames: validated into the protocol models.

Every way a frame can be wrong maps to an error code and a reason the client can show.
"""

from __future__ import annotations

from typing import Any, get_args

import orjson
from pydantic import TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from chat_backend.protocol import ClientFrame, Delete, Edit, ErrorCode, ErrorFrame, Send


class FrameError(Exception):
    """A refused frame, answered with an error frame."""

    def __init__(
        self, code: ErrorCode, detail: str, client_id: str | None = None, retry_after_ms: int | None = None
    ):
        super().__init__(detail)
        self.code = code
        self.frame = ErrorFrame(code=code, detail=detail, client_id=client_id, retry_after_ms=retry_after_ms)


_CLIENT_FRAME: TypeAdapter[ClientFrame] = TypeAdapter(ClientFrame)
# What a field must be, as the models describe it (the schema shows the same words).
_MUST_BE = {
    name: f"must be {field.description}"
    for model in get_args(get_args(ClientFrame)[0])
    for name, field in model.model_fields.items()
    if field.description
}
_REASONS = {
    "missing": "is required",
    "string_type": "must be a string",
    "int_type": "must be an integer",
    "bool_type": "must be true or false",
}
# Frames that store something check client_id first: a refusal of such a frame names it.
_WITH_CLIENT_ID = {str(model.model_fields["type"].default) for model in (Send, Edit, Delete)}


def parse(raw: str, max_message_length: int) -> ClientFrame:
    try:
        frame = _CLIENT_FRAME.validate_json(raw)  # the common case: one pass, no dict in between
    except ValidationError:
        frame = _checked(raw)  # what is wrong with it, step by step
    if isinstance(frame, Send | Edit) and len(frame.text) > max_message_length:
        detail = f"'text' is longer than {max_message_length} characters"
        raise FrameError(ErrorCode.TOO_LONG, detail, frame.client_id)
    return frame


def _checked(raw: str) -> ClientFrame:
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise FrameError(ErrorCode.BAD_JSON, "frame is not valid JSON") from None
    if not isinstance(data, dict):
        raise FrameError(ErrorCode.BAD_FRAME, "frame must be a JSON object with a 'type'")
    if data.get("type") is None:
        raise FrameError(ErrorCode.MISSING_FIELD, "'type' is required")
    try:
        return _CLIENT_FRAME.validate_python(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_context=False, include_input=False)[0]
        raise _refusal(data, first) from None


def _refusal(data: dict[str, Any], error: ErrorDetails) -> FrameError:
    """The first thing wrong with the frame (pydantic checks fields in the models' order)."""
    if len(error["loc"]) < 2:  # the type names no client frame
        return FrameError(ErrorCode.UNKNOWN_TYPE, f"unknown frame type {str(data['type'])[:40]!r}")
    kind, name = error["loc"][:2]
    reason = (
        error["msg"]
        if error["type"] == "invalid"
        else _REASONS.get(error["type"], _MUST_BE.get(str(name), "is invalid"))
    )
    code = ErrorCode.MISSING_FIELD if error["type"] == "missing" else ErrorCode.INVALID_FIELD
    client_id = data["client_id"] if kind in _WITH_CLIENT_ID and name != "client_id" else None
    return FrameError(code, f"'{name}' {reason}", client_id)
