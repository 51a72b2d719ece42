"""Cached JSON of span names, annotation values and tags: the same few strings recur.

A route, "GET", "200": their JSON is cached when short, in dicts emptied when full, so that
memory stays bounded. The encoder reads `texts` and `tags` first and calls `text_json` or
`tag_json` on a miss.
"""

from __future__ import annotations

from json.encoder import encode_basestring as _json_str
from typing import Final

__all__ = ["TEXT_CACHE_MAX_LEN", "TEXT_CACHE_SIZE", "tag_json", "tags", "text_json", "texts"]

TEXT_CACHE_SIZE: Final = 4096
TEXT_CACHE_MAX_LEN: Final = 128
texts: dict[str, str] = {}
tags: dict[tuple[str, str], str] = {}


def text_json(text: str) -> str:
    """`text` as a JSON string, cached when short."""
    value = _json_str(text)
    if len(value) <= TEXT_CACHE_MAX_LEN:
        if len(texts) >= TEXT_CACHE_SIZE:
            texts.clear()
        texts[text] = value
    return value


def tag_json(tag: tuple[str, str]) -> str:
    """A (key, value) tag as a JSON object member, cached when short."""
    value = f"{_json_str(tag[0])}:{_json_str(tag[1])}"
    if len(value) <= TEXT_CACHE_MAX_LEN:
        if len(tags) >= TEXT_CACHE_SIZE:
            tags.clear()
        tags[tag] = value
    return value
