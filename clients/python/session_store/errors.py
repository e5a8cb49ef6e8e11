"""Typed errors: one class per problem status, each carrying the problem body."""
from __future__ import annotations

from typing import Any, Dict, Optional


class SessionStoreError(Exception):
    """An error answer of the service (an RFC 9457 problem)."""

    status: int = 0

    def __init__(self, status: int, problem: Dict[str, Any], headers: Optional[Dict[str, str]] = None):
        self.status = status
        self.problem = problem
        self.headers = headers or {}
        message = f"{status} {problem.get('title', '')}: {problem.get('detail', '')}"
        if self.request_id:
            message += f" (request {self.request_id})"
        super().__init__(message)

    @property
    def detail(self) -> str:
        return str(self.problem.get("detail", ""))

    @property
    def request_id(self) -> Optional[str]:
        """The request's id (its X-Request-Id): what finds the server's log lines for it."""
        given = self.problem.get("request_id")
        if isinstance(given, str):
            return given
        # A problem made by a proxy in between lacks it; the header may still carry it.
        return next((value for name, value in self.headers.items() if name.lower() == "x-request-id"), None)


class BadRequest(SessionStoreError):
    """400: malformed request (the detail says what)."""


class Unauthorized(SessionStoreError):
    """401: missing, unknown, revoked or expired API key."""


class Forbidden(SessionStoreError):
    """403: the key's role does not allow this."""


class NotFound(SessionStoreError):
    """404: no such session, version or instant."""


class Conflict(SessionStoreError):
    """409: the fork target exists."""


class Gone(SessionStoreError):
    """410: the session was deleted."""


class PreconditionFailed(SessionStoreError):
    """412: the session is not at the expected version; `current_version` is its head."""

    @property
    def current_version(self) -> Optional[int]:
        return self.problem.get("current_version")


class PayloadTooLarge(SessionStoreError):
    """413: the state is larger than the server accepts."""


class UnsupportedMediaType(SessionStoreError):
    """415."""


class Unprocessable(SessionStoreError):
    """422: a patch that does not apply, a restore or fork version that does not exist, a reused key."""


class RateLimited(SessionStoreError):
    """429: over the key's rate limit; `retry_after` is in seconds."""

    @property
    def retry_after(self) -> Optional[float]:
        value = self.headers.get("Retry-After") or self.headers.get("retry-after")
        return float(value) if value else None


class ServerError(SessionStoreError):
    """5xx."""


class ConnectionFailed(Exception):
    """The service could not be reached (or kept answering 503) after every retry."""


_BY_STATUS = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    410: Gone,
    412: PreconditionFailed,
    413: PayloadTooLarge,
    415: UnsupportedMediaType,
    422: Unprocessable,
    429: RateLimited,
}


def error_for(status: int, problem: Dict[str, Any], headers: Optional[Dict[str, str]] = None) -> SessionStoreError:
    cls = _BY_STATUS.get(status, ServerError if status >= 500 else SessionStoreError)
    return cls(status, problem, headers)
