"""The one exception type users see. Its message is a single line: where, what, what to do."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable


class NewsletterError(Exception):
    """A problem with the user's input or setup, reported as one line without a traceback."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None):
        self.message = " ".join(message.split())
        self.path = path
        self.line = line
        super().__init__(str(self))

    def __str__(self) -> str:
        where = ""
        if self.path:
            where = f"{self.path}:{self.line}: " if self.line else f"{self.path}: "
        return f"{where}{self.message}"


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """ "; did you mean 'title'?" when one of `choices` is close to `word`, else ""."""
    close = difflib.get_close_matches(word, sorted(set(choices)), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def toml_error(error: ValueError, path: str) -> NewsletterError:
    """A TOML syntax error as one line with its line number (tomllib puts it in the text)."""
    where = re.search(r" \(at line (\d+), column \d+\)| \(at end of document\)", str(error))
    line = getattr(error, "lineno", None) or (int(where.group(1)) if where and where.group(1) else None)
    message = str(error)[: where.start()] if where else str(error)
    return NewsletterError(f"invalid TOML: {message}", path=path, line=line)
