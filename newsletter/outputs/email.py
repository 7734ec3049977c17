"""The HTML email of an issue: Jinja2 renders MJML, mjml-python compiles it, css-inline inlines.

The pipeline is three plain steps so each can be called (and timed) on its own:
`render_mjml` (model -> MJML text), `compile_mjml` (MJML -> HTML) and `inline_css`
(HTML -> HTML with the article's styles on its elements, the media queries kept for phones and
dark mode). Nothing here fetches anything: no web fonts, no remote stylesheets, no icons.

`render_email` gives the bytes of those three steps, but compiles and inlines the part every
issue shares once (`email_frame.fill`): per issue, only its texts are written into it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup
from mjml import mjml2html

from ..defaults import UNSUBSCRIBE_PLACEHOLDER
from ..errors import NewsletterError
from ..figures import column_size, figure_html
from ..model import Block, Image, Issue, Language, Person, Site
from ..xmltext import xml_safe
from . import read_once
from .content import (
    EMAIL_COLUMN,
    body_sections,
    embed_link,
    first_paragraph,
    fold_spaces,
    lead_paragraph,
    original_link,
    related_anchor,
    related_heading,
    teaser_views,
    translation_links,
)
from .email_frame import fill
from .labels import labels_for
from .labels import social_label as social_label
from .templates import render_template, template_bytecode

#: The template every issue email starts from, inside `templates_dir/email/`.
ISSUE_TEMPLATE = "issue.mjml"

PREHEADER_MAX = 110
# Zero-width non-joiner + no-break space after the preheader keeps mail clients from filling
# the preview line with the first words of the body. Given as the characters, not as the
# entities `&zwnj;&nbsp;`: the email is the same bytes (css-inline writes each no-break space
# back as `&nbsp;`), and css-inline is spared decoding 120 entities, a tenth of its work.
PREHEADER_PAD = "\u200c\u00a0" * 60


_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"»”’)]?\s+(?=[\"„«“‘(]?[^\W\d_])")


def shorten(text: str, limit: int = PREHEADER_MAX) -> str:
    """`text` cut at a word boundary to at most `limit` characters, with "…" when cut."""
    text = fold_spaces(text)
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:–-") + "…"


def preheader_text(issue: Issue) -> str:
    """The inbox preview line: the issue's own preheader, else the summary.

    The preview must add something: when the summary is just the first paragraph (which the
    reader sees first anyway), it continues from the second sentence, or lists the headings.
    """
    if issue.preheader:
        return shorten(issue.preheader)
    summary = fold_spaces(issue.article.summary)
    first = first_paragraph(issue)
    first_text = fold_spaces(first.text) if first else ""
    if summary and first_text and (first_text.startswith(summary) or summary.startswith(first_text)):
        sentences = _SENTENCE_END.split(summary, maxsplit=1)
        if len(sentences) == 2 and sentences[1].strip():
            return shorten(sentences[1])
        # the subheadings; for a digest, the titles of the articles it bundles
        return shorten(" · ".join(issue.article.headings or [t.title for t in issue.articles]))
    return shorten(summary)


@dataclass(frozen=True)
class EmailTemplates:
    """The compiled templates of one templates folder, built once per process."""

    env: Environment
    folder: Path


@read_once
@lru_cache(maxsize=8)
def email_templates(templates_dir: Path) -> EmailTemplates:
    """The Jinja environment for `templates_dir/email/`: autoescaped, strict about typos."""
    folder = templates_dir / "email"
    env = Environment(
        loader=FileSystemLoader(str(folder)),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,  # read again by the next build (`read_templates_again`)
        bytecode_cache=template_bytecode(),
    )
    return EmailTemplates(env=env, folder=folder)


def _people(people: tuple[Person, ...]) -> Markup:
    parts = [
        Markup('<a href="{}">{}</a>').format(p.url, p.name)
        if p.url and p.url.startswith("https://")
        else Markup("{}").format(p.name)
        for p in people
    ]
    return Markup(", ").join(parts)


def _related_link(issue: Issue) -> Callable[[Block], Markup]:
    """For the template: a `related` block -> its link (or bare title when unresolved)."""

    def related_link(block: Block) -> Markup:
        related = issue.article.related
        if block.related_index is None or not 0 <= block.related_index < len(related):
            return Markup("")
        return Markup(related_anchor(related[block.related_index]))

    return related_link


_CAPTION_STYLE = (
    "margin:8px 0 0;font-family:-apple-system, BlinkMacSystemFont, 'Segoe UI', Helvetica, Arial, sans-serif;"
    "font-size:14px;line-height:1.45;color:#55585e;"
)


def email_figure(image: Image) -> Markup:
    """A figure as mail clients show it: width and height attributes at most the column wide
    (Outlook sizes by them), and a style that shrinks it with the column on a phone."""
    width, height = column_size(image, EMAIL_COLUMN)
    return Markup(
        figure_html(
            replace(image, width=width, height=height),
            figure_attrs='style="margin:0 0 18px;"',
            img_attrs=f'style="display:block;width:100%;max-width:{width}px;height:auto;border:0;"',
            caption_attrs=f'style="{_CAPTION_STYLE}"',
        )
    )


def email_context(site: Site, issue: Issue, templates_dir: Path) -> dict[str, Any]:
    """Everything the email templates print, computed once so templates stay declarative."""
    site = site.for_edition(issue.language)  # the masthead, footer and social links of its edition
    labels = labels_for(templates_dir, issue.language)
    article = issue.article
    direction = Language(issue.language).direction
    lead = lead_paragraph(issue)
    image = article.lead_image
    return {
        "site": site,
        "issue": issue,
        "article": article,
        "labels": labels,
        "lang": issue.language,
        "dir": direction,
        "align": "right" if direction == "rtl" else "left",
        "preheader": preheader_text(issue),
        "preheader_pad": Markup(PREHEADER_PAD),
        "date": labels.date(issue.date),
        "standfirst": Markup(lead.html) if lead else article.summary,
        "authors": _people(article.authors),
        "translators": _people(article.translators),
        "translated_by": labels.translated_by(article.translated_from),
        "translations": translation_links(site, issue, labels),
        "original": original_link(issue, labels),
        "image": image,
        "figure": email_figure,
        "embed_link": lambda block: Markup(embed_link(block, labels)),
        "sections": body_sections(issue),
        "teasers": teaser_views(site, issue, labels),
        "related_prefix": related_heading(site, issue, labels),
        "related_links": [Markup(related_anchor(r)) for r in article.related],
        "related_link": _related_link(issue),
        "cta": site.edition(issue.language).call_to_action,
        "social": [(social_label(s.name, labels), s.url) for s in site.social],
        "view_url": site.issue_url(issue),
        "unsubscribe_url": UNSUBSCRIBE_PLACEHOLDER,
        "imprint": site.imprint,
    }


def render_mjml(site: Site, issue: Issue, templates_dir: Path) -> str:
    """The issue as MJML source (Jinja2 over `templates/email/issue.mjml`).

    Text MJML (an XML dialect) cannot carry is dropped first, as for the feeds: MRML would
    otherwise refuse a stray U+FFFE as a broken template."""
    site, issue = xml_safe(site), xml_safe(issue)
    templates = email_templates(templates_dir)
    context = email_context(site, issue, templates_dir)
    return render_template(templates.env, templates.folder, ISSUE_TEMPLATE, context, "email")


# How mjml-python hides <mj-preview>: white 1px text. SpamAssassin scores text in the background's
# colour (HTML_FONT_LOW_CONTRAST) on every issue; hiding it needs no colour and no tiny font.
_MJML_PREVIEW_STYLE = (
    'style="display:none;font-size:1px;color:#ffffff;line-height:1px;max-height:0px;max-width:0px;'
    'opacity:0;overflow:hidden;"'
)
_PREVIEW_STYLE = 'style="display:none;max-height:0;max-width:0;opacity:0;overflow:hidden;mso-hide:all;"'


def compile_mjml(mjml: str) -> str:
    """MJML -> HTML with mjml-python, without the default Google Fonts (nothing remote), and with
    a preheader hidden without a text colour."""
    try:
        html = mjml2html(mjml, disable_comments=True, fonts={})
    except Exception as e:  # MRML reports template mistakes as plain exceptions
        raise NewsletterError(f"the email template is not valid MJML: {e}") from None
    return html.replace(_MJML_PREVIEW_STYLE, _PREVIEW_STYLE, 1)


def inline_css(html: str) -> str:
    """Copy the stylesheet's rules onto the elements, for clients that drop <style>.

    The <style> tags stay: their media queries make the layout single-column on phones and
    readable in dark mode, which inline styles cannot express.
    """
    return _inliner().inline(html)


@cache
def _inliner() -> Any:
    """css-inline's inliner, imported when first needed: a process that fills its emails from a
    frame kept by an earlier build (`email_frame.adopt`) may never need it (it and the `email`
    package it imports take 10-15 ms to load)."""
    import css_inline

    # Styles are only read locally: a remote stylesheet would make a build depend on the network.
    return css_inline.CSSInliner(load_remote_stylesheets=False, keep_style_tags=True)


def render_email(site: Site, issue: Issue, templates_dir: Path) -> str:
    """The complete HTML email of `issue`, with UNSUBSCRIBE_PLACEHOLDER where each reader's
    unsubscribe URL goes (the delivery's `mime.MessageTemplate` sets it per recipient)."""
    return email_html(render_mjml(site, issue, templates_dir))


def email_html(mjml: str) -> str:
    """`inline_css(compile_mjml(mjml))`: those bytes, from the frame the issues share when it can
    be used (`email_frame.fill`), else by those two steps."""
    html = fill(mjml, compile_mjml, inline_css)
    return html if html is not None else inline_css(compile_mjml(mjml))
