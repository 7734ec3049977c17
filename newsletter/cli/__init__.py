"""The `newsletter` command: one file per command group, each a few lines over the library API.

build.py        import, build, check, preview
digest.py       digest
send.py         send (progress.py: its progress line or bar)
subscribers.py  subscribers import/add/remove/list/export/unsuppress
publish.py      publish, init
serve.py        serve
feedback.py     bounces, report
db.py           db upgrade/status/copy
options.py      what they share: --config, --out, one-line errors
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys

import click

from ..defaults import DISTRIBUTION

#: Every command, imported only when used: the delivery and service stacks (Flask, DKIM)
#: would otherwise slow down every `build`.
LAZY_COMMANDS = {
    "import": ("newsletter.cli.build", "import_command"),
    "digest": ("newsletter.cli.digest", "digest_command"),
    "build": ("newsletter.cli.build", "build_command"),
    "check": ("newsletter.cli.build", "check_command"),
    "preview": ("newsletter.cli.build", "preview_command"),
    "send": ("newsletter.cli.send", "send_command"),
    "subscribers": ("newsletter.cli.subscribers", "subscribers_group"),
    "publish": ("newsletter.cli.publish", "publish_command"),
    "init": ("newsletter.cli.publish", "init_command"),
    "serve": ("newsletter.cli.serve", "serve_command"),
    "bounces": ("newsletter.cli.feedback", "bounces_command"),
    "report": ("newsletter.cli.feedback", "report_command"),
    "db": ("newsletter.cli.db", "db_group"),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *LAZY_COMMANDS])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in LAZY_COMMANDS:
            module, name = LAZY_COMMANDS[cmd_name]
            command: click.Command = getattr(importlib.import_module(module), name)
            return command
        return super().get_command(ctx, cmd_name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name=DISTRIBUTION)
def main() -> None:
    """Turn magazine articles into a newsletter: feeds, an email issue, a web archive, delivery."""


def run() -> None:
    """The `newsletter` command: `main`, and for a command that allows it (`build`) an end that
    skips the interpreter's teardown once it has succeeded, as mypy's `hard_exit` does: freeing
    a build's records and every module one by one took a tenth of a rebuild. Run in process
    (tests, `CliRunner`), `main` ends as usual."""
    from .options import quick_exit_allowed

    try:
        main(prog_name="newsletter")
    except SystemExit as e:
        if e.code in (0, None) and quick_exit_allowed():
            with contextlib.suppress(OSError):  # a reader that went away: as a normal exit
                sys.stdout.flush()
                sys.stderr.flush()
            os._exit(0)
        raise
