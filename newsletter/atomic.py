"""The atomic folder swap: a build writes into a fresh sibling of its output folder, which
takes the output's place in one step only when every file is written.

A failed or killed build leaves the output as it was; the next build removes what a killed one
left behind (and puts back an output it had moved aside but not yet replaced). With a spare
folder (from the build cache) the replaced output is kept there and reused by the next build.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import shutil
import stat
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_leftovers(out: Path) -> None:
    """Temporary folders of builds that were killed (their process is gone) are removed; an
    output that a killed build had moved aside but not yet replaced is put back."""
    if not out.exists():
        for path in sorted(out.parent.glob(f".{out.name}.old-*")):
            pid = path.name.removeprefix(f".{out.name}.old-")
            if pid.isdigit() and not _pid_alive(int(pid)):
                os.replace(path, out)
                break
    for path in out.parent.glob(f".{out.name}.old-*"):
        pid = path.name.removeprefix(f".{out.name}.old-")
        if pid.isdigit() and int(pid) != os.getpid() and not _pid_alive(int(pid)):
            shutil.rmtree(path, ignore_errors=True)
    for path in out.parent.glob(f".{out.name}.new-*"):
        pid = path.name.removeprefix(f".{out.name}.new-").split("-")[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _pid_alive(int(pid)):
            shutil.rmtree(path, ignore_errors=True)


@dataclass
class Staging:
    """The folder a build writes into; `reused` when it is an earlier output to be pruned."""

    path: Path
    reused: bool = False
    fd: int | None = None  # the folder, opened while it is reused: files looked up relative to it


def _claim(spare: Path, tmp: Path) -> bool:
    """Move the spare folder (an earlier output) to `tmp`: False if there is none, or it is
    on another file system."""
    try:
        if not stat.S_ISDIR(os.lstat(spare).st_mode):
            return False
        os.rename(spare, tmp)  # onto the empty folder mkdtemp made
    except OSError:
        return False
    return True


@contextmanager
def atomic_folder(out: Path, spare: Path | None = None) -> Iterator[Staging]:
    """A temporary sibling of `out` that replaces it when the block finishes without error.

    With `spare` (a folder in the build cache), the output being replaced is moved there
    rather than removed, and the next build starts from it: its folders are reused (making
    a folder is among the dearest things a build does on many file systems). The build
    then replaces every file it writes (never writing into one) and removes the rest with
    `prune_tree` before the block ends.
    """
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(out)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-{os.getpid()}-", dir=out.parent))
    staging = Staging(tmp, reused=spare is not None and _claim(spare, tmp))
    if staging.reused:  # a stat relative to it skips looking up the folder's own path each time
        with contextlib.suppress(OSError):
            staging.fd = os.open(tmp, os.O_RDONLY | os.O_DIRECTORY)
    try:
        yield staging
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        if staging.fd is not None:
            os.close(staging.fd)
            staging.fd = None
    old = out.parent / f".{out.name}.old-{os.getpid()}"
    if not out.exists():
        os.replace(tmp, out)
    elif _exchange(tmp, out):  # one atomic step: `out` is never missing, not even for an instant
        os.replace(tmp, old)
    else:  # no renameat2: two renames; a kill between them is mended by the next build
        os.replace(out, old)
        os.replace(tmp, out)
    if spare is not None and not os.path.lexists(spare):
        with contextlib.suppress(OSError):  # another file system: removed as usual
            os.rename(old, spare)
    shutil.rmtree(old, ignore_errors=True)
    out.chmod(0o755)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders atomically (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    renameat2 = getattr(_libc(), "renameat2", None) if sys.platform == "linux" else None
    if renameat2 is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    return renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0


@functools.cache
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def prune_tree(root: Path, keep: set[str]) -> None:
    """Remove from a reused output folder every file and folder this build did not write.

    It may run while the files kept are still being written (`keep` naming them already): a
    folder on the way to one is never removed, even while it is empty."""
    on_the_way: set[str] = set()
    for rel in keep:
        folder = rel.rpartition("/")[0]
        while folder and folder not in on_the_way:  # else its own folders are in already
            on_the_way.add(folder)
            folder = folder.rpartition("/")[0]

    def walk(folder: str, prefix: str) -> bool:  # whether anything inside is kept
        kept = False
        with os.scandir(folder) as entries:
            found = list(entries)
        for entry in found:
            rel = prefix + entry.name
            if entry.is_dir(follow_symlinks=False):
                if walk(entry.path, rel + "/") or rel in on_the_way:
                    kept = True
                else:
                    os.rmdir(entry.path)
            elif rel in keep:
                kept = True
            else:
                os.unlink(entry.path)
        return kept

    walk(str(root), "")
