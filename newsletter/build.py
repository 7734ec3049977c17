"""The pipeline: issue sources -> model -> every output, written atomically into one folder.

Everything is rendered into a fresh sibling folder that takes the place of the previous
output only when every file is written (see `newsletter.atomic`): a failed or killed build
leaves `public/` as it was.

A rebuild does only the work that changed: an unchanged source is not parsed again and an
unchanged issue is not rendered again (see `newsletter.cache`); its files are hard-linked
from the last output into the new folder (a reused folder often holds those very files
already, and then nothing is written at all), and what the feeds and the index need of it
comes from its summary in the cache's manifest: what orders and keys it, and its entry in the
listings as rendered with it, are read with its record; its listing and feed entry only for a
feed document that is made (and the entry's body, kept apart in the manifest, likewise). Of
the files made from all issues together, a feed document whose entries did not change (an
RFC 5005 archive page, often the current feeds too) and the index, when no listed title,
summary or date changed, are not made again:
the manifest records them too, so the last output's file is placed as an issue's is (kept or
linked, neither read nor written), else their bytes are taken from the cache.

Each issue is read and rendered in one go, spread over a process pool when there are enough
of them to pay for it: a worker gets the source's path, writes the issue's files itself and
sends back only its summary (the issue without its body, and its feed entry), so no whole
issue crosses between processes and the build never holds every parsed article at once.
When there is no manifest to look its files up in (a first build, `--no-cache`), the worker
also keys the source, from the very bytes it parses. The issues to render start before the
unchanged ones are placed; an edit among many, too few for a pool, is rendered in one process
beside this one. A rebuild forks that process before it reads the manifest (most rebuilds are
an edit): it imports the renderers while this one looks the sources up, is given the issues
to render, and renders while this one places the rest; when not needed, it is ended.
The feed documents and listings the cache does not have are then made side by side too, in
processes forked once every issue is done: they inherit the feed entries and write what they
make, so nothing crosses between processes but the numbers of their share; the pages that hold an
entry alike (a site's feed page and its edition's) go to the same one, which writes it once. The
output is the same bytes either way.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import functools
import gc
import itertools
import os
import pickle
import shutil
import signal
import stat
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar, cast

from .atomic import Staging, atomic_folder, prune_tree
from .cache import (
    DOCUMENT,
    BuildCache,
    EntryBodies,
    Record,
    SourceKeys,
    Stamp,
    digest,
    environment_key,
    file_record,
    match_record,
    open_cache,
    read_source,
    remember_code_version,
    rendered_key,
)
from .config import Config
from .defaults import published
from .errors import NewsletterError
from .forked import Child, can_fork, fork, receive, send
from .model import Issue, aware
from .outputs.labels import Question, answers_made, known_answers, remember_answers
from .sources import unique_newest_first

if TYPE_CHECKING:  # the process machinery is imported when a build first needs processes
    from concurrent.futures import Executor

    # The feeds module is imported when first needed: after the process that renders an edit
    # has forked (it imports it there), or by the first summary unpickled; feedgen and lxml
    # only when a feed document is made.
    from .model import Translation
    from .outputs.feeds import Document, FeedEntry
    from .outputs.site_frame import Frame

# Reading and rendering an issue needs the heavy libraries (markdown-it, BeautifulSoup, MJML,
# css-inline); a rebuild that finds every issue in the cache never imports
# them. `_renderers` loads them before worker processes fork, so the workers share them.

#: Below this many issues to parse or render, starting worker processes costs more than it saves.
MIN_PARALLEL = 24
#: Tasks (feed pages, listings to make) each process must have before another is forked. One:
#: forking costs under a millisecond (`forked.py`), making a feed page of 50 entries several.
MIN_TASKS_EACH = 1
#: What the documents and the pruning of a reused folder are expected to take (ms, measured
#: here on an edit of one of 1,000 issues: a feed page made from its last version 3–7 ms, a
#: listing from its frame 4 ms; pruning 13–17 ms for 4,000 files kept), to share them out
#: (`_shares`): after an edit, the pruning goes alone beside the documents.
DOCUMENT_MS = 5.0
PRUNE_MS_PER_FILE = 0.004
#: Unchanged issues to place that make it pay to render the few changed ones in one forked
#: process meanwhile (an edit): placing them takes about as long as that process's imports.
MIN_ASIDE = 200

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class BuildResult:
    """What a build made. `issues` are the due issues, newest first, without their bodies
    (`article.sections` is empty): enough to name, date and list them. `not_due` are the
    issues left out as dated after `now`, oldest first, likewise without bodies. Together
    they are every source the build read, so later steps (publish's check and send) need
    not read them again."""

    out: Path
    files: int
    rendered: int = 0  # issues rendered by this build; the others came from the cache
    parsed: int = 0  # source files parsed by this build
    not_due: tuple[Issue, ...] = ()
    listed: tuple[_Summary, ...] = field(default=(), repr=False)  # what `issues` is read from

    @functools.cached_property
    def issues(self) -> tuple[Issue, ...]:
        """Read when first asked for: a rebuild need not unpickle every listing it placed."""
        return tuple(s.listing for s in self.listed)

    @property
    def count(self) -> int:
        """How many issues are due: `len(issues)`, without reading them."""
        return len(self.listed)


def issue_files(config: Config, issue: Issue) -> dict[str, bytes]:
    """Every file of one issue, by path relative to the output folder."""
    from .outputs.built import ISSUE_JSON, BuiltIssue, issue_json
    from .outputs.email import render_email
    from .outputs.plaintext import render_text
    from .outputs.site import render_issue_page

    site, templates = config.site, config.templates_dir
    html = render_email(site, issue, templates)
    text = render_text(site, issue, templates)
    names = BuiltIssue.of(issue)
    base = f"issues/{issue.slug}/"
    return {
        base + names.page: render_issue_page(site, issue, templates).encode(),
        # The web copy of the email: no placeholder, a link that works for whoever reads it.
        base + names.html: published(config, html, html=True).encode(),
        base + names.text: published(config, text, html=False).encode(),
        base + ISSUE_JSON: issue_json(issue),  # what delivery reads of the issue
    }


def _target(root: Path, rel: str) -> str:
    # Slugs are checked when read; this guards the one place that turns them into paths.
    norm = _normal(rel)
    if os.path.isabs(norm) or norm == ".." or norm.startswith(".." + os.sep):
        raise NewsletterError(f"refusing to write outside the output folder: {rel}")
    return os.path.join(root, norm)


def _folder_for(target: str, made: set[str] | None) -> None:
    """Make the folder `target` goes in, once per build (`made` remembers)."""
    parent = os.path.dirname(target)
    if made is None or parent not in made:
        os.makedirs(parent, exist_ok=True)
        if made is not None:
            made.add(parent)


def _write(root: Path, rel: str, data: bytes, made: set[str] | None = None) -> os.stat_result:
    """Write the file at `rel`: its stat. A file already there (in a reused folder) is left as
    it is when it holds these bytes (`_unchanged`), else written into only when nothing else
    can see it (`_rewritable`), else replaced by a new one."""
    target = _target(root, rel)
    _folder_for(target, made)
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        reused = False
    except FileExistsError:
        if (same := _unchanged(target, data)) is not None:
            return same
        reused, fd = True, _rewritable(target)
        if fd < 0:
            _clear(target)
            reused, fd = False, os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        if reused:
            os.ftruncate(fd, len(data))
        return os.fstat(fd)  # after the last write: the size and mtime the record keeps
    finally:
        os.close(fd)


def _unchanged(target: str, data: bytes) -> os.stat_result | None:
    """The stat of the file at `target` when it holds `data` already, as most files of a
    reused folder do (it holds the build before last): read, not written, so no page of it is
    made dirty for the disk to write back. None when it does not, or is not a regular file
    its owner may write."""
    try:
        fd = os.open(target, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))  # no O_NOFOLLOW on Windows
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or not st.st_mode & stat.S_IWUSR or st.st_size != len(data):
            return None
        return st if os.read(fd, len(data) + 1) == data else None  # a short read: written again
    finally:
        os.close(fd)


def _rewritable(target: str) -> int:
    """A descriptor to write the file at `target` in place, or -1: replace it instead.

    Making a file is among the dearest things a build does on many file systems (a new
    inode, a directory entry); writing into one is not. But a file of a reused folder may
    be shared: by hard link with the output being served (the cache links unchanged files),
    or held open by a reader since it was served. So only a regular file with no other link
    is written into, and only while a write lease proves no one else has it open (Linux;
    elsewhere every file is replaced)."""
    try:
        fd = os.open(target, os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0))  # no O_NOFOLLOW on Windows
    except OSError:  # a folder, a link, no permission: replaced
        return -1
    try:
        st = os.fstat(fd)
        if stat.S_ISREG(st.st_mode) and st.st_nlink == 1 and _alone(fd):
            return fd
    except OSError:
        pass
    os.close(fd)
    return -1


def _alone(fd: int) -> bool:
    """Whether no other descriptor has the file open: a write lease is granted only then, and
    makes anyone who opens it meanwhile wait until it is closed (the lease ends with it)."""
    try:
        import fcntl

        # Someone opening the file breaks the lease with a signal to this process: SIGURG,
        # which nothing handles, not the default SIGIO, which would end the build.
        fcntl.fcntl(fd, fcntl.F_SETSIG, signal.SIGURG)
        fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_WRLCK)
    except (ImportError, AttributeError):  # no leases here (not Linux)
        return False
    except OSError:  # open elsewhere (EAGAIN), or leases unsupported on this file system
        return False
    return True


def _clear(target: str | Path) -> None:
    """Remove whatever is at `target` (in a reused folder), so a new file takes its name.

    Never truncate or write into it: its inode may be shared, by hard link, with the output
    being served (`_rewritable` decides when writing into a file is safe)."""
    try:
        os.unlink(target)
    except FileNotFoundError:
        pass
    except (IsADirectoryError, PermissionError):  # a folder where a file goes now
        shutil.rmtree(target)


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
        self._aside: list[Child] = []
        self._ready: Child | None = None  # forked for `map(..., aside=True)` before its items were known
        self._busy: Child | None = None  # rendering aside: its results not read yet

    def map(
        self, func: Callable[[list[T]], list[R]], items: Sequence[T], chunk: int, *, aside: bool = False
    ) -> Iterator[R]:
        """`func` over `items` in chunks, results in order. In worker processes the work has
        started when this returns, so the caller can do something else before reading them;
        right here it is done when the results are read. Too few items for a pool go to one
        forked process when the caller has as much to do meanwhile (`aside`)."""
        if aside and items and not self.pools(items):
            return self._beside(func, list(items))
        self._discard()  # a process made ready for this is not needed: it has only imported
        if not self.pools(items):
            return _here(func, items)
        size = max(1, min(chunk, -(-len(items) // (self.jobs * 4))))
        chunks = [list(items[i : i + size]) for i in range(0, len(items), size)]
        parts = self._executor().map(func, chunks)
        return (result for part in parts for result in part)

    def pools(self, items: Sequence[object]) -> bool:
        """Whether `map` spreads `items` over a pool of worker processes."""
        return self.jobs > 1 and len(items) >= MIN_PARALLEL

    def _executor(self) -> Executor:
        if self._pool is None:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            method = "fork" if can_fork() else None
            if method is None and "forkserver" in multiprocessing.get_all_start_methods():
                method = "forkserver"
            self._pool = ProcessPoolExecutor(self.jobs, mp_context=multiprocessing.get_context(method))
        return self._pool

    def run_all(
        self, tasks: list[Callable[[], object]], weights: Sequence[float] | None = None
    ) -> list[object]:
        """Each task's result, in order: the tasks split between this process and processes
        forked from it (which inherit everything the tasks read, so nothing is sent to them but
        the numbers of their share, and only the results come back), else run right here. The
        tasks are dealt in turn, or by `weights` (`_shares`).

        Forking needs this process to have no other threads (so the pool is closed first) and
        `fork` (not on Windows; there they run here)."""
        jobs = min(self.jobs, len(tasks) // MIN_TASKS_EACH)
        if jobs < 2 or not can_fork():
            return [task() for task in tasks]
        shares = _shares(len(tasks), jobs, weights)
        children: list[tuple[Child, list[int]]] = []
        gc.freeze()  # the children's collections then leave the inherited objects' pages alone
        here = list(shares[0])
        try:
            for share in shares[1:]:
                if not share:
                    continue
                try:
                    children.append((fork(functools.partial(_run_share, tasks, share)), share))
                except OSError:  # no process can be made now (a limit reached): its share runs here
                    here += share
            out: list[object] = [None] * len(tasks)
            for i in here:
                out[i] = tasks[i]()
            for child, share in children:
                theirs = _result_of(child)
                if theirs is None:  # it failed: run here, so its error is raised here, as itself
                    theirs = [tasks[i]() for i in share]
                for i, result in zip(share, theirs, strict=True):
                    out[i] = result
        finally:
            for child, _ in children:
                child.join()  # its results' pipe closed first: it cannot wait to write them
            gc.unfreeze()
        return out

    def ready_aside(self, warm: Callable[[], None]) -> None:
        """Fork now the process a later `map(func, items, aside=True)` would fork: it runs
        `warm` (imports) while this one finds out what to do, then waits for `func` and the
        items (sent pickled). Unless that `map` hands them over, it is ended: it has done
        nothing else."""
        if self.jobs < 2 or self._ready is not None or not can_fork():
            return
        gc.freeze()  # its collections then leave the inherited objects' pages alone
        try:
            child = fork(functools.partial(_serve_aside, warm), inbox=True)
        except OSError:  # no process can be made now: the work runs here
            gc.unfreeze()
            return
        self._aside.append(child)
        self._ready = child

    def _discard(self) -> None:
        """End the process made ready aside, if any: it has only imported. (`close` joins it.)"""
        ready, self._ready = self._ready, None
        if ready is not None:
            ready.close_inbox()
            ready.kill()

    def _beside(self, func: Callable[[list[T]], list[R]], items: list[T]) -> Iterator[R]:
        """`func(items)` in one process beside this one (made ready, else forked now): it gets
        them pickled, inherits everything else it reads, and sends the results back. If it
        fails, they run here, so the error is raised here, as itself; where no process can be
        forked, they run here from the start."""
        if self._ready is None:
            self.ready_aside(_nothing)
        ready, self._ready = self._ready, None
        if ready is None:  # no process can be forked here
            return _here(func, items)
        with contextlib.suppress(Exception):  # it died, or they cannot be sent: they run here
            ready.send((func, items))
        self._busy = ready

        def results() -> Iterator[R]:
            self._busy = None
            theirs = _result_of(ready)
            self._join_aside()
            yield from cast("list[list[R]]", theirs)[0] if theirs is not None else func(items)

        return results()

    def meanwhile(self, work: Callable[[Callable[[], bool]], object]) -> None:
        """While a process renders aside, `work(done)` here: work that may or may not be needed
        later, which `done()` (its results have come) tells to stop. Nothing when none does."""
        if self._busy is not None and not self._busy.done():
            work(self._busy.done)

    def _join_aside(self) -> None:
        while self._aside:
            self._aside.pop().join()
            gc.unfreeze()

    def close(self) -> None:
        self._discard()
        self._join_aside()  # a process rendering aside may still write: wait for it
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def _shares(count: int, jobs: int, weights: Sequence[float] | None) -> list[list[int]]:
    """`jobs` shares of the tasks numbered below `count`, the first this process's: dealt in turn
    (feed pages are alike), or with `weights` (what each is expected to take) the heaviest first,
    each to the share that has least so far (this process's on a tie). Each in the tasks' order."""
    if weights is None:
        return [list(range(i, count, jobs)) for i in range(jobs)]
    loads: list[float] = [0.0] * jobs
    shares: list[list[int]] = [[] for _ in range(jobs)]
    for i in sorted(range(count), key=lambda i: -weights[i]):
        least = min(range(jobs), key=loads.__getitem__)
        shares[least].append(i)
        loads[least] += weights[i]
    return [sorted(share) for share in shares]


def _result_of(child: Child) -> list[object] | None:
    """What `_run_share` in `child` sent back; None when it failed, or died without a word
    (killed, out of memory)."""
    try:
        return cast("list[object] | None", child.result())
    except EOFError:
        return None


def _here(func: Callable[[list[T]], list[R]], items: Sequence[T]) -> Iterator[R]:
    """`func(items)` in this process, run when its results are first read."""
    yield from func(list(items))


def _nothing() -> None:
    pass


def _serve_aside(warm: Callable[[], None], inbox: int, results: int) -> None:
    """In a process forked early (`_Workers.ready_aside`): warm up, then the function sent over
    the items sent, its results sent back as `_run_share`'s; nothing when no work comes (EOF:
    the build needed none, or ended)."""
    try:
        warm()
        func, items = cast("tuple[Callable[[list[object]], object], list[object]]", receive(inbox))
    except BaseException:  # not needed after all; or failed: the parent runs them, and says why
        return
    _run_share([lambda: func(items)], [0], inbox, results)


def _run_share(tasks: list[Callable[[], object]], share: list[int], _inbox: int, results: int) -> None:
    """In a forked process: the tasks of `share`, their results sent back (None if one failed)."""
    try:
        ours: list[object] | None = [tasks[i]() for i in share]
    except BaseException:  # an error (or Ctrl-C): the parent runs them again, and says why
        ours = None
    with contextlib.suppress(OSError):  # the build stopped meanwhile: no one reads this any more
        send(results, ours)


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@dataclass(frozen=True)
class _Context:
    """What every job of one build shares: sent once per chunk, never per issue."""

    config: Config
    root: Path
    cache: BuildCache | None
    now: dt.datetime | None
    environment: str  # what every issue's rendering depends on besides the issue (`rendered_key`)
    # Babel's answers, for a process forked before they were read (`_Workers.ready_aside`); the
    # pool's processes are forked after: they know them, and are not sent them with every chunk
    answers: dict[Question, str] | None = None
    # the code version, which keys the sources it parses, for such a process likewise: without
    # it, it would read and hash the package's modules again
    code: str = ""
    # and the email frames the last build kept (`BuildCache.frames`)
    frames: dict[str, bytes] | None = None


@dataclass(frozen=True)
class _Job:
    """One source to read and render. Its key is None when the build looks nothing up by it
    (no manifest to find its files in): the worker then keys the very bytes it parses, so the
    file is read once, not three times, and the keying is spread over the workers."""

    path: Path
    key: str | None  # the source's key (its bytes as read for the cache lookup)


#: What `_Summary` reads with a record (its order: `_summary_bytes`).
_Head = tuple[str, str, dt.datetime, str, str, "tuple[Translation, ...]", str, str, "str | None"]


class _Summary:
    """What the build keeps of one issue once its files are written: what orders, checks and
    keys its listings and its feed entry (`id` to `key`), and its entry in the listings as
    rendered with it (these unpickled with the record); the listing and feed entry themselves
    are unpickled only when asked for: a rebuild makes the few documents an edit changes, and
    places the rest. Pickled by `_summary_bytes`."""

    __slots__ = (
        "_kept",
        "archive_item",
        "date",
        "id",
        "key",
        "language",
        "listing_key",
        "slug",
        "source_path",
        "translations",
    )

    id: str
    slug: str
    date: dt.datetime
    language: str
    source_path: str
    translations: tuple[Translation, ...]
    listing_key: str  # a hash of `listing`: the index is made again only when one changes
    key: str  # the feed entry's; "" while the issue is not due (nothing of it is public)
    archive_item: str | None  # `outputs.site.render_archive_item`'s; None while not due

    def __init__(self, head: _Head, kept: bytes | tuple[Issue, FeedEntry | None]):
        (
            self.id,
            self.slug,
            self.date,
            self.language,
            self.source_path,
            self.translations,
            self.listing_key,
            self.key,
            self.archive_item,
        ) = head
        self._kept = kept  # pickled (listing, entry) until first asked for

    def _unpickled(self) -> tuple[Issue, FeedEntry | None]:
        if isinstance(self._kept, bytes):
            try:
                self._kept = cast("tuple[Issue, FeedEntry | None]", pickle.loads(self._kept))
            except Exception:  # its record was whole (checked), so the cache is damaged
                raise _CacheLost(self.source_path) from None
        return self._kept

    @property
    def listing(self) -> Issue:
        """The issue without its body."""
        return self._unpickled()[0]

    @property
    def entry(self) -> FeedEntry | None:
        """Its feed entry, None while it is not due (nothing of it is public)."""
        return self._unpickled()[1] if self.key else None

    # what `feeds.Entry` asks of an entry
    @property
    def published(self) -> dt.datetime:
        return aware(self.date)

    def loaded(self) -> FeedEntry:
        entry = self.entry
        if entry is None:
            raise ValueError(f"{self.source_path}: not due, it has no feed entry")
        return entry

    def not_due(self) -> _Summary:
        """This issue as one not due now: without its feed entry, nor its entry in the listings."""
        other = copy.copy(self)
        other.key, other.archive_item = "", None
        return other


def _read_ahead(summaries: Sequence[_Summary], templates_dir: Path | None, done: Callable[[], bool]) -> None:
    """Load the listings' template (unless `templates_dir` is None: their frames are kept), then
    unpickle `summaries`' listings and entries in order, until `done()`: time spent waiting
    otherwise (the documents made later find them ready, and so do the processes forked to make
    them). The template first: an edit to a listed title makes every listing again, which needs
    no other issue's listing (only each one's entry, kept rendered), and Jinja2 unless the
    listing's frame is kept; one to a body makes a feed page, of a few issues' entries."""
    if done():
        return
    if templates_dir is not None:
        from .outputs.site import ready_index

        ready_index(templates_dir)
    for i, summary in enumerate(summaries):
        if i % 32 == 0 and done():
            return
        summary._unpickled()  # kept once read


def _listing_key(listing: Issue) -> str:
    return digest(pickle.dumps(listing, protocol=5))


def _summary_bytes(
    listing: Issue, entry: FeedEntry | None, listing_key: str = "", archive_item: str | None = None
) -> bytes:
    """What `_summary_from` reads: the head plain (strings, a date, the translations, the
    listing's entry), then the listing and entry pickled apart, so reading a record does not
    unpickle them."""
    head: _Head = (
        listing.id,
        listing.slug,
        listing.date,
        listing.language,
        listing.source_path,
        listing.article.translations,
        listing_key,
        entry.key if entry is not None else "",
        archive_item,
    )
    kept = pickle.dumps((listing, entry), protocol=pickle.HIGHEST_PROTOCOL)
    return pickle.dumps((_SUMMARY_FORMAT, head, kept), protocol=pickle.HIGHEST_PROTOCOL)


_SUMMARY_FORMAT = 3  # what a record holds of an issue; another is a cache miss


def _summary_from(data: object) -> _Summary | None:
    """The summary pickled in a record, or None (anything unreadable is a cache miss)."""
    try:
        form, head, kept = pickle.loads(data)  # type: ignore[arg-type]
        if form != _SUMMARY_FORMAT or not isinstance(kept, bytes) or len(head) != 9:
            return None
        return _Summary(head, kept)
    except Exception:
        return None


@dataclass(frozen=True)
class _Done:
    """What a worker sends back for one issue. The summary is pickled once, in the worker: so
    it crosses to the main process, and so the manifest stores it, without being pickled again."""

    summary: bytes
    parsed: bool
    files: dict[str, tuple[int, int, int]]  # written by this job: path -> its record; none if not due
    answers: dict[Question, str]  # Babel's, made for this job (outputs/labels.py)
    source: tuple[str, Stamp | None]  # the source's key, and its stamp when it may be remembered
    body: bytes = b""  # its feed entry's, kept apart from the summary (`FeedEntry.apart`)
    # the email frames the worker made or taught since it last sent them (`email_frame.learned`),
    # with the last issue of a chunk: kept by the cache for the next build's processes
    frames: dict[str, bytes] = field(default_factory=dict)


#: How many email frames the cache keeps: one per edition and shape of email, the newest taught.
FRAMES_KEPT = 16


def _renderers(frames: dict[str, bytes] | None = None) -> None:
    """Import what reading and rendering issues needs (see the imports at the top), and take
    the email `frames` an earlier build kept. Before a pool of workers forks, so they share
    it; issues rendered in one process (here, or one forked aside) are rendered by a process
    that imports it when it first needs it."""
    from .outputs import email, feeds, plaintext  # noqa: F401
    from .sources import markdown  # noqa: F401

    if frames:
        from .outputs.email_frame import adopt

        adopt(frames)


def _parse(context: _Context, job: _Job) -> tuple[Issue, bool, tuple[str, Stamp | None]]:
    """(the job's issue, whether it was parsed now rather than found in the cache, the source's
    key and its stamp when it may be remembered by it)."""
    cache, max_bytes = context.cache, context.config.limits.max_source_bytes
    read = None
    if job.key is None:  # keyed here, from the bytes parsed
        read = read_source(job.path, max_bytes)
        key, stamp = read.key, read.stamp
    else:
        key, stamp = job.key, None  # the main process has remembered it already
    cached = cache.parsed(key) if cache else None
    if cached is not None:  # read under an earlier config: its editions may have changed since
        context.config.edition_language(cached.language, path=str(job.path))
        return cached, False, (key, stamp)
    from .sources.markdown import read_issue

    if read is None:  # the bytes to parse, keyed: a file changed since it was keyed is stored as it is now
        read = read_source(job.path, max_bytes)
    issue = read_issue(job.path, max_bytes=max_bytes, languages=context.config.site.languages, raw=read.data)
    if cache is not None:
        cache.store_parsed(read.key, issue)  # by the key of the very bytes parsed
    return issue, True, (key, stamp)


def _due(issue: Issue | _Summary, now: dt.datetime | None) -> bool:
    return now is None or issue.date <= now


def _render_jobs(context: _Context, jobs: list[_Job]) -> list[_Done]:
    """Read, render and write each job's issue; only its summary goes back."""
    if not jobs:  # nothing to render: nothing imported for it
        return []
    from .outputs.feeds import feed_entry, without_body
    from .outputs.site import render_archive_item

    config, root = context.config, context.root
    if context.answers:
        remember_answers(context.answers)
    if context.code:
        remember_code_version(context.code)
    _renderers(context.frames)
    out = []
    made: set[str] = set()
    for job in jobs:
        issue, parsed, source = _parse(context, job)
        listing = without_body(issue)
        if not _due(issue, context.now):
            out.append(_Done(_summary_bytes(listing, None), parsed, {}, answers_made(), source))
            continue
        files = issue_files(config, issue)
        written = {rel: file_record(_write(root, rel, data, made)) for rel, data in files.items()}
        rendered = rendered_key(context.environment, source[0])  # what its feed documents are keyed by
        entry = feed_entry(config.site, issue, config.templates_dir, key=rendered)
        if entry.issue == listing:  # one object for both: the manifest stores it once
            listing = entry.issue
        item = render_archive_item(config.site, listing, config.templates_dir)
        # The body apart: the manifest, read whole by every build, stays small (`_Bodies`).
        summary = _summary_bytes(
            listing, replace(entry, content=b"", apart=True), _listing_key(listing), item
        )
        out.append(_Done(summary, parsed, written, answers_made(), source, entry.content))
    from .outputs.email_frame import learned

    if out and (frames := learned()):
        out[-1] = replace(out[-1], frames=frames)
    return out


class _CacheLost(Exception):
    """What the last build kept of an issue cannot be read when a document needs it (a feed
    entry's body, a listing): its cache was damaged."""


@dataclass
class _Bodies:
    """The feed entries' bodies a build's documents are made with: this build's, else the last
    build's as the cache kept them (`BuildCache.bodies`), read only for a document made."""

    new: dict[str, bytes]
    last: EntryBodies

    def get(self, key: str) -> bytes | None:
        body = self.new.get(key)
        return self.last.get(key) if body is None else body

    def __call__(self, key: str) -> bytes:
        body = self.get(key)
        if body is None:
            raise _CacheLost(key)
        return body


# --- the pipeline -------------------------------------------------------------------------------


def _place(files: dict[str, tuple[str, int]], root: Path, made: set[str], reused: bool) -> bool:
    """Link the last output's files into `root`: whether every one is that very file (a copy,
    where links are impossible, is not: its record must be made again)."""
    linked = True
    for rel, (source, inode) in files.items():
        target = _target(root, rel)
        if reused:  # a reused folder may hold this very file already (the build before last)
            try:
                if os.stat(target).st_ino == inode:
                    continue
            except OSError:
                pass
            _clear(target)  # a link takes its name; never write into the file there
        _folder_for(target, made)
        try:
            os.link(source, target)
        except OSError:
            shutil.copyfile(source, target)
            linked = False
    return linked


@dataclass
class _Documents:
    """The last output's records of the feed documents and listings, and the cache they are kept in.

    A document made from the same entries as the last output's (the same key) is placed as the
    issues' files are: kept where it is (a reused folder holding it as recorded) or linked from
    the last output, and then neither read from the cache nor written. Its record goes into this
    build's manifest (`records`), under its key; the keys used are remembered (the rest is pruned).
    """

    cache: BuildCache
    last: dict[str, Record]
    out: Path
    staging: Staging
    made: set[str]
    records: dict[str, Record]
    used: list[str] = field(default_factory=list)
    _by_path: dict[str, Record] | None = None  # the last output's documents' records, by path

    def place(self, rel: str, key: str) -> bool:
        """Whether the document `key` now stands at `rel` in the staging folder, the very file
        the last output recorded: kept in place, or linked from the last output."""
        self.used.append(key)
        record = self.last.get(DOCUMENT + key)
        try:
            if record is None or list(record[0]) != [rel]:
                return False
        except Exception:  # malformed: made again
            return False
        found = _found(record, self.out, self.staging)
        if found is None:
            return False
        files, _, in_place = found
        self.records[DOCUMENT + key] = _placed(record, files, in_place, self.staging, self.made)
        return True

    def wrote(
        self, rel: str, key: str | None, written: tuple[int, int, int], entry_keys: Sequence[str] = ()
    ) -> None:
        """`rel` was written now with `written` (its record), holding the entries of
        `entry_keys`: kept for the next build."""
        if key:
            self.records[DOCUMENT + key] = ({rel: written}, "\n".join(entry_keys).encode())

    def last_version(self, rel: str) -> tuple[str, list[str]] | None:
        """Where the last output's document at `rel` stands as it was recorded (in the reused
        folder or the last output), and the keys of the entries it held; None if it is not
        there so, or its record names none."""
        if self._by_path is None:
            self._by_path = {}
            for key, record in self.last.items():
                if key.startswith(DOCUMENT):
                    with contextlib.suppress(Exception):  # malformed: not used
                        (path,) = record[0]
                        self._by_path[path] = record
        kept = self._by_path.get(rel)
        if kept is None or not kept[1]:
            return None
        found = _found(kept, self.out, self.staging)
        if found is None:
            return None
        try:
            return found[0][rel][0], bytes(kept[1]).decode().split("\n")
        except Exception:  # malformed: made whole
            return None


def _found(
    record: Record, out: Path, staging: Staging
) -> tuple[dict[str, tuple[str, int]], bytes, bool] | None:
    """(its files, its summary, whether they are in the staging folder already) of a record
    whose files are all as recorded (the same inode, size and mtime), else None.

    A reused folder (the build before last) mostly holds those very files already, hard-linked
    with the last output: it is looked at first, so they are checked and placed with one stat
    each, and the last output's copies only when it lacks one."""
    found = match_record(record, staging.path, staging.fd) if staging.reused else None
    if found is not None:
        return (*found, True)
    found = match_record(record, out)
    return None if found is None else (*found, False)


def _placed(
    record: Record, files: dict[str, tuple[str, int]], in_place: bool, staging: Staging, made: set[str]
) -> Record:
    """`record` as it stands in the staging folder once its `files` are placed there."""
    if in_place or _place(files, staging.path, made, staging.reused):
        return record  # the very files: their record holds
    return {rel: file_record(os.stat(staging.path / rel)) for rel in files}, record[1]


def _cached(
    record: Record | None, out: Path, staging: Staging, made: set[str], now: dt.datetime | None
) -> tuple[_Summary, Record | None] | None:
    """(summary, its record in the new output) of an issue whose files the last output
    has, or None: render it. The record is None while the issue is not due."""
    if record is None or (found := _found(record, out, staging)) is None:
        return None
    files, data, in_place = found
    summary = _summary_from(data)
    if summary is None or not summary.key:
        return None
    if not _due(summary, now):
        return summary.not_due(), None
    return summary, _placed(record, files, in_place, staging, made)


def build(
    config: Config,
    out: Path | None = None,
    *,
    now: dt.datetime | None = None,
    use_cache: bool = True,
    jobs: int | None = None,
    exiting: bool = False,
) -> BuildResult:
    """Build the issues in `issues/` into `out` (default `public/`).

    With `now`, issues dated later are left out: nothing public exists of them until due.
    `use_cache=False` renders everything and rewrites the cache (`--no-cache`); `jobs` caps
    the worker processes (default: one per available core; 1 renders in this process).
    `exiting`: the process ends right after (the `newsletter build` command), so what the build
    read and made (the manifest, the records, every issue's summary) is left to its end
    (`_LEFT`) rather than freed object by object as the build returns.
    """
    try:
        return _build(config, out, now=now, use_cache=use_cache, jobs=jobs, exiting=exiting)
    except _CacheLost:  # a damaged cache: nothing of this attempt was published; build it all
        if not use_cache:
            raise
        return _build(config, out, now=now, use_cache=False, jobs=jobs, exiting=exiting)


#: What builds whose process ends right after left to its end (`build(exiting=True)`): freeing
#: a rebuild's records and summaries of 1,000 issues one by one as it returned took 5-10 ms.
_LEFT: list[object] = []


def _build(
    config: Config,
    out: Path | None,
    *,
    now: dt.datetime | None,
    use_cache: bool,
    jobs: int | None,
    exiting: bool = False,
) -> BuildResult:
    from .outputs import read_templates_again

    read_templates_again()  # as they are now: a process may build again (`newsletter preview`)
    out = out or config.root / "public"
    workers = _Workers(jobs)
    max_bytes = config.limits.max_source_bytes
    try:
        with open_cache(config, read=use_cache) as cache:
            if cache is not None and cache.has_manifest(out):  # a rebuild: an edit, most often
                # it imports them while this one looks things up (first of all, the answers)
                workers.ready_aside(_renderers)
            known = cache.answers() if cache else {}
            frames: dict[str, bytes] = {}  # the email frames the last build kept: read once, to render
            frames_read = frames_learned = False
            remember_answers(known)  # before a pool's processes fork: they know them too
            environment = environment_key(config, cache) if cache else ""
            spare = cache.spare_folder if cache else None
            with atomic_folder(out, spare) as staging:
                tmp = staging.path
                written: set[str] = set()  # relative paths, to prune a reused folder by
                try:
                    # Sorted paths: the first duplicate named is the one read_issues would name.
                    paths = sorted(config.issues_dir.glob("*.md"), key=lambda p: p.name)  # one folder
                    summaries: dict[Path, _Summary] = {}
                    keys: list[str] = []
                    todo: list[_Job] = []
                    made: set[str] = set()
                    context = _Context(config, tmp, cache, now, environment)
                    render = functools.partial(_render_jobs, context)
                    last = cache.manifest(out) if cache else {}
                    bodies = _Bodies({}, cache.bodies(out) if cache else EntryBodies(None))
                    sources = SourceKeys(cache, max_bytes)
                    records: dict[str, Record] = {}  # this build's manifest
                    found_in_last: list[tuple[_Job, str, Record]] = []  # with its rendered key
                    for path in paths:
                        if not last:  # nothing to look up: the worker keys what it reads
                            todo.append(_Job(path, None))
                            continue
                        key = sources.key(path)
                        keys.append(key)
                        done_key = rendered_key(environment, key)
                        if (record := last.get(done_key)) is None:
                            todo.append(_Job(path, key))  # new or changed: rendered as the rest is placed
                        else:
                            found_in_last.append((_Job(path, key), done_key, record))
                    aside = len(found_in_last) >= MIN_ASIDE and not workers.pools(todo)
                    if todo and cache is not None:
                        frames, frames_read = cache.frames(), True
                    if todo and not aside:  # rendered here, or by a pool forked after: sharing them
                        _renderers(frames)
                    if aside:  # to the process forked before: with the answers, code version, frames
                        code = cache.code_version() if cache else ""
                        aside_context = replace(context, answers=known, code=code, frames=frames)
                        render = functools.partial(_render_jobs, aside_context)
                    done = workers.map(render, todo, 8, aside=aside)
                    late: list[_Job] = []  # recorded, but its files are gone or changed
                    for job, done_key, record in found_in_last:
                        found = _cached(record, out, staging, made, now)
                        if found is None:
                            late.append(job)
                            continue
                        summaries[job.path], placed = found
                        if placed is not None:
                            records[done_key] = placed
                            written.update(placed[0])
                    if late:
                        if not frames_read and cache is not None:
                            frames, frames_read = cache.frames(), True
                        _renderers(frames)  # rendered here, or by a pool forked after
                        done = itertools.chain(done, workers.map(render, late, 8))
                    if todo and found_in_last:  # an edit: feed documents will be made; meanwhile,
                        from .outputs import feedgen_fixes  # noqa: F401  (what they are made with)

                        # and, while the edit is still rendering, the listing's template and the
                        # placed issues' listings and entries: the newest first (the feeds)
                        ahead = sorted(summaries.values(), key=lambda s: s.published, reverse=True)
                        # the listing's template, unless its frame is kept (for as many issues
                        # as are most likely due)
                        count = sum(_due(s, now) for s in ahead) + len(todo) + len(late)
                        frame = _frame_key(environment, None, count)
                        framed = bool(frame) and cache is not None and cache.has_document(frame)
                        templates = None if framed else config.templates_dir
                        workers.meanwhile(functools.partial(_read_ahead, ahead, templates))
                    rendered = parsed = 0
                    for job, result in zip(todo + late, done, strict=True):
                        summary = _summary_from(result.summary)
                        assert summary is not None  # made by this very build
                        summaries[job.path] = summary
                        rendered += bool(result.files)
                        parsed += result.parsed
                        written.update(result.files)
                        remember_answers(result.answers)  # for the listings made here, and the cache
                        for mjml, taught in result.frames.items():  # the newest taught last
                            frames.pop(mjml, None)
                            frames[mjml] = taught
                            frames_learned = True
                        key, stamp = result.source
                        if job.key is None:
                            keys.append(key)
                            sources.learn(job.path, key, stamp)
                        if result.files:
                            done_key = rendered_key(environment, key)
                            records[done_key] = (result.files, result.summary)
                            bodies.new[done_key] = result.body
                    ordered = unique_newest_first([summaries[p] for p in paths])
                    _check_translations(ordered)
                    due = [s for s in ordered if _due(s, now)]
                    not_due = [s for s in reversed(ordered) if not _due(s, now)]  # the oldest first
                    store = _Documents(cache, last, out, staging, made, records) if cache else None
                    workers.close()  # every issue is done: its processes are not needed any more
                    reused = written if staging.reused else None  # pruned of the rest meanwhile
                    written.update(_site_files(config, due, store, environment, workers, tmp, bodies, reused))
                finally:
                    workers.close()  # no worker may still write into a folder about to be removed
            if cache:  # after the new output is in place: the records name its files
                cache.store_manifest(out, records, last, bodies.get)  # a body lost: rendered next time
                sources.save()
                answers = known_answers()
                if answers != known:
                    cache.store_answers(answers)
                if frames_learned:
                    cache.store_frames(dict(list(frames.items())[-FRAMES_KEPT:]))
                cache.prune(keys, store.used if store else ())
    finally:
        workers.close()
    if exiting:
        _LEFT.append((last, records, summaries, found_in_last, written, paths, keys, sources, bodies, store))
    return BuildResult(
        out=out,
        files=len(written),
        rendered=rendered,
        parsed=parsed,
        not_due=tuple(s.listing for s in not_due),
        listed=tuple(due),
    )


def _check_translations(issues: Sequence[_Summary]) -> None:
    """Every translation named by slug is an issue here (else its link would lead nowhere)."""
    slugs = {i.slug for i in issues}
    for issue in issues:
        for t in issue.translations:
            if not t.is_url and t.target not in slugs:
                raise NewsletterError(
                    f"translations: {t.language}: no issue has the slug {t.target!r}; "
                    "name an issue of issues/ by its slug, or give the translation's URL",
                    path=issue.source_path,
                )


def _site_files(
    config: Config,
    due: list[_Summary],
    store: _Documents | None,
    environment: str,
    workers: _Workers,
    root: Path,
    bodies: _Bodies,
    reused: set[str] | None = None,
) -> list[str]:
    """Write the files made from all due issues together (feeds, listings) into `root`: their
    paths. Those the cache lacks are made side by side, as the issues were (`_Workers.run_all`),
    each written by the process that made it: no document is sent between processes.

    `root` a reused folder, `reused` the issues' files written into it: every other file but
    these documents is removed from it meanwhile, by a process of its own where there is one."""
    from .outputs.feeds import Document, edition_documents, feed_documents, plan_shared_entries

    entries = [s for s in due if s.key]  # feed entries, read only for a document made
    cache = store.cache if store is not None else None
    documents = feed_documents(config.site, entries, cache, bodies=bodies)
    documents |= edition_documents(config.site, entries, cache, bodies=bodies)
    documents["index.html"] = _index(config, due, store, environment)
    if config.site.multilingual:  # each edition's own archive
        for language in config.site.languages:
            own = [s for s in due if s.language == language]
            path = config.site.edition_path(language) + "index.html"
            documents[path] = _index(config, own, store, environment, language)
    documents[".nojekyll"] = Document(bytes, data=b"")
    tasks: list[tuple[str, Document, tuple[str, list[str]] | None]] = []  # the documents to make
    for rel, document in documents.items():
        if store is not None and document.key and store.place(rel, document.key):
            continue
        data = document.found(cache)
        if data is not None:
            written = file_record(_write(root, rel, data))
            if store is not None:
                store.wrote(rel, document.key, written, document.entry_keys)
        else:
            # a feed page that holds an edited issue is made from its last version (`splice`)
            last = store.last_version(rel) if store is not None and document.splice else None
            tasks.append((rel, document, last))
    groups = _together([document.shared for _, document, _ in tasks], workers.jobs)
    todo: list[Callable[[], object]] = [
        functools.partial(_make_documents, root, [tasks[i] for i in group], cache) for group in groups
    ]
    weights = [DOCUMENT_MS * len(group) for group in groups]
    if reused is not None:  # last: the pruning, weighed by the files it keeps
        todo.append(functools.partial(_prune, root, reused, list(documents)))
        weights.append(len(reused) * PRUNE_MS_PER_FILE)
    plan_shared_entries(document for _, document, _ in tasks)  # before the processes fork
    try:
        results = workers.run_all(todo, weights)
    finally:
        plan_shared_entries(())
    if reused is not None:
        del results[-1]
    for group, result in zip(groups, results, strict=True):
        for i, written in zip(group, cast("list[tuple[int, int, int]]", result), strict=True):
            rel, document, _ = tasks[i]
            if store is not None:
                store.wrote(rel, document.key, written, document.entry_keys)
    return list(documents)


def _together(shared: Sequence[Sequence[Hashable]], jobs: int) -> list[list[int]]:
    """The documents numbered as `shared` lists them, in groups each made by one process: those
    that hold an entry alike (the names in `shared`: a site's feed page and its edition's) go
    together, so it is written once, as long as a group stays within a share of the work
    (a quarter of each process's); every other document alone. Each group in order."""
    limit = max(1, len(shared) // (jobs * 4))
    group_of: list[int] = list(range(len(shared)))  # each document's group: the first member's
    members: dict[int, list[int]] = {i: [i] for i in range(len(shared))}
    seen: dict[Hashable, int] = {}  # the first document holding each entry
    for i, names in enumerate(shared):
        for name in names:
            first = seen.setdefault(name, i)
            a, b = group_of[first], group_of[i]
            if a == b or len(members[a]) + len(members[b]) > limit:
                continue
            for j in members[b]:
                group_of[j] = a
            members[a] += members.pop(b)
    return [sorted(group) for group in members.values()]


def _prune(root: Path, *written: Iterable[str]) -> None:
    """`prune_tree` of `root`, keeping every path `written` names (a task of `_site_files`)."""
    prune_tree(root, {_normal(rel) for paths in written for rel in paths})


def _normal(rel: str) -> str:
    """An output file's relative path as it is written (`_target`) and kept (`prune_tree`):
    `os.path.normpath`'s, called only where it changes the path (a path made here rarely needs
    it, and it costs a few microseconds a path)."""
    return os.path.normpath(rel) if rel[:1] == "." or "/." in rel or "//" in rel or rel[-1:] == "/" else rel


def _make_documents(
    root: Path, documents: list[tuple[str, Document, tuple[str, list[str]] | None]], cache: BuildCache | None
) -> list[tuple[int, int, int]]:
    """`_make_document` of each (a task of `_site_files`): the records of the files written."""
    return [_make_document(root, rel, document, cache, last) for rel, document, last in documents]


def _make_document(
    root: Path, rel: str, document: Document, cache: BuildCache | None, last: tuple[str, list[str]] | None
) -> tuple[int, int, int]:
    """Make `document` and write it at `rel`; from its last version where there is one (read
    before it is written over: a reused folder may hold it at `rel`)."""
    previous = None
    if last is not None:
        with contextlib.suppress(OSError):
            previous = (Path(last[0]).read_bytes(), last[1])
    return file_record(_write(root, rel, document.made(cache, previous)))


def _index(
    config: Config,
    due: list[_Summary],
    store: _Documents | None,
    environment: str,
    language: str | None = None,
) -> Document:
    """The listing of every due issue; taken from the cache when no listed issue changed (an
    edit to an article's body) and the templates, config and code are the same. One made again
    is its entries in the frame the cache keeps (`outputs/site_frame.py`) where it can be: an
    edit to a listed title then loads neither Jinja2 nor the listing's template."""
    from .outputs.feeds import Document

    key = ""
    if store is not None and environment and all(s.listing_key for s in due):
        key = digest(f"{language or ''}index.html", environment, *(s.listing_key for s in due))
    frame_key = ""
    if store is not None and (frame_key := _frame_key(environment, language, len(due))):
        store.used.append(frame_key)  # kept for the next listing made, as the documents used are

    def make() -> bytes:
        entries = [s.archive_item for s in due]
        if all(entry is not None for entry in entries):
            frame = _frame(config, len(due), language, store.cache if store is not None else None, frame_key)
            if frame is not None:
                from .outputs.site_frame import fill

                return fill(frame, cast("list[str]", entries)).encode()
        from .outputs.site import render_index

        # each issue's entry as rendered with it: its listing is read only by a template that
        # lists more (an older project's)
        return render_index(config.site, due, config.templates_dir, language).encode()

    return Document(make, key or None)


def _frame_key(environment: str, language: str | None, count: int) -> str:
    """The key a listing's frame of `count` entries is kept by: what else it is made from."""
    return digest("listing frame", environment, language or "", str(count)) if environment else ""


def _frame(
    config: Config, count: int, language: str | None, cache: BuildCache | None, key: str
) -> Frame | None:
    """The listing's frame of `count` entries: kept by the cache under `key`, else made (and kept)."""
    from .outputs.site_frame import is_frame

    data = cache.document(key) if cache is not None and key else None
    if data is not None:
        with contextlib.suppress(Exception):  # unreadable: made again
            frame = pickle.loads(data)
            if is_frame(frame, count):
                return cast("Frame", frame)
    from .outputs.site_frame import listing_frame

    made = listing_frame(config.site, count, config.templates_dir, language)
    if made is not None and cache is not None and key:
        cache.store_document(key, pickle.dumps(made, protocol=pickle.HIGHEST_PROTOCOL))
    return made
