"""How the project is packaged and set up: a name of its own on the package index, metadata
setuptools takes without deprecation warnings, and `make build` saying each thing once."""

from __future__ import annotations

import re
import runpy
import subprocess
import sys
import tomllib
from pathlib import Path

from click.testing import CliRunner
from conftest import ROOT

from newsletter import __version__
from newsletter.cli import main
from newsletter.defaults import DISTRIBUTION

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_the_distribution_has_a_name_of_its_own() -> None:
    """`newsletter` on the package index is an unrelated 2014 project; ours is installed as
    newsletter-pipeline, imported and run as `newsletter`."""
    assert PYPROJECT["project"]["name"] == DISTRIBUTION == "newsletter-pipeline"
    assert PYPROJECT["project"]["scripts"] == {"newsletter": "newsletter.cli:run"}
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0 and __version__ in result.output


def test_license_is_an_spdx_expression() -> None:
    """A license table makes setuptools print a screen of deprecation warnings on every install."""
    assert PYPROJECT["project"]["license"] == "MIT"
    (setuptools,) = PYPROJECT["build-system"]["requires"]
    assert re.fullmatch(r"setuptools>=(\d+)", setuptools) and int(setuptools.split(">=")[1]) >= 77


def test_make_build_says_where_to_look_once() -> None:
    """`newsletter build` says what to open; the Makefiles do not say it again."""
    for makefile in (ROOT / "Makefile", ROOT / "newsletter" / "skeleton" / "Makefile"):
        recipe = makefile.read_text(encoding="utf-8").split("\nbuild:", 1)[1].split("\n\n", 1)[0]
        assert "open" not in recipe.lower(), makefile


def _fake_python(folder: Path, name: str, line: str) -> str:
    """An "interpreter" that answers the picker's probe with `line` (its path, whether it can
    make a venv, its time, its version)."""
    path = folder / name
    path.write_text(f"#!/bin/sh\necho '{line}'\n", encoding="utf-8")
    path.chmod(0o755)
    return str(path)


def _pick(*candidates: str) -> subprocess.CompletedProcess[str]:
    script = ROOT / "tools" / "pick-python.py"
    return subprocess.run(
        [sys.executable, str(script), *candidates], capture_output=True, text=True, check=True, timeout=60
    )


def test_make_makes_the_venv_with_a_clearly_faster_interpreter(tmp_path: Path) -> None:
    """An unoptimized CPython build (pyenv's here) ran the build 12-15% slower than Debian's: the
    venv is made with the fastest Python 3.11+ found, when it is clearly faster than python3."""
    first = _fake_python(tmp_path, "python3", "/opt/a/python3 1 0.010 3.11.7")
    faster = _fake_python(tmp_path, "python3.11", "/opt/b/python3.11 1 0.008 3.11.2")
    hardly = _fake_python(tmp_path, "python3.12", "/opt/c/python3.12 1 0.0095 3.12.1")
    cannot = _fake_python(tmp_path, "python3.13", "/opt/d/python3.13 0 0.001 3.13.0")
    chosen = _pick(first, faster)
    assert chosen.stdout.strip() == "/opt/b/python3.11"
    assert "/opt/b/python3.11 (Python 3.11.2), 20% faster here than /opt/a/python3" in chosen.stderr
    assert _pick(first, hardly).stdout.strip() == "/opt/a/python3"  # within the margin: python3
    assert _pick(first, cannot).stdout.strip() == "/opt/a/python3"  # no venv there
    assert _pick(cannot, faster).stdout.strip() == "/opt/b/python3.11"  # python3 cannot: the one that can
    assert _pick(cannot).stdout.strip() == "python3"  # none can: making the venv says why
    newer = _fake_python(tmp_path, "python3.14", "/opt/e/python3.14 1 0.001 3.14.0")
    assert _pick(first, newer).stdout.strip() == "/opt/a/python3"  # never newer than python3
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "PYTHON ?= $(shell python3 tools/pick-python.py || echo python3)" in makefile


def test_the_picker_takes_the_oldest_python_from_pyproject() -> None:
    """The oldest Python the project runs on is decided once, in pyproject.toml."""
    picker = runpy.run_path(str(ROOT / "tools" / "pick-python.py"))
    oldest = ".".join(map(str, picker["oldest"]()))
    assert PYPROJECT["project"]["requires-python"] == f">={oldest}"


def test_the_interpreter_chosen_here_can_make_the_venv() -> None:
    """On this machine the picker names a real interpreter of 3.11 or newer."""
    chosen = _pick().stdout.strip()
    version = subprocess.run(
        [chosen, "-c", "import sys, venv; print(sys.version_info >= (3, 11))"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert version.stdout.strip() == "True"
