"""The one HTTP error shape (protocol.ErrorBody, docs/protocol.md): a code and a detail, with
a fitting 4xx (or 503) status."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from redis.exceptions import RedisError
from starlette.exceptions import HTTPException as StarletteHTTPException

from chat_backend import metrics
from chat_backend.archive.database import ArchiveUnavailableError
from chat_backend.protocol import ErrorBody
from chat_backend.store.passwords import ServerBusyError

HISTORY_UNAVAILABLE = "history_unavailable"


class ApiError(Exception):
    def __init__(self, status: int, code: str, detail: str, headers: dict[str, str] | None = None):
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = headers


def error_response(
    status: int, code: str, detail: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    metrics.REJECTED.labels(kind="http", code=code).inc()
    body = ErrorBody(error=code, detail=detail)
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


def _validation_detail(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
        parts.append(f"{where}: {err.get('msg', 'invalid')}")
    return "; ".join(parts)


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.detail, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(422, "invalid_request", _validation_detail(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:  # FastAPI's "error parsing the body": a body error like any other
            return error_response(422, "invalid_request", "body is not valid JSON")
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return error_response(exc.status_code, code, str(exc.detail))

    @app.exception_handler(ArchiveUnavailableError)
    async def archive_unavailable(_: Request, exc: ArchiveUnavailableError) -> JSONResponse:
        # Older history and search need PostgreSQL; live chat and recent history do not.
        return error_response(503, HISTORY_UNAVAILABLE, f"{exc}; older history and search: retry later")

    @app.exception_handler(ServerBusyError)
    async def busy(_: Request, exc: ServerBusyError) -> JSONResponse:
        return error_response(
            503, "server_busy", "too many logins at once; retry in a moment", {"Retry-After": "1"}
        )

    @app.exception_handler(RedisError)
    @app.exception_handler(OSError)
    async def storage_unavailable(_: Request, exc: Exception) -> JSONResponse:
        # Redis is down or unreachable: say so (503, retry later) instead of a bare 500.
        return error_response(
            503, "redis_unavailable", f"storage is unavailable ({type(exc).__name__}); retry"
        )
