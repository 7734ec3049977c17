"""Subscriber CSV import: any file imports what is valid and reports the rest, line by line, or
stops with one error; no stored name or address can add a header to a message."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import pytest
from hypothesis import event, example, given
from hypothesis import strategies as st

from newsletter.delivery.subscribers import SubscriberList
from newsletter.errors import NewsletterError

from .checks import assert_message_headers_for, one_line_error
from .strategies import encoded, line_text

_ADDRESSES = [
    "leserin@example.org",
    "Leserin@Example.ORG",
    "a+b@example.org",
    "user@bücher.example",
    "evil@example.org\r\nBcc: victim@example.org",
    "evil@example.org\nX-Injected: 1",
    "<script>@example.org",
    "no-at-sign",
    "",
    '"quoted name"@example.org',
    "a@b",
    "x@example.org, y@example.org",
]
_NAMES = ["Lila", "Müller, Hans", "Eve\r\nBcc: victim@example.org", "=?utf-8?q?x?=", "\u202eevil", ""]
_address = st.one_of(st.sampled_from(_ADDRESSES), st.sampled_from(_ADDRESSES), line_text(3))
_name = st.one_of(st.sampled_from(_NAMES), line_text(3))
_COLUMNS = [("email", "name", "language"), ("name", "email"), ("email",), ("EMAIL ", "Name"), ("e-mail",)]
_field = {"email": _address, "name": _name, "language": st.sampled_from(["de", "fr", "de_AT", "x y", ""])}


@st.composite
def csv_text(draw: st.DrawFn) -> str:
    """A CSV as a spreadsheet exports it, or not quite: quoting, field counts and header vary."""
    columns = draw(st.sampled_from(_COLUMNS))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=draw(st.sampled_from(["\n", "\r\n"])))
    writer.writerow(columns)
    for _ in range(draw(st.integers(0, 8))):
        row = [draw(_field.get(c.strip().lower(), _name)) for c in columns]
        if draw(st.integers(0, 5)) == 0:
            row = row[:-1] or [*row, "extra"]  # a field too few or too many
        writer.writerow(row)
    if draw(st.integers(0, 5)) == 0:
        out.write(draw(st.sampled_from(['"unterminated,x\n', "a,b,c,d\n", "\x00\n"])))
    return out.getvalue()


@pytest.mark.fuzz
@given(encoded(csv_text()))
@example(b'email,name\n"evil@example.org\r\nBcc: victim@example.org",Eve\n')
@example(b'email,name\nleserin@example.org,"Eve\r\nBcc: victim@example.org"\n')
def test_any_csv_imports_valid_rows_or_one_error(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "list.csv"
        path.write_bytes(data)
        subscribers = SubscriberList(Path(tmp) / "db.sqlite")
        try:
            try:
                report = subscribers.import_csv(path)
            except NewsletterError as e:
                event("refused: " + one_line_error(e).split(": ", 1)[-1][:40])
                return
            event(f"imported {min(report.added, 3)}+")
            for line in report.errors:
                assert line.startswith(str(path)) and "\n" not in line and "\r" not in line, line
            for s in subscribers:
                assert s.address.isprintable() and " " not in s.address, s.address
                # what subscribers.normalize_name promises: no C0 control, no DEL (no CR/LF)
                assert not any(ord(c) < 32 or c == "\x7f" for c in s.name), s.name
                assert_message_headers_for(s.address, s.name)
        finally:
            subscribers.close()
