"""The people directory over HTTP (docs/protocol.md, "People"): anyone registered, found by a
prefix of their name, to message online or not (`POST /api/dms`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from chat_backend.http.routes import User, error_responses
from chat_backend.http.services import services
from chat_backend.names import USERS_LOOKUP_MAX
from chat_backend.protocol import PeoplePage, Person, Users

router = APIRouter(prefix="/api")


@router.get(
    "/people",
    response_model=PeoplePage,
    response_model_exclude_none=True,
    responses=error_responses(401, 422),
)
async def people(
    request: Request,
    _: User,
    prefix: Annotated[str, Query(max_length=256)] = "",
    after: Annotated[str | None, Query(max_length=1024)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 20,
) -> PeoplePage:
    """People whose username starts with `prefix` (any case; empty: everyone), by name, at
    most PEOPLE_PAGE_MAX a page; `after` continues from the previous page."""
    svc = services(request)
    found = await svc.people.search(prefix, after, min(limit, svc.settings.people_page_max))
    return PeoplePage(people=await _people(request, found.usernames), after=found.after)


@router.get(
    "/users", response_model=Users, response_model_exclude_none=True, responses=error_responses(401, 422)
)
async def users(
    request: Request, _: User, names: Annotated[list[str], Query(max_length=USERS_LOOKUP_MAX)]
) -> Users:
    """Those of the `names` (a repeated parameter, at most USERS_LOOKUP_MAX) who are registered,
    with their display names: what a client shows beside a message's author."""
    svc = services(request)
    wanted = list(dict.fromkeys(names))
    known = [
        name for name, exists in zip(wanted, await svc.accounts.registered(wanted), strict=True) if exists
    ]
    return Users(users=await _people(request, known))


async def _people(request: Request, usernames: list[str]) -> list[Person]:
    shown = await services(request).profiles.display_names(usernames)
    return [Person(username=name, display_name=shown.get(name)) for name in usernames]
