"""The Python API: `open_newsletter` and the README's "From Python" example, run as written."""

from __future__ import annotations

import doctest
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import newsletter
from newsletter import NewsletterError, open_newsletter

ROOT = Path(__file__).parents[1]


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of this repository's newsletter, as the current folder, sending to its outbox."""
    shutil.copy(ROOT / "newsletter.toml", tmp_path / "newsletter.toml")
    shutil.copytree(ROOT / "issues", tmp_path / "issues")
    shutil.copytree(ROOT / "templates", tmp_path / "templates")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NEWSLETTER_SMTP_URL", raising=False)
    monkeypatch.delenv("NEWSLETTER_SECRET", raising=False)
    return tmp_path


def test_the_readme_example_runs(folder: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## From Python", 1)[1].split("\n## ", 1)[0]
    (example,) = re.findall(r"```python\n(.*?)```", section, re.S)
    test = doctest.DocTestParser().get_doctest(example, {}, "README.md (From Python)", "README.md", 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(test)
    assert runner.summarize(verbose=False).failed == 0
    assert len(list((folder / "state" / "outbox" / "new").iterdir())) == 1


def test_the_public_names() -> None:
    assert set(newsletter.__all__) >= {"open_newsletter", "Newsletter", "NewsletterError", "Language"}
    for name in newsletter.__all__:
        assert getattr(newsletter, name) is not None


def test_a_folder_without_a_config_is_one_error(tmp_path: Path) -> None:
    with pytest.raises(NewsletterError, match=r"no newsletter\.toml here"):
        open_newsletter(tmp_path)


def test_paths_are_the_newsletters_not_the_current_folders(
    folder: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    news = open_newsletter(".")
    monkeypatch.chdir(tmp_path_factory.mktemp("elsewhere"))
    assert news.build().out == folder / "public"
    assert [i.slug for i in news.issues()] == [i.slug for i in news.build().issues]
    with news.ledger() as ledger:
        assert not ledger.is_enqueued(news.issues()[0].id)


def test_a_dry_run_needs_no_secret(folder: Path) -> None:
    news = open_newsletter(folder)
    news.build()
    with news.subscribers() as subscribers:
        subscribers.add("lila@example.org")
    assert news.send(news.issues()[0].slug, dry_run=True).sent == 0
    with pytest.raises(NewsletterError, match="NEWSLETTER_SECRET is not set"):
        news.send(news.issues()[0].slug)


def test_python_m_newsletter_is_the_command() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "newsletter", "--help"], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert result.stdout.startswith("Usage: newsletter ")
