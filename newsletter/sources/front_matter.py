"""An issue file's front matter: the YAML between the '---' lines, and a check for each field.

Every field is checked where it is read (`text_field`, `url_field`, `people_field` …), so a
bad value is one error naming the file, the field and what to write instead; dates are read by
`parse_datetime` alone (YAML's own timestamps are kept as text), for the front matter and the
command line alike. `Fields` remembers which fields the reader asked for: any other is a typo.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import Any

from ..characters import NOT_ONE_LINE
from ..errors import NewsletterError, did_you_mean
from ..inline_text import clean_inline_text
from ..model import Image, Language, Person, RelatedLink, Translation
from ..sanitize import pixels
from . import simple_yaml
from .slug import is_slug as is_slug
from .slug import slugify as slugify


@functools.cache
def yaml_loader() -> Any:
    """PyYAML's safe loader (libyaml's: ten times faster), with dates kept as text so that
    `parse_datetime` alone judges them. PyYAML is imported when first needed: most front matter
    is read without it (`simple_yaml`)."""
    import yaml

    class Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
        pass

    Loader.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node))
    return Loader


FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.S)


def parse_datetime(
    value: Any,
    what: str,
    path: str | None = None,
    line: int | None = None,
    *,
    example: str = "2025-11-20T08:00:00+01:00",
) -> dt.datetime:
    """An aware datetime from an ISO 8601 string with Z or an offset: front matter and the
    command line's time options read through here."""
    if isinstance(value, dt.datetime):
        when, shown = value, value.isoformat()
    elif isinstance(value, str):
        shown = repr(value)
        try:
            when = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise NewsletterError(
                f"{what} {shown} is not an ISO 8601 date-time; write e.g. {example}", path=path, line=line
            ) from None
    else:
        raise NewsletterError(f"{what} must be a date-time like {example}", path=path, line=line)
    if when.tzinfo is None:
        raise NewsletterError(
            f"{what} {shown} has no time zone; add Z or an offset like +01:00", path=path, line=line
        )
    return when


def one_line(value: str, key: str, path: str) -> str:
    """A one-line front-matter text. YAML escapes (a quoted "\\r\\n" or "\\x01") can smuggle in
    what the decoder refuses, so line breaks and controls are refused here again; bidi and
    zero-width characters are dropped and spaces folded, as everywhere."""
    m = NOT_ONE_LINE.search(value)
    if m:
        raise NewsletterError(
            f"front matter '{key}' contains a line break or control character (U+{ord(m.group()):04X}); "
            "it must be one line",
            path=path,
        )
    return clean_inline_text(value)


def text_field(value: Any, key: str, path: str) -> str:
    """A one-line front-matter text (a number is taken as its digits)."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise NewsletterError(f"front matter '{key}' must be text", path=path)
    return one_line(str(value), key, path)


def url_field(value: Any, key: str, path: str) -> str | None:
    """An absolute http(s) URL without spaces or control characters, or None when absent."""
    if value is None or value == "":
        return None
    url = value.strip() if isinstance(value, str) else ""
    if not url.startswith(("https://", "http://")) or not url.isprintable() or " " in url:
        raise NewsletterError(
            f"front matter '{key}' must be an absolute http(s) URL like https://example.org/page",
            path=path,
        )
    return url


IMAGE_KEYS = ("url", "alt", "caption", "credit", "width", "height")


def image_field(value: Any, legacy_alt: Any, path: str) -> Image | None:
    """Front matter `image:`: a URL, or a mapping of url, alt, caption, credit, width, height.

    `legacy_alt` is the older `image_alt:` key, read as the alt of an `image:` given as a URL.
    """
    if value is None or value == "":
        return None
    fields = value if isinstance(value, dict) else {"url": value, "alt": legacy_alt}
    unknown = sorted(str(k) for k in fields if k not in IMAGE_KEYS)
    if unknown:
        raise NewsletterError(
            f"front matter 'image' has unknown key {unknown[0]!r}; use {', '.join(IMAGE_KEYS)}", path=path
        )
    url = url_field(fields.get("url"), "image", path)
    if url is None:
        raise NewsletterError(
            "front matter 'image' needs a url: 'image: {url: https://…, alt: …}'", path=path
        )
    sizes = [fields.get(k) for k in ("width", "height")]
    for key, size in zip(("width", "height"), sizes, strict=True):
        if size is not None and (not isinstance(size, int) or pixels(size) is None):
            raise NewsletterError(
                f"front matter 'image' {key} must be a number of pixels like 1200", path=path
            )
    return Image(
        url=url,
        alt=text_field(fields.get("alt"), "image alt", path),
        caption=text_field(fields.get("caption"), "image caption", path),
        credit=text_field(fields.get("credit"), "image credit", path),
        width=sizes[0],
        height=sizes[1],
    )


def people_field(value: Any, key: str, path: str) -> tuple[Person, ...]:
    if value is None:
        return ()
    if isinstance(value, str | dict):
        value = [value]
    if not isinstance(value, list):
        raise NewsletterError(f"front matter '{key}' must be a list of names", path=path)
    out = []
    for v in value:
        name = v if isinstance(v, str) else v.get("name") if isinstance(v, dict) else None
        name = one_line(name, key, path) if isinstance(name, str) else ""
        if not name:
            raise NewsletterError(f"front matter '{key}' entries must be names or {{name, url}}", path=path)
        url = url_field(v.get("url"), f"{key}: url", path) if isinstance(v, dict) else None
        out.append(Person(name, url))
    return tuple(out)


def strings_field(value: Any, key: str, path: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(
        isinstance(v, str | int | float) and not isinstance(v, bool) for v in value
    ):
        raise NewsletterError(f"front matter '{key}' must be a list of words", path=path)
    return tuple(t for t in (one_line(str(v), key, path) for v in value) if t)


def related_field(value: Any, path: str) -> tuple[RelatedLink, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise NewsletterError("front matter 'related' must be a list of {title, url}", path=path)
    out = []
    for v in value:
        title = v.get("title") if isinstance(v, dict) else None
        title = one_line(title, "related", path) if isinstance(title, str) else ""
        if not title:
            raise NewsletterError("every 'related' entry needs a title: {title: …, url: …}", path=path)
        try:
            url = url_field(v.get("url"), "related: url", path)
        except NewsletterError:
            raise NewsletterError(f"related link {title!r} has no absolute http(s) url", path=path) from None
        out.append(RelatedLink(title, url))
    return tuple(out)


def split_front_matter(text: str, path: str) -> tuple[dict[str, Any], str, int]:
    """(front matter, body, the body's first line number)."""
    m = FRONT_MATTER.match(text)
    if not m:
        raise NewsletterError(
            "no front matter; start the file with '---', the YAML fields (title, date, …), and '---'",
            path=path,
            line=1,
        )
    data = read_fields(m.group(1), path)
    if not isinstance(data, dict):
        raise NewsletterError("front matter must be YAML fields like 'title: …'", path=path, line=2)
    return data, text[m.end() :], text[: m.end()].count("\n") + 1


def read_fields(text: str, path: str) -> Any:
    """What a front matter's YAML `text` holds: read by `simple_yaml` where it is only plain
    fields, else by PyYAML (imported then); its mistakes a one-line error naming `path`."""
    data = simple_yaml.load(text)
    if data is not None:
        return data
    import yaml

    try:
        return yaml.load(text, Loader=yaml_loader())
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = mark.line + 2 if mark is not None else None
        problem = getattr(e, "problem", None) or "invalid YAML"
        raise NewsletterError(f"broken front matter: {problem}", path=path, line=line) from None


class Fields(dict[str, Any]):
    """Front-matter fields that remember which ones the reader asked for: a field no one reads
    (a typo like `titel:`) is an error, and the reader itself is the list of known fields."""

    def __init__(self, data: dict[str, Any]):
        super().__init__(data)
        self.asked: set[str] = set()

    def __getitem__(self, key: str) -> Any:
        self.asked.add(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        self.asked.add(str(key))
        return super().__contains__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self.asked.add(key)
        return super().get(key, default)

    def refuse_unknown(self, text: str, path: str) -> None:
        for key in self:
            if key not in self.asked:
                hint = (
                    did_you_mean(str(key), self.asked) or f"; the fields are {', '.join(sorted(self.asked))}"
                )
                line = field_line(text, str(key))
                raise NewsletterError(f"unknown front-matter field {key!r}{hint}", path=path, line=line)


def field_line(text: str, key: str) -> int | None:
    """The line of the front-matter field `key` in the file's `text` (1-based), if it is there:
    looked for in the front matter only (a body line "language: …" is not the field)."""
    head = FRONT_MATTER.match(text)
    m = re.compile(rf"^{re.escape(key)}\s*:", re.M).search(text, 0, head.end(1) if head else len(text))
    return text.count("\n", 0, m.start()) + 1 if m else None


def language_field(value: Any, key: str, path: str, line: int | None = None) -> str | None:
    """A language tag like de, fr or pt-BR (written the one way), or None when absent."""
    if value is None or value == "":
        return None
    language = Language.parse(value) if isinstance(value, str) else None
    if language is None:
        raise NewsletterError(
            f"front matter '{key}' must be a language code like de, fr or pt-BR", path=path, line=line
        )
    return language.tag


def translations_field(value: Any, path: str, line: int | None = None) -> tuple[Translation, ...]:
    """`translations:` as a mapping of language to the translation's issue slug or URL, e.g.
    `{fr: kazakhstan-accords-abraham, en: "https://novastan.org/en/…"}`; sorted by language."""
    if value is None:
        return ()
    if not isinstance(value, dict):
        raise NewsletterError(
            "front matter 'translations' must map languages to issue slugs or URLs, "
            "e.g. translations: {fr: kazakhstan-accords-abraham}",
            path=path,
            line=line,
        )
    out = {}
    for lang, target in value.items():
        language = language_field(str(lang), "translations", path, line)
        assert language is not None
        target = target.strip() if isinstance(target, str) else ""
        if target.startswith(("https://", "http://")):
            target = url_field(target, f"translations: {language}", path) or ""
        elif not is_slug(target):
            raise NewsletterError(
                f"front matter 'translations: {language}' must be an issue's slug (a-z, 0-9 and '-') "
                "or an absolute http(s) URL",
                path=path,
                line=line,
            )
        out[language] = Translation(language, target)
    return tuple(out[k] for k in sorted(out))
