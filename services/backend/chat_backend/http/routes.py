"""The HTTP half of the protocol (docs/protocol.md), all under /api (the WebSocket upgrade:
upgrade.py)."""

from __future__ import annotations

import contextlib
import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic.json_schema import SkipJsonSchema
from redis.exceptions import RedisError

from chat_backend import metrics
from chat_backend.archive.search import search as search_messages
from chat_backend.http.client_ip import client_ip
from chat_backend.http.errors import HISTORY_UNAVAILABLE, ApiError
from chat_backend.http.services import SESSION_COOKIE, Services, services
from chat_backend.names import DM_MAX_MEMBERS, NO_NUL, PASSWORD_MAX, PASSWORD_MIN, ROOM_NAME_PATTERN, Name
from chat_backend.protocol import (
    MAX_SEQ,
    MESSAGE_ID_MAX,
    MESSAGE_ID_PATTERN,
    ErrorBody,
    Message,
    NewRoom,
    RoomInfo,
    SearchHit,
    json_integer,
)
from chat_backend.store.rooms import room_info

router = APIRouter(prefix="/api")


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The error answers a route documents; any route may say 403 (a foreign Origin), 413
    (body) or 503 (Redis down, or too busy)."""
    return {code: {"model": ErrorBody} for code in (*codes, 403, 413, 503)}


class Credentials(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: Name
    password: Annotated[str, Field(min_length=PASSWORD_MIN, max_length=PASSWORD_MAX)]


class Me(BaseModel):
    username: str


class Profile(Me):
    display_name: str | None = None


Others = Annotated[list[Name], Field(min_length=1, max_length=DM_MAX_MEMBERS - 1)]


class NewDm(BaseModel):
    """The other member (`username`), or the others of a group DM (`usernames`)."""

    # Exactly one of the two, as the schema says too (a validator alone is invisible to clients).
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"oneOf": [{"required": ["username"]}, {"required": ["usernames"]}]},
    )
    username: Name | SkipJsonSchema[None] = None
    usernames: (
        Annotated[list[Name], Field(min_length=1, max_length=DM_MAX_MEMBERS - 1)] | SkipJsonSchema[None]
    ) = None

    @model_validator(mode="after")
    def one_of_the_two(self) -> NewDm:
        if (self.username is None) == (self.usernames is None):
            raise ValueError("give `username` or `usernames`")
        return self

    @property
    def others(self) -> list[str]:
        return [self.username] if self.username is not None else list(self.usernames or ())


class ReadUpTo(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # The WebSocket frame's Seq, its bounds as constraints so the OpenAPI schema shows them (put
    # before the validator: after it, pydantic leaves them out).
    seq: Annotated[int, Field(ge=0, le=MAX_SEQ, description="a message's seq"), BeforeValidator(json_integer)]


class Rooms(BaseModel):
    rooms: list[RoomInfo]


class Messages(BaseModel):
    messages: list[Message]


class SearchHits(BaseModel):
    results: list[SearchHit]


class Status(BaseModel):
    status: str


def _set_session(svc: Services, response: Response, cookie: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        max_age=svc.settings.session_max_age,
        httponly=True,
        samesite="lax",
        secure=svc.settings.cookie_secure,
        path="/",
    )


async def _user(request: Request) -> str:
    user = await services(request).accounts.session_user(request.cookies.get(SESSION_COOKIE))
    if user is None:
        raise ApiError(401, "unauthenticated", "log in first")
    return user


@router.post("/register", status_code=201, response_model=Me, responses=error_responses(409, 422, 429))
async def register(body: Credentials, request: Request, response: Response) -> Me:
    svc = services(request)
    outcome = await svc.accounts.register(body.username, body.password, client_ip(request, svc.settings))
    if outcome is False:
        raise ApiError(409, "username_taken", f"{body.username!r} is already registered")
    if outcome is not True:
        raise ApiError(
            429,
            "too_many_registrations",
            f"too many accounts registered from this address; retry in {outcome} s",
            {"Retry-After": str(outcome)},
        )
    _set_session(svc, response, await svc.accounts.new_session(body.username))
    return Me(username=body.username)


@router.post("/login", response_model=Me, responses=error_responses(401, 422, 429))
async def login(body: Credentials, request: Request, response: Response) -> Me:
    svc = services(request)
    outcome = await svc.accounts.log_in(body.username, body.password, client_ip(request, svc.settings))
    if outcome is False:
        raise ApiError(401, "invalid_credentials", "wrong username or password")
    if outcome is not True:
        raise ApiError(
            429,
            "too_many_attempts",
            f"too many login attempts; retry in {outcome} s",
            {"Retry-After": str(outcome)},
        )
    _set_session(svc, response, await svc.accounts.new_session(body.username))
    return Me(username=body.username)


@router.post("/logout", status_code=204, responses=error_responses())
async def logout(request: Request) -> Response:
    await services(request).accounts.log_out(request.cookies.get(SESSION_COOKIE))
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/me", response_model=Profile, response_model_exclude_none=True, responses=error_responses(401))
async def me(request: Request) -> Profile:
    user = await _user(request)
    return Profile(
        username=user, display_name=(await services(request).profiles.display_names([user])).get(user)
    )


# Checked before the body (a dependency): without a session nothing else is looked at.
User = Annotated[str, Depends(_user)]
RoomPath = Annotated[str, Path(pattern=ROOM_NAME_PATTERN)]
MessagePath = Annotated[str, Path(max_length=MESSAGE_ID_MAX, pattern=MESSAGE_ID_PATTERN)]


async def registered_users(request: Request, usernames: list[str]) -> list[str]:
    """The registered users `usernames` name, in any case, or 404 unknown_user."""
    accounts = services(request).accounts
    found = await accounts.canonical(usernames)
    known = await accounts.registered([name or "" for name in found])
    for asked, name, exists in zip(usernames, found, known, strict=True):
        if name is None or not exists:
            raise ApiError(404, "unknown_user", f"{asked!r} is not registered")
    return [name for name in found if name is not None]


async def visible_room(request: Request, user: str, room: str) -> None:
    """404 for a room that does not exist and for a private room or DM of others alike."""
    if not await services(request).access.can_see(user, room):
        raise ApiError(404, "unknown_room", f"room {room!r} does not exist")


@router.get("/rooms", response_model=Rooms, response_model_exclude_none=True, responses=error_responses(401))
async def list_rooms(request: Request, user: User) -> Rooms:
    svc = services(request)
    visible = await svc.access.visible_detail(user)
    return Rooms(rooms=await svc.reads.infos(user, visible.rooms, visible.joined, set(visible.private)))


@router.post(
    "/rooms",
    status_code=201,
    response_model=RoomInfo,
    response_model_exclude_none=True,
    responses=error_responses(401, 409, 422),
)
async def create_room(body: NewRoom, request: Request, user: User) -> RoomInfo:
    """A public room, or an invite-only one with `private`; its creator is its first member."""
    svc = services(request)
    outcome = await svc.rooms.create(body.name, user, body.private)
    if outcome == "exists":
        raise ApiError(409, "room_exists", f"room {body.name!r} already exists (names ignore case)")
    if outcome == "full":
        raise ApiError(409, "too_many_rooms", "the room limit is reached")
    if outcome == "user_full":
        limit = svc.settings.max_rooms_per_user
        raise ApiError(409, "too_many_rooms_of_user", f"you created {limit} rooms, the most one user may")
    await svc.memberships.join(body.name, user, founding=True)
    return room_info(body.name, private=body.private, joined=True)


@router.post(
    "/dms",
    status_code=201,
    response_model=RoomInfo,
    response_model_exclude_none=True,
    responses={
        200: {"model": RoomInfo, "description": "the DM existed"},
        **error_responses(401, 404, 409, 422),
    },
)
async def open_dm(body: NewDm, request: Request, response: Response, user: User) -> RoomInfo:
    """The DM with `username`, or the group DM with `usernames`: 201 when created, 200 when
    it existed."""
    svc = services(request)
    members = {user, *await registered_users(request, body.others)}
    if len(members) < 2:
        raise ApiError(422, "invalid_dm", "a DM needs someone else")
    if len(members) > svc.settings.max_dm_members:
        raise ApiError(422, "dm_too_large", f"a group DM has at most {svc.settings.max_dm_members} members")
    opened = await svc.rooms.open_dm(user, members)
    if opened is None:
        limit = svc.settings.max_dms_per_user
        raise ApiError(409, "too_many_dms", f"you opened {limit} DMs, the most one user may")
    room, created = opened
    if not created:
        response.status_code = 200
    (info,) = await svc.reads.infos(user, [room])
    return info


HistoryLimit = Annotated[int, Query(ge=1, le=1000)]


@router.get(
    "/rooms/{room}/messages",
    response_model=Messages,
    response_model_exclude_none=True,
    responses=error_responses(401, 404, 422),
)
async def history(
    request: Request,
    user: User,
    room: RoomPath,
    limit: HistoryLimit = 50,
    before: Annotated[str | None, Query(max_length=MESSAGE_ID_MAX, pattern=MESSAGE_ID_PATTERN)] = None,
) -> Messages:
    """Messages older than `before` (or the newest), oldest first."""
    svc = services(request)
    await visible_room(request, user, room)
    found = await svc.history.page(room, min(limit, svc.settings.history_page_max), before)
    return Messages(messages=await svc.thread_history.with_summaries(room, found))


@router.get(
    "/rooms/{room}/messages/{message}/context",
    response_model=Messages,
    response_model_exclude_none=True,
    responses=error_responses(401, 404, 422),
)
async def context(
    request: Request, user: User, room: RoomPath, message: MessagePath, limit: HistoryLimit = 50
) -> Messages:
    """About `limit` messages around `message`: up to half older than it, then it and those
    after; oldest first (where a search result opens the room)."""
    svc = services(request)
    await visible_room(request, user, room)
    found = await svc.history.around(room, message, min(limit, svc.settings.history_page_max))
    return Messages(messages=await svc.thread_history.with_summaries(room, found))


SEARCH_LIMIT = 50


@router.get(
    "/search",
    response_model=SearchHits,
    response_model_exclude_none=True,
    responses=error_responses(401, 404, 422),
)
async def search(
    request: Request,
    user: User,
    q: Annotated[
        str,
        Query(min_length=1, max_length=200, pattern=NO_NUL, description='words, "a phrase", -excluded, or'),
    ],
    room: Annotated[str | None, Query(pattern=ROOM_NAME_PATTERN)] = None,
    limit: Annotated[int, Query(ge=1, le=SEARCH_LIMIT)] = 20,
) -> SearchHits:
    """Messages matching `q`, newest first, in every room and DM the caller can see (or in
    `room`), each with a snippet in parts (matched or not; never markup)."""
    svc = services(request)
    if svc.database is None:
        raise ApiError(503, HISTORY_UNAVAILABLE, "search needs PostgreSQL (DATABASE_URL)")
    if room is not None:
        await visible_room(request, user, room)
    rooms = [room] if room is not None else await svc.access.visible(user)
    return SearchHits(results=await search_messages(svc.database, rooms, q, limit))


@router.post("/rooms/{room}/read", status_code=204, responses=error_responses(401, 404, 422))
async def read(body: ReadUpTo, request: Request, user: User, room: RoomPath) -> Response:
    """The caller's read position in the room becomes at least `seq` (never past the room's)."""
    await visible_room(request, user, room)
    await services(request).reads.mark(room, user, body.seq)
    return Response(status_code=204)


@router.get("/healthz", response_model=Status)
async def healthz() -> Status:
    return Status(status="ok")


@router.get("/readyz", response_model=Status, responses=error_responses(503))
async def readyz(request: Request) -> Status:
    try:
        await services(request).redis.ping()
    except (RedisError, OSError) as exc:
        raise ApiError(503, "redis_unavailable", f"Redis is not reachable: {type(exc).__name__}") from None
    return Status(status="ready")


def _scraper(request: Request) -> None:
    """Only the METRICS_TOKEN bearer (Prometheus) reads the metrics; without one set, nobody."""
    token = services(request).settings.metrics_token
    offered = request.headers.get("authorization", "")
    if token is None or not hmac.compare_digest(
        offered.encode(), f"Bearer {token.get_secret_value()}".encode()
    ):
        raise ApiError(401, "metrics_token_required", "send Authorization: Bearer <METRICS_TOKEN>")


@router.get("/metrics", response_class=Response, responses=error_responses(401))
async def prometheus_metrics(request: Request) -> Response:
    _scraper(request)
    with contextlib.suppress(RedisError, OSError):  # Redis away: the rest is still worth scraping
        metrics.record_redis_memory(await services(request).redis.info("memory"))
    body, content_type = metrics.render()
    return Response(body, media_type=content_type)


@router.get("/openapi.json", include_in_schema=False)
async def openapi_schema(request: Request) -> JSONResponse:
    await _user(request)
    return JSONResponse(request.app.openapi())


@router.get("/docs", include_in_schema=False)
async def api_docs(request: Request) -> HTMLResponse:
    await _user(request)
    return get_swagger_ui_html(openapi_url="/api/openapi.json", title="chat-platform API")
