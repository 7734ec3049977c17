"""The build cache: what an unchanged input produced last time, found again by content hash.

Two kinds of entries, both under `.cache/newsletter/` beside newsletter.toml (never in the
output folder, so deleting the cache is always safe):

- `parsed/<key>.pickle`: the `Issue` read from one source file. The key hashes the file's
  bytes, its path (the slug comes from the file name), the size limit and the code version.
- `rendered/<key>.<n>` and `<key>.entry`: the files of one issue (web page, email, text
  part, message), and its record: each file's size and mtime, and the issue's summary (what
  the feeds and the index need: the issue without its body, its feed entry). One flat
  folder: a folder per issue would cost a directory to make and remove on every store.
  The key hashes the parsed entry's key and the *environment*: code version, config and
  every file under templates/. A change to any of them changes every key, so nothing stale
  is reused.
- `spare/`: the output folder the last build replaced; the next build starts from it (see
  `build.atomic_folder`), so its folders need not be made again.
- `documents/<key>`: a feed document (an RFC 5005 archive page, say) by a key naming the
  entries it was made from, so a page whose issues did not change is not made again.

Rendered files are hard links shared with the output folder (a copy where links are
impossible), so a rebuild places unchanged files without reading or writing their bytes.
Entries are only ever replaced, never rewritten in place, so a link in `public/` never
changes under a reader. Each entry records its files' size and mtime; a file changed since
(edited in place, truncated) no longer matches and the issue is rendered again. Anything
unreadable in the cache counts as a miss: the cache can make a build faster, never wrong.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import shutil
import sys
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from . import __version__
from .config import Config
from .model import Issue

#: Where the cache lives, relative to the folder of newsletter.toml.
CACHE_PATH = Path(".cache") / "newsletter"
#: Bump when the layout of the cache changes.
CACHE_FORMAT = 2
RECORD_SUFFIX = ".entry"

# Libraries whose version changes rendered bytes: a new one invalidates every entry.
_RENDERING_LIBRARIES = (
    "mjml-python",
    "css-inline",
    "markdown-it-py",
    "Jinja2",
    "MarkupSafe",
    "feedgen",
    "lxml",
    "Babel",
    "beautifulsoup4",
    "nh3",
    "PyYAML",
)


def _digest(*parts: bytes | str) -> str:
    h = hashlib.blake2b(digest_size=20)
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "-"


@lru_cache(maxsize=1)
def code_version() -> str:
    """A hash of this package's source, the rendering libraries' versions and Python's.

    Editing any module of `newsletter` (a fix in the email renderer, say) invalidates the
    cache, so a developer never sees output from code that no longer exists.
    """
    package = Path(__file__).parent
    parts: list[bytes | str] = [str(CACHE_FORMAT), __version__, sys.version]
    parts += [f"{name}={_version(name)}" for name in _RENDERING_LIBRARIES]
    for path in sorted(package.rglob("*")):
        if path.suffix in (".py", ".toml") and path.is_file() and "__pycache__" not in path.parts:
            parts += [path.relative_to(package).as_posix(), path.read_bytes()]
    return _digest(*parts)


def folder_digest(folder: Path) -> str:
    """A hash of every file under `folder`, names and bytes (templates, labels)."""
    parts: list[bytes | str] = []
    if folder.is_dir():
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                parts += [path.relative_to(folder).as_posix(), path.read_bytes()]
    return _digest(*parts)


def environment_key(config: Config) -> str:
    """What every issue's rendering depends on besides the issue: code, config, templates."""
    return _digest(code_version(), repr(config), folder_digest(config.templates_dir))


def source_key(path: Path, data: bytes, max_bytes: int) -> str:
    """The key of one source file's parsed model."""
    return _digest("source", code_version(), str(path), str(max_bytes), data)


def rendered_key(environment: str, source: str) -> str:
    """The key of one issue's rendered files."""
    return _digest("rendered", environment, source)


def place(source: str | Path, target: str | Path) -> None:
    """`target` becomes `source`'s content: a hard link when possible, else a copy."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


@dataclass(frozen=True)
class BuildCache:
    """One build's view of the cache folder. Picklable: worker processes get a copy.

    With `read` False (`newsletter build --no-cache`) every lookup misses, and everything
    the build makes is stored again, replacing what was there.
    """

    folder: Path
    read: bool = True

    @property
    def parsed_folder(self) -> Path:
        return self.folder / "parsed"

    @property
    def rendered_folder(self) -> Path:
        return self.folder / "rendered"

    @property
    def documents_folder(self) -> Path:
        return self.folder / "documents"

    @property
    def spare_folder(self) -> Path:
        """The output a build replaced, kept for the next build to reuse its folders."""
        return self.folder / "spare"

    # --- parsed issues ---------------------------------------------------------------------

    def parsed(self, key: str) -> Issue | None:
        """The cached model for `key`, or None (missing, unreadable, not an Issue)."""
        if not self.read:
            return None
        try:
            issue = pickle.loads((self.parsed_folder / f"{key}.pickle").read_bytes())
        except Exception:  # a truncated or foreign file is a miss, never an error
            return None
        return issue if isinstance(issue, Issue) else None

    def store_parsed(self, key: str, issue: Issue) -> None:
        _write_record(self.parsed_folder / f"{key}.pickle", pickle.dumps(issue, protocol=5))

    # --- rendered files --------------------------------------------------------------------

    def rendered(self, key: str) -> tuple[dict[str, str], object] | None:
        """(relative output path -> cached file, summary) of entry `key`, when every file is
        still as it was stored; else None."""
        if not self.read:
            return None
        folder = self.rendered_folder
        try:
            with open(os.path.join(folder, key + RECORD_SUFFIX), "rb") as f:
                files, summary = pickle.loads(f.read())
            out: dict[str, str] = {}
            for rel, (name, size, mtime_ns) in files.items():
                path = os.path.join(folder, f"{key}.{name}")
                st = os.stat(path)
                if st.st_size != size or st.st_mtime_ns != mtime_ns:
                    return None
                out[rel] = path
            return out, summary
        except Exception:  # missing, unreadable or malformed: render again
            return None

    def store_rendered(self, key: str, root: Path, rels: Iterable[str], summary: object) -> None:
        """Keep the files `rels` (already written under `root`) and `summary` as the entry `key`.

        The record (file sizes and times, summary) is written last: an entry a killed build
        left half-written is a miss.
        """
        folder = self.rendered_folder
        files: dict[str, tuple[str, int, int]] = {}
        for n, rel in enumerate(rels):
            target = os.path.join(folder, f"{key}.{n}")
            try:
                os.link(root / rel, target)
            except OSError:  # an older file of the key, or no hard links: replaced whole
                tmp = os.path.join(folder, f".{key}.{n}.{os.getpid()}.tmp")
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp)
                place(root / rel, tmp)
                os.replace(tmp, target)  # a new inode: links in older outputs stay as they were
            st = os.stat(target)
            files[rel] = (str(n), st.st_size, st.st_mtime_ns)
        _write_record(folder / (key + RECORD_SUFFIX), pickle.dumps((files, summary), protocol=5))

    # --- feed documents ----------------------------------------------------------------------

    def document(self, key: str) -> bytes | None:
        """A feed document made before from the same entries, or None."""
        if not self.read:
            return None
        try:
            with open(os.path.join(self.documents_folder, key), "rb") as f:
                return f.read()
        except OSError:
            return None

    def store_document(self, key: str, data: bytes) -> None:
        _atomic_write(self.documents_folder / key, data)

    # --- housekeeping ------------------------------------------------------------------------

    def prune(self, parsed: Iterable[str], rendered: Iterable[str], documents: Iterable[str] = ()) -> None:
        """Remove every entry this build did not use: the cache holds one build, not history."""
        keep_parsed = {f"{key}.pickle" for key in parsed}
        kept = (
            (self.parsed_folder, keep_parsed),
            (self.rendered_folder, set(rendered)),
            (self.documents_folder, set(documents)),
        )
        for folder, keep in kept:
            if not folder.is_dir():
                continue
            flat = folder == self.rendered_folder  # named "<key>.<what>"
            for path in folder.iterdir():
                if (path.name.split(".")[0] if flat else path.name) in keep:
                    continue
                if path.is_dir():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    with contextlib.suppress(OSError):
                        path.unlink()


def _write_record(path: Path, data: bytes) -> None:
    """Write a pickle in place: no file is made or removed when it replaces an older one.

    Safe without a rename: the build holds the cache's lock, and a pickle cut short by a
    killed build fails to load (a miss), never loads as something else.
    """
    with open(path, "wb") as f:
        f.write(data)


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def open_cache(config: Config, *, read: bool = True) -> Iterator[BuildCache | None]:
    """The cache of `config`'s newsletter, locked against a second build at the same time.

    Yields None when the cache folder cannot be made (a read-only checkout): the build then
    simply renders everything.
    """
    folder = config.root / CACHE_PATH
    try:
        folder.mkdir(parents=True, exist_ok=True)
        lock = open(folder / "lock", "a+b")  # noqa: SIM115 - held for the whole block
    except OSError:
        yield None
        return
    with lock:
        try:
            import fcntl

            fcntl.flock(lock, fcntl.LOCK_EX)
        except (ImportError, OSError):  # no flock (Windows): builds are not run concurrently there
            pass
        cache = BuildCache(folder, read=read)
        cache.parsed_folder.mkdir(exist_ok=True)
        cache.rendered_folder.mkdir(exist_ok=True)
        cache.documents_folder.mkdir(exist_ok=True)
        yield cache
