"""Scheduled jobs: config checks, manual and scheduled runs recorded, a period with no data
skipped, restarts neither lose nor double a run (a real `attribution jobs daemon` process,
killed and started again)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml
from click.testing import CliRunner

from attribution import clock
from attribution.cli import main
from attribution.config import Settings, load_settings
from attribution.errors import ConfigError, ConflictError, NotFoundError
from attribution.reporting.period import Period
from attribution.service.pipeline import Pipeline, run_demo
from attribution.service.scheduler import Jobs, history, latest_fire, period_of

from .conftest import write_csv

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("jobs-demo")
    env = {
        "ATTRIBUTION_DEMO__OUTPUT_DIR": str(folder),
        "ATTRIBUTION_DEMO__LEADS": "800",
        "ATTRIBUTION_DEMO__WEEKS": "4",
    }
    return run_demo(load_settings(environ=env), as_of=date(2026, 11, 25)).warehouse


def config(tmp_path: Path, demo_db: Path, jobs: list[dict[str, Any]], **extra: Any) -> Path:
    """A config file in tmp_path over a copy of the demo warehouse."""
    db = tmp_path / "wh.duckdb"
    if not db.exists():
        db.write_bytes(demo_db.read_bytes())
    data = {
        "warehouse": {"path": str(db)},
        "reports": {"output_dir": str(tmp_path / "reports"), "models": ["linear", "markov"]},
        "jobs": {"retry_backoff_seconds": 0, "definitions": jobs, **extra},
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def lead_in_the_current_period(settings: Settings, folder: Path) -> None:
    """One lead in the period a job fired now covers (the demo's data ends in 2026-W47), so
    that its run is not skipped for want of data."""
    period = period_of(settings.jobs.definitions[0], clock.utc_now())
    created = (period.start + timedelta(hours=12)).isoformat() + "Z"
    path = write_csv(folder / "now.csv", ["lead_id", "created_at"], [["NOW-1", created]])
    with Pipeline.open(settings) as pipe:
        pipe.ingest("leads", path)


@pytest.mark.parametrize(
    ("job", "message"),
    [
        ({"cron": "0 7 * * funday", "steps": ["run"]}, "jobs.definitions[0] ('weekly'): cron"),
        ({"cron": "0 7 * * mon", "steps": ["run", "dance"]}, "steps: unknown dance"),
        ({"cron": "0 7 * * mon", "steps": ["ingest"]}, "drop_folder is needed"),
        ({"cron": "0 7 * * mon", "steps": ["report", "email"]}, "recipients are needed"),
        (
            {"cron": "0 7 * * mon", "steps": ["email", "report"], "recipients": ["a@b"]},
            "report must come before",
        ),
        (
            {"cron": "0 7 * * mon", "steps": ["run"], "timezone": "Mars/Olympus"},
            "timezone 'Mars/Olympus'",
        ),
        ({"steps": ["run"]}, "jobs.definitions[0] ('weekly').cron is required"),
        ({"cron": "0 7 * * mon", "steps": ["run"], "colour": "red"}, "unknown key"),
    ],
)
def test_a_bad_job_stops_start_up_naming_the_job_and_key(
    tmp_path: Path, job: dict[str, Any], message: str
) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"jobs": {"definitions": [{"name": "weekly", **job}]}}))
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})
    assert message in str(caught.value)
    result = CliRunner().invoke(main, ["--config", str(path), "jobs", "list"])
    assert result.exit_code == 2 and message in result.output
    assert "Traceback" not in result.output


def test_two_jobs_with_one_name_are_refused(tmp_path: Path) -> None:
    job = {"name": "a", "cron": "0 7 * * mon", "steps": ["run"]}
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"jobs": {"definitions": [job, job]}}))
    with pytest.raises(ConfigError, match="name is used by another job"):
        load_settings(path, environ={})


def test_periods_and_fire_times() -> None:
    weekly = (
        load_settings(environ={})
        .jobs.model_validate(
            {
                "definitions": [
                    {
                        "name": "w",
                        "cron": "0 7 * * mon",
                        "timezone": "Europe/Bucharest",
                        "steps": ["run"],
                    }
                ]
            }
        )
        .definitions[0]
    )
    # Monday 2026-11-30 05:00 UTC is 07:00 in Bucharest: the last complete week is W48.
    assert period_of(weekly, datetime(2026, 11, 30, 5, 0)) == Period.week("2026-W48")
    daily = weekly.model_copy(update={"period": "yesterday"})
    assert period_of(daily, datetime(2026, 11, 30, 5, 0)).label == "2026-11-29 to 2026-11-29"
    from zoneinfo import ZoneInfo

    from attribution.config import cron_trigger

    trigger = cron_trigger("0 7 * * mon", ZoneInfo("Europe/Bucharest"))
    now = datetime(2026, 11, 30, 6, 30)
    assert latest_fire(trigger, now, timedelta(hours=2)) == datetime(2026, 11, 30, 5, 0)
    assert latest_fire(trigger, now, timedelta(minutes=10)) is None


def test_a_manual_run_is_recorded_with_its_outputs(tmp_path: Path, demo_db: Path) -> None:
    job = {"name": "weekly", "cron": "0 7 * * mon", "steps": ["run", "report"]}
    settings = load_settings(config(tmp_path, demo_db, [job]), environ={})
    with Pipeline.open(settings) as pipe:
        jobs = Jobs(pipe)
        result = jobs.run("weekly", scheduled_for=datetime(2026, 11, 23, 7, 0))
        assert result.status == "succeeded", result.error
        assert result.outputs["report"]["period"] == "2026-W47"
        assert Path(result.outputs["report"]["folder"], "index.html").is_file()
        assert result.outputs["run"]["period"] == "2026-W47"
        rows = history(pipe, "weekly")
        with pytest.raises(NotFoundError, match="jobs: weekly"):
            jobs.run("nope")
    assert [(r["run_no"], r["status"], r["trigger"]) for r in rows] == [
        (result.run_no, "succeeded", "manual")
    ]
    assert rows[0]["outputs"]["report"]["run_id"] == result.outputs["report"]["run_id"]


def test_a_failing_step_is_retried_then_recorded_as_failed(tmp_path: Path, demo_db: Path) -> None:
    job = {
        "name": "load",
        "cron": "0 7 * * mon",
        "steps": ["ingest", "run"],
        "drop_folder": str(tmp_path / "missing"),
    }
    settings = load_settings(config(tmp_path, demo_db, [job], retries=2), environ={})
    waits: list[float] = []
    with Pipeline.open(settings) as pipe:
        result = Jobs(pipe, sleep=waits.append).run("load")
        rows = history(pipe)
    assert result.status == "failed" and "step ingest failed" in (result.error or "")
    assert "does not exist" in (result.error or "")
    assert waits == [0.0, 0.0] and "run" not in result.outputs
    assert rows[0]["status"] == "failed" and rows[0]["error"] == result.error


def test_the_ingest_step_loads_the_drop_folder_once(tmp_path: Path, demo_db: Path) -> None:
    drop = tmp_path / "drop"
    (drop / "leads").mkdir(parents=True)
    (drop / "leads" / "new.csv").write_text("lead_id,created_at\nNEW-1,2026-11-20T10:00:00Z\n")
    job = {"name": "load", "cron": "0 7 * * mon", "steps": ["ingest"], "drop_folder": str(drop)}
    settings = load_settings(config(tmp_path, demo_db, [job]), environ={})
    with Pipeline.open(settings) as pipe:
        jobs = Jobs(pipe)
        first, second = jobs.run("load"), jobs.run("load")
        count = pipe.warehouse.con.execute(
            "SELECT count(*) FROM leads WHERE lead_id = 'NEW-1'"
        ).fetchone()
    assert first.outputs["ingest"][0]["loaded"] == 1
    assert second.outputs["ingest"][0]["already_loaded"] is True
    assert count == (1,)


@pytest.mark.parametrize("steps", [["run", "report"], ["report", "email"]])
def test_a_job_whose_period_has_no_data_is_skipped_without_retries(
    tmp_path: Path, demo_db: Path, steps: list[str]
) -> None:
    job = {"name": "weekly", "cron": "0 7 * * mon", "steps": steps, "recipients": ["a@b.c"]}
    # The email step needs mail.host to load; the skipped period sends nothing.
    env = {"ATTRIBUTION_MAIL__HOST": "smtp.invalid"}
    settings = load_settings(config(tmp_path, demo_db, [job], retries=2), environ=env)
    waits: list[float] = []
    with Pipeline.open(settings) as pipe:
        stored = pipe.warehouse.con.execute("SELECT count(*) FROM attribution_runs").fetchone()
        result = Jobs(pipe, sleep=waits.append).run(
            "weekly", scheduled_for=datetime(2031, 3, 10, 7, 0)
        )  # covers 2031-W10, long after the demo's data
        rows = history(pipe, "weekly")
        after = pipe.warehouse.con.execute("SELECT count(*) FROM attribution_runs").fetchone()
    assert result.status == "skipped" and result.outputs == {}
    assert waits == []  # not retried: waiting brings no data
    assert after == stored  # refused before any run was made
    what = {
        "run": "the window 2031-03-03 to 2031-03-09",
        "report": "2031-W10 (2031-03-03 to 2031-03-09)",
    }[steps[0]]
    assert result.error == (
        f"step {steps[0]} skipped: no leads and no conversions in {what}; "
        "the warehouse has data from 2026-10-26 to 2026-11-22"  # the demo's four weeks
    )
    assert [(r["run_no"], r["status"], r["error"]) for r in rows] == [
        (result.run_no, "skipped", result.error)
    ]
    assert not (tmp_path / "reports").exists()
    cli = CliRunner().invoke(
        main, ["--config", str(tmp_path / "config.yaml"), "jobs", "history"], env=env
    )
    assert cli.exit_code == 0 and "skipped" in cli.output


def test_one_run_of_a_job_at_a_time(tmp_path: Path, demo_db: Path) -> None:
    job = {"name": "weekly", "cron": "0 7 * * mon", "steps": ["run"]}
    settings = load_settings(config(tmp_path, demo_db, [job]), environ={})
    with Pipeline.open(settings) as pipe:
        jobs = Jobs(pipe)
        jobs._locks["weekly"].acquire()  # as a running job holds it
        try:
            with pytest.raises(ConflictError, match="running already"):
                jobs.run("weekly")
        finally:
            jobs._locks["weekly"].release()


def test_a_job_on_a_short_schedule_runs_and_records_its_runs(tmp_path: Path, demo_db: Path) -> None:
    job = {"name": "often", "cron": "*/2 * * * * *", "steps": ["run"]}
    settings = load_settings(config(tmp_path, demo_db, [job]), environ={})
    lead_in_the_current_period(settings, tmp_path)
    with Pipeline.open(settings) as pipe:
        jobs = Jobs(pipe)
        jobs.start()
        try:
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and not any(
                r["status"] == "succeeded" for r in history(pipe, "often")
            ):
                time.sleep(0.3)
        finally:
            jobs.shutdown()
        rows = history(pipe, "often")
    done = [r for r in rows if r["status"] == "succeeded"]
    assert done and done[0]["trigger"] == "schedule"
    assert done[0]["scheduled_for"].second % 2 == 0 and done[0]["outputs"]["run"]["run_id"] > 0
    assert len({r["scheduled_for"] for r in rows}) == len(rows)  # never twice for one time


def _daemon(cfg: Path, log: Path) -> subprocess.Popen[bytes]:
    """A daemon started and running: its own "scheduler running" line, not an earlier one's."""
    started = log.read_text(errors="replace").count("scheduler running") if log.exists() else 0
    proc = subprocess.Popen(
        [sys.executable, "-m", "attribution", "--config", str(cfg), "jobs", "daemon"],
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    deadline = time.monotonic() + 30
    while log.read_text(errors="replace").count("scheduler running") <= started:
        if proc.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"the daemon did not start:\n{log.read_text()}")
        time.sleep(0.1)
    return proc


def _runs(db: Path) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(
            "SELECT scheduled_for, status, trigger FROM job_runs ORDER BY run_no"
        ).fetchall()
    finally:
        con.close()


@pytest.mark.slow
def test_a_run_missed_while_stopped_runs_once_after_a_restart(
    tmp_path: Path, demo_db: Path
) -> None:
    daily = {"name": "daily", "cron": "0 0 * * *", "steps": ["run"]}
    lead_in_the_current_period(
        load_settings(config(tmp_path, demo_db, [daily]), environ={}), tmp_path
    )
    at = (datetime.now(UTC) + timedelta(seconds=10)).replace(microsecond=0, tzinfo=None)
    job = {**daily, "cron": f"{at.second} {at.minute} {at.hour} * * *"}
    cfg = config(tmp_path, demo_db, [job], misfire_grace_seconds=600)
    log = tmp_path / "daemon.log"
    first = _daemon(cfg, log)
    first.send_signal(signal.SIGKILL)  # down before the job's time
    first.wait()
    while datetime.now(UTC).replace(tzinfo=None) < at + timedelta(seconds=2):
        time.sleep(0.2)
    assert _runs(tmp_path / "wh.duckdb") == []  # nothing ran while it was down
    second = _daemon(cfg, log)  # the missed run runs once on start-up
    _wait_for(log, "): succeeded", second)
    second.send_signal(signal.SIGTERM)
    assert second.wait(timeout=30) == 0
    assert [(r[0], r[1]) for r in _runs(tmp_path / "wh.duckdb")] == [(at, "succeeded")]
    third = _daemon(cfg, log)  # and started again, it is not repeated
    time.sleep(3)
    third.send_signal(signal.SIGTERM)
    assert third.wait(timeout=30) == 0
    assert [(r[0], r[1]) for r in _runs(tmp_path / "wh.duckdb")] == [(at, "succeeded")]
    assert log.read_text().count("): succeeded") == 1


def _wait_for(log: Path, text: str, proc: subprocess.Popen[bytes], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while text not in log.read_text(errors="replace"):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"{text!r} did not appear:\n{log.read_text()}")
        time.sleep(0.2)


def test_a_job_store_written_before_the_layout_by_layer_still_loads_its_jobs(
    tmp_path: Path, demo_db: Path
) -> None:
    """Job stores hold the callable's path; ones written as `attribution.scheduler:fire` load
    (their missed or next run kept) and are rewritten to the service's path on start."""
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler

    from attribution.service.scheduler import STORE_TABLE, _trigger

    job = {"name": "weekly", "cron": "0 7 * * mon", "steps": ["run"]}
    settings = load_settings(config(tmp_path, demo_db, [job]), environ={})
    with Pipeline.open(settings) as pipe:
        trigger = _trigger(settings.jobs.definitions[0])
        natural = trigger.get_next_fire_time(None, datetime.now(UTC))
        kept = natural + timedelta(weeks=2)  # not where the trigger alone would put it
        old = BackgroundScheduler(
            jobstores={
                "default": SQLAlchemyJobStore(engine=pipe.warehouse.engine(), tablename=STORE_TABLE)
            },
            timezone=UTC,
        )
        old.start(paused=True)
        old.add_job(
            "attribution.scheduler:fire",
            trigger,
            args=["weekly"],
            id="weekly",
            name="weekly",
            next_run_time=kept,
        )
        old.shutdown(wait=False)
        jobs = Jobs(pipe)
        jobs.start()
        try:
            assert jobs.next_runs()["weekly"] == kept.astimezone(UTC).replace(tzinfo=None)
            stored = jobs._scheduler.get_job("weekly") if jobs._scheduler else None
            assert stored is not None and stored.func_ref == "attribution.service.scheduler:fire"
        finally:
            jobs.shutdown()
