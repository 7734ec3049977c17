"""Path traversal through slugs: an issue can only ever become a file in issues/ and a folder
in public/issues/."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsletter.errors import NewsletterError
from newsletter.sources.importer import import_article
from newsletter.sources.markdown import read_issue

from .support import CONFIG, HOSTILE, imported


@pytest.mark.parametrize(
    ("fixture", "slug"),
    [
        ("2025-11-20-slug-traversal.md", "../../../etc/cron.d/x"),
        ("2025-11-20-slug-absolute.md", "/etc/passwd"),
    ],
)
def test_a_slug_with_a_path_in_front_matter_is_refused(fixture: str, slug: str) -> None:
    with pytest.raises(NewsletterError) as caught:
        read_issue(HOSTILE / fixture)
    assert str(caught.value) == f"{HOSTILE / fixture}: slug {slug!r} may hold only a-z, 0-9 and '-'"


@pytest.mark.parametrize("slug", ["../../x", "/etc/passwd", "a/b", "..", "x\\..\\y", ""])
def test_a_slug_option_with_a_path_is_refused_and_nothing_written(slug: str, tmp_path: Path) -> None:
    with pytest.raises(NewsletterError, match="may hold only a-z, 0-9 and '-'"):
        import_article(
            str(HOSTILE / "cp1252-dump.txt"), config=CONFIG, slug=slug, out_dir=tmp_path / "issues"
        )
    assert not (tmp_path / "i").exists()
    assert not list(tmp_path.parent.glob("x*"))


def test_a_title_that_is_a_path_becomes_a_plain_slug(tmp_path: Path) -> None:
    issue = imported("title-is-a-path.txt", tmp_path)
    assert issue.article.title == "../../etc/passwd"  # the title is kept as written
    assert issue.slug == "etc-passwd"
    assert [p.name for p in tmp_path.iterdir()] == ["2025-11-20-etc-passwd.md"]
