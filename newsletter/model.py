"""The one model every stage shares: sources build it, outputs and delivery read it.

Plain frozen dataclasses, no behaviour beyond small derived properties. If an output needs
something a source knows, it belongs here as a field, never as a second read of the input.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

#: A language as every stage takes it: a BCP 47 tag like "de", "fr" or "pt-BR" (fullmatch).
LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")
#: Languages written right to left (primary subtags; "iw" is Hebrew's old code).
RTL_LANGUAGES = frozenset({"ar", "arc", "ckb", "dv", "fa", "he", "iw", "ks", "ps", "sd", "ug", "ur", "yi"})


@dataclass(frozen=True)
class Language:
    """A language tag, written the one way every stage writes it, and what follows from it.

    `Language.parse("pt_br")` is `Language("pt-BR")`: "_" becomes "-", the language subtag is
    lower case, a region upper case, a script title case (BCP 47's conventions).
    """

    tag: str

    @classmethod
    def parse(cls, value: str) -> Language | None:
        """The language `value` names, or None when it is not a tag like de, fr or pt-BR."""
        value = value.strip().replace("_", "-")
        if not LANGUAGE_TAG.fullmatch(value):
            return None
        first, *rest = value.split("-")
        parts = [first.lower()]
        for part in rest:
            if (len(part) == 2 and part.isalpha()) or (len(part) == 3 and part.isdigit()):
                parts.append(part.upper())  # a region: BR, 419
            elif len(part) == 4 and part.isalpha():
                parts.append(part.title())  # a script: Latn
            else:
                parts.append(part.lower())
        return cls("-".join(parts))

    @property
    def primary(self) -> str:
        """The language subtag, lower case: "pt" for pt-BR."""
        return self.tag.split("-")[0].lower()

    @property
    def direction(self) -> Literal["ltr", "rtl"]:
        """How its script runs, for `dir=`."""
        return "rtl" if self.primary in RTL_LANGUAGES else "ltr"

    @property
    def locale(self) -> str:
        """The tag as Babel and CLDR name a locale: "pt_BR"."""
        return self.tag.replace("-", "_")

    def matches(self, other: str) -> bool:
        """Whether `other` is the same language (pt-BR and pt do; case does not matter)."""
        return self.primary == other.split("-")[0].strip().lower()

    def among(self, tags: Iterable[str]) -> str | None:
        """The tag of `tags` that stands for this language: the same tag (in any case), else the
        first of the same language (pt-BR picks pt); None when none does."""
        tags = tuple(tags)
        same = [t for t in tags if t.lower() == self.tag.lower()]
        return next(iter(same or [t for t in tags if self.matches(t)]), None)


BlockKind = Literal["paragraph", "list", "quote", "code", "image", "video", "embed", "html", "related"]


@dataclass(frozen=True)
class Person:
    """An author or translator."""

    name: str
    url: str | None = None


@dataclass(frozen=True)
class RelatedLink:
    """A "Lest auch auf Novastan: …" link; `url` is None until it has been resolved."""

    title: str
    url: str | None = None


@dataclass(frozen=True)
class Translation:
    """The same article in another language: `target` is an issue's slug or an absolute URL."""

    language: str
    target: str

    @property
    def is_url(self) -> bool:
        return self.target.startswith(("https://", "http://"))


@dataclass(frozen=True)
class Image:
    """An image the article shows: the lead image or a figure in the body.

    `url` is an absolute https URL; nothing fetches it at build or send time, so `width` and
    `height` are what the source said (None when it did not). `alt` describes the image for
    readers who cannot see it; `caption` and `credit` are shown below it.
    """

    url: str
    alt: str = ""
    caption: str = ""
    credit: str = ""
    width: int | None = None
    height: int | None = None

    @property
    def shown(self) -> bool:
        """Whether outputs show it: only an https image loads in every mail client and page."""
        return self.url.startswith("https://")


def shown(image: Image | None) -> Image | None:
    """`image` if the outputs show it (`Image.shown`), else None."""
    return image if image is not None and image.shown else None


@dataclass(frozen=True)
class Teaser:
    """One article a digest issue bundles: its title, standfirst and image, and where it is read.

    `slug` names an issue built here (its page is the link); otherwise `url` is the article's
    absolute https URL. `language` and `date` are the article's when known ("" and None if not).
    """

    title: str
    url: str = ""
    slug: str = ""
    summary: str = ""
    image: Image | None = None
    language: str = ""
    date: dt.datetime | None = None
    source: str = ""  # how the front matter named it: an issue file or slug ("" when given inline)


@dataclass(frozen=True)
class Block:
    """One block of body content.

    `html` is sanitized HTML for the block's inner content (for a paragraph: the inline
    markup without the surrounding <p>; for a list: the whole <ul>/<ol>). `text` is the
    same content as plain text, for the text part and summaries. A `related` block stands
    where a related link appeared in the article: `related_index` points into
    `Article.related`, and `html`/`text` are empty. An `image` block that is one picture has
    it as `image` (its `html` is the figure, its `text` the alt); a `video` block is an embed
    the sanitizer removed, kept as the link `url` to watch it (`html` and `text` empty).
    """

    kind: BlockKind
    html: str = ""
    text: str = ""
    related_index: int | None = None
    image: Image | None = None
    url: str | None = None

    @property
    def is_embed(self) -> bool:
        """Whether it stands for a video or other embedded content: shown as a link to `url`."""
        return self.kind in ("video", "embed") and bool(self.url)


@dataclass(frozen=True)
class Section:
    """A run of blocks under one subheading; the lead section has `heading` None."""

    heading: str | None
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Article:
    """The editorial content of an issue."""

    title: str
    summary: str
    sections: tuple[Section, ...]
    authors: tuple[Person, ...] = ()
    translators: tuple[Person, ...] = ()
    tags: tuple[str, ...] = ()
    related: tuple[RelatedLink, ...] = ()
    source_url: str | None = None
    image: Image | None = None  # the lead image
    translations: tuple[Translation, ...] = ()  # the other languages this article is in
    translated_from: str | None = None  # the language the translators worked from

    @property
    def headings(self) -> tuple[str, ...]:
        return tuple(s.heading for s in self.sections if s.heading)

    @property
    def lead_image(self) -> Image | None:
        """The lead image as every output shows it: None when there is none to show."""
        return shown(self.image)


def aware(when: dt.datetime) -> dt.datetime:
    """`when` with an offset, as feeds need one: a naive time from a careless source is UTC."""
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class Issue:
    """One newsletter issue: an article plus its publication metadata.

    `id` is a `tag:` URI minted once at import and stored in the source; it is never
    recomputed, so renaming a file or editing a title never changes it.
    """

    id: str
    slug: str
    date: dt.datetime
    language: str
    article: Article
    updated: dt.datetime | None = None
    source_path: str = ""
    preheader: str = ""
    articles: tuple[Teaser, ...] = ()  # a digest's articles, shown as teasers after its body

    @property
    def is_digest(self) -> bool:
        return bool(self.articles)

    @property
    def last_modified(self) -> dt.datetime:
        return self.updated or self.date


@dataclass(frozen=True)
class CallToAction:
    """A designed call-to-action block (the donation call), from config, never from the body."""

    title: str
    text: str
    button: str
    url: str


@dataclass(frozen=True)
class SocialLink:
    name: str
    url: str


@dataclass(frozen=True)
class Edition:
    """Per-language settings of the newsletter: labels that are not in the template catalog, and
    what an edition says of itself. Empty values (None, "") fall back to `[site]`."""

    language: str
    call_to_action: CallToAction | None = None
    search_url: str | None = None  # with "{query}": resolves related links no index knows
    related_heading: str | None = None  # overrides the label, e.g. "Lest auch auf Novastan"
    title: str = ""
    subtitle: str = ""
    masthead: str = ""  # the line over the email and the pages (default: the title)
    logo: str | None = None
    sender_name: str = ""  # the From display name of this edition's emails
    imprint: str = ""
    social: tuple[SocialLink, ...] | None = None  # None: the site's; () none at all
    feed_id: str = ""  # the edition feeds' id (default: the site's feed_id + "/" + language)


@dataclass(frozen=True)
class Site:
    """The newsletter itself, as the outputs need it."""

    title: str
    base_url: str  # absolute, ends with "/"
    language: str
    feed_id: str
    subtitle: str = ""
    author: str = ""
    icon: str | None = None
    logo: str | None = None
    rights: str = ""
    imprint: str = ""
    feed_size: int = 50
    subscribe_url: str | None = None
    unsubscribe_url: str = ""  # with "{token}"
    social: tuple[SocialLink, ...] = ()
    editions: dict[str, Edition] = field(default_factory=dict)
    websub_hub: str | None = None  # the WebSub hub the feeds name, pinged by `publish`
    masthead: str = ""  # the line over the email and the pages; "" is the title

    @property
    def languages(self) -> tuple[str, ...]:
        """The editions: the site's language first, then every other `[editions.*]`."""
        return (self.language, *(code for code in self.editions if code != self.language))

    def edition(self, language: str) -> Edition:
        return self.editions.get(language) or self.editions.get(self.language) or Edition(language)

    @property
    def multilingual(self) -> bool:
        """Whether there is more than one edition: then each has its own archive and feeds."""
        return len(self.languages) > 1

    def for_edition(self, language: str) -> Site:
        """The site as the edition in `language` presents itself: its title, subtitle, masthead,
        logo, imprint and social links where it has them, the site's otherwise. The same site
        when nothing differs, so a one-edition newsletter renders exactly as before. Made once
        per edition: every issue of it gets the same object (so what is made of the site once,
        its XML-safe copy, is found again)."""
        made = self.__dict__.get("_edition_sites")
        if made is None:
            made = {}
            object.__setattr__(self, "_edition_sites", made)  # a cache beside the fields, not one
        site = made.get(language)
        if site is None:
            site = made[language] = self._edition_site(language)
        return site

    def __getstate__(self) -> dict[str, Any]:  # the cache stays behind
        return {k: v for k, v in self.__dict__.items() if k != "_edition_sites"}

    def _edition_site(self, language: str) -> Site:
        e = self.editions.get(language)
        if e is None:
            return self
        changes: dict[str, Any] = {
            "title": e.title,
            "subtitle": e.subtitle,
            "masthead": e.masthead,
            "logo": e.logo,
            "imprint": e.imprint,
            "social": e.social,
        }
        changes = {k: v for k, v in changes.items() if v or (k == "social" and v is not None)}
        changes = {k: v for k, v in changes.items() if getattr(self, k) != v}
        return replace(self, **changes) if changes else self

    def edition_path(self, language: str) -> str:
        """Where an edition's archive and feeds go, relative to `base_url`: "de/"."""
        return f"{language.lower()}/"

    def edition_feed_id(self, language: str) -> str:
        e = self.editions.get(language)
        return (e.feed_id if e and e.feed_id else "") or f"{self.feed_id}/{language.lower()}"

    def issue_url(self, issue: Issue) -> str:
        return self.page_url(issue.slug)

    def page_url(self, slug: str) -> str:
        """The web page of the issue with `slug`."""
        return f"{self.base_url}issues/{slug}/"

    def teaser_url(self, teaser: Teaser) -> str:
        """Where a digest's teaser leads: its issue's page here, else the article's URL."""
        return self.page_url(teaser.slug) if teaser.slug else teaser.url

    def translation_url(self, translation: Translation) -> str:
        """Where a translation is read: its URL, or its issue's page here."""
        if translation.is_url:
            return translation.target
        return self.page_url(translation.target)
