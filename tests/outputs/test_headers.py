"""outputs/headers.py: an address header names exactly its one address and nothing else,
whatever the name, on any Python version (the bytes are written here, not by the stdlib)."""

from __future__ import annotations

import email
import email.policy
from email.header import decode_header, make_header
from email.utils import getaddresses
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsletter.errors import NewsletterError
from newsletter.outputs.headers import AddressField, address_header

ATTACKS = (
    (Path(__file__).parents[1] / "data" / "hostile" / "header-injection-names.txt")
    .read_text(encoding="utf-8")
    .splitlines()
)


def read_back(header: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]], list[str]]:
    """(modern parser's (name, address)s, legacy parser's, header names) of one header block."""
    parsed = email.message_from_bytes(header.encode() + b"\r\n", policy=email.policy.SMTP)
    field = parsed["To"]
    modern = [(a.display_name, f"{a.username}@{a.domain}") for a in field.addresses]
    value = header.split(":", 1)[1].replace("\r\n", "")
    return modern, getaddresses([value]), [k for k in parsed]


@pytest.mark.parametrize("name", ATTACKS)
def test_an_attackers_name_is_one_recipient_read_literally(name: str) -> None:
    header = address_header("To", "victim@example.org", name)
    modern, legacy, keys = read_back(header)
    assert keys == ["To"]
    assert [a for _, a in modern] == ["victim@example.org"]
    # The name reads as typed, not decoded (read by an RFC 2047 reader: CPython's address parser
    # puts a space between two adjacent encoded words, which RFC 2047 joins).
    phrase = header.split(":", 1)[1].replace("\r\n", "").rsplit("<", 1)[0].strip()
    assert str(make_header(decode_header(phrase))) == name
    assert [a for _, a in legacy] == ["victim@example.org"]
    assert header.isascii() and header.count("\r\n") == header.count("\r\n ") + 1


@pytest.mark.parametrize(
    ("name", "written"),
    [
        ("", "To: a@example.org\r\n"),
        ("Lila Ahmadi", "To: Lila Ahmadi <a@example.org>\r\n"),
        ("Dupont, Jean", 'To: "Dupont, Jean" <a@example.org>\r\n'),
        ('Marat "the Elder"', 'To: "Marat \\"the Elder\\"" <a@example.org>\r\n'),
        ("Jürgen", "To: =?utf-8?b?SsO8cmdlbg==?= <a@example.org>\r\n"),
        ("=?x?= y", "To: =?utf-8?b?PT94Pz0geQ==?= <a@example.org>\r\n"),  # never read as an encoded word
    ],
)
def test_plain_quoted_or_encoded(name: str, written: str) -> None:
    assert address_header("To", "a@example.org", name) == written


def test_a_long_name_with_specials_keeps_them_and_stays_one_recipient() -> None:
    name = "Dupont, Jean " * 7 + "attacker"
    header = address_header("To", "a@example.org", name)
    assert all(len(line) <= 78 for line in header.split("\r\n"))
    modern, legacy, _ = read_back(header)
    assert [a for _, a in modern] == ["a@example.org"] and [a for _, a in legacy] == ["a@example.org"]


@pytest.mark.parametrize(
    ("address", "name"),
    [
        ("a@example.org", "Eve\r\nBcc: x@evil.example"),
        ("a@example.org", "Eve\u2028Bcc: x@evil.example"),
        ("a@example.org", "Eve\x85"),
        ("a@example.org\r\nBcc: x@evil.example", ""),
        ("a@example.org, b@example.org", ""),
        ("<a@example.org>", ""),
        ("a@b@example.org", ""),
    ],
)
def test_a_control_character_or_a_second_address_is_refused(address: str, name: str) -> None:
    with pytest.raises(NewsletterError) as caught:
        address_header("To", address, name)
    assert "\n" not in str(caught.value)


def test_the_email_package_writes_the_field_as_folded() -> None:
    msg = email.message.EmailMessage(policy=email.policy.SMTP)
    msg["To"] = AddressField("To", "victim@example.org", ATTACKS[0])
    assert msg.as_bytes().startswith(address_header("To", "victim@example.org", ATTACKS[0]).encode())
    assert str(msg["To"]).endswith("<victim@example.org>")


@settings(max_examples=400, derandomize=True, database=None, deadline=None)
@given(st.text(max_size=120))
def test_any_name_gives_one_recipient_or_a_clear_refusal(name: str) -> None:
    try:
        header = address_header("To", "victim@example.org", name)
    except NewsletterError as e:
        assert "control character" in str(e)
        return
    modern, legacy, keys = read_back(header)
    assert keys == ["To"]
    assert [a for _, a in modern] == ["victim@example.org"] and [a for _, a in legacy] == [
        "victim@example.org"
    ]
    assert header.isascii() and all(len(line) <= 78 for line in header.split("\r\n"))
