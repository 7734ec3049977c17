"""Everything the build WRITES from the model: feeds, email, text part, web pages, message."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jinja2 import BytecodeCache


@cache
def template_bytecode() -> BytecodeCache:
    """Compiled templates, kept between builds (keyed by each template's source, so an edit
    is never served stale): a rebuild does not compile every template again."""
    from jinja2 import FileSystemBytecodeCache

    return FileSystemBytecodeCache()  # a private folder of this user under the temp folder
