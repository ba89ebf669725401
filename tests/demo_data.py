"""A small demo warehouse with one stored run, built once per test session and shared by the
snapshot and `attribution sql` tests (copy it before writing to it)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from attribution.config import load_settings
from attribution.service.pipeline import run_demo

AS_OF = date(2026, 11, 25)


def build_demo(folder: Path, leads: int, weeks: int, *, intervals: bool = True) -> Path:
    """A demo warehouse of its own in `folder` (closed): `leads` leads over `weeks` weeks."""
    env = {
        "ATTRIBUTION_DEMO__OUTPUT_DIR": str(folder),
        "ATTRIBUTION_DEMO__LEADS": str(leads),
        "ATTRIBUTION_DEMO__WEEKS": str(weeks),
    }
    if not intervals:
        env["ATTRIBUTION_REPORTS__INTERVALS"] = "false"
    return run_demo(load_settings(environ=env), as_of=AS_OF).warehouse


def demo_warehouse(factory: pytest.TempPathFactory) -> Path:
    """The demo's warehouse file (closed): 400 leads over 3 weeks, the report's run stored."""
    folder = factory.getbasetemp() / "snapshot-demo"
    db = folder / "attribution.duckdb"
    if not db.is_file():
        env = {
            "ATTRIBUTION_DEMO__OUTPUT_DIR": str(folder),
            "ATTRIBUTION_DEMO__LEADS": "400",
            "ATTRIBUTION_DEMO__WEEKS": "3",
        }
        assert run_demo(load_settings(environ=env), as_of=AS_OF).warehouse == db
    return db
