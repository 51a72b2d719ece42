"""Old names kept importable: a module `__getattr__` that warns and names the replacement."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping

__all__ = ["loop_ignored", "moved_names"]


def moved_names(module: str, names: Mapping[str, tuple[object, str]]) -> Callable[[str], object]:
    """A module `__getattr__` serving `names` (name: value, replacement) with a warning."""

    def __getattr__(name: str) -> object:
        try:
            value, replacement = names[name]
        except KeyError:
            raise AttributeError(f"module {module!r} has no attribute {name!r}") from None
        warnings.warn(
            f"{module}.{name} is deprecated; use {replacement}", DeprecationWarning, stacklevel=2
        )
        return value

    return __getattr__


def loop_ignored(loop: object, function: str) -> None:
    """Warn that a `loop` argument (deprecated since asyncio dropped it) is ignored."""
    if loop is not None:
        # stacklevel 3: the warning points at the code that called `function`.
        warnings.warn(
            f"{function}: the loop argument is deprecated and ignored",
            DeprecationWarning,
            stacklevel=3,
        )
