"""Front matter as issues write it, read without PyYAML.

Importing PyYAML takes about ten milliseconds, a twentieth of a rebuild after an edit, which
starts a fresh process. Most front matter is a few `key: value` lines: one-line scalars, flow
sequences of them (`tags: [a, b]`), and block sequences of them or of one-level mappings of
them (`related:` with `- title: …` and `url: …`). `load` reads exactly that, and only where
what it reads is plainly text (or a date, which the front matter's loader keeps as text); for
anything else — a number, `yes`, a tab, an escape, a comment after a value, a line it does not
know — it answers None and PyYAML reads the whole document, errors and all. Where it answers,
its answer is PyYAML's: the tests compare the two on generated documents.
"""

from __future__ import annotations

import re
from typing import Any

from ..characters import NOT_PLAIN_YAML

#: A key that is plainly text: a name, never `yes`, `no`, `null`, … (see `_WORDS`).
_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*):(?: +(.*))?")

#: Plain scalars PyYAML's resolver makes a boolean or null, not text (its patterns' words: a
#: test holds the two to the same).
_WORDS = frozenset(
    form
    for word in ("yes", "no", "true", "false", "on", "off", "null")
    for form in (word, word.capitalize(), word.upper())
)

#: PyYAML's implicit timestamp, which the front matter's loader keeps as the text it is (its
#: resolver's pattern, which a test holds this to: importing PyYAML for it is what this avoids).
_TIMESTAMP = re.compile(
    r"""[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]
    |[0-9][0-9][0-9][0-9] -[0-9][0-9]? -[0-9][0-9]?
     (?:[Tt]|[ \t]+)[0-9][0-9]?
     :[0-9][0-9] :[0-9][0-9] (?:\.[0-9]*)?
     (?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?""",
    re.X,
)

#: A double-quoted scalar whose only escapes are `\"` and `\\` (as our importer writes one).
#: Each run of characters is matched once (possessive quantifiers): no backtracking, whatever
#: the text (a nested repeat would try every way to split a long unclosed one).
_QUOTED = re.compile(r'"([^"\\]*+(?:\\["\\][^"\\]*+)*+)"')
_ESCAPE = re.compile(r"\\(.)")

#: One item of a flow sequence (quoted, or plain up to the next comma) and the comma or end after it.
_FLOW_ITEM = re.compile(r' *+(?:"([^"\\]*+(?:\\["\\][^"\\]*+)*+)"|([^,\[\]{}"]*+)) *+(,|\Z)')

_CANNOT = object()  # what the reader leaves to PyYAML


def load(text: str) -> dict[str, Any] | None:
    """The mapping PyYAML's front-matter loader makes of `text`, or None where this reader
    leaves it to PyYAML."""
    if NOT_PLAIN_YAML.search(text):
        return None
    lines = [line for line in text.split("\n") if line.strip(" ") and not line.lstrip(" ").startswith("#")]
    data: dict[str, Any] = {}
    i, n = 0, len(lines)
    while i < n:
        m = _KEY.fullmatch(lines[i])
        if m is None or m.group(1) in _WORDS:
            return None
        i += 1
        value: Any
        if m.group(2) and m.group(2).strip(" "):
            value = _value(m.group(2))
        elif i < n and lines[i].startswith((" ", "-")):
            value, i = _sequence(lines, i)
        else:
            value = None
        if value is _CANNOT:
            return None
        data[m.group(1)] = value
    return data or None


def _sequence(lines: list[str], i: int) -> tuple[Any, int]:
    """The block sequence from `lines[i]`, and the line after it; `_CANNOT` for anything else
    (a nested mapping, an item of its own block, …)."""
    indent = len(lines[i]) - len(lines[i].lstrip(" "))
    dash = " " * indent + "-"
    items: list[Any] = []
    n = len(lines)
    while i < n and lines[i].startswith(dash):
        line = lines[i]
        rest = line[len(dash) :]
        if not rest.startswith(" ") or not rest.strip(" "):
            return _CANNOT, i
        column = len(line) - len(rest.lstrip(" "))
        rest = rest.lstrip(" ")
        i += 1
        m = _KEY.fullmatch(rest)
        if m is None:
            item = _value(rest)
            if item is _CANNOT:
                return _CANNOT, i
            items.append(item)
            continue
        mapping: dict[str, Any] = {}
        while True:
            if m is None or m.group(1) in _WORDS or not (m.group(2) or "").strip(" "):
                return _CANNOT, i
            if (value := _value(m.group(2))) is _CANNOT:
                return _CANNOT, i
            mapping[m.group(1)] = value
            if i < n and lines[i].startswith(" " * column) and lines[i][column] != " ":
                m = _KEY.fullmatch(lines[i][column:])
                i += 1
                continue
            break
        items.append(mapping)
    if i < n and lines[i].startswith(" "):  # deeper, or a sequence's line out of step
        return _CANNOT, i
    return items, i


def _value(text: str) -> Any:
    """A value on one line: a scalar or a flow sequence of scalars; `_CANNOT` for anything else."""
    text = text.rstrip(" ")
    if text.startswith("["):
        if not text.endswith("]"):
            return _CANNOT
        inner = text[1:-1]
        if not inner.strip(" "):
            return []
        items: list[Any] = []
        at = 0
        while at < len(inner):
            m = _FLOW_ITEM.match(inner, at)
            if m is None or (m.group(3) == "," and m.end() == len(inner)):  # or a trailing comma
                return _CANNOT
            quoted, plain = m.group(1), m.group(2)
            item = _unescaped(quoted) if quoted is not None else _plain(plain.rstrip(" "), flow=True)
            if item is _CANNOT:
                return _CANNOT
            items.append(item)
            at = m.end()
        return items
    if text.startswith('"'):
        m = _QUOTED.fullmatch(text)
        return _unescaped(m.group(1)) if m else _CANNOT
    return _plain(text, flow=False)


def _unescaped(quoted: str) -> str:
    return _ESCAPE.sub(r"\1", quoted) if "\\" in quoted else quoted


def _plain(text: str, *, flow: bool) -> Any:
    """A plain scalar that is plainly text: it starts with a letter, is no boolean or null, and
    holds nothing that would end it or mean more (`: `, ` #`, in a flow sequence `:` and `#`);
    or a timestamp, kept as text. `_CANNOT` for anything else."""
    if not text:
        return _CANNOT
    if _TIMESTAMP.fullmatch(text):
        return text
    if not text[0].isalpha() or text in _WORDS or text.endswith(":") or ": " in text or " #" in text:
        return _CANNOT
    if flow and (":" in text or "#" in text):
        return _CANNOT
    return text
