"""The pipeline: issue sources -> model -> every output, written atomically into one folder.

Everything is rendered into a fresh sibling folder first; only when every file is written
does it take the place of the previous output. A failed or killed build leaves `public/` as
it was.

A rebuild does only the work that changed: an unchanged source is not parsed again and an
unchanged issue is not rendered again (see `newsletter.cache`); its files are hard-linked
from the cache into the new folder. The files made from all issues together (feeds, index)
are always rendered. Issues to parse or render are spread over a process pool when there
are enough of them to pay for it; the output is the same bytes either way.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from .cache import BuildCache, environment_key, open_cache, place, rendered_key, source_key
from .config import Config
from .errors import NewsletterError
from .model import Issue
from .outputs.email import render_email
from .outputs.feeds import render_feeds
from .outputs.message import compose_message, envelope_for
from .outputs.plaintext import render_text
from .outputs.site import render_index, render_issue_page
from .sources.decode import read_limited
from .sources.markdown import read_issue

SAMPLE_RECIPIENT = "leserin@example.org"
#: Below this many issues to parse or render, starting worker processes costs more than it saves.
MIN_PARALLEL = 24

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class BuildResult:
    out: Path
    issues: tuple[Issue, ...]
    files: int
    rendered: int = 0  # issues rendered by this build; the others came from the cache
    parsed: int = 0  # source files parsed by this build


def issue_files(config: Config, issue: Issue) -> dict[str, bytes]:
    """Every file of one issue, by path relative to the output folder."""
    site, templates = config.site, config.templates_dir
    html = render_email(site, issue, templates)
    text = render_text(site, issue, templates)
    sample_unsubscribe = (site.unsubscribe_url or site.base_url + "unsubscribe/{token}").format(
        token="sample"
    )
    message = compose_message(
        envelope_for(config, issue),
        html=html,
        text=text,
        to_address=SAMPLE_RECIPIENT,
        unsubscribe_url=sample_unsubscribe,
    )
    base = f"issues/{issue.slug}/"
    return {
        base + "index.html": render_issue_page(site, issue, templates).encode(),
        base + "email.html": html.encode(),
        base + "email.txt": text.encode(),
        base + "message.eml": message.as_bytes(),
    }


def site_files(config: Config, issues: Sequence[Issue]) -> dict[str, bytes]:
    """The files made from all issues together: listing and feeds."""
    files = dict(render_feeds(config.site, issues, config.templates_dir))
    files["index.html"] = render_index(config.site, issues, config.templates_dir).encode()
    files[".nojekyll"] = b""
    return files


def _target(root: Path, rel: str) -> Path:
    # Slugs are checked when read; this guards the one place that turns them into paths.
    norm = os.path.normpath(rel)
    if os.path.isabs(norm) or norm == ".." or norm.startswith(".." + os.sep):
        raise NewsletterError(f"refusing to write outside the output folder: {rel}")
    return root / norm


def _write(root: Path, rel: str, data: bytes, made: set[Path] | None = None) -> None:
    target = _target(root, rel)
    if made is None or target.parent not in made:
        target.parent.mkdir(parents=True, exist_ok=True)
        if made is not None:
            made.add(target.parent)
    target.write_bytes(data)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_leftovers(out: Path) -> None:
    """Temporary folders of builds that were killed (their process is gone) are removed."""
    for path in out.parent.glob(f".{out.name}.new-*"):
        pid = path.name.removeprefix(f".{out.name}.new-").split("-")[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _pid_alive(int(pid)):
            shutil.rmtree(path, ignore_errors=True)


@contextmanager
def atomic_folder(out: Path) -> Iterator[Path]:
    """A temporary sibling of `out` that replaces it when the block finishes without error."""
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(out)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-{os.getpid()}-", dir=out.parent))
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = out.parent / f".{out.name}.old-{os.getpid()}"
    if out.exists():
        os.replace(out, old)
    os.replace(tmp, out)
    shutil.rmtree(old, ignore_errors=True)
    out.chmod(0o755)


def due_issues(issues: Sequence[Issue], now: dt.datetime | None) -> list[Issue]:
    """The issues whose publication time has come; all of them when `now` is None."""
    return [i for i in issues if now is None or i.date <= now]


# --- workers ------------------------------------------------------------------------------------


class _Workers:
    """Runs a function over chunks of work: in worker processes when it pays, else right here.

    The pool starts only when first needed. `fork` shares the loaded modules with the
    workers for free; with other threads running (the preview server) `forkserver` is used,
    since forking a threaded process can copy a lock in its locked state.
    """

    def __init__(self, jobs: int | None):
        self.jobs = max(1, jobs if jobs is not None else _cpu_count())
        self._pool: Executor | None = None

    def map(self, func: Callable[[list[T]], list[R]], items: Sequence[T], chunk: int) -> Iterator[R]:
        """`func` over `items` in chunks, results in order. In worker processes the work has
        started when this returns, so the caller can do something else before reading them."""
        if self.jobs == 1 or len(items) < MIN_PARALLEL:
            return iter(func(list(items)))
        size = max(1, min(chunk, -(-len(items) // (self.jobs * 4))))
        chunks = [list(items[i : i + size]) for i in range(0, len(items), size)]
        parts = self._executor().map(func, chunks)
        return (result for part in parts for result in part)

    def _executor(self) -> Executor:
        if self._pool is None:
            methods = multiprocessing.get_all_start_methods()
            method = "fork" if "fork" in methods and threading.active_count() == 1 else None
            if method is None and "forkserver" in methods:
                method = "forkserver"
            self._pool = ProcessPoolExecutor(self.jobs, mp_context=multiprocessing.get_context(method))
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@dataclass(frozen=True)
class _ParseJob:
    path: Path
    key: str
    max_bytes: int
    cache: BuildCache | None


def _parse_chunk(jobs: list[_ParseJob]) -> list[Issue]:
    out = []
    for job in jobs:
        issue = read_issue(job.path, max_bytes=job.max_bytes)
        # Stored only if the file did not change while it was read: the key names those bytes.
        if job.cache is None:
            out.append(issue)
            continue
        if source_key(job.path, read_limited(job.path, job.max_bytes), job.max_bytes) == job.key:
            job.cache.store_parsed(job.key, issue)
        out.append(issue)
    return out


@dataclass(frozen=True)
class _RenderJob:
    config: Config
    issue: Issue
    key: str
    root: Path
    cache: BuildCache | None


def _render_chunk(jobs: list[_RenderJob]) -> list[int]:
    counts = []
    made: set[Path] = set()
    for job in jobs:
        files = issue_files(job.config, job.issue)
        for rel, data in files.items():
            _write(job.root, rel, data, made)
        if job.cache:
            job.cache.store_rendered(job.key, job.root, files)
        counts.append(len(files))
    return counts


# --- the pipeline -------------------------------------------------------------------------------


def _unique_newest_first(issues: list[Issue]) -> list[Issue]:
    """Duplicate ids or slugs are an error; the rest newest first (as `read_issues` gives them)."""
    seen: dict[str, str] = {}
    for issue in issues:
        for key in (issue.id, "slug:" + issue.slug):
            if key in seen:
                raise NewsletterError(
                    f"has the same {'slug' if key.startswith('slug:') else 'id'} as {seen[key]}; "
                    "every issue needs its own",
                    path=issue.source_path,
                )
            seen[key] = issue.source_path
    return sorted(issues, key=lambda i: (i.date, i.slug), reverse=True)


def _read_sources(
    config: Config, cache: BuildCache | None, workers: _Workers
) -> tuple[list[Issue], dict[str, str], int]:
    """(issues newest first, source path -> parsed key, how many were parsed now)."""
    max_bytes = config.limits.max_source_bytes
    keys: dict[str, str] = {}
    found: dict[str, Issue] = {}
    todo: list[_ParseJob] = []
    for path in sorted(config.issues_dir.glob("*.md")):
        key = source_key(path, read_limited(path, max_bytes), max_bytes)
        keys[str(path)] = key
        cached = cache.parsed(key) if cache else None
        if cached is not None:
            found[str(path)] = cached
        else:
            todo.append(_ParseJob(path, key, max_bytes, cache))
    for job, issue in zip(todo, list(workers.map(_parse_chunk, todo, chunk=32)), strict=True):
        found[str(job.path)] = issue
    # Keep the sorted-path order read_issues has, so the first duplicate named is the same.
    ordered = [found[p] for p in keys]
    return _unique_newest_first(ordered), keys, len(todo)


def _place_cached(
    config: Config,
    issues: Sequence[Issue],
    keys: dict[str, str],
    cache: BuildCache | None,
    root: Path,
) -> tuple[list[_RenderJob], list[str], int]:
    """Link every cached issue's files into `root`; (what is left to render, keys used, files)."""
    environment = environment_key(config) if cache else ""
    todo: list[_RenderJob] = []
    used: list[str] = []
    made: set[Path] = set()
    count = 0
    for issue in issues:
        key = rendered_key(environment, keys[issue.source_path])
        used.append(key)
        entry = cache.rendered(key) if cache else None
        if entry is None:
            todo.append(_RenderJob(config, issue, key, root, cache))
            continue
        for rel, source in entry.items():
            target = _target(root, rel)
            if target.parent not in made:
                target.parent.mkdir(parents=True, exist_ok=True)
                made.add(target.parent)
            place(source, target)
        count += len(entry)
    return todo, used, count


def build(
    config: Config,
    out: Path | None = None,
    *,
    now: dt.datetime | None = None,
    use_cache: bool = True,
    jobs: int | None = None,
) -> BuildResult:
    """Build the issues in `issues/` into `out` (default `public/`).

    With `now`, issues dated later are left out: nothing public exists of them until due.
    `use_cache=False` renders everything and rewrites the cache (`--no-cache`); `jobs` caps
    the worker processes (default: one per available core; 1 renders in this process).
    """
    out = out or config.root / "public"
    workers = _Workers(jobs)
    try:
        with open_cache(config, read=use_cache) as cache:
            issues, keys, parsed = _read_sources(config, cache, workers)
            issues = due_issues(issues, now)
            with atomic_folder(out) as tmp:
                try:
                    todo, used, count = _place_cached(config, issues, keys, cache, tmp)
                    pending = workers.map(_render_chunk, todo, chunk=16)
                    # The site files need only the models: made here while the workers render.
                    for rel, data in site_files(config, issues).items():
                        _write(tmp, rel, data)
                        count += 1
                    count += sum(pending)
                finally:
                    workers.close()  # no worker may still write into a folder about to be removed
            if cache:
                cache.prune(keys.values(), used)
    finally:
        workers.close()
    return BuildResult(out=out, issues=tuple(issues), files=count, rendered=len(todo), parsed=parsed)
