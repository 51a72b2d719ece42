"""Validation of ids and JSON fields coming from the network."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Any

from .errors import ApiError

__all__ = ["MAX_ID", "int_field", "parse_id", "reject_unknown_fields"]

MAX_ID = 2**31 - 1
_ID = re.compile(r"^[1-9][0-9]{0,9}$")


def parse_id(raw: str, what: str) -> int:
    """A positive integer id from a URL, or a 400 `ApiError`."""
    if not _ID.match(raw) or int(raw) > MAX_ID:
        raise ApiError(400, f"{what} must be a positive integer up to {MAX_ID}")
    return int(raw)


def int_field(body: Mapping[str, Any], name: str, *, minimum: int, maximum: int) -> int:
    """A required integer field (booleans are not integers here), or a 400 `ApiError`."""
    if name not in body:
        raise ApiError(400, f"{name} is required")
    value = body[name]
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApiError(400, f"{name} must be an integer")
    if not minimum <= value <= maximum:
        raise ApiError(400, f"{name} must be between {minimum} and {maximum}")
    return value


def reject_unknown_fields(body: Mapping[str, Any], allowed: Collection[str]) -> None:
    """A 400 `ApiError` naming the first field that is not in `allowed`."""
    for name in body:
        if name not in allowed:
            raise ApiError(400, f"unknown field {name!r}")
