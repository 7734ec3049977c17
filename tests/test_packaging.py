"""How the project is packaged and set up: a name of its own on the package index, metadata
setuptools takes without deprecation warnings, and `make build` saying each thing once."""

from __future__ import annotations

import re
import tomllib

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
