from __future__ import annotations

import datetime as dt
import email
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage

import pytest

from newsletter.delivery.personalize import MessageTemplate, to_header
from newsletter.errors import NewsletterError
from newsletter.outputs.message import UNSUBSCRIBE_PLACEHOLDER, Envelope, compose_message

from .conftest import DATA

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
HTML = (DATA / "built" / "sample-issue" / "email.html").read_text(encoding="utf-8")
TEXT = (DATA / "built" / "sample-issue" / "email.txt").read_text(encoding="utf-8")
URL = "https://news.example.org/unsubscribe/ImxpbGFAZXhhbXBsZS5vcmci.q9Xb-4_ZrYwVtQ"


def parse(data: bytes) -> EmailMessage:
    msg = email.message_from_bytes(data, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def same_message(mine: bytes, reference: EmailMessage) -> None:
    a, b = parse(mine), parse(bytes(reference))
    assert not a.defects and not any(p.defects for p in a.iter_parts())
    skip = {"content-type"}  # the boundary differs: ours is deterministic
    assert sorted((k, str(v)) for k, v in a.items() if k.lower() not in skip) == sorted(
        (k, str(v)) for k, v in b.items() if k.lower() not in skip
    )
    assert a.get_content_type() == b.get_content_type() == "multipart/alternative"
    pa, pb = list(a.iter_parts()), list(b.iter_parts())
    assert [p.get_content_type() for p in pa] == [p.get_content_type() for p in pb]
    assert [p.get_content() for p in pa] == [p.get_content() for p in pb]  # type: ignore[attr-defined]
    assert_line_lengths(mine)


def assert_line_lengths(data: bytes) -> None:
    """Body lines ≤ 76 (quoted-printable), header lines ≤ 78 but for an unbreakable URL; all ≤ 998."""
    for line in data.split(b"\r\n"):
        assert len(line) <= 998
        if not line.startswith(b"List-Unsubscribe: <"):
            assert len(line) <= 78, line


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
    ],
)
def test_same_message_as_compose_message(name: str) -> None:
    template = MessageTemplate(ENV, html=HTML, text=TEXT)
    mine = template.render("lila@example.org", name, URL)
    reference = compose_message(
        ENV, html=HTML, text=TEXT, to_address="lila@example.org", to_name=name, unsubscribe_url=URL
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


def test_rendering_is_deterministic() -> None:
    one = MessageTemplate(ENV, html=HTML, text=TEXT).render("a@example.org", "A", URL)
    two = MessageTemplate(ENV, html=HTML, text=TEXT).render("a@example.org", "A", URL)
    assert one == two


def test_long_lines_are_wrapped_under_998_octets() -> None:
    html = HTML.replace("<p ", "<p data-x='" + "ä" * 3000 + "' ", 1)
    data = MessageTemplate(ENV, html=html, text=TEXT).render("a@example.org", "", URL)
    assert_line_lengths(data)
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


def test_subject_injection_is_refused() -> None:
    env = Envelope(**{**ENV.__dict__, "subject": "Hi\r\nBcc: victim@example.net"})
    with pytest.raises(NewsletterError, match="the subject contains a line break"):
        MessageTemplate(env, html=HTML, text=TEXT)


def test_built_email_without_unsubscribe_link_is_refused() -> None:
    with pytest.raises(NewsletterError, match=r"email\.html has no unsubscribe link"):
        MessageTemplate(ENV, html="<p>no link</p>", text=TEXT)
