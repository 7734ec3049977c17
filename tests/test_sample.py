"""The sample article end to end: the committed issue, built, read back by a feed reader."""

from __future__ import annotations

import shutil
from pathlib import Path

import feedparser
import pytest
from bs4 import BeautifulSoup
from conftest import ROOT

from newsletter.build import build
from newsletter.config import load_config

TITLE = "Kasachstan Beitritt zu den Abraham-Abkommen: Wird sich Washingtons Geste auszahlen?"
RELATED = [
    "China in Zentralasien – Factchecking, um mit Mythen aufzuräumen",
    "Was sind die Ergebnisse des USA-Zentralasien-Gipfels in Washington?",
    "Wladimir Putin in Kirgistan: Rückblick auf einen symbolträchtigen Staatsbesuch",
]
BOILERPLATE = (
    "Unterstützt Novastan",
    "vereinsgetragene",
    "von eurer Unterstützung",
    "Social Media",
    "Schaut mal vorbei",
)
SAMPLE = sorted((ROOT / "issues").glob("*abraham*.md"))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    assert SAMPLE, "the sample issue is committed in issues/"
    root = tmp_path_factory.mktemp("sample")
    (root / "issues").mkdir()
    (root / "newsletter.toml").write_bytes((ROOT / "newsletter.toml").read_bytes())
    shutil.copytree(ROOT / "templates", root / "templates")
    shutil.copy(SAMPLE[0], root / "issues")
    build(load_config(root), root / "public")
    return root / "public"


def _entry(built: Path) -> feedparser.FeedParserDict:
    feed = feedparser.parse((built / "feed.atom").read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    (entry,) = feed.entries
    return entry


def test_atom_entry_metadata(built: Path) -> None:
    entry = _entry(built)
    assert entry.title == TITLE
    assert [a.name for a in entry.authors] == ["Joseph Fischer"]
    assert [c.name for c in entry.contributors] == ["Margaret Bullich"]
    related = [link for link in entry.links if link.rel == "related"]
    assert [link.title for link in related] == RELATED
    assert all(link.href.startswith("https://") for link in related)
    alternates = [link for link in entry.links if link.rel == "alternate"]
    assert len(alternates) == 1 and alternates[0].type == "text/html"


def test_atom_content_is_the_article_without_boilerplate(built: Path) -> None:
    content = _entry(built).content[0].value
    soup = BeautifulSoup(content, "html.parser")
    assert [h.get_text() for h in soup.find_all("h2")] == [
        "Ein geopolitischer Kurswechsel?",
        "Ein dringend benötigter Erfolg für Trump",
        "Die Zukunft der kasachstanisch-amerikanischen Zusammenarbeit",
    ]
    paragraphs = [p.get_text() for p in soup.find_all("p")]
    assert any(p.startswith("Im Gegensatz zu allen bisherigen Mitgliedern") for p in paragraphs)
    assert paragraphs[0].startswith("Zwei Jahre nach Beginn des Krieges in Gaza")
    for phrase in BOILERPLATE:
        assert phrase not in content
    assert "Joseph Fischer für Novastan" not in content
    assert "Aus dem Englischen von" not in content


def test_email_and_text_part_carry_the_article(built: Path) -> None:
    (folder,) = (built / "issues").iterdir()
    html = (folder / "email.html").read_text(encoding="utf-8")
    text = (folder / "email.txt").read_text(encoding="utf-8")
    assert len(html.encode()) < 102_000
    assert '<html lang="de"' in html
    flowed = " ".join(text.split())  # the text part wraps long titles
    for title in RELATED:
        assert title in html and title in flowed
    body_soup = BeautifulSoup(html, "html.parser")
    assert "Im Gegensatz zu allen bisherigen Mitgliedern" in body_soup.get_text()
    # the donation call appears once, as the designed block from config, not inside the body
    assert html.count("Unterstützt Novastan – das europäische Zentralasien-Magazin") == 1
    assert "Social Media Kanälen" not in html + text
