"""delivery/names.py: a name is decoded (encoded words included) and validated once, on the way in."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsletter.delivery.names import normalize_name
from newsletter.errors import NewsletterError

ATTACKS = (
    (Path(__file__).parents[1] / "data" / "hostile" / "header-injection-names.txt")
    .read_text(encoding="utf-8")
    .splitlines()
)


@pytest.mark.parametrize("name", ATTACKS)
def test_the_reported_attacks_are_refused(name: str) -> None:
    with pytest.raises(NewsletterError, match=r"^invalid name ") as caught:
        normalize_name(name)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("Eve\r\nBcc: x@evil.example", "line break"),
        ("=?utf-8?b?RXZlDQpCY2M6IHg=?=", "hides a line break"),  # base64 words too
        ("Eve =?utf-8?q?=E2=80=A8?= x", "hides a line break"),  # U+2028, a line separator
        ("=?utf-8?b?PT91dGYtOD9xP3g/PQ==?=", "encoded word"),  # encoded twice
        ("=?x-no-such-charset?q?Eve?=", "cannot be decoded"),
        ("=?utf-8?b?!!!?=", "cannot be decoded"),
        ("=?utf-8?q?=FF?=", "cannot be decoded"),
        ("Eve <eve@evil.example>", "@, < or >"),
    ],
)
def test_refused_with_the_reason(name: str, why: str) -> None:
    with pytest.raises(NewsletterError, match=why):
        normalize_name(name)


@pytest.mark.parametrize(
    ("name", "stored"),
    [
        ("=?utf-8?q?J=C3=BCrgen_M=C3=BCller?=", "Jürgen Müller"),
        ("=?utf-8?q?J=C3=BC?= =?utf-8?b?cmdlbg==?=, Eve", "Jürgen, Eve"),  # adjacent words join
        ("Dupont, Jean", "Dupont, Jean"),
        ("  Lila   Ahmadi ", "Lila Ahmadi"),
        ("a =? b", "a =? b"),  # not an encoded word
    ],
)
def test_accepted_names_are_stored_decoded(name: str, stored: str) -> None:
    assert normalize_name(name) == stored
