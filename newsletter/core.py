"""`open_newsletter`: one newsletter folder, and what can be done with it, from Python.

A thin layer: every method is a call of the function the matching command runs, with the
newsletter's config filled in. The heavy parts (rendering, the judges, delivery) are imported
when first used, so `import newsletter` stays quick.

    >>> news = open_newsletter("path/to/newsletter")        # doctest: +SKIP
    >>> news.build().issues                                  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from .config import Config, load_config
from .errors import NewsletterError
from .model import Issue

if TYPE_CHECKING:
    from .build import BuildResult
    from .delivery.ledger import SendLedger
    from .delivery.send import SendOptions, SendReport
    from .delivery.subscribers import SubscriberList
    from .delivery.transports import Transport
    from .judges.report import CheckResult
    from .publish import PublishReport


def open_newsletter(path: str | Path = ".") -> Newsletter:
    """The newsletter whose newsletter.toml is in the folder `path` (or is the file `path`).

    The config is read and checked here: a mistake in it is a NewsletterError now, not later.
    """
    return Newsletter(load_config(Path(path).resolve()))


class Newsletter:
    """One newsletter: its config, its issues, and build, check, send, publish, subscribers.

    Paths default as the commands' do, but from the newsletter's folder rather than the current
    one: the built site is `<folder>/public`.
    """

    def __init__(self, config: Config):
        self.config = config

    def __repr__(self) -> str:
        return f"<Newsletter {self.config.site.title!r} at {str(self.config.root)!r}>"

    @property
    def root(self) -> Path:
        """The newsletter's folder (where newsletter.toml is)."""
        return self.config.root

    @property
    def public(self) -> Path:
        """Where `build` writes and `check` and `send` read by default."""
        return self.config.root / "public"

    def issues(self) -> list[Issue]:
        """The issues in `issues/`, newest first."""
        from .sources.markdown import read_issues

        return read_issues(
            self.config.issues_dir,
            max_bytes=self.config.limits.max_source_bytes,
            languages=self.config.site.languages,
        )

    def import_article(
        self,
        source: str | Path,
        *,
        date: dt.datetime | None = None,
        slug: str | None = None,
        profile: str | None = None,
        language: str | None = None,
        warn: Callable[[str], None] | None = None,
    ) -> Path:
        """Import an article (a file or an http(s) URL) as a new issue file; its path
        (`newsletter import`). `warn` hears what was left out (an image that is not https)."""
        from .sources.importer import import_article

        return import_article(
            str(source),
            config=self.config,
            date=date,
            slug=slug,
            profile=profile,
            language=language,
            warn=warn,
        )

    def digest(
        self,
        *,
        language: str | None = None,
        since: dt.datetime | Literal["last-sent"] = "last-sent",
        source: Literal["issues", "feed"] | None = None,
        title: str | None = None,
        date: dt.datetime | None = None,
        slug: str | None = None,
    ) -> Path:
        """Write a digest issue of an edition's articles since `since` into issues/; its path
        (`newsletter digest`). Raises `newsletter.sources.digest.NothingNew` when there are none."""
        from .sources.digest import write_digest

        return write_digest(
            self.config, language=language, since=since, source=source, title=title, date=date, slug=slug
        )

    def build(
        self,
        out: Path | None = None,
        *,
        now: dt.datetime | None = None,
        use_cache: bool = True,
        jobs: int | None = None,
    ) -> BuildResult:
        """Build feeds, emails and web pages into `out` (default `public/`), atomically
        (`newsletter build`); with `now`, issues dated later are left out."""
        from .build import build

        return build(self.config, out or self.public, now=now, use_cache=use_cache, jobs=jobs)

    def check(
        self, out: Path | None = None, *, fast: bool = False, now: dt.datetime | None = None
    ) -> CheckResult:
        """Check the sources and the built site, and judge every issue (`newsletter check`);
        `fast` leaves out SpamAssassin and the browser."""
        from .check import run_checks

        return run_checks(self.config, out or self.public, fast=fast, now=now)

    def transport(self) -> Transport:
        """The configured transport: the outbox, or SMTP when NEWSLETTER_SMTP_URL is set."""
        from .delivery.transports import transport_from_config

        return transport_from_config(self.config)

    def send(
        self,
        issue: str,
        *,
        out: Path | None = None,
        secret: str | None = None,
        transport: Transport | None = None,
        options: SendOptions | None = None,
        dry_run: bool = False,
    ) -> SendReport:
        """Send the built issue (a slug or a source file) to its subscribers, once each
        (`newsletter send`). `secret` defaults to NEWSLETTER_SECRET, `transport` to the
        configured one."""
        from .delivery.send import send_issue

        parts = self._delivery(issue, out, secret, transport, dry_run)
        return send_issue(self.config, **parts, options=options, dry_run=dry_run)

    def send_test(
        self,
        issue: str,
        address: str,
        *,
        out: Path | None = None,
        secret: str | None = None,
        transport: Transport | None = None,
    ) -> str:
        """One "[TEST]" copy of the built issue to `address`, outside the ledger
        (`newsletter send --test`); the server's reply."""
        from .delivery.send import send_test

        return send_test(self.config, **self._delivery(issue, out, secret, transport), address=address)

    def publish(
        self,
        *,
        now: dt.datetime | None = None,
        out: Path | None = None,
        dry_run: bool = False,
        send: bool = True,
        secret: str | None = None,
        transport: Transport | None = None,
    ) -> PublishReport:
        """Build what is due at `now` (default: this moment), check it, and send the due issues
        not sent yet (`newsletter publish`)."""
        from .publish import publish

        return publish(
            self.config,
            now=now or dt.datetime.now(dt.UTC),
            out=out or self.public,
            dry_run=dry_run,
            send=send,
            secret=secret,
            transport=transport,
        )

    def subscribers(self) -> SubscriberList:
        """The subscriber list ([delivery] database); close it, or use it in a `with` block."""
        from .delivery.subscribers import SubscriberList

        return SubscriberList(self.config.path(self.config.delivery.database))

    def ledger(self) -> SendLedger:
        """The send ledger (who got which issue); close it, or use it in a `with` block."""
        from .delivery.ledger import SendLedger

        return SendLedger(self.config.path(self.config.delivery.database))

    def _delivery(
        self,
        issue: str,
        out: Path | None,
        secret: str | None,
        transport: Transport | None,
        dry_run: bool = False,
    ) -> dict[str, Any]:
        """What sending takes: the issue a slug or file names, its built HTML and text, the
        secret (NEWSLETTER_SECRET unless given) and the transport (the configured one)."""
        from .delivery.send import find_issue
        from .delivery.tokens import secret_from_env
        from .outputs.built import built_email

        public = out or self.public
        the_issue = find_issue(self.config, issue, public)
        html, text = built_email(public, the_issue)
        if not secret:
            try:
                secret = secret_from_env()
            except NewsletterError:
                if not dry_run:
                    raise
                secret = "dry-run"  # a dry run signs nothing anyone receives
        transport = transport or self.transport()
        return {"issue": the_issue, "html": html, "text": text, "secret": secret, "transport": transport}
