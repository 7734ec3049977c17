"""The benchmark corpus: deterministic, like the sample, readable by our reader."""

from __future__ import annotations

import sys
from pathlib import Path

from conftest import ROOT, tree_digest

from newsletter.sources.markdown import read_issue

sys.path.insert(0, str(ROOT))  # bench/ is not an installed package
from bench.corpus import corpus, write_all


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    write_all(5, tmp_path / "a")
    write_all(5, tmp_path / "b")
    assert tree_digest(tmp_path / "a") == tree_digest(tmp_path / "b")
    assert tree_digest(tmp_path / "a" / "newsletter" / "issues")  # not empty


def test_other_seed_other_text() -> None:
    assert corpus(3, seed=1)[2].sections != corpus(3, seed=2)[2].sections


def test_a_prefix_of_a_larger_corpus_is_the_smaller_corpus() -> None:
    assert corpus(3) == corpus(10)[:3]


def test_issues_read_back_like_the_sample(tmp_path: Path) -> None:
    root = write_all(20, tmp_path)["newsletter"]
    paths = sorted((root / "issues").glob("*.md"))
    assert len(paths) == 20
    for path in paths:
        size = path.stat().st_size
        assert 7_000 < size < 11_000, f"{path.name}: {size} bytes, not ~8 KB"
        issue = read_issue(path)
        article = issue.article
        assert len(article.headings) == 3
        assert len(article.related) == 3
        assert sum(b.kind == "related" for s in article.sections for b in s.blocks) == 3
        text = path.read_text(encoding="utf-8")
        assert any(c in text for c in "äöüß") and "„" in text and "“" in text
    assert len({read_issue(p).slug for p in paths}) == 20


def test_pelican_and_hugo_get_the_same_articles(tmp_path: Path) -> None:
    paths = write_all(4, tmp_path)
    pelican = sorted((paths["pelican"] / "content").glob("*.md"))
    hugo = sorted((paths["hugo"] / "content" / "posts").glob("*.md"))
    assert [p.name for p in pelican] == [p.name for p in hugo]
    first = corpus(4)[0]
    for text in (pelican[0].read_text(encoding="utf-8"), hugo[0].read_text(encoding="utf-8")):
        assert first.sections[0][0] in text
        assert "<!-- related:" not in text  # their renderers get the links as paragraphs
    assert pelican[0].read_text(encoding="utf-8").startswith("Title: ")
    assert hugo[0].read_text(encoding="utf-8").startswith("---\ntitle: ")
    assert (paths["pelican"] / "pelicanconf.py").exists() and (paths["hugo"] / "hugo.toml").exists()
