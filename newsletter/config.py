"""newsletter.toml -> a typed Config, with one clear error line for every mistake."""

from __future__ import annotations

import functools
import importlib
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .characters import NOT_ONE_LINE, UNSAFE
from .errors import NewsletterError, did_you_mean, toml_error
from .model import CallToAction, Edition, Language, Site, SocialLink

CONFIG_NAME = "newsletter.toml"


@dataclass(frozen=True)
class ImportConfig:
    """How `newsletter import` reads articles."""

    profile_dirs: tuple[Path, ...] = ()
    site_index: tuple[str, ...] = ()  # sitemaps or feeds (paths or URLs) to resolve related links
    default_profile: str | None = None
    site_feed: str = ""  # the magazine's own RSS/Atom feed (path or URL; "{language}"): `digest`


@dataclass(frozen=True)
class EmailConfig:
    sender: str = ""
    reply_to: str = ""
    list_id: str = ""
    unsubscribe_mailto: str = ""
    dkim_key_file: str = ""
    dkim_selector: str = ""
    dkim_domain: str = ""


@dataclass(frozen=True)
class DeliveryConfig:
    database: Path = Path("state/newsletter.db")
    outbox: Path = Path("state/outbox")
    transport: str = "auto"  # auto: smtp when NEWSLETTER_SMTP_URL is set, else outbox; or ses
    ses_configuration_set: str = ""  # SES configuration set (event publishing to SNS)
    connections: int = 4
    rate_per_second: float = 0.0
    hourly_cap: int = 0
    max_attempts: int = 6
    bounce_on_permanent_failure: bool = True
    connect_timeout: float = 10.0  # seconds to reach the SMTP server
    # Returned mail: the VERP envelope sender, the mailbox `bounces` reads, the suppression policy.
    bounce_address: str = ""  # "": the From address, as local+TOKEN@domain
    verp: bool = True
    bounce_mailbox: str = ""  # a Maildir, an mbox file or imaps://user@host/folder
    soft_bounce_limit: int = 3  # soft bounces within soft_bounce_days that suppress an address
    soft_bounce_days: int = 30


@dataclass(frozen=True)
class Limits:
    """Inputs past these limits are refused with a clear error instead of being processed."""

    max_source_bytes: int = 5_000_000  # an article or issue file (and one fetched page)
    max_email_bytes: int = 102_000  # `newsletter check` fails a bigger email: Gmail clips it
    fetch_timeout: float = 20.0  # seconds for one fetch of a page or site index
    max_html_depth: int = 64  # deeper HTML elements are flattened to their text on import
    max_index_bytes: int = 50_000_000  # one sitemap or feed of [import] site_index


@dataclass(frozen=True)
class Config:
    root: Path
    site: Site
    importing: ImportConfig = field(default_factory=ImportConfig)
    email: EmailConfig = field(default_factory=EmailConfig)
    delivery: DeliveryConfig = field(default_factory=DeliveryConfig)
    limits: Limits = field(default_factory=Limits)
    # The parsed file, for the parts that read their own table (`[check]`, `[service]`) with
    # `table()`: one read of the file, one reader, the same error messages everywhere.
    data: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    source: str = ""
    top: Table | None = field(default=None, compare=False, repr=False)

    def table(self, name: str) -> Table:
        """A top-level table of newsletter.toml (empty when absent), read with clear errors."""
        top = self.top or Table(self.data, "", self.source or str(self.root / CONFIG_NAME))
        return top.table(name)

    def edition_language(self, value: str, *, path: str | None = None, line: int | None = None) -> str:
        """`value` as one of this newsletter's editions, or the one error (see `edition_language`)."""
        return edition_language(value, self.site.languages, path=path, line=line)

    @functools.cached_property  # asked for by every issue's every output
    def issues_dir(self) -> Path:
        return self.root / "issues"

    @functools.cached_property
    def templates_dir(self) -> Path:
        return self.root / "templates"

    def path(self, p: Path | str) -> Path:
        """A path from the config, relative to the config file's folder."""
        p = Path(p)
        return p if p.is_absolute() else self.root / p


class Table:
    """Reads one TOML table, naming the file and key in every error.

    It remembers every key it was asked for, present or not, so `refuse_unknown` can tell a
    typo (`feedsize`, `[deliverx]`) from a setting: the readers themselves are the list of
    known keys, and no second list can drift from them.
    """

    def __init__(self, data: dict[str, Any], where: str, path: str):
        self.data, self.where, self.path = data, where, path
        self.known: set[str] = set()
        self.children: dict[str, Table] = {}

    def _err(self, key: str, what: str, line: int | None = None) -> NewsletterError:
        where = f"[{self.where}] " if self.where else ""
        return NewsletterError(f"{where}{key}: {what}", path=self.path, line=line)

    def _line(self, key: str) -> int | None:
        """The line that sets `key` (`key = …`, or a `[table.key]` header) in the file's text,
        since TOML keeps no positions; None when it cannot be told."""
        try:
            lines = Path(self.path).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            return None
        name = re.escape(self._where(key))
        header = re.compile(rf"^\s*\[\[?\s*{name}\s*(\]|\.)")
        found = next((n + 1 for n, text in enumerate(lines) if header.match(text)), None)
        if found:
            return found
        own = re.compile(rf"^\s*\[\[?\s*{re.escape(self.where)}\s*\]\]?\s*(#.*)?$")
        start = next((n + 1 for n, text in enumerate(lines) if own.match(text)), None) if self.where else 0
        setting = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
        for n in range(start or 0, len(lines) if start is not None else 0):
            if lines[n].lstrip().startswith("["):
                break
            if setting.match(lines[n]):
                return n + 1
        return None

    def _get(self, key: str, default: Any) -> Any:
        self.known.add(key)
        return self.data.get(key, default)

    def has(self, key: str) -> bool:
        """Whether `key` is set (and a key this table knows)."""
        self.known.add(key)
        return key in self.data

    def names(self) -> tuple[str, ...]:
        """Every key set here, each taken as known: for tables keyed by name, like [editions]."""
        self.known.update(self.data)
        return tuple(self.data)

    def string(self, key: str, default: str | None = None, *, one_line: bool = True) -> str:
        """A string; control characters are refused, line breaks too unless `one_line` is False
        (a line break in a title or an address would become a header injection)."""
        value = self._get(key, default)
        if value is None:
            raise self._err(key, "is required; add it as a quoted string")
        if not isinstance(value, str):
            raise self._err(key, "must be a string")
        bad = (NOT_ONE_LINE if one_line else UNSAFE).search(value)
        if bad:
            raise self._err(key, f"contains a line break or control character (U+{ord(bad.group()):04X})")
        return value

    def url(self, key: str, default: str | None = "") -> str:
        """An absolute http(s) URL (or "" when absent and not required): never javascript: or data:."""
        value = self.string(key, default).strip()
        if value and (not value.lower().startswith(("https://", "http://")) or " " in value):
            raise self._err(key, "must be an absolute http(s) URL, e.g. https://example.org/")
        return value

    def language(self, key: str, default: str) -> str:
        language = Language.parse(self.string(key, default))
        if language is None:
            raise self._err(key, "must be a language code like de, fr or pt-BR")
        return language.tag

    def whole(self, key: str, default: int) -> int:
        value = self._get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise self._err(key, "must be a whole number ≥ 0")
        return value

    def number(self, key: str, default: float) -> float:
        value = self._get(key, default)
        if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
            raise self._err(key, "must be a number ≥ 0")
        return float(value)

    def flag(self, key: str, default: bool) -> bool:
        value = self._get(key, default)
        if not isinstance(value, bool):
            raise self._err(key, "must be true or false")
        return value

    def strs(self, key: str) -> tuple[str, ...]:
        value = self._get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self._err(key, "must be a list of strings")
        return tuple(value)

    def _where(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def table(self, key: str) -> Table:
        value = self._get(key, {})
        if not isinstance(value, dict):
            raise self._err(key, f"must be a table: write [{self._where(key)}] on its own line")
        if key not in self.children:  # one child per key, so what its readers ask for adds up
            self.children[key] = Table(value, self._where(key), self.path)
        return self.children[key]

    def tables(self, key: str) -> list[Table]:
        value = self._get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self._err(key, f"must be an array of tables ([[{self._where(key)}]])")
        tables = [Table(v, self._where(key), self.path) for v in value]
        for n, t in enumerate(tables):
            self.children[f"{key}[{n}]"] = t
        return tables

    def refuse_unknown(self) -> None:
        """A NewsletterError for the first key no reader asked for, here or in a table below."""
        for key in self.data:
            if key not in self.known:
                kind = "table" if isinstance(self.data[key], dict) else "key"
                hint = did_you_mean(key, self.known) or f"; known here: {', '.join(sorted(self.known))}"
                what = f"unknown {kind}{hint}"
                if not self.where:
                    shown = f"[{key}]" if kind == "table" else key
                    raise NewsletterError(f"{shown}: {what}", path=self.path, line=self._line(key))
                raise self._err(key, what, self._line(key))
        for child in self.children.values():
            child.refuse_unknown()


def edition_language(
    value: str, editions: Sequence[str], *, path: str | None = None, line: int | None = None
) -> str:
    """The edition `value` names (pt-BR is the pt edition when there is no pt-BR one), or the
    one error every way in gives: an import, an issue, a subscriber, a sign-up."""
    language = Language.parse(value)
    found = language.among(editions) if language else None
    if found is None:
        hint = did_you_mean(value, editions) or f"; use one of {', '.join(editions)}"
        raise NewsletterError(
            f"language {value!r} is not an edition of this newsletter{hint}, "
            f"or add an [editions.{value}] table to {CONFIG_NAME}",
            path=path,
            line=line,
        )
    return found


def _feed_id(t: Table) -> str:
    value = t.string("feed_id").strip()
    if not re.match(r"^(tag:|urn:|https?://)\S+$", value):
        raise t._err("feed_id", "must be a URI minted once, like tag:example.org,2025:newsletter")
    return value


def _social(t: Table) -> tuple[SocialLink, ...]:
    return tuple(SocialLink(s.string("name"), s.url("url")) for s in t.tables("social"))


def _title(t: Table) -> str:
    value = " ".join(t.string("title").split())
    if not value:
        raise t._err("title", "is empty; give the newsletter a name")
    return value


def _absolute_base(url: str, t: Table) -> str:
    if not url.startswith(("https://", "http://")):
        raise t._err("base_url", "must be an absolute http(s) URL, e.g. https://example.org/news/")
    return url if url.endswith("/") else url + "/"


def load_config(path: Path | str | None = None) -> Config:
    """Read newsletter.toml (default: in the current folder)."""
    path = Path(path) if path else Path.cwd() / CONFIG_NAME
    if path.is_dir():
        path = path / CONFIG_NAME
    if not path.exists():
        raise NewsletterError(
            f"no {CONFIG_NAME} here; run from the newsletter's folder or pass --config",
            path=str(path),
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise NewsletterError("is not UTF-8 text", path=str(path)) from None
    except tomllib.TOMLDecodeError as e:
        raise toml_error(e, str(path)) from None
    return config_from_dict(data, path)


def config_from_dict(data: dict[str, Any], path: Path) -> Config:
    top = Table(data, "", str(path))
    s = top.table("site")
    language = s.language("language", "en")
    editions: dict[str, Edition] = {}
    eds = top.table("editions")
    for lang in eds.names():
        if Language.parse(lang) is None:
            raise eds._err(lang, "is not a language code; name an edition like [editions.de]")
        e = eds.table(lang)
        cta = None
        if e.has("call_to_action"):
            c = e.table("call_to_action")
            cta = CallToAction(
                c.string("title"), c.string("text", one_line=False), c.string("button"), c.url("url")
            )
        editions[lang] = Edition(
            language=lang,
            call_to_action=cta,
            search_url=e.url("search_url") or None,
            related_heading=e.string("related_heading", "") or None,
            title=" ".join(e.string("title", "").split()),
            subtitle=e.string("subtitle", ""),
            masthead=e.string("masthead", ""),
            logo=e.url("logo") or None,
            sender_name=e.string("sender_name", ""),
            imprint=e.string("imprint", "", one_line=False),
            social=_social(e) if e.has("social") else None,
            feed_id=_feed_id(e) if e.has("feed_id") else "",
        )
    site = Site(
        title=_title(s),
        base_url=_absolute_base(s.url("base_url", None), s),
        language=language,
        feed_id=_feed_id(s),
        subtitle=s.string("subtitle", ""),
        author=s.string("author", ""),
        icon=s.url("icon") or None,
        logo=s.url("logo") or None,
        rights=s.string("rights", ""),
        imprint=s.string("imprint", "", one_line=False),
        feed_size=max(1, s.whole("feed_size", 50)),
        subscribe_url=s.url("subscribe_url") or None,
        unsubscribe_url=s.url("unsubscribe_url"),
        social=_social(s),
        editions=editions,
        websub_hub=s.url("websub_hub") or None,
        masthead=s.string("masthead", ""),
    )
    if site.unsubscribe_url and "{token}" not in site.unsubscribe_url:
        raise s._err("unsubscribe_url", "must contain {token}")
    root = path.parent
    i = top.table("import")
    importing = ImportConfig(
        profile_dirs=tuple(root / p for p in i.strs("profile_dirs")),
        site_index=i.strs("site_index"),
        default_profile=i.string("default_profile", "") or None,
        site_feed=i.string("site_feed", ""),
    )
    m = top.table("email")
    email = EmailConfig(
        sender=m.string("from", ""),
        reply_to=m.string("reply_to", ""),
        list_id=m.string("list_id", ""),
        unsubscribe_mailto=m.string("unsubscribe_mailto", ""),
        dkim_key_file=m.string("dkim_key_file", ""),
        dkim_selector=m.string("dkim_selector", ""),
        dkim_domain=m.string("dkim_domain", ""),
    )
    d = top.table("delivery")
    delivery = DeliveryConfig(
        database=Path(d.string("database", "state/newsletter.db")),
        outbox=Path(d.string("outbox", "state/outbox")),
        transport=d.string("transport", "auto"),
        connections=max(1, d.whole("connections", 4)),
        rate_per_second=d.number("rate_per_second", 0.0),
        hourly_cap=d.whole("hourly_cap", 0),
        max_attempts=max(1, d.whole("max_attempts", 6)),
        bounce_on_permanent_failure=d.flag("bounce_on_permanent_failure", True),
        connect_timeout=d.number("connect_timeout", 10.0) or 10.0,
        ses_configuration_set=d.string("ses_configuration_set", ""),
        bounce_address=d.string("bounce_address", ""),
        verp=d.flag("verp", True),
        bounce_mailbox=d.string("bounce_mailbox", ""),
        soft_bounce_limit=max(1, d.whole("soft_bounce_limit", 3)),
        soft_bounce_days=max(1, d.whole("soft_bounce_days", 30)),
    )
    if delivery.transport not in ("auto", "outbox", "smtp", "ses"):
        raise d._err("transport", "must be one of auto, outbox, smtp, ses")
    if not re.fullmatch(r"[A-Za-z0-9_-]{0,64}", delivery.ses_configuration_set):
        raise d._err(
            "ses_configuration_set", "must be an SES configuration set name (letters, digits, _ and -)"
        )
    lim = top.table("limits")
    limits = Limits(
        max_source_bytes=lim.whole("max_source_bytes", 5_000_000),
        max_email_bytes=lim.whole("max_email_bytes", 102_000),
        fetch_timeout=lim.number("fetch_timeout", 20.0),
        max_html_depth=max(1, lim.whole("max_html_depth", 64)),
        max_index_bytes=lim.whole("max_index_bytes", 50_000_000),
    )
    config = Config(
        root=root,
        site=site,
        importing=importing,
        email=email,
        delivery=delivery,
        limits=limits,
        data=data,
        source=str(path),
        top=top,
    )
    for reader in TABLE_READERS:
        module, name = reader.split(":")
        getattr(importlib.import_module(module), name)(config)
    top.refuse_unknown()
    return config


#: The readers of the tables other parts own (each reads its table through `Config.table`). They
#: run once at load, so every key they ask for is known, and a typo fails every command alike.
TABLE_READERS = (
    "newsletter.judges.settings:check_settings",
    "newsletter.service.settings:read_service_settings",
)
