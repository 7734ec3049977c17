"""`newsletter init`: a new newsletter that builds and passes `check` at once; the skeleton it is
made from never drifts from the repository's templates and workflows."""

from __future__ import annotations

import importlib.util
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import click
import pytest
from click.testing import CliRunner
from conftest import ROOT, copy_of_the_repository, require

from newsletter import __version__
from newsletter.cli.publish import init_command
from newsletter.config import load_config
from newsletter.defaults import DISTRIBUTION
from newsletter.errors import NewsletterError
from newsletter.scaffold import SKELETON, scaffold, skeleton_files, target_name, tool_requirement

BIN = Path(sys.executable).parent


def _sync_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sync_skeleton", ROOT / "tools" / "sync-skeleton.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_skeleton_is_in_sync_with_templates_and_workflows() -> None:
    drift = _sync_tool().differences()
    assert not drift, "run `python tools/sync-skeleton.py`:\n" + "\n".join(drift)


def test_skeleton_has_no_hidden_names_a_wheel_would_drop() -> None:
    # pyproject's package-data glob `skeleton/**/*` does not match dot-names.
    for path in SKELETON.rglob("*"):
        assert not path.name.startswith("."), path


def test_target_names() -> None:
    assert target_name(Path("dot-github/workflows/publish.yml")) == Path(".github/workflows/publish.yml")
    assert target_name(Path("issues/2025-01-06-welcome.md.in")) == Path("issues/2025-01-06-welcome.md")
    assert target_name(Path("templates/site/base.html")) == Path("templates/site/base.html")


def test_init_writes_the_skeleton_filled_in(tmp_path: Path) -> None:
    root = tmp_path / "my-news"
    result = scaffold(
        root, title="My News", base_url="https://me.github.io/my-news", tool_requirement="newsletter"
    )
    assert sorted(result.files) == sorted(rel for _, rel in skeleton_files())
    for rel in (".github/workflows/publish.yml", ".github/workflows/ci.yml"):
        assert (root / rel).read_bytes() == (ROOT / rel).read_bytes()
    assert (root / "templates" / "email" / "issue.mjml").exists()
    assert (root / ".gitignore").exists() and (root / "Makefile").exists()
    assert (root / ".ci" / "run").stat().st_mode & stat.S_IXUSR
    toml = (root / "newsletter.toml").read_text(encoding="utf-8")
    assert 'title = "My News"' in toml and 'base_url = "https://me.github.io/my-news/"' in toml
    assert "${" not in "".join(p.read_text(encoding="utf-8") for p in root.rglob("*.md"))
    assert not list(root.rglob("*.in")) and not list(root.rglob("dot-*"))


def test_init_never_overwrites(tmp_path: Path) -> None:
    root = tmp_path / "news"
    root.mkdir()
    (root / "README.md").write_text("mine\n", encoding="utf-8")
    try:
        scaffold(root)
    except NewsletterError as e:
        assert "would overwrite" in str(e) and "README.md" in str(e)
    else:
        raise AssertionError("init overwrote README.md")
    assert (root / "README.md").read_text(encoding="utf-8") == "mine\n"
    assert sorted(p.name for p in root.iterdir()) == ["README.md"]


def test_init_command_rejects_a_bad_base_url(tmp_path: Path) -> None:
    group = click.Group("newsletter")
    group.add_command(init_command, "init")
    result = CliRunner().invoke(group, ["init", str(tmp_path / "n"), "--base-url", "example.org"])
    assert result.exit_code == 1
    assert result.output.startswith("error: --base-url 'example.org' must be an absolute http(s) URL")
    assert not (tmp_path / "n").exists()


def test_init_output_builds_and_passes_check(tmp_path: Path) -> None:
    """The real commands in the new folder: `init`, `make build`, `newsletter check`, and
    `newsletter publish --no-send` as the workflow runs it."""
    require(shutil.which("make") is not None, "make")
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    init = subprocess.run(
        [sys.executable, "-m", "newsletter", "init", "my-news", "--title", "My News",
         "--base-url", "https://me.github.io/my-news/"],
        cwd=tmp_path, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert init.returncode == 0, init.stdout + init.stderr
    root = tmp_path / "my-news"
    # NODE_TOOLS= : no npm install here (the slow test below does what a newcomer's make does)
    build = subprocess.run(
        ["make", "build", "NODE_TOOLS="], cwd=root, env=env, capture_output=True, text=True
    )
    assert build.returncode == 0, build.stdout + build.stderr
    assert (root / "public" / "issues" / "welcome" / "email.html").exists()
    assert not (root / ".venv").exists(), "make used the installed tool, not a fresh virtualenv"
    check = subprocess.run(
        [str(BIN / "newsletter"), "check"], cwd=root, env=env, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr
    publish = subprocess.run(
        [sys.executable, "-m", "newsletter", "publish", "--now", "2025-12-01T06:17:00Z",
         "--no-send"],
        cwd=root, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert publish.returncode == 0, publish.stdout + publish.stderr
    assert "built 1 issue(s)" in publish.stdout and "check: ok" in publish.stdout


def test_init_with_a_service_url_sets_up_sign_up_and_one_click_unsubscribe(tmp_path: Path) -> None:
    root = tmp_path / "news"
    result = scaffold(root, base_url="https://me.github.io/news/", service_url="https://abo.me.org",
                      tool_requirement="newsletter-pipeline")  # fmt: skip
    toml = (root / "newsletter.toml").read_text(encoding="utf-8")
    assert 'subscribe_url = "https://abo.me.org/subscribe"' in toml
    assert 'unsubscribe_url = "https://abo.me.org/unsubscribe/{token}"' in toml
    assert not any("service-url" in note for note in result.notes)


def test_init_at_a_terminal_asks_where_the_service_runs(tmp_path: Path) -> None:
    """A person running `newsletter init` without --service-url is asked; scripts never are."""
    import pty

    main, terminal = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "newsletter", "init", "news", "--base-url", "https://me.github.io/news/",
         "--tool", "newsletter-pipeline"],
        cwd=tmp_path, stdin=terminal, stdout=terminal, stderr=terminal,
    )  # fmt: skip
    os.close(terminal)
    seen = b""
    try:
        while b"Leave empty" not in seen:
            chunk = os.read(main, 1024)
            assert chunk, seen
            seen += chunk
        os.write(main, b"https://abo.me.org\n")
        assert proc.wait(timeout=60) == 0
    finally:
        proc.kill()
        os.close(main)
    toml = (tmp_path / "news" / "newsletter.toml").read_text(encoding="utf-8")
    assert 'unsubscribe_url = "https://abo.me.org/unsubscribe/{token}"' in toml


def test_init_without_a_service_url_unsubscribes_by_email_and_says_so(tmp_path: Path) -> None:
    root = tmp_path / "news"
    result = scaffold(root, base_url="https://me.github.io/news/", tool_requirement="newsletter-pipeline")
    config = load_config(root)
    assert config.site.unsubscribe_url == "" and config.site.subscribe_url is None
    assert config.email.unsubscribe_mailto == "unsubscribe@me.github.io"
    assert any("no --service-url: readers unsubscribe by email only" in note for note in result.notes)


def test_init_requirement_names_the_distribution_at_a_release_tag(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Never `newsletter==…`: on the package index that name is someone else's project."""
    requirement, note = tool_requirement()
    assert requirement.startswith(f"{DISTRIBUTION} @ git+https://") and requirement.endswith(
        f"@v{__version__}"
    )
    assert note == ""
    monkeypatch.setenv("NEWSLETTER_TOOL_REQUIREMENT", "newsletter-pipeline @ file:///src/newsletter")
    group = click.Group("newsletter")
    group.add_command(init_command, "init")
    result = CliRunner().invoke(group, ["init", str(tmp_path / "n")])
    assert result.exit_code == 0, result.output
    lines = (tmp_path / "n" / "requirements.txt").read_text(encoding="utf-8").splitlines()
    assert "newsletter-pipeline @ file:///src/newsletter" in lines


@pytest.mark.slow
def test_init_output_installs_its_tool_from_requirements(tmp_path: Path) -> None:
    """A new newsletter sets itself up: `make build` and `make test` make a virtualenv from its
    requirements.txt (here pointed at this checkout, as `NEWSLETTER_TOOL_REQUIREMENT` allows)."""
    require(shutil.which("make") is not None, "make")
    path = os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep) if Path(p) != BIN)
    checkout = copy_of_the_repository(tmp_path / "checkout")  # as cloned: no build/ left from before
    env = {
        **os.environ,
        "PATH": path,
        "NEWSLETTER_TOOL_REQUIREMENT": f"newsletter-pipeline @ {checkout.as_uri()}",
    }
    env.pop("VIRTUAL_ENV", None)
    init = subprocess.run(
        [sys.executable, "-m", "newsletter", "init", "my-news", "--base-url",
         "https://me.github.io/my-news/", "--service-url", "https://abo.me-news.org/"],
        cwd=tmp_path, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert init.returncode == 0, init.stdout + init.stderr
    root = tmp_path / "my-news"
    for target in ("build", "test"):
        done = subprocess.run(
            ["make", target], cwd=root, env=env, capture_output=True, text=True, timeout=900
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert "Traceback" not in done.stdout + done.stderr
        if shutil.which("npm"):  # make build installed what `check` runs: no warning about it
            assert (root / "node_modules" / "axe-core" / "axe.min.js").exists()
            assert "node_modules/axe-core" not in done.stderr, done.stderr
    assert (root / ".venv" / "bin" / "newsletter").exists(), "make set up its own virtualenv"
    assert (root / "public" / "issues" / "welcome" / "email.html").exists()
