"""Jinja2's compiled templates, kept between builds, and a template's mistakes as one line.

Apart from the package's `__init__`, so that a build which makes no page or email (a
rebuild placing every issue from the cache) never imports Jinja2.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from types import TracebackType
from typing import Any

from jinja2 import (
    BytecodeCache,
    Environment,
    FileSystemBytecodeCache,
    TemplateError,
    TemplateNotFound,
    TemplateSyntaxError,
)
from jinja2.bccache import Bucket

from ..errors import NewsletterError


class QuietBytecodeCache(FileSystemBytecodeCache):
    """Compiled templates on disk that can only make a build faster: a full, read-only or
    damaged cache folder is a miss (the template is compiled again), never an error."""

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except (OSError, EOFError, ValueError):
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


@cache
def template_bytecode() -> BytecodeCache | None:
    """Compiled templates, kept between builds (keyed by each template's source, so an edit
    is never served stale): a rebuild does not compile every template again. None where no
    private folder can be had under the temp folder: templates are then compiled each time."""
    try:
        return QuietBytecodeCache()  # a private folder of this user under the temp folder
    except (OSError, RuntimeError):
        return None


def render_template(env: Environment, folder: Path, name: str, context: Mapping[str, Any], kind: str) -> str:
    """The template `name` of `folder` (the `kind` of templates: "email", "site") rendered with
    `context`. A mistake in it is a one-line error naming the template file and, where Jinja2
    knows it, the line: a syntax error, a template missing, a name it does not know."""
    try:
        return env.get_template(name).render(context)
    except TemplateNotFound as e:
        raise NewsletterError(
            f"{kind} template {e.name} is missing; restore it from the project skeleton",
            path=str(folder / str(e.name)),
        ) from None
    except TemplateSyntaxError as e:
        raise NewsletterError(
            f"{kind} template error: {e.message}", path=e.filename or str(folder), line=e.lineno
        ) from None
    except TemplateError as e:
        path, line = _template_frame(e.__traceback__, folder)
        raise NewsletterError(
            f"{kind} template error: {e.message}", path=path or str(folder / name), line=line
        ) from None


def _template_frame(tb: TracebackType | None, folder: Path) -> tuple[str | None, int | None]:
    """The template file and line a rendering error was raised at: the innermost frame in
    `folder` (Jinja2 rewrites a template's frames to name its file and line)."""
    where: tuple[str | None, int | None] = (None, None)
    inside = str(folder) + os.sep
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.startswith(inside):
            where = (filename, tb.tb_lineno)
        tb = tb.tb_next
    return where
