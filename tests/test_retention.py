"""Retention (service.retention, `attribution prune`, the prune job step): the newest full
runs stay whole, older runs lose only their per-conversion rows, an old report's figures read
the same after its run is pruned, a dry run changes nothing, report folders, backups and job
history past their limits go, and nothing in use is pruned."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from attribution.cli import main
from attribution.config import Settings, load_settings
from attribution.engine.retention import PER_CONVERSION
from attribution.engine.runs import RunSpec
from attribution.errors import AttributionError, ConfigError
from attribution.reporting import metrics
from attribution.reporting.period import Period
from attribution.reporting.report import list_reports
from attribution.service.pipeline import Pipeline, run_demo
from attribution.service.scheduler import Jobs

AGGREGATES = (
    "channel_credits",
    "source_credits",
    "channel_day_credits",
    "run_lead_days",
    "run_spend_days",
)
MODELS = ("linear", "markov", "first_touch")
WEEKS = ("2026-W44", "2026-W45", "2026-W46")  # the demo's own report is of 2026-W47


@dataclass(frozen=True)
class Base:
    """A demo warehouse with four report runs (2026-W47 from the demo, then W44 to W46)."""

    db: Path
    reports: Path


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Base:
    folder = tmp_path_factory.mktemp("retention-demo")
    env = {
        "ATTRIBUTION_DEMO__OUTPUT_DIR": str(folder),
        "ATTRIBUTION_DEMO__LEADS": "900",
        "ATTRIBUTION_DEMO__WEEKS": "8",
        "ATTRIBUTION_REPORTS__MODELS": json.dumps(list(MODELS)),
        "ATTRIBUTION_REPORTS__PRIMARY_MODEL": "linear",
    }
    made = run_demo(load_settings(environ=env), as_of=date(2026, 11, 25))
    with Pipeline.open(load_settings(environ={**env, **_paths(made.warehouse, folder)})) as pipe:
        for week in WEEKS:
            pipe.report(pipe.report_spec(Period.week(week)))
    return Base(made.warehouse, folder / "reports")


def _paths(db: Path, folder: Path) -> dict[str, str]:
    return {
        "ATTRIBUTION_WAREHOUSE__PATH": str(db),
        "ATTRIBUTION_REPORTS__OUTPUT_DIR": str(folder / "reports"),
    }


def settings_for(
    tmp_path: Path, base: Base, sections: dict[str, Any] | None = None, **retention: Any
) -> Settings:
    """A config in tmp_path over a copy of the base warehouse and its reports: `retention`
    and any other `sections`."""
    db = tmp_path / "wh.duckdb"
    if not db.exists():
        shutil.copyfile(base.db, db)
        shutil.copytree(base.reports, tmp_path / "reports")
    data = {
        "warehouse": {"path": str(db)},
        "reports": {
            "output_dir": str(tmp_path / "reports"),
            "models": list(MODELS),
            "primary_model": "linear",
        },
        "retention": retention,
        **(sections or {}),
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return load_settings(path, environ={})


def counts(pipe: Pipeline, table: str) -> dict[int, int]:
    """Rows of a table per run."""
    rows = pipe.warehouse.con.execute(
        f"SELECT run_id, count(*) FROM {table} GROUP BY run_id"
    ).fetchall()
    return {int(r): int(n) for r, n in rows}


def reports_by_run(settings: Settings) -> dict[int, Period]:
    found = list_reports(settings.resolve(settings.reports.output_dir))
    return {
        int(m["run_id"]): Period(
            datetime.fromisoformat(m["period_start"]),
            datetime.fromisoformat(m["period_end"]),
            m["label"],
        )
        for m in found
    }


def answers(pipe: Pipeline, run_id: int, period: Period) -> tuple[Any, ...]:
    """What a report of the run shows: both periods' figures and the trend."""
    wh = pipe.warehouse
    return (
        metrics.figures(wh, run_id, period, MODELS, primary="linear"),
        metrics.figures(wh, run_id, period.previous(), MODELS, primary="linear"),
        metrics.weekly_trend(wh, run_id, period.weeks_back(8), period.end),
    )


# -- configuration -------------------------------------------------------------------------


def test_retention_defaults_suit_a_weekly_job() -> None:
    cfg = load_settings(environ={}).retention
    assert (cfg.full_runs, cfg.report_folders, cfg.job_history_days) == (13, 52, 365)
    assert cfg.backup_folders == []


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("FULL_RUNS", "0", "retention.full_runs"),
        ("REPORT_FOLDERS", "-1", "retention.report_folders"),
        ("JOB_HISTORY_DAYS", "many", "retention.job_history_days"),
        ("KEEP_RUNS", "3", "keep_runs"),
    ],
)
def test_bad_retention_settings_name_the_key(key: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(environ={f"ATTRIBUTION_RETENTION__{key}": value})


def test_a_prune_step_before_the_report_is_refused(tmp_path: Path) -> None:
    job = {"name": "weekly", "cron": "0 7 * * mon", "steps": ["prune", "report"]}
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"jobs": {"definitions": [job]}}), encoding="utf-8")
    with pytest.raises(ConfigError, match="prune must come after report"):
        load_settings(path, environ={})


# -- runs ----------------------------------------------------------------------------------


def test_prune_keeps_the_newest_full_runs_and_every_aggregate(tmp_path: Path, base: Base) -> None:
    settings = settings_for(tmp_path, base, full_runs=2)
    with Pipeline.open(settings) as pipe:
        before = {t: counts(pipe, t) for t in (*PER_CONVERSION, *AGGREGATES)}
        done = pipe.prune()
        after = {t: counts(pipe, t) for t in (*PER_CONVERSION, *AGGREGATES)}
        marked = dict(
            pipe.warehouse.con.execute("SELECT run_id, pruned_at FROM attribution_runs").fetchall()
        )
    # runs 1 (2026-W47, the demo's: the latest report) and 4 (newest) stay; 3 is the second
    # newest; so only run 2 goes
    assert [r.run_id for r in done.runs] == [2]
    assert done.runs[0].rows == {t: before[t].get(2, 0) for t in PER_CONVERSION}
    assert done.rows == sum(before[t].get(2, 0) for t in PER_CONVERSION) > 0
    for table in PER_CONVERSION:
        assert after[table] == {k: v for k, v in before[table].items() if k != 2}, table
    for table in AGGREGATES:
        assert after[table] == before[table], table
    assert marked[2] is not None and [marked[i] for i in (1, 3, 4)] == [None, None, None]
    with Pipeline.open(settings) as pipe:
        assert pipe.prune().runs == []  # pruned once only


def test_a_dry_run_changes_nothing_and_lists_what_prune_removes(tmp_path: Path, base: Base) -> None:
    settings = settings_for(tmp_path, base, full_runs=1, report_folders=2)
    db = settings.resolve(settings.warehouse.path)
    folders = sorted(p.name for p in (tmp_path / "reports").iterdir())
    with Pipeline.open(settings) as pipe:
        before = {t: counts(pipe, t) for t in PER_CONVERSION}
        dry = pipe.prune(dry_run=True)
        assert {t: counts(pipe, t) for t in PER_CONVERSION} == before
        assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == folders
        assert pipe.warehouse.scalar("retention/latest_report_run") == 4
        done = pipe.prune()
    assert dry.dry_run and not done.dry_run
    assert [r.run_id for r in dry.runs] == [r.run_id for r in done.runs] == [2, 3]
    assert dry.rows == done.rows > 0
    assert [f.path for f in dry.folders] == [f.path for f in done.folders]
    assert db.exists()


def test_an_old_reports_figures_are_unchanged_after_its_run_is_pruned(
    tmp_path: Path, base: Base
) -> None:
    settings = settings_for(tmp_path, base, full_runs=1)
    built = reports_by_run(settings)
    assert sorted(built) == [1, 2, 3, 4]
    with Pipeline.open(settings) as pipe:
        before = {run_id: answers(pipe, run_id, period) for run_id, period in built.items()}
        done = pipe.prune()
        assert [r.run_id for r in done.runs] == [2, 3]  # 1: the latest report's; 4: newest
        assert done.periods_kept == 4  # each pruned report's period and the previous one
        for run_id, period in built.items():
            assert answers(pipe, run_id, period) == before[run_id], run_id
        figures = before[2][0]
        assert figures.days_to_convert and figures.channels  # something real was compared
        assert any(r.converted_leads for r in figures.channels)
        assert figures.quality.journey_touches > 0
        with pytest.raises(AttributionError, match=r"run 2 was pruned on .* kept only for"):
            metrics.figures(pipe.warehouse, 2, Period.week("2026-W40"), MODELS)


def test_the_latest_report_and_a_run_being_stored_are_never_pruned(
    tmp_path: Path, base: Base
) -> None:
    settings = settings_for(tmp_path, base, full_runs=1)
    spec = RunSpec(start=datetime(2026, 10, 1), end=datetime(2026, 11, 23), models=MODELS)
    errors: list[BaseException] = []
    with Pipeline.open(settings) as pipe:
        pipe.attribute(spec)  # run 5: newer than every report
        stored: list[int] = []

        def store() -> None:
            try:
                stored.append(pipe.attribute(spec).run_id)
            except BaseException as exc:
                errors.append(exc)

        writer = threading.Thread(target=store)
        writer.start()
        done = pipe.prune()  # while run 6 is being stored
        writer.join()
        assert not errors
        after = counts(pipe, "run_conversion_ids")
        pruned = {r.run_id for r in done.runs} | {r.run_id for r in pipe.prune().runs}
    assert stored == [6]
    # kept: 1, the latest period's report (2026-W47), and 4, the report built last, though
    # runs 5 and 6 are newer; and 6, stored while prune ran
    assert pruned == {2, 3, 5}
    assert after[6] > 0


# -- folders and history ---------------------------------------------------------------------


def fake_backup(parent: Path, stem: str, when: str) -> Path:
    folder = parent / f"{stem}-{when}"
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text("{}", encoding="utf-8")
    (folder / "leads.parquet").write_bytes(b"x" * 1000)
    return folder


def test_report_folders_and_backups_past_their_limits_go(tmp_path: Path, base: Base) -> None:
    extra = tmp_path / "nightly"
    settings = settings_for(
        tmp_path, base, {"api": {"backups_keep": 2}}, report_folders=2, backup_folders=[str(extra)]
    )
    api = tmp_path / "backups"
    made = [fake_backup(api, "wh", f"2026110{d}T000000Z") for d in range(1, 5)]
    made += [fake_backup(api / "weekly", "wh", f"2026110{d}T000000Z") for d in range(1, 3)]
    made += [fake_backup(extra, "wh", f"2026110{d}T000000Z") for d in range(1, 4)]
    other = api / "notes"  # not a backup: left alone
    other.mkdir()
    with Pipeline.open(settings) as pipe:
        dry = pipe.prune(dry_run=True)
        assert all(p.exists() for p in made)
        done = pipe.prune()
    gone = {f.path for f in done.folders if f.kind == "backup"}
    assert (
        gone == {made[0], made[1], made[6]} == {f.path for f in dry.folders if f.kind == "backup"}
    )
    assert all(f.bytes >= 1000 for f in done.folders)
    assert [p.exists() for p in made] == [False, False, True, True, True, True, False, True, True]
    assert other.is_dir()
    left = sorted(p.name for p in (tmp_path / "reports").iterdir() if p.is_dir())
    assert left == ["2026-W46-run4", "2026-W47-run1"]  # the two latest periods
    index = (tmp_path / "reports" / "index.html").read_text(encoding="utf-8")
    assert "2026-W47-run1" in index and "2026-W44-run2" not in index


def test_job_history_past_its_days_goes_but_each_jobs_latest_run_stays(
    tmp_path: Path, base: Base
) -> None:
    settings = settings_for(tmp_path, base, job_history_days=30)
    now = datetime.now().replace(microsecond=0)
    rows = [  # job, days ago, status
        ("weekly", 100, "succeeded"),
        ("weekly", 40, "failed"),
        ("weekly", 2, "succeeded"),
        ("monthly", 90, "succeeded"),  # its only, so latest, run
        ("stuck", 60, "running"),
        ("stuck", 1, "running"),
    ]
    with Pipeline.open(settings) as pipe:
        for job, days, status in rows:
            at = now - timedelta(days=days)
            pipe.warehouse.con.execute(
                "INSERT INTO job_runs (job, scheduled_for, trigger, started_at, status, pid) "
                "VALUES (?, ?, 'manual', ?, ?, 1)",
                [job, at, at, status],
            )
        assert pipe.prune(dry_run=True).job_runs == 2
        assert pipe.prune().job_runs == 2
        left = pipe.warehouse.con.execute(
            "SELECT job, status FROM job_runs ORDER BY run_no"
        ).fetchall()
    assert left == [
        ("weekly", "succeeded"),
        ("monthly", "succeeded"),
        ("stuck", "running"),
        ("stuck", "running"),
    ]


def test_the_prune_job_step_runs_after_the_report_and_is_recorded(
    tmp_path: Path, base: Base
) -> None:
    job = {"name": "weekly", "cron": "0 7 * * mon", "steps": ["report", "prune"]}
    settings = settings_for(tmp_path, base, {"jobs": {"definitions": [job]}}, full_runs=1)
    with Pipeline.open(settings) as pipe:
        result = Jobs(pipe).run("weekly", scheduled_for=datetime(2026, 11, 23, 7, 0))
        recorded = json.loads(
            pipe.warehouse.con.execute("SELECT outputs FROM job_runs").fetchall()[0][0]
        )
    assert result.status == "succeeded", result.error
    report_run = result.outputs["report"]["run_id"]
    assert report_run == 5
    assert recorded["prune"]["runs"] == [1, 2, 3, 4]  # all but the report just built
    assert recorded["prune"]["rows"] > 0


# -- the command -----------------------------------------------------------------------------


def test_the_command_prints_what_would_go_within_80_columns(tmp_path: Path, base: Base) -> None:
    settings = settings_for(tmp_path, base, full_runs=1, report_folders=3)
    config = str(tmp_path / "config.yaml")
    runner = CliRunner()
    dry = runner.invoke(main, ["--config", config, "prune", "--dry-run"], env={"COLUMNS": "80"})
    assert dry.exit_code == 0, dry.output
    lines = dry.output.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert lines[0] == "Runs to prune (dry run)"
    assert "runs: 2 would be pruned" in dry.output
    assert "2026-W44-run2" in dry.output and "folders: 1 would be removed" in dry.output
    with Pipeline.open(settings) as pipe:
        assert counts(pipe, "run_conversion_ids").keys() == {1, 2, 3, 4}
    done = runner.invoke(main, ["--config", config, "prune", "--json"])
    assert done.exit_code == 0, done.output
    body = json.loads(done.output)
    assert [r["run_id"] for r in body["runs"]] == [2, 3]
    assert body["periods_kept"] == 4 and body["dry_run"] is False
    assert body["file_bytes_after"] > 0


def test_the_command_while_the_service_holds_the_file_points_to_a_job_step(
    tmp_path: Path, base: Base
) -> None:
    settings_for(tmp_path, base)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('held', flush=True); "
            "sys.stdin.readline()",
            str(tmp_path / "wh.duckdb"),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        config = str(tmp_path / "config.yaml")
        result = CliRunner().invoke(main, ["--config", config, "prune", "--dry-run"])
    finally:
        holder.communicate("done\n", timeout=30)
    assert result.exit_code == 3
    assert f"in use by process {holder.pid}" in result.output
    assert "add `prune` to its steps" in result.output and "Traceback" not in result.output


def test_compact_shrinks_the_file_and_keeps_every_row_sequence_and_figure(
    tmp_path: Path, base: Base
) -> None:
    settings = settings_for(tmp_path, base, full_runs=1)
    db = settings.resolve(settings.warehouse.path)
    tables = "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()"

    def everything(pipe: Pipeline) -> dict[str, list[str]]:
        """Every table's rows, as sortable text."""
        names = [str(t) for (t,) in pipe.warehouse.con.execute(tables).fetchall()]
        con = pipe.warehouse.con
        return {t: sorted(repr(row) for row in con.execute(f"FROM {t}").fetchall()) for t in names}

    with Pipeline.open(settings) as pipe:
        pipe.prune()
        rows = everything(pipe)
        before = answers(pipe, 2, reports_by_run(settings)[2])
    config = str(tmp_path / "config.yaml")
    result = CliRunner().invoke(main, ["--config", config, "prune", "--compact"])
    assert result.exit_code == 0, result.output
    assert "compacted: the warehouse file is" in result.output
    sizes = re.search(r"is ([\d.]+) MB \(was ([\d.]+) MB\)", result.output)
    assert sizes and float(sizes[1]) < float(sizes[2])
    assert not db.with_name(db.name + ".compact").exists()
    with Pipeline.open(settings) as pipe:
        assert everything(pipe) == rows
        assert answers(pipe, 2, reports_by_run(settings)[2]) == before
        next_run = pipe.attribute(
            RunSpec(start=datetime(2026, 11, 2), end=datetime(2026, 11, 23), models=MODELS)
        )
    assert next_run.run_id == 5  # the sequence carried on
