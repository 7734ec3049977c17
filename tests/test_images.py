"""Images and videos from an imported page to every output: the email, the web page, Atom, RSS,
JSON Feed and the text part; `check` warns of what readers would miss."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import feedparser
import pytest
from outputs.test_feeds import check_rfc4287
from reader import make_reader

from newsletter import open_newsletter
from newsletter.build import build
from newsletter.check import run_checks
from newsletter.config import load_config
from newsletter.model import Image
from newsletter.outputs.content import article_html
from newsletter.outputs.labels import labels_for
from newsletter.sources.markdown import read_issue
from newsletter.sources.markdown_writer import issue_to_markdown

ROOT = Path(__file__).resolve().parents[1]
IMAGES = ROOT / "tests" / "data" / "images"
PAGE = IMAGES / "figure-caption-credit-video.html"
SLUG = "the-tram-returns-to-bishkek"
LEAD = Image(
    "https://magazine.example/files/tram-depot.jpg",
    "A green tram in the depot at dawn",
    "The first tram in the new depot.",
    "Photo: Aida Sultanova",
    1600,
    900,
)
MAP = "https://magazine.example/files/tram-map.png"
MAP_EMBED = "https://maps.example/embed?q=chuy"  # an <iframe> of a map: no video, but content
YOUTUBE = "https://www.youtube.com/watch?v=tram2025xyz"
VIMEO = "https://vimeo.com/76979871"


def make_newsletter(root: Path, *extra: Path) -> tuple[Path, list[str]]:
    """The three-edition newsletter with the fixture page imported (and `extra` issue files);
    the imported issue's path and the import's warnings."""
    shutil.copytree(ROOT / "tests" / "data" / "editions", root)
    shutil.copytree(ROOT / "templates", root / "templates")
    for path in extra:
        shutil.copy(path, root / "issues" / path.name)
    warnings: list[str] = []
    issue = open_newsletter(root).import_article(PAGE, warn=warnings.append)  # the Python API
    return issue, warnings


@pytest.fixture(scope="module")
def newsletter(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[str]]:
    root = tmp_path_factory.mktemp("images") / "news"
    issue, warnings = make_newsletter(root)
    build(load_config(root / "newsletter.toml"), root / "public", use_cache=False)
    return root, issue, warnings


@pytest.fixture(scope="module")
def public(newsletter: tuple[Path, Path, list[str]]) -> Path:
    return newsletter[0] / "public"


def read(public: Path, name: str) -> str:
    return (public / "issues" / SLUG / name).read_text(encoding="utf-8")


# --- the import ---------------------------------------------------------------------------


def test_the_import_keeps_the_lead_image_figures_and_videos(newsletter: tuple[Path, Path, list[str]]) -> None:
    _, path, warnings = newsletter
    article = read_issue(path).article
    assert article.image == LEAD  # og:image's size and alt, the first figure's caption and credit
    blocks = [b for s in article.sections for b in s.blocks]
    assert [b.image.url for b in blocks if b.image] == [MAP]  # http on the page's host: upgraded
    (figure,) = [b.image for b in blocks if b.image]
    assert (figure.caption, figure.credit, figure.width, figure.height) == (
        "The planned line, as the council voted it.",
        "© City of Bishkek",
        800,
        1200,
    )
    assert [b.url for b in blocks if b.kind == "video"] == [YOUTUBE, VIMEO]  # not the map <iframe>
    assert [b.url for b in blocks if b.kind == "embed"] == [MAP_EMBED]
    assert warnings == [
        f"{PAGE}: image 'http://photos.other.example/rails.jpg' has no https address; it was left out"
    ]


def test_the_issue_file_says_it_in_front_matter_and_markers(newsletter: tuple[Path, Path, list[str]]) -> None:
    text = newsletter[1].read_text(encoding="utf-8")
    assert (
        'image:\n  url: "https://magazine.example/files/tram-depot.jpg"\n'
        '  alt: "A green tram in the depot at dawn"\n  caption: "The first tram in the new depot."\n'
        '  credit: "Photo: Aida Sultanova"\n  width: 1600\n  height: 900\n'
    ) in text
    assert f"<!-- video: {YOUTUBE} -->" in text
    assert "<iframe" not in text and "image_alt" not in text
    issue = read_issue(newsletter[1])
    back = newsletter[0] / "back" / newsletter[1].name
    back.parent.mkdir()
    back.write_text(issue_to_markdown(issue), encoding="utf-8")
    assert read_issue(back).article == issue.article


def test_the_older_image_alt_key_is_still_read() -> None:
    issue = read_issue(IMAGES / "2025-12-03-legacy-image-alt.md")
    assert issue.article.image == Image(
        "https://magazine.example/files/legacy.jpg", "Ein Bild, wie es früher beschrieben wurde"
    )
    assert [b.url for s in issue.article.sections for b in s.blocks if b.kind == "video"] == [
        "https://www.youtube.com/watch?v=legacy42"
    ]
    assert "image_alt" not in issue_to_markdown(issue)  # written back in the new form


# --- the outputs --------------------------------------------------------------------------


def test_the_email_shows_figures_no_wider_than_its_column(public: Path) -> None:
    html = read(public, "email.html")
    images = re.findall(r"<img [^>]*>", html)
    lead = next(i for i in images if LEAD.url in i)
    assert 'alt="A green tram in the depot at dawn"' in lead
    assert 'width="536" height="302"' in lead and "max-width: 536px" in lead and "height: auto" in lead
    assert 'width="536" height="804"' in next(i for i in images if MAP in i)
    assert "The first tram in the new depot. <small>Photo: Aida Sultanova</small></figcaption>" in html
    assert f'<a href="{YOUTUBE}"' in html and f'<a href="{VIMEO}"' in html
    assert html.count(">Watch the video</a>") == 2
    assert re.search(
        rf'<a href="{re.escape(MAP_EMBED)}"[^>]*>View the embedded content</a>', html.replace("&amp;", "&")
    )
    assert "http://" not in " ".join(images) and "<iframe" not in html


def test_the_web_page_has_figures_and_link_previews(public: Path) -> None:
    html = read(public, "index.html")
    for meta in (
        f'<meta property="og:image" content="{LEAD.url}">',
        '<meta property="og:image:alt" content="A green tram in the depot at dawn">',
        '<meta property="og:image:width" content="1600">',
        '<meta name="twitter:card" content="summary_large_image">',
        f'<meta name="twitter:image" content="{LEAD.url}">',
    ):
        assert meta in html
    assert (
        f'<figure><img src="{LEAD.url}" alt="A green tram in the depot at dawn" width="1600" height="900">'
        '<figcaption class="meta">The first tram in the new depot. <small>Photo: Aida Sultanova</small>'
        "</figcaption></figure>"
    ) in html  # the lead is seen at once: not lazy
    assert re.search(rf'<img src="{MAP}" [^>]*width="800" height="1200" loading="lazy">', html)
    assert html.count(">Watch the video</a>") == 2
    assert re.search(
        rf'<a href="{re.escape(MAP_EMBED)}"[^>]*>View the embedded content</a>', html.replace("&amp;", "&")
    )


@pytest.mark.parametrize("name", ["feed.atom", "feed.rss", "en/feed.atom", "en/feed.rss"])
def test_atom_and_rss_carry_the_lead_image_as_media_content(public: Path, name: str) -> None:
    feed = feedparser.parse((public / name).read_bytes())
    assert not feed.bozo, feed.bozo_exception
    entry = next(e for e in feed.entries if SLUG in e.id)
    assert entry.media_content == [{"url": LEAD.url, "medium": "image", "width": "1600", "height": "900"}]
    assert entry.media_credit == [{"content": "Photo: Aida Sultanova"}]
    assert entry.summary == "Forty years after the last line closed, Bishkek lays new rails."
    content = entry.content[0].value
    assert content.startswith("<figure><img") and LEAD.url in content.split("</figure>")[0]
    assert MAP in content
    assert ">Watch the video</a>" in content
    assert f'<a href="{MAP_EMBED}">View the embedded content</a>' in content.replace("&amp;", "&")
    if name.endswith(".atom"):
        check_rfc4287((public / name).read_bytes())


def test_feeds_without_images_declare_no_media_namespace(public: Path) -> None:
    assert b"search.yahoo.com/mrss" not in (public / "de" / "feed.atom").read_bytes()
    assert b"search.yahoo.com/mrss" not in (public / "fr" / "feed.rss").read_bytes()


def test_reader_reads_the_image_in_the_entries(public: Path, tmp_path: Path) -> None:
    reader = make_reader(str(tmp_path / "reader.sqlite"), feed_root=str(public))
    try:
        for feed in ("en/feed.atom", "en/feed.rss"):
            reader.add_feed(feed)
        for result in reader.update_feeds_iter(scheduled=False):
            assert not isinstance(result.value, Exception), result.value
        for feed in ("en/feed.atom", "en/feed.rss"):
            (entry,) = reader.get_entries(feed=feed)
            assert any(LEAD.url in c.value for c in entry.content)
    finally:
        reader.close()


def test_json_feed_names_the_image(public: Path) -> None:
    (item,) = json.loads((public / "en" / "feed.json").read_bytes())["items"]
    assert item["image"] == LEAD.url
    assert "no image" not in json.dumps(json.loads((public / "de" / "feed.json").read_bytes()))
    assert all("image" not in i for i in json.loads((public / "de" / "feed.json").read_bytes())["items"])


def test_the_text_part_links_the_videos_and_shows_the_figure_in_words(public: Path) -> None:
    text = read(public, "email.txt")
    assert "[The planned line from the station to the university]" in text
    assert "The planned line, as the council voted it. © City of Bishkek" in text
    assert "Watch the video [1]" in text and f"[1] {YOUTUBE}" in text
    assert "Watch the video [2]" in text and f"[2] {VIMEO}" in text
    assert "View the embedded content [3]" in text and f"[3] {MAP_EMBED}" in text
    assert "tram-depot" not in text  # the lead image is the email's picture, not the text's


@pytest.mark.parametrize(
    ("language", "words"), [("de", "Video ansehen"), ("fr", "Voir la vidéo"), ("en", "Watch the video")]
)
def test_the_video_link_speaks_the_issues_language(language: str, words: str) -> None:
    config = load_config(ROOT / "tests" / "data" / "editions" / "newsletter.toml")
    issue = read_issue(IMAGES / "2025-12-03-legacy-image-alt.md")
    html = article_html(config.site, issue, labels_for(ROOT / "templates", language))
    assert f'<p class="video"><a href="https://www.youtube.com/watch?v=legacy42">{words}</a></p>' in html


# --- check --------------------------------------------------------------------------------


def test_check_warns_of_images_without_alt_or_https(tmp_path: Path) -> None:
    root = tmp_path / "news"
    make_newsletter(root, IMAGES / "2025-12-02-image-without-alt.md")
    config = load_config(root / "newsletter.toml")
    build(config, root / "public", use_cache=False)
    source = str(root / "issues" / "2025-12-02-image-without-alt.md")
    warnings = [str(w) for w in run_checks(config, root / "public", fast=True).warnings if w.path == source]
    assert warnings == [
        f"{source}: image 'https://magazine.example/files/undescribed.jpg' has no alt text; "
        "describe it for readers who cannot see it",
        f"{source}: image 'https://magazine.example/files/also-undescribed.jpg' has no alt text; "
        "describe it for readers who cannot see it",
        f"{source}: image 'http://photos.other.example/plain-http.jpg' is not an absolute https URL; "
        "it is left out",
    ]
    email = (root / "public" / "issues" / "image-without-alt" / "email.html").read_text(encoding="utf-8")
    assert "plain-http" not in email and "Left out." not in email
