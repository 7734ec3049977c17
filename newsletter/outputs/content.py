"""The article body as one HTML fragment, shared by the feeds' full content and the web page."""

from __future__ import annotations

from html import escape

from ..model import Issue, RelatedLink, Site
from .labels import Labels


def related_heading(site: Site, issue: Issue, labels: Labels) -> str:
    """The heading over related links: the edition's own wording, else the label."""
    return site.edition(issue.language).related_heading or labels["related_heading"]


def related_anchor(link: RelatedLink) -> str:
    """A related link as <a>, or its bare title when it has no URL: never a dead href."""
    if not link.url:
        return escape(link.title)
    return f'<a href="{escape(link.url)}">{escape(link.title)}</a>'


def article_html(site: Site, issue: Issue, labels: Labels, *, related_block: bool = True) -> str:
    """The body: sections with <h2>, blocks in order, related links where they stood.

    With `related_block`, the related links are listed once more at the end, so a reader who
    skims finds them; the feeds leave it off (they carry rel="related" links instead).
    """
    art = issue.article
    prefix = related_heading(site, issue, labels)
    out: list[str] = []
    for section in art.sections:
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
            else:
                out.append(block.html)
    if related_block and art.related:
        items = "".join(f"<li>{related_anchor(r)}</li>" for r in art.related)
        out.append(f'<aside class="related-block"><h2>{escape(prefix)}</h2><ul>{items}</ul></aside>')
    return "\n".join(out)
