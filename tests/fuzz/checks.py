"""What must hold for every model a source produces, whatever the input was.

Used by the fuzz properties and by the hostile-fixture tests: the model's HTML is sanitized and
its one-line texts clean; the feeds are well-formed and read by feedparser without complaint; the
email is HTML without anything active and under the size limit; the message has exactly its
own headers; and the issue file written back reads as the same issue.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import email
import email.policy
import json
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path

import feedparser
import lxml.etree
import lxml.html
from factories import make_issue

from newsletter.config import Config, Limits
from newsletter.model import Article, Issue
from newsletter.outputs.email import compile_mjml, inline_css, render_email, render_mjml
from newsletter.outputs.feeds import render_feeds
from newsletter.outputs.message import Envelope, compose_message, envelope_for
from newsletter.outputs.plaintext import render_text
from newsletter.outputs.site import render_issue_page
from newsletter.sources.draft import Draft
from newsletter.sources.front_matter import slugify
from newsletter.sources.importer import mint_id
from newsletter.sources.markdown import read_issue
from newsletter.sources.markdown_writer import issue_to_markdown
from newsletter.xmltext import remembered, walks_clean

DATE = dt.datetime(2025, 11, 20, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))
# Elements that run code, load something or change where links go: never in any output.
ACTIVE_TAGS = {
    "script", "style", "iframe", "frame", "object", "embed", "applet", "svg", "math", "form",
    "input", "button", "textarea", "select", "base", "link", "meta", "template", "noscript",
}  # fmt: skip
# In the email the template brings its own <style> and <meta>; the article may not.
EMAIL_ALLOWED_HEAD = {"style", "meta", "title"}
BAD_URL = re.compile(r"^\s*(javascript|vbscript|data|file)\s*:", re.I)
# One-line texts (title, names, tags, headings) never carry these.
BAD_INLINE = re.compile("[\x00-\x1f\x7f-\x9f\u200b\u202a-\u202e\u2060\u2066-\u2069\ufeff\ud800-\udfff]")
MESSAGE_HEADERS = {
    "from", "to", "subject", "date", "message-id", "content-language", "list-id",
    "list-unsubscribe", "list-unsubscribe-post", "auto-submitted", "precedence", "mime-version",
    "content-type", "reply-to",
}  # fmt: skip


def issue_from_draft(draft: Draft, *, base_url: str = "https://newsletter.example.org/") -> Issue:
    """The Issue `newsletter import` would write for `draft` (fixed date, slug from the title)."""
    slug = slugify(draft.article.title)
    return make_issue(
        draft.article,
        id=mint_id(base_url, DATE, slug),
        slug=slug,
        date=draft.date or DATE,
        language=draft.language or "de",
    )


def inline_texts(article: Article) -> Iterable[str]:
    yield article.title
    yield from article.headings
    yield from (p.name for p in (*article.authors, *article.translators))
    yield from article.tags
    yield from (r.title for r in article.related)


def assert_clean_html(html: str, where: str) -> None:
    """No active element, no on* handler, no style attribute, no script-bearing URL."""
    if not html.strip():
        return
    for el in lxml.html.fragments_fromstring(f"<div>{html}</div>")[0].iter():
        if not isinstance(el.tag, str):
            continue
        assert el.tag.lower() not in ACTIVE_TAGS, f"{where}: <{el.tag}> in {html[:200]!r}"
        for name, value in el.attrib.items():
            assert not name.lower().startswith("on"), f"{where}: {name}= in {html[:200]!r}"
            assert name.lower() not in ("style", "srcset", "formaction"), f"{where}: {name}="
            if name.lower() in ("href", "src", "cite", "action", "background", "poster"):
                assert not BAD_URL.match(value), f"{where}: {name}={value!r}"


def assert_clean_article(article: Article) -> None:
    """The model a source gave: sanitized block HTML, clean one-line texts."""
    for text in inline_texts(article):
        assert text == text.strip() or not text.strip(), f"untrimmed {text!r}"
        assert not BAD_INLINE.search(text), f"control/bidi character in {text!r}"
    for section in article.sections:
        for block in section.blocks:
            assert_clean_html(block.html, f"{block.kind} block")
            assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]", block.text), block.text
    image = article.image.url if article.image else None
    for text in (article.image.alt, article.image.caption, article.image.credit) if article.image else ():
        assert not BAD_INLINE.search(text), f"control/bidi character in {text!r}"
    for url in (image, article.source_url, *(r.url for r in article.related)):
        assert url is None or not BAD_URL.match(url), url


def assert_feeds_valid(config: Config, issue: Issue) -> dict[str, bytes]:
    """Atom and RSS well-formed XML that feedparser reads without bozo; JSON Feed parses."""
    files = render_feeds(config.site, [issue], config.templates_dir)
    for name in ("feed.atom", "feed.rss"):
        lxml.etree.fromstring(files[name])  # well-formed, or raises
        parsed = feedparser.parse(files[name])
        assert not parsed.bozo, f"{name}: {parsed.get('bozo_exception')!r}"
        (entry,) = parsed.entries
        assert entry.get("title", "") == " ".join(issue.article.title.split()) or issue.article.title
        for detail in (*entry.get("content", []), entry.get("summary_detail")):
            if detail and detail.get("type") == "text/html":  # a text summary is not markup
                assert_clean_html(detail["value"], name)
    data = json.loads(files["feed.json"])
    (item,) = data["items"]
    assert_clean_html(item["content_html"], "feed.json")
    return files


def assert_email_valid(config: Config, issue: Issue, max_bytes: int = Limits().max_email_bytes) -> str:
    """The email is the bytes of MJML then css-inline, parses as HTML, carries nothing active
    outside the template's head, and fits the default [limits] max_email_bytes (for inputs under
    a few kilobytes, as fuzzers give)."""
    html = render_email(config.site, issue, config.templates_dir)
    # made from a frame (outputs/email_frame.py) or not, the bytes of MJML then css-inline
    assert html == inline_css(compile_mjml(render_mjml(config.site, issue, config.templates_dir)))
    doc = lxml.html.document_fromstring(html)
    body = doc.find("body")
    assert body is not None
    for el in doc.iter():
        if not isinstance(el.tag, str):
            continue
        tag = el.tag.lower()
        in_head = any(a.tag == "head" for a in el.iterancestors())
        if not (in_head and tag in EMAIL_ALLOWED_HEAD) and tag != "style":
            assert tag not in ACTIVE_TAGS, f"email: <{tag}>"
        for name, value in el.attrib.items():
            assert not name.lower().startswith("on"), f"email: {name}="
            if name.lower() in ("href", "src", "action", "background"):
                assert not BAD_URL.match(value), f"email: {name}={value!r}"
    assert len(html.encode()) <= max_bytes
    return html


def assert_message_headers(config: Config, issue: Issue, html: str, text: str) -> None:
    """The message has exactly the headers compose_message sets: no injected one."""
    message = compose_message(
        envelope_for(config, issue),
        html=html,
        text=text,
        to_address="leserin@example.org",
        unsubscribe_url="https://abo.example.org/unsubscribe/sample",
    )
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.SMTP)
    names = [k.lower() for k in parsed]
    assert set(names) <= MESSAGE_HEADERS, names
    assert len(names) == len(set(names)), names
    # The words of the title, in order; CPython's header folder may drop the space between two
    # encoded words ("Ä Ä" comes back "ÄÄ"): cosmetic, and no header is added.
    assert "".join(str(parsed["Subject"]).split()) == "".join(issue.article.title.split())


def assert_round_trip(issue: Issue, folder: Path | None = None) -> Issue:
    """issue_to_markdown -> read_issue gives the same issue back."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(folder or tmp) / f"{issue.date:%Y-%m-%d}-{issue.slug}.md"
        path.write_text(issue_to_markdown(issue), encoding="utf-8")
        back = read_issue(path)
    for f in dataclasses.fields(Article):
        assert getattr(back.article, f.name) == getattr(issue.article, f.name), f"round trip: {f.name}"
    assert (back.id, back.slug, back.date, back.language, back.preheader) == (
        issue.id,
        issue.slug,
        issue.date,
        issue.language,
        issue.preheader,
    )
    return back


def written_and_read(issue: Issue) -> Issue:
    """The issue as `newsletter import` writes it and the build reads it back: the first write
    may canonicalize markup (<b> becomes **…**), never the words, title or links."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{issue.date:%Y-%m-%d}-{issue.slug}.md"
        path.write_text(issue_to_markdown(issue), encoding="utf-8")
        back = read_issue(path)
    a, b = issue.article, back.article
    assert (b.title, b.related, b.authors, b.tags) == (a.title, a.related, a.authors, a.tags)
    return back


def assert_outputs_valid(config: Config, issue: Issue, *, round_trip: bool = True) -> None:
    """Everything `newsletter build` makes of one issue, checked."""
    assert walks_clean(issue) or not remembered(issue)  # the reader vouched for it: rightly
    assert_clean_article(issue.article)
    assert_feeds_valid(config, issue)
    html = assert_email_valid(config, issue)
    text = render_text(config.site, issue, config.templates_dir)
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]", text)
    page = lxml.html.document_fromstring(render_issue_page(config.site, issue, config.templates_dir))
    (article,) = page.iter("article")  # the template's own subscribe form is not the article's
    assert_clean_html(lxml.html.tostring(article, encoding="unicode"), "page")
    assert_message_headers(config, issue, html, text)
    if round_trip:
        assert_round_trip(issue)


def one_line_error(error: Exception) -> str:
    """A NewsletterError's message: one readable line."""
    message = str(error)
    assert message and "\n" not in message and "\r" not in message, repr(message)
    assert "Traceback" not in message
    return message


def assert_message_headers_for(address: str, name: str) -> None:
    """A message to a stored subscriber has one To header and nothing injected."""
    env = Envelope(
        subject="Betreff",
        sender="Novastan <newsletter@example.org>",
        reply_to="",
        list_id="Novastan <example.org>",
        unsubscribe_mailto="",
        issue_id="tag:example.org,2025:x",
        language="de",
        date=DATE,
    )
    message = compose_message(
        env, html="<p>x</p>", text="x", to_address=address, to_name=name,
        unsubscribe_url="https://abo.example.org/u/t",
    )  # fmt: skip
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.SMTP)
    names = [k.lower() for k in parsed]
    assert set(names) <= MESSAGE_HEADERS and len(names) == len(set(names)), names
    assert parsed["To"].addresses[0].addr_spec.lower() == address.lower() or "@" in str(parsed["To"])
