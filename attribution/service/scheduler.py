"""Scheduled jobs: the steps of a job from config.yaml, every run recorded, and APScheduler 3
firing them inside the process that owns the warehouse (`attribution serve`, `jobs daemon`).

Guarantees, and how:
- at most one run of a job at a time: a lock per job (and max_instances=1 in APScheduler);
- a run missed while the service was down runs once on start-up if it is at most
  jobs.misfire_grace_seconds late: the job store (table scheduler_jobs) keeps each job's next
  run time across restarts, and start() keeps it unless the job's cron or zone changed;
- never twice: a run whose scheduled time already succeeded is skipped (job_runs);
- a run cut short by a crash runs again once on the next start-up ("resumed");
- a failed step is retried with backoff, then the run is recorded as failed with the step's
  error; an email once accepted by the server is never sent again (attribution.reporting.mailer);
- a run or report step over a period with no leads and no conversions is not retried: the run
  is recorded as skipped with the reason, and the next steps do not run."""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from attribution import clock
from attribution.config import JobSettings, cron_trigger
from attribution.engine import runs
from attribution.errors import (
    AllRowsRejectedError,
    AttributionError,
    ConflictError,
    EmptyPeriodError,
    NotFoundError,
)
from attribution.ingest.kinds import KINDS
from attribution.reporting.period import Period
from attribution.reporting.report import Report, interval_spec
from attribution.service.pipeline import Pipeline
from attribution.warehouse.connection import Warehouse

log = logging.getLogger(__name__)
STORE_TABLE = "scheduler_jobs"
_ACTIVE: Jobs | None = None  # the started scheduler's Jobs, for fire()
INGEST_SUFFIXES = (".csv", ".parquet", ".jsonl", ".ndjson", ".json")


def _trigger(job: JobSettings) -> CronTrigger:
    return cron_trigger(job.cron, ZoneInfo(job.timezone))


def period_of(job: JobSettings, scheduled_for: datetime) -> Period:
    """The period a run covers: relative to the scheduled time's date in the job's zone."""
    local: date = scheduled_for.replace(tzinfo=UTC).astimezone(ZoneInfo(job.timezone)).date()
    if job.period == "last_complete_week":
        return Period.last_complete_week(local)
    if job.period == "last_7_days":
        return Period.days(local - timedelta(days=7), local - timedelta(days=1))
    return Period.days(local - timedelta(days=1), local - timedelta(days=1))


def latest_fire(trigger: CronTrigger, now: datetime, grace: timedelta) -> datetime | None:
    """The trigger's latest fire time in (now - grace, now], UTC, or None."""
    start = (now - grace).replace(tzinfo=UTC)
    found = None
    t = trigger.get_next_fire_time(None, start)
    while t is not None and t <= now.replace(tzinfo=UTC):
        found = t
        t = trigger.get_next_fire_time(t, t + timedelta(microseconds=1))
    return None if found is None else found.astimezone(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class JobRun:
    run_no: int
    job: str
    scheduled_for: datetime
    trigger: str
    status: str  # succeeded, failed, skipped
    error: str | None
    outputs: dict[str, Any]


class Jobs:
    """The jobs of the configuration over an open pipeline; start() adds the scheduler."""

    def __init__(
        self,
        pipeline: Pipeline,
        *,
        sleep: Callable[[float], None] = time.sleep,
        notify: Callable[[JobRun], None] | None = None,
    ) -> None:
        self.pipeline = pipeline
        self._notify = notify
        # Runs and ingests of jobs without a snapshot step publish in the background.
        self.publisher = (
            pipeline.snapshot_publisher()
            if pipeline.settings.snapshot.publish_after_ingest
            else None
        )
        self.settings = pipeline.settings
        self.definitions = {j.name: j for j in self.settings.jobs.definitions}
        self._locks = {name: threading.Lock() for name in self.definitions}
        self._sleep = sleep
        self._scheduler: BackgroundScheduler | None = None

    # -- running a job ----------------------------------------------------------------------

    def job(self, name: str) -> JobSettings:
        if name not in self.definitions:
            known = ", ".join(self.definitions) or "none are configured (jobs.definitions)"
            raise NotFoundError(f"no job named {name!r}; jobs: {known}")
        return self.definitions[name]

    def run(
        self, name: str, *, scheduled_for: datetime | None = None, trigger: str = "manual"
    ) -> JobRun:
        """Run a job's steps now and record the run; refuse if it is already running."""
        job = self.job(name)
        lock = self._locks[name]
        if not lock.acquire(blocking=False):
            raise ConflictError(f"job {name!r} is running already; try again when it ends")
        try:
            return self._run_locked(
                job, scheduled_for or clock.utc_now().replace(microsecond=0), trigger
            )
        finally:
            lock.release()

    def _run_locked(self, job: JobSettings, scheduled_for: datetime, trigger: str) -> JobRun:
        with self.pipeline.warehouse.cursor() as wh:  # this thread's own connection
            return self._record(wh, job, scheduled_for, trigger)

    def _record(
        self, wh: Warehouse, job: JobSettings, scheduled_for: datetime, trigger: str
    ) -> JobRun:
        if trigger != "manual" and wh.scalar(
            "jobs/succeeded_for", {"job": job.name, "scheduled_for": scheduled_for}
        ):
            log.info("job %s for %s already succeeded: skipped", job.name, scheduled_for)
            return JobRun(0, job.name, scheduled_for, trigger, "skipped", None, {})
        run_no = int(
            wh.scalar(
                "jobs/start_run",
                {
                    "job": job.name,
                    "scheduled_for": scheduled_for,
                    "trigger": trigger,
                    "started_at": clock.utc_now(),
                    "pid": os.getpid(),
                },
            )
        )
        log.info("job %s run %d (%s, for %s) started", job.name, run_no, trigger, scheduled_for)
        outputs: dict[str, Any] = {}
        context: dict[str, Any] = {"period": period_of(job, scheduled_for)}
        status, error = "succeeded", None
        for step in job.steps:
            try:
                outputs[step] = self._attempts(job, step, scheduled_for, context)
            except EmptyPeriodError as exc:  # nothing to do, not a failure: no retry, no alarm
                status = "skipped"
                error = f"step {step} skipped: {exc.problem}"
                log.warning("job %s run %d: %s", job.name, run_no, error)
                break
            except Exception as exc:  # recorded, never raised into the scheduler
                status = "failed"
                error = f"step {step} failed: {exc}"
                log.error("job %s run %d: %s", job.name, run_no, error)
                break
        wh.execute(
            "jobs/finish_run",
            {
                "run_no": run_no,
                "status": status,
                "finished_at": clock.utc_now(),
                "error": error,
                "outputs": json.dumps(outputs, default=str),
            },
        )
        log.info("job %s run %d %s", job.name, run_no, status)
        wrote = {"ingest", "run", "report"} & outputs.keys()
        if self.publisher is not None and wrote and "snapshot" not in job.steps:
            self.publisher.request()
        result = JobRun(run_no, job.name, scheduled_for, trigger, status, error, outputs)
        if self._notify is not None:
            self._notify(result)
        return result

    def _attempts(
        self, job: JobSettings, step: str, scheduled_for: datetime, context: dict[str, Any]
    ) -> Any:
        """One step, retried with backoff (email retries inside the mailer instead)."""
        cfg = self.settings.jobs
        attempts = 1 if step == "email" else cfg.retries + 1
        wait = cfg.retry_backoff_seconds
        for attempt in range(1, attempts + 1):
            try:
                return STEPS[step](self, job, scheduled_for, context)
            except (EmptyPeriodError, AllRowsRejectedError):
                raise  # the data will not appear (or mend) by waiting: no retry
            except Exception as exc:
                if attempt == attempts:
                    raise
                log.warning(
                    "job %s step %s attempt %d failed (%s); retrying in %.0f s",
                    job.name,
                    step,
                    attempt,
                    exc,
                    wait,
                )
                self._sleep(wait)
                wait *= 2
        raise AssertionError("unreachable")

    # -- steps ------------------------------------------------------------------------------

    def _ingest(self, job: JobSettings, _: datetime, context: dict[str, Any]) -> Any:
        """Every file in drop_folder/<kind>/ (already loaded files add nothing). A new file whose
        every row was rejected fails the step, once all files are loaded; run again, it is a
        file already loaded."""
        assert job.drop_folder is not None
        folder = self.settings.resolve(job.drop_folder)
        if not folder.is_dir():
            raise AttributionError(f"drop folder {folder} does not exist; create it")
        loaded = []
        rejected: list[tuple[str, int]] = []
        for kind in KINDS:
            files = sorted(
                p for p in (folder / kind).glob("*") if p.suffix.lower() in INGEST_SUFFIXES
            )
            for path in files:
                summary = self.pipeline.ingest(kind, path)
                loaded.append(
                    {
                        "kind": kind,
                        "file": path.name,
                        "batch_id": summary.batch_id or summary.already_loaded_as,
                        "loaded": summary.loaded,
                        "rejected": summary.rejected,
                        "already_loaded": summary.already_loaded_as is not None,
                    }
                )
                if summary.all_rejected and summary.batch_id is not None:
                    rejected.append((f"{kind}/{path.name}", summary.batch_id))
        if rejected:
            raise AllRowsRejectedError(rejected)
        return loaded

    def _run(self, job: JobSettings, _: datetime, context: dict[str, Any]) -> Any:
        period: Period = context["period"]
        spec = runs.RunSpec(
            start=period.start,
            end=period.end,
            lookback_days=job.lookback_days or self.settings.reports.lookback_days,
            models=tuple(job.models or self.settings.reports.models),
            intervals=interval_spec(self.settings.reports),  # reports.intervals and its settings
        )
        result = self.pipeline.attribute(spec)
        return {"run_id": result.run_id, "period": period.label, "input_hash": result.input_hash}

    def _report(self, job: JobSettings, _: datetime, context: dict[str, Any]) -> Any:
        spec = self.pipeline.report_spec(
            context["period"], models=job.models, lookback_days=job.lookback_days
        )
        built = self.pipeline.report(spec)
        context["report"] = built
        return {"folder": str(built.folder), "run_id": built.run_id, "period": spec.period.label}

    def _snapshot(self, job: JobSettings, _: datetime, context: dict[str, Any]) -> Any:
        snap = self.pipeline.publish_snapshot()
        return {"path": str(snap.path)}

    def _prune(self, job: JobSettings, _: datetime, context: dict[str, Any]) -> Any:
        """Retention (service.retention): after the report, whose run stays whole."""
        pruned = self.pipeline.prune()
        return {
            "runs": [r.run_id for r in pruned.runs],
            "rows": pruned.rows,
            "folders": [str(f.path) for f in pruned.folders],
            "job_runs": pruned.job_runs,
            "file_bytes": pruned.file_bytes_after,
        }

    def _email(self, job: JobSettings, scheduled_for: datetime, context: dict[str, Any]) -> Any:
        from attribution.reporting import dashboard, mailer

        built: Report = context["report"]
        message = dashboard.compose(
            built, recipients=job.recipients, settings=self.settings, job=job.name
        )
        key = f"{job.name}:{scheduled_for.isoformat()}"
        sent = mailer.send(self.pipeline.warehouse, message, settings=self.settings, key=key)
        return {"key": key, "recipients": job.recipients, "result": str(sent)}

    # -- the scheduler ----------------------------------------------------------------------

    def start(self) -> None:
        """Start APScheduler with the jobs; resume runs a crash cut short."""
        global _ACTIVE
        grace = self.settings.jobs.misfire_grace_seconds
        store = SQLAlchemyJobStore(engine=self.pipeline.warehouse.engine(), tablename=STORE_TABLE)
        scheduler = BackgroundScheduler(
            jobstores={"default": store},
            executors={"default": ThreadPoolExecutor(max(2, len(self.definitions)))},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": grace},
            timezone=UTC,
        )
        scheduler.start(paused=True)
        wanted = {name for name, j in self.definitions.items() if j.enabled}
        for stored in scheduler.get_jobs():
            if stored.id not in wanted:
                stored.remove()  # a job taken out of the configuration
        for name in sorted(wanted):
            job = self.definitions[name]
            trigger = _trigger(job)
            stored = scheduler.get_job(name)
            kwargs: dict[str, Any] = {}
            if stored is not None and str(stored.trigger) == str(trigger):
                kwargs["next_run_time"] = stored.next_run_time  # keep a missed run
            scheduler.add_job(
                "attribution.service.scheduler:fire",
                trigger,
                args=[name],
                id=name,
                name=name,
                replace_existing=True,
                **kwargs,
            )
        _ACTIVE = self
        self._scheduler = scheduler
        scheduler.resume()
        with self.pipeline.warehouse.cursor() as cur:
            stopped = cur.records("jobs/interrupted", {"pid": os.getpid(), "now": clock.utc_now()})
        for row in stopped:
            if row["job"] in self.definitions:
                threading.Thread(
                    target=self._resume,
                    args=(str(row["job"]), row["scheduled_for"]),
                    name=f"resume-{row['job']}",
                    daemon=True,
                ).start()

    def _resume(self, name: str, scheduled_for: datetime) -> None:
        try:
            self.run(name, scheduled_for=scheduled_for, trigger="resumed")
        except AttributionError as exc:
            log.error("resuming job %s failed: %s", name, exc)

    def fire(self, name: str) -> None:
        """Called by APScheduler at a job's time (or late, within the grace)."""
        job = self.definitions.get(name)
        if job is None:
            return
        now = clock.utc_now()
        grace = timedelta(seconds=self.settings.jobs.misfire_grace_seconds)
        scheduled = latest_fire(_trigger(job), now, grace) or now.replace(microsecond=0)
        trigger = "catch-up" if now - scheduled > timedelta(seconds=60) else "schedule"
        try:
            self.run(name, scheduled_for=scheduled, trigger=trigger)
        except ConflictError as exc:
            log.warning("job %s: %s", name, exc)

    def next_runs(self) -> dict[str, datetime | None]:
        """Each job's next run (UTC), from the running scheduler or from its cron."""
        out: dict[str, datetime | None] = {}
        now = clock.now()
        for name, job in self.definitions.items():
            stored = self._scheduler.get_job(name) if self._scheduler else None
            nxt = (
                stored.next_run_time
                if stored is not None
                else (_trigger(job).get_next_fire_time(None, now) if job.enabled else None)
            )
            out[name] = None if nxt is None else nxt.astimezone(UTC).replace(tzinfo=None)
        return out

    def running(self) -> list[str]:
        return [name for name, lock in self._locks.items() if lock.locked()]

    def shutdown(self, wait: bool = True) -> None:
        global _ACTIVE
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=wait)
            self._scheduler = None
        if _ACTIVE is self:
            _ACTIVE = None


STEPS: dict[str, Callable[[Jobs, JobSettings, datetime, dict[str, Any]], Any]] = {
    "ingest": Jobs._ingest,
    "run": Jobs._run,
    "report": Jobs._report,
    "snapshot": Jobs._snapshot,
    "email": Jobs._email,
    "prune": Jobs._prune,
}


def fire(name: str) -> None:
    """APScheduler's entry point (a top-level callable, as its job store needs)."""
    if _ACTIVE is None:
        log.error("job %s fired with no scheduler started", name)
        return
    _ACTIVE.fire(name)


def history(pipeline: Pipeline, job: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
    """The latest runs, newest first."""
    with pipeline.warehouse.cursor() as cur:
        rows = cur.records("jobs/history", {"job": job, "limit": limit})
    for row in rows:
        row["outputs"] = json.loads(row["outputs"]) if row["outputs"] else None
    return rows
