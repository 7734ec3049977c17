"""The article body as one HTML fragment, shared by the feeds' full content and the web page,
and the lead paragraph rule every output shares."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from urllib.parse import urlsplit

from ..figures import column_size, figure_html
from ..model import Block, Image, Issue, Language, RelatedLink, Section, Site, shown
from .labels import Labels

#: How an output prints a figure (the feeds: as it is; the page and the email add attributes).
FigureWriter = Callable[[Image], str]


def page_figure(image: Image, *, lazy: bool = True) -> str:
    """A figure on the web page, its caption in the page's small print; loaded when scrolled to,
    unless `lazy` is False (the lead image, seen at once)."""
    return figure_html(image, img_attrs='loading="lazy"' if lazy else "", caption_attrs='class="meta"')


def embed_label(block: Block, labels: Labels) -> str:
    """What the link where an embed stood says: "Video ansehen", or for a map or a chart
    "Eingebetteten Inhalt ansehen"."""
    return labels["watch_video" if block.kind == "video" else "open_embed"]


def embed_link(block: Block, labels: Labels) -> str:
    """ "Video ansehen": where a video player (or a map, a chart) stood, a link to it."""
    url, text = escape(block.url or ""), escape(embed_label(block, labels), quote=False)
    return f'<p class="{block.kind}"><a href="{url}">{text}</a></p>'


def fold_spaces(text: str) -> str:
    return " ".join(text.split())


def first_paragraph(issue: Issue) -> Block | None:
    """The article's first paragraph, if the article opens with one."""
    for section in issue.article.sections:
        if section.heading:
            return None
        for block in section.blocks:
            return block if block.kind == "paragraph" else None
    return None


def lead_paragraph(issue: Issue) -> Block | None:
    """The first paragraph when the summary is it, or its opening: it is then shown once, whole,
    as the standfirst, rather than the summary above a paragraph that repeats it."""
    first = first_paragraph(issue)
    summary = fold_spaces(issue.article.summary).removesuffix("…").rstrip()
    if first is not None and summary and fold_spaces(first.text).startswith(summary):
        return first
    return None


def body_sections(issue: Issue) -> tuple[Section, ...]:
    """The sections to print as the body: without the lead paragraph shown as standfirst."""
    lead = lead_paragraph(issue)
    if lead is None:
        return issue.article.sections
    out: list[Section] = []
    for section in issue.article.sections:
        blocks = tuple(b for b in section.blocks if b is not lead)
        if blocks or section.heading:
            out.append(Section(section.heading, blocks))
    return tuple(out)


@dataclass(frozen=True)
class TranslationLink:
    """A line "Diesen Artikel auf Französisch lesen" and where it goes."""

    language: str
    url: str
    text: str


def translation_links(site: Site, issue: Issue, labels: Labels) -> list[TranslationLink]:
    """The issue's translations as the email, the text part and the page show them."""
    return [
        TranslationLink(t.language, site.translation_url(t), labels.read_translation(t.language))
        for t in issue.article.translations
    ]


@dataclass(frozen=True)
class OriginalLink:
    """ "Originalartikel auf novastan.org": the page the issue was imported from."""

    url: str
    text: str


def original_link(issue: Issue, labels: Labels) -> OriginalLink | None:
    """The link to the article's page on its site, named by the site's host; None without one."""
    url = issue.article.source_url
    if not url:
        return None
    host = (urlsplit(url).hostname or url).removeprefix("www.")
    return OriginalLink(url, labels["original_article"].format(site=host))


def original_html(issue: Issue, labels: Labels) -> str:
    """The link as a paragraph, for the feeds' content (feed readers show no `via` link)."""
    link = original_link(issue, labels)
    if link is None:
        return ""
    return f'<p><a href="{escape(link.url)}">{escape(link.text, quote=False)}</a></p>'


def related_heading(site: Site, issue: Issue, labels: Labels) -> str:
    """The heading over related links: the edition's own wording, else the label."""
    return site.edition(issue.language).related_heading or labels["related_heading"]


def related_anchor(link: RelatedLink) -> str:
    """A related link as <a>, or its bare title when it has no URL: never a dead href."""
    if not link.url:
        return escape(link.title)
    return f'<a href="{escape(link.url)}">{escape(link.title)}</a>'


def article_html(
    site: Site,
    issue: Issue,
    labels: Labels,
    *,
    related_block: bool = True,
    sections: tuple[Section, ...] | None = None,
    figure: FigureWriter = figure_html,
) -> str:
    """The body: sections with <h2>, blocks in order, related links where they stood.

    With `related_block`, the related links are listed once more at the end, so a reader who
    skims finds them; the feeds leave it off (they carry rel="related" links instead).
    `sections` replaces the article's own (the web page leaves out the lead it shows above).
    Figures are written by `figure`; an image without an https address is left out.
    """
    art = issue.article
    prefix = related_heading(site, issue, labels)
    out: list[str] = []
    for section in art.sections if sections is None else sections:
        if section.heading:
            out.append(f"<h2>{escape(section.heading)}</h2>")
        for block in section.blocks:
            if block.kind == "related":
                if block.related_index is None or block.related_index >= len(art.related):
                    continue
                link = art.related[block.related_index]
                label = escape(prefix) + labels["colon"]
                out.append(f'<p class="related"><strong>{label}</strong> {related_anchor(link)}</p>')
            elif block.kind == "paragraph":
                out.append(f"<p>{block.html}</p>")
            elif block.image is not None:
                if block.image.shown:
                    out.append(figure(block.image))
            elif block.is_embed:
                out.append(embed_link(block, labels))
            else:
                out.append(block.html)
    if related_block and art.related:
        items = "".join(f"<li>{related_anchor(r)}</li>" for r in art.related)
        out.append(f'<aside class="related-block"><h2>{escape(prefix)}</h2><ul>{items}</ul></aside>')
    return "\n".join(out)


#: The email's text column: the 600 px body less 32 px padding either side. No image is wider.
EMAIL_COLUMN = 536


@dataclass(frozen=True)
class TeaserView:
    """One article of a digest as every output shows it: a title linked to where it is read,
    its standfirst, an image and a "Weiterlesen" link (named for the article, for screen readers)."""

    title: str
    url: str
    summary: str
    image: Image | None
    width: int  # the image's width as shown: its own, never wider than the column
    height: int | None  # in proportion, when the source gave both sizes
    more: str  # "Weiterlesen"
    more_label: str  # "Weiterlesen: <title>", the link's accessible name
    language: str = ""  # the article's language when it is not the digest's (for `lang=`)


def teaser_views(site: Site, issue: Issue, labels: Labels) -> list[TeaserView]:
    """A digest's articles as the email, the text part, the page and the feeds show them."""
    out = []
    more = labels["read_more"]
    for t in issue.articles:
        image = shown(t.image)
        width, height = column_size(image, EMAIL_COLUMN) if image else (EMAIL_COLUMN, None)
        label = f"{more}{labels['colon']} {t.title}"
        other = t.language if t.language and not Language(issue.language).matches(t.language) else ""
        url = site.teaser_url(t)
        out.append(TeaserView(t.title, url, t.summary, image, width, height, more, label, other))
    return out


def teasers_html(site: Site, issue: Issue, labels: Labels) -> str:
    """The teasers as HTML, for the web page and the feeds' content: one <article> each."""
    parts = []
    for t in teaser_views(site, issue, labels):
        url = escape(t.url)
        lang = f' lang="{escape(t.language)}"' if t.language else ""
        html = [f'<article class="teaser"{lang}>']
        if t.image:
            size = f' width="{t.width}"' + (f' height="{t.height}"' if t.height else "")
            html.append(f'<p><img src="{escape(t.image.url)}" alt="{escape(t.image.alt)}"{size}></p>')
        html.append(f'<h2><a href="{url}">{escape(t.title)}</a></h2>')
        if t.summary:
            html.append(f"<p>{escape(t.summary)}</p>")
        html.append(
            f'<p class="more"><a href="{url}" aria-label="{escape(t.more_label)}">{escape(t.more)}</a></p>'
        )
        html.append("</article>")
        parts.append("\n".join(html))
    return '<section class="teasers">\n' + "\n".join(parts) + "\n</section>" if parts else ""
