"""Our MJML is valid for the reference compiler too (Node `mjml`, validationLevel "strict").

The build compiles with mjml-python (MRML, a Rust port), which accepts some things MJML does
not; validating every fixture issue's MJML with the reference keeps the templates portable.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from browser import require

from newsletter.config import load_config
from newsletter.outputs.email import render_mjml
from newsletter.sources.markdown import read_issue

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "email"
VALIDATOR = ROOT / "tools" / "mjml-validate.js"

pytestmark = pytest.mark.node


@pytest.fixture(scope="module")
def node() -> str:
    executable = shutil.which("node")
    require(executable is not None, "node")
    require((ROOT / "node_modules" / "mjml" / "package.json").exists(), "node_modules/mjml (npm ci)")
    assert executable is not None
    return executable


def validate(node: str, *files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [node, str(VALIDATOR), *map(str, files)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_every_fixture_issue_is_strictly_valid_mjml(node: str, tmp_path: Path) -> None:
    site = load_config(DATA / "newsletter.toml").site
    files = []
    for source in sorted(DATA.glob("*.md")):
        target = tmp_path / f"{source.stem}.mjml"
        target.write_text(render_mjml(site, read_issue(source), ROOT / "templates"), encoding="utf-8")
        files.append(target)
    assert len(files) >= 5
    result = validate(node, *files)
    assert result.returncode == 0, result.stderr


def test_validator_rejects_invalid_mjml_with_file_and_line(node: str) -> None:
    broken = DATA / "invalid-mj-text-in-section.mjml"
    result = validate(node, broken)
    assert result.returncode == 1
    assert f"{broken}:4: mj-text cannot be used inside mj-section" in result.stderr


def test_validator_without_files_is_a_usage_error(node: str) -> None:
    assert validate(node).returncode == 2
