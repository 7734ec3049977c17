"""The build cache: what an unchanged input produced last time, found again by content hash.

Two kinds of entries, both under `.cache/newsletter/` beside newsletter.toml (never in the
output folder, so deleting the cache is always safe):

- `parsed/<key>.pickle`: the `Issue` read from one source file. The key hashes the file's
  bytes, its path (the slug comes from the file name), the size limit and the code version.
- `rendered/<key>/`: the files of one issue (web page, email, text part, message). The key
  hashes the parsed entry's key and the *environment*: code version, config and every file
  under templates/. A change to any of them changes every key, so nothing stale is reused.

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
import json
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
CACHE_FORMAT = 1
ENTRY_FILE = "entry.json"

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
        _atomic_write(self.parsed_folder / f"{key}.pickle", pickle.dumps(issue, protocol=5))

    # --- rendered files --------------------------------------------------------------------

    def rendered(self, key: str) -> dict[str, str] | None:
        """Relative output path -> cached file, when every file is still as it was stored."""
        if not self.read:
            return None
        entry = os.path.join(self.rendered_folder, key)
        try:
            with open(os.path.join(entry, ENTRY_FILE), "rb") as f:
                files = json.loads(f.read())["files"]
            out: dict[str, str] = {}
            for rel, (name, size, mtime_ns) in files.items():
                path = os.path.join(entry, name)
                st = os.stat(path)
                if st.st_size != size or st.st_mtime_ns != mtime_ns:
                    return None
                out[rel] = path
            return out
        except Exception:  # missing, unreadable or malformed: render again
            return None

    def store_rendered(self, key: str, root: Path, rels: Iterable[str]) -> None:
        """Keep the files `rels` (already written under `root`) as the entry `key`."""
        entry = self.rendered_folder / key
        entry.mkdir(exist_ok=True)
        files: dict[str, list[object]] = {}
        for n, rel in enumerate(rels):
            name = str(n)
            tmp = entry / f".{name}.{os.getpid()}.tmp"
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            place(root / rel, tmp)
            os.replace(tmp, entry / name)  # a new inode: links in older outputs stay as they were
            st = os.stat(entry / name)
            files[rel] = [name, st.st_size, st.st_mtime_ns]
        _atomic_write(entry / ENTRY_FILE, json.dumps({"files": files}).encode())

    # --- housekeeping ------------------------------------------------------------------------

    def prune(self, parsed: Iterable[str], rendered: Iterable[str]) -> None:
        """Remove every entry this build did not use: the cache holds one build, not history."""
        keep_parsed = {f"{key}.pickle" for key in parsed}
        keep_rendered = set(rendered)
        for folder, keep in ((self.parsed_folder, keep_parsed), (self.rendered_folder, keep_rendered)):
            if not folder.is_dir():
                continue
            for path in folder.iterdir():
                if path.name in keep:
                    continue
                if path.is_dir():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    with contextlib.suppress(OSError):
                        path.unlink()


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
        yield cache
