"""What every `newsletter` subcommand shares: the --config and --out options, and the rule that
a user's mistake is one `error: …` line and exit status 1, never a traceback."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from ..errors import NewsletterError

F = TypeVar("F", bound=Callable[..., Any])

config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    default=None,
    help="newsletter.toml to use (default: the one in the current folder).",
)


class RenamedOption(click.Option):
    """An option whose old names still work but no longer show in --help."""

    def __init__(self, *args: Any, old_names: tuple[str, ...] = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.old_names = old_names

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        opts = self.opts
        self.opts = [o for o in opts if o not in self.old_names]
        try:
            return super().get_help_record(ctx)
        finally:
            self.opts = opts


def out_option(help: str | None = None) -> Callable[[F], F]:
    """`--out DIR`, the built site, the same name for every command (`--public`: its old name)."""
    return click.option(
        "--out",
        "--public",
        "out",
        cls=RenamedOption,
        old_names=("--public",),
        type=click.Path(file_okay=False, path_type=Path),
        default=Path("public"),
        show_default=True,
        help=help,
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
            from ..store import database_error, is_database_error

            if not is_database_error(e):
                raise
            click.echo(f"error: {database_error(e)}", err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


#: Set by a command that has ended well and left nothing to clean up (every file closed, every
#: worker process joined): its process may then end without the interpreter's teardown (`run`).
_QUICK_EXIT = [False]


def may_exit_quickly() -> None:
    """Let the `newsletter` command's process end without freeing its objects one by one."""
    _QUICK_EXIT[0] = True


def quick_exit_allowed() -> bool:
    return _QUICK_EXIT[0]
