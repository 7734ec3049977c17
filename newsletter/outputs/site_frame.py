"""A listing made without its template: the same bytes, when only its entries changed.

An edit that changes an issue's title, summary or date changes its entry in the listings
(`_archive_item.html`, rendered with the issue), and so every listing. The listing's template
(`index.html`, and those it extends) then writes the same text around the entries as it did
the last time, as long as it uses its entries only by writing each one's `html` as it is:

    {% for item in items %}{{ item.html }}{% endfor %}

What it writes around them may depend on anything else (the site, the labels, `loop.index`,
how many entries there are), which a frame is kept for: `build.py` keys it by the templates,
the config, the code, the edition and the number of entries. So the frame is the listing
rendered once with a mark standing for each entry's `html`; a listing is then the frame with
each mark replaced by its entry, and neither Jinja2 nor the template is loaded (`fill`).

That the template uses its entries so is read from its code (`_writes_entries_only`):

- `items` is used only by a loop over it (with no filter or test), or to ask how many there
  are (`items|length`) or whether there are any (`{% if items %}`);
- the loop's variable only as `{{ item.html }}`, written as it is; `loop` only for the entry's
  place (`loop.index`, not `loop.nextitem`);
- nothing takes the text the template writes and changes it (a filter block, a block kept in
  a variable, a macro, `self`, `super()`), nor renders another template with the same names
  (an include, an import).

Anything else, and the listing is rendered as it always was. While the frame is rendered, an
entry answers nothing but its `html`, which answers only being written (`__html__`): anything
else asked of either stops it, and then, too, there is no frame.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, cast

from ..model import Site
from . import read_once

if TYPE_CHECKING:
    from jinja2 import nodes

#: A listing's text around its entries, and which entry (by its place) stands after each piece
#: but the last: `pieces` has one more than `order`.
Frame = tuple[tuple[str, ...], tuple[int, ...]]

#: What stands for an entry written in a frame (numbered in the order written): characters of a
#: private use plane, which no template or site text writes (a frame whose text does is not used).
_MARK = "\U000f0000"
_MARKED = re.compile(_MARK + r"(\d+)" + _MARK)
#: What `loop` may be asked for in a listing: the entry's place, nothing of the entries.
_PLACE = frozenset({
    "index", "index0", "revindex", "revindex0", "first", "last", "length", "depth", "depth0", "cycle",
})  # fmt: skip


def listing_frame(site: Site, count: int, templates_dir: Path, language: str | None = None) -> Frame | None:
    """The listing of `count` entries (`render_index`'s arguments but the issues) as the text
    around them; None when the templates may use an entry otherwise than by writing it."""
    from .site import has_archive_item, render_listing

    if not has_archive_item(templates_dir) or not _writes_entries_only(templates_dir):
        return None
    written: list[int] = []  # the place of each entry, in the order they are written
    try:
        text = render_listing(site, [_Entry(i, written) for i in range(count)], templates_dir, language)
    except _NotAnEntry:
        return None
    parts = _MARKED.split(text)
    pieces = tuple(parts[0::2])
    # each mark once, in the order written: a mark in the site's own text is one too many
    if [int(n) for n in parts[1::2]] != list(range(len(written))) or any(_MARK in p for p in pieces):
        return None
    return pieces, tuple(written)


def fill(frame: Frame, entries: Sequence[str]) -> str:
    """The listing of `entries` (each issue's `_archive_item.html`, newest first) in `frame`."""
    pieces, order = frame
    parts = [pieces[0]]
    for i, piece in zip(order, pieces[1:], strict=True):
        parts += (entries[i], piece)
    return "".join(parts)


def is_frame(value: object, count: int | None = None) -> bool:
    """Whether `value` (read back from a cache) has a frame's shape; with `count`, a frame of
    that many entries (each place it names one of them)."""
    if not (isinstance(value, tuple) and len(value) == 2):
        return False
    pieces, order = value
    return (
        isinstance(pieces, tuple)
        and isinstance(order, tuple)
        and len(pieces) == len(order) + 1
        and all(isinstance(p, str) for p in pieces)
        and all(type(i) is int and (count is None or 0 <= i < count) for i in order)
    )


class _NotAnEntry(Exception):
    """The template asked an entry standing in a frame for more than writing its `html`."""


class _Written:
    """An entry's `html` in a frame: written, a mark numbering the writes; nothing else."""

    __slots__ = ("_place", "_written")

    def __init__(self, place: int, written: list[int]):
        self._place, self._written = place, written

    def __html__(self) -> str:
        self._written.append(self._place)
        return f"{_MARK}{len(self._written) - 1}{_MARK}"

    def _refuse(self, *_: object) -> NoReturn:
        raise _NotAnEntry

    __str__ = __repr__ = __format__ = __bool__ = __len__ = __iter__ = __contains__ = _refuse
    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = __hash__ = _refuse  # type: ignore[assignment]
    __add__ = __radd__ = __mul__ = __rmul__ = __mod__ = __rmod__ = __getitem__ = __call__ = _refuse

    def __getattr__(self, name: str) -> NoReturn:
        raise _NotAnEntry(name)


class _Entry:
    """An issue in a frame's listing: its `html` (`_Written`), and nothing else."""

    __slots__ = ("html",)

    def __init__(self, place: int, written: list[int]):
        self.html = _Written(place, written)

    def __getattr__(self, name: str) -> NoReturn:
        raise _NotAnEntry(name)


@read_once
@lru_cache(maxsize=8)
def _writes_entries_only(templates_dir: Path) -> bool:
    """Whether the listing's templates (`index.html` and those it extends) use `items` only as
    the module's docstring says. A template that cannot be read is left to the rendering."""
    from jinja2 import TemplateError, nodes

    from .site import parsed_template

    trees: list[nodes.Template] = []
    name: str | None = "index.html"
    while name is not None:
        if len(trees) > 8:  # a template that extends itself, or a chain no listing needs
            return False
        try:
            tree = parsed_template(templates_dir, name)
        except TemplateError:
            return False
        trees.append(tree)
        parents = [extends.template for extends in tree.find_all(nodes.Extends)]
        if not parents:
            name = None
        elif len(parents) == 1 and isinstance(parents[0], nodes.Const) and isinstance(parents[0].value, str):
            name = parents[0].value
        else:  # extended conditionally, or by a name worked out as it renders
            return False
    # An entry's name is watched in every template of the chain: a block of one may be written
    # inside another's loop (`scoped`), and sees its variable there.
    variables: set[str] = set()
    for tree in trees:
        for loop in _entry_loops(tree):
            if loop.test is not None or loop.recursive or not isinstance(loop.target, nodes.Name):
                return False
            variables.add(loop.target.name)
    return all(_uses_entries_only(tree, variables) for tree in trees)


def _entry_loops(tree: nodes.Template) -> list[nodes.For]:
    from jinja2 import nodes

    return [loop for loop in tree.find_all(nodes.For) if _is_items(loop.iter)]


def _uses_entries_only(tree: nodes.Template, variables: set[str]) -> bool:
    """Whether `tree` uses `items`, and the `variables` its loops (in any template of the
    listing's chain) give each entry, only as the module's docstring says."""
    from jinja2 import nodes

    barred = (
        nodes.Include, nodes.Import, nodes.FromImport, nodes.Macro, nodes.CallBlock, nodes.FilterBlock,
        nodes.AssignBlock, nodes.ScopedEvalContextModifier, nodes.EvalContextModifier,
    )  # fmt: skip
    if any(True for _ in tree.find_all(barred)):
        return False
    allowed: set[int] = set()  # the Name nodes used as allowed, by identity
    for loop in _entry_loops(tree):
        target = cast("nodes.Name", loop.target)
        allowed |= {id(loop.iter), id(target)}
        for output in (node for part in loop.body for node in _self_and_all(part, nodes.Output)):
            for written in output.nodes:
                if (
                    isinstance(written, nodes.Getattr)
                    and written.attr == "html"
                    and isinstance(written.node, nodes.Name)
                    and written.node.name == target.name
                ):
                    allowed.add(id(written.node))
    for counted in tree.find_all(nodes.Filter):  # how many: `items|length`
        if (
            _is_items(counted.node)
            and counted.name in ("length", "count")
            and not (counted.args or counted.kwargs)
        ):
            allowed.add(id(counted.node))
    for branch in tree.find_all((nodes.If, nodes.CondExpr)):  # whether any: `{% if items %}`
        test = cast("nodes.If | nodes.CondExpr", branch).test
        asked = test.node if isinstance(test, nodes.Not) else test
        if _is_items(asked):
            allowed.add(id(asked))
    for asked in tree.find_all(nodes.Getattr):
        if isinstance(asked.node, nodes.Name) and asked.node.name == "loop" and asked.attr in _PLACE:
            allowed.add(id(asked.node))
    names = {"items", "loop", "self", "super"} | variables  # each use of which must be allowed
    return all(id(name) in allowed for name in tree.find_all(nodes.Name) if name.name in names)


def _is_items(node: nodes.Node | None) -> bool:
    from jinja2 import nodes

    return isinstance(node, nodes.Name) and node.name == "items"


def _self_and_all(node: nodes.Node, kind: type[nodes.Output]) -> list[nodes.Output]:
    found = list(node.find_all(kind))
    return [node, *found] if isinstance(node, kind) else found
