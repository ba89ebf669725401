"""Scheduled jobs over HTTP: list them with their next and last runs, run one now, history."""

from __future__ import annotations

import contextlib
import threading
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool

from attribution.api.auth import require
from attribution.errors import AttributionError, ConflictError
from attribution.registry.tokens import TokenInfo
from attribution.service.pipeline import Pipeline
from attribution.service.scheduler import Jobs, history

router = APIRouter(prefix="/api/v1", tags=["jobs"])


def jobs_of(request: Request) -> Jobs:
    """The service's Jobs (started by `attribution serve`), or one made for manual runs."""
    jobs: Jobs | None = getattr(request.app.state, "jobs", None)
    if jobs is None:
        pipeline: Pipeline = request.app.state.pipeline
        jobs = request.app.state.jobs = Jobs(pipeline)
    return jobs


@router.get("/jobs", summary="Every job with its schedule, next run and last run")
def list_jobs(request: Request, _: Annotated[TokenInfo, Depends(require("get"))]) -> dict[str, Any]:
    jobs = jobs_of(request)
    nxt = jobs.next_runs()
    running = set(jobs.running())
    with jobs.pipeline.warehouse.cursor() as cur:
        last = {str(r["job"]): r for r in cur.records("jobs/last_runs")}
    return {
        "status": True,
        "jobs": [
            {
                "name": name,
                "cron": job.cron,
                "timezone": job.timezone,
                "steps": job.steps,
                "period": job.period,
                "enabled": job.enabled,
                "running": name in running,
                "next_run": nxt[name],
                "last_run": last.get(name),
            }
            for name, job in jobs.definitions.items()
        ],
    }


@router.post("/jobs/{name}/run", status_code=202, summary="Start a job now (in the background)")
def run_job(
    request: Request, name: str, _: Annotated[TokenInfo, Depends(require("post"))]
) -> dict[str, Any]:
    jobs = jobs_of(request)
    jobs.job(name)  # 404 for an unknown name
    if name in jobs.running():
        raise ConflictError(f"job {name!r} is running already; try again when it ends")

    def work() -> None:
        # A failed step is recorded in job_runs; a refusal means it started meanwhile.
        with contextlib.suppress(AttributionError):
            jobs.run(name)

    threading.Thread(target=work, name=f"job-{name}", daemon=True).start()
    return {
        "status": True,
        "message": f"Job {name} started; GET /api/v1/jobs/{name}/runs shows how it went.",
    }


@router.get("/jobs/{name}/runs", summary="A job's latest runs, newest first")
async def job_runs(
    request: Request,
    name: str,
    _: Annotated[TokenInfo, Depends(require("get"))],
    limit: Annotated[int, Query(ge=1, le=1000)] = 20,
) -> dict[str, Any]:
    jobs = jobs_of(request)
    jobs.job(name)
    runs = await run_in_threadpool(history, jobs.pipeline, name, limit)
    return {"status": True, "runs": runs}
