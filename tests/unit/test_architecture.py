"""Dependencies point inward: the domain is pure, the use cases know no adapter or entry point."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "carrefour"


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def modules(layer: str) -> list[Path]:
    return sorted((PACKAGE / layer).rglob("*.py"))


@pytest.mark.parametrize("path", modules("domain"), ids=lambda p: p.name)
def test_the_domain_uses_the_standard_library_and_itself_only(path: Path) -> None:
    outside = {
        name
        for name in imports_of(path)
        if name.split(".")[0] not in sys.stdlib_module_names
        and not name.startswith("carrefour.domain")
        and name != "__future__"
    }
    assert outside == set(), f"{path.name} imports {sorted(outside)}"


FORBIDDEN_IN_SERVICES = (
    "carrefour.adapters",
    "carrefour.api",
    "carrefour.cli",
    "carrefour.workers",
    "carrefour.bootstrap",
    "sqlalchemy",
    "fastapi",
    "httpx",
    "typer",
)


@pytest.mark.parametrize("path", modules("services"), ids=lambda p: p.name)
def test_the_use_cases_know_no_adapter_framework_or_entry_point(path: Path) -> None:
    bad = {n for n in imports_of(path) if n.startswith(FORBIDDEN_IN_SERVICES)}
    assert bad == set(), f"{path.name} imports {sorted(bad)}"


@pytest.mark.parametrize("path", modules("adapters"), ids=lambda p: p.name)
def test_the_adapters_know_no_entry_point(path: Path) -> None:
    bad = {
        n
        for n in imports_of(path)
        if n.startswith(("carrefour.api", "carrefour.cli", "carrefour.workers"))
    }
    assert bad == set(), f"{path.name} imports {sorted(bad)}"


def test_only_the_settings_module_reads_the_environment() -> None:
    readers = [
        path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*.py")
        if path.name != "config.py"  # the settings module itself
        if "os.environ" in path.read_text(encoding="utf-8")
        or "getenv(" in path.read_text(encoding="utf-8")
    ]
    assert readers == []
