"""How a running send shows its progress: a bar on a terminal, a summary line now and then in logs."""

from __future__ import annotations

import sys
import time

import click

from ..delivery.send import SendReport


class LineProgress:
    """One summary line every `interval` seconds, for logs and cron mail (no terminal)."""

    def __init__(self, interval: float = 10.0):
        self.interval = interval
        self.last = time.monotonic()

    def __call__(self, r: SendReport) -> None:
        if time.monotonic() - self.last >= self.interval:
            self.last = time.monotonic()
            done = r.sent + r.failed + r.skipped
            click.echo(
                f"{r.slug}: {done}/{r.planned} done, sent {r.sent}, failed {r.failed}, "
                f"retrying {r.retries}, {r.rate:.0f}/s",
                err=True,
            )

    def close(self) -> None:
        pass


class BarProgress:
    """A rich progress bar on a terminal."""

    def __init__(self) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[detail]}"),
            TimeRemainingColumn(),
            transient=True,
        )
        self.task = self.bar.add_task("sending", total=None, detail="")
        self.bar.start()

    def __call__(self, r: SendReport) -> None:
        detail = f"failed {r.failed} · retrying {r.retries} · {r.rate:.0f}/s"
        self.bar.update(
            self.task,
            description=r.slug,
            total=r.planned,
            completed=r.sent + r.failed + r.skipped,
            detail=detail,
        )

    def close(self) -> None:
        self.bar.stop()


def progress_for(*, dry_run: bool) -> BarProgress | LineProgress:
    """A bar on a terminal (unless a dry run), else a line every few seconds."""
    return BarProgress() if sys.stderr.isatty() and not dry_run else LineProgress()
