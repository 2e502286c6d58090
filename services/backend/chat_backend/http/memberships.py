"""Rooms' members and topics over HTTP (docs/protocol.md, "Members and topics"). A private
room that the caller is not in answers like a room that does not exist (404 unknown_room)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from chat_backend.http.errors import ApiError
from chat_backend.http.routes import RoomPath, User, error_responses, registered_users, visible_room
from chat_backend.http.services import services
from chat_backend.names import NAME_PATTERN, shows_nothing
from chat_backend.protocol import MemberPage, MemberRef, RoomInfo, TopicChange
from chat_backend.store.access import dm_members
from chat_backend.store.memberships import Outcome

router = APIRouter(prefix="/api/rooms/{room}")
UserPath = Annotated[str, Path(pattern=NAME_PATTERN)]


async def _a_room(request: Request, user: str, room: str) -> None:
    """The caller may see `room`, and it is a room, not a DM."""
    await visible_room(request, user, room)
    if dm_members(room) is not None:
        raise ApiError(422, "not_a_room", "a DM's members and topic are fixed")


def _refused(outcome: Outcome, room: str) -> None:
    if outcome == "full":
        raise ApiError(409, "room_full", f"{room!r} has MAX_ROOM_MEMBERS members")
    if outcome == "not_member":
        raise ApiError(403, "not_member", f"join {room!r} first")


@router.post(
    "/join",
    response_model=RoomInfo,
    response_model_exclude_none=True,
    responses=error_responses(401, 404, 409, 422),
)
async def join(request: Request, user: User, room: RoomPath) -> RoomInfo:
    """The caller joins the public room (a private room's members are added); joining again
    changes nothing."""
    svc = services(request)
    await _a_room(request, user, room)
    _refused(await svc.memberships.join(room, user), room)
    private = {room} if await svc.access.is_private(room) else set()
    (info,) = await svc.reads.infos(user, [room], joined={room}, private=private)
    return info


@router.post("/leave", status_code=204, responses=error_responses(401, 404, 422))
async def leave(request: Request, user: User, room: RoomPath) -> Response:
    """The caller leaves the room (a private one is then gone for them); leaving a room one
    is not in changes nothing."""
    svc = services(request)
    await _a_room(request, user, room)
    await svc.memberships.leave(room, user)
    return Response(status_code=204)


@router.get(
    "/members",
    response_model=MemberPage,
    response_model_exclude_none=True,
    responses=error_responses(401, 404, 422),
)
async def members(
    request: Request,
    user: User,
    room: RoomPath,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> MemberPage:
    """The room's members, online first; at most PEOPLE_PAGE_MAX a page."""
    svc = services(request)
    await visible_room(request, user, room)
    limit = min(limit, svc.settings.people_page_max)
    page = await svc.memberships.members(room, offset, limit)
    shown = await svc.profiles.display_names([member.username for member in page.members])
    listed = [
        member.model_copy(update={"display_name": shown.get(member.username)}) for member in page.members
    ]
    more = offset + limit < page.total
    return MemberPage(members=listed, total=page.total, next_offset=offset + limit if more else None)


@router.post(
    "/members",
    status_code=201,
    responses={200: {"description": "already a member"}, **error_responses(401, 403, 404, 409, 422)},
)
async def add_member(
    body: MemberRef, request: Request, response: Response, user: User, room: RoomPath
) -> None:
    """A member adds `username` (201; 200 if they were in it): a private room's invitation."""
    svc = services(request)
    await _a_room(request, user, room)
    (member,) = await registered_users(request, [body.username])
    outcome = await svc.memberships.add(room, user, member)
    _refused(outcome, room)
    if outcome == "unchanged":
        response.status_code = 200


@router.delete("/members/{username}", status_code=204, responses=error_responses(401, 403, 404, 422))
async def remove_member(request: Request, user: User, room: RoomPath, username: UserPath) -> Response:
    """A member of the private room removes `username` (themselves: leaving); removing one
    who is not in it changes nothing. Anyone may join a public room: nobody is removed from it."""
    svc = services(request)
    await _a_room(request, user, room)
    if not await svc.access.is_private(room):
        raise ApiError(403, "public_room", "anyone may join a public room; nobody is removed from one")
    _refused(await svc.memberships.remove(room, user, username), room)
    return Response(status_code=204)


@router.put("/topic", status_code=204, responses=error_responses(401, 403, 404, 422))
async def set_topic(body: TopicChange, request: Request, user: User, room: RoomPath) -> Response:
    """A member sets the topic (one that shows nothing clears it); subscribers get a `topic` frame."""
    svc = services(request)
    await _a_room(request, user, room)
    if len(body.topic) > svc.settings.max_topic_length:
        raise ApiError(422, "too_long", f"a topic has at most {svc.settings.max_topic_length} characters")
    topic = "" if shows_nothing(body.topic) else body.topic
    _refused(await svc.memberships.set_topic(room, user, topic), room)
    return Response(status_code=204)
