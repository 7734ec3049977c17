"""What every `newsletter` subcommand shares, wherever it lives: the --config option and the
rule that a user's mistake is one `error: …` line and exit status 1, never a traceback."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from .errors import NewsletterError

F = TypeVar("F", bound=Callable[..., Any])

config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    default=None,
    help="newsletter.toml to use (default: the one in the current folder).",
)


def user_errors(fn: F) -> F:
    """Turn a NewsletterError into one `error: …` line and exit status 1, never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except NewsletterError as e:
            click.echo(f"error: {e}", err=True)
            sys.exit(1)
        except Exception as e:
            # A database failure the store did not foresee (locked, disk full, server gone):
            # still one line. sqlalchemy is only loaded by the commands that use the store.
            if "newsletter.store" not in sys.modules:
                raise
            from .store import database_error, is_database_error

            if not is_database_error(e):
                raise
            click.echo(f"error: {database_error(e)}", err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]
