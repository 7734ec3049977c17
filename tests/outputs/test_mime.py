"""outputs/mime.py: the fast encoder reads back as compose_message's message, byte-safe for SMTP."""

from __future__ import annotations

import base64
import binascii
import dataclasses
import datetime as dt
import email
import itertools
import re
from collections.abc import Callable, Iterable
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsletter.build import build
from newsletter.config import Config, load_config
from newsletter.defaults import SAMPLE_RECIPIENT, sample_unsubscribe_url
from newsletter.errors import NewsletterError
from newsletter.model import Issue
from newsletter.outputs.built import read_built_issue
from newsletter.outputs.email import render_email
from newsletter.outputs.message import UNSUBSCRIBE_PLACEHOLDER, Envelope, compose_message, envelope_for
from newsletter.outputs.mime import (
    MessageTemplate,
    built_message,
    date_header,
    sample_message,
    subject_header,
    to_header,
)
from newsletter.outputs.plaintext import render_text
from newsletter.sources.markdown import read_issue

ROOT = Path(__file__).resolve().parents[2]
DELIVERY = ROOT / "tests" / "data" / "delivery"
MIME = ROOT / "tests" / "data" / "mime"

ENV = Envelope(
    subject="Kasachstan tritt dem Abraham-Abkommen bei – was heißt das für Zentralasien?",
    sender="Testpost <newsletter@example.org>",
    reply_to="redaktion@example.org",
    list_id="Testpost <testpost.example.org>",
    unsubscribe_mailto="unsubscribe@example.org",
    issue_id="tag:example.org,2025-11-20:sample-issue",
    language="de",
    date=dt.datetime(2025, 11, 20, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=1))),
)
HTML = (DELIVERY / "built" / "sample-issue" / "email.html").read_text(encoding="utf-8")
TEXT = (DELIVERY / "built" / "sample-issue" / "email.txt").read_text(encoding="utf-8")
URL = "https://news.example.org/unsubscribe/ImxpbGFAZXhhbXBsZS5vcmci.q9Xb-4_ZrYwVtQ"
SAMPLE_TO = "leserin@example.org"


def fixture(name: str) -> str:
    return (MIME / name).read_bytes().decode("utf-8")  # bytes: keep CR line ends as they are


def parse(data: bytes) -> EmailMessage:
    msg = email.message_from_bytes(data, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def assert_wire_format(data: bytes, folded: int = 78) -> None:
    """ASCII, CRLF line ends only; every line ≤ 998 octets, ≤ `folded` but for an unbreakable URL."""
    assert b"\r" not in data.replace(b"\r\n", b"") and b"\n" not in data.replace(b"\r\n", b"")
    assert data.isascii()
    for line in data.split(b"\r\n"):
        assert len(line) <= 998
        if not line.startswith(b"List-Unsubscribe: <"):
            assert len(line) <= folded, line


_ENCODED_WORD = re.compile(r"=\?([^?]+)\?([qQbB])\?([^?]*)\?=")


def _decode_word(m: re.Match[str]) -> str:
    charset, kind, text = m.groups()
    data = base64.b64decode(text) if kind in "bB" else binascii.a2b_qp(text.encode(), header=True)
    return data.decode(charset)


def rfc2047(value: str) -> str:
    """`value` unfolded, its encoded words decoded as RFC 2047 says: the whitespace between two
    adjacent encoded words is dropped. (CPython's address parser keeps it; email.header's
    make_header drops the space between an unencoded word and an encoded one.)"""
    value = re.sub(r"\r?\n(?=[ \t])", "", value).lstrip(" \t")
    word = _ENCODED_WORD.pattern
    value = re.sub(rf"({word})[ \t]+(?={word})", lambda m: m.group(1), value)
    return _ENCODED_WORD.sub(_decode_word, value)


def same_headers(mine: bytes, reference: bytes, skip: frozenset[str] = frozenset(), to: str = "") -> None:
    """The same headers as CPython reads them. But a To name of several encoded words: CPython's
    address parser reads a space between each two (RFC 2047 drops it), and compose_message's folder
    can lose a space at an encoded-word boundary, so there ours must read, as RFC 2047 reads it,
    as the `to` given."""
    ours = [(k, str(v)) for k, v in parse(mine).items() if k.lower() not in skip]
    theirs = [(k, str(v)) for k, v in parse(reference).items() if k.lower() not in skip]
    assert [k for k, _ in ours] == [k for k, _ in theirs]
    for (key, value), (_, expected) in zip(ours, theirs, strict=True):
        if key == "To" and value != expected:
            assert rfc2047(email.message_from_bytes(mine, policy=policy.compat32)["To"]) == to
        else:
            assert value == expected


def same_message(mine: bytes, reference: EmailMessage, to: str = "") -> None:
    """Parsed back, the same headers (but the boundary) and the same decoded parts."""
    a, b = parse(mine), parse(reference.as_bytes())
    assert not a.defects and not any(p.defects for p in a.iter_parts())
    same_headers(mine, reference.as_bytes(), skip=frozenset({"content-type"}), to=to)  # boundaries differ
    assert a.get_content_type() == b.get_content_type() == "multipart/alternative"
    pa, pb = list(a.iter_parts()), list(b.iter_parts())
    assert [p.get_content_type() for p in pa] == [p.get_content_type() for p in pb]
    assert [p.get_content() for p in pa] == [p.get_content() for p in pb]  # type: ignore[attr-defined]
    assert_wire_format(mine)


# --- MessageTemplate: one issue, many recipients -------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "",
        "Lila Ahmadi",
        "Dupont, Jean",
        'Marat "the Elder" Ibraimov',
        "Jürgen Müller",
        "Айгерим Сейткали",
        "O'Brien",
        "Back\\slash",
        "Dupont, Jean " * 7,  # too long to quote: compose_message drops the specials
        "Müller,  Jürgen",  # doubled space: the stdlib collapses it
        "=?utf-8?q?x?= y",  # looks like an encoded word
        " Lead and trail ",
        "Ünïcödé Ñame " * 9 + "Ende",
        "x\u00a0y",
    ],
)
def test_same_message_as_compose_message(name: str) -> None:
    template = MessageTemplate(ENV, html=HTML, text=TEXT)
    mine = template.render("lila@example.org", name, URL)
    reference = compose_message(
        ENV, html=HTML, text=TEXT, to_address="lila@example.org", to_name=name, unsubscribe_url=URL
    )
    same_message(mine, reference, to=f"{name} <lila@example.org>")


@pytest.mark.parametrize("address", ["lila@example.org", "a.b+news@sub.example.org", "x..y@example.org"])
def test_unusual_addresses_read_back_as_compose_message(address: str) -> None:
    mine = MessageTemplate(ENV, html=HTML, text=TEXT).render(address, "Lila", URL)
    reference = compose_message(
        ENV, html=HTML, text=TEXT, to_address=address, to_name="Lila", unsubscribe_url=URL
    )
    same_message(mine, reference)


def test_personal_parts_are_substituted_everywhere() -> None:
    msg = parse(MessageTemplate(ENV, html=HTML, text=TEXT).render("a@example.org", "", URL))
    assert msg["List-Unsubscribe"] == f"<{URL}>, <mailto:unsubscribe@example.org?subject=unsubscribe>"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text, html = (p.get_content() for p in msg.iter_parts())  # type: ignore[attr-defined]
    assert f"Abmelden: {URL}" in text and f'href="{URL}"' in html
    assert "unsubscribe.invalid" not in text + html


def test_test_prefix_and_rfc2047_subject() -> None:
    data = MessageTemplate(ENV, html=HTML, text=TEXT, subject_prefix="[TEST] ").render(
        "a@example.org", "", URL
    )
    assert parse(data)["Subject"] == "[TEST] " + ENV.subject
    assert data.isascii()


def test_long_unicode_name_is_split_into_valid_encoded_words() -> None:
    name = "Ünïcödé Ñame " * 9 + "Ende"
    header = to_header("a@example.org", name).decode()
    assert all(len(line) <= 78 for line in header.split("\r\n"))
    value = header.split(":", 1)[1].replace("\r\n", "").rsplit("<", 1)[0].strip()
    assert str(make_header(decode_header(value))) == name  # RFC 2047: adjacent words join


def test_html_escapes_the_url_and_finds_a_percent_encoded_placeholder() -> None:
    html = HTML.replace(UNSUBSCRIBE_PLACEHOLDER, "https://unsubscribe.invalid/%7B%7Btoken%7D%7D")
    url = "https://news.example.org/unsubscribe?t=abc&lang=de"
    msg = parse(MessageTemplate(ENV, html=html, text=TEXT).render("a@example.org", "", url))
    html_part = list(msg.iter_parts())[1].get_content()  # type: ignore[attr-defined]
    assert 'href="https://news.example.org/unsubscribe?t=abc&amp;lang=de"' in html_part


def test_the_sample_is_dated_as_the_issue_and_a_delivery_as_given() -> None:
    template = MessageTemplate(ENV, html=HTML, text=TEXT)
    assert parse(template.compose("a@example.org", "", URL))["Date"].datetime == ENV.date
    sent = dt.datetime(2026, 1, 5, 9, 30, tzinfo=dt.UTC)
    assert parse(template.render("a@example.org", "", URL, date_header(sent)))["Date"].datetime == sent


def test_rendering_is_deterministic() -> None:
    one = MessageTemplate(ENV, html=HTML, text=TEXT).render("a@example.org", "A", URL)
    two = MessageTemplate(ENV, html=HTML, text=TEXT).render("a@example.org", "A", URL)
    assert one == two


def test_long_lines_are_wrapped_under_998_octets() -> None:
    html = HTML.replace("<p ", "<p data-x='" + "ä" * 3000 + "' ", 1)
    data = MessageTemplate(ENV, html=html, text=TEXT).render("a@example.org", "", URL)
    assert_wire_format(data)
    assert "ä" * 3000 in list(parse(data).iter_parts())[1].get_content()  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "address, name, what",
    [
        ("a@example.org", "Eve\r\nBcc: victim@example.net", "recipient's name"),
        ("a@example.org\r\nBcc: victim@example.net", "", "recipient's address"),
        ("a@example.org", "Eve\nX: y", "recipient's name"),
    ],
)
def test_header_injection_is_refused(address: str, name: str, what: str) -> None:
    template = MessageTemplate(ENV, html=HTML, text=TEXT)
    with pytest.raises(NewsletterError, match=what):
        template.render(address, name, URL)


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("subject", "Hi\r\nBcc: victim@example.net", "the subject contains a line break"),
        ("sender", "Eve <eve@example.org>\nBcc: x@example.net", "the sender address contains a line break"),
        ("sender", "not an address", "the sender address 'not an address' is not an address"),
        ("reply_to", "redaktion@", "the reply-to address 'redaktion@' is not an address"),
        ("list_id", "Testpost", "the list id 'Testpost' must look like Name <news.example.org>"),
    ],
)
def test_envelope_is_validated_as_compose_message_does(field: str, value: str, message: str) -> None:
    env = dataclasses.replace(ENV, **{field: value})
    with pytest.raises(NewsletterError, match=message):
        compose_message(env, html=HTML, text=TEXT, to_address="a@example.org", unsubscribe_url=URL)
    with pytest.raises(NewsletterError, match=message):
        MessageTemplate(env, html=HTML, text=TEXT)


def test_unsubscribe_url_is_checked_per_recipient() -> None:
    template = MessageTemplate(ENV, html=HTML, text=TEXT)
    with pytest.raises(NewsletterError, match="the unsubscribe URL contains a line break"):
        template.render("a@example.org", "", URL + "\r\nBcc: x@example.net")
    with pytest.raises(NewsletterError, match=r"must be https:// for one-click unsubscribe \(RFC 8058\)"):
        template.render("a@example.org", "", "http://news.example.org/unsubscribe/x")


def test_built_email_without_unsubscribe_link_is_refused() -> None:
    with pytest.raises(NewsletterError, match=r"email\.html has no unsubscribe link"):
        MessageTemplate(ENV, html=fixture("html-without-unsubscribe-link.html"), text=TEXT)


# --- sample_message: the message `check` judges -------------------------------------------------


@pytest.fixture(scope="module")
def config() -> Config:
    return load_config(DELIVERY / "newsletter.toml")


@pytest.fixture(scope="module")
def issue() -> Issue:
    return read_issue(DELIVERY / "issues" / "2025-11-20-sample-issue.md")


def with_email(config: Config, **email_fields: str) -> Config:
    return dataclasses.replace(config, email=dataclasses.replace(config.email, **email_fields))


def with_title(issue: Issue, title: str) -> Issue:
    return dataclasses.replace(issue, article=dataclasses.replace(issue.article, title=title))


def same_as_compose_message(config: Config, issue: Issue, html: str, text: str, url: str) -> bytes:
    mine = sample_message(config, issue, html, text, to_address=SAMPLE_TO, unsubscribe_url=url)
    reference = compose_message(
        envelope_for(config, issue), html=html, text=text, to_address=SAMPLE_TO, unsubscribe_url=url
    )
    same_message(mine, reference)
    assert mine == sample_message(config, issue, html, text, to_address=SAMPLE_TO, unsubscribe_url=url)
    return mine


SUBJECTS = [
    "Weekly notes",
    "Grüße aus Almaty: Öl, Wasser und Straßen",
    "Ouzbékistan : l’eau – « enjeu » majeur",
    "A long English subject line about water, oil, roads and the politics of Central Asia today",
    "Ein langer deutscher Betreff über Wasserstraßen, Ölfelder und Grenzübergänge in Zentralasien "
    "– was heißt das für die Nachbarländer?",
    "=?utf-8?q?x?=",
    "Über =?utf-8?q?x?= und mehr",
    "Doppelte  Leerzeichen  und Umlaute: äöü",
    "Казахстан присоединяется к Авраамовым соглашениям",
    "Emoji 🇰🇿 und ein Wort-das-sehr-lang-ist-und-nicht-umbrochen-werden-kann-weil-es-keine-Leerzeichen-hat",
]


@pytest.mark.parametrize("title", SUBJECTS)
def test_sample_message_subjects(config: Config, issue: Issue, title: str) -> None:
    same_as_compose_message(config, with_title(issue, title), HTML, TEXT, URL)


def test_subject_keeps_the_space_the_stdlib_folder_loses(config: Config, issue: Issue) -> None:
    """CPython 3.11 folds this subject into two adjacent encoded words without the space between
    "majeur" and "–" (RFC 2047 drops the whitespace between encoded words): ours keeps it."""
    title = "Ouzbékistan : l’eau, « enjeu » majeur – qu’en pense-t-on ?"
    mine = sample_message(
        config, with_title(issue, title), HTML, TEXT, to_address=SAMPLE_TO, unsubscribe_url=URL
    )
    assert parse(mine)["Subject"] == title
    assert rfc2047(email.message_from_bytes(mine, policy=policy.compat32)["Subject"]) == title
    reference = compose_message(
        envelope_for(config, with_title(issue, title)),
        html=HTML,
        text=TEXT,
        to_address=SAMPLE_TO,
        unsubscribe_url=URL,
    )
    same_headers(mine, reference.as_bytes(), skip=frozenset({"subject", "content-type"}))


@pytest.mark.parametrize(
    "sender, reply_to, mailto, url",
    list(
        itertools.product(
            [
                "Testpost <newsletter@example.org>",
                "Café Zentralasien <newsletter@example.org>",
                "Новастан <newsletter@example.org>",
                '"Dupont, Jean" <newsletter@example.org>',
                "newsletter@example.org",
            ],
            ["redaktion@example.org", ""],
            ["unsubscribe@example.org", ""],
            [URL, "http://news.example.org/unsubscribe/sample"],
        )
    ),
)
def test_sample_message_envelopes(
    config: Config, issue: Issue, sender: str, reply_to: str, mailto: str, url: str
) -> None:
    config = with_email(config, sender=sender, reply_to=reply_to, unsubscribe_mailto=mailto)
    data = same_as_compose_message(config, issue, HTML, TEXT, url)
    assert (b"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n" in data) == url.startswith("https://")
    assert (b"\r\nReply-To: " in data) == bool(reply_to)


@pytest.mark.parametrize(
    "html_name, text_name",
    [
        ("html-line-over-998-octets.html", "text-trailing-spaces.txt"),
        ("html-from-and-dot-lines.html", "text-from-and-dot-lines.txt"),
        ("html-without-unsubscribe-link.html", "text-crlf-and-cr-line-ends.txt"),
    ],
)
def test_sample_message_bodies(config: Config, issue: Issue, html_name: str, text_name: str) -> None:
    same_as_compose_message(config, issue, fixture(html_name), fixture(text_name), URL)


def test_from_at_a_line_start_is_encoded_for_mbox_safety(config: Config, issue: Issue) -> None:
    data = sample_message(
        config, issue, fixture("html-from-and-dot-lines.html"), fixture("text-from-and-dot-lines.txt"),
        to_address=SAMPLE_TO, unsubscribe_url=URL,
    )  # fmt: skip
    body = data.split(b"\r\n\r\n", 1)[1]
    assert not any(line.startswith(b"From ") or line == b"." for line in body.split(b"\r\n"))


def test_sample_message_of_the_sample_issue_reads_back(config: Config, issue: Issue) -> None:
    data = same_as_compose_message(config, issue, HTML, TEXT, URL)
    assert data.startswith(b"From: Testpost <newsletter@example.org>\r\nTo: leserin@example.org\r\n")


def test_the_message_made_from_the_built_files_is_the_one_made_from_the_model(
    make_newsletter: Callable[[Iterable[Path]], Path],
) -> None:
    """`check` judges the message made from the published email.html and email.txt (their web
    unsubscribe link put back as the placeholder, as `send` does): byte for byte the message
    made from the email as rendered, before it was published."""
    root = make_newsletter([ROOT / "tests" / "data" / "issues" / "2025-10-02-ouzbekistan-eau.md"])
    config = load_config(root / "newsletter.toml")
    result = build(config, root / "public")
    (issue,) = result.issues
    full = read_issue(Path(issue.source_path), languages=config.site.languages)
    html = render_email(config.site, full, config.templates_dir)
    text = render_text(config.site, full, config.templates_dir)
    assert UNSUBSCRIBE_PLACEHOLDER in html and UNSUBSCRIBE_PLACEHOLDER in text
    from_model = sample_message(
        config,
        full,
        html,
        text,
        to_address=SAMPLE_RECIPIENT,
        unsubscribe_url=sample_unsubscribe_url(config, "sample"),
    )
    built = read_built_issue(root / "public" / "issues" / issue.slug)
    assert built_message(config, root / "public", built) == from_model


# --- headers, property-based against the stdlib --------------------------------------------------

_words = st.text(
    st.characters(blacklist_categories=["Cc", "Cs"], blacklist_characters="\x85\u2028\u2029"),
    max_size=12,
)
_header_text = st.lists(
    st.one_of(_words, st.sampled_from(["=?", "?=", ",", '"', "\\", "  ", "ä", "–", "x" * 70])), max_size=12
).map("".join)


def header_block(data: bytes) -> bytes:
    return data.split(b"\r\n\r\n")[0] + b"\r\n\r\n"


def longest_line(data: bytes) -> int:
    """78, or the longest header line of compose_message's when it cannot keep to 78 either."""
    return max(78, *map(len, header_block(data).split(b"\r\n")))


@settings(max_examples=300, derandomize=True, database=None, deadline=None)
@given(_header_text)
def test_subject_reads_back_as_written(subject: str) -> None:
    """As the subject itself, or as compose_message's reads back where the stdlib changes it
    ("=?…?=" decoded, leading space dropped); a strict RFC 2047 reader agrees with CPython's."""
    env = dataclasses.replace(ENV, subject=subject)
    reference = compose_message(env, html="x", text="x", to_address="a@example.org", unsubscribe_url=URL)
    mine = subject_header(subject)
    assert_wire_format(mine, folded=longest_line(reference.as_bytes()))
    read = str(parse(mine + b"\r\n")["Subject"])
    assert read == subject or read == str(parse(reference.as_bytes())["Subject"])
    if read == subject:
        assert rfc2047(mine.decode().split(":", 1)[1].rstrip("\r\n")) == subject


@settings(max_examples=300, derandomize=True, database=None, deadline=None)
@given(_header_text)
def test_recipient_name_reads_back_as_compose_message_writes_it(name: str) -> None:
    reference = compose_message(
        ENV, html="x", text="x", to_address="a@example.org", to_name=name, unsubscribe_url=URL
    ).as_bytes()
    mine = to_header("a@example.org", name)
    assert_wire_format(mine, folded=longest_line(reference))
    others = frozenset(k.lower() for k in parse(reference)) - {"to"}
    same_headers(mine + b"\r\n", header_block(reference), skip=others, to=f"{name} <a@example.org>")
