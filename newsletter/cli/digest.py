"""`newsletter digest`: a digest issue of what an edition published since its last sent issue."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import click

from ..config import load_config
from .options import config_option, user_errors

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _moment(value: str, what: str) -> dt.datetime:
    """An ISO 8601 date-time with offset, or a day (its local midnight)."""
    from ..errors import NewsletterError
    from ..sources.front_matter import parse_datetime

    if _DAY.fullmatch(value.strip()):
        try:
            return dt.datetime.fromisoformat(value.strip()).astimezone()
        except ValueError:
            raise NewsletterError(
                f"{what} {value.strip()!r} is no day of the calendar; write e.g. 2025-11-20"
            ) from None
    return parse_datetime(value, what, example="2025-11-20T08:00:00+01:00, or a day like 2025-11-20")


@click.command("digest")
@click.option("--edition", "language", help="The edition, e.g. de (default: the site's language).")
@click.option(
    "--since",
    default="last-sent",
    show_default=True,
    help="Take what was published after this: a date (2025-11-20), a date-time with offset, "
    "or last-sent (the newest issue of the edition that was sent).",
)
@click.option(
    "--source",
    type=click.Choice(["issues", "feed"]),
    default=None,
    help="Where the articles come from: issues/, or [import] site_feed (default: the feed when it is set).",
)
@click.option("--title", help="The digest's title (default: the edition's, e.g. “Novastan – Die Woche”).")
@click.option("--date", help="The digest's date, ISO 8601 with offset (default: now).")
@click.option("--slug", help="The digest's slug (default: from the title and the date).")
@config_option
@user_errors
def digest_command(
    language: str | None,
    since: str,
    source: str | None,
    title: str | None,
    date: str | None,
    slug: str | None,
    config_path: Path,
) -> None:
    """Write a digest issue into issues/: every article of the edition since --since.

    Prints the new issue's path. When nothing was published since then, says so on stderr,
    writes nothing and exits with status 0 (stdout stays empty).

    \b
    Example: newsletter digest --edition fr --since last-sent
    """
    from ..sources.digest import LAST_SENT, NothingNew, write_digest

    config = load_config(config_path)
    start = since if since == LAST_SENT else _moment(since, "--since")
    when = _moment(date, "--date") if date else None
    try:
        path = write_digest(
            config,
            language=language,
            since=start,  # type: ignore[arg-type]
            source=source,  # type: ignore[arg-type]
            title=title,
            date=when,
            slug=slug,
        )
    except NothingNew as e:
        click.echo(str(e), err=True)
        return
    click.echo(str(path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path))
