"""A build killed at any point leaves the previous public/ whole, byte for byte.

`newsletter build` runs in a subprocess on ~200 generated issues; it is SIGKILLed (with its
worker processes) at several points spread over a build, and public/ must hash the same as
the last complete build after every kill. A final build then completes.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from conftest import ROOT, tree_digest

ISSUES = 150
NEWSLETTER = Path(sys.executable).parent / "newsletter"


def write_issues(folder: Path, count: int, edition: str) -> None:
    """`count` issue files; `edition` changes every body, so a build has real work to do."""
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        day = f"2024-{1 + n % 12:02d}-{1 + n % 28:02d}"
        paragraphs = "\n\n".join(
            f"Absatz {k} der Ausgabe {n} ({edition}): Kasachstan, Usbekistan und die Welt. "
            f"[Ein Link](https://example.org/{n}/{k}) und **fetter** Text." * 3
            for k in range(12)
        )
        (folder / f"{day}-ausgabe-{n}.md").write_text(
            f'---\nid: "tag:example.org,{day}:ausgabe-{n}"\ntitle: "Ausgabe {n} – {edition}"\n'
            f"date: {day}T08:00:00+01:00\nlanguage: de\nauthors: [Redaktion]\n---\n"
            f"{paragraphs}\n\n## Zwischentitel\n\nLetzter Absatz.\n",
            encoding="utf-8",
        )


def build(root: Path, out: str = "public") -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [str(NEWSLETTER), "build", "--out", out, "--no-cache"],
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group: the kill reaches the worker pool too
    )


def finish(process: subprocess.Popen[bytes]) -> None:
    _, err = process.communicate(timeout=120)
    assert process.returncode == 0, err.decode()


def test_a_killed_build_leaves_the_previous_public_whole(tmp_path: Path) -> None:
    root = tmp_path / "news"
    root.mkdir()
    shutil.copy(ROOT / "newsletter.toml", root / "newsletter.toml")
    shutil.copytree(ROOT / "templates", root / "templates")
    # Two editions of every issue; a complete build of each, to know both sites byte for byte.
    sites: dict[str, dict[str, str]] = {}
    for edition in ("zweite Fassung", "erste Fassung"):
        write_issues(root / "issues", ISSUES, edition)
        started = time.monotonic()
        finish(build(root))
        duration = time.monotonic() - started
        sites[edition] = tree_digest(root / "public")
    assert len(sites["erste Fassung"]) > 4 * ISSUES and sites["erste Fassung"] != sites["zweite Fassung"]

    current = "erste Fassung"
    rng = random.Random(7)  # "random" points, the same on every run
    points = [0.05, 0.5, 0.9, 0.98, *(rng.uniform(0.1, 0.95) for _ in range(2))]
    for fraction in points:
        target = "zweite Fassung" if current == "erste Fassung" else "erste Fassung"
        write_issues(root / "issues", ISSUES, target)
        process = build(root)
        time.sleep(duration * fraction)
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        # Whole: the previous site, or (killed after its last rename) the complete new one.
        assert (root / "public").is_dir(), f"public/ is gone after a kill at {fraction:.0%}"
        found = tree_digest(root / "public")
        assert found in (sites[current], sites[target]), f"public/ is a mix after a kill at {fraction:.0%}"
        current = target if found == sites[target] else current

    finish(build(root))
    assert tree_digest(root / "public") in sites.values()
    assert not list(root.glob(".public.new-*")), "a killed build's temporary folder was left behind"
    assert not list(root.glob(".public.old-*")), "a killed build's previous site was left behind"
