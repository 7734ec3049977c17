"""The web archive: one page per issue ("view in browser") and the listing of all issues.

Jinja2 is imported when a page is first made: a rebuild that finds every page in the cache
(an edit to one article's body) never loads it in the main process.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from ..model import Issue, Language, Site
from .content import (
    article_html,
    body_sections,
    lead_paragraph,
    original_link,
    page_figure,
    teasers_html,
    translation_links,
)
from .labels import labels_for, language_name, social_label

if TYPE_CHECKING:
    import jinja2


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
        bytecode_cache=template_bytecode(),
    )
    env.filters["social_label"] = social_label  # "linkedin" -> "LinkedIn", as in the email
    return env


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

    site = site.for_edition(issue.language)
    labels = labels_for(templates_dir, issue.language)
    lead = lead_paragraph(issue)
    image = issue.article.lead_image
    return (
        _environment(templates_dir)
        .get_template("issue.html")
        .render(
            site=site,
            issue=issue,
            labels=labels,
            lang=issue.language,
            dir=Language(issue.language).direction,
            url=site.issue_url(issue),
            body=article_html(
                site, issue, labels, related_block=True, sections=body_sections(issue), figure=page_figure
            ),
            image=image,
            figures=image is not None or any(b.image for s in issue.article.sections for b in s.blocks),
            lead_figure=Markup(page_figure(image, lazy=False)) if image else "",
            teasers=Markup(teasers_html(site, issue, labels)),
            standfirst=Markup(lead.html) if lead else issue.article.summary,
            cta=site.edition(issue.language).call_to_action,
            translations=translation_links(site, issue, labels),
            original=original_link(issue, labels),
            **_edition_links(site, issue.language),
        )
    )


def render_index(
    site: Site, issues: Sequence[Issue], templates_dir: Path, language: str | None = None
) -> str:
    """The archive listing, newest first: of every issue, or with `language` of one edition's
    (its page at `site.edition_path(language)`)."""
    lang = language or site.language
    shown = site.for_edition(language) if language else site
    labels = labels_for(templates_dir, lang)
    by_language = {code: labels_for(templates_dir, code) for code in {i.language for i in issues}}
    items = [{"issue": i, "url": site.issue_url(i), "labels": by_language[i.language]} for i in issues]
    return (
        _environment(templates_dir)
        .get_template("index.html")
        .render(
            site=shown,
            labels=labels,
            lang=lang,
            dir=Language(lang).direction,
            items=items,
            **_edition_links(site, language),
        )
    )
