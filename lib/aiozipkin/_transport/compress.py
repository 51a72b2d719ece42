"""Gzip for request bodies: ISA-L's zlib when installed (`aiozipkin[speedups]`), else zlib."""

from __future__ import annotations

import asyncio
import zlib
from typing import Any, Final, NamedTuple

__all__ = ["DEFLATE", "GZIP_CHUNK", "ZLIB", "Deflate", "gzip", "pick_deflate"]

# Gzip this much of a body at a time, letting other tasks run in between.
GZIP_CHUNK: Final = 32 * 1024


class Deflate(NamedTuple):
    """A zlib-compatible module, and the level used with it."""

    name: str
    module: Any
    level: int


# The standard library's zlib at its fastest level: the default without the speedups extra.
ZLIB: Final = Deflate("zlib", zlib, 1)


def pick_deflate() -> Deflate:
    """ISA-L's zlib when installed, else the standard library's.

    Both write the same gzip format. Speed over ratio, since the app's own CPU pays for it:
    zlib's fastest level; ISA-L's level 1 is about four times faster still, and compresses
    span JSON as well as zlib's default level.
    """
    try:
        from isal import isal_zlib
    except ImportError:
        return ZLIB
    return Deflate("isal", isal_zlib, 1)


DEFLATE: Deflate = pick_deflate()
"""What `gzip` uses (read at each call, so a benchmark or test may swap it)."""


async def gzip(raw: bytes) -> bytes:
    """Gzip `raw` a chunk at a time, so that a large body does not hold up the event loop."""
    deflate = DEFLATE
    compressor = deflate.module.compressobj(deflate.level, deflate.module.DEFLATED, 31)
    if len(raw) <= GZIP_CHUNK:
        body: bytes = compressor.compress(raw) + compressor.flush()
        return body
    view = memoryview(raw)
    parts: list[bytes] = []
    for offset in range(0, len(raw), GZIP_CHUNK):
        parts.append(compressor.compress(view[offset : offset + GZIP_CHUNK]))
        await asyncio.sleep(0)
    parts.append(compressor.flush())
    return b"".join(parts)
