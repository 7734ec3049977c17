"""The one model every stage shares: sources build it, outputs and delivery read it.

Plain frozen dataclasses, no behaviour beyond small derived properties. If an output needs
something a source knows, it belongs here as a field, never as a second read of the input.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Literal

#: A language as every stage takes it: a BCP 47 tag like "de", "fr" or "pt-BR" (fullmatch).
LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")

BlockKind = Literal["paragraph", "list", "quote", "code", "image", "html", "related"]


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
class Link:
    """An inline link inside a block, kept for the plain-text part's numbered references."""

    label: str
    href: str


@dataclass(frozen=True)
class Block:
    """One block of body content.

    `html` is sanitized HTML for the block's inner content (for a paragraph: the inline
    markup without the surrounding <p>; for a list: the whole <ul>/<ol>). `text` is the
    same content as plain text, for the text part and summaries. A `related` block stands
    where a related link appeared in the article: `related_index` points into
    `Article.related`, and `html`/`text` are empty.
    """

    kind: BlockKind
    html: str = ""
    text: str = ""
    links: tuple[Link, ...] = ()
    related_index: int | None = None


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
    image: str | None = None
    image_alt: str = ""

    @property
    def headings(self) -> tuple[str, ...]:
        return tuple(s.heading for s in self.sections if s.heading)


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
    """Per-language settings of the newsletter: labels that are not in the template catalog."""

    language: str
    call_to_action: CallToAction | None = None
    search_url: str | None = None  # with "{query}": resolves related links no index knows
    related_heading: str | None = None  # overrides the label, e.g. "Lest auch auf Novastan"


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

    def edition(self, language: str) -> Edition:
        return self.editions.get(language) or self.editions.get(self.language) or Edition(language)

    def issue_url(self, issue: Issue) -> str:
        return f"{self.base_url}issues/{issue.slug}/"
