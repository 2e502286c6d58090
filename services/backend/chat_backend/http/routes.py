"""The HTTP half of the protocol (docs/protocol.md), all under /api (the WebSocket upgrade:
upgrade.py)."""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from redis.exceptions import RedisError

from chat_backend import metrics
from chat_backend.archive.search import search as search_messages
from chat_backend.http.errors import HISTORY_UNAVAILABLE, ApiError
from chat_backend.http.services import SESSION_COOKIE, Services, services
from chat_backend.names import PASSWORD_MAX, PASSWORD_MIN, ROOM_NAME_PATTERN, Name
from chat_backend.protocol import (
    MAX_SEQ,
    MESSAGE_ID_PATTERN,
    ErrorBody,
    Message,
    RoomInfo,
    SearchHit,
    json_integer,
)
from chat_backend.store.rooms import room_info

router = APIRouter(prefix="/api")


def _responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The error answers a route documents; any route may say 413 (body) or 503 (Redis down)."""
    return {code: {"model": ErrorBody} for code in (*codes, 413, 503)}


class Credentials(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: Name
    password: Annotated[str, Field(min_length=PASSWORD_MIN, max_length=PASSWORD_MAX)]


class Me(BaseModel):
    username: str


class NewRoom(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name


class NewDm(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: Name


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


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


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


@router.post("/register", status_code=201, response_model=Me, responses=_responses(409, 422))
async def register(body: Credentials, request: Request, response: Response) -> Me:
    svc = services(request)
    if not await svc.accounts.register(body.username, body.password):
        raise ApiError(409, "username_taken", f"{body.username!r} is already registered")
    _set_session(svc, response, await svc.accounts.new_session(body.username))
    return Me(username=body.username)


@router.post("/login", response_model=Me, responses=_responses(401, 422, 429))
async def login(body: Credentials, request: Request, response: Response) -> Me:
    svc = services(request)
    ip = _client_ip(request)
    wait = await svc.accounts.login_throttled(body.username, ip)
    if wait:
        raise ApiError(
            429, "too_many_attempts", f"too many failed logins; retry in {wait} s", {"Retry-After": str(wait)}
        )
    if not await svc.accounts.check_password(body.username, body.password):
        await svc.accounts.record_login_failure(body.username, ip)
        raise ApiError(401, "invalid_credentials", "wrong username or password")
    await svc.accounts.clear_login_failures(body.username)
    _set_session(svc, response, await svc.accounts.new_session(body.username))
    return Me(username=body.username)


@router.post("/logout", status_code=204, responses=_responses())
async def logout(request: Request) -> Response:
    await services(request).accounts.end_session(request.cookies.get(SESSION_COOKIE))
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/me", response_model=Me, responses=_responses(401))
async def me(request: Request) -> Me:
    return Me(username=await _user(request))


# Checked before the body (a dependency): without a session nothing else is looked at.
User = Annotated[str, Depends(_user)]
RoomPath = Annotated[str, Path(pattern=ROOM_NAME_PATTERN)]


async def _visible_room(request: Request, user: str, room: str) -> None:
    """404 for a room that does not exist and for a DM of others alike."""
    if not await services(request).rooms.can_see(user, room):
        raise ApiError(404, "unknown_room", f"room {room!r} does not exist")


@router.get("/rooms", response_model=Rooms, response_model_exclude_none=True, responses=_responses(401))
async def list_rooms(request: Request, user: User) -> Rooms:
    svc = services(request)
    return Rooms(rooms=await svc.reads.infos(user, await svc.rooms.visible(user)))


@router.post(
    "/rooms",
    status_code=201,
    response_model=RoomInfo,
    response_model_exclude_none=True,
    responses=_responses(401, 409, 422),
)
async def create_room(body: NewRoom, request: Request, _: User) -> RoomInfo:
    outcome = await services(request).rooms.create(body.name)
    if outcome == "exists":
        raise ApiError(409, "room_exists", f"room {body.name!r} already exists")
    if outcome == "full":
        raise ApiError(409, "too_many_rooms", "the room limit is reached")
    return room_info(body.name)


@router.post(
    "/dms",
    status_code=201,
    response_model=RoomInfo,
    response_model_exclude_none=True,
    responses={200: {"model": RoomInfo, "description": "the DM existed"}, **_responses(401, 404, 422)},
)
async def open_dm(body: NewDm, request: Request, response: Response, user: User) -> RoomInfo:
    """The DM with `username`: 201 when created, 200 when it existed."""
    svc = services(request)
    if body.username == user:
        raise ApiError(422, "invalid_dm", "a DM needs someone else")
    if not (await svc.accounts.registered([body.username]))[0]:
        raise ApiError(404, "unknown_user", f"{body.username!r} is not registered")
    room, created = await svc.rooms.open_dm(user, body.username)
    if not created:
        response.status_code = 200
    (info,) = await svc.reads.infos(user, [room])
    return info


@router.get(
    "/rooms/{room}/messages",
    response_model=Messages,
    response_model_exclude_none=True,
    responses=_responses(401, 404, 422),
)
async def history(
    request: Request,
    user: User,
    room: RoomPath,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    before: Annotated[str | None, Query(max_length=41, pattern=MESSAGE_ID_PATTERN)] = None,
    around: Annotated[
        str | None,
        Query(max_length=41, pattern=MESSAGE_ID_PATTERN, description="a message id to load around"),
    ] = None,
) -> Messages:
    """Messages older than `before` (or the newest), or with `around` about `limit` around that
    message (half before it, then it and those after); oldest first."""
    svc = services(request)
    if before is not None and around is not None:
        raise ApiError(422, "invalid_request", "give either before or around")
    await _visible_room(request, user, room)
    limit = min(limit, svc.settings.history_page_max)
    if around is not None:
        return Messages(messages=await svc.history.around(room, around, limit))
    return Messages(messages=await svc.history.page(room, limit, before))


SEARCH_LIMIT = 50


@router.get(
    "/search",
    response_model=SearchHits,
    response_model_exclude_none=True,
    responses=_responses(401, 404, 422),
)
async def search(
    request: Request,
    user: User,
    q: Annotated[str, Query(min_length=1, max_length=200, description='words, "a phrase", -excluded, or')],
    room: Annotated[str | None, Query(pattern=ROOM_NAME_PATTERN)] = None,
    limit: Annotated[int, Query(ge=1, le=SEARCH_LIMIT)] = 20,
) -> SearchHits:
    """Messages matching `q`, newest first, in every room and DM the caller can see (or in
    `room`), each with a snippet in parts (matched or not; never markup)."""
    svc = services(request)
    if svc.database is None:
        raise ApiError(503, HISTORY_UNAVAILABLE, "search needs PostgreSQL (DATABASE_URL)")
    if room is not None:
        await _visible_room(request, user, room)
    rooms = [room] if room is not None else await svc.rooms.visible(user)
    return SearchHits(results=await search_messages(svc.database, rooms, q, limit))


@router.post("/rooms/{room}/read", status_code=204, responses=_responses(401, 404, 422))
async def read(body: ReadUpTo, request: Request, user: User, room: RoomPath) -> Response:
    """The caller's read position in the room becomes at least `seq` (never past the room's)."""
    await _visible_room(request, user, room)
    await services(request).reads.mark(room, user, body.seq)
    return Response(status_code=204)


@router.get("/healthz", response_model=Status)
async def healthz() -> Status:
    return Status(status="ok")


@router.get("/readyz", response_model=Status, responses=_responses(503))
async def readyz(request: Request) -> Status:
    try:
        await services(request).redis.ping()
    except (RedisError, OSError) as exc:
        raise ApiError(503, "redis_unavailable", f"Redis is not reachable: {type(exc).__name__}") from None
    return Status(status="ready")


async def _scraper_or_user(request: Request) -> None:
    token = services(request).settings.metrics_token
    offered = request.headers.get("authorization", "")
    if token is not None and hmac.compare_digest(
        offered.encode(), f"Bearer {token.get_secret_value()}".encode()
    ):
        return
    await _user(request)


@router.get("/metrics", response_class=Response, responses=_responses(401))
async def prometheus_metrics(request: Request) -> Response:
    await _scraper_or_user(request)
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
