"""Errors that views raise and the error middleware turns into JSON responses."""

from __future__ import annotations

__all__ = ["ApiError", "UpstreamError"]


class ApiError(Exception):
    """A client-visible error: answered with `status` and a JSON body `{"error": message}`."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class UpstreamError(Exception):
    """A downstream service failed, timed out or could not be reached.

    `service` is the one called; `failed` the one that failed, further down when `service`
    only passed on a failure of its own downstream (`failed` in its JSON error body).
    """

    def __init__(
        self, service: str, message: str, *, status: int = 502, failed: str | None = None
    ) -> None:
        super().__init__(message)
        self.service = service
        self.status = status
        self.message = message
        self.failed = failed or service
