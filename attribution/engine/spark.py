"""The Spark engine: a session (local, a master URL or Spark Connect), the warehouse's data as
Parquet for it, and a run whose results come back into the warehouse as a normal run.

PySpark is imported only here and only when the Spark engine is used; a missing PySpark or Java
is a clear error, not a stack trace."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Final
from urllib.parse import urlsplit

from attribution.config import Settings, SparkSettings
from attribution.engine import channels, sparkjvm, sqlrun
from attribution.engine.runs import RunSpec
from attribution.engine.sqlengine import DuckDBEngine, SparkEngine
from attribution.errors import AttributionError, first_line
from attribution.warehouse.connection import Warehouse
from attribution.warehouse.statements import fill, quote_ident

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

# The warehouse tables Spark reads as Parquet; the registry and channel rules are sent along.
LAKE_TABLES: Final = ("touches", "leads", "revenue_events", "spend")
# The columns of each that a run reads, which an export writes (None: all of them).
LAKE_COLUMNS: Final[dict[str, tuple[str, ...] | None]] = {
    "touches": (
        "lead_id",
        "lead_no",
        "occurred_at",
        "channel",
        "source_id",
        "utm_source",
        "utm_medium",
        "utm_campaign",
        "batch_id",
        "row_number",
    ),
    "leads": (
        "lead_id",
        "lead_no",
        "created_at",
        "source_id",
        "utm_source",
        "utm_medium",
        "utm_campaign",
        "junk",
        "batch_id",
        "row_number",
    ),
    "revenue_events": ("event_id", "lead_id", "lead_no", "occurred_at", "amount", "kind"),
    "spend": None,
}
_SERVER_SIDE: Final = ("spark.driver.", "spark.executor.", "spark.master")
_DEFAULTS: Final = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.session.timeZone": "UTC",  # timestamps are plain UTC on both engines
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.ansi.enabled": "true",
    # Adaptive execution: shuffles coalesced to the data's size once a stage has run, and a
    # sort-merge join turned into a broadcast one when one side turns out small (the rule and
    # channel tables a run joins are a few rows; their size is only known at run time).
    "spark.sql.adaptive.enabled": "true",
    "spark.sql.adaptive.coalescePartitions.enabled": "true",
    "spark.sql.adaptive.localShuffleReader.enabled": "true",
    "spark.sql.adaptive.skewJoin.enabled": "true",
    # Tables under this size are broadcast, not shuffled: the registry, the channel rules, the
    # run's channels and kinds, and the shares the models send back (a few MB at most).
    "spark.sql.autoBroadcastJoinThreshold": "32MB",
    # A join of two large sides builds a hash table of the smaller side's partition instead of
    # sorting both sides: the journeys' windows sort the rows afterwards anyway.
    "spark.sql.join.preferSortMergeJoin": "false",
    # Compiled code of each plan's stages, kept for the session's next plans: a run's statements
    # generate more classes than Spark's default 100, so a long-lived session compiled most of
    # them again on every run (Janino, about 5 % of a warm run's JVM CPU).
    "spark.sql.codegen.cache.maxEntries": "2000",
    # Statements that run beside the others (SqlEngine.soon) share the cores with the ones the
    # run waits for, pool by pool, instead of queueing first come, first served.
    "spark.scheduler.mode": "FAIR",
}
# A local session's JVM runs one run's work and is often started for it: the quick (C1) JIT
# compiler alone and the serial collector spent about a third less JVM CPU on a run of 1 M
# journeys on local[2] than the defaults (their optimising compiler and parallel collector
# threads compete with the work for the same cores), and less in a warm session too.
_LOCAL_JVM: Final = {"spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"}
# Shuffle checksums let a cluster tell a corrupt or non-deterministic shuffle file from a good
# one when it retries a stage; one machine's shuffle files never cross a network, and the two
# checksums (per partition and per row) were about 2 % of a run's JVM CPU.
_LOCAL_SHUFFLE: Final = {
    "spark.shuffle.checksum.enabled": "false",
    "spark.sql.shuffle.orderIndependentChecksum.enabled": "false",
}


def session(
    settings: SparkSettings, app_name: str = "attribution", archive_dir: Path | None = None
) -> SparkSession:
    """A Spark session: Spark Connect when `remote` is set, else a classic one on `master`
    (local[N] starts Spark inside this machine's JVM; Java 17 must be installed), whose JVM
    shares the class archive in archive_dir (engine/sparkjvm.py), if given."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise AttributionError(
            "the Spark engine needs PySpark: pip install 'pyspark>=4.0' (make setup does)"
        ) from None
    builder = SparkSession.builder.appName(app_name)
    if settings.remote:
        _reachable(settings.remote)
        builder = builder.remote(settings.remote)
    else:
        if settings.master.startswith("local") and shutil.which("java") is None:
            raise AttributionError(
                "a local Spark session needs Java 17: apt-get install openjdk-17-jre-headless "
                "(make setup installs it)"
            )
        # Spark binds to the host's name otherwise; a reverse lookup may hang or fail here.
        if settings.master.startswith("local"):
            os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        builder = builder.master(settings.master)
        is_local = settings.master.startswith("local")
        local = {**_LOCAL_JVM, **_LOCAL_SHUFFLE} if is_local else {}
        if local and archive_dir is not None:
            extra = sparkjvm.archive_options(archive_dir)
            key = "spark.driver.extraJavaOptions"
            local[key] = f"{local[key]} {extra}".strip()
        for key, value in {**_DEFAULTS, **local}.items():
            builder = builder.config(key, value)
    for key, given in settings.conf.items():
        if settings.remote and key.startswith(_SERVER_SIDE):
            continue  # the Spark Connect server's own, set where it starts
        text = str(given).lower() if isinstance(given, bool) else str(given)
        builder = builder.config(key, text)
    try:
        spark = builder.getOrCreate()
    except Exception as exc:  # Py4J / Spark Connect errors
        where = settings.remote or settings.master
        raise AttributionError(
            f"could not start a Spark session on {where}: {first_line(exc)}"
        ) from exc
    if settings.remote:
        spark.conf.set("spark.sql.session.timeZone", "UTC")
    else:
        spark.sparkContext.setLogLevel("ERROR")
    return spark


def _reachable(url: str, timeout: float = 10.0) -> None:
    """Fail fast when a Spark Connect server does not answer (the client retries for minutes)."""
    parsed = urlsplit(url)
    if parsed.scheme != "sc" or not parsed.hostname:
        raise AttributionError(
            f"spark.remote {url!r} is not a Spark Connect URL like sc://host:15002"
        )
    port = parsed.port or 15002
    try:
        socket.create_connection((parsed.hostname, port), timeout=timeout).close()
    except OSError as exc:
        raise AttributionError(
            f"no Spark Connect server answers at {parsed.hostname}:{port} ({exc.strerror or exc}); "
            "start it, or check spark.remote"
        ) from None


def export_lake(wh: Warehouse, folder: Path, progress: Callable[[str], None] | None = None) -> Path:
    """Write the columns a run reads of the warehouse's touches, leads, revenue_events and
    spend to folder/<table>.parquet (each file replaced whole: written aside, then renamed),
    unless the file there is the export of the same rows (its fingerprint, kept beside it)."""
    folder.mkdir(parents=True, exist_ok=True)
    for table in LAKE_TABLES:
        final = folder / f"{table}.parquet"
        names = LAKE_COLUMNS[table]
        columns = "*" if names is None else ", ".join(quote_ident(c) for c in names)
        sql = fill("lake/fingerprint", table=quote_ident(table), columns=columns)
        rows = wh.arrow_text(sql, name="lake/fingerprint").to_pylist()[0]
        now = json.dumps({"columns": columns, **rows}, sort_keys=True)
        kept = folder / f".{table}.parquet.fingerprint"
        if _exported(final, kept) == now:
            continue  # unchanged since its export: a run reads the file as it is
        if progress:
            progress(f"exporting {table} to Parquet")
        partial = folder / f".{table}.parquet.partial"
        sql = fill("lake/export", table=quote_ident(table), columns=columns)
        wh.execute_text(sql, {"path": str(partial)}, name="lake/export")
        kept.unlink(missing_ok=True)
        partial.replace(final)
        stat = final.stat()
        kept.write_text(f"{stat.st_size} {stat.st_mtime_ns}\n{now}")
    return folder


def _exported(final: Path, kept: Path) -> str | None:
    """The fingerprint of the rows in an exported file, if the file is the one written then."""
    try:
        stamp, rows = kept.read_text().split("\n", 1)
        stat = final.stat()
    except (OSError, ValueError):
        return None
    return rows if stamp == f"{stat.st_size} {stat.st_mtime_ns}" else None


def lake_paths(lake: str) -> dict[str, str]:
    """Where each lake table is: <lake>/<table>.parquet, else the folder <lake>/<table>; a URI
    (s3a://, hdfs://, ...) is taken as given, a local path must exist."""
    found: dict[str, str] = {}
    for table in LAKE_TABLES:
        if "://" in lake:
            found[table] = f"{lake.rstrip('/')}/{table}"
            continue
        for candidate in (Path(lake) / f"{table}.parquet", Path(lake) / table):
            if candidate.exists():
                found[table] = str(candidate)
                break
        else:
            raise AttributionError(
                f"spark.lake_path {lake} has no {table}.parquet or {table}/ folder; export the "
                "warehouse's tables there (leave spark.lake_path empty to export each run)"
            )
    return found


def load_inputs(engine: SparkEngine, wh: Warehouse, lake: dict[str, str]) -> None:
    """Name the lake's tables, the registry and the channel rules on the Spark session."""
    for table, path in lake.items():
        engine.read_parquet(table, path)
    if not channels.rules_loaded(wh):
        channels.load_default_rules(wh)
    engine.register("lead_sources", wh.arrow("lake/lead_sources"))
    engine.register("channel_rules", wh.arrow("lake/channel_rules"))


def archive_dir(settings: Settings) -> Path:
    """Where a local Spark JVM's class archive is kept: beside the export folder."""
    return settings.resolve(settings.spark.export_dir).parent


@contextmanager
def spark_engine(settings: Settings, spark: SparkSession | None = None) -> Iterator[SparkEngine]:
    """A SparkEngine on the given session, else on this process's active one, else on a new
    one, stopped afterwards."""
    if spark is None and not settings.spark.remote:
        from pyspark.sql import SparkSession

        spark = SparkSession.getActiveSession()
    own = spark is None
    live = (
        spark if spark is not None else session(settings.spark, archive_dir=archive_dir(settings))
    )
    engine = SparkEngine(live)
    try:
        yield engine
    finally:
        engine.close()
        if own:
            live.stop()


def run(
    wh: Warehouse,
    settings: Settings,
    spec: RunSpec,
    *,
    spark: SparkSession | None = None,
    progress: Callable[[str], None] | None = None,
) -> sqlrun.StoredRun:
    """A run on Spark, stored in the warehouse like any other (engine 'spark')."""
    started = time.perf_counter()
    say = progress or (lambda _: None)
    sqlrun.check(spec)
    if spark is None and settings.spark.remote:
        _reachable(settings.spark.remote)  # before exporting anything
    lake = settings.spark.lake_path
    with wh.cursor() as cur:
        if not lake:
            lake = str(export_lake(cur, settings.resolve(settings.spark.export_dir), say))
        elif "://" not in lake:
            lake = str(settings.resolve(Path(lake)))
        say("starting Spark" if spark is None else "using the Spark session")
        mapper = DuckDBEngine(cur)  # the rules, on the distinct mapping keys
        with spark_engine(settings, spark) as engine, contextlib.closing(mapper):
            load_inputs(engine, cur, lake_paths(lake))
            say("journeys on Spark")
            found = sqlrun.journeys(engine, spec, mapper)
            say(f"{found.converting:,} converting journeys; models on Spark")
            result = sqlrun.run_models(engine, spec, found)
            say("storing the run")
            return sqlrun.store(cur, engine, spec, result, started, "spark")
