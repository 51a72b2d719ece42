"""aiozipkin 1.1.1's `aiozipkin.mypy_types`: the type aliases its signatures used."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import TypeAlias

__all__ = ["Headers", "OptBool", "OptInt", "OptLoop", "OptStr", "OptTs"]

Headers: TypeAlias = Mapping[str, str]
OptStr: TypeAlias = str | None
OptTs: TypeAlias = float | None
OptInt: TypeAlias = int | None
OptBool: TypeAlias = bool | None
OptLoop: TypeAlias = asyncio.AbstractEventLoop | None
