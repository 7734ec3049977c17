"""Delivery reads only what the build wrote: no module of newsletter/delivery/ imports a source."""

from __future__ import annotations

import ast
from pathlib import Path

import newsletter.delivery

DELIVERY = Path(newsletter.delivery.__file__).parent


def imported_modules(path: Path) -> set[str]:
    """Every module `path` imports, relative imports resolved against its package."""
    package = "newsletter.delivery"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_bytes(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def test_imported_modules_resolves_relative_imports(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("from ..sources import markdown\nfrom .send import x\nimport newsletter.sources.html\n")
    assert {"newsletter.sources.markdown", "newsletter.delivery.send", "newsletter.sources.html"} <= (
        imported_modules(module)
    )


def test_no_delivery_module_imports_from_sources() -> None:
    modules = sorted(DELIVERY.glob("*.py"))
    assert modules
    offenders = {
        path.name: sorted(m for m in imported_modules(path) if m.split(".")[:2] == ["newsletter", "sources"])
        for path in modules
    }
    assert {name: found for name, found in offenders.items() if found} == {}
