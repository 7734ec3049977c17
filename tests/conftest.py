"""Shared fixtures: a throwaway newsletter folder built from the repo's config and templates."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from bench.postgres import PostgresUnavailable, fresh_database, postgres_server

ROOT = Path(__file__).parents[1]
DATA = Path(__file__).parent / "data"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require(condition: bool, what: str) -> None:
    """Skip locally, fail in CI: a test that needs a browser or server never passes silently."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"{what} is missing; .ci/run must install it")
    pytest.skip(f"{what} is missing")


@pytest.fixture
def make_newsletter(tmp_path: Path) -> Callable[[Iterable[Path]], Path]:
    """A newsletter folder in tmp: the repo's newsletter.toml and templates, and the given issues."""

    def make(issues: Iterable[Path]) -> Path:
        root = tmp_path / "news"
        (root / "issues").mkdir(parents=True)
        shutil.copy(ROOT / "newsletter.toml", root / "newsletter.toml")
        shutil.copytree(ROOT / "templates", root / "templates")
        for issue in issues:
            shutil.copy(issue, root / "issues" / issue.name)
        return root

    return make


def run_alone(code: str, *args: str, env: dict[str, str] | None = None) -> str:
    """What `code` (with `args`) prints, run in an interpreter of its own, which must end
    cleanly and say nothing on stderr. For what forks: the test process may have other tests'
    threads (their servers), and a process with threads forks nothing. (A process such code
    forks and leaves waiting would hold its output open: the timeout ends the wait.)"""
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **env} if env else None,
        timeout=120,
    )
    assert out.stderr == ""
    return out.stdout


def start_interruptible(args: list[str], **popen: object) -> subprocess.Popen[str]:
    """`subprocess.Popen(args)` of a command the test stops with Ctrl-C (SIGINT), however the test
    run was started: a background job's SIGINT is ignored, children inherit that, and Python
    then raises no KeyboardInterrupt. A handled signal is reset to its default in the child."""
    import signal

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return subprocess.Popen(args, text=True, **popen)  # type: ignore[call-overload, no-any-return]
    finally:
        signal.signal(signal.SIGINT, previous)


def built_message_of(folder: Path) -> bytes:
    """The message `send` would make (for a sample recipient) of the issue built in `folder`,
    `public/issues/<slug>` of a newsletter whose newsletter.toml is beside `public/`."""
    from newsletter.config import load_config
    from newsletter.outputs.built import read_built_issue
    from newsletter.outputs.mime import built_message

    public = folder.parents[1]
    return built_message(load_config(public.parent / "newsletter.toml"), public, read_built_issue(folder))


def tree_digest(folder: Path) -> dict[str, str]:
    """Relative path -> sha256 of every file under `folder`."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@contextlib.contextmanager
def gnupg_home(folder: Path) -> Iterator[Path]:
    """A GnuPG home for a test; on leaving, every daemon gpg started for it (gpg-agent) is
    stopped, so the suite leaves no processes behind."""
    folder.mkdir(mode=0o700, exist_ok=True)
    try:
        yield folder
    finally:
        if shutil.which("gpgconf"):
            subprocess.run(
                ["gpgconf", "--kill", "all"],
                env={**os.environ, "GNUPGHOME": str(folder)},
                capture_output=True,
                check=False,
            )


def copy_of_the_repository(target: Path) -> Path:
    """What a fresh clone of the working tree holds: the files git tracks or would (not what it
    ignores: no .venv, build/ or public/); templates/ stays a link into the package."""
    files = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.split("\0")  # fmt: skip
    for name in filter(None, files):
        source, dest = ROOT / name, target / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            dest.symlink_to(os.readlink(source))
        elif source.is_file():
            shutil.copy2(source, dest)
    return target


# The databases the store runs on: every test that takes `database_url` runs once per backend.
@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """A PostgreSQL server to make test databases on (bench/postgres.py): the one .ci/postgres.sh
    started in CI, else a throwaway cluster for this run; skipped locally, failed in CI, without."""
    with ExitStack() as stack:
        try:
            url = stack.enter_context(postgres_server())
        except PostgresUnavailable as e:
            require(False, str(e))
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A NEWSLETTER_DATABASE_URL for an empty state, once per backend: an SQLite file in tmp_path,
    or a fresh database on the test PostgreSQL server (dropped after the test)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/state.db"
        return
    with fresh_database(request.getfixturevalue("postgres_server_url")) as url:
        yield url
