"""The one set of character classes: what each refuses, and what it lets through."""

from __future__ import annotations

import re

import pytest

from newsletter import characters as c


@pytest.mark.parametrize(
    ("pattern", "refused", "allowed"),
    [
        (c.UNSAFE, "\x00\x0b\x1f\x7f\x85\ud800\ufffe", "\t\n\r\u202e\u200b é"),
        (c.NOT_XML, "\x00\x0b\x1f\ud800\uffff", "\t\n\r\x7f\x85 é"),
        (c.NOT_ONE_LINE, "\n\r\x00\x7f\x85\ud800", "\t \u00a0é"),
        (c.CONTROL, "\t\n\r\x00\x7f\x85", " \u00a0é\u202e"),
        (c.INVISIBLE, "\x00\x85\u202e\u2066\u200b\u2060\ufeff", "\t\n \u00a0\u200d"),
        (c.IGNORABLE, "\u200b\u200c\u200d\u034f\u00ad\ufeff\u2060", " \u00a0é"),
        (c.UNUSUAL, "\x0b\x0c\u2028\u2029\u202e\x00", "\t\n é"),
    ],
)
def test_each_class(pattern: re.Pattern[str], refused: str, allowed: str) -> None:
    assert all(pattern.fullmatch(ch) for ch in refused)
    assert not any(pattern.fullmatch(ch) for ch in allowed)
