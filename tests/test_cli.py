"""The command line: thin over the library, one error line and exit 1 on bad input."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import DATA, tree_digest

from newsletter.cli import main

FRENCH = DATA / "issues" / "2025-10-02-ouzbekistan-eau.md"
MakeNewsletter = Callable[[Iterable[Path]], Path]


def run(root: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        main, [*args, "--config", str(root / "newsletter.toml")], catch_exceptions=False
    )
    return result.exit_code, result.stdout, result.stderr


def test_build_then_check(make_newsletter: MakeNewsletter) -> None:
    root = make_newsletter([FRENCH])
    code, out, _ = run(root, "build", "--out", str(root / "public"))
    assert code == 0
    assert "built 1 issue(s)" in out and "index.html" in out
    code, out, _ = run(root, "check", "--out", str(root / "public"))
    # the fixture has one related link without URL: check must say so, and only that
    assert code == 1
    assert out.strip().splitlines() == [
        f"{root / 'issues' / FRENCH.name}: related link 'Sans URL encore' has no URL; "
        "add its url or a [import] site_index"
    ]


@pytest.mark.parametrize(
    "fixture",
    [
        "no-title",
        "broken-front-matter",
        "invalid-date",
        "date-without-zone",
        "control-character",
        "binary",
        "no-front-matter",
        "related-marker-out-of-range",
        "slug-path-traversal",
    ],
)
def test_bad_source_one_line_exit_1_public_unchanged(make_newsletter: MakeNewsletter, fixture: str) -> None:
    root = make_newsletter([FRENCH])
    assert run(root, "build", "--out", str(root / "public"))[0] == 0
    before = tree_digest(root / "public")
    shutil.copy(DATA / "bad-issues" / f"2025-01-01-{fixture}.md", root / "issues")
    code, out, err = run(root, "build", "--out", str(root / "public"))
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ") and f"2025-01-01-{fixture}.md" in lines[0]
    assert "Traceback" not in err + out
    assert tree_digest(root / "public") == before


def test_huge_source_is_refused(make_newsletter: MakeNewsletter) -> None:
    root = make_newsletter([FRENCH])
    assert run(root, "build", "--out", str(root / "public"))[0] == 0
    before = tree_digest(root / "public")
    (root / "issues" / "2025-01-01-huge.md").write_bytes(b"---\ntitle: x\n---\n" + b"a" * 20_000_000)
    code, _, err = run(root, "build", "--out", str(root / "public"))
    assert code == 1 and "over the limit" in err and len(err.strip().splitlines()) == 1
    assert tree_digest(root / "public") == before


def test_missing_config_is_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["build", "--config", str(tmp_path / "nope.toml")])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and "nope.toml" in result.stderr


def test_help_shows_examples() -> None:
    for command in ("import", "build", "check", "preview"):
        result = CliRunner().invoke(main, [command, "--help"])
        assert result.exit_code == 0 and "Example:" in result.stdout
