"""The one XML-safe text function: every feed writer passes its text through here.

XML 1.0 forbids most C0 control characters, U+FFFE/U+FFFF and surrogates. A pasted article
can carry any of them (a vertical tab from Word, a unit separator from a CMS export, a lone
surrogate from a broken decoder); lxml refuses them with a ValueError, and UTF-8 cannot
encode a lone surrogate at all. Dropping them loses nothing a reader could see.
"""

from __future__ import annotations

import collections
import dataclasses
from typing import Any, TypeVar

from .characters import NOT_XML

T = TypeVar("T")


def xml_text(text: str) -> str:
    """`text` without the characters XML 1.0 cannot carry; everything else unchanged."""
    if NOT_XML.search(text) is None:  # the common case: no copy
        return text
    return NOT_XML.sub("", text)


def xml_safe(value: T) -> T:
    """`value` with `xml_text` applied to every string inside it.

    Works on the model's frozen dataclasses, tuples, lists and dicts, so a writer can clean
    an `Issue` or `Site` once at its door instead of at every element it writes. A value
    made only of frozen dataclasses, tuples and scalars (or a frozen dataclass with a dict
    inside, as `Site`) is remembered once clean (a build cleans the same `Site` for every issue,
    and each issue for its email and its feed entry): asked again, it is returned without a walk.
    """
    if remembered(value):
        return value
    walk = _Walk()
    clean = walk.clean(value)
    if walk.frozen and (not walk.dicts or _frozen_dataclass(clean)):
        _RECENT.append(clean)
    return clean  # type: ignore[no-any-return]


_RECENT: collections.deque[Any] = collections.deque(maxlen=8)


def known_xml_safe(value: T) -> T:
    """Remember `value` as clean without a walk: for a maker that has shown no string inside
    it can hold a character XML cannot carry (the issue reader: see `read_issue`). It must be
    a value `xml_safe` would remember: frozen dataclasses, tuples and scalars."""
    _RECENT.append(value)
    return value


def remembered(value: object) -> bool:
    """Whether `xml_safe` returns `value` now without a walk."""
    return any(known is value for known in _RECENT)


def walks_clean(value: object) -> bool:
    """Whether a walk finds nothing to clean in `value`: what `known_xml_safe` is vouched with
    (for the tests that hold a maker to it)."""
    return _Walk().clean(value) is value


def _frozen_dataclass(value: object) -> bool:
    """A frozen dataclass is remembered even with a dict inside (`Site.editions`, `Labels.words`):
    the model's dicts are filled when the config is read and never changed after. A list
    anywhere, or a bare dict, is never remembered."""
    params = getattr(type(value), "__dataclass_params__", None)
    return bool(params and params.frozen)


class _Walk:
    def __init__(self) -> None:
        self.frozen = True  # nothing met so far could change after the walk (but a dict)
        self.dicts = False  # a dict met: remembered only inside a frozen dataclass

    def clean(self, value: Any) -> Any:
        # Returns `value` itself when nothing inside it changes: the common case copies nothing.
        # A str is looked at here, not in a call of its own: most of a model's values are.
        if isinstance(value, str):
            return xml_text(value)
        if isinstance(value, tuple | list):
            self.frozen = self.frozen and isinstance(value, tuple)
            items = [v if type(v) is str and _search(v) is None else self.clean(v) for v in value]
            if all(a is b for a, b in zip(items, value, strict=True)):
                return value
            return items if isinstance(value, list) else tuple(items)
        if isinstance(value, dict):
            self.dicts = True
            pairs = [(self.clean(k), self.clean(v)) for k, v in value.items()]
            if all(k2 is k and v2 is v for (k2, v2), (k, v) in zip(pairs, value.items(), strict=True)):
                return value
            return dict(pairs)
        if value is None or isinstance(value, int | float):
            return value
        names = _init_fields(type(value))
        if not names:
            return value
        if not type(value).__dataclass_params__.frozen:  # type: ignore[attr-defined]
            self.frozen = False
        changes = {}
        for name in names:
            old = getattr(value, name)
            if old is None or (type(old) is str and _search(old) is None):
                continue
            new = self.clean(old)
            if new is not old:
                changes[name] = new
        return dataclasses.replace(value, **changes) if changes else value


_search = NOT_XML.search


_FIELDS: dict[type, tuple[str, ...]] = {}


def _init_fields(cls: type) -> tuple[str, ...]:
    """The fields `dataclasses.replace` takes, for a dataclass; () for anything else."""
    names = _FIELDS.get(cls)
    if names is None:
        is_dataclass = dataclasses.is_dataclass(cls)
        names = tuple(f.name for f in dataclasses.fields(cls) if f.init) if is_dataclass else ()
        _FIELDS[cls] = names
    return names
