"""Requests that change something (POST, PUT, PATCH, DELETE) from a foreign Origin are refused
(403 origin_refused), as the WebSocket upgrade is: a cross-site form or script cannot log a user
out or act with their session cookie.

Browsers send Origin with every cross-origin request of these methods; one without Origin but
with Sec-Fetch-Site cross-site or same-site is refused too. A request with neither is not a
browser's (curl, scripts, Prometheus): it carries no victim's cookie by accident, so it passes.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from chat_backend.http.errors import error_response

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_FOREIGN_FETCH = frozenset({"cross-site", "same-site"})


class OriginCheck:
    def __init__(self, app: ASGIApp, allowed_origins: tuple[str, ...]):
        self.app = app
        self.allowed = frozenset(allowed_origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] not in SAFE_METHODS
            and self._foreign(Headers(scope=scope))
        ):
            detail = "requests that change something are accepted only from the chat's own origin"
            await error_response(403, "origin_refused", detail)(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _foreign(self, headers: Headers) -> bool:
        origin = headers.get("origin")
        if origin is not None:
            return origin.rstrip("/") not in self.allowed
        return headers.get("sec-fetch-site") in _FOREIGN_FETCH
