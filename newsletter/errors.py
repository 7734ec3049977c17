"""The one exception type users see. Its message is a single line: where, what, what to do."""

from __future__ import annotations


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
