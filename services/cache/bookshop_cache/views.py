"""HTTP handlers of the cache service."""

from __future__ import annotations

import math
import re

from aiohttp import web

from bookshop_common import ApiError, read_json_object, reject_unknown_fields

from .store import QueueFull
from .typedefs import QUEUES_KEY, SETTINGS_KEY, STORE_KEY

__all__ = ["delete_key", "get_key", "pop_job", "push_job", "put_key", "queue_stats", "stats"]

MAX_TTL = 86400.0
MAX_POP_TIMEOUT = 30.0

_KEY = re.compile(r"^[A-Za-z0-9:_.\-]{1,128}$")
_QUEUE = re.compile(r"^[a-z0-9_\-]{1,64}$")


def _key(request: web.Request) -> str:
    key = request.match_info["key"]
    if not _KEY.match(key):
        raise ApiError(400, "key must be 1-128 characters of A-Z a-z 0-9 : _ . -")
    return key


def _queue_name(request: web.Request) -> str:
    name = request.match_info["queue"]
    if not _QUEUE.match(name):
        raise ApiError(400, "queue name must be 1-64 characters of a-z 0-9 _ -")
    return name


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


async def push_job(request: web.Request) -> web.Response:
    """`POST /queues/{queue}` with `{"job": {...}}` → 202 `{"queue", "length"}`."""
    name = _queue_name(request)
    body = await read_json_object(request)
    reject_unknown_fields(body, ("job",))
    job = body.get("job")
    if not isinstance(job, dict):
        raise ApiError(400, "job must be a JSON object")
    try:
        length = request.app[QUEUES_KEY].get(name).push(job)
    except QueueFull:
        raise ApiError(503, f"queue {name} is full") from None
    return web.json_response({"queue": name, "length": length}, status=202)


async def pop_job(request: web.Request) -> web.StreamResponse:
    """`POST /queues/{queue}/pop?timeout=s` → `{"job": {...}}`, or 204 after the timeout."""
    name = _queue_name(request)
    timeout = _seconds(request.query.get("timeout", "5"), "timeout", MAX_POP_TIMEOUT)
    queue = request.app[QUEUES_KEY].get(name)
    job = await queue.pop(timeout)
    if job is None:
        return web.Response(status=204)
    transport = request.transport
    if transport is None or transport.is_closing():
        # the poller went away while waiting: keep the job for the next one
        queue.push_front(job)
        return web.Response(status=204)
    return web.json_response({"queue": name, "job": job})


async def queue_stats(request: web.Request) -> web.Response:
    """`GET /queues/{queue}` → `{"queue", "length"}`."""
    name = _queue_name(request)
    return web.json_response({"queue": name, "length": len(request.app[QUEUES_KEY].get(name))})


async def stats(request: web.Request) -> web.Response:
    """`GET /stats`: entries and queue lengths."""
    return web.json_response(
        {"keys": len(request.app[STORE_KEY]), "queues": request.app[QUEUES_KEY].lengths()}
    )
