"""One's own account over HTTP (docs/protocol.md, "Sessions"): changing the password, which
ends every other session, and logging out everywhere."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from chat_backend.http.client_ip import client_ip
from chat_backend.http.errors import ApiError
from chat_backend.http.routes import User, error_responses
from chat_backend.http.services import SESSION_COOKIE, services
from chat_backend.names import display_name_problem
from chat_backend.protocol import DisplayNameChange, PasswordChange

router = APIRouter(prefix="/api")


@router.post("/me/password", status_code=204, responses=error_responses(401, 403, 422, 429))
async def change_password(body: PasswordChange, request: Request, user: User) -> Response:
    """With the current password: the new one holds from now on, and every other session of
    the user ends (this one stays)."""
    svc = services(request)
    accounts = svc.accounts
    outcome = await accounts.log_in(user, body.current_password, client_ip(request, svc.settings))
    if outcome is False:
        raise ApiError(403, "wrong_password", "the current password is wrong")
    if outcome is not True:
        detail = f"too many login attempts; retry in {outcome} s"
        raise ApiError(429, "too_many_attempts", detail, {"Retry-After": str(outcome)})
    await accounts.change_password(user, body.new_password)
    own = await accounts.session(request.cookies.get(SESSION_COOKIE))
    await accounts.end_sessions(user, keep=own.id if own else None)
    return Response(status_code=204)


@router.put("/me/display-name", status_code=204, responses=error_responses(401, 422))
async def set_display_name(body: DisplayNameChange, request: Request, user: User) -> Response:
    """Shown beside the username (lists, the directory, GET /api/users); "" clears it."""
    svc = services(request)
    name = body.display_name.strip()
    if len(name) > svc.settings.max_display_name_length:
        detail = f"a display name has at most {svc.settings.max_display_name_length} characters"
        raise ApiError(422, "too_long", detail)
    problem = display_name_problem(body.display_name) if body.display_name else None
    if problem:
        raise ApiError(422, "invalid_display_name", f"a display name {problem}")
    await svc.profiles.set_display_name(user, name)
    return Response(status_code=204)


@router.post("/logout-all", status_code=204, responses=error_responses(401))
async def logout_everywhere(request: Request, user: User) -> Response:
    """Every session of the user ends, this one too."""
    await services(request).accounts.end_sessions(user)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
