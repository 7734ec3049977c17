"""Slugs transliterate, per language where its spelling differs; existing slugs stay valid."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import DATA, ROOT, run_alone
from hypothesis import example, given, settings
from hypothesis import strategies as st

from newsletter.config import load_config
from newsletter.sources.importer import import_article
from newsletter.sources.markdown import read_issues
from newsletter.sources.slug import MAX_SLUG, is_slug, slugify


@pytest.mark.parametrize(
    ("title", "language", "slug"),
    [
        ("Daten gegen Dürre in Usbekistan", "de", "daten-gegen-duerre-in-usbekistan"),
        ("Ärger über Öl", "de-AT", "aerger-ueber-oel"),
        ("Daten gegen Dürre", "", "daten-gegen-durre"),  # no language: the common table
        ("L’Ouzbékistan et l’eau", "fr", "louzbekistan-et-leau"),
        ("Ташкент и Алматы", "ru", "tashkent-i-almaty"),
        ("Blåbær på Ørsted", "nb", "blaabaer-paa-oersted"),
        ("Straße", "fr", "strasse"),
    ],
)
def test_slugs_transliterate_per_language(title: str, language: str, slug: str) -> None:
    assert slugify(title, language=language) == slug


def test_import_slug_follows_the_article_language(tmp_path: Path) -> None:
    root = tmp_path / "news"
    (root / "issues").mkdir(parents=True)
    (root / "newsletter.toml").write_bytes((ROOT / "newsletter.toml").read_bytes())
    path = import_article(
        str(DATA / "import" / "umlaut-title.de.md"), config=load_config(root), date=None, slug=None,
        profile=None, language="de",
    )  # fmt: skip
    assert path.name.endswith("-daten-gegen-duerre-in-zentralasien.md")


def test_existing_issue_slugs_still_read() -> None:
    """Slugs are minted once: the issues already written keep theirs under the new rules."""
    for issue in read_issues(ROOT / "issues"):
        assert slugify(issue.slug, max_length=200) == issue.slug


@given(st.text(alphabet=st.sampled_from("ab9-- _.Äß/é\u00a0\n"), max_size=12) | st.text(max_size=8))
@example("a" * MAX_SLUG)
@example("a" * (MAX_SLUG + 1))
@example("ab-" * 70)
@example("")
@example("issue")
@settings(max_examples=500, deadline=None, derandomize=True, database=None)
def test_a_slug_as_written_is_one_slugify_gives_back(text: str) -> None:
    """Reading an issue checks its slug without python-slugify: the same answer."""
    assert is_slug(text) == (slugify(text, max_length=MAX_SLUG) == text)


def test_reading_an_issue_does_not_import_python_slugify() -> None:
    assert (
        run_alone(
            """
        import sys
        from pathlib import Path
        from newsletter.sources.markdown import read_issues
        read_issues(Path(sys.argv[1]))
        print("slugify" in sys.modules)
        """,
            str(ROOT / "issues"),
        ).strip()
        == "False"
    )
