"""The one HTML sanitizer: one allow-list, used for every piece of HTML any output writes.

Whatever a source brings in (a scraped page, an editor's inline HTML in Markdown) passes
through `clean_html` before it reaches the model, so outputs can trust `Block.html`.
"""

from __future__ import annotations

import re

import nh3

from .characters import INVISIBLE

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "del", "em", "figcaption",
    "figure", "h2", "h3", "h4", "hr", "i", "img", "ins", "li", "mark", "ol", "p", "pre", "q", "s",
    "small", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "hreflang"},
    "img": {"src", "alt", "width", "height", "title"},
    "abbr": {"title"},
    "ol": {"start"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "blockquote": {"cite"},
    "q": {"cite"},
}
URL_SCHEMES = {"http", "https", "mailto"}
DROPPED_WITH_CONTENT = {"script", "style", "iframe", "object", "embed", "noscript", "template", "svg", "math"}

#: Counters and ad servers: an image from one is a tracking pixel, a frame from one is no content.
TRACKERS = re.compile(
    r"//([^/]*\.)?(google-analytics\.com|doubleclick\.net|facebook\.com/tr|pixel\.|stats\.wp\.com"
    r"|list-manage\.com/track|mailchimp\.com/track|matomo|piwik)",
    re.I,
)
#: The largest width or height an image may say it has: anything more is a mistake.
MAX_IMAGE_SIZE = 20_000
_PIXELS = re.compile(r"\s*(\d{1,9})\s*(?:px)?\s*", re.I)
_PIXEL_SIZE = re.compile(r"""(?:width|height)\s*=\s*["']?\s*[01]\s*(?:px)?\s*["'\s/>]""", re.I)


def pixels(value: object) -> int | None:
    """An image's width or height as HTML, feeds, schema.org and front matter write it (1200,
    "1200", "1200px"); None for anything else: "100%", "auto", 0, an absurd size."""
    if isinstance(value, str) and (m := _PIXELS.fullmatch(value)):
        value = int(m.group(1))
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 0 < value <= MAX_IMAGE_SIZE else None


def _drop_trackers(element: str, attribute: str, value: str) -> str | None:
    if attribute in ("href", "src", "cite") and value.strip().lower().startswith(
        ("javascript:", "data:", "vbscript:")
    ):
        return None
    if element == "img" and attribute == "src" and TRACKERS.search(value):
        return None
    if element == "img" and attribute in ("width", "height"):
        # pixels as HTML means them ("800px" is 800); "100%", "auto" or absurd sizes go: the
        # outputs size an image without them, never wider than the column
        size = pixels(value)
        if size is None and (m := _PIXELS.fullmatch(value)) and int(m.group(1)) == 0:
            return "0"  # kept, so that _strip_pixels drops the tracking pixel it marks
        return str(size) if size else None
    return value


_IMG = re.compile(r"<img\b[^>]*>", re.I)
# nh3 writes attributes double-quoted, so this reads a start tag whole; links do not nest.
_LINK = re.compile(r'<a((?:\s+[^\s"=>]+(?:="[^"]*")?)*)\s*>(.*?)</a>', re.S)


def _unwrap_dead_links(html: str) -> str:
    # A link whose href was removed (javascript:, data:) is just its text, not an <a> to nowhere.
    return _LINK.sub(lambda m: m.group(0) if " href=" in m.group(1) else m.group(2), html)


def _strip_pixels(html: str) -> str:
    def keep(m: re.Match[str]) -> str:
        tag = m.group(0)
        if _PIXEL_SIZE.search(tag) or "src=" not in tag:
            return ""
        return tag

    return _IMG.sub(keep, html)


# One configured sanitizer for the whole process: nh3 then converts the allow-lists once.
_CLEANER = nh3.Cleaner(
    tags=ALLOWED_TAGS,
    clean_content_tags=DROPPED_WITH_CONTENT,
    attributes=ALLOWED_ATTRIBUTES,
    attribute_filter=_drop_trackers,
    url_schemes=URL_SCHEMES,
    link_rel="noopener noreferrer",
    strip_comments=True,
)


def clean_html(html: str) -> str:
    """Sanitized HTML: allowed tags and attributes only, safe URL schemes, no tracking pixels.

    Links get rel="noopener noreferrer"; script, style, iframe and their contents are removed.
    """
    cleaned = _CLEANER.clean(html)
    return INVISIBLE.sub("", _unwrap_dead_links(_strip_pixels(cleaned)))
