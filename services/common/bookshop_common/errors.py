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
    """A downstream service failed, timed out or could not be reached."""

    def __init__(self, service: str, message: str, *, status: int = 502) -> None:
        super().__init__(message)
        self.service = service
        self.status = status
        self.message = message
