"""Caps on what one span may carry, so a huge tag cannot exhaust memory or the collector."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

__all__ = ["TRUNCATED_TAG", "SpanLimits"]

TRUNCATED_TAG: Final = "aiozipkin.truncated"
"""Tag set on a span whose tags or annotations were cut; its value counts the cuts."""


@dataclass(frozen=True, slots=True)
class SpanLimits:
    """Per-span caps; values past them are truncated and counted in `TRUNCATED_TAG`."""

    max_tag_value_length: int = 4096
    max_tags: int = 128
    max_annotations: int = 128
    max_annotation_length: int = 1024

    def __post_init__(self) -> None:
        for field in (
            "max_tag_value_length",
            "max_tags",
            "max_annotations",
            "max_annotation_length",
        ):
            value = getattr(self, field)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"SpanLimits.{field} must be a positive integer, got {value!r}")
