"""Everything the build WRITES from the model: feeds, email, text part, web pages, message.

What the outputs read of a templates folder (compiled templates, labels) is read once and kept
(`read_once`); a build forgets it first (`read_templates_again`), so a process that builds again
(`newsletter preview`) sees the templates as they are then. Within a build no template file is
looked at again: Jinja2 does not check each template's date at every render."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

_Cached = TypeVar("_Cached", bound=Callable[..., Any])
_KEPT: list[Callable[[], None]] = []


def read_once(cached: _Cached) -> _Cached:
    """Register a cached function (`functools.lru_cache`) of what a templates folder holds."""
    _KEPT.append(cached.cache_clear)  # type: ignore[attr-defined]
    return cached


def read_templates_again() -> None:
    """Forget everything read of templates folders: the next render reads them again."""
    for clear in _KEPT:
        clear()
