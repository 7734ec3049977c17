"""CR/LF header injection through titles, names and addresses: refused where they enter, and
a message never has a header its composer did not set."""

from __future__ import annotations

import email
import email.policy
from email.utils import getaddresses
from pathlib import Path
from unittest.mock import ANY

import pytest
from fuzz.checks import assert_message_headers_for

from newsletter.config import load_config
from newsletter.delivery.subscribers import SubscriberList
from newsletter.errors import NewsletterError
from newsletter.outputs.message import compose_message, envelope_for
from newsletter.sources.markdown import read_issue

from .support import CONFIG, HOSTILE


@pytest.mark.parametrize(
    ("fixture", "field"),
    [("2025-11-20-header-injection-title.md", "title"), ("2025-11-20-header-injection-author.md", "authors")],
)
def test_a_line_break_in_a_one_line_field_is_refused(fixture: str, field: str) -> None:
    with pytest.raises(NewsletterError) as caught:
        read_issue(HOSTILE / fixture)
    assert f"front matter '{field}' contains a line break" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_subscribers_with_line_breaks_are_skipped_and_the_rest_imported(tmp_path: Path) -> None:
    subscribers = SubscriberList(tmp_path / "db.sqlite")
    try:
        report = subscribers.import_csv(HOSTILE / "header-injection-subscribers.csv")
        assert [s.address for s in subscribers] == ["ok@example.org"]
        assert report.added == 1 and len(report.errors) == 2
        assert all("line break" in e and "\n" not in e for e in report.errors)
    finally:
        subscribers.close()


def test_encoded_word_and_address_names_are_refused_on_import_and_the_rest_decoded(tmp_path: Path) -> None:
    # The names of the report: an encoded word hiding CR/LF + Bcc, a name listing addresses, an
    # encoded word reading "Bcc: x@evil.example". A plain encoded name is stored decoded.
    subscribers = SubscriberList(tmp_path / "db.sqlite")
    try:
        report = subscribers.import_csv(HOSTILE / "encoded-word-names.csv")
        assert [(s.address, s.name) for s in subscribers] == [("ok@example.org", "Jürgen Müller")]
    finally:
        subscribers.close()
    assert report.added == 1 and len(report.errors) == 3
    assert all("invalid name" in e and "\n" not in e for e in report.errors)


def test_a_long_display_name_with_a_comma_stays_one_recipient() -> None:
    # CPython folds a long quoted name without its quotes: "Eve, attacker, …" would turn into
    # several recipients. The one address writer encodes such a name instead.
    name = "Eve, attacker, with a display name long enough to be folded"
    assert_message_headers_for("leserin@example.org", name)
    issue = read_issue(HOSTILE / "2025-11-20-bom-prefixed.md")
    message = compose_message(
        envelope_for(CONFIG, issue),
        html="<p>x</p>",
        text="x",
        to_address="leserin@example.org",
        to_name=name,
        unsubscribe_url="https://abo.example.org/u/t",
    )
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.SMTP)
    assert [a.addr_spec for a in parsed["To"].addresses] == ["leserin@example.org"]
    assert getaddresses([str(message["To"])]) == [(ANY, "leserin@example.org")]


def test_a_line_break_in_the_config_is_refused() -> None:
    with pytest.raises(NewsletterError, match=r"\[site\] title: contains a line break or control character"):
        load_config(HOSTILE / "config-header-injection.toml")


def test_a_javascript_url_in_the_config_is_refused() -> None:
    with pytest.raises(NewsletterError, match=r"\[site\.social\] url: must be an absolute http\(s\) URL"):
        load_config(HOSTILE / "config-javascript-social-url.toml")
