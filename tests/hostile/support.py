"""Reading a hostile fixture the way the pipeline does, and everything it then writes."""

from __future__ import annotations

from pathlib import Path

from fuzz.checks import DATE, assert_outputs_valid

from newsletter.config import Config, load_config
from newsletter.model import Article, Issue
from newsletter.sources.importer import import_article
from newsletter.sources.markdown import read_issue

ROOT = Path(__file__).parents[2]
HOSTILE = ROOT / "tests" / "data" / "hostile"
CONFIG = load_config(ROOT / "newsletter.toml")


def imported(name: str | Path, tmp: Path, config: Config = CONFIG, **options: object) -> Issue:
    """`newsletter import tests/data/hostile/<name>`, read back from the written issue file,
    after checking everything the build writes of it (feeds, email, page, message)."""
    written = import_article(str(HOSTILE / name), config=config, date=DATE, out_dir=tmp, **options)  # type: ignore[arg-type]
    issue = read_issue(written)
    assert_outputs_valid(config, issue)
    return issue


def body_html(article: Article) -> str:
    return "\n".join(b.html for s in article.sections for b in s.blocks)


def body_text(article: Article) -> str:
    return "\n".join(b.text for s in article.sections for b in s.blocks)
