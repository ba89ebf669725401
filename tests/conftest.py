"""Fixtures: settings and a warehouse on a temporary DuckDB file, files written in code;
headless Chromium with the network off (helpers in tests/browser.py); one local Spark
session for the tests marked spark."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml
from playwright.sync_api import Browser, sync_playwright

from attribution.config import Settings, SparkSettings, load_settings
from attribution.engine import spark
from attribution.service.pipeline import Pipeline

from .browser import BrowserPage, launch_chromium, offline_page, output_dir_for

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

MakeSettings = Callable[..., Settings]


@pytest.fixture
def make_settings(tmp_path: Path) -> MakeSettings:
    """Settings from a config file in tmp_path: sections given as keyword dicts."""

    def make(**sections: dict[str, Any]) -> Settings:
        data: dict[str, Any] = {"warehouse": {"path": str(tmp_path / "wh.duckdb")}}
        for name, values in sections.items():
            data.setdefault(name, {}).update(values)
        path = tmp_path / "config.yaml"
        path.write_text(yaml.safe_dump(data), encoding="utf-8")
        return load_settings(path, environ={})

    return make


@pytest.fixture
def settings(make_settings: MakeSettings) -> Settings:
    return make_settings()


@pytest.fixture
def pipe(settings: Settings) -> Iterator[Pipeline]:
    with Pipeline.open(settings) as p:
        yield p


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def count(p: Pipeline, table: str) -> int:
    row = p.warehouse.con.execute(f"SELECT count(*) FROM {table}").fetchone()
    assert row is not None
    return int(row[0])


@pytest.fixture(scope="session")
def chromium_browser() -> Iterator[Browser]:
    """Debian's headless Chromium via Playwright, one per session; fails if it is missing."""
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def browser_page(chromium_browser: Browser) -> Iterator[BrowserPage]:
    """A fresh page, network off: see tests/browser.py for what is allowed and recorded."""
    with offline_page(chromium_browser) as page:
        yield page


@pytest.fixture
def output_dir(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """Per-test folder for screenshots: $ATTRIBUTION_TEST_OUTPUT/<test name>/ or tmp_path."""
    return output_dir_for(request.node.name, tmp_path)


@pytest.fixture(scope="session")
def spark_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SparkSession]:
    """One local Spark session (local[2], UI off, UTC) for the whole test run; fails if PySpark
    or Java is missing. SPARK_LOCAL_IP is set before the JVM starts (attribution.engine.spark)."""
    folder = tmp_path_factory.mktemp("spark")
    conf = {
        "spark.sql.shuffle.partitions": "4",
        "spark.driver.memory": "2g",
        "spark.sql.warehouse.dir": str(folder / "warehouse"),
        "spark.local.dir": str(folder / "scratch"),
    }
    session = spark.session(SparkSettings(master="local[2]", conf=conf), "attribution-tests")
    try:
        yield session
    finally:
        session.stop()
