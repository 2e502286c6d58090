"""Threads over HTTP (docs/protocol.md, "Threads"): a message's replies, and the reply count
and last repliers that history shows on each message replied to."""

from __future__ import annotations

from fastapi import APIRouter, Request

from chat_backend.http.errors import ApiError
from chat_backend.http.routes import MessagePath, RoomPath, User, error_responses, visible_room
from chat_backend.http.services import services
from chat_backend.protocol import ThreadPage

router = APIRouter(prefix="/api/rooms/{room}")


@router.get(
    "/messages/{message}/thread",
    response_model=ThreadPage,
    response_model_exclude_none=True,
    responses=error_responses(401, 404, 422),
)
async def thread(request: Request, user: User, room: RoomPath, message: MessagePath) -> ThreadPage:
    """The message and its replies, oldest first: from PostgreSQL for a message older than
    the Redis window."""
    await visible_room(request, user, room)
    found = await services(request).thread_history.thread(room, message)
    if found is None:
        raise ApiError(404, "unknown_message", f"no message {message!r} in {room!r} to have replies")
    parent, replies = found
    return ThreadPage(parent=parent, messages=replies)
