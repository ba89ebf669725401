"""Fixtures: settings and a warehouse on a temporary DuckDB file, files written in code;
headless Chromium with the network off (helpers in tests/browser.py); one local Spark
session for the tests marked spark.

Speed (see the Makefile's `unit` and `test`): the suite runs on pytest-xdist workers with
``--dist loadgroup``; the modules of WORKER_GROUPS keep their tests on one worker, so one
worker starts the JVM, one starts Chromium. Playwright and PySpark are imported inside their
fixtures, so a run without those tests does not pay for the imports. Warehouse fixtures copy
one migrated, closed warehouse file (made once per worker) instead of running every migration
again (`migrated`)."""

from __future__ import annotations

import csv
import shutil
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from attribution.config import Settings, SparkSettings, load_settings
from attribution.service.pipeline import Pipeline
from attribution.warehouse.connection import Warehouse

from .browser import BrowserPage, launch_chromium, offline_page, output_dir_for

if TYPE_CHECKING:
    from fastapi.testclient import TestClient
    from playwright.sync_api import Browser
    from pyspark.sql import SparkSession

MakeSettings = Callable[..., Settings]
Migrated = Callable[[Settings], Settings]
Served = tuple["TestClient", Pipeline, dict[str, str]]

# The test JVMs (Spark session, Spark Connect server) live a few minutes: the C1 JIT alone and
# the serial GC halve their CPU time (C2 compiles cost more than they save in so short a run),
# leaving the other xdist worker its core. Options of the JVM only: the plans and results are
# Spark's own.
SPARK_TEST_JVM = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
# -- pytest-xdist: which tests share a worker ------------------------------------------------
#
# Modules whose tests run together on one xdist worker, each group as one unit of work: they
# share a fixture that is costly to build on every worker (a JVM, a Chromium, a served app,
# charts rendered once, a wheel built from the checkout). Groups are scheduled first, in this
# order (Spark takes longest); every other test is scheduled on its own. Modules are named as
# in node ids (from the rootdir).
WORKER_GROUPS = {
    "tests/test_spark.py": "spark",  # spark_session (a JVM), the seeded warehouse
    "tests/test_admin_browser.py": "browser",  # chromium_browser, a served admin app
    "tests/test_report_browser.py": "browser",
    "tests/test_browser_fixture.py": "browser",
    "tests/test_api_docs_browser.py": "browser",  # and a served app
    "tests/test_report_widths.py": "browser",  # and the demo's report, built once
    "tests/test_mailer.py": "mailer",  # charts rendered by kaleido's Chromium
    "tests/test_wheel.py": "wheel",  # one wheel build in the checkout at a time
    "tests/test_api_server.py": "api_server",  # a real `attribution serve`
    "tests/test_api_reports.py": "api_reports",  # a built report
    "tests/test_api_hardening.py": "api_hardening",  # a real `attribution serve`
    "tests/test_cli_width.py": "cli_width",  # a demo folder with a snapshot and job runs
}


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """`--dist loadgroup` with the groups of WORKER_GROUPS, scheduled first.

    xdist's own loadgroup reads `xdist_group` marks through node ids it rewrites, which pytest
    9.2 no longer allows (pytest-dev/pytest-xdist#1386: the marks are silently ignored), and
    the scheduler only sees node ids; so the groups are given here by module. Tests that do
    get an ``@name`` suffix (a working `xdist_group` mark) are still grouped by it."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling  # type: ignore[import-untyped]

    order = list(dict.fromkeys(WORKER_GROUPS.values()))

    class GroupScheduling(LoadGroupScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            scope: str = super()._split_scope(nodeid)
            if scope != nodeid:
                return scope
            return WORKER_GROUPS.get(nodeid.split("::", 1)[0], nodeid)

        def _assign_work_unit(self, node: Any) -> None:
            for group in reversed(order):  # the groups ahead of single tests, Spark first
                if group in self.workqueue:
                    self.workqueue.move_to_end(group, last=False)
            super()._assign_work_unit(node)

    return GroupScheduling(config, log)


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
def served(settings: Settings, migrated: Migrated) -> Iterator[Served]:
    """The API in process (FastAPI's test client) over a migrated warehouse, the pipeline
    behind it, and the header of a token with every capability."""
    from fastapi.testclient import TestClient

    from attribution.api import create_app
    from attribution.registry.tokens import create_token

    with Pipeline.open(migrated(settings)) as pipe:
        token, _ = create_token(pipe.warehouse, name="all")
        yield TestClient(create_app(pipe)), pipe, {"authtoken": token}


@pytest.fixture(scope="session")
def migrated_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse file with every migration applied, closed (no WAL left): made once per
    session (per xdist worker), copied by `migrated` for each test."""
    path = tmp_path_factory.mktemp("template") / "migrated.duckdb"
    Warehouse.open_path(path).close()
    assert not path.with_name(path.name + ".wal").exists(), "the template must be checkpointed"
    return path


@pytest.fixture
def migrated(migrated_warehouse: Path) -> Migrated:
    """migrated(settings): place a copy of the migrated template at the settings' warehouse
    path (unless a file is there already) and return the settings. Opening it then checks the
    migrations' checksums and applies none, as it would on any up-to-date warehouse."""

    def place(settings: Settings) -> Settings:
        path = settings.resolve(settings.warehouse.path)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(migrated_warehouse, path)
        return settings

    return place


@pytest.fixture
def pipe(settings: Settings, migrated: Migrated) -> Iterator[Pipeline]:
    with Pipeline.open(migrated(settings)) as p:
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
    from playwright.sync_api import sync_playwright

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
    from attribution.engine import spark

    folder = tmp_path_factory.mktemp("spark")
    conf = {
        "spark.sql.shuffle.partitions": "4",
        "spark.driver.memory": "2g",
        "spark.driver.extraJavaOptions": SPARK_TEST_JVM,
        "spark.sql.warehouse.dir": str(folder / "warehouse"),
        "spark.local.dir": str(folder / "scratch"),
    }
    session = spark.session(SparkSettings(master="local[2]", conf=conf), "attribution-tests")
    try:
        yield session
    finally:
        session.stop()
