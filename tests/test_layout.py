"""The house: packages by layer, and nothing reaches back up (adapters -> service ->
engine / reporting / registry / ingest -> warehouse); the models are pure."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "attribution"
ADAPTERS = {"cli", "api"}
# What each package may import from the others (besides config, errors, clock, resources).
ALLOWED: dict[str, set[str]] = {
    "models": set(),
    "warehouse": set(),
    "registry": {"warehouse", "reporting"},  # reporting: the CSV formula guard of exports
    "ingest": {"warehouse"},
    "engine": {"warehouse", "models"},
    "simulation": {"models"},  # simulated journeys and their truth: pure, beside the models
    "reporting": {"warehouse", "models", "engine"},  # a report makes its run
    "service": {
        "warehouse",
        "models",
        "engine",
        "reporting",
        "registry",
        "ingest",
        "simulation",
    },
}
TOP = {"config", "errors", "clock", "resources", "__version__"}


def imported_packages(path: Path) -> set[str]:
    """The attribution sub-packages and top-level modules a file imports from."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            parts = node.module.split(".")
            if parts[0] != "attribution":
                continue
            if len(parts) > 1:
                found.add(parts[1])
            else:
                found |= {alias.name for alias in node.names}
    return found


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_a_layer_imports_only_from_the_layers_below_it(package: str) -> None:
    for path in (PACKAGE / package).rglob("*.py"):
        reached = imported_packages(path) - TOP - {package} - ALLOWED[package]
        assert not reached, f"{path.relative_to(PACKAGE)} imports from {sorted(reached)}"


def test_every_module_lives_in_a_layer() -> None:
    flat = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert flat == [
        "__init__.py",
        "__main__.py",
        "clock.py",
        "config.py",
        "errors.py",
        "resources.py",
        "scheduler.py",  # the job stores' reference to the scheduler's entry point
    ]
    layers = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    assert layers == set(ALLOWED) | ADAPTERS


def test_the_models_and_the_config_load_no_warehouse_library() -> None:
    code = (
        "import sys, attribution.models, attribution.config\n"
        "print(sorted(m for m in ('duckdb', 'sqlalchemy', 'pyarrow', 'scipy', 'numpy') "
        "if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
