#!/usr/bin/env python3
"""Print the interpreter `make` creates .venv with: of the interpreters found here that the project
runs on (pyproject.toml's `requires-python`: python3 first, then python3.N on PATH and the
system's) and no newer than python3, the one that runs Python code fastest, when it is clearly
faster than python3 (else python3). What it chose, and why, goes to stderr.

    python3 tools/pick-python.py [PYTHON ...]   (the interpreters to choose from; default: found)

Why it matters: the same build ran 12-15% slower on a CPython built without profile-guided and
link-time optimization and with a shared libpython (pyenv's build here) than on Debian's
python3.11 (BENCHMARKS.md). Most builds are optimized (python.org's, the distributions', uv's,
GitHub Actions'); a self-built one often is not. Choose another: `make PYTHON=/path/to/python3`.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import sys

#: How much faster (its best of several short runs) a candidate must be to be chosen over python3:
#: enough that the noise of a busy machine never decides it.
MARGIN = 0.10

#: The project's own statement of the oldest Python it runs on.
PYPROJECT = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "pyproject.toml")

# Run by each candidate, given that oldest version: whether it can make the venv, and how long a
# short piece of the kind of work a build does (calls, strings, dicts, lists) takes it, the best
# of several runs.
PROBE = r"""
import importlib.util, sys, time
oldest = tuple(int(part) for part in sys.argv[1:3])
ok = sys.version_info >= oldest and all(importlib.util.find_spec(m) for m in ("venv", "ensurepip"))

def work():
    seen = {}
    for i in range(30000):
        key = f"k{i % 97}"
        seen[key] = seen.get(key, 0) + len(key.replace("k", "kk"))
    return sorted(seen.items(), key=lambda kv: (kv[1], kv[0]))

best = float("inf")
for _ in range(5):
    start = time.perf_counter()
    work()
    best = min(best, time.perf_counter() - start)
print(sys.executable, int(ok), best, "%d.%d.%d" % sys.version_info[:3])
"""


def oldest() -> tuple[int, int]:
    """pyproject.toml's `requires-python = ">=3.N"` (read without tomllib: python3 may be older)."""
    with open(PYPROJECT, encoding="utf-8") as f:
        found = re.search(r'^requires-python\s*=\s*">=\s*(\d+)\.(\d+)', f.read(), re.MULTILINE)
    if found is None:
        raise SystemExit(f'{PYPROJECT}: no requires-python = ">=3.N"')
    return int(found.group(1)), int(found.group(2))


def candidates(since: tuple[int, int]) -> list[str]:
    names = ["python3"] + [f"python3.{minor}" for minor in range(since[1], since[1] + 5)]
    found = [path for name in names if (path := shutil.which(name))]
    for folder in ("/usr/bin", "/usr/local/bin"):
        found += sorted(p for p in glob.glob(os.path.join(folder, "python3.*")) if re.search(r"3\.\d+$", p))
    unique: list[str] = []
    for path in found:
        if path not in unique:
            unique.append(path)
    return unique


def probe(path: str, since: tuple[int, int]) -> tuple[str, float, str] | None:
    """(the interpreter's own path, its time, its version) if it is `since` or newer and can make
    the venv."""
    argv = [path, "-c", PROBE, *map(str, since)]
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=True)
        executable, ok, seconds, version = out.stdout.split()
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    return (os.path.realpath(executable), float(seconds), version) if ok == "1" else None


def _minor(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".")[:2])


#: Rounds of probing, each candidate in turn: its best round counts, so a moment when the machine
#: was busy with something else does not decide.
ROUNDS = 3


def main(argv: list[str]) -> int:
    """`argv`: the interpreters to choose from, the first in python3's place (default: those found)."""
    since = oldest()
    found: dict[str, tuple[float, str]] = {}
    paths: dict[str, str] = {}  # each interpreter found, by the path it was found at
    for path in argv or candidates(since):
        result = probe(path, since)
        if result is not None and result[0] not in found:
            found[result[0]] = result[1:]
            paths[result[0]] = path
    for _ in range(ROUNDS - 1):
        for executable, path in paths.items():
            result = probe(path, since)
            if result is not None and result[1] < found[executable][0]:
                found[executable] = result[1:]
    if not found:
        print("python3")  # none can: making the venv says why
        return 0
    first = next(iter(found))  # python3 when it can, else the first that can
    # never a newer Python than python3 (the project's dependencies may have no build for it yet)
    minor = _minor(found[first][1])
    allowed = [path for path in found if _minor(found[path][1]) <= minor]
    fastest = min(allowed, key=lambda path: found[path][0])
    chosen = fastest if found[fastest][0] < found[first][0] * (1 - MARGIN) else first
    if chosen != first:
        faster = 1 - found[chosen][0] / found[first][0]
        print(
            f"make: .venv is made with {chosen} (Python {found[chosen][1]}), {faster:.0%} faster here "
            f"than {first} (Python {found[first][1]}); make PYTHON=... to choose another",
            file=sys.stderr,
        )
    print(chosen)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
