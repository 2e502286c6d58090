"""The people directory over HTTP (docs/protocol.md, "People"): anyone registered, found by a
prefix of their name, to message online or not (`POST /api/dms`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from chat_backend.http.routes import User, _responses
from chat_backend.http.services import services
from chat_backend.names import NAME_MAX
from chat_backend.protocol import PeoplePage, Person

router = APIRouter(prefix="/api")


@router.get(
    "/people", response_model=PeoplePage, response_model_exclude_none=True, responses=_responses(401, 422)
)
async def people(
    request: Request,
    _: User,
    prefix: Annotated[str, Query(max_length=NAME_MAX)] = "",
    after: Annotated[str | None, Query(max_length=2 * NAME_MAX + 1)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 20,
) -> PeoplePage:
    """People whose username starts with `prefix` (any case; empty: everyone), by name, at
    most PEOPLE_PAGE_MAX a page; `after` continues from the previous page."""
    svc = services(request)
    found = await svc.people.search(prefix, after, min(limit, svc.settings.people_page_max))
    return PeoplePage(people=[Person(username=name) for name in found.usernames], after=found.after)
