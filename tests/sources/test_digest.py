"""`newsletter digest`: the edition's articles since its last sent issue, from issues/ or the site feed."""

from __future__ import annotations

import datetime as dt
import functools
import shutil
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from newsletter import open_newsletter
from newsletter.cli import main
from newsletter.config import load_config
from newsletter.delivery.ledger import SendLedger
from newsletter.delivery.subscribers import SubscriberList
from newsletter.model import Image
from newsletter.sources.digest import NothingNew
from newsletter.sources.markdown import read_issue
from tests.state import query, state_url

DIGEST = Path(__file__).parents[1] / "data" / "digest"
EDITIONS = Path(__file__).parents[1] / "data" / "editions"
STEPPE = "tag:novastan.org,2025-11-24:steppenwind"
BAZAAR = "tag:novastan.org,2025-11-25:basar-in-bischkek"


@pytest.fixture
def news(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The digest fixture's newsletter (its three articles, its digest and a French issue)."""
    root = tmp_path / "news"
    shutil.copytree(DIGEST / "issues", root / "issues")
    shutil.copy(DIGEST / "newsletter.toml", root / "newsletter.toml")
    shutil.copytree(DIGEST.parents[2] / "templates", root / "templates")
    shutil.copy(EDITIONS / "issues" / "2025-11-21-kazakhstan-accords-abraham.md", root / "issues")
    (root / "issues" / "2025-11-27-accords-suite.md").write_text(
        (root / "issues" / "2025-11-21-kazakhstan-accords-abraham.md")
        .read_text(encoding="utf-8")
        .replace("2025-11-21", "2025-11-27")
        .replace("kazakhstan-accords-abraham", "accords-suite"),
        encoding="utf-8",
    )
    monkeypatch.chdir(root)
    monkeypatch.delenv("NEWSLETTER_DATABASE_URL", raising=False)
    return root


def _sent(root: Path, issue_id: str, slug: str, status: str = "sent") -> None:
    """`issue_id` sent to the list (its ledger rows set to `status`), as `send` leaves it."""
    subscribers = SubscriberList(state_url(root))
    try:
        subscribers.add("leserin@example.org", language="de")
    finally:
        subscribers.close()
    ledger = SendLedger(state_url(root))
    try:
        assert ledger.enqueue(issue_id, slug, "de", "de") == 1
    finally:
        ledger.close()
    query(root, "UPDATE deliveries SET status = :s WHERE issue_id = :i", s=status, i=issue_id)


def digest(*args: str) -> Result:
    return CliRunner().invoke(main, ["digest", *args], catch_exceptions=False)


def test_since_last_sent_takes_exactly_the_unsent_articles(news: Path) -> None:
    _sent(news, STEPPE, "steppenwind")
    _sent(news, BAZAAR, "basar-in-bischkek", status="failed")  # queued, never delivered: not sent
    result = digest("--edition", "de", "--since", "last-sent", "--date", "2025-11-29T08:00:00+01:00")
    assert result.exit_code == 0, result.output
    path = Path(result.stdout.strip())
    assert path == Path("issues/2025-11-29-novastan-die-woche-2025-11-29.md")
    issue = read_issue(news / path)
    # newest first; not the sent one, not the French one, not the digest of the 28th
    assert [t.source for t in issue.articles] == [
        "2025-11-26-seidenstrasse-digital.md",
        "2025-11-25-basar-in-bischkek.md",
    ]
    assert issue.article.title == "Novastan – Die Woche"
    assert issue.language == "de" and issue.id == "tag:newsletter.novastan.org,2025-11-29:" + issue.slug


def test_once_the_digest_is_sent_there_is_nothing_new(news: Path) -> None:
    _sent(news, STEPPE, "steppenwind")
    first = digest("--since", "last-sent", "--date", "2025-11-29T08:00:00+01:00")
    issue = read_issue(news / first.stdout.strip())
    _sent(news, issue.id, issue.slug)
    files = sorted((news / "issues").iterdir())
    again = digest("--since", "last-sent", "--date", "2025-11-30T08:00:00+01:00")
    assert again.exit_code == 0 and again.stdout == ""
    assert again.stderr.strip() == (
        "nothing published in the de edition since 2025-11-29T08:00:00+01:00; no digest written"
    )
    assert sorted((news / "issues").iterdir()) == files


def test_last_sent_before_anything_was_sent_asks_for_a_date(news: Path) -> None:
    result = digest("--edition", "fr")
    assert result.exit_code == 1
    assert result.stderr == (
        "error: no issue of the fr edition has been sent yet; pass --since DATE for the first digest\n"
    )


def test_a_date_and_a_title_of_ones_own(news: Path) -> None:
    result = digest("--edition", "fr", "--since", "2025-11-01", "--date", "2025-11-30T08:00:00+01:00")
    issue = read_issue(news / result.stdout.strip())
    assert issue.article.title == "Novastan – La semaine"
    assert [t.slug for t in issue.articles] == ["accords-suite", "kazakhstan-accords-abraham"]
    titled = digest(
        "--since", "2025-11-25", "--title", "Zentralasien kompakt", "--date", "2025-11-30T09:00:00Z"
    )
    issue = read_issue(news / titled.stdout.strip())
    assert issue.article.title == "Zentralasien kompakt" and issue.slug == "zentralasien-kompakt-2025-11-30"
    assert [t.slug for t in issue.articles] == ["seidenstrasse-digital", "basar-in-bischkek"]


def test_a_second_digest_the_same_day_takes_a_slug_of_its_own(news: Path) -> None:
    args = ("--edition", "fr", "--since", "2025-11-01", "--date", "2025-11-30T08:00:00+01:00")
    first = digest(*args)
    again = digest(*args)
    assert again.exit_code == 1 and "already exists; pass --slug" in again.stderr
    other = digest(*args, "--slug", "La semaine, édition spéciale")
    assert other.exit_code == 0
    assert read_issue(news / other.stdout.strip()).slug == "la-semaine-edition-speciale"
    assert first.stdout != other.stdout


@pytest.mark.parametrize(
    ("since", "message"),
    [
        ("2025-13-45", "error: --since '2025-13-45' is no day of the calendar; write e.g. 2025-11-20\n"),
        (
            "gestern",
            "error: --since 'gestern' is not an ISO 8601 date-time; "
            "write e.g. 2025-11-20T08:00:00+01:00, or a day like 2025-11-20\n",
        ),
    ],
)
def test_a_since_that_is_no_date_is_one_line(news: Path, since: str, message: str) -> None:
    result = digest("--since", since)
    assert (result.exit_code, result.stderr) == (1, message)


def test_the_python_api_writes_the_same_digest(news: Path) -> None:
    when = dt.datetime.fromisoformat("2025-11-30T08:00:00+01:00")
    path = open_newsletter(news).digest(
        language="fr", since=dt.datetime.fromisoformat("2025-11-01T00:00:00+00:00"), date=when
    )
    issue = read_issue(path)
    assert [t.slug for t in issue.articles] == ["accords-suite", "kazakhstan-accords-abraham"]
    with pytest.raises(NothingNew):
        open_newsletter(news).digest(language="fr", since=when)


@pytest.fixture
def site_feed(news: Path) -> Iterator[str]:
    """The magazine's feed served from a loopback HTTP server, named in [import] site_feed."""

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    served = functools.partial(Quiet, directory=str(DIGEST / "feeds"))
    server = ThreadingHTTPServer(("127.0.0.1", 0), served)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/novastan-{{language}}.rss"
    with open(news / "newsletter.toml", "a", encoding="utf-8") as f:
        f.write(f'\n[import]\nsite_feed = "{url}"\n')
    try:
        yield url
    finally:
        server.shutdown()
        server.server_close()


def test_from_the_site_feed_rss_to_email(news: Path, site_feed: str) -> None:
    assert load_config(news / "newsletter.toml").importing.site_feed == site_feed
    result = digest("--since", "2025-11-21T00:00:00Z", "--date", "2025-11-28T08:00:00Z")
    assert result.exit_code == 0, result.output
    issue = read_issue(news / result.stdout.strip())
    baumwolle, basar, steppe = issue.articles
    assert [t.date.day for t in issue.articles if t.date] == [27, 25, 24]  # not the 20th: before --since
    assert baumwolle.url == "https://novastan.org/de/usbekistan/baumwolle-ohne-zwangsarbeit/"
    assert baumwolle.summary == "Nach Jahren des Boykotts kehren internationale Marken zurück."  # no markup
    assert baumwolle.image == Image(
        "https://novastan.org/wp-content/uploads/2025/11/baumwollfeld.jpg", width=1200, height=800
    )
    assert basar.image == Image("https://novastan.org/wp-content/uploads/2025/11/osch-basar.jpg")  # enclosure
    assert steppe.image is not None and (steppe.image.width, steppe.image.height) == (800, 533)  # thumbnail
    assert all(t.slug == "" for t in issue.articles)


def test_the_site_feed_with_last_sent(news: Path, site_feed: str) -> None:
    _sent(news, BAZAAR, "basar-in-bischkek")
    result = digest("--since", "last-sent", "--date", "2025-11-28T08:00:00Z")
    issue = read_issue(news / result.stdout.strip())
    assert [t.title for t in issue.articles] == ["Usbekistans Baumwolle ohne Zwangsarbeit"]


def test_issues_rather_than_the_feed(news: Path, site_feed: str) -> None:
    result = digest(
        "--source", "issues", "--since", "2025-11-25T12:00:00+01:00", "--date", "2025-11-27T00:00:00Z"
    )
    issue = read_issue(news / result.stdout.strip())
    assert [t.slug for t in issue.articles] == ["seidenstrasse-digital"]


def test_a_feed_that_is_no_feed_is_one_line(news: Path, site_feed: str) -> None:
    (news / "newsletter.toml").write_text(
        (news / "newsletter.toml")
        .read_text(encoding="utf-8")
        .replace("novastan-{language}.rss", "nowhere.rss"),
        encoding="utf-8",
    )
    result = digest("--since", "2025-11-21")
    assert result.exit_code == 1
    assert "nowhere.rss: the server answered 404" in result.stderr and result.stderr.count("\n") == 1
