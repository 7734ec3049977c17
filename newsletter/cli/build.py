"""`newsletter import`, `build`, `check` and `preview`: from an article to a checked site."""

from __future__ import annotations

import datetime as dt
import sys
import threading
from pathlib import Path

import click

from ..config import load_config
from ..errors import NewsletterError
from .options import RenamedOption, config_option, may_exit_quickly, out_option, user_errors


def _parse_date(value: str | None) -> dt.datetime | None:
    from ..sources.front_matter import parse_datetime

    return None if value is None else parse_datetime(value, "--date")


@click.command("import")
@click.argument("source")
@click.option("--date", help="Publication time, ISO 8601 with offset (default: the page's date, else now).")
@click.option("--slug", help="The issue's slug (default: from the title).")
@click.option("--profile", help="Site profile to apply (default: detected from the text).")
@click.option(
    "--language",
    "--lang",
    "language",
    cls=RenamedOption,
    old_names=("--lang",),
    help="The article's language, e.g. de (default: detected).",
)
@config_option
@user_errors
def import_command(
    source: str,
    date: str | None,
    slug: str | None,
    profile: str | None,
    language: str | None,
    config_path: Path,
) -> None:
    """Import an article (text dump, HTML page or Markdown; a file or an http(s) URL) into issues/.

    \b
    Example: newsletter import article.txt --date 2025-11-20T08:00:00+01:00
    """
    from ..sources.importer import import_article

    config = load_config(config_path)
    path = import_article(
        source,
        config=config,
        date=_parse_date(date),
        slug=slug,
        profile=profile,
        language=language,
        warn=lambda message: click.echo(f"warning: {message}", err=True),
    )
    click.echo(str(path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path))


@click.command("build")
@out_option()
@click.option(
    "--no-cache", is_flag=True, help="Render everything, ignoring .cache/newsletter/ (and rewrite it)."
)
@click.option(
    "--jobs", type=click.IntRange(min=1), default=None, help="Worker processes (default: one per core)."
)
@config_option
@user_errors
def build_command(out: Path, no_cache: bool, jobs: int | None, config_path: Path) -> None:
    """Build feeds, email issues and web pages from issues/ into OUT, atomically.

    Unchanged issues come from the cache in .cache/newsletter/; the output is the same bytes.

    \b
    Example: newsletter build --out public
    """
    from ..build import build

    result = build(load_config(config_path), out, use_cache=not no_cache, jobs=jobs, exiting=True)
    click.echo(
        f"built {result.count} issue(s), {result.files} files into {out}/ "
        f"({result.rendered} rendered, {result.count - result.rendered} from the cache)"
    )
    click.echo(f"open {out / 'index.html'} (or run `newsletter preview`)")
    may_exit_quickly()  # every file is closed and every worker joined: nothing left to free


@click.command("check")
@out_option()
@click.option("--report", is_flag=True, help="Also print a table per issue: spam score, rules, axe, sizes.")
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the full report as JSON to this file (for CI).",
)
@click.option("--fast", is_flag=True, help="Skip SpamAssassin and the browser (axe-core, contrast).")
@config_option
@user_errors
def check_command(out: Path, report: bool, json_path: Path | None, fast: bool, config_path: Path) -> None:
    """Check sources and built output, and judge every issue as mail providers and screen readers
    would; one line per problem, exit 1 if any. Warnings (e.g. a long subject) go to stderr.

    Limits come from the optional [check] table: spam_limit (3.0), subject_warn_length (78).

    \b
    Example: newsletter build && newsletter check --report --json check.json
    """
    from ..check import run_checks
    from ..judges.report import render_table, write_json
    from ..judges.settings import check_settings

    config = load_config(config_path)
    settings = check_settings(config)
    result = run_checks(config, out, settings=settings, fast=fast)
    if json_path:
        write_json(result, json_path)
    if report:
        click.echo(render_table(result))
    for w in result.warnings:
        click.echo(f"warning: {w}", err=True)
    for p in result.problems:
        click.echo(str(p))
    if result.problems:
        click.echo(f"{len(result.problems)} problem(s)", err=True)
        sys.exit(1)
    click.echo("ok: no problems")


@click.command("preview")
@out_option()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@config_option
@user_errors
def preview_command(out: Path, host: str, port: int, config_path: Path) -> None:
    """Serve OUT on loopback, rebuild when issues, templates or config change.

    \b
    Example: newsletter preview --port 8000, then open http://127.0.0.1:8000/_preview/<slug>/
    """
    from ..build import build
    from ..preview import serve, wait_forever, watch

    config = load_config(config_path)
    result = build(config, out)

    def rebuild() -> None:
        try:
            build(load_config(config_path), out)
            click.echo("rebuilt")
        except NewsletterError as e:
            click.echo(f"error: {e}", err=True)

    stop, watching = threading.Event(), threading.Event()
    paths = [config.issues_dir, config.templates_dir, Path(config.source)]
    threading.Thread(target=watch, args=(paths, rebuild, stop, 200, watching), daemon=True).start()
    watching.wait(30)  # the addresses are printed once a change will be seen
    server = serve(out, host, port)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    click.echo(f"serving {out}/ at http://{host}:{server.server_address[1]}/")
    for issue in result.issues:
        click.echo(f"  {issue.slug}: http://{host}:{server.server_address[1]}/_preview/{issue.slug}/")
    try:
        wait_forever()
    except KeyboardInterrupt:
        stop.set()
        server.shutdown()
