"""The build cache: what an unchanged input produced last time, found again by content hash.

Everything lives under `.cache/newsletter/` beside newsletter.toml (never in the
output folder, so deleting the cache is always safe):

- `parsed/<key>.pickle`: the `Issue` read from one source file. The key hashes the file's
  bytes, its path (the slug comes from the file name), the size limit and the code version.
- `manifest-<out>/<xx>.pickle`: what the last build into one output folder made of each
  issue, by the key of its rendered files: each file's path in the output folder with its
  size, mtime and inode, and the issue's summary (what the feeds and the index need: the
  issue without its body, its feed entry without its body), pickled once when it was made.
  Kept in up to 256 shards by key: a rebuild reads them all but writes only the shards that
  changed. Each shard holds its issues' feed entry bodies after the records, read only for
  a feed document that is made (a body lost there: the build starts again without the
  cache, or the issue is rendered again by the next build). The
  files themselves are not copied here: they are found in the output the last build made,
  and a rebuild links them into the new one. The key hashes the parsed entry's key and the
  *environment*: code version, config and every file under templates/. A change to any of
  them changes every key, so nothing stale is reused.
- `sources.pickle`: each source file's key by its stat (size, mtime, ctime, inode), so a
  rebuild reads only the files that changed (`SourceKeys`).
- `answers.pickle`: Babel's answers (dates in each language, languages' names), so a rebuild
  need not load Babel's locale data (outputs/labels.py).
- `code.pickle`: the code version by the stat of this package's files and the names of the
  rendering libraries' installed metadata, so a rebuild hashes the code only after a change.
- `spare/`: the output folder the last build replaced; the next build starts from it (see
  `atomic.atomic_folder`), so its folders need not be made again.
- `documents/<key>`: a feed document (an RFC 5005 archive page, say) by a key naming the
  entries it was made from, so a page whose issues did not change is not made again.

An unchanged issue's files are hard links from the last output into the new one, so a
rebuild places them without reading or writing their bytes; the build never writes into a
file, only makes new ones, so a link never changes under a reader. A file changed since it
was recorded (edited in place, truncated, replaced, deleted) no longer matches its size,
mtime and inode, and the issue is rendered again. Anything unreadable in the cache counts
as a miss: the cache can make a build faster, never wrong.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import shutil
import sys
import tempfile
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import __version__, keys
from .config import Config
from .model import Issue
from .sources.decode import read_limited

#: Where the cache lives, relative to the folder of newsletter.toml.
CACHE_PATH = Path(".cache") / "newsletter"
#: Bump when the layout of the cache changes.
CACHE_FORMAT = 6

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


def digest(*parts: bytes | str) -> str:
    """A content key: every part counts, and where one ends (no two lists of parts share one)."""
    return keys.hashed(keys.new_key(), (p.encode() if isinstance(p, str) else p for p in parts)).hexdigest()


def _normalized(name: str) -> str:
    return "-".join(name.replace("_", "-").replace(".", "-").lower().split("-"))


def _library_versions() -> list[str]:
    """`name=version` of each rendering library, from the names of the installed metadata
    folders (`jinja2-3.1.4.dist-info`): one listing per folder of sys.path, the first found
    winning, as importlib.metadata decides; importing that costs more than a rebuild's work.
    A library found no such way is asked of importlib.metadata."""
    wanted = {_normalized(name): name for name in _RENDERING_LIBRARIES}
    found: dict[str, str] = {}
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            stem, _, kind = name.rpartition(".")
            project, _, version = stem.partition("-")
            library = wanted.get(_normalized(project))
            if kind in ("dist-info", "egg-info") and version and library and library not in found:
                found[library] = version
    for library in _RENDERING_LIBRARIES:
        if library not in found:
            from importlib import metadata

            try:
                found[library] = metadata.version(library)
            except metadata.PackageNotFoundError:
                found[library] = "-"
    return [f"{name}={found[name]}" for name in _RENDERING_LIBRARIES]


#: A file changed this recently may change again within its clock's resolution without its
#: stat showing it: its key is not remembered by its stat (it is read again next time).
RACY_NS = 2_000_000_000


#: What a file's stat says of its content: size, mtime, ctime and inode. The ctime changes with
#: any write or rename (no tool sets it back), so an edit that keeps size and mtime still shows.
Stamp = tuple[int, int, int, int]


def _stamp(path: str | Path) -> Stamp | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def _settled(stamp: Stamp) -> bool:
    """Whether a file with `stamp` may be remembered by it: not changed within `RACY_NS`."""
    return time.time_ns() - max(stamp[1], stamp[2]) > RACY_NS


def _load_kept(path: Path, version: object) -> object | None:
    """What `_keep` kept at `path` under `version`; None when missing, torn, foreign or kept
    under another version."""
    with contextlib.suppress(Exception):
        kept, value = pickle.loads(_read_record(path))
        if kept == version:
            return value
    return None


def _keep(path: Path, version: object, value: object) -> None:
    with contextlib.suppress(OSError):
        _write_record(path, pickle.dumps((version, value), protocol=5))


def _code_files() -> list[tuple[str, str]]:
    """(path relative to the package, path) of each of this package's modules and data files."""
    package = os.path.dirname(os.path.abspath(__file__))
    files = []
    for folder, dirs, names in os.walk(package):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        for name in names:
            if name.endswith((".py", ".toml")):
                path = os.path.join(folder, name)
                files.append((os.path.relpath(path, package).replace(os.sep, "/"), path))
    return sorted(files)


_code_version: list[str] = []  # this process's, once known


def code_version(memo: Path | None = None, *, read: bool = True) -> str:
    """A hash of this package's source, the rendering libraries' versions and Python's.

    Editing any module of `newsletter` (a fix in the email renderer, say) invalidates the
    cache, so a developer never sees output from code that no longer exists. With `memo` (a
    file in the cache folder), the hash is remembered by every file's stat (size, mtime, ctime,
    inode) and the libraries' versions, and made again only when one of them changed, as
    `SourceKeys` decides for sources. Without `read` (`--no-cache`) it is made and remembered
    anew.
    """
    if _code_version:
        return _code_version[0]
    files = _code_files()
    fixed = (str(CACHE_FORMAT), __version__, sys.version, *_library_versions())
    stamps = [(rel, _stamp(path)) for rel, path in files]
    if any(stamp is None for _, stamp in stamps):
        memo = None  # a file that cannot be stat'ed is no file to remember the hash by
    version = _load_kept(memo, (fixed, stamps)) if memo is not None and read else None
    if not isinstance(version, str):
        parts: list[bytes | str] = list(fixed)
        for rel, path in files:
            with open(path, "rb") as f:
                parts += [rel, f.read()]
        version = digest(*parts)
        if memo is not None and all(stamp is not None and _settled(stamp) for _, stamp in stamps):
            _keep(memo, (fixed, stamps), version)
    _code_version.append(version)
    return version


def remember_code_version(version: str) -> None:
    """Take `version` as this process's code version (`code_version`), as the process that
    forked it found it: sent with its work, it is not made again here."""
    if not _code_version:
        _code_version.append(version)


def folder_digest(folder: Path) -> str:
    """A hash of every file under `folder`, names and bytes (templates, labels)."""
    parts: list[bytes | str] = []
    if folder.is_dir():
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                parts += [path.relative_to(folder).as_posix(), path.read_bytes()]
    return digest(*parts)


def environment_key(config: Config, cache: BuildCache | None = None) -> str:
    """What every issue's rendering depends on besides the issue: code, config, templates."""
    return digest(_code_version_of(cache), repr(config), folder_digest(config.templates_dir))


def _code_version_of(cache: BuildCache | None) -> str:
    """The code version, by the cache's memo where there is a cache (`BuildCache.code_version`)."""
    return cache.code_version() if cache is not None else code_version()


def _bundles_issues(data: bytes) -> bool:
    """Whether a source may be a digest: its key then covers the issue files it names."""
    return b"articles:" in data


def source_key(path: Path, data: bytes, max_bytes: int) -> str:
    """The key of one source file's parsed model; a digest's includes the issue files it
    bundles (their titles, summaries and images are in its model)."""
    parts: list[bytes | str] = ["source", code_version(), str(path), str(max_bytes), data]
    if _bundles_issues(data):
        from .sources.teasers import referenced_files

        for ref in referenced_files(data, path.parent):
            try:
                parts += [ref.name, ref.read_bytes()[: max_bytes + 1]]
            except OSError:
                parts += [ref.name, b""]
    return digest(*parts)


@dataclass(frozen=True)
class SourceRead:
    """One source file as read for its key: its bytes, their key, and the file's stamp when it
    may be remembered by it (settled, read whole, not a digest: see `SourceKeys`)."""

    data: bytes
    key: str
    stamp: Stamp | None


def read_source(path: Path, max_bytes: int, stamp: Stamp | None = None) -> SourceRead:
    """Read `path` (within `max_bytes`) and key its bytes. The stamp is taken before the read
    (or was, and is given), so a change while it is read is never remembered as these bytes."""
    stamp = stamp or _stamp(path)  # None: read_limited names the problem
    data = read_limited(path, max_bytes)
    key = source_key(path, data, max_bytes)
    if stamp is None or not _settled(stamp) or len(data) != stamp[0] or _bundles_issues(data):
        stamp = None
    return SourceRead(data, key, stamp)


class SourceKeys:
    """Each source file's key (`source_key`), remembered by the file's stat between builds, so
    a rebuild reads and hashes only the files that changed (as make and git decide).

    A remembered key is used only while the file's `Stamp` is as it was, under the same code
    and size limit; a file changed less than `RACY_NS` before it was read is never remembered,
    so a second change within the clock's resolution is not missed. A digest's key also
    covers the issues it bundles, so it is always read again.
    """

    def __init__(self, cache: BuildCache | None, max_bytes: int):
        self.cache, self.max_bytes = cache, max_bytes
        self.version = digest(_code_version_of(cache), str(max_bytes))
        self.known: dict[str, tuple[Stamp, str]] = {}
        self.seen: dict[str, tuple[Stamp, str]] = {}
        if cache is not None and cache.read:
            known = _load_kept(cache.folder / "sources.pickle", self.version)
            self.known = known if isinstance(known, dict) else {}  # else every file is read

    def key(self, path: Path) -> str:
        name = str(path)
        stamp = _stamp(path)  # None: read_limited names the problem
        remembered = self.known.get(name)
        if stamp is not None and remembered is not None and remembered[0] == stamp:
            self.seen[name] = remembered
            return remembered[1]
        read = read_source(path, self.max_bytes, stamp)
        self.learn(path, read.key, read.stamp)
        return read.key

    def learn(self, path: Path, key: str, stamp: Stamp | None) -> None:
        """Remember `key` for the file at `path` while it has `stamp` (as `read_source` gave
        them, here or in a build worker; None: not to be remembered)."""
        if stamp is not None:
            self.seen[str(path)] = (stamp, key)

    def save(self) -> None:
        """Remember this build's files (those read now, and those found unchanged)."""
        if self.cache is not None and self.seen != self.known:
            _keep(self.cache.folder / "sources.pickle", self.version, self.seen)


def rendered_key(environment: str, source: str) -> str:
    """The key of one issue's rendered files."""
    return digest("rendered", environment, source)


#: One issue's rendered files: relative output path -> (size, mtime_ns, inode), and its summary
#: as the build pickled it (unpickled only when used, never pickled again while unchanged). A
#: feed document's or listing's: its one file, and what the build keeps of what it holds.
Record = tuple[dict[str, tuple[int, int, int]], bytes]

#: Before a feed document's or listing's key in the manifest (an issue's key is hex): their
#: records share one shard ("do"), so an edit that changes the feeds rewrites that shard, not
#: one per document; and no feed entry's body goes with them.
DOCUMENT = "document:"


def file_record(st: os.stat_result) -> tuple[int, int, int]:
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def match_record(
    record: object, out: Path, out_fd: int | None = None
) -> tuple[dict[str, tuple[str, int]], bytes] | None:
    """(relative output path -> (the file in `out`, its inode), summary) when every file of
    `record` is still in `out` as it was recorded; else None (render the issue again). With
    `out_fd` (`out` opened), each file is looked up relative to it."""
    try:
        files: dict[str, tuple[int, int, int]]
        summary: bytes
        files, summary = record  # type: ignore[misc]
        found: dict[str, tuple[str, int]] = {}
        for rel, recorded in files.items():
            path = os.path.join(out, rel)
            if file_record(os.stat(path if out_fd is None else rel, dir_fd=out_fd)) != recorded:
                return None
            found[rel] = (path, recorded[2])
        return found, summary
    except Exception:  # missing or malformed: render again
        return None


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
            issue = pickle.loads(_read_record(self.parsed_folder / f"{key}.pickle"))
        except Exception:  # a truncated or foreign file is a miss, never an error
            return None
        return issue if isinstance(issue, Issue) else None

    def store_parsed(self, key: str, issue: Issue) -> None:
        _write_record(self.parsed_folder / f"{key}.pickle", pickle.dumps(issue, protocol=5))

    # --- rendered files --------------------------------------------------------------------

    def _manifest_folder(self, out: Path) -> Path:
        # One per output folder: a build into another folder does not spoil this one's.
        return self.folder / f"manifest-{digest(str(out.resolve()))[:16]}"

    def has_manifest(self, out: Path) -> bool:
        """Whether `manifest` may find records of an earlier build into `out`."""
        return self.read and self._manifest_folder(out).is_dir()

    def manifest(self, out: Path) -> dict[str, Record]:
        """The records of the last build into `out`, by key ({} with `read` False). A shard
        that cannot be read is a miss for its records, never an error. Only the records of
        each shard are read, not the bodies after them (`bodies`)."""
        records: dict[str, Record] = {}
        if not self.has_manifest(out):
            return records
        for path in self._manifest_folder(out).glob("*.pickle"):
            try:
                shard = pickle.loads(_read_shard(path, bodies=False))
            except Exception:  # truncated or foreign: render those issues again
                continue
            if isinstance(shard, dict):
                records.update(shard)
        return records

    def bodies(self, out: Path) -> EntryBodies:
        """The bodies of the feed entries of the last build into `out`, by the issues' keys.
        They are kept in the manifest's shards after the records, and read only when asked:
        a build needs only those of the feed documents it makes (one edit: a few dozen)."""
        return EntryBodies(self._manifest_folder(out) if self.read else None)

    def store_manifest(
        self,
        out: Path,
        records: dict[str, Record],
        last: dict[str, Record],
        bodies: Callable[[str], bytes | None],
    ) -> set[str]:
        """Make the manifest of `out` hold exactly `records`, each issue's (a record with a
        summary) with its feed entry's body from `bodies`. It is kept in shards by key, and
        only a shard whose records differ from `last` (what `manifest` read) is written: a
        rebuild after one edit writes one small file, not the records of every issue.

        A record whose body `bodies` cannot give (a shard of the last build unreadable) is
        left out, so the next build renders that issue again: those keys are returned."""
        folder = self._manifest_folder(out)
        folder.mkdir(exist_ok=True)
        new, old = _shards(records), _shards(last)
        lost: set[str] = set()
        for name in new.keys() | old.keys():
            path = folder / f"{name}.pickle"
            if name not in new:
                with contextlib.suppress(OSError):
                    path.unlink()
                continue
            if new[name] == old.get(name) and path.exists():
                continue
            shard, kept = {}, {}
            for key, record in sorted(new[name].items()):
                if record[1] and not key.startswith(DOCUMENT):  # an issue's: its body goes with it
                    body = bodies(key)
                    if body is None:
                        lost.add(key)
                        continue
                    kept[key] = body
                shard[key] = record
            _write_shard(path, pickle.dumps(shard, protocol=5), pickle.dumps(kept, protocol=5))
        return lost

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

    def has_document(self, key: str) -> bool:
        """Whether a document is kept under `key` (without reading it)."""
        return self.read and os.path.exists(os.path.join(self.documents_folder, key))

    def store_document(self, key: str, data: bytes) -> None:
        path = self.documents_folder / key
        try:  # the key names what the document was made from: most often it is there already
            if path.stat().st_size == len(data) and path.read_bytes() == data:
                return
        except OSError:
            pass
        _atomic_write(path, data)

    # --- the code's version ------------------------------------------------------------------

    def code_version(self) -> str:
        """`code_version`, remembered by the files' stats in this cache (read as `read` says):
        whichever asks first, the package's files are not read while none of them changed."""
        return code_version(self.folder / "code.pickle", read=self.read)

    # --- what the code version keeps: Babel's answers, the email frames ---------------------

    def _kept(self, name: str) -> dict[Any, Any]:
        """The dict kept as `name` under this code version, or {}: none, another code version's
        (the libraries' versions are in it), unreadable, or `read` False."""
        kept = _load_kept(self.folder / name, self.code_version()) if self.read else None
        return kept if isinstance(kept, dict) else {}

    def answers(self) -> dict[tuple[str, ...], str]:
        """Babel's answers the last build made and found (outputs/labels.py), or {} (`_kept`):
        Babel answers again."""
        return self._kept("answers.pickle")

    def store_answers(self, answers: dict[tuple[str, ...], str]) -> None:
        _keep(self.folder / "answers.pickle", self.code_version(), answers)

    def frames(self) -> dict[str, bytes]:
        """The email frames the last build kept (`email_frame.learned`: each pickled, by its
        MJML), or {} (`_kept`)."""
        return self._kept("frames.pickle")

    def store_frames(self, frames: dict[str, bytes]) -> None:
        _keep(self.folder / "frames.pickle", self.code_version(), frames)

    # --- housekeeping ------------------------------------------------------------------------

    def prune(self, parsed: Iterable[str], documents: Iterable[str] = ()) -> None:
        """Remove every entry this build did not use: the cache holds one build, not history."""
        keep_parsed = {f"{key}.pickle" for key in parsed}
        kept = ((self.parsed_folder, keep_parsed), (self.documents_folder, set(documents)))
        for folder, keep in kept:
            try:  # names, not paths: an edit build lists a thousand entries here
                with os.scandir(folder) as listing:
                    entries = [entry for entry in listing if entry.name not in keep]
            except OSError:  # no such folder
                continue
            for entry in entries:
                if entry.is_dir():
                    shutil.rmtree(entry.path, ignore_errors=True)
                else:
                    with contextlib.suppress(OSError):
                        os.unlink(entry.path)


class EntryBodies:
    """The feed entries' bodies kept by a build (`BuildCache.bodies`), a shard read when one of
    its keys is first asked for; a shard that cannot be read holds nothing."""

    def __init__(self, folder: Path | None):
        self.folder = folder
        self._shards: dict[str, dict[str, bytes]] = {}

    def get(self, key: str) -> bytes | None:
        name = _shard_name(key)
        shard = self._shards.get(name)
        if shard is None:
            shard = self._shards[name] = self._read(name)
        return shard.get(key)

    def _read(self, name: str) -> dict[str, bytes]:
        if self.folder is None:
            return {}
        try:
            shard = pickle.loads(_read_shard(self.folder / f"{name}.pickle", bodies=True))
        except Exception:  # missing, truncated or foreign: those issues are rendered again
            return {}
        return shard if isinstance(shard, dict) else {}


def _shards(records: dict[str, Record]) -> dict[str, dict[str, Record]]:
    """Records grouped by their shard (`_shard_name`)."""
    shards: dict[str, dict[str, Record]] = {}
    for key, record in records.items():
        shards.setdefault(_shard_name(key), {})[key] = record
    return shards


def _shard_name(key: str) -> str:
    """The manifest shard a key's record (and its feed entry's body) is kept in: the key's first
    two hex digits, so at most 256 shards."""
    return key[:2]


#: Bytes after each record's pickle: its CRC-32, so a record cut short or torn is a miss (a
#: check against accidents, fast enough to read every manifest shard on every build).
_CHECK_BYTES = 4


def _check(data: bytes | memoryview) -> bytes:
    return zlib.crc32(data).to_bytes(_CHECK_BYTES, "little")


def _read_record(path: Path) -> memoryview:
    """A record's pickle, as a view of the file's bytes (not a copy: the manifest of a large
    newsletter is megabytes); ValueError when what is there is not one whole record."""
    return _checked(path.read_bytes(), path)


def _checked(raw: bytes, path: Path) -> memoryview:
    """A pickle and its CRC-32 as written (`_write_record`): a view of the pickle, or ValueError."""
    data = memoryview(raw)[:-_CHECK_BYTES]
    if len(raw) <= _CHECK_BYTES or _check(data) != raw[-_CHECK_BYTES:]:
        raise ValueError(f"{path.name}: not a whole record")
    return data


#: Before a manifest shard's records: their length, so they are read without the bodies after.
_LENGTH_BYTES = 8


def _read_shard(path: Path, *, bodies: bool) -> memoryview:
    """A manifest shard's records pickle, or with `bodies` its bodies pickle (`_write_shard`);
    ValueError when what is there is not one whole part."""
    with open(path, "rb", buffering=0) as f:
        size = int.from_bytes(f.read(_LENGTH_BYTES), "little")
        if bodies:
            f.seek(_LENGTH_BYTES + size + _CHECK_BYTES)
            raw = f.readall()
        else:
            raw = f.read(size + _CHECK_BYTES)
    return _checked(raw, path)


def _write_shard(path: Path, records: bytes, bodies: bytes) -> None:
    """A manifest shard: the length of its records pickle, the pickle and its CRC-32, then the
    bodies pickle and its CRC-32; each part is checked apart, so either is read alone."""
    head = len(records).to_bytes(_LENGTH_BYTES, "little")
    _write_bytes(path, head + records + _check(records) + bodies + _check(bodies))


def _write_record(path: Path, data: bytes) -> None:
    """Write a record (a pickle and its CRC-32) into the file at `path`, unless it holds that
    already. On many file systems making a file costs far more than writing into one, and
    truncating a written file to nothing makes the next close wait for the disk: so the
    bytes go over the old ones and the file is cut to their length afterwards.

    Safe without a rename: the build holds the cache's lock, and a record cut short or torn
    by a killed build fails its check (a miss), never loads as something else. Parsed issues
    and manifest shards are written so; a feed document, served as it is, is renamed into place.
    """
    _write_bytes(path, data + _check(data))


def _write_bytes(path: Path, record: bytes) -> None:
    """`_write_record`'s writing: over the old bytes, unless they are these already."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    with os.fdopen(fd, "r+b") as f:
        if os.fstat(fd).st_size == len(record) and f.read() == record:
            return
        f.seek(0)
        f.write(record)
        f.truncate()


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
        shutil.rmtree(folder / "rendered", ignore_errors=True)  # the records of cache format 2 and 3
        for old in folder.glob("manifest-*.pickle"):  # format 4: one file per output folder
            old.unlink(missing_ok=True)
        cache.documents_folder.mkdir(exist_ok=True)
        yield cache
