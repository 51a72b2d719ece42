"""HTTP handlers of the db_proxy service."""

from __future__ import annotations

from aiohttp import web

import aiozipkin as az
from bookshop_common import ApiError, read_json_object, reject_unknown_fields

from .queries import QUERIES
from .typedefs import DATABASE_KEY

__all__ = ["list_queries", "run_query"]


async def run_query(request: web.Request) -> web.Response:
    """`POST /queries/{name}` with `{"params": {...}}` → `{"rows": [...], "row_count": n}`."""
    name = request.match_info["name"]
    query = QUERIES.get(name)
    if query is None:
        raise ApiError(404, f"unknown query {name[:64]!r}")
    body = await read_json_object(request)
    reject_unknown_fields(body, ("params",))
    params = query.validate(body.get("params", {}))
    tracer = az.get_tracer(request.app)
    parent = az.request_span(request).context
    async with request.app[DATABASE_KEY].transaction(tracer, parent, name) as tx:
        result = await query.run(tx, params)
    return web.json_response({"rows": list(result.rows), "row_count": result.row_count})


async def list_queries(request: web.Request) -> web.Response:
    """`GET /queries`: the names and parameters the service accepts."""
    return web.json_response({name: sorted(q.params) for name, q in QUERIES.items()})
