"""The one error table: application errors → HTTP status and RFC 9457 problem details.

Nothing else in the HTTP layer decides a status for an error. Bodies never carry stack traces,
secrets or raw provider messages: only the application error's own `detail`.
"""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from application import errors as e
from domain.errors import DomainError
from entrypoints.http.limits import clip

log = logging.getLogger("billing.http")

PROBLEM_JSON = "application/problem+json"

STATUS: list[tuple[type[Exception], int]] = [
    (e.InvalidWebhook, 400),
    (e.ValidationFailed, 400),
    (e.StorageRejected, 400),
    (e.Unauthorized, 401),
    (e.Forbidden, 403),
    (e.NotFound, 404),
    (e.Conflict, 409),
    (DomainError, 409),
    (e.RateLimited, 429),
    (e.PaymentProviderUnavailable, 502),
    (e.PaymentProviderRejected, 502),
    (e.EmailDeliveryFailed, 502),
    (e.ServiceNotConfigured, 503),
    (e.StorageUnavailable, 503),
]

TITLES = {400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found", 405: "Method not allowed",
          409: "Conflict", 413: "Payload too large", 415: "Unsupported media type", 429: "Too many requests",
          500: "Internal server error", 502: "Bad gateway", 503: "Service unavailable"}  # fmt: skip


def status_for(exc: Exception) -> int:
    return next((status for kind, status in STATUS if isinstance(exc, kind)), HTTP_500_INTERNAL_SERVER_ERROR)


def problem(status: int, detail: str, *, title: str | None = None, **extra: Any) -> Response[dict[str, Any]]:
    body = {
        "type": f"https://httpstatuses.io/{status}",
        "title": title or TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        **{k: v for k, v in extra.items() if k != "headers"},
    }
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=extra.get("headers"))


def application_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    status = status_for(exc)
    if status >= 500:
        log.warning("request failed", extra={"path": request.url.path, "error": type(exc).__name__, "status": status})
    title = exc.title if isinstance(exc, e.ApplicationError) else None
    detail = exc.detail if isinstance(exc, e.ApplicationError) else str(exc)
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, e.RateLimited) else None
    extra = {"errors": exc.errors} if isinstance(exc, e.ValidationFailed) else {}
    return problem(status, detail, title=title, headers=headers, **extra)


def validation_error_handler(request: Request[Any, Any, Any], exc: ValidationException) -> Response[dict[str, Any]]:
    # Litestar's messages may quote the input (a header, a query value): each field clipped.
    errors = exc.extra if isinstance(exc.extra, list) else []
    clipped = [{k: clip(v) if isinstance(v, str) else v for k, v in e.items()} for e in errors if isinstance(e, dict)]
    return problem(400, "The request is not valid.", title="Invalid request", errors=clipped)


def http_error_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    status = exc.status_code
    detail = clip(exc.detail) if status < 500 else TITLES.get(status, "Error")  # may quote a header
    return problem(status, detail, headers=exc.headers)


def unexpected_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    log.exception("unhandled error", extra={"path": request.url.path})
    return problem(500, "Something went wrong on our side; it has been logged.")


def exception_handlers() -> dict[type[Exception] | int, Any]:
    return {
        e.ApplicationError: application_error_handler,
        DomainError: application_error_handler,
        ValidationException: validation_error_handler,
        HTTPException: http_error_handler,
        Exception: unexpected_error_handler,
    }
