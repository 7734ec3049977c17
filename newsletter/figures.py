"""Images and embedded videos: read from sanitized HTML into the model, written back as HTML.

One reader of a figure (`image_from_html`: the picture, its alt, caption, credit and size) serves
the HTML import and the Markdown reader; one writer (`figure_html`) gives the figure every
source stores and every output shows, with the attributes each output adds. Nothing here
fetches an image: sizes are what the source said.
"""

from __future__ import annotations

import re
from html import escape
from urllib.parse import parse_qs, urlsplit

from .html_tree import Element, html_tree
from .inline_text import clean_inline_text
from .model import Block, Image
from .sanitize import TRACKERS, clean_html, pixels

#: The elements a sanitizer drops that hold a player; the importer keeps a link to their video.
EMBEDS = ("iframe", "video", "embed", "object")
#: A credit inside a caption, where the page does not mark it up: "Foto: …", "Photo : …", "© …".
_CREDIT = re.compile(
    r"(?:^|(?<=[\s.;,|–—(]))(?:©|\(c\)\s|(?:Fotos?|Photos?|Bild(?:er)?|Credits?|Crédits?|Image|Illustration)\s*:)",
    re.I,
)
_CREDIT_ELEMENTS = ("cite", "small")
#: A class naming a caption's credit part ("wp-caption-credit", "photo-credit", "copyright").
CREDIT_CLASS = re.compile(r"(?:^|[-_])(?:credits?|copyright|photographer|source)(?:$|[-_])", re.I)
#: Where an <iframe> or <embed> is a video player (a <video> always is one).
_VIDEO_HOSTS = re.compile(
    r"^(?:[^/]*\.)?(?:youtube\.com|youtube-nocookie\.com|youtu\.be|vimeo\.com|dailymotion\.com"
    r"|rutube\.ru|arte\.tv|ardmediathek\.de|zdf\.de|peertube\.[a-z.]+)$",
    re.I,
)
#: Embedded frames that are page furniture, besides the sanitizer's TRACKERS: more ad servers,
#: tag managers, share buttons, comments and captchas.
_FURNITURE = re.compile(
    r"//([^/]*\.)?(googlesyndication\.com|googletagmanager\.com|facebook\.com/plugins"
    r"|platform\.twitter\.com/widgets|addthis\.com|sharethis\.com|disqus\.com)|/recaptcha/",
    re.I,
)


def split_credit(caption: str) -> tuple[str, str]:
    """ "Boats at Moynaq. Photo: A. B." -> ("Boats at Moynaq.", "Photo: A. B.")."""
    m = _CREDIT.search(caption)
    if m is None:
        return caption, ""
    return caption[: m.start()].strip(" –—|("), caption[m.start() :].strip()


def _text_outside(node: Element, names: tuple[str, ...]) -> str:
    return "".join(
        c if isinstance(c, str) else "" if c.name in names else _text_outside(c, names) for c in node.children
    )


def image_from_html(html: str) -> Image | None:
    """The one picture of sanitized HTML (a figure, a paragraph with one <img>) with its alt,
    size, caption and credit; None for no picture or several.

    The credit is what the caption marks as one (`<cite>`, `<small>`), else its part from
    "Foto:", "Photo :", "©" on.
    """
    tree = html_tree(html)
    images = tree.find_all(("img",))
    if len(images) != 1 or not (images[0].get("src") or "").strip():
        return None
    img = images[0]
    caption = credit = ""
    captions = tree.find_all(("figcaption",))
    if captions:
        marked = captions[0].find_all(_CREDIT_ELEMENTS)
        credit = clean_inline_text(" ".join(m.get_text() for m in marked))
        caption = clean_inline_text(_text_outside(captions[0], _CREDIT_ELEMENTS))
        if not credit:
            caption, credit = split_credit(caption)
    return Image(
        url=str(img.get("src")).strip(),
        alt=clean_inline_text(img.get("alt") or ""),
        caption=caption,
        credit=credit,
        width=pixels(img.get("width")),
        height=pixels(img.get("height")),
    )


def fitted(image: Image, column: int | None) -> tuple[int | None, int | None]:
    """Width and height to print: the image's own, scaled down to `column` pixels if wider."""
    width, height = image.width, image.height
    if column and width and width > column:
        height = round(height * column / width) if height else None
        width = column
    return width, height


def column_size(image: Image, column: int) -> tuple[int, int | None]:
    """Width and height to print in a column `column` pixels wide: the image's own, scaled down
    to fit; the column's width, and no height, when the source gave no width."""
    if not image.width:
        return column, None
    width, height = fitted(image, column)
    return width or column, height


def figure_html(
    image: Image,
    *,
    column: int | None = None,
    figure_attrs: str = "",
    img_attrs: str = "",
    caption_attrs: str = "",
) -> str:
    """The figure: <img> with alt and size (at most `column` wide), the caption and the credit
    below. The `*_attrs` ('loading="lazy"', 'style="…"') go on their elements as given."""
    width, height = fitted(image, column)
    img = f'<img src="{escape(image.url)}" alt="{escape(image.alt)}"'
    img += f' width="{width}"' if width else ""
    img += f' height="{height}"' if height and width else ""
    img += f" {img_attrs}>" if img_attrs else ">"
    caption = escape(image.caption, quote=False)
    if image.credit:
        caption += (" " if caption else "") + f"<small>{escape(image.credit, quote=False)}</small>"
    if caption:
        caption = f"<figcaption{' ' + caption_attrs if caption_attrs else ''}>{caption}</figcaption>"
    return f"<figure{' ' + figure_attrs if figure_attrs else ''}>{img}{caption}</figure>"


def image_block(image: Image) -> Block:
    """An image block: the figure as the sanitizer writes it, the alt as its text."""
    return Block("image", clean_html(figure_html(image)), image.alt, image=image)


def video_block(url: str) -> Block:
    """Where a player stood: a link to watch the video."""
    return Block("video", url=url)


def embed_block(element: str, src: str) -> Block:
    """Where a video player or other embedded content (a map, a chart) stood: a link to it,
    to watch a video (its watch page), or to open anything else."""
    return video_block(watch_url(src)) if is_video(element, src) else Block("embed", url=src)


def is_embed(element: str, src: str) -> bool:
    """Whether an embed is worth a link where it stood: a video, or an <iframe> of https content
    that is no counter, ad or share button (those are page furniture, not the article's)."""
    if is_video(element, src):
        return True
    furniture = TRACKERS.search(src) or _FURNITURE.search(src)
    return element == "iframe" and src.startswith("https://") and not furniture


def is_video(element: str, src: str) -> bool:
    """Whether an embed (`element` is iframe, video, embed or object) plays a video: a <video>,
    or a player from a video host. A map or a form in an <iframe> is no video to watch."""
    return element == "video" or bool(_VIDEO_HOSTS.match(urlsplit(src).hostname or ""))


def watch_url(src: str) -> str:
    """An embed's address as the page to watch it on: YouTube and Vimeo players become their
    watch pages; any other stays as it is."""
    parts = urlsplit(src)
    host = (parts.hostname or "").removeprefix("www.").removeprefix("m.")
    path = parts.path.rstrip("/")
    if host in ("youtube.com", "youtube-nocookie.com") and path.startswith(("/embed/", "/v/")):
        video = path.rsplit("/", 1)[-1]
        if video and video != "videoseries":
            return f"https://www.youtube.com/watch?v={video}"
        playlist = parse_qs(parts.query).get("list")
        if playlist:
            return f"https://www.youtube.com/playlist?list={playlist[0]}"
    if host == "player.vimeo.com" and path.startswith("/video/"):
        return f"https://vimeo.com/{path.rsplit('/', 1)[-1]}"
    return src


def secure_url(url: str, page: str | None) -> str | None:
    """`url` as https: as it is when it is, upgraded when it is http on the https page's own
    host (that host serves https); None otherwise (relative, another host over http, data:)."""
    if url.startswith("https://"):
        return url
    parts, own = urlsplit(url), urlsplit(page or "")
    if parts.scheme == "http" and own.scheme == "https" and parts.hostname and parts.hostname == own.hostname:
        return "https://" + url[len("http://") :]
    return None
