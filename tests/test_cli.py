"""The command line: thin over the library, one error line and exit 1 on bad input."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import DATA, ROOT, tree_digest

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


@pytest.mark.parametrize("template", ["site/index.html", "site/_archive_item.html", "email/issue.mjml"])
def test_a_broken_template_is_one_line_exit_1_public_unchanged(
    make_newsletter: MakeNewsletter, template: str
) -> None:
    root = make_newsletter([FRENCH])
    assert run(root, "build", "--out", str(root / "public"))[0] == 0
    before = tree_digest(root / "public")
    path = root / "templates" / template
    path.write_text(path.read_text(encoding="utf-8") + "{% if %}\n", encoding="utf-8")
    code, out, err = run(root, "build", "--out", str(root / "public"))
    assert code == 1 and "Traceback" not in err + out
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"error: {path}:") and "template error" in lines[0]
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


def _all_commands() -> list[list[str]]:
    """Every command and subcommand, as the words that name it."""
    import click

    found: list[list[str]] = []
    ctx = click.Context(main)
    for name in main.list_commands(ctx):
        command = main.get_command(ctx, name)
        assert command is not None
        if isinstance(command, click.Group):
            found += [[name, sub] for sub in command.list_commands(ctx)]
        else:
            found.append([name])
    return found


def test_every_command_shows_its_example_unwrapped() -> None:
    for words in _all_commands():
        result = CliRunner().invoke(main, [*words, "--help"], terminal_width=60)
        examples = [line for line in result.stdout.splitlines() if "Example:" in line]
        assert result.exit_code == 0 and examples, words
        # one line however narrow the terminal: a command to copy whole
        assert all(line.lstrip().startswith("Example: ") for line in examples), words


def test_the_built_site_is_out_everywhere() -> None:
    for words in (["build"], ["check"], ["preview"], ["send"], ["report"], ["publish"]):
        result = CliRunner().invoke(main, [*words, "--help"])
        assert "--out DIRECTORY" in result.stdout, words
        assert "--public" not in result.stdout, words


def test_old_option_names_still_work(make_newsletter: MakeNewsletter) -> None:
    """`send --public` and `import --lang` are the old names of --out and --language."""
    root = make_newsletter([FRENCH])
    code, _, err = run(root, "send", "no-such-issue", "--public", str(root / "elsewhere"), "--dry-run")
    assert code == 1 and "No such option" not in err
    code, _, err = run(root, "import", str(root / "missing.txt"), "--lang", "xx-not-a-language")
    assert code == 1 and "No such option" not in err


def test_build_loads_neither_delivery_nor_service() -> None:
    """Every command is imported when used: `build` stays quick to start."""
    import subprocess
    import sys

    code = (
        "import sys; from newsletter.cli import main; main(['build', '--help'], standalone_mode=False); "
        "print(sorted(m for m in sys.modules if m.startswith(('newsletter.delivery', 'newsletter.service', "
        "'newsletter.store', 'flask'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_reading_the_config_loads_no_cryptography() -> None:
    """Every command reads the whole config, the service's table too: checking its SNS topics
    must not cost every command the import of the signature checks (tens of milliseconds)."""
    import subprocess
    import sys

    code = (
        "import sys; from newsletter.config import load_config; load_config(sys.argv[1]); "
        "print(sorted(m for m in sys.modules if m.startswith(('cryptography', 'newsletter.service.sns'))))"
    )
    config = str(ROOT / "newsletter.toml")
    out = subprocess.run(
        [sys.executable, "-c", code, config], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_the_command_ends_a_build_as_it_ends_any_command(make_newsletter: MakeNewsletter) -> None:
    """`newsletter build` skips the interpreter's teardown once it has succeeded (`cli.run`):
    its output, files and cache are complete all the same, and a failure still exits 1 with
    its one line."""
    import subprocess
    import sys

    root = make_newsletter([FRENCH])
    command = [sys.executable, "-m", "newsletter", "build", "--config", str(root / "newsletter.toml")]
    done = subprocess.run([*command, "--out", str(root / "public")], capture_output=True, text=True)
    assert done.returncode == 0 and done.stderr == ""
    assert (
        done.stdout.splitlines()[0]
        == f"built 1 issue(s), 21 files into {root / 'public'}/ (1 rendered, 0 from the cache)"
    )
    CliRunner().invoke(
        main, ["build", "--out", str(root / "reference"), "--config", str(root / "newsletter.toml")]
    )
    assert tree_digest(root / "public") == tree_digest(root / "reference")
    again = subprocess.run([*command, "--out", str(root / "public")], capture_output=True, text=True)
    assert again.returncode == 0 and "(0 rendered, 1 from the cache)" in again.stdout  # its cache was kept
    (root / "issues" / FRENCH.name).write_text("no front matter\n", encoding="utf-8")
    failed = subprocess.run([*command, "--out", str(root / "public")], capture_output=True, text=True)
    assert failed.returncode == 1 and failed.stdout == ""
    assert len(failed.stderr.splitlines()) == 1 and failed.stderr.startswith("error: ")
    help_text = subprocess.run([sys.executable, "-m", "newsletter", "--help"], capture_output=True, text=True)
    assert help_text.returncode == 0 and "Usage: newsletter" in help_text.stdout
