#!/usr/bin/env python3
"""Copy the repository's GitHub workflows into newsletter/skeleton/.

`newsletter init` copies newsletter/skeleton/ (it ships inside the package; .github/ at the
repository root does not), so the skeleton carries its own copies of the workflows. The
templates need no copy: the repository's templates/ is a link to newsletter/skeleton/templates.
Run this after changing a workflow; tests/test_scaffold.py fails while the copies differ.

    python tools/sync-skeleton.py          # copy
    python tools/sync-skeleton.py --check  # list what differs, exit 1 if anything does
"""

from __future__ import annotations

import filecmp
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SKELETON = ROOT / "newsletter" / "skeleton"
# (source in the repository, copy in the skeleton). Dot-names are stored as "dot-…" in the
# skeleton, so that no packaging tool skips them as hidden; `init` renames them back.
MIRRORS = (
    (ROOT / ".github" / "workflows", SKELETON / "dot-github" / "workflows"),
)
IGNORED = {"__pycache__", ".DS_Store"}


def _files(folder: Path) -> set[Path]:
    if not folder.is_dir():
        return set()
    return {
        p.relative_to(folder)
        for p in folder.rglob("*")
        if p.is_file() and not IGNORED.intersection(p.relative_to(folder).parts)
    }


def differences() -> list[str]:
    """One line per file that is missing, extra or different in the skeleton."""
    lines = []
    for source, copy in MIRRORS:
        want, have = _files(source), _files(copy)
        for rel in sorted(want - have):
            lines.append(f"{copy / rel}: missing (from {source / rel})")
        for rel in sorted(have - want):
            lines.append(f"{copy / rel}: not in {source}")
        for rel in sorted(want & have):
            if not filecmp.cmp(source / rel, copy / rel, shallow=False):
                lines.append(f"{copy / rel}: differs from {source / rel}")
    return lines


def sync() -> int:
    """Make every mirror an exact copy of its source; returns the number of files written."""
    written = 0
    for source, copy in MIRRORS:
        want, have = _files(source), _files(copy)
        for rel in have - want:
            (copy / rel).unlink()
        for rel in sorted(want):
            target = copy / rel
            if target.exists() and filecmp.cmp(source / rel, target, shallow=False):
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source / rel, target)
            written += 1
    return written


def main(argv: list[str]) -> int:
    if argv == ["--check"]:
        lines = differences()
        for line in lines:
            print(line)
        if lines:
            print("run: python tools/sync-skeleton.py", file=sys.stderr)
        return 1 if lines else 0
    if argv:
        print(__doc__, file=sys.stderr)
        return 2
    print(f"{sync()} file(s) copied into {SKELETON.relative_to(ROOT)}/")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
