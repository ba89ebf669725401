"""The package as users install it: the wheel carries the SQL, templates and default config;
installed into a fresh venv, `attribution init` and `attribution demo` in an empty folder work
and write only under that folder."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent  # the repository

pytestmark = pytest.mark.slow
BUILD = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]


def files_under(folder: Path) -> set[Path]:
    return {p.relative_to(folder) for p in folder.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built from the checkout with the project's build backend (hatchling)."""
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [*BUILD, "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("attribution-*.whl")
    return built


def test_the_wheel_ships_every_statement_template_and_the_default_config(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder in ("sql", "reports"):
        for path in (ROOT / folder).rglob("*"):
            if path.is_file():
                assert f"attribution/{path.relative_to(ROOT).as_posix()}" in names, path
    assert "attribution/config.yaml" in names
    assert not any(n.startswith(("tests/", "benchmarks/")) for n in names)


def test_a_fresh_venv_runs_init_and_demo_in_an_empty_folder(wheel: Path, tmp_path: Path) -> None:
    """The wheel into a new venv (its dependencies taken from this environment's installed
    ones, then checked with `pip check`), run from an empty folder far from the checkout."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # The dependencies: this environment's site-packages, appended after the venv's own (a
    # path in a .pth file is added as it is: the checkout's editable .pth there is not read).
    (Path(site) / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
        check=True,
        capture_output=True,
    )
    checked = subprocess.run(
        [str(python), "-m", "pip", "check"], capture_output=True, text=True, check=False
    )
    assert "attribution" not in checked.stdout, checked.stdout  # every dependency is there

    work = tmp_path / "work"
    work.mkdir()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("ATTRIBUTION_") and k not in ("PYTHONPATH", "PYTHONHOME")
    }
    env |= {"ATTRIBUTION_DEMO__LEADS": "1500", "ATTRIBUTION_DEMO__WEEKS": "4", "HOME": str(work)}
    before = files_under(ROOT / "data") if (ROOT / "data").is_dir() else set()
    command = venv / "bin" / "attribution"
    where = subprocess.run(
        [str(python), "-c", "import attribution.resources as r; print(r.SQL_DIR)"],
        cwd=work,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    assert Path(where).is_relative_to(venv), where  # the wheel's own statements

    init = subprocess.run([str(command), "init"], cwd=work, env=env, capture_output=True, text=True)
    assert init.returncode == 0, init.stderr
    assert "wrote a starter config" in init.stdout
    assert (work / "config.yaml").is_file()
    assert (work / "data" / "attribution.duckdb").is_file()

    demo = subprocess.run(
        [str(command), "demo", "--as-of", "2026-11-23"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
    )
    assert demo.returncode == 0, demo.stderr
    reports = list((work / "data" / "demo" / "reports").glob("*/index.html"))
    assert len(reports) == 1
    assert "<html" in reports[0].read_text(encoding="utf-8").lower()
    assert (work / "data" / "demo" / "attribution.duckdb").is_file()
    written = files_under(work)
    assert all(p.parts[0] in ("config.yaml", "data") for p in written), sorted(written)
    after = files_under(ROOT / "data") if (ROOT / "data").is_dir() else set()
    assert after == before  # nothing written into the checkout
