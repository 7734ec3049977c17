"""The web archive: one page per issue ("view in browser") and the listing of all issues.

Jinja2 is imported when a page is first made: a rebuild that finds every page in the cache
(an edit to one article's body) never loads it in the main process. What renders an article
(`content`) is imported by the issue's page only: a listing needs none of it.

An issue's entry in the listing (`_archive_item.html`) is rendered with the issue, and kept
with what the build keeps of it: a listing is then those entries joined, and an edit that
changes one issue's title renders one entry, not a thousand.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ..model import Issue, Language, Site
from . import read_once
from .labels import Labels, labels_for, language_name, social_label

if TYPE_CHECKING:
    import jinja2


@read_once
@lru_cache(maxsize=8)
def _environment(templates_dir: Path) -> jinja2.Environment:
    import jinja2

    from .templates import template_bytecode

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir / "site"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,  # read again by the next build (`read_templates_again`)
        bytecode_cache=template_bytecode(),
    )
    env.filters["social_label"] = social_label  # "linkedin" -> "LinkedIn", as in the email
    return env


def _render(templates_dir: Path, name: str, context: dict[str, Any]) -> str:
    from .templates import render_template

    return render_template(_environment(templates_dir), templates_dir / "site", name, context, "site")


def _edition_links(site: Site, language: str | None) -> dict[str, object]:
    """Where a page's archive link, feed links and edition picker point: the edition's own
    archive and feeds on a newsletter with several editions, the site's on one with one."""
    if not site.multilingual:
        return {"home": site.base_url, "feed_base": site.base_url, "editions": []}
    editions = [
        {"language": code, "name": language_name(code), "url": site.base_url + site.edition_path(code)}
        for code in site.languages
    ]
    home = site.base_url + site.edition_path(language) if language else site.base_url
    return {"home": home, "feed_base": home, "editions": editions}


def render_issue_page(site: Site, issue: Issue, templates_dir: Path) -> str:
    """The issue's web page: the article, related links, call to action, feed autodiscovery."""
    from markupsafe import Markup

    from .content import (
        article_html,
        body_sections,
        lead_paragraph,
        original_link,
        page_figure,
        teasers_html,
        translation_links,
    )

    site = site.for_edition(issue.language)
    labels = labels_for(templates_dir, issue.language)
    lead = lead_paragraph(issue)
    image = issue.article.lead_image
    return _render(
        templates_dir,
        "issue.html",
        {
            "site": site,
            "issue": issue,
            "labels": labels,
            "lang": issue.language,
            "dir": Language(issue.language).direction,
            "url": site.issue_url(issue),
            "body": article_html(
                site, issue, labels, related_block=True, sections=body_sections(issue), figure=page_figure
            ),
            "image": image,
            "figures": image is not None or any(b.image for s in issue.article.sections for b in s.blocks),
            "lead_figure": Markup(page_figure(image, lazy=False)) if image else "",
            "teasers": Markup(teasers_html(site, issue, labels)),
            "standfirst": Markup(lead.html) if lead else issue.article.summary,
            "cta": site.edition(issue.language).call_to_action,
            "translations": translation_links(site, issue, labels),
            "original": original_link(issue, labels),
            **_edition_links(site, issue.language),
        },
    )


#: An issue's entry in the archive listing, inside `templates_dir/site/`.
ARCHIVE_ITEM = "_archive_item.html"


class ListedIssue(Protocol):
    """An issue in a listing: its language, the issue without its body (read only when a
    template asks for more than the entry), and its entry as rendered with it, if it was."""

    @property
    def language(self) -> str: ...
    @property
    def listing(self) -> Issue: ...
    @property
    def archive_item(self) -> str | None: ...


class _Item:
    """What a listing's template sees of one issue: `html`, its entry; `issue`, `url` and
    `labels`, what the entry is rendered from (and a template of an older project lists)."""

    __slots__ = ("_listed", "_site", "_templates_dir", "labels")

    def __init__(self, listed: ListedIssue, site: Site, templates_dir: Path, labels: Labels):
        self._listed, self._site, self._templates_dir, self.labels = listed, site, templates_dir, labels

    @property
    def issue(self) -> Issue:
        return self._listed.listing

    @property
    def url(self) -> str:
        return self._site.issue_url(self.issue)

    @property
    def html(self) -> Any:
        from markupsafe import Markup

        made = self._listed.archive_item
        return Markup(made if made is not None else _render_item(self._templates_dir, self))


def _render_item(templates_dir: Path, item: _Item) -> str:
    return _render(templates_dir, ARCHIVE_ITEM, {"item": item})


class _Unrendered:
    """An issue listed as it is, its entry not rendered yet."""

    __slots__ = ("language", "listing")
    archive_item = None

    def __init__(self, issue: Issue):
        self.listing, self.language = issue, issue.language


def render_archive_item(site: Site, listing: Issue, templates_dir: Path) -> str | None:
    """`listing`'s entry in every listing that holds it (`_archive_item.html`, which sees only
    `item`: the same entry in the site's listing and its edition's), rendered once with the
    issue; None with templates that have none (an older project's `index.html`, which lists
    the issues itself)."""
    if not has_archive_item(templates_dir):
        return None
    labels = labels_for(templates_dir, listing.language)
    return _render_item(templates_dir, _Item(_Unrendered(listing), site, templates_dir, labels))


@read_once
@lru_cache(maxsize=8)
def has_archive_item(templates_dir: Path) -> bool:
    return (templates_dir / "site" / ARCHIVE_ITEM).is_file()


def parsed_template(templates_dir: Path, name: str) -> jinja2.nodes.Template:
    """The site template `name`, parsed (not compiled): what a check of its code reads. Raises
    Jinja2's errors (`TemplateNotFound`, `TemplateSyntaxError`) as they are."""
    env = _environment(templates_dir)
    assert env.loader is not None  # made with one
    source, filename, _ = env.loader.get_source(env, name)
    return env.parse(source, name, filename)


def ready_index(templates_dir: Path) -> None:
    """Load the listing's template now (Jinja2 with it), before it is needed: what the processes
    forked to make the listings inherit. A template that cannot be loaded is left for the
    listing's own rendering to report."""
    from jinja2 import TemplateError

    with contextlib.suppress(TemplateError):
        _environment(templates_dir).get_template("index.html")


def render_index(
    site: Site, issues: Sequence[Issue | ListedIssue], templates_dir: Path, language: str | None = None
) -> str:
    """The archive listing, newest first: of every issue, or with `language` of one edition's
    (its page at `site.edition_path(language)`). Each issue's entry is the one rendered with
    it (`render_archive_item`), else rendered now."""
    listed = [_Unrendered(i) if isinstance(i, Issue) else i for i in issues]
    by_language = {code: labels_for(templates_dir, code) for code in {i.language for i in listed}}
    items = [_Item(i, site, templates_dir, by_language[i.language]) for i in listed]
    return render_listing(site, items, templates_dir, language)


def render_listing(
    site: Site, items: Sequence[object], templates_dir: Path, language: str | None = None
) -> str:
    """The listing's template (`index.html`) rendered with `items` as its entries: what
    `render_index` gives it, or what stands for them in a listing's frame (`site_frame`)."""
    lang = language or site.language
    return _render(
        templates_dir,
        "index.html",
        {
            "site": site.for_edition(language) if language else site,
            "labels": labels_for(templates_dir, lang),
            "lang": lang,
            "dir": Language(lang).direction,
            "items": items,
            **_edition_links(site, language),
        },
    )
