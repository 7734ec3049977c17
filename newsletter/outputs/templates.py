"""Jinja2's compiled templates, kept between builds.

Apart from the package's `__init__`, so that a build which makes no page or email (a
rebuild placing every issue from the cache) never imports Jinja2.
"""

from __future__ import annotations

import contextlib
from functools import cache

from jinja2 import BytecodeCache, FileSystemBytecodeCache
from jinja2.bccache import Bucket


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
