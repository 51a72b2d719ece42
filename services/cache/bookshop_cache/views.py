"""HTTP handlers of the cache service."""

from __future__ import annotations

import math
import re

from aiohttp import web

from bookshop_common import ApiError, read_json_object, reject_unknown_fields

from .typedefs import SETTINGS_KEY, STORE_KEY

__all__ = ["delete_key", "get_key", "put_key", "stats"]

MAX_TTL = 86400.0

_KEY = re.compile(r"^[A-Za-z0-9:_.\-]{1,128}$")


def _key(request: web.Request) -> str:
    key = request.match_info["key"]
    if not _KEY.match(key):
        raise ApiError(400, "key must be 1-128 characters of A-Z a-z 0-9 : _ . -")
    return key


def _seconds(raw: object, what: str, maximum: float) -> float:
    if isinstance(raw, str):
        try:
            raw = float(raw)
        except ValueError:
            raise ApiError(400, f"{what} must be a number of seconds") from None
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise ApiError(400, f"{what} must be a number of seconds")
    if not math.isfinite(raw) or not 0 <= raw <= maximum:
        raise ApiError(400, f"{what} must be between 0 and {maximum:g} seconds")
    return float(raw)


async def get_key(request: web.Request) -> web.Response:
    """`GET /kv/{key}` → `{"key", "value"}`, or 404 on a miss."""
    key = _key(request)
    hit, value = request.app[STORE_KEY].get(key)
    if not hit:
        raise ApiError(404, f"no entry for {key}")
    return web.json_response({"key": key, "value": value})


async def put_key(request: web.Request) -> web.Response:
    """`PUT /kv/{key}` with `{"value": any, "ttl": seconds?}`."""
    key = _key(request)
    body = await read_json_object(request)
    reject_unknown_fields(body, ("value", "ttl"))
    if "value" not in body:
        raise ApiError(400, "value is required")
    ttl = request.app[SETTINGS_KEY].default_ttl
    if "ttl" in body:
        ttl = _seconds(body["ttl"], "ttl", MAX_TTL)
        if ttl == 0:
            raise ApiError(400, "ttl must be positive")
    request.app[STORE_KEY].set(key, body["value"], ttl)
    return web.json_response({"key": key, "ttl": ttl})


async def delete_key(request: web.Request) -> web.Response:
    """`DELETE /kv/{key}` → `{"deleted": bool}`."""
    key = _key(request)
    return web.json_response({"key": key, "deleted": request.app[STORE_KEY].delete(key)})


async def stats(request: web.Request) -> web.Response:
    """`GET /stats`: how many entries are stored."""
    return web.json_response({"keys": len(request.app[STORE_KEY])})
