"""Reactions over HTTP (docs/protocol.md, "Reactions"): add or remove one's emoji on a
message, and read the reactions of the messages a client shows."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from chat_backend.http.errors import ApiError
from chat_backend.http.routes import MessagePath, RoomPath, User, error_responses, visible_room
from chat_backend.http.services import services
from chat_backend.protocol import MESSAGE_ID_MAX, MESSAGE_ID_PATTERN, MessageReactions, ReactionsPage
from chat_backend.store.messages import RateLimited
from chat_backend.store.reactions import Refused, canonical_emoji

router = APIRouter(prefix="/api/rooms/{room}")
EmojiPath = Annotated[str, Path(max_length=64)]
MAX_IDS = 200  # messages one reactions request asks about


async def _react(
    request: Request, user: str, room: str, message: str, emoji: str, add: bool
) -> MessageReactions:
    svc = services(request)
    await visible_room(request, user, room)
    canonical = canonical_emoji(emoji)
    if canonical is None:
        raise ApiError(422, "invalid_emoji", f"{emoji[:16]!r} is not one emoji")
    outcome = await svc.reactions.react(room, user, message, canonical, add)
    if isinstance(outcome, RateLimited):
        wait = -(-outcome.retry_after_ms // 1000)
        raise ApiError(
            429, "rate_limited", f"too many changes; retry in {wait} s", {"Retry-After": str(wait)}
        )
    if isinstance(outcome, Refused):
        if outcome.reason == "full":
            limit = svc.settings.max_reactions_per_message
            raise ApiError(409, "too_many_reactions", f"a message has at most {limit} different emoji")
        raise ApiError(404, "unknown_message", f"no message {message!r} in {room!r} (or it was deleted)")
    return outcome


@router.put(
    "/messages/{message}/reactions/{emoji}",
    response_model=MessageReactions,
    responses=error_responses(401, 404, 409, 422, 429),
)
async def add_reaction(
    request: Request, user: User, room: RoomPath, message: MessagePath, emoji: EmojiPath
) -> MessageReactions:
    """The caller's `emoji` on the message (again: no change); the message's reactions after."""
    return await _react(request, user, room, message, emoji, add=True)


@router.delete(
    "/messages/{message}/reactions/{emoji}",
    response_model=MessageReactions,
    responses=error_responses(401, 404, 409, 422, 429),
)
async def remove_reaction(
    request: Request, user: User, room: RoomPath, message: MessagePath, emoji: EmojiPath
) -> MessageReactions:
    """The caller's `emoji` off the message (not there: no change)."""
    return await _react(request, user, room, message, emoji, add=False)


@router.get("/reactions", response_model=ReactionsPage, responses=error_responses(401, 404, 422))
async def reactions(
    request: Request,
    user: User,
    room: RoomPath,
    ids: Annotated[
        list[Annotated[str, Query(max_length=MESSAGE_ID_MAX, pattern=MESSAGE_ID_PATTERN)]],
        Query(max_length=MAX_IDS),
    ],
) -> ReactionsPage:
    """The reactions of the messages `ids` (a repeated parameter, at most 200): from
    PostgreSQL for messages older than the Redis window."""
    await visible_room(request, user, room)
    return ReactionsPage(messages=await services(request).reaction_history.of(room, ids))
