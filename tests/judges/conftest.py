"""Built issues for the judges: the repo's sample, and issues in French and English beside it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import built_message_of

from newsletter.build import build
from newsletter.config import load_config

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
JUDGES = DATA / "judges"
# Other articles than the sample, so nothing passes only because it was tuned to the sample.
OTHER_ISSUES = (
    DATA / "issues" / "2025-10-02-ouzbekistan-eau.md",
    DATA / "email" / "fr-related-colon.md",
    DATA / "email" / "ar-right-to-left.md",
    DATA / "email" / "preheader-given.md",
)


def _newsletter(root: Path, issues: list[Path]) -> Path:
    (root / "issues").mkdir(parents=True)
    shutil.copy(ROOT / "newsletter.toml", root / "newsletter.toml")
    with open(root / "newsletter.toml", "a", encoding="utf-8") as config:
        config.write("\n[editions.ar]\n")  # the Arabic issue's edition
    shutil.copytree(ROOT / "templates", root / "templates")
    for issue in issues:
        name = issue.name if issue.name[:4].isdigit() else f"2025-01-01-{issue.name}"
        shutil.copy(issue, root / "issues" / name)
    build(load_config(root / "newsletter.toml"), root / "public")
    return root


@pytest.fixture(scope="session")
def sample_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A newsletter folder with the repo's sample issue, built into public/."""
    return _newsletter(tmp_path_factory.mktemp("sample"), sorted((ROOT / "issues").glob("*.md")))


@pytest.fixture(scope="session")
def sample_folder(sample_root: Path) -> Path:
    """The built folder of the sample issue (email.html, email.txt, index.html, issue.json)."""
    (folder,) = (sample_root / "public" / "issues").iterdir()
    return folder


@pytest.fixture(scope="session")
def sample_message(sample_folder: Path) -> bytes:
    """The message `send` would make of the sample issue, for a sample recipient."""
    return built_message_of(sample_folder)


@pytest.fixture(scope="session")
def other_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A newsletter folder with issues in French, Arabic and English, built into public/."""
    return _newsletter(tmp_path_factory.mktemp("others"), list(OTHER_ISSUES))
